"""``markers.html_visible_text`` as one compiled pass a page over its UTF-8 bytes.

The Python definition is three ``re.sub`` passes over a decoded page (script/style/comment
blocks, then tags, then entities) and a ``str.split``: about 0.2 CPU-s for the e2e corpus's
30 MB of HTML, plus turning those pages into Python strings. This kernel runs the same three
rewrites on the bytes (each into a scratch buffer, or counted as it goes) and counts the
collapsed text. Every character the patterns name is ASCII, so a byte-level match is a
character-level match; the only Unicode the regexes see is handled exactly:

- ``\\b`` after ``script``/``style``: the next character is a word character when it is
  ``_`` or ``str.isalnum`` (sre's definition), read from ``kernels.unicode_classes``;
- ``\\s`` (the closing tag's and ``str.split``'s whitespace, both ``Py_UNICODE_ISSPACE``):
  ASCII ``\\t-\\r``, ``\\x1c-\\x20`` and the non-ASCII White_Space characters of
  ``kernels._is_space_at`` (the same set: the tests compare it with ``str.isspace``);
- ``(?i)``: ``script`` and ``style`` also match U+0130, U+0131 and U+017F (``İ ı ſ``) under
  Python's case folding. Pages with one of those are left to the Python definition (``-1``).

Search states that cannot change are remembered per page: once no ``</script\\s*>``,
``</style\\s*>`` or ``-->`` follows a position, none follows a later one (the regex would
search again at each opening; the result is the same).
"""

from __future__ import annotations

import numpy as np

from curate.engine.jit import compiled, readonly
from curate.filters.quality.kernels import _ALNUM, _is_space_at, unicode_classes

_SCRIPT = np.frombuffer(b"script", np.uint8)
_STYLE = np.frombuffer(b"style", np.uint8)

_ENTITY_BYTES = np.zeros(256, np.bool_)
for _c in b"#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
    _ENTITY_BYTES[_c] = True
"""``[#a-zA-Z0-9]``: the body of an entity (``markers._ENTITY``)."""


@compiled(inline="always")
def _space_len(data: np.ndarray, i: int, end: int) -> int:
    """Bytes of the character at ``i`` if ``str.isspace`` holds for it, else 0."""
    c = data[i]
    if c < 0x80:
        return 1 if (9 <= c <= 13) or (28 <= c <= 32) else 0
    return _is_space_at(data, i, end)


@compiled(inline="always")
def _code_point(data: np.ndarray, i: int) -> int:
    c = np.int64(data[i])
    if c >= 0xF0:
        return (
            (c & 7) << 18
            | (np.int64(data[i + 1]) & 63) << 12
            | (np.int64(data[i + 2]) & 63) << 6
            | (np.int64(data[i + 3]) & 63)
        )
    if c >= 0xE0:
        return (c & 15) << 12 | (np.int64(data[i + 1]) & 63) << 6 | (np.int64(data[i + 2]) & 63)
    return (c & 31) << 6 | (np.int64(data[i + 1]) & 63)


@compiled(inline="always")
def _name_at(data: np.ndarray, i: int, end: int, name: np.ndarray) -> bool:
    """``data[i:]`` starts with ``name`` (lower-case ASCII), ASCII case-insensitively."""
    if end - i < name.size:
        return False
    for k in range(name.size):  # noqa: SIM110 - a loop numba compiles
        if data[i + k] | 0x20 != name[k]:
            return False
    return True


@compiled(inline="always")
def _comment_at(data: np.ndarray, i: int, end: int) -> bool:
    """``data[i:]`` starts with ``!--`` (after a ``<``)."""
    return i + 2 < end and data[i] == 33 and data[i + 1] == 45 and data[i + 2] == 45


@compiled(inline="always")
def _word_at(data: np.ndarray, i: int, classes: np.ndarray) -> bool:
    """The character at ``i`` is an sre word character (``_`` or ``str.isalnum``)."""
    c = data[i]
    if c < 0x80:
        return c == 95 or (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)  # _ 0-9 A-Z a-z
    return (classes[_code_point(data, i)] & _ALNUM) != 0


@compiled()
def _close_after(data: np.ndarray, i: int, end: int, name: np.ndarray) -> int:
    """The end of the first ``</name\\s*>`` (case-insensitive) at or after ``i``, or -1."""
    p = i
    while p + 1 < end:
        if data[p] == 60 and data[p + 1] == 47 and _name_at(data, p + 2, end, name):  # </
            q = p + 2 + name.size
            while q < end:
                k = _space_len(data, q, end)
                if k == 0:
                    break
                q += k
            if q < end and data[q] == 62:  # >
                return q + 1
        p += 1
    return -1


@compiled()
def _comment_end(data: np.ndarray, i: int, end: int) -> int:
    """The end of the first ``-->`` at or after ``i``, or -1."""
    for p in range(i, end - 2):
        if data[p] == 45 and data[p + 1] == 45 and data[p + 2] == 62:
            return p + 3
    return -1


