"""Card content: unlicensed files kept, SPDX expressions as Hub license ids, the language plot's
top-N caption, policy thresholds on the histograms, and drops by category on a real run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from huggingface_hub import DatasetCard

from curate.card import CardConfig, write_card
from curate.card.front_matter import check, hub_id, license_ids, map_licenses
from curate.card.render import human
from curate.card.thresholds import Threshold, expr_thresholds, policy_thresholds
from curate.config import parse_pipeline
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline
from curate.rundir import RunDir
from tests.support.run_synth import document, write_run


def _front(readme: Path) -> dict:
    return yaml.safe_load(readme.read_text().split("---\n")[1])


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n")[1].split("\n## ")[0]


def _table(section: str) -> dict[str, tuple[int, str]]:
    """First column -> (files, bytes text) of a Markdown table's rows."""
    rows = re.findall(r"^\| ([^|]+?) \| ([\d,]+) \| ([^|]+?) \|", section, re.M)
    return {k: (int(n.replace(",", "")), b) for k, n, b in rows}


def _license_run(tmp_path: Path, spdx: list[str | None], keep: list[bool]) -> RunDir:
    """One file per entry: its license (``None`` = no license evidence) and its decision."""
    docs = [document("o/r", f"f{i}.py", "x = 1\n" * (i + 1), "Python") for i in range(len(spdx))]
    lic = [
        {"doc_uid": d["doc_uid"], "license_spdx": s,
         "license_category": "no_license" if s is None else "permissive"}
        for d, s in zip(docs, spdx, strict=True)
    ]  # fmt: skip
    decisions = [
        {"doc_uid": d["doc_uid"], "keep": k, "drop_reason": None if k else "license:x",
         "rule_license": k}
        for d, k in zip(docs, keep, strict=True)
    ]  # fmt: skip
    return write_run(
        tmp_path / "run", docs, attributes={"license@1": lic}, decisions={"default": decisions}
    )


# 1. Unlicensed files kept: front matter and body, zero says zero


def test_unlicensed_kept_files_are_stated_in_front_matter_and_body(tmp_path) -> None:
    spdx = ["MIT", None, None, None, "MIT"]
    run = _license_run(tmp_path, spdx, keep=[True, True, True, False, True])
    readme = write_card(run, CardConfig(plots=False))
    docs = pl.read_parquet(run.documents / "*.parquet").sort("path")
    kept_bytes = int(docs.filter(pl.col("path").is_in(["f1.py", "f2.py"]))["size_bytes"].sum())
    meta = _front(readme)
    assert meta["curate"] == {"unlicensed_kept_files": 2, "unlicensed_kept_bytes": kept_bytes}
    assert check(meta) == []
    licenses = _section(readme.read_text(), "Licenses")
    assert f"**Unlicensed files kept: 2** ({kept_bytes} B, 50.00% of kept files)" in licenses


def test_zero_unlicensed_kept_files_says_zero(tmp_path) -> None:
    run = _license_run(tmp_path, ["MIT", None, "MIT"], keep=[True, False, True])
    readme = write_card(run, CardConfig(plots=False))
    assert _front(readme)["curate"] == {"unlicensed_kept_files": 0, "unlicensed_kept_bytes": 0}
    text = readme.read_text()
    assert "Unlicensed files kept: 0 (no kept file lacks license evidence; 1 such files" in text
    assert "**Unlicensed files kept" not in text


def test_without_a_license_annotator_no_unlicensed_claim(tmp_path) -> None:
    run = write_run(tmp_path / "run", [document("o/r", "a.py", "x = 1\n", "Python")])
    readme = write_card(run, CardConfig(plots=False))
    assert "curate" not in _front(readme)
    assert "Unlicensed files kept" not in readme.read_text()


# 2. SPDX expressions map to Hub license ids


