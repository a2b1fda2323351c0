"""The Hyperscan pre-filter of the pattern fractions: the values equal the polars regexes run
on every document (the earlier definition), on Unicode digits and spaces (which polars' ``\\d``
and ``\\s`` match), runs just under and at the thresholds, CRLF, empty and long documents."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pyarrow as pa

from curate.filters.quality import text_stats

_MIXED = pl.element().str.contains("[0-9]") & pl.element().str.contains("[A-Za-z]")


def _full_scan(docs: list[str | None]) -> tuple[list[float | None], list[float | None]]:
    """Both fractions with the regexes over every document (no pre-filter)."""
    series = pl.Series(docs, dtype=pl.String)
    enc = text_stats._matched_bytes(series, text_stats._ENCODED_RE, _MIXED)
    data = text_stats._matched_bytes(series, text_stats._DATA_RE)
    size = np.array([len((d or "").encode()) for d in docs], np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (
            [None if s == 0 else e / s for e, s in zip(enc, size, strict=True)],
            [None if s == 0 else d / s for d, s in zip(data, size, strict=True)],
        )


def _fractions(docs: list[str | None]) -> tuple[list[float | None], list[float | None]]:
    content = pa.array(docs, pa.large_string())
    view = text_stats.ByteView.of(content)
    frame = text_stats.pattern_fractions(content, view.sizes, view)
    return frame["encoded_data_fraction"].to_list(), frame["data_literal_fraction"].to_list()


def _cases() -> list[str | None]:
    arabic = "\u0661\u0662\u0663"  # Arabic-Indic digits: polars' \d matches them
    b64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk"
    cases: list[str | None] = [
        "",
        None,
        "x = 1\r\n",
        "table = {" + ", ".join(str(i) for i in range(17)) + "}\n",  # 16 "n, " items: a literal
        "table = {" + ", ".join(str(i) for i in range(16)) + "}\n",  # 15 items: not one
        "t = [" + ",\r\n ".join(f"0x{i:02X}" for i in range(40)) + "]\r\n",  # CRLF hex table
        "n = " + ", ".join(arabic for _ in range(20)) + "\n",  # Unicode digits
        "n = " + ",\u00a0".join(str(i) for i in range(20)) + "\n",  # no-break space
        "n = " + "\u3000,\u3000".join(str(i) for i in range(20)) + "\n",  # ideographic space
        "v = " + "; ".join(f"{i}.5e-3f" for i in range(17)) + "\n",
        f'blob = "{b64}"\n',  # 87 base64 characters mixing letters and digits
        f'blob = "{b64[:63]}"\n',  # 63: under the run length
        f'blob = "{"A" * 100}"\n',  # a 100-letter run without digits: not mixed
        'esc = "' + "".join(f"\\x{i:02x}" for i in range(16)) + '"\n',  # 16 escapes
        'esc = "' + "".join(f"\\x{i:02x}" for i in range(15)) + '"\n',  # 15: not a run
        "caf\u00e9 " * 5000 + b64 * 3 + "\n" + ", ".join("7" for _ in range(30)),  # long, mixed
        "\u4e2d\u6587 " + "1, " * 40,
    ]
    rng = random.Random(5)
    alphabet = "0123456789abcXYZ+/=,; \t\n\r\\x-.eE\u00a0\u0663\u00e9"
    for _ in range(300):
        cases.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))))
    return cases


def test_prefiltered_fractions_equal_the_full_regex_scan() -> None:
    docs = _cases()
    got_enc, got_data = _fractions(docs)
    want_enc, want_data = _full_scan(docs)
    assert got_enc == want_enc
    assert got_data == want_data
    # The cases exercise both sides of each threshold.
    assert sum(v is not None and v > 0 for v in got_data) >= 8
    assert sum(v is not None and v > 0 for v in got_enc) >= 3
    assert got_data[3] > 0 and got_data[4] == 0.0
    assert got_data[6] > 0 and got_data[7] > 0 and got_data[8] > 0  # Unicode digits and spaces
    assert got_enc[10] > 0 and got_enc[11] == 0.0 and got_enc[12] == 0.0
    assert got_enc[13] > 0 and got_enc[14] == 0.0


def test_prefilter_candidates_are_per_document() -> None:
    # Two halves of a data literal in adjacent documents are no match in either.
    half = ", ".join(str(i) for i in range(9))
    docs = [half + ", ", half, "x = [" + ", ".join("1" for _ in range(20)) + "]"]
    content = pa.array(docs, pa.large_string())
    data_docs, encoded_docs = text_stats._pattern_candidates(text_stats.ByteView.of(content))
    assert data_docs.tolist() == [2]
    assert encoded_docs.tolist() == []
    assert _fractions(docs)[1][:2] == [0.0, 0.0]


def test_encoded_kernel_equals_the_regex_on_random_runs() -> None:
    """``kernels.encoded_bytes`` (on every document, no pre-filter) against ``_ENCODED_RE``
    with its mixed letters-and-digits filter: runs around the thresholds, ``=`` padding,
    escapes next to base64 runs, broken escapes, non-ASCII neighbours."""
    from curate.filters.quality import kernels

    rng = random.Random(11)
    parts = ["A", "b", "1", "+", "/", "=", "==", "\\x4f", "\\xZZ", "\\x", "x", " ", "\u00e9"]
    parts += ["\\", "A" * 30, "\\x41" * 8, "9" * 40, "\\x4F" * 15]
    docs = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    docs += ["A" * 63 + "1", "A1" * 32 + "===", "\\x41" * 16 + "AAAA" * 20, "a" * 100]
    docs += ["1" * 100, "\\x41" * 15, "\\xab" * 16, "\\x41" * 16 + "9" * 64, ""]
    content = pa.array(docs, pa.large_string())
    view = text_stats.ByteView.of(content)
    got = kernels.encoded_bytes(
        view.data, view.offsets, np.arange(len(docs)), text_stats.ENCODED_MIN_RUN, 16
    )
    series = pl.Series(docs, dtype=pl.String)
    expected = text_stats._matched_bytes(series, text_stats._ENCODED_RE, _MIXED)
    assert got.tolist() == expected.astype(np.int64).tolist()
