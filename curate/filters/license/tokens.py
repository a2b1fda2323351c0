"""An exact, faster word splitter for licenseclassifier's template automaton.

``licenseclassifier``'s ``Dict.split`` (a port of licensecheck's ``dict.go``) walks a text one
character at a time in Python; on license files, README sections and header comments it is
most of the license annotator's CPU. ``fast_split`` gives the same ``(word id, start, end)``
list. On text whose characters are ASCII or ``©`` (nearly every license text once
``textmatch.normalise`` has replaced typographic quotes and dashes), the stretches between the
characters that can start a construct the splitter skips (``<`` HTML tag, ``{#`` Markdown
anchor, ``&`` entity, ``](`` Markdown link) or that is a word of its own (``©``) are split by
one regular expression over the lower-cased text in a list comprehension (a word is a run of
letters and digits there; ``(c)`` is the word ``copyright``), each word looked up in one table
that holds the splitter's rewrites (``https``, ``this`` -> ``the``, ...); those characters are
handled by the package's own helpers exactly as ``Dict._split`` does, and a run of
``copyright`` words collapses to its first as ``Dict._emit`` does. Text with ``(s)`` (a word's
plural suffix) takes a regular expression per word; other text goes to the package's splitter.
The tests compare all three with the package's on generated and real texts.
"""

from __future__ import annotations

import re
from typing import Any

from licenseclassifier._engine import dictionary as _dictionary

_TOKEN = re.compile(r"[A-Za-z0-9]+|[©<{&\]]")
"""On ASCII(+©) text: a word (letters and digits are the word characters there) or a
character the splitter looks at between words."""

_WORD = re.compile(r"\(c\)|[a-z0-9]+")
"""On lower-cased ASCII text between ``_SPECIAL`` characters: ``(c)`` or a word."""
_SPECIAL = re.compile(r"[©<{&\]]")

_tables: dict[int, tuple[int, dict[str, int]]] = {}


def _word_ids(words_dict: Any) -> dict[str, int]:
    """Word -> the id ``Dict._split`` emits for it (``BAD_WORD`` where absent): the
    dictionary's ids with the splitter's rewrites applied first (``_CANON``, ``https`` ->
    ``http``, ``(c)`` -> ``copyright``). Rebuilt if the dictionary grew."""
    size = len(words_dict.list)
    found = _tables.get(id(words_dict))
    if found is not None and found[0] == size:
        return found[1]
    known = words_dict._map
    ids = dict(known)
    rewrites = {**_dictionary._CANON, "https": "http", "(c)": "copyright"}
    for word, canonical in rewrites.items():
        ids[word] = known.get(canonical, _dictionary.BAD_WORD)
    _tables[id(words_dict)] = (size, ids)
    return ids


def fast_split(words_dict: Any, text: str, insert: bool = False) -> list[tuple[int, int, int]]:
    """``words_dict._split(text, insert)``, computed faster where the text allows it."""
    if insert or not (text.isascii() or text.replace("©", "").isascii()):
        return words_dict._split(text, insert)
    if "(s)" in text:
        return _token_split(words_dict, text)
    return _stretch_split(words_dict, text)


def _stretch_split(words_dict: Any, text: str) -> list[tuple[int, int, int]]:
    """ASCII(+©) text without ``(s)``: a comprehension per stretch between special characters."""
    ids = _word_ids(words_dict)
    get, bad = ids.get, _dictionary.BAD_WORD
    low = text.lower()  # same offsets: ASCII, and © stays ©
    words: list[tuple[int, int, int]] = []
    search, finditer = _SPECIAL.search, _WORD.finditer
    copyright = ids.get("copyright", bad)
    n, i = len(text), 0
    while i < n:
        special = search(low, i)
        stop = n if special is None else special.start()
        if stop > i:
            words += [(get(m[0], bad), *m.span()) for m in finditer(low, i, stop)]
        if special is None:
            break
        i = _skip(text, stop, words, copyright)
    if copyright != bad and len(words) > 1 and _copyrights(low) > 1:
        # Dict._emit drops a copyright word that follows one
        words[1:] = [
            w for w, prev in zip(words[1:], words, strict=False)
            if not (w[0] == copyright and prev[0] == copyright)
        ]  # fmt: skip
    return words


def _copyrights(low: str) -> int:
    """At least the number of copyright words in lower-cased ``low``."""
    return low.count("copyright") + low.count("(c)") + low.count("©") + low.count("&copy;")


def _skip(text: str, lo: int, words: list[tuple[int, int, int]], copyright: int) -> int:
    """At the special character ``text[lo]``: what ``Dict._split`` does there (skip a construct,
    emit ``©`` / ``&copy;`` as copyright); returns where splitting resumes."""
    c = text[lo]
    if c == "<":
        size = _dictionary._html_tag_size(text, lo)
    elif c == "{":
        size = _dictionary._markdown_anchor_size(text, lo)
    elif c == "&":
        size = _dictionary._html_entity_size(text, lo)
        if size and text[lo : lo + size] == "&copy;":
            words.append((copyright, lo, lo + size))
    elif c == "]":
        size = _dictionary._markdown_link_size(text, lo) if text[lo + 1 : lo + 2] == "(" else 0
    else:  # ©
        words.append((copyright, lo, lo + 1))
        size = 1
    return lo + (size or 1)


def _token_split(words_dict: Any, text: str) -> list[tuple[int, int, int]]:
    """ASCII(+©) text: one regular-expression search per word or special character."""
    words: list[tuple[int, int, int]] = []
    emit = words_dict._emit
    canon = _dictionary._CANON
    n = len(text)
    i = 0
    search = _TOKEN.search
    while True:
        m = search(text, i)
        if m is None:
            break
        lo = m.start()
        c = text[lo]
        if c == "<":
            size = _dictionary._html_tag_size(text, lo)
            i = lo + (size or 1)
            continue
        if c == "{":
            size = _dictionary._markdown_anchor_size(text, lo)
            i = lo + (size or 1)
            continue
        if c == "&":
            size = _dictionary._html_entity_size(text, lo)
            if size and text[lo : lo + size] == "&copy;":
                emit(words, "copyright", lo, lo + size, False)
            i = lo + (size or 1)
            continue
        if c == "]":
            size = _dictionary._markdown_link_size(text, lo) if text[lo + 1 : lo + 2] == "(" else 0
            i = lo + (size or 1)
            continue
        if c == "©":
            emit(words, "copyright", lo, lo + 1, False)
            i = lo + 1
            continue
        hi = m.end()
        w = m.group().lower()
        if text[hi : hi + 3] == "(s)":
            w += "s"
            hi += 3
        i = hi
        if w == "https":
            w = "http"
        elif w == "c" and lo > 0 and text[lo - 1] == "(" and hi < n and text[hi] == ")":
            w = "copyright"
            lo -= 1
            hi += 1
        emit(words, canon.get(w, w), lo, hi, False)
    return words


def install(scanner: Any) -> None:
    """Make the scanner's dictionary split with ``fast_split`` (same results)."""
    words_dict = scanner.dict
    words_dict.split = lambda text: fast_split(words_dict, text, False)