@pytest.mark.parametrize(
    ("expressions", "ids", "unmapped"),
    [
        (["MIT OR Apache-2.0"], ["apache-2.0", "mit"], []),
        (["(Apache-2.0 OR BSD-3-Clause)"], ["apache-2.0", "bsd-3-clause"], []),
        (["MIT AND (BSD-2-Clause OR ISC)"], ["bsd-2-clause", "isc", "mit"], []),
        (["GPL-2.0-or-later WITH Classpath-exception-2.0"], ["gpl-2.0"], []),
        (["LGPL-2.1-only", "mit"], ["lgpl-2.1", "mit"], []),
        (["MIT OR LicenseRef-acme"], ["mit", "other"], ["LicenseRef-acme"]),
        (["0BSD"], ["other"], ["0BSD"]),
        (["MIT OR ("], ["other"], ["MIT OR ("]),  # does not parse: one unknown id
        ([], ["unknown"], []),
    ],
)
def test_spdx_expressions_map_to_hub_ids(expressions, ids, unmapped) -> None:
    mapped = map_licenses(expressions)
    assert (mapped.ids, mapped.unmapped) == (ids, unmapped)


def test_hub_id_of_single_ids() -> None:
    assert license_ids("(MIT OR Apache-2.0) AND MIT") == ["MIT", "Apache-2.0"]
    assert hub_id("Apache-2.0") == "apache-2.0" and hub_id("AGPL-3.0-only") == "agpl-3.0"
    assert hub_id("GFDL-1.3-only") is None  # the Hub has only the generic "gfdl"
    assert hub_id("other") is None and hub_id("unknown") is None


def test_card_lists_every_id_of_kept_or_expressions_not_other(tmp_path) -> None:
    spdx = ["MIT OR Apache-2.0", "(Apache-2.0 OR BSD-3-Clause)", "GPL-3.0-only"]
    run = _license_run(tmp_path, spdx, keep=[True, True, False])
    meta = _front(write_card(run, CardConfig(plots=False)))
    assert meta["license"] == ["apache-2.0", "bsd-3-clause", "mit"]  # GPL file was dropped
    assert "license_name" not in meta and "license_link" not in meta
    assert check(meta) == []


@pytest.mark.parametrize(
    ("kept", "name", "link"),
    [
        (["MIT AND LicenseRef-acme"], "licenseref-acme", "README.md"),
        (["0BSD OR Zlib"], "0bsd", "https://spdx.org/licenses/0BSD.html"),
        (["LicenseRef-a", "LicenseRef-b"], "mixed", "README.md"),
    ],
)
def test_other_only_for_ids_without_hub_id_with_name_and_link(tmp_path, kept, name, link) -> None:
    run = _license_run(tmp_path, kept, keep=[True] * len(kept))
    meta = _front(write_card(run, CardConfig(plots=False)))
    assert "other" in meta["license"]
    assert (meta["license_name"], meta["license_link"]) == (name, link)
    assert check(meta) == []


# 3. The language plot says when it shows the top N only


def _many_languages(tmp_path: Path, n: int) -> RunDir:
    docs = [
        document("o/r", f"f{i}.x", "y\n" * (200 - i), f"Lang{i:02d}") for i in range(n)
    ]  # Lang00 largest
    return write_run(tmp_path / "run", docs)


def test_language_plot_caption_names_top_n_and_the_rest(tmp_path) -> None:
    run = _many_languages(tmp_path, 25)
    text = write_card(run, CardConfig(histograms=())).read_text()
    languages = _section(text, "Languages")
    rest_bytes = sum(2 * (200 - i) for i in range(20, 25))
    share = rest_bytes / sum(2 * (200 - i) for i in range(25))
    assert (
        f"_Top 20 of 25 languages by bytes kept; the other 5: 5 kept files, {human(rest_bytes)} "
        f"({share:.2%})._" in languages
    )
    assert human(rest_bytes) == "1.7 KiB"
    assert "![language shares](plots/languages.png)" in languages


def test_language_plot_with_few_languages_claims_no_top_n(tmp_path) -> None:
    run = _many_languages(tmp_path, 3)
    text = write_card(run, CardConfig(histograms=())).read_text()
    assert "_All 3 languages with bytes kept._" in _section(text, "Languages")
    assert "Top 20" not in text


# 4. Histograms mark the policy thresholds


