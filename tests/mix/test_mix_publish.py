"""``curate publish RUN DIR``: the folder ``datasets.load_dataset(DIR, config)`` reads offline,
with the card's configs, its plots beside it, and ``--push`` argument / token handling."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from curate.mix import MixtureConfig, run_mix
from tests.support.cli import run_curate as _curate


def _front(readme: Path) -> dict:
    text = readme.read_text()
    return yaml.safe_load(text.split("---\n")[1])


@pytest.fixture
def published(mixed_run, tmp_path):
    run, _, _ = mixed_run
    full = run_mix(run, MixtureConfig(columns=("license_category",), target_file_bytes=8192))
    small = run_mix(run, MixtureConfig(name="go_only", languages=("Go",)))
    dest = tmp_path / "hub"
    done = _curate("publish", str(run.root), str(dest), "--json")
    assert done.returncode == 0, done.stderr
    return run, dest, {"default": full, "go_only": small}


def test_folder_has_card_configs_data_and_relative_plots(published) -> None:
    run, dest, manifests = published
    front = _front(dest / "README.md")
    configs = {c["config_name"]: c for c in front["configs"]}
    assert set(configs) == {"default", "go_only"} and configs["default"].get("default") is True
    for name, manifest in manifests.items():
        assert configs[name]["data_files"] == [{"split": "train", "path": f"data/{name}/*.parquet"}]
        assert sorted(p.name for p in (dest / "data" / name).iterdir()) == sorted(
            f["path"] for f in manifest["files"]
        )
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (dest / "README.md").read_text())
    assert images, "the card shows plots"
    for ref in images:
        assert not ref.startswith("/") and (dest / ref).is_file(), ref
    assert str(run.root) not in (dest / "README.md").read_text()  # no local absolute path


def test_load_dataset_reads_every_config_offline(published, hf_offline) -> None:
    import datasets

    _, dest, manifests = published
    for name, manifest in manifests.items():
        ds = datasets.load_dataset(str(dest), name, split="train", cache_dir=str(hf_offline))
        assert ds.num_rows == manifest["totals"]["rows"] > 0, name
    go = datasets.load_dataset(str(dest), "go_only", split="train", cache_dir=str(hf_offline))
    assert set(go["language"]) == {"Go"}
    assert manifests["go_only"]["totals"]["rows"] < manifests["default"]["totals"]["rows"]


def test_republish_replaces_and_foreign_folder_is_refused(published, tmp_path) -> None:
    run, dest, _ = published
    (dest / "data" / "default" / "part-99999.parquet").write_bytes(b"stale")
    assert _curate("publish", str(run.root), str(dest)).returncode == 0
    assert not (dest / "data" / "default" / "part-99999.parquet").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    done = _curate("publish", str(run.root), str(other))
    assert done.returncode == 1 and "not a published folder" in done.stderr
    assert (other / "notes.txt").read_text() == "mine"


def test_push_without_token_is_one_clear_error_exit_2(published, tmp_path) -> None:
    """The push itself is exercised against a loopback Hub stand-in in
    tests/card/test_publish_push.py; here: argument handling and the no-token error."""
    run, dest, _ = published
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env |= {"HF_HOME": str(tmp_path / "no-login"), "HF_HUB_OFFLINE": "1"}
    done = _curate("publish", str(run.root), str(dest), "--push", "me/data", env=env)
    assert done.returncode == 2 and "no Hugging Face token" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = _curate("publish", str(run.root), str(dest), "--private", env=env)
    assert done.returncode == 1 and "--private only applies with --push" in done.stderr
    done = _curate("publish", str(run.root), str(dest), "--push", "no-owner", env=env)
    assert done.returncode == 1 and "owner/name" in done.stderr


def test_run_card_loads_with_its_configs_and_plots_relative_to_it(mixed_run, hf_offline) -> None:
    """The run's own card: data paths and image paths are both relative to RUN/card/README.md."""
    import datasets

    from curate.card import CardConfig, write_card

    run, _, _ = mixed_run
    manifest = run_mix(run, MixtureConfig())
    readme = write_card(run, CardConfig())
    for ref in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme.read_text()):
        assert (readme.parent / ref).is_file(), ref
    ds = datasets.load_dataset(str(run.card), split="train", cache_dir=str(hf_offline))
    assert ds.num_rows == manifest["totals"]["rows"] > 0
