from __future__ import annotations

import random
import re

import polars as pl
import pytest

from curate.mix import MixtureConfig, run_mix
from curate.mix.config import FimConfig, RepoConfig
from curate.mix.fim import leaf_boundaries, transform
from curate.mix.samples import RepoFile, Sample, apply_fim, fim_rng, order_repo, repo_samples
from tests.support.run_synth import document

CFG = FimConfig(rate=1.0, prefix_token="<P>", middle_token="<M>", suffix_token="<S>")
NODE = CFG.model_copy(update={"boundary": "node"})


def _undo(text: str) -> str:
    """Reassemble the original text from a PSM or SPM sample."""
    if text.startswith("<P><S>"):  # SPM: suffix, then prefix+middle
        suffix, rest = text[6:].split("<M>", 1)
        return rest + suffix
    prefix, rest = text[3:].split("<S>", 1)
    suffix, middle = rest.split("<M>", 1)
    return prefix + middle + suffix


@pytest.mark.parametrize("mode", ["psm", "spm"])
def test_fim_is_a_lossless_reordering(mode: str) -> None:
    text = "def add(a, b):\n    return a + b  # ünïcode\n"
    for seed in range(50):
        out = transform(text, mode, random.Random(seed), CFG)
        assert _undo(out) == text
        assert out.count("<M>") == 1


def test_node_boundaries_never_split_a_token() -> None:
    text = "result = compute_total(alpha_value, beta_value) + offset_amount\n"
    cuts = leaf_boundaries("python", text)
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    inside = {i for s, e in words for i in range(s + 1, e)}
    assert cuts and not inside & set(cuts)
    sample = Sample(text, ((0, len(text), "python"),), ())
    for seed in range(100):
        rng = random.Random(seed)
        out = apply_fim(sample, "psm", rng, NODE)
        assert _undo(out) == text
        prefix = out[3 : out.index("<S>")]
        middle = out.split("<M>", 1)[1]
        assert len(prefix) not in inside and len(prefix) + len(middle) not in inside


def test_node_boundaries_handle_non_ascii_and_missing_grammars() -> None:
    text = "s = 'héllo'\nt = 'wörld'\n"
    cuts = leaf_boundaries("python", text)
    assert text.index("t") in cuts and len(text) in cuts
    assert leaf_boundaries(None, "a\nbb\nccc") == [0, 2, 5, 8]


def test_fim_rate_and_determinism() -> None:
    cfg = FimConfig(rate=0.3, spm_rate=0.5)
    from curate.mix.fim import choose_mode

    modes = [choose_mode(fim_rng(0, f"doc{i}", 0), cfg) for i in range(4000)]
    assert 0.27 < sum(m is not None for m in modes) / 4000 < 0.33
    assert 0.4 < modes.count("spm") / max(1, modes.count("spm") + modes.count("psm")) < 0.6
    assert modes == [choose_mode(fim_rng(0, f"doc{i}", 0), cfg) for i in range(4000)]


def test_repo_sample_format_and_split() -> None:
    files = [
        RepoFile("b.py", "b.py", "Python", "import a\n"),
        RepoFile("a.py", "a.py", "Python", "X = 1\n"),
    ]
    cfg = RepoConfig(
        enabled=True,
        repo_header="<repo_name>{repo}\n",
        file_header="<file_sep>{path}\n",
        file_separator="",
    )
    ordered = order_repo(files, cfg)
    [sample] = repo_samples("org/r", ordered, cfg)
    assert sample.text == "<repo_name>org/r\n<file_sep>a.py\nX = 1\n<file_sep>b.py\nimport a\n"
    start, end, grammar = sample.regions[1]
    assert sample.text[start:end] == "import a\n" and grammar == "python"
    small = RepoConfig(enabled=True, max_sample_bytes=30)
    parts = repo_samples("org/r", ordered, small)
    assert len(parts) == 2 and [len(p.files) for p in parts] == [1, 1]


def test_repository_level_mixture(tmp_path, scanned_run) -> None:
    docs = [
        document(
            "org/app",
            "app/main.py",
            "from app.models import User\nfrom app import db\n",
            "Python",
            "0" * 16,
        ),
        document(
            "org/app",
            "app/models.py",
            "from app.db import Base\nclass User(Base): pass\n",
            "Python",
            "0" * 16,
        ),
        document("org/app", "app/db.py", "class Base: pass\n", "Python", "1" * 16),  # other shard
        document("org/app", "README.md", "# app\n", "Markdown", "1" * 16),
        document("org/lib", "src/lib.rs", "mod util;\n", "Rust", "2" * 16),
        document("org/lib", "src/util.rs", "pub fn f() {}\n", "Rust", "2" * 16),
        document("org/lib", "src/dropped.rs", "fn g() {}\n", "Rust", "2" * 16),
    ]
    decisions = [
        {"doc_uid": d["doc_uid"], "keep": d["path"] != "src/dropped.rs", "drop_reason": None}
        for d in docs
    ]
    run = scanned_run(tmp_path / "run", docs, decisions={"default": decisions})
    manifest = run_mix(run, MixtureConfig(repo=RepoConfig(enabled=True)))
    frame = pl.read_parquet(list(run.mixture("default").glob("*.parquet"))).sort("repo")
    assert frame["repo"].to_list() == ["org/app", "org/lib"]
    app, lib = frame["content"].to_list()
    order = re.findall(r"<file_sep>(\S+)\n", app)
    assert order.index("app/db.py") < order.index("app/models.py") < order.index("app/main.py")
    assert set(order) == {"app/db.py", "app/models.py", "app/main.py", "README.md"}
    assert app.startswith("<repo_name>org/app\n")
    assert re.findall(r"<file_sep>(\S+)\n", lib) == [
        "src/util.rs",
        "src/lib.rs",
    ]  # dropped file left out
    assert frame["n_files"].to_list() == [4, 2]
    assert frame["language"].to_list() == ["Python", "Rust"]
    assert manifest["totals"]["rows"] == 2


def test_repository_fim_keeps_cut_inside_one_file() -> None:
    files = [
        RepoFile(p, p, "Python", f"value_{i} = {i}\n")
        for i, p in enumerate(["a.py", "b.py", "c.py"])
    ]
    [sample] = repo_samples("r", files, RepoConfig(enabled=True))
    for seed in range(30):
        out = apply_fim(sample, "psm", random.Random(seed), CFG)
        assert _undo(out) == sample.text
        middle = out.split("<M>", 1)[1]
        assert "<file_sep>" not in middle


def test_snapper_moves_cuts_out_of_tokens_with_and_without_grammar() -> None:
    from curate.mix.fim import leaf_snapper

    text = "héllo_wörld = compute(ünï_value)\nsecond_line = 2\n"
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    inside = {i for s, e in words for i in range(s + 1, e)}
    snap = leaf_snapper("python", text)
    assert all(snap(c) not in inside for c in range(len(text) + 1))
    assert snap(2) == 0 and snap(9) == len("héllo_wörld")
    lines = leaf_snapper(None, text)
    assert {lines(c) for c in range(len(text) + 1)} <= {0, text.index("second"), len(text)}