@pytest.mark.parametrize(
    ("expr", "params", "want"),
    [
        ("max_line_length <= 1000", {}, [("max_line_length", "<=", 1000.0)]),
        ("1000 >= max_line_length", {}, [("max_line_length", "<=", 1000.0)]),  # flipped
        ("0 < x <= 5", {}, [("x", ">", 0.0), ("x", "<=", 5.0)]),  # chain, pairwise
        ("size_bytes <= max_bytes", {"max_bytes": 7}, [("size_bytes", "<=", 7.0)]),
        ("fill_null(secret_count, 0) <= 50", {}, [("secret_count", "<=", 50.0)]),
        ("score > -0.5 and not flag", {}, [("score", ">", -0.5)]),
        ("not is_minified", {}, []),  # no number: no line
        ("license_category in ['permissive']", {}, []),
        ("a <= b", {}, []),  # two columns: no threshold
    ],
)
def test_thresholds_of_a_rule_expression(expr, params, want) -> None:
    got = [(t.column, t.op, t.value) for t in expr_thresholds("r", expr, params)]
    assert got == want


def test_overrides_add_scoped_thresholds_disable_and_unchanged_add_none() -> None:
    policy = {
        "name": "default",
        "builtin_overrides": False,
        "rules": [
            {"name": "max_line", "expr": "max_line_length <= 1000", "params": {}},
            {"name": "size", "expr": "size_bytes <= cap", "params": {"cap": 10}},
            {"name": "off", "expr": "other_col <= 3", "params": {}, "enabled": False},
        ],
        "overrides": [
            {"rule": "max_line", "extensions": [".sql"], "threshold": 2000},
            {"rule": "max_line", "languages": ["Markdown"], "disable": True},
            {"rule": "size", "languages": ["Go"], "params": {"cap": 10}},  # same number
            {"rule": "size", "languages": ["C"], "params": {"cap": 99}},
        ],
    }
    got = policy_thresholds(policy)
    assert got["max_line_length"] == [
        Threshold("max_line_length", "max_line", "<=", 1000.0),
        Threshold("max_line_length", "max_line", "<=", 2000.0, "extensions .sql"),
    ]
    assert got["size_bytes"] == [
        Threshold("size_bytes", "size", "<=", 10.0),
        Threshold("size_bytes", "size", "<=", 99.0, "languages C"),
    ]
    assert "other_col" not in got  # disabled rule


# 5. Drops by category, on a real pipeline run (ingest, annotators, dedup, policy, mixture)

