"""Near-dedup accuracy on version series: recall per true-Jaccard band, no merges below the
threshold, no chain merges, and the same labels on any number of shards and partitions."""

from __future__ import annotations

import itertools
import random

import polars as pl

from curate.dedup import DedupConfig, run_near_dedup
from curate.dedup.config import NearConfig
from curate.dedup.minhash import shingles
from curate.engine.runner import LocalRunner

from .helpers import doc_row, make_function, new_line, next_release, release_series

BANDS = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]


def _jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a, 5, "words")), set(shingles(b, 5, "words"))
    return len(x & y) / len(x | y)


def version_pairs(seed: int = 13, n: int = 320) -> list[tuple[str, str, float]]:
    """``(release 1, release 2, exact Jaccard)``: independent files, each edited (lines
    rewritten) and some grown, spread over true Jaccard 0.3-1.0."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        base = make_function(rng, 60)
        later = next_release(rng, base)
        out.append((base, later, _jaccard(base, later)))
    return out


def _cluster_ids(run) -> dict[str, str | None]:
    docs = pl.read_parquet(sorted(run.documents.glob("*.parquet")), columns=["doc_uid", "repo"])
    attr = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
    both = docs.join(attr, on="doc_uid")
    return dict(zip(both["repo"], both["dup_cluster_id"], strict=True))


def _pair_rows(pairs: list[tuple[str, str, float]]) -> list[dict]:
    rows = []
    for i, (a, b, _) in enumerate(pairs):
        rows.append(doc_row("", f"pkg{i}/v1", "mod.py", a))
        rows.append(doc_row("", f"pkg{i}/v2", "mod.py", b))
    return rows


def test_recall_per_jaccard_band_and_no_merges_below_threshold(make_run) -> None:
    pairs = version_pairs()
    run = make_run(_pair_rows(pairs), 3)
    report = run_near_dedup(run, DedupConfig(), LocalRunner())
    assert (report["bands"], report["rows"]) == (42, 6)
    cid = _cluster_ids(run)
    merged = [
        cid[f"pkg{i}/v1"] is not None and cid[f"pkg{i}/v1"] == cid[f"pkg{i}/v2"]
        for i in range(len(pairs))
    ]
    per_band = {}
    for lo, hi in BANDS:
        got = [m for (_, _, j), m in zip(pairs, merged, strict=True) if lo <= j < hi]
        assert len(got) >= 15, (lo, len(got))  # the generator covers every band
        per_band[lo] = sum(got) / len(got)
    # below the threshold nothing merges (verification is exact), at or above it all but
    # LSH misses (P(candidate) >= 0.995 at J = 0.7 with 42x6) merge
    assert per_band[0.0] == per_band[0.5] == per_band[0.6] == 0.0
    assert per_band[0.7] >= 0.9 and per_band[0.8] >= 0.97 and per_band[0.9] == 1.0
    above = [m for (_, _, j), m in zip(pairs, merged, strict=True) if j >= 0.7]
    assert sum(above) / len(above) >= 0.97
    # no pair of different files joins another pair
    assert len({c for c in cid.values() if c is not None}) >= len(pairs)


def test_old_derivation_misses_the_lower_band(make_run) -> None:
    """The previous default (25x10 from equal FP/FN weights) misses about half the pairs at
    J 0.7-0.8: the recall target is what fixes issue 13, not the verification."""
    pairs = [p for p in version_pairs() if 0.7 <= p[2] < 0.8]
    run = make_run(_pair_rows(pairs), 2, "old")
    run_near_dedup(run, DedupConfig(near=NearConfig(min_recall=None)), LocalRunner())
    cid = _cluster_ids(run)
    merged = sum(cid[f"pkg{i}/v1"] == cid[f"pkg{i}/v2"] for i in range(len(pairs)))
    assert merged / len(pairs) < 0.85


def _chain(rng: random.Random, cut: int = 22) -> tuple[str, str, str]:
    """B is the middle release; A dropped B's last ``cut`` lines and C its first ``cut``, each
    adding a few: with cut 22, J(A, B) and J(B, C) >= 0.7, J(A, C) < 0.5; with cut 12 all
    >= 0.5 and J(A, C) < 0.7."""
    body = [new_line(rng) for _ in range(100)]
    head = ["def run(x, y):"]
    a = head + body[: 100 - cut] + [new_line(rng) for _ in range(8)]
    b = head + body
    c = head + body[cut:] + [new_line(rng) for _ in range(8)]
    return ("\n".join(a) + "\n", "\n".join(b) + "\n", "\n".join(c) + "\n")


def _rows_with_kept(i: int, chain: tuple[str, str, str], kept: str) -> list[dict]:
    """Rows of one chain named so that member ``kept`` has the smallest doc_uid (the keep
    key's last tie-break, all other keys being empty here)."""
    for salt in range(1000):
        rows = [
            doc_row("", f"c{i}/{n}{salt}", "m.py", t) for n, t in zip("abc", chain, strict=True)
        ]
        if min(rows, key=lambda r: r["doc_uid"])["repo"].startswith(f"c{i}/{kept}"):
            return rows
    raise AssertionError("no salt found")


def _chain_run(make_run, rows: list[dict], shards: int, name: str, **near) -> dict[str, dict]:
    """Dedup ``rows``; the attribute row of each chain member by ``c<i>/<a|b|c>``."""
    run = make_run(rows, shards, name)
    run_near_dedup(run, DedupConfig(near=NearConfig(**near)), LocalRunner())
    attr = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
    docs = pl.read_parquet(sorted(run.documents.glob("*.parquet")), columns=["doc_uid", "repo"])
    joined = docs.join(attr, on="doc_uid").to_dicts()
    return {r["repo"].split("/")[0] + "/" + r["repo"].split("/")[1][0]: r for r in joined}


def _assert_cluster_invariants(by: dict[str, dict], text: dict[str, str], floor: float) -> None:
    """Every pair in a cluster is >= ``floor``; every member of a cluster of size > 1 reaches
    0.7 with another member; one kept document per cluster."""
    clusters: dict[str, list[dict]] = {}
    for r in by.values():
        clusters.setdefault(r["dup_cluster_id"], []).append(r)
    for members in clusters.values():
        assert sum(r["dup_keep"] for r in members) == 1
        uids = [r["doc_uid"] for r in members]
        for x in uids:
            assert all(_jaccard(text[x], text[y]) >= floor for y in uids)
            if len(uids) > 1:
                assert any(_jaccard(text[x], text[y]) >= 0.7 for y in uids if y != x)


def test_chain_below_floor_never_shares_a_cluster(make_run) -> None:
    """A~B~C at J >= 0.7 per step with J(A, C) < 0.5: A and C are never in one cluster,
    whichever is kept; with B kept, B's copy is the end first in keep order."""
    rng = random.Random(3)
    chains = [_chain(rng) for _ in range(6)]
    for a, b, c in chains:
        assert _jaccard(a, b) >= 0.7 and _jaccard(b, c) >= 0.7 and _jaccard(a, c) < 0.5
    kept = ["a", "b", "c", "a", "b", "c"]
    rows = [r for i, ch in enumerate(chains) for r in _rows_with_kept(i, ch, kept[i])]
    text = {r["doc_uid"]: r["content"] for r in rows}
    for shards in (1, 3):
        by = _chain_run(make_run, rows, shards, f"chain{shards}")
        _assert_cluster_invariants(by, text, 0.5)
        for i, k in enumerate(kept):
            a, b, c = (by[f"c{i}/{n}"] for n in "abc")
            assert a["dup_cluster_id"] != c["dup_cluster_id"]
            if k == "b":  # both ends are B's near copies; only one may join it
                first, other = sorted([a, c], key=lambda r: r["doc_uid"])
                assert first["dup_cluster_id"] == b["dup_cluster_id"] and not first["dup_keep"]
                assert other["dup_keep"] and other["dup_cluster_size"] == 1
            else:  # an end is kept: B is its copy, the other end stays
                assert a["dup_keep"] and c["dup_keep"] and not b["dup_keep"]
    # without verification each chain is one component
    by = _chain_run(make_run, rows, 1, "chainv", verify=False)
    assert (
        sum(by[f"c{i}/a"]["dup_cluster_id"] == by[f"c{i}/c"]["dup_cluster_id"] for i in range(6))
        >= 4
    )


def test_chain_above_floor_is_one_cluster(make_run) -> None:
    """A~B~C at J >= 0.7 per step with 0.5 <= J(A, C) < 0.7 (issue 13's v1~v2~v3 with v3
    kept): one cluster whichever is kept, so every consecutive pair is merged; with
    ``chain_floor >= threshold`` (no chaining) the ends are split as before."""
    rng = random.Random(4)
    chains = [_chain(rng, cut=12) for _ in range(6)]
    for a, b, c in chains:
        assert _jaccard(a, b) >= 0.7 and _jaccard(b, c) >= 0.7 and 0.5 <= _jaccard(a, c) < 0.7
    kept = ["a", "b", "c", "a", "b", "c"]
    rows = [r for i, ch in enumerate(chains) for r in _rows_with_kept(i, ch, kept[i])]
    text = {r["doc_uid"]: r["content"] for r in rows}
    for shards in (1, 3):
        by = _chain_run(make_run, rows, shards, f"floor{shards}")
        _assert_cluster_invariants(by, text, 0.5)
        for i, k in enumerate(kept):
            members = [by[f"c{i}/{n}"] for n in "abc"]
            assert len({r["dup_cluster_id"] for r in members}) == 1
            assert [r["dup_keep"] for r in members] == [n == k for n in "abc"]
    by = _chain_run(make_run, rows, 1, "nochain", chain_floor=0.7)
    _assert_cluster_invariants(by, text, 0.7)
    for i in range(6):
        assert by[f"c{i}/a"]["dup_cluster_id"] != by[f"c{i}/c"]["dup_cluster_id"]


def _series_rows(seed: int, n: int, releases: int) -> list[dict]:
    rng = random.Random(seed)
    return [
        doc_row("", f"s{i}/v{k}", "mod.py", text)
        for i in range(n)
        for k, text in enumerate(release_series(rng, releases))
    ]


def _series_recall(run, rows: list[dict]) -> tuple[dict[float, list[bool]], int]:
    """Merged flags of changed consecutive pairs per band, and same-cluster pairs below 0.5."""
    attr = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
    cid = dict(zip(attr["doc_uid"], attr["dup_cluster_id"], strict=True))
    per_band: dict[float, list[bool]] = {lo: [] for lo, _ in BANDS}
    for a, b in itertools.pairwise(rows):
        if a["repo"].split("/")[0] != b["repo"].split("/")[0] or a["content"] == b["content"]:
            continue
        j = _jaccard(a["content"], b["content"])
        lo = next(lo for lo, hi in BANDS if lo <= j < hi)
        per_band[lo].append(cid[a["doc_uid"]] == cid[b["doc_uid"]])
    text = {r["doc_uid"]: r["content"] for r in rows}
    clusters: dict[str, list[str]] = {}
    for uid, c in cid.items():
        clusters.setdefault(c, []).append(uid)
    low = sum(
        _jaccard(text[x], text[y]) < 0.5
        for uids in clusters.values()
        for i, x in enumerate(uids)
        for y in uids[i + 1 :]
    )
    return per_band, low


def test_release_series_recall_and_no_pair_below_floor(make_run) -> None:
    """Generated series of 4 releases, each edited from the previous one, so chains form:
    consecutive pairs at J >= 0.7 are merged (>= 0.97 overall, >= 0.9 at 0.7-0.8) and no pair
    in a cluster is below 0.5; without chaining (``chain_floor`` = threshold) fewer merge."""
    rows = _series_rows(11, 120, 4)
    results = {}
    for floor in (0.5, 0.7):
        run = make_run(rows, 3, f"series{floor}")
        report = run_near_dedup(run, DedupConfig(near=NearConfig(chain_floor=floor)), LocalRunner())
        results[floor] = (*_series_recall(run, rows), report["split_off"])
    per_band, low, split = results[0.5]
    assert all(len(per_band[lo]) >= 15 for lo in (0.7, 0.8, 0.9))  # the generator covers them
    above = per_band[0.7] + per_band[0.8] + per_band[0.9]
    assert sum(above) / len(above) >= 0.97 and sum(per_band[0.7]) / len(per_band[0.7]) >= 0.9
    assert not any(per_band[0.0] + per_band[0.5] + per_band[0.6])  # nothing merged below 0.7
    assert low == 0
    strict, low_strict, split_strict = results[0.7]
    assert low_strict == 0 and split_strict > split
    assert sum(strict[0.7]) < sum(per_band[0.7])


def test_labels_identical_over_shards_and_partitions(make_run) -> None:
    rng = random.Random(8)
    rows = _pair_rows(version_pairs(21, 80))
    rows += [
        doc_row("", f"ch{i}/{n}", "m.py", t)
        for i in range(3)
        for n, t in zip("abc", _chain(rng), strict=True)
    ]
    tables = []
    for shards, parts in ((1, 1), (3, 4), (5, 7)):
        run = make_run(rows, shards, f"rep{shards}")
        cfg = DedupConfig(near=NearConfig(min_partitions=parts, band_partitions=parts))
        run_near_dedup(run, cfg, LocalRunner())
        attr = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
        tables.append(attr.sort("doc_uid"))
    assert tables[0]["dup_keep"].sum() < len(rows)  # something was deduplicated
    assert all(t.equals(tables[0]) for t in tables[1:])
