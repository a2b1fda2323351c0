from __future__ import annotations

import random
import re

import pyarrow as pa
import pytest
from huggingface_hub import DatasetCard

from curate.card import CardConfig, write_card
from curate.card.front_matter import check, hub_licenses, size_category
from curate.filters.secrets.annotators import METADATA_SPANS
from curate.mix import MixtureConfig, run_mix
from curate.schema import SPANS
from tests.support.run_synth import document, write_run

SECRETS_FOLDER = pa.schema(
    [
        pa.field("doc_uid", pa.string(), nullable=False),
        ("secret_spans", SPANS),
        ("secret_metadata_spans", METADATA_SPANS),
    ]
)

RECIPE = '[mixture]\nname = "default"\n\n[card]\npretty_name = "Tiny code"\n'


def _run(tmp_path, *, with_everything: bool = True):
    rng = random.Random(3)
    langs = ["Python", "Go", "C++", None]
    docs = [
        document(
            f"o/r{i % 5}", f"f{i}.x", "line\n" * rng.randint(1, 50), langs[i % 4], f"{i % 2:016x}"
        )
        for i in range(120)
    ]
    skipped = [
        {"source_uri": "s://a", "reason": "binary", "size_bytes": 100},
        {"source_uri": "s://a", "reason": "binary", "size_bytes": 50},
        {"source_uri": "s://b", "reason": "too_large", "size_bytes": 10_000_000},
    ]
    if not with_everything:
        return write_run(tmp_path / "run", docs, skipped=skipped), docs, skipped
    lic = [{"doc_uid": d["doc_uid"], "license_spdx": ["MIT", "Apache-2.0", "GPL-3.0-only", "Custom-1"][i % 4],
            "license_category": ["permissive", "permissive", "copyleft", "unknown"][i % 4]} for i, d in enumerate(docs)]  # fmt: skip
    dedup = [{"doc_uid": d["doc_uid"], "dup_cluster_id": f"c{i // 3}" if i < 30 else None,
              "dup_cluster_size": 3 if i < 30 else 1, "dup_keep": not (i < 30 and i % 3)} for i, d in enumerate(docs)]  # fmt: skip
    decontam = [{"doc_uid": d["doc_uid"], "decontam_match": i == 50} for i, d in enumerate(docs)]
    secrets = [{"doc_uid": d["doc_uid"], "secret_spans": [{"start": 0, "end": 4, "kind": "api_key", "detector": "t", "value_hash": None}] * (i % 10 == 0),
                "secret_metadata_spans": []}
               for i, d in enumerate(docs)]  # fmt: skip
    pii = [{"doc_uid": d["doc_uid"], "pii_spans": [{"start": 0, "end": 2, "kind": "email", "detector": "t", "value_hash": None}] * (i % 20 == 1)}
           for i, d in enumerate(docs)]  # fmt: skip
    quality = [
        {
            "doc_uid": d["doc_uid"],
            "max_line_length": rng.randint(1, 300),
            "alpha_fraction": rng.random(),
        }
        for d in docs
    ]
    optout = [
        {"doc_uid": d["doc_uid"], "optout_listed": i == 7, "optout_list_version": "2026-11-01"}
        for i, d in enumerate(docs)
    ]
    decisions = []
    for i, d in enumerate(docs):
        rules = {
            "license": i % 4 in (0, 1),
            "dedup": not (i < 30 and i % 3),
            "decontam": i != 50,
            "max_line": True,
        }
        failed = next((k for k, v in rules.items() if not v), None)
        decisions.append({"doc_uid": d["doc_uid"], "keep": failed is None, "drop_reason": failed and f"{failed}:x",
                          **{f"rule_{k}": v for k, v in rules.items()}})  # fmt: skip
    run = write_run(
        tmp_path / "run", docs, skipped=skipped, decisions={"default": decisions},
        attributes={"license@1": lic, "near_dedup@1": dedup, "decontam@1": decontam, "secrets@1": secrets,
                    "pii@1": pii, "quality@1": quality, "optout@1": optout},
        schemas={"secrets@1": SECRETS_FOLDER},
    )  # fmt: skip
    return run, docs, skipped


