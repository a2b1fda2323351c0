"""Exact and near dedup over run directories: recall on planted copies, keep policy, license
mix, determinism over shard/partition/worker counts, resume."""

from __future__ import annotations

import json
import random

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.dedup import (
    DedupConfig,
    components,
    run_dedup,
    run_exact_dedup,
    run_near_dedup,
    shuffle,
)
from curate.dedup.config import ExactConfig, NearConfig
from curate.dedup.inspect import clusters, largest_clusters
from curate.engine.runner import LocalRunner
from curate.rundir import RunDir, write_table_atomic

from .helpers import doc_row, make_function, mutate


def _attr(run: RunDir, key: str) -> pl.DataFrame:
    return pl.read_parquet(sorted(run.attributes(key).glob("*.parquet"))).sort("doc_uid")


def _by_repo(run: RunDir, key: str) -> pl.DataFrame:
    docs = pl.read_parquet(
        sorted(run.documents.glob("*.parquet")), columns=["doc_uid", "repo", "path"]
    )
    return docs.join(_attr(run, key), on="doc_uid")


def test_near_dedup_finds_planted_copies(corpus, make_run) -> None:
    run = make_run(corpus, 3)
    report = run_dedup(run, DedupConfig(), LocalRunner())
    near = _by_repo(run, "near_dedup@1")
    cid = dict(zip(near["repo"], near["dup_cluster_id"], strict=True))
    for i in range(40):
        # exact fork and 5%-edited vendored copy join the original's cluster
        assert cid[f"org/orig{i}"] == cid[f"fork{i}/orig{i}"] == cid[f"vendor{i}/x"]
        # a 60%-rewritten file and unrelated files stay apart
        assert cid[f"far{i}/x"] != cid[f"org/orig{i}"]
        assert cid[f"other{i}/x"] != cid[f"org/orig{i}"]
    sizes = near.group_by("dup_cluster_id").agg(
        pl.len().alias("n"), pl.col("dup_keep").sum().alias("k")
    )
    assert (sizes["k"] == 1).all()  # exactly one kept member per cluster
    assert sizes.filter(pl.col("dup_cluster_id").is_not_null())["n"].max() == 3
    empty = near.filter(pl.col("repo") == "empty/x").row(0, named=True)
    assert empty["dup_cluster_id"] is None and empty["dup_keep"] is True
    exact = _by_repo(run, "exact_dedup@1")
    assert exact.filter(pl.col("exact_dup_count") >= 2).height >= 80
    assert report["near"]["cc_rounds"] >= 1
    py = next(r for r in report["by_language"] if r["language"] == "Python")
    assert py["documents"] == len(corpus) and 0.2 < py["dedup_rate"] < 0.6
    top = largest_clusters(run, limit=3)
    assert top[0]["size"] == 3 and top[0]["repos"] == 3
    assert clusters(run).collect().height == sizes.filter(pl.col("n") > 1)["n"].sum()


def _outputs(run: RunDir) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _attr(run, "exact_dedup@1"), _attr(run, "near_dedup@1")


def _cfg(parts: int, **near: object) -> DedupConfig:
    return DedupConfig(
        near=NearConfig(min_partitions=parts, band_partitions=parts, **near),  # type: ignore[arg-type]
        exact_partitions=parts,
    )


VERIFY = {"verify": True, "threshold": 0.7, "bands": 64, "rows": 2}
"""Loose LSH verified at 0.7: edges kept and edges dropped, so every verification shuffle
(sets, cc_in, verify_a) carries rows."""


