"""Near-dedup scale simulation: the REAL band partition, star-edge and connected-components code
of ``curate.dedup`` on synthetic MinHash signatures written to disk (issue 15.6).

Only the signatures are synthetic (the MinHash of real text is measured by bench_e2e): each
shard's signatures (``num_perm`` uint32 per document, from seeds fixed per shard) are generated
inside its bands task, so only band rows reach the disk (at N = 100M the signatures alone would
be 100 GB; their generation CPU is reported as ``gen`` and not counted in ``bands``), then

* ``bands``  per shard: ``minhash.band_hashes`` + ``shuffle.write_partitioned`` (as near/bands),
* ``edges``  per band partition: ``near.star_edges`` (buckets -> stars, LS input layout),
* ``cc``     ``components.connected_components`` (large-star/small-star, on-disk shuffle),
* ``label``  per node partition: ``components.labels``,

with partition counts from the same formulas ``near.plan_near`` uses (``memory_budget_mb``).
A planted fraction of documents are near-copies of a shared "family" signature (a few values
perturbed) so buckets, edges and components are non-trivial and span shards.

Prints (and with ``--json`` appends) one record per N: wall/CPU s and peak RSS after each phase,
disk bytes of each shuffle (for ``cc`` the peak over its steps: finished rounds are deleted).
The disk the run needs is estimated up front; it refuses to start when that does not fit.
Peak RSS is the process maximum so far, so run one process per N; then ``--fit`` gives growth
exponents::

    nice -n 10 python benchmarks/sim_dedup_scale.py --n 1000000 --json .bench/scale/sim.jsonl
    python benchmarks/sim_dedup_scale.py --fit .bench/scale/sim.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from curate.dedup.components import connected_components, labels, partitions_for
from curate.dedup.config import DedupConfig
from curate.dedup.near import BAND_ROW_BYTES, lsh_params, star_edges, write_bands
from curate.dedup.shuffle import mix64
from curate.engine.runner import LocalRunner
from curate.engine.step import map_step
from curate.rundir import RunDir

SHARD_DOCS = 250_000
BYTES_PER_BAND_ROW = 15
BYTES_PER_DOC_EDGES = 16


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def shard_signatures(
    shard: int, n_docs: int, num_perm: int, dup_frac: float, families: int, flip: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(node ids int64, signatures (n, num_perm) uint32)`` of one synthetic shard."""
    rng = np.random.default_rng([7, shard])
    sig = rng.integers(0, 1 << 32, size=(n_docs, num_perm), dtype=np.uint32)
    dup = np.flatnonzero(rng.random(n_docs) < dup_frac)
    if dup.size:
        fam = rng.integers(0, families, size=dup.size).astype(np.uint64)
        cols = np.arange(num_perm, dtype=np.uint64)
        base = mix64(fam[:, None] * np.uint64(num_perm) + cols[None, :]) & np.uint64(0xFFFFFFFF)
        keep = rng.random((dup.size, num_perm)) >= flip
        sig[dup] = np.where(keep, base.astype(np.uint32), sig[dup])
    ids = mix64(np.arange(n_docs, dtype=np.uint64) + np.uint64(shard) * np.uint64(1 << 32))
    nodes = (ids & np.uint64((1 << 63) - 1)).astype(np.int64)
    return nodes, sig


class _Bands:
    """near/bands of one synthetic shard: generate its signatures, write its band rows."""

    def __init__(self, spec: dict[str, float], out: Path, bands: int, rows: int, parts: int):
        self.spec, self.out, self.bands, self.rows, self.parts = spec, out, bands, rows, parts

    def __call__(self, shard: str) -> list[float]:
        s = self.spec
        k = int(shard)
        c0, t0 = _cpu(), time.time()
        size = int(min(SHARD_DOCS, s["n"] - k * SHARD_DOCS))
        nodes, sig = shard_signatures(
            k, size, int(s["num_perm"]), s["dup_frac"], int(s["families"]), s["flip"]
        )
        gen_cpu, gen_wall = _cpu() - c0, time.time() - t0
        written = write_bands(nodes, sig, self.bands, self.rows, self.parts, self.out, shard)
        return [written, gen_cpu, gen_wall]


