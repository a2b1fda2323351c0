"""``by_text_digest``: results remembered by the text's digest, least recently used first out."""

from __future__ import annotations

from curate.filters.license.textcache import by_text_digest


def test_remembers_results_and_none_and_evicts_the_oldest() -> None:
    calls: list[str] = []

    @by_text_digest(2)
    def upper(text: str) -> str | None:
        calls.append(text)
        return text.upper() if text else None

    assert [upper("a"), upper(""), upper("a"), upper("")] == ["A", None, "A", None]
    assert calls == ["a", ""]
    upper("b")  # evicts "a": "" was used more recently
    upper("")
    upper("a")
    assert calls == ["a", "", "b", "a"]
    assert upper("\ud800x") == "\ud800X"  # a lone surrogate still has a digest
    upper.cache_clear()  # type: ignore[attr-defined]
    upper("a")
    assert len(calls) == 6
