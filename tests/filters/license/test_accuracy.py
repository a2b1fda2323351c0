"""The accuracy harness on generated, perturbed texts (the full table: benchmarks/bench_license.py
--synthetic, results in docs/license.md)."""

from __future__ import annotations

from curate.filters.license.categories import category_of
from tests.support.license_synth import FULL_TEXT_IDS, HEADER_NOTICES, evaluate


def test_perturbed_texts_and_headers() -> None:
    report = evaluate(samples_per_license=3, seed=11)
    assert set(report) == set(FULL_TEXT_IDS) | {f"{h} (header)" for h in HEADER_NOTICES}
    for label, row in report.items():
        assert row["recall"] >= 2 / 3, (label, row)
        assert row["precision"] == 1.0, (label, row)


def test_edited_texts_are_never_confused_across_categories() -> None:
    near_misses = ("MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "LGPL-2.1-only",
                   "GPL-2.0-only", "MPL-2.0")  # fmt: skip
    report = evaluate(samples_per_license=1, seed=5, typos=True, ids=near_misses, headers=False)
    for label, row in report.items():
        truth = category_of(label.removesuffix(" (header)"))
        for wrong in row["confused_with"]:
            # a miss may be "unknown", never a license of another category
            assert category_of(None if wrong == "None" else wrong) in {truth, "unknown"}, (
                label,
                wrong,
            )