def test_bit_identical_over_shards_and_partitions(corpus, make_run, monkeypatch) -> None:
    seen = []
    for shards, parts in ((1, 1), (2, 3), (5, 8)):
        run = make_run(corpus, shards, f"r{shards}")
        run_dedup(run, _cfg(parts), LocalRunner())
        assert not list(run.dedup.glob("**/*-c"))  # below the limit: one-level shuffles only
        seen.append(_outputs(run))
    # the same with every shuffle forced through the two-level path (combine steps)
    monkeypatch.setattr(components, "MAX_FILE_READS", 1)
    for shards, parts in ((2, 3), (5, 8)):
        run = make_run(corpus, shards, f"c{shards}")
        run_dedup(run, _cfg(parts), LocalRunner())
        for shuffle_dir in ("near/bands", "near/members", "near/sets", "near/cc_in",
                            "near/verify_a", "near/labeled", "near/byshard", "exact/emit",
                            "exact/byshard"):  # fmt: skip
            assert (run.dedup / f"{shuffle_dir}-c").is_dir(), shuffle_dir
            assert not (run.dedup / shuffle_dir).exists(), shuffle_dir  # deleted once combined
        seen.append(_outputs(run))
    for exact, near in seen[1:]:
        assert exact.equals(seen[0][0])
        assert near.equals(seen[0][1])


def test_forced_two_level_verification_gives_identical_labels(
    corpus, make_run, monkeypatch
) -> None:
    seen, verified = [], []
    for shards, parts in ((1, 1), (2, 3), (5, 8)):
        run = make_run(corpus, shards, f"r{shards}")
        report = run_dedup(run, _cfg(parts, **VERIFY), LocalRunner())
        assert not list(run.dedup.glob("**/*-c"))
        seen.append(_outputs(run))
        verified.append((report["near"]["edges"], report["near"]["edges_verified"]))
    e, kept = verified[0]
    assert 0 < kept < e  # the verification kept some candidate edges and dropped others
    monkeypatch.setattr(components, "MAX_FILE_READS", 1)
    for shards, parts in ((2, 3), (5, 8)):
        run = make_run(corpus, shards, f"c{shards}")
        report = run_dedup(run, _cfg(parts, **VERIFY), LocalRunner())
        for name in ("sets", "cc_in", "verify_a", "csets", "members", "labeled"):
            assert (run.dedup / "near" / f"{name}-c").is_dir(), name
            assert not (run.dedup / "near" / name).exists(), name  # deleted once combined
        seen.append(_outputs(run))
        verified.append((report["near"]["edges"], report["near"]["edges_verified"]))
    assert verified[3:] == verified[1:3]  # same candidates and survivors in either layout
    for exact, near in seen[1:]:
        assert exact.equals(seen[0][0])
        assert near.equals(seen[0][1])


def test_partly_combined_verification_gives_identical_labels(corpus, make_run, monkeypatch):
    from curate.dedup.near import plan_near

    one = make_run(corpus, 5, "one")
    run_dedup(one, _cfg(8, **VERIFY), LocalRunner())
    # 5 shards, 8 partitions: shard-written shuffles are 5 x 8 = 40 file reads, partition-written
    # ones 8 x 8 = 64; a limit between them combines cc_in and verify_a but reads sets one level
    monkeypatch.setattr(components, "MAX_FILE_READS", 50)
    run = make_run(corpus, 5, "mixed")
    plan, _ = plan_near(run, _cfg(8, **VERIFY))
    assert plan.combined == {"cc_in", "verify_a", "csets", "labeled"}
    assert plan.dir("sets") == run.dedup / "near" / "sets"
    assert plan.dir("verify_a") == run.dedup / "near" / "verify_a-c"
    run_dedup(run, _cfg(8, **VERIFY), LocalRunner())
    assert (run.dedup / "near" / "sets").is_dir() and not (run.dedup / "near" / "sets-c").exists()
    assert (run.dedup / "near" / "verify_a-c").is_dir()
    assert not (run.dedup / "near" / "verify_a").exists()
    # without verification its shuffles are never planned, whatever the limit
    monkeypatch.setattr(components, "MAX_FILE_READS", 1)
    plan, _ = plan_near(run, _cfg(8, verify=False))
    assert plan.combined == {"bands", "members", "cc_in", "labeled", "byshard"}
    a, b = _outputs(one), _outputs(run)
    assert a[0].equals(b[0]) and a[1].equals(b[1])