PAD = "".join(
    f"def function_{i}(value):\n    '''Return value plus {i}.'''\n    total = value + {i}\n"
    f"    return total * 2\n\n"
    for i in range(30)
)
HEADERS = [
    "# SPDX-License-Identifier: MIT\n",
    "# SPDX-License-Identifier: MIT OR Apache-2.0\n",
    "# SPDX-License-Identifier: GPL-3.0-only\n",
    "",
]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> RunDir:
    """Four repositories: per repo an own file, an exact copy shared by all (``util.py``), a
    near copy (``near.py``), a minified line (quality), a binary (ingest skip); repo 2 is GPL
    (license drop), repo 3 has no license evidence."""
    root = tmp_path_factory.mktemp("real")
    inputs = root / "inputs"
    for r, header in enumerate(HEADERS):
        src = inputs / f"repo{r}" / "src"
        src.mkdir(parents=True)
        (src / "mod.py").write_text(header + f"def own_{r}(a, b):\n    return a * {r} + b\n")
        (src / "util.py").write_text("def add(a, b):\n    return a + b\n")
        (src / "near.py").write_text(header + PAD + f"# variant {r}\n")
        (src / "long.py").write_text(header + "x = '" + "a" * 1500 + "'\n")
        (inputs / f"repo{r}" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    dedup_rules = [
        {"name": "exact_dup", "expr": "exact_dup_keep", "optional": True,
         "reason": "dedup:exact_duplicate({exact_dup_count} copies)"},
        {"name": "near_dup", "expr": "dup_keep", "optional": True,
         "reason": "dedup:near_duplicate(cluster {dup_cluster_id})"},
        {"name": "license", "expr": "license_category in ['permissive', 'no_license']",
         "reason": "license:{license_category}"},
    ]  # fmt: skip
    cfg = parse_pipeline(
        {
            "run": {"input": [str(inputs)], "output": str(root / "run"), "runner": "local"},
            "annotators": {"quality": {}, "license": {"scan_headers": True}},
            "dedup": {"exact": {}, "near": {"threshold": 0.7}},
            "policy": {"rules": dedup_rules},
            "mixture": {"name": "default", "allow_unredacted": True},
            "card": {},
        }
    )
    run_pipeline(cfg, LocalRunner())
    return RunDir.at(root / "run")


def test_drops_by_category_add_up_to_the_stats(real_run) -> None:
    text = (real_run.card / "README.md").read_text()
    drops = _table(_section(text, "Drops by category"))
    total = drops.pop("**total not kept**")[0]
    policy = json.loads((real_run.stats / "steps" / "policy.json").read_text())["counters"]
    skipped = pl.read_parquet(real_run.skipped / "*.parquet").height
    assert total == sum(n for n, _ in drops.values()) == policy["dropped"] + skipped
    assert drops["ingest skips"][0] == skipped == 4  # the four logo.png
    assert drops["dedup: exact"][0] == 3  # util.py: one of four copies kept
    assert drops["dedup: near"][0] == 3  # near.py: one of four variants kept
    assert drops["license"][0] == 1  # repo 2's own GPL file (its copies went to dedup first)
    assert drops["quality rules"][0] == 4  # the minified long.py of every repo
    decisions = pl.read_parquet(real_run.decisions("default") / "*.parquet")
    reasons = decisions.filter(~pl.col("keep"))["drop_reason"].str.extract(r"^(\w+):", 1)
    assert reasons.value_counts().sort("drop_reason").rows() == [
        ("dedup", 6), ("license", 1), ("quality", 4)
    ]  # fmt: skip
    assert (real_run.card / "plots" / "drops.png").stat().st_size > 1000
    assert "![drops by category](plots/drops.png)" in text


def test_real_run_card_thresholds_licenses_and_unlicensed(real_run) -> None:
    readme = real_run.card / "README.md"
    meta = _front(readme)
    assert meta["license"] == ["apache-2.0", "mit"]  # "MIT OR Apache-2.0" files kept, not other
    # repo 3's mod.py and the kept util.py (no header, no LICENSE file) have no license evidence
    assert meta["curate"]["unlicensed_kept_files"] == 2
    assert check(meta) == []
    card = DatasetCard.load(readme)
    hist = _section(card.text, "Signal distributions")
    caption = hist.split("(plots/hist-max_line_length.png)")[1].split("![")[0]
    assert "max_line_length: max_line_length <= 1000." in caption
    caption = hist.split("(plots/hist-mean_line_length.png)")[1].split("![")[0]
    assert "mean_line_length: mean_line_length <= 100;" in caption
    assert "<= 200 for languages HTML" in caption  # the built-in markup override, dashed
    if "(plots/hist-long_line_fraction.png)" in hist:  # no rule tests it: no caption
        after = hist.split("(plots/hist-long_line_fraction.png)")[1].split("![")[0]
        assert "Policy thresholds" not in after


def test_histogram_records_the_thresholds_it_drew(real_run, tmp_path) -> None:
    from curate.card.plots import histogram
    from curate.card.thresholds import policy_thresholds, recorded_policy

    lines = policy_thresholds(recorded_policy(real_run, "default"))
    plot = histogram(
        real_run, "max_line_length", "default", tmp_path / "h.png", lines["max_line_length"]
    )
    assert [(t.rule, t.op, t.value) for t in plot.thresholds] == [("max_line_length", "<=", 1000.0)]
    assert plot.path.stat().st_size > 1000
    bare = histogram(real_run, "max_line_length", "default", tmp_path / "b.png")
    assert bare.thresholds == () and bare.caption == ""
    assert recorded_policy(real_run, "another") is None  # a different policy's lines are not drawn


def test_histogram_draws_near_thresholds_and_lists_far_ones(tmp_path) -> None:
    from curate.card.plots import histogram

    docs = [document("o/r", f"f{i}.py", f"x = {i}\n", "Python") for i in range(50)]
    quality = [{"doc_uid": d["doc_uid"], "score": 0.5 + i / 250} for i, d in enumerate(docs)]
    run = write_run(tmp_path / "run", docs, attributes={"quality@1": quality})
    near = Threshold("score", "low", ">=", 0.6)
    below = Threshold("score", "floor", ">", 0.35, "languages C")  # within a range's width
    far = Threshold("score", "cap", "<=", 100.0)
    plot = histogram(run, "score", "default", tmp_path / "h.png", [near, below, far])
    assert plot.thresholds == (near, below)
    assert plot.caption == (
        "Policy thresholds (vertical lines): low: score >= 0.6; floor: score > 0.35 for "
        "languages C. Policy thresholds outside the plotted range: cap: score <= 100."
    )
