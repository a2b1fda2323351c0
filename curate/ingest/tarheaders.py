"""A faster ``tarfile.TarInfo`` header decoder with the standard library's results.

Reading a source-distribution tarball, ingest spends about half of its CPU in ``tarfile``'s
pure-Python member headers (sdists written by setuptools carry a pax header per member, so two
512-byte headers per file; measured on the e2e numpy + Django archives: 1.5-1.9 CPU-s of a
2.7 CPU-s ingest). Most of that is ``TarInfo.frombuf``: about 20 calls per header to ``nts`` /
``nti`` (each decoding a field to ``str`` before ``int``) and a checksum summed from 500
unpacked integers. ``FastTarInfo.frombuf`` decodes the common header (octal numbers, unsigned
checksum, no sparse map) with ``int(bytes, 8)`` and a C-level byte sum (``_block_sum``), and
hands every other header (base-256 numbers, a signed-only checksum, GNU sparse members,
anything it cannot read, truncated or end-of-archive blocks) to the standard
``TarInfo.frombuf``, so every header gives the same ``TarInfo`` or the same exception as with
the standard class. Use it as ``tarfile.open(..., tarinfo=FastTarInfo)``; pax and GNU
long-name headers are still processed by ``tarfile`` itself.
"""

from __future__ import annotations

import tarfile
import zlib
from typing import Any

_BLOCK = tarfile.BLOCKSIZE
_ZERO_BLOCK = tarfile.NUL * _BLOCK
_CHECKSUM_SPACES = 8 * 0x20  # the checksum field counts as eight spaces
# (start, end) of the numeric fields after the checksum check: mode, uid, gid, size, mtime,
# devmajor, devminor
_NUMBERS = ((100, 108), (108, 116), (116, 124), (124, 136), (136, 148), (329, 337), (337, 345))


def _octal(field: bytes) -> int:
    """``tarfile.nti`` of an octal field, or ValueError. Where both succeed they agree (the
    same digits up to the first NUL, read by the same ``int``); a base-256 first byte or any
    other non-ASCII byte makes ``int`` raise, and the caller then asks ``tarfile``."""
    return int(field.partition(b"\0")[0] or b"0", 8)


def _block_sum(block: bytes) -> int:
    """``sum(block)`` of a 512-byte block, from the Adler-32 of each half: its low 16 bits are
    1 + the sum of the bytes modulo 65521, and 256 bytes sum to at most 65280, so nothing
    wraps. One C call per half instead of 512 Python integers (~8x faster)."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2


class FastTarInfo(tarfile.TarInfo):
    """``TarInfo`` whose header decoding is a fast path of the standard one (module doc)."""

    @classmethod
    def frombuf(cls, buf: bytes, encoding: str, errors: str) -> Any:
        if len(buf) != _BLOCK or buf == _ZERO_BLOCK or buf[156:157] == tarfile.GNUTYPE_SPARSE:
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = _octal(buf[148:156])
            if _block_sum(buf) - sum(buf[148:156]) + _CHECKSUM_SPACES != chksum:
                raise ValueError("not the unsigned checksum")
            numbers = [_octal(buf[start:end]) for start, end in _NUMBERS]
            # tarfile.nts: each text field up to its first NUL
            name = buf[0:100].partition(b"\0")[0].decode(encoding, errors)
            linkname = buf[157:257].partition(b"\0")[0].decode(encoding, errors)
            uname = buf[265:297].partition(b"\0")[0].decode(encoding, errors)
            gname = buf[297:329].partition(b"\0")[0].decode(encoding, errors)
            prefix = buf[345:500].partition(b"\0")[0].decode(encoding, errors)
        except ValueError:  # includes UnicodeDecodeError: the standard path decides
            return super().frombuf(buf, encoding, errors)
        obj = cls()
        obj.name = name
        obj.mode, obj.uid, obj.gid, obj.size, obj.mtime, obj.devmajor, obj.devminor = numbers
        obj.chksum = chksum
        obj.type = buf[156:157]
        obj.linkname = linkname
        obj.uname = uname
        obj.gname = gname
        # What TarInfo.frombuf does after reading the fields (sparse headers never get here).
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = tarfile.DIRTYPE
        if obj.isdir():
            obj.name = obj.name.rstrip("/")
        if prefix and obj.type not in tarfile.GNU_TYPES:
            obj.name = prefix + "/" + obj.name
        return obj