@pytest.mark.parametrize("near", [{}, {"verify": False}], ids=["verify", "no-verify"])
def test_forced_two_level_run_merges_writer_files_and_resumes(corpus, make_run, monkeypatch, near):
    monkeypatch.setattr(components, "MAX_FILE_READS", 1)
    run = make_run(corpus, 5)
    run_dedup(run, _cfg(8, **near), LocalRunner())
    before = _outputs(run)
    # 5 shard writers merged isqrt(4)+1 = 3 at a time: a band reader opens 2 files, not 5
    assert [f.stem for f in shuffle.writer_files(run.dedup / "near" / "bands-c")] == ["g0", "g3"]
    # 8 partition writers merged 3 at a time: star edges (and verify_a) read from 3 files, not 8
    combined = {"cc_in": ["g0", "g3", "g6"]}
    if not near:  # verification is on by default
        combined |= {"sets": ["g0", "g3"], "verify_a": ["g0", "g3", "g6"]}
    else:
        for name in ("sets", "sets-c", "verify_a", "verify_a-c"):  # not written, not combined
            assert not (run.dedup / "near" / name).exists(), name
    for name, groups in combined.items():
        files = shuffle.writer_files(run.dedup / "near" / f"{name}-c")
        assert sorted({f.stem for f in files}) == groups, name
    again = _CountingRunner()
    run_dedup(run, _cfg(8, **near), again)
    assert again.calls == []  # every step, combine steps included, resumed from markers
    after = _outputs(run)
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_back_to_shard_files_are_one_per_writer(corpus, make_run) -> None:
    run = make_run(corpus, 3)
    run_dedup(run, _cfg(4), LocalRunner())
    shards = run.shard_ids()
    for folder in (run.dedup / "near" / "byshard", run.dedup / "exact" / "byshard"):
        files = shuffle.writer_files(folder)
        # one file per partition task (writer), each holding every shard's rows as a partition;
        # not one file per (partition, shard)
        assert [f.stem for f in files] == [f"{k:05d}" for k in range(4)], folder
        assert [f.parent.name for f in files] == ["r=0"] * 4
        for f in files:
            index = json.loads(pq.read_metadata(f).metadata[shuffle.INDEX_KEY])
            assert index["n_parts"] == len(shards) and index["parts"] == [0, 1, 2]
    # each shard's attribute still holds exactly its documents, in document order
    for s in shards:
        docs = pl.read_parquet(RunDir.shard_file(run.documents, s), columns=["doc_uid"])
        for key, found in (("exact_dedup@1", "exact_dup_count"), ("near_dedup@1", "dup_keep")):
            attr = pl.read_parquet(RunDir.shard_file(run.attributes(key), s))
            assert attr["doc_uid"].to_list() == docs["doc_uid"].to_list()
            assert attr[found].null_count() == 0  # every document's row was found


def _write_attr(
    run: RunDir, key: str, column: str, values: dict[str, object], dtype: pa.DataType
) -> None:
    for f in sorted(run.documents.glob("*.parquet")):
        uids = pl.read_parquet(f, columns=["doc_uid", "repo"])
        table = pa.table(
            {
                "doc_uid": uids["doc_uid"].to_list(),
                column: pa.array([values.get(r) for r in uids["repo"].to_list()], dtype),
            }
        )
        write_table_atomic(table, run.attributes(key) / f.name)


