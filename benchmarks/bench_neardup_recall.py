"""Near-dedup recall on release series of real packages (issue 13).

Fetches wheels of several releases of a few pure-Python PyPI packages (urllib, PyPI JSON API;
cached under ``.bench/neardup``, git-ignored), pairs ``.py`` files by path across consecutive
releases, computes the exact Jaccard of lowercased word 5-gram sets, runs curate's near dedup
on all files and prints recall per Jaccard band, plus pairs in one cluster below J = 0.5.
``--generated N``: the same table on N generated release series instead
(``tests.dedup.helpers.release_series``: ``--releases`` each edited from the previous one).

    PYTHONPATH=. python benchmarks/bench_neardup_recall.py [--min-recall 0.99 | --old]
        [--chain-floor 0.5] [--generated 300 --releases 3 --seed 5]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curate.dedup import DedupConfig, run_near_dedup
from curate.dedup.config import NearConfig
from curate.dedup.minhash import shingles
from curate.engine.runner import LocalRunner
from tests.dedup.helpers import doc_row, release_series, write_run

PACKAGES = {
    "requests": ["2.28.2", "2.31.0", "2.32.3"],
    "click": ["8.0.4", "8.1.3", "8.1.7"],
    "flask": ["2.2.5", "2.3.3", "3.0.3"],
    "attrs": ["22.2.0", "23.1.0", "23.2.0"],
    "jinja2": ["3.0.3", "3.1.2", "3.1.4"],
    "packaging": ["21.3", "23.1", "24.1"],
}
BANDS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0)]
CACHE = Path(".bench/neardup")


def _wheel(pkg: str, version: str) -> bytes:
    path = CACHE / f"{pkg}-{version}.whl"
    if not path.exists():
        index = f"https://pypi.org/pypi/{pkg}/json"
        with urllib.request.urlopen(index, timeout=30) as r:
            urls = json.load(r)["releases"][version]
        url = next(u["url"] for u in urls if u["filename"].endswith("-py3-none-any.whl"))
        url = urllib.parse.urljoin(index, url)  # some mirrors answer relative links
        with urllib.request.urlopen(url, timeout=60) as r:
            data = r.read()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path.read_bytes()


def _files(pkg: str, version: str) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(_wheel(pkg, version))) as z:
        return {
            n: z.read(n).decode("utf-8", "replace")
            for n in z.namelist()
            if n.endswith(".py") and ".dist-info/" not in n
        }


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


Data = tuple[list[dict], dict[str, set[str]], list[tuple[str, str]]]


def real_series() -> Data:
    """Rows, shingle sets by doc_uid and changed file pairs of consecutive releases."""
    rows, sets, pairs = [], {}, []
    for pkg, versions in PACKAGES.items():
        trees = {v: _files(pkg, v) for v in versions}
        for v, files in trees.items():
            for path, text in files.items():
                row = doc_row("", f"{pkg}/{v}", path, text)
                rows.append(row)
                sets[row["doc_uid"]] = set(shingles(text, 5, "words"))
        for v1, v2 in itertools.pairwise(versions):
            for path in sorted(set(trees[v1]) & set(trees[v2])):
                a = doc_row("", f"{pkg}/{v1}", path, trees[v1][path])
                b = doc_row("", f"{pkg}/{v2}", path, trees[v2][path])
                if a["content_sha"] != b["content_sha"] and sets[a["doc_uid"]]:
                    pairs.append((a["doc_uid"], b["doc_uid"]))
    return rows, sets, pairs


def generated_series(n: int, seed: int, releases: int = 3) -> Data:
    """``n`` generated ``releases``-release series (independent files), consecutive releases paired."""
    rng = random.Random(seed)
    rows, sets, pairs = [], {}, []
    for i in range(n):
        series = [
            doc_row("", f"gen{i}/v{k}", "mod.py", t)
            for k, t in enumerate(release_series(rng, releases))
        ]
        for row in series:
            rows.append(row)
            sets[row["doc_uid"]] = set(shingles(row["content"], 5, "words"))
        pairs += [
            (a["doc_uid"], b["doc_uid"])
            for a, b in itertools.pairwise(series)
            if a["content_sha"] != b["content_sha"]
        ]
    return rows, sets, pairs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-recall", type=float, default=0.99)
    ap.add_argument("--old", action="store_true", help="previous default: 25x10, no verify")
    ap.add_argument("--chain-floor", type=float, default=NearConfig().chain_floor)
    ap.add_argument("--generated", type=int, default=0, help="N generated series instead")
    ap.add_argument("--releases", type=int, default=3, help="releases per generated series")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    near = (
        NearConfig(min_recall=None, verify=False)
        if args.old
        else NearConfig(min_recall=args.min_recall, chain_floor=args.chain_floor)
    )
    rows, sets, pairs = (
        generated_series(args.generated, args.seed, args.releases)
        if args.generated
        else real_series()
    )
    with tempfile.TemporaryDirectory() as tmp:
        run = write_run(Path(tmp) / "run", rows, 3)
        report = run_near_dedup(run, DedupConfig(near=near), LocalRunner())
        attr = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
    cid = dict(zip(attr["doc_uid"], attr["dup_cluster_id"], strict=True))
    what = (
        f"{args.generated} generated series of {args.releases} releases"
        if args.generated
        else "real release series"
    )
    print(
        f"{what}: {len(rows)} files, {len(pairs)} changed file pairs across consecutive releases;"
    )
    print(
        f"bands x rows = {report['bands']} x {report['rows']}, verify = {near.verify}, "
        f"chain_floor = {near.chain_floor}, "
        f"candidate edges {report['edges']}, verified {report['edges_verified']}, "
        f"sub-clusters split off {report['split_off']}"
    )
    kept = dict(zip(attr["doc_uid"], attr["dup_keep"], strict=True))
    # merged: both in one cluster; resolved: merged, or at least one of the two dropped as a
    # near copy of another file (the split around kept files can separate a pair whose third
    # release is kept: v2 dropped as v3's copy, v1 kept because it is not)
    print("| true Jaccard | pairs | merged | recall | resolved |\n|---|---|---|---|---|")
    totals = [0, 0, 0]
    for lo, hi in BANDS:
        sel = [
            (a, b)
            for a, b in pairs
            if lo <= _jaccard(sets[a], sets[b]) < hi
            or (hi == 1.0 and _jaccard(sets[a], sets[b]) == 1.0)
        ]
        merged = sum(cid[a] is not None and cid[a] == cid[b] for a, b in sel)
        resolved = sum(
            (cid[a] is not None and cid[a] == cid[b]) or not (kept[a] and kept[b]) for a, b in sel
        )
        if lo >= 0.7:
            totals = [totals[0] + len(sel), totals[1] + merged, totals[2] + resolved]
        n = max(1, len(sel))
        print(
            f"| {lo:.1f}-{hi:.1f} | {len(sel)} | {merged} | {merged / n:.3f} | {resolved / n:.3f} |"
        )
    n = max(1, totals[0])
    print(f"J >= 0.7: {totals[0]} pairs, recall {totals[1] / n:.3f}, resolved {totals[2] / n:.3f}")
    members: dict[str, list[str]] = {}
    for uid, c in cid.items():
        if c is not None:
            members.setdefault(c, []).append(uid)
    low = sum(
        _jaccard(sets[x], sets[y]) < 0.5
        for m in members.values()
        for x, y in itertools.combinations(m, 2)
    )
    keeper = {c: next(u for u in m if kept[u]) for c, m in members.items()}
    dropped_low = sum(
        _jaccard(sets[u], sets[keeper[cid[u]]]) < 0.5 for u in cid if cid[u] and not kept[u]
    )
    dropped_below = sum(
        _jaccard(sets[u], sets[keeper[cid[u]]]) < near.threshold
        for u in cid
        if cid[u] and not kept[u]
    )
    print(
        f"same-cluster file pairs with J < 0.5: {low}; dropped files with J < 0.5 to the kept: "
        f"{dropped_low}, with J < {near.threshold} to the kept: {dropped_below} "
        f"of {sum(not k for k in kept.values())} dropped"
    )


if __name__ == "__main__":
    main()