class _PeakDisk(LocalRunner):
    """The in-process runner, noting the bytes under ``folder`` after every step (a step's
    input and output both exist then: the peak of a folder whose old rounds are deleted)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.peak = folder, 0

    def map(self, fn, items, **kw):  # type: ignore[no-untyped-def, override]
        out = super().map(fn, items, **kw)
        self.peak = max(self.peak, _du(self.folder))
        return out


def disk_estimate(n: int, bands: int) -> int:
    """Bytes the simulation will need at its peak (band rows + star edges; signatures never
    reach the disk). ``BYTES_PER_BAND_ROW`` is measured (docs/scale.md: 14.7 B per stored band
    row at N = 3M), with a 25% margin."""
    return int(1.25 * n * (bands * BYTES_PER_BAND_ROW + BYTES_PER_DOC_EDGES))


class _Edges:
    def __init__(self, bands_dir: Path, out: Path, node_parts: int):
        self.bands_dir, self.out, self.node_parts = bands_dir, out, node_parts

    def __call__(self, part: str) -> int:
        return star_edges(self.bands_dir, part, self.out, self.node_parts)


class _Labels:
    def __init__(self, converged: Path):
        self.converged = converged

    def __call__(self, part: str) -> list[int]:
        lab = labels(self.converged, int(part))
        if lab.height == 0:
            return [0, 0]
        # A component's root (node == label) lives in exactly one partition: summing roots
        # over partitions counts components exactly.
        return [lab.height, int((lab["node"] == lab["label"]).sum())]


def simulate(args: argparse.Namespace) -> dict[str, object]:
    cfg = DedupConfig()
    bands, rows = (args.bands, args.rows) if args.bands else lsh_params(cfg)
    num_perm = cfg.near.num_perm
    budget = args.budget_mb * 1024 * 1024
    n = args.n
    band_parts = max(cfg.near.band_partitions, -(-n * bands * BAND_ROW_BYTES // budget))
    node_parts = partitions_for(4 * n, budget, cfg.near.min_partitions)
    work = Path(args.work) / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    need, free = disk_estimate(n, bands), shutil.disk_usage(work).free
    print(
        f"n={n}: needs about {need / 1e9:,.1f} GB of disk at its peak, {free / 1e9:,.1f} GB free",
        file=sys.stderr,
        flush=True,
    )
    if need > free:
        shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(f"n={n}: not enough disk under {args.work} ({need / 1e9:,.1f} GB needed)")
    run = RunDir.at(work / "run")
    runner = LocalRunner()
    n_shards = -(-n // SHARD_DOCS)
    shards = [f"{k:05d}" for k in range(n_shards)]
    families = max(1, int(n * args.dup_frac / args.family_size))
    rec: dict[str, object] = {
        "n": n,
        "num_perm": num_perm,
        "bands": bands,
        "rows": rows,
        "band_parts": band_parts,
        "node_parts": node_parts,
        "budget_mb": args.budget_mb,
        "dup_frac": args.dup_frac,
        "families": families,
        "shards": n_shards,
        "phases": {},
    }
    phases: dict[str, dict[str, float]] = rec["phases"]  # type: ignore[assignment]

    def phase(name: str, t0: float, c0: float, **extra: float) -> None:
        phases[name] = {
            "wall_s": round(time.time() - t0, 2),
            "cpu_s": round(_cpu() - c0, 2),
            "peak_rss_mb": round(_rss_mb(), 1),
            **extra,
        }
        print(f"n={n} {name}: {phases[name]}", file=sys.stderr, flush=True)

    near = work / "run" / "dedup" / "near"
    fp = "sim"
    spec = {
        "n": n,
        "num_perm": num_perm,
        "dup_frac": args.dup_frac,
        "families": families,
        "flip": args.flip,
    }
    t0, c0 = time.time(), _cpu()
    res = map_step(
        run, runner, "sim/bands", fp, _Bands(spec, near / "bands", bands, rows, band_parts), shards
    )
    gen_cpu, gen_wall = sum(r[1] for r in res), sum(r[2] for r in res)
    phases["gen"] = {
        "wall_s": round(gen_wall, 2),
        "cpu_s": round(gen_cpu, 2),
        "peak_rss_mb": round(_rss_mb(), 1),
        "disk_bytes": 0,
    }
    phase(
        "bands",
        t0 + gen_wall,
        c0 + gen_cpu,
        rows=int(sum(r[0] for r in res)),
        disk_bytes=_du(near / "bands"),
    )

    t0, c0 = time.time(), _cpu()
    res = map_step(
        run,
        runner,
        "sim/edges",
        fp,
        _Edges(near / "bands", near / "cc_in", node_parts),
        [str(k) for k in range(band_parts)],
    )
    phase("edges", t0, c0, edges=sum(res), disk_bytes=_du(near / "cc_in"))
    if not args.keep_bands:
        shutil.rmtree(near / "bands")

    t0, c0 = time.time(), _cpu()
    cc_runner = _PeakDisk(near / "cc")
    converged, rounds = connected_components(
        run,
        cc_runner,
        name="sim/cc",
        edges=near / "cc_in",
        work=near / "cc",
        parts=node_parts,
        fingerprint=fp,
    )
    phase("cc", t0, c0, rounds=rounds, disk_bytes=cc_runner.peak)

    t0, c0 = time.time(), _cpu()
    res = map_step(
        run,
        runner,
        "sim/label",
        fp,
        _Labels(converged),
        [str(k) for k in range(node_parts)],
    )
    linked = sum(r[0] for r in res)
    comps = sum(r[1] for r in res)
    phase("label", t0, c0, linked_nodes=linked, components=comps)
    rec["peak_rss_mb"] = round(_rss_mb(), 1)
    rec["wall_s"] = round(sum(p["wall_s"] for p in phases.values()), 2)
    rec["cpu_s"] = round(sum(p["cpu_s"] for p in phases.values()), 2)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return rec


def fit(path: Path) -> dict[str, dict[str, float]]:
    """Per phase, the exponent b of ``cpu_s = a * N^b`` (least squares in log-log) and CPU
    seconds per million documents at the largest N; same for peak RSS."""
    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_n = {r["n"]: r for r in recs}
    ns = sorted(by_n)
    out: dict[str, dict[str, float]] = {}
    names = list(by_n[ns[-1]]["phases"])
    for name in [*names, "total"]:
        xs, ys, rs = [], [], []
        for k in ns:
            r = by_n[k]
            p = r["phases"].get(name) if name != "total" else r
            if p is None or p["cpu_s"] <= 0:
                continue
            xs.append(math.log(k))
            ys.append(math.log(max(p["cpu_s"], 1e-3)))
            rs.append(math.log(p["peak_rss_mb"]))
        big = by_n[ns[-1]]
        p = big["phases"][name] if name != "total" else big
        row = {"cpu_s_per_million": p["cpu_s"] / (ns[-1] / 1e6), "n_max": ns[-1]}
        if len(xs) >= 2:
            row["cpu_exponent"] = float(np.polyfit(xs, ys, 1)[0])
            row["rss_exponent"] = float(np.polyfit(xs, rs, 1)[0])
        out[name] = row
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, action="append", help="documents (repeatable)")
    ap.add_argument("--work", default=".bench/scale/work")
    ap.add_argument("--json", type=Path, help="append one JSON record per N to this file")
    ap.add_argument("--budget-mb", type=int, default=DedupConfig().near.memory_budget_mb)
    ap.add_argument("--dup-frac", type=float, default=0.03, help="planted near-copies")
    ap.add_argument("--family-size", type=float, default=4.0, help="mean copies per family")
    ap.add_argument("--flip", type=float, default=0.1, help="perturbed signature fraction")
    ap.add_argument("--bands", type=int, help="LSH bands (default: the dedup config's)")
    ap.add_argument("--rows", type=int, help="LSH rows per band (with --bands)")
    ap.add_argument("--keep-bands", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--fit", type=Path, help="print growth fits of a --json file and exit")
    args = ap.parse_args(argv)
    if args.fit:
        print(json.dumps(fit(args.fit), indent=2))
        return 0
    for n in args.n or [1_000_000]:
        args.n = n
        rec = simulate(args)
        print(json.dumps(rec))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            with args.json.open("a") as f:
                f.write(json.dumps(rec) + "\n")
        args.n = None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
