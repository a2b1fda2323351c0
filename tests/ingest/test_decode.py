from __future__ import annotations

import codecs
import random
import subprocess

import pytest

from curate.ingest import decode_bytes, git_blob_sha
from curate.ingest.decode import Decoded, Rejected, utf8_head
from tests.ingest.helpers import GIT, LATIN1_TEXT, UTF16_TEXT


def test_utf8_plain_and_bom():
    assert decode_bytes("héllo\n".encode()) == Decoded("héllo\n".encode(), "utf-8")
    got = decode_bytes(codecs.BOM_UTF8 + b"x = 1\n")
    assert got == Decoded(b"x = 1\n", "utf-8-sig")


def test_utf8_input_is_its_own_decoding():
    """A UTF-8 file's bytes are the decoded text: kept as read, never turned into a str."""
    for data in (b"plain ascii\n", "accents é, CJK 漢字, emoji 🙂\n".encode()):
        got = decode_bytes(data)
        assert isinstance(got, Decoded) and got.utf8 is data and got.text == data.decode()


def test_text_without_utf8_form_is_undecodable():
    """A declared codec can produce lone surrogates, which have no UTF-8 form (Arrow would
    reject the column): the file is undecodable, not a broken document."""
    got = decode_bytes(b"# coding: unicode_escape\nx = '\\ud800 \xff'\n")  # not UTF-8
    assert isinstance(got, Rejected) and got.reason == "undecodable"
    assert "not encodable as UTF-8" in got.detail


def test_utf8_head_takes_whole_characters():
    text = "é漢🙂a" * 5000
    data = text.encode()
    for chars in (1, 3, 4096, 10**6):
        assert utf8_head(data, chars) == text[:chars]


@pytest.mark.parametrize("codec,label", [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")])
def test_utf16_with_bom(codec, label):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    got = decode_bytes(bom + UTF16_TEXT.encode(codec))
    assert got == Decoded.of_text(UTF16_TEXT, label) and got.text == UTF16_TEXT


def test_utf32_bom_wins_over_utf16_prefix():
    got = decode_bytes(codecs.BOM_UTF32_LE + "ab".encode("utf-32-le"))
    assert got == Decoded(b"ab", "utf-32-le")


def test_latin1_falls_back_to_charset_detection():
    got = decode_bytes(LATIN1_TEXT.encode("latin-1"))
    assert isinstance(got, Decoded)
    assert got.text == LATIN1_TEXT
    assert got.encoding != "utf-8"


def test_coding_declaration_is_honoured():
    text = "# -*- coding: iso-8859-15 -*-\nprice = '5 €'\n"
    got = decode_bytes(text.encode("iso-8859-15"))
    assert got == Decoded(text.encode(), "iso8859-15")


def test_fallback_disabled_makes_latin1_undecodable():
    got = decode_bytes(LATIN1_TEXT.encode("latin-1"), fallback=False)
    assert isinstance(got, Rejected) and got.reason == "undecodable"


def test_random_high_bytes_are_undecodable():
    rng = random.Random(0)
    data = bytes(rng.randrange(1, 256) for _ in range(4096))
    got = decode_bytes(data)
    assert isinstance(got, Rejected) and got.reason == "undecodable"
    assert "no charset matched" in got.detail


def test_invalid_utf16_after_bom_is_undecodable():
    got = decode_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8")  # lone high surrogate
    assert isinstance(got, Rejected) and got.reason == "undecodable"


def test_binary_by_nul_and_by_magic():
    nul = decode_bytes(b"abc\x00def")
    assert isinstance(nul, Rejected) and (nul.reason, nul.detail) == ("binary", "nul byte")
    png = decode_bytes(b"\x89PNG\r\n\x1a\n" + b"IHDR" * 10)
    assert isinstance(png, Rejected) and png.detail == "magic:png"
    late_nul = b"a" * 9000 + b"\x00"
    assert isinstance(decode_bytes(late_nul), Decoded)  # only the first 8 KB are sniffed


def test_empty_is_text():
    assert decode_bytes(b"") == Decoded(b"", "utf-8")


@pytest.mark.skipif(GIT is None, reason="git CLI not installed")
@pytest.mark.parametrize("data", [b"", b"hello\n", bytes(range(256)) * 3])
def test_git_blob_sha_matches_git(data, tmp_path):
    f = tmp_path / "blob"
    f.write_bytes(data)
    expected = (
        subprocess.run(["git", "hash-object", str(f)], capture_output=True, check=True)
        .stdout.decode()
        .strip()
    )
    assert git_blob_sha(data) == expected