def test_card_parses_with_huggingface_hub_and_funnel_adds_up(tmp_path) -> None:
    run, docs, skipped = _run(tmp_path)
    run_mix(run, MixtureConfig())
    path = write_card(run, CardConfig(pretty_name="Tiny code", optout_version="v3"), RECIPE)
    card = DatasetCard.load(path)
    meta = card.data.to_dict()
    assert check(meta) == []
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [{"split": "train", "path": "../mixtures/default/part-*.parquet"}],
        }
    ]
    assert sorted(meta["license"]) == ["apache-2.0", "mit"]  # only kept files' licenses
    assert meta["size_categories"] == ["n<1K"] and meta["task_categories"] == ["text-generation"]
    assert {"python", "go"} <= set(meta["tags"]) and "cpp" not in meta[
        "tags"
    ]  # C++ files all dropped

    text = card.text
    funnel = text.split("## Filter funnel")[1].split("##")[0]
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([\d,]+) \|", funnel, re.M))
    counts = {k: int(v.replace(",", "")) for k, v in rows.items()}
    total = counts.pop("**total input**")
    assert total == len(docs) + len(skipped) == sum(counts.values())
    for rule in ("license", "dedup", "decontam", "max_line"):
        assert f"rule: {rule}" in counts  # every rule listed, even with no drops
    assert (
        counts["rule: max_line"] == 0 and counts["rule: decontam"] == 0
    )  # doc 50 already failed license
    assert counts["rule: license"] == 60 and counts["skipped: binary"] == 2
    assert counts["kept"] == sum(
        1 for i in range(120) if i % 4 in (0, 1) and not (i < 30 and i % 3)
    )

    assert "api_key" in text and "email" in text and "2026-11-01" in text and "v3" in text
    assert "dup_keep" in text and "decontam_match" in text
    assert '[card]\npretty_name = "Tiny code"' in text
    # The mixture's JSON settings block is introduced, and no section opens with blank lines.
    assert "fill-in-the-middle settings of this mixture:\n\n```json\n{" in text
    assert "\n\n\n" not in text.split("## Pipeline configuration")[0]
    for png in (
        "languages.png",
        "funnel.png",
        "hist-max_line_length.png",
        "hist-alpha_fraction.png",
    ):
        assert (run.card / "plots" / png).stat().st_size > 1000
        assert f"plots/{png}" in text


def test_card_without_annotations_or_mixture(tmp_path) -> None:
    run, docs, _ = _run(tmp_path, with_everything=False)
    path = write_card(run, CardConfig(plots=False), "")
    card = DatasetCard.load(path)
    meta = card.data.to_dict()
    assert meta["license"] == "unknown" and "configs" not in meta
    assert check(meta) == []
    assert "No license annotator ran" in card.text and "none applied" in card.text
    assert f"| kept | {len(docs)} |" in card.text
    assert not (run.card / "plots").exists()


@pytest.mark.parametrize(
    ("n", "label"),
    [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (5 * 10**6, "1M<n<10M"), (2 * 10**12, "n>1T")],
)
def test_size_categories(n: int, label: str) -> None:
    assert size_category(n) == label


def test_licenses_map_to_hub_ids_or_other() -> None:
    assert hub_licenses(["MIT", "BSD-3-Clause", "LicenseRef-x"]) == ["bsd-3-clause", "mit", "other"]
    assert check({"license": "other"}) == [
        "license 'other' needs license_name",
        "license 'other' needs license_link",
    ]
    assert check({"license": "other", "license_name": "x", "license_link": "README.md"}) == []
    assert check({"license": ["MIT"]}) != []


def test_optout_list_version_comes_from_the_recipe_file(tmp_path) -> None:
    run, _, _ = _run(tmp_path, with_everything=False)
    listing = tmp_path / "optout.txt"
    listing.write_text("someone/repo\n")
    import hashlib

    digest = hashlib.sha256(listing.read_bytes()).hexdigest()[:16]
    path = write_card(run, CardConfig(plots=False), f'[annotators.optout]\npath = "{listing}"\n')
    assert f"Opt-out list version: optout.txt sha256:{digest}." in path.read_text()


def test_cli_card_unknown_mixture_is_a_user_error(tmp_path) -> None:
    """`--mixture` naming a mixture the run does not have fails, instead of a card about
    nothing."""
    from typer.testing import CliRunner

    from curate.cli import _load_commands, app
    from curate.errors import UserError

    run, _, _ = _run(tmp_path, with_everything=False)
    _load_commands()
    res = CliRunner().invoke(app, ["card", str(run.root), "--mixture", "nosuch"])
    assert isinstance(res.exception, UserError)
    assert "no mixture 'nosuch' (mixtures: none;" in str(res.exception)
    assert not (run.card / "README.md").exists()


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (3 * 1024**2, "3.0 MiB")]
)
def test_sizes_are_labelled_in_binary_units(n: int, text: str) -> None:
    from curate.card.render import human

    assert human(n) == text  # the card divides by 1024, so "KB" would understate by 2.4%