def test_keep_policy_and_copyleft_flag(make_run) -> None:
    rng = random.Random(3)
    base = make_function(rng, 40)
    rows = [
        doc_row("", "a-gpl/x", "lib.py", base),
        doc_row("", "b-mit/x", "lib.py", mutate(rng, base, 0.03)),
        doc_row("", "c-mit/x", "lib.py", mutate(rng, base, 0.03)),
        doc_row("", "d-unknown/x", "lib.py", base),
    ]
    run = make_run(rows, 2)
    _write_attr(
        run,
        "license@1",
        "license_category",
        {"a-gpl/x": "strong_copyleft", "b-mit/x": "permissive", "c-mit/x": "permissive"},
        pa.string(),
    )
    _write_attr(run, "quality@1", "quality_score", {"b-mit/x": 0.2, "c-mit/x": 0.9}, pa.float64())
    run_near_dedup(run, DedupConfig(), LocalRunner())
    near = _by_repo(run, "near_dedup@1")
    keep = dict(zip(near["repo"], near["dup_keep"], strict=True))
    flag = dict(zip(near["repo"], near["dup_copied_from_copyleft"], strict=True))
    assert near["dup_cluster_id"].n_unique() == 1 and near["dup_cluster_size"][0] == 4
    # permissive first, then higher quality: c-mit wins over b-mit
    assert keep == {"a-gpl/x": False, "b-mit/x": False, "c-mit/x": True, "d-unknown/x": False}
    # permissive members of a cluster holding copyleft code are flagged
    assert flag == {"a-gpl/x": False, "b-mit/x": True, "c-mit/x": True, "d-unknown/x": False}


def test_keep_falls_back_to_smallest_doc_uid(make_run) -> None:
    text = make_function(random.Random(4))
    rows = [doc_row("", f"r{i}/x", "a.py", text) for i in range(5)]
    run = make_run(rows, 2)
    run_exact_dedup(run, DedupConfig(), LocalRunner())
    exact = _attr(run, "exact_dedup@1")
    assert exact["exact_dup_count"].to_list() == [5] * 5
    assert exact["exact_dup_keep"].to_list() == [True, False, False, False, False]


def test_exact_on_whitespace_normalised_content(make_run) -> None:
    rows = [
        doc_row("", "a/x", "a.py", "def f():\n    return 1\n"),
        doc_row("", "b/x", "a.py", "def f():\n\treturn 1   \n\n"),
        doc_row("", "c/x", "a.py", "def f():\n    return 2\n"),
    ]
    run = make_run(rows, 1)
    run_exact_dedup(run, DedupConfig(exact=ExactConfig(normalize_whitespace=True)), LocalRunner())
    counts = dict(
        zip(
            _by_repo(run, "exact_dedup@1")["repo"],
            _by_repo(run, "exact_dedup@1")["exact_dup_count"],
            strict=True,
        )
    )
    assert counts == {"a/x": 2, "b/x": 2, "c/x": 1}


class _CountingRunner(LocalRunner):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def map(self, fn, items, **kw):  # type: ignore[no-untyped-def]
        self.calls.append(kw.get("desc", ""))
        return super().map(fn, items, **kw)


def test_rerun_is_resumed_from_markers(corpus, make_run) -> None:
    run = make_run(corpus, 2)
    first = _CountingRunner()
    run_dedup(run, DedupConfig(), first)
    before = _outputs(run)
    again = _CountingRunner()
    run_dedup(run, DedupConfig(), again)
    assert first.calls and again.calls == []
    after = _outputs(run)
    assert before[0].equals(after[0]) and before[1].equals(after[1])
    # a changed config recomputes
    changed = _CountingRunner()
    run_near_dedup(run, DedupConfig(near=NearConfig(threshold=0.9)), changed)
    assert "dedup/near/bands" in changed.calls


@pytest.mark.ray
def test_ray_runner_gives_the_same_bytes(corpus, make_run, ray_cluster) -> None:
    from curate.engine.runner import RayRunner

    local = make_run(corpus, 4, "local")
    run_dedup(local, DedupConfig(), LocalRunner())
    remote = make_run(corpus, 4, "ray")
    run_dedup(remote, DedupConfig(), RayRunner(workers=2))
    for key in ("exact_dedup@1", "near_dedup@1"):
        for f in sorted(local.attributes(key).glob("*.parquet")):
            assert pl.read_parquet(f).equals(pl.read_parquet(remote.attributes(key) / f.name))