@compiled()
def _strip_blocks(data: np.ndarray, a: int, b: int, out: np.ndarray, classes: np.ndarray) -> int:
    """``markers._SCRIPT_STYLE.sub(" ", page)`` of ``data[a:b]`` into ``out``: its length,
    or -1 where the page has a character that Python's case folding matches to a letter of
    ``script``/``style`` (U+0130, U+0131, U+017F: C4 B0, C4 B1, C5 BF)."""
    o = 0
    i = a
    open_script = open_style = open_comment = True  # False: no closing after here
    while i < b:
        c = data[i]
        if (c == 0xC4 or c == 0xC5) and i + 1 < b:
            d = data[i + 1]
            if (c == 0xC4 and (d == 0xB0 or d == 0xB1)) or (c == 0xC5 and d == 0xBF):
                return -1
        if c == 60:  # <
            end = -2
            if _name_at(data, i + 1, b, _SCRIPT):
                j = i + 7
                if open_script and (j == b or not _word_at(data, j, classes)):
                    end = _close_after(data, j, b, _SCRIPT)
                    open_script = end >= 0
            elif _name_at(data, i + 1, b, _STYLE):
                j = i + 6
                if open_style and (j == b or not _word_at(data, j, classes)):
                    end = _close_after(data, j, b, _STYLE)
                    open_style = end >= 0
            elif open_comment and _comment_at(data, i + 1, b):
                end = _comment_end(data, i + 4, b)
                open_comment = end >= 0
            if end >= 0:
                out[o] = 32
                o += 1
                i = end
                continue
        out[o] = c
        o += 1
        i += 1
    return o


@compiled()
def _strip_tags(buf: np.ndarray, n: int) -> int:
    """``markers._TAG.sub(" ", text)`` of ``buf[:n]``, in place: the new length."""
    o = 0
    i = 0
    closed = True  # False: no ``>`` after here
    while i < n:
        c = buf[i]
        if c == 60 and closed:  # <
            j = i + 1
            while j < n and buf[j] != 62:
                j += 1
            if j < n:
                buf[o] = 32
                o += 1
                i = j + 1
                continue
            closed = False
        buf[o] = c
        o += 1
        i += 1
    return o


@compiled()
def _visible_chars(buf: np.ndarray, n: int, entity: np.ndarray) -> int:
    """The length of ``" ".join(markers._ENTITY.sub("x", text).split())`` for ``buf[:n]``:
    its non-space characters (an entity counts as its ``x``) and one space between words."""
    letters = words = 0
    after_space = 1  # the last character was a space, or there was none yet
    i = 0
    while i < n:
        c = buf[i]
        if c < 0x80:
            i += 1
            if (9 <= c <= 13) or (28 <= c <= 32):
                after_space = 1
                continue
            if c == 38:  # & [#a-zA-Z0-9]{1,10} ; -> one character
                j = i
                while j < n and j - i < 10 and entity[buf[j]]:
                    j += 1
                if j > i and j < n and buf[j] == 59:
                    i = j + 1
        elif c >= 0xC0:  # a lead byte: the non-ASCII spaces start with C2, E1, E2 or E3
            k = _is_space_at(buf, i, n) if c == 0xC2 or (0xE1 <= c <= 0xE3) else 0
            if k:
                i += k
                after_space = 1
                continue
            i += 1
        else:  # a continuation byte
            i += 1
            continue
        letters += 1
        words += after_space
        after_space = 0
    return letters + words - 1 if words else 0


@compiled()
def _html_visible(
    data: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    classes: np.ndarray,
    entity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    visible = np.zeros(docs.size, np.int64)
    chars = np.zeros(docs.size, np.int64)
    buf = np.empty(0, np.uint8)
    for k in range(docs.size):
        a, b = offsets[docs[k]], offsets[docs[k] + 1]
        if buf.size < b - a:
            buf = np.empty(b - a, np.uint8)
        n = _strip_blocks(data, a, b, buf, classes)
        if n < 0:
            visible[k] = -1
            continue
        n = _strip_tags(buf, n)
        visible[k] = _visible_chars(buf, n, entity)
        count = 0
        for i in range(a, b):
            count += data[i] & 0xC0 != 0x80
        chars[k] = count
    return visible, chars


def html_visible(
    data: np.ndarray, offsets: np.ndarray, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(visible, chars)`` per document of ``docs`` (indices) of the batch bytes ``data``:
    ``markers.html_visible_text``'s visible characters and the page's characters; ``visible``
    is -1 for a page the Python definition must count (see the module doc)."""
    return _html_visible(
        readonly(data), offsets, docs.astype(np.int64), unicode_classes(), _ENTITY_BYTES
    )


def warm_up() -> None:
    data = np.frombuffer(b"<p>a &amp; b<script>x</script><!-- c --> \xc3\xa9</p>", np.uint8)
    html_visible(data, np.array([0, data.size], np.int64), np.array([0], np.int64))