def test_repository_level_dedup_finds_forks(make_run) -> None:
    rng = random.Random(9)
    upstream = [make_function(rng, 20) for _ in range(12)]
    rows = [doc_row("", "up/lib", f"f{i}.py", t) for i, t in enumerate(upstream)]
    # a fork with two files edited and one added, a vendored copy with half the files
    rows += [
        doc_row("", "fork/lib", f"f{i}.py", mutate(rng, t, 0.1) if i < 2 else t)
        for i, t in enumerate(upstream)
    ]
    rows.append(doc_row("", "fork/lib", "extra.py", make_function(rng, 20)))
    rows += [
        doc_row("", f"solo{k}/x", f"f{i}.py", make_function(rng, 20))
        for k in range(3)
        for i in range(4)
    ]
    run = make_run(rows, 3)
    report = run_dedup(run, DedupConfig(near=NearConfig(repos=True)), LocalRunner())
    assert report["repos"] == {"repos": 5, "in_clusters": 2, "near_copies": 1}
    attr = _by_repo(run, "repo_dedup@1")
    keep = dict(zip(attr["repo"], attr["dup_repo_keep"], strict=True))
    assert keep["fork/lib"] is True and keep["up/lib"] is False  # the fork has more files
    assert keep["solo0/x"] is True
    sizes = dict(zip(attr["repo"], attr["dup_repo_cluster_size"], strict=True))
    assert sizes["up/lib"] == 2 and sizes["solo1/x"] == 1


def test_dups_cli_lists_largest_clusters(corpus, make_run) -> None:
    import subprocess
    import sys

    run = make_run(corpus, 2)
    run_dedup(run, DedupConfig(), LocalRunner())
    cmd = [sys.executable, "-c", "from curate.cli import main; main()", "dups", str(run.root)]
    rows = [
        json.loads(x)
        for x in subprocess.run(
            [*cmd, "--json", "--limit", "4"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    ]
    assert len(rows) == 4 and all(r["size"] == 3 for r in rows)
    assert rows[0]["members"][0]["dup_keep"] is True
    assert {m["repo"].split("/")[0][:4] for m in rows[0]["members"]} <= {"org", "fork", "vend"}
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert "cluster " in text and "[keep]" in text and "[drop]" in text


def test_code_tokenizer_clusters_renamed_variable_clones(make_run) -> None:
    from tests.support.code_variants import rename_identifiers

    rng = random.Random(12)
    originals = [make_function(rng, 40) for _ in range(6)]
    rows = [doc_row("", f"o{i}/x", "a.py", t) for i, t in enumerate(originals)]
    rows += [doc_row("", f"r{i}/x", "a.py", rename_identifiers(t)) for i, t in enumerate(originals)]
    results = {}
    for tok in ("words", "code"):
        run = make_run(rows, 2, tok)
        run_near_dedup(run, DedupConfig(near=NearConfig(tokenizer=tok)), LocalRunner())
        near = _by_repo(run, "near_dedup@1")
        cid = dict(zip(near["repo"], near["dup_cluster_id"], strict=True))
        results[tok] = sum(cid[f"o{i}/x"] == cid[f"r{i}/x"] for i in range(6))
    assert results == {"words": 0, "code": 6}


def test_code_tokenizer_signatures_match_reference() -> None:
    import numpy as np
    from datasketch import MinHash

    from curate.dedup.minhash import shingle_hash32, shingle_hashes, shingles, signatures

    texts = ["def f(a, b):\n    # c\n    return a.append(b) + 1 + 'x'\n", "", "x"]
    sig = signatures(*shingle_hashes(texts, 5, "code"))
    for i, t in enumerate(texts[:1]):
        m = MinHash(num_perm=256, hashfunc=shingle_hash32)
        for s in shingles(t, 5, "code"):
            m.update(s)
        assert np.array_equal(m.hashvalues, sig[i])
    assert shingles(texts[0], 5, "code")[0] == "def id ( id ,"


def test_true_jaccard_verification_drops_loose_candidates(corpus, make_run) -> None:
    loose = {"threshold": 0.95, "bands": 64, "rows": 2}  # LSH far below the threshold
    joined = {}
    for verify in (False, True):
        run = make_run(corpus, 2, f"v{verify}")
        report = run_near_dedup(
            run, DedupConfig(near=NearConfig(**loose, verify=verify)), LocalRunner()
        )
        near = _by_repo(run, "near_dedup@1")
        cid = dict(zip(near["repo"], near["dup_cluster_id"], strict=True))
        assert all(cid[f"org/orig{i}"] == cid[f"fork{i}/orig{i}"] for i in range(40))
        joined[verify] = sum(cid[f"vendor{i}/x"] == cid[f"org/orig{i}"] for i in range(40))
        if verify:
            assert report["edges_verified"] < report["edges"]
    # 5%-edited copies (true Jaccard about 0.85) pass loose LSH, but not a 0.95 verification
    assert joined == {False: 40, True: 0}


def test_exact_partitions_grow_with_the_corpus_past_the_workers_cap(
    corpus, make_run, monkeypatch
) -> None:
    """Capping the default at the runner's workers must not put a large corpus in one task:
    rows beyond one partition's share of the memory budget add partitions, same results."""
    from curate.dedup import exact

    run = make_run(corpus, 2, "grow")
    docs = sum(pq.read_metadata(f).num_rows for f in run.documents.glob("*.parquet"))
    cfg = DedupConfig()
    assert exact.exact_partitions(run, run.shard_ids(), cfg, workers=1) == 1
    budget = cfg.near.memory_budget_mb * 1024 * 1024
    monkeypatch.setattr(exact, "EXACT_ROW_BYTES", budget // (docs // 3) + 1)
    assert exact.exact_partitions(run, run.shard_ids(), cfg, workers=1) >= 3
    assert exact.exact_partitions(run, run.shard_ids(), DedupConfig(exact_partitions=40), 1) == 40
    run_exact_dedup(run, cfg, LocalRunner())
    grown = _attr(run, "exact_dedup@1")
    monkeypatch.setattr(exact, "EXACT_ROW_BYTES", 1)
    other = make_run(corpus, 2, "one")
    run_exact_dedup(other, cfg, LocalRunner())
    assert grown.equals(_attr(other, "exact_dedup@1"))


class _Recording(LocalRunner):
    """A real in-process runner that records each ``map``'s description (its steps)."""

    def __init__(self) -> None:
        self.maps: list[str] = []

    def map(self, fn, items, **kw):  # type: ignore[no-untyped-def, override]
        self.maps.append(kw.get("desc", ""))
        return super().map(fn, items, **kw)


def test_run_dedup_fuses_the_per_shard_steps_with_the_same_outputs(corpus, make_run) -> None:
    cfg = DedupConfig(near=NearConfig(verify=True))
    one_by_one = make_run(corpus, 3, "apart")
    run_exact_dedup(one_by_one, cfg, LocalRunner())
    run_near_dedup(one_by_one, cfg, LocalRunner())
    run, runner = make_run(corpus, 3, "fused"), _Recording()
    report = run_dedup(run, cfg, runner)
    assert runner.maps[0] == "dedup/near/bands + dedup/exact/emit"
    assert runner.maps[-1] == "dedup/near/write + dedup/exact/write"
    assert "dedup/near/cc/solve" in runner.maps  # the tiny edge set: one in-memory task
    assert not any("-ls" in m or "-ss" in m for m in runner.maps)
    for key in ("exact_dedup@1", "near_dedup@1"):
        assert _attr(run, key).equals(_attr(one_by_one, key)), key
    assert report["near"]["cc_rounds"] >= 1 and report["exact"]["docs"] == len(corpus)
    again = _Recording()  # a rerun: every step skipped from its markers
    assert run_dedup(run, cfg, again)["near"] == report["near"] and again.maps == []
