"""Near-dedup scale simulation: the REAL band partition, star-edge and connected-components code
of ``curate.dedup`` on synthetic MinHash signatures written to disk (issue 15.6).

Only the signatures are synthetic (the MinHash of real text is measured by bench_e2e): each
shard's signatures (``rows`` uint32 per band and document, from seeds fixed per shard and band)
are generated inside its bands task, so only band rows reach the disk (at N = 100M the
signatures alone would be 100 GB; their generation CPU is reported as ``gen`` and not counted in
``bands``), then

* ``bands``  per shard: ``minhash.band_hashes`` + ``shuffle.write_partitioned`` (as near/bands),
* ``edges``  per band partition: ``near.star_edges`` (buckets -> stars, LS input layout),
* ``cc``     ``components.connected_components`` (large-star/small-star, on-disk shuffle),
* ``label``  per node partition: ``components.labels``,

with partition counts from the same formulas ``near.plan_near`` uses (``memory_budget_mb``).
A planted fraction of documents are near-copies of a shared "family" signature (a few values
perturbed) so buckets, edges and components are non-trivial and span shards.

Disk: band rows are ~20 B each (bands x N of them: 84 GB at N = 100M), so the bands and edges
phases can run in ``--passes`` over disjoint slices of the bands (``auto``: as few as keep the
band rows under ``--max-disk-gb``). Buckets never span bands, so the union of the passes' star
edges is exactly the one-pass edge set; each pass's partitions are sized by the same budget, so
per-partition work is that of the real pipeline. A pass's band rows are deleted once its edges
are written. ``disk_bytes`` of bands is the sum over passes (what the pipeline stores at once),
``peak_disk_bytes`` what this run held.

Before starting it prints the disk it needs and an estimate of its CPU and wall time from the
rates of the largest run in ``--rates`` (default: the ``--json`` file). ``--workers K`` runs
every step on K worker processes (``spawn``); CPU s are the sum of the units' CPU (the engine's
step statistics) and peak RSS the maximum over all processes. It refuses to start when the disk
does not fit, stops with one clear line on a full disk, and ``--resume`` continues a killed or
failed run from its completed units. Then ``--fit`` gives growth exponents::

    nice -n 10 python benchmarks/sim_dedup_scale.py --n 1000000 --json .bench/scale/sim.jsonl
    python benchmarks/sim_dedup_scale.py --fit .bench/scale/sim.jsonl
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import math
import multiprocessing
import resource
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from curate.dedup.components import connected_components, labels, partitions_for
from curate.dedup.config import (
    BAND_PARTITIONS,
    NODE_PARTITIONS,
    DedupConfig,
    minimum_partitions,
)
from curate.dedup.near import BAND_ROW_BYTES, lsh_params, star_edges, write_bands
from curate.dedup.shuffle import mix64
from curate.engine.runner import LocalRunner
from curate.engine.step import map_step
from curate.rundir import RunDir

SHARD_DOCS = 250_000
BYTES_PER_BAND_ROW = 20.5
"""Stored bytes per band row at full scale: 20.05 measured for a 250k-document shard written
into 752 partitions (the N = 100M layout; zstd, dictionary pages), 14.7 at N = 3M (23
partitions, where a node's rows repeat inside a row group and compress)."""
BYTES_PER_DOC_EDGES = 16
"""Star edges (both orientations) plus the two live components rounds, per document (~11
measured at 3M), with margin."""
DISK_MARGIN = 1.1


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def shard_signatures(
    shard: int,
    n_docs: int,
    num_perm: int,
    dup_frac: float,
    families: int,
    flip: float,
    bands: Sequence[int] = (),
    rows: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(node ids int64, signatures (n, len(bands) * rows) uint32)`` of one synthetic shard:
    the signature columns of ``bands`` only (each band's values from its own seed, so any
    slice of the bands is generated alone and equals that slice of the whole)."""
    rng = np.random.default_rng([7, shard])
    dup = np.flatnonzero(rng.random(n_docs) < dup_frac)
    fam = rng.integers(0, families, size=dup.size).astype(np.uint64)
    sig = np.empty((n_docs, len(bands) * rows), np.uint32)
    for i, j in enumerate(bands):
        brng = np.random.default_rng([7, shard, 1 + j])
        block = brng.integers(0, 1 << 32, size=(n_docs, rows), dtype=np.uint32)
        if dup.size:
            cols = np.arange(j * rows, (j + 1) * rows, dtype=np.uint64)
            base = mix64(fam[:, None] * np.uint64(num_perm) + cols[None, :]) & np.uint64(0xFFFFFFFF)
            keep = brng.random((dup.size, rows)) >= flip
            block[dup] = np.where(keep, base.astype(np.uint32), block[dup])
        sig[:, i * rows : (i + 1) * rows] = block
    ids = mix64(np.arange(n_docs, dtype=np.uint64) + np.uint64(shard) * np.uint64(1 << 32))
    nodes = (ids & np.uint64((1 << 63) - 1)).astype(np.int64)
    return nodes, sig


class _Bands:
    """near/bands of one synthetic shard for bands ``first`` .. ``first + count - 1``: generate
    those signature columns, write their band rows."""

    def __init__(
        self, spec: dict[str, float], out: Path, first: int, count: int, rows: int, parts: int
    ):
        self.spec, self.out, self.first, self.count = spec, out, first, count
        self.rows, self.parts = rows, parts

    def __call__(self, shard: str) -> list[float]:
        s = self.spec
        k = int(shard)
        c0, t0 = time.process_time(), time.time()
        size = int(min(s["shard_docs"], s["n"] - k * s["shard_docs"]))
        nodes, sig = shard_signatures(
            k,
            size,
            int(s["num_perm"]),
            s["dup_frac"],
            int(s["families"]),
            s["flip"],
            range(self.first, self.first + self.count),
            self.rows,
        )
        gen_cpu, gen_wall = time.process_time() - c0, time.time() - t0
        written = write_bands(
            nodes, sig, self.count, self.rows, self.parts, self.out, shard, self.first
        )
        return [written, gen_cpu, gen_wall]


class _Edges:
    def __init__(self, bands_dir: Path, out: Path, node_parts: int, prefix: str):
        self.bands_dir, self.out, self.node_parts, self.prefix = bands_dir, out, node_parts, prefix

    def __call__(self, part: str) -> int:
        writer = f"{self.prefix}{int(part):05d}"
        return star_edges(self.bands_dir, part, self.out, self.node_parts, writer)


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


class _Pool:
    """A runner over ``workers`` spawned processes (kept for the whole simulation): results in
    item order, a progress line on stderr at most every 30 s."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx)

    def map(
        self,
        fn: Callable[[Any], Any],
        items: Sequence[Any],
        *,
        desc: str = "",
        num_cpus: float = 1.0,
        memory_bytes: int | None = None,
        progress: Callable[[Any], dict[str, float]] | None = None,
        pool: str = "",  # one process pool serves every step here
    ) -> list[Any]:
        futures = [self._pool.submit(fn, item) for item in items]
        out, t0, last = [], time.time(), time.time()
        for f in futures:
            out.append(f.result())
            if time.time() - last >= 30:
                print(
                    f"{desc}: {len(out)}/{len(items)} units, {time.time() - t0:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
                last = time.time()
        return out

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class _PeakDisk:
    """Wraps a runner, noting the bytes under ``folder`` after every step (a step's input and
    output both exist then: the peak of a folder whose old rounds are deleted)."""

    def __init__(self, inner: Any, folder: Path) -> None:
        self.inner, self.folder, self.peak = inner, folder, 0
        self.workers = inner.workers

    def map(self, fn, items, **kw):  # type: ignore[no-untyped-def]
        out = self.inner.map(fn, items, **kw)
        self.peak = max(self.peak, _du(self.folder))
        return out

    def close(self) -> None:
        pass


def _step_counters(run: RunDir, prefix: str) -> tuple[float, float]:
    """``(CPU s summed over units, largest per-process peak RSS MB)`` of the steps whose name
    starts with ``prefix``, from the engine's step statistics (every unit, also those done
    before a resume)."""
    cpu, rss = 0.0, 0.0
    stem = prefix.replace("/", "__")
    for f in (run.stats / "steps").glob(f"{stem}*.json"):
        c = json.loads(f.read_text()).get("counters", {})
        cpu += float(c.get("cpu_s", 0.0))
        rss = max(rss, float(c.get("max_rss_mb", 0.0)))
    return cpu, rss


def _band_parts(n: int, bands: int, budget: int) -> int:
    """Band partitions of a pass over ``bands`` bands (``near.plan_near``'s formula)."""
    least = minimum_partitions(DedupConfig().near.band_partitions, BAND_PARTITIONS, None)
    return max(least, -(-n * bands * BAND_ROW_BYTES // budget))


def _pass_disk(work: Path, g: int, bands_dir: Path) -> int:
    """Bytes of pass ``g``'s band rows, measured once and kept in ``work`` (a resumed run finds
    the rows of finished passes deleted)."""
    saved = work / "pass_disk.json"
    known = json.loads(saved.read_text()) if saved.exists() else {}
    if str(g) not in known or bands_dir.exists():
        known[str(g)] = _du(bands_dir)
        saved.write_text(json.dumps(known))
    return int(known[str(g)])


def band_groups(bands: int, passes: int) -> list[tuple[int, int]]:
    """``(first band, bands)`` of each pass: ``bands`` split into ``passes`` nearly equal runs."""
    passes = max(1, min(passes, bands))
    return [(int(g[0]), len(g)) for g in np.array_split(np.arange(bands), passes)]


def disk_estimate(n: int, bands: int, passes: int = 1) -> int:
    """Bytes the simulation holds at its peak: one pass's band rows + star edges and components
    rounds (signatures never reach the disk), with ``DISK_MARGIN``."""
    per_pass = max(count for _, count in band_groups(bands, passes))
    return int(DISK_MARGIN * n * (per_pass * BYTES_PER_BAND_ROW + BYTES_PER_DOC_EDGES))


def auto_passes(n: int, bands: int, max_bytes: float) -> int:
    """The fewest passes whose peak disk fits ``max_bytes`` (at most one band per pass)."""
    for passes in range(1, bands + 1):
        if disk_estimate(n, bands, passes) <= max_bytes:
            return passes
    return bands


FILE_OPEN_CPU_S = 0.65e-3
"""CPU per writer file an edges task opens (footer of ~150 row groups + its row group; measured
with 400 files): the term of edges that grows with N x shards, not N."""


def file_reads(band_parts: int, shards: int, node_parts: int, rounds: int = 2) -> dict[str, int]:
    """Writer files opened per phase (a task opens every writer's file of its range): edges
    read every shard's band file; components read cc_in (one writer per band partition) in
    the first large-star step, then each of the ``2 * rounds`` further steps the previous
    step's ``node_parts`` writers; labels the converged round's."""
    return {
        "edges": band_parts * shards,
        "cc": band_parts * node_parts + 2 * rounds * node_parts * node_parts,
        "label": node_parts * node_parts,
    }


def cpu_estimate(
    n: int, rates: Path | None, reads: dict[str, int] | None = None
) -> dict[str, float] | None:
    """Per phase CPU s at ``n`` from the last run of the largest N in ``rates``: linear in N
    (per-partition work is constant once partitions are at the budget), plus
    ``FILE_OPEN_CPU_S`` per file read beyond that run's scaled linearly (``reads``:
    ``file_reads`` at ``n``; file opens grow as N x writers). None without a usable file."""
    if rates is None or not rates.exists():
        return None
    recs = [json.loads(x) for x in rates.read_text().splitlines() if x.strip()]
    if not recs:
        return None
    big = max(enumerate(recs), key=lambda ir: (ir[1]["n"], ir[0]))[1]
    out = {ph: p["cpu_s"] * n / big["n"] for ph, p in big["phases"].items()}
    if reads and {"band_parts", "shards", "node_parts"} <= big.keys():
        rounds = int(big["phases"].get("cc", {}).get("rounds", 2))
        had = file_reads(big["band_parts"], big["shards"], big["node_parts"], rounds)
        for ph, count in reads.items():
            if ph in out:
                out[ph] += FILE_OPEN_CPU_S * max(0.0, count - had[ph] * n / big["n"])
    speed = big.get("cpu_s", 0) / big["wall_s"] if big.get("wall_s") else 0.0
    return out | {"from_n": big["n"], "cpu_per_wall": speed}


def simulate(args: argparse.Namespace) -> dict[str, object]:
    cfg = DedupConfig()
    bands, rows = (args.bands, args.rows) if args.bands else lsh_params(cfg)
    num_perm = cfg.near.num_perm
    budget = args.budget_mb * 1024 * 1024
    n = args.n
    node_parts = partitions_for(
        4 * n, budget, minimum_partitions(cfg.near.min_partitions, NODE_PARTITIONS, None)
    )
    work = Path(args.work) / f"n{n}"
    if not args.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(work).free + _du(work)
    max_disk = args.max_disk_gb * 1e9 if args.max_disk_gb else 0.8 * free
    passes = args.passes or auto_passes(n, bands, max_disk)
    groups = band_groups(bands, passes)
    need = disk_estimate(n, bands, len(groups))
    n_shards = -(-n // args.shard_docs)
    families = max(1, int(n * args.dup_frac / args.family_size))
    spec = {
        "n": n,
        "num_perm": num_perm,
        "dup_frac": args.dup_frac,
        "families": families,
        "flip": args.flip,
        "shard_docs": args.shard_docs,
    }
    # A resumed run reuses units of the same spec and layout only.
    layout = {**spec, "bands": bands, "rows": rows, "budget": budget, "groups": groups}
    fp = hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:16]
    print(
        f"n={n}: {len(groups)} pass(es) over {bands} bands, {n_shards} shards, workers "
        f"{args.workers}; needs about {need / 1e9:,.1f} GB of disk at its peak "
        f"(one pass would need {disk_estimate(n, bands) / 1e9:,.1f} GB), "
        f"{free / 1e9:,.1f} GB free",
        file=sys.stderr,
        flush=True,
    )
    parts = [_band_parts(n, count, budget) for _, count in groups]
    est = cpu_estimate(n, args.rates or args.json, file_reads(sum(parts), n_shards, node_parts))
    if est is not None:
        speed = est.pop("cpu_per_wall")
        from_n = int(est.pop("from_n"))
        total = sum(est.values())
        at_speed = f", about {total / speed / 60:,.0f} min at that run's CPU/wall" if speed else ""
        print(
            f"n={n}: estimated CPU {total:,.0f} s ({total / 3600:.2f} h; "
            + ", ".join(f"{k} {v:,.0f}" for k, v in est.items())
            + f"; linear from the N={from_n:,} run), wall >= "
            f"{total / args.workers / 60:,.0f} min on {args.workers} worker(s){at_speed}",
            file=sys.stderr,
            flush=True,
        )
    if need > free:
        raise SystemExit(
            f"n={n}: not enough disk under {args.work} ({need / 1e9:,.1f} GB needed, "
            f"{free / 1e9:,.1f} GB free); use more --passes"
        )
    if args.dry_run:
        return {}
    runner: Any = _Pool(args.workers) if args.workers > 1 else LocalRunner()
    try:
        return _simulate(args, work, runner, spec, fp, groups, rows, node_parts, budget)
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        raise SystemExit(
            f"n={n}: disk full under {work} ({err.strerror}); free space, then rerun the same "
            "command with --resume (or more --passes)"
        ) from None
    finally:
        runner.close()


def _simulate(
    args: argparse.Namespace,
    work: Path,
    runner: Any,
    spec: dict[str, float],
    fp: str,
    groups: list[tuple[int, int]],
    rows: int,
    node_parts: int,
    budget: int,
) -> dict[str, object]:
    n = args.n
    bands = sum(count for _, count in groups)
    run = RunDir.at(work / "run")
    near = work / "run" / "dedup" / "near"
    shards = [f"{k:05d}" for k in range(-(-n // args.shard_docs))]
    band_parts = [_band_parts(n, count, budget) for _, count in groups]
    rec: dict[str, object] = {
        "n": n,
        "num_perm": spec["num_perm"],
        "bands": bands,
        "rows": rows,
        "band_parts": sum(band_parts),
        "node_parts": node_parts,
        "budget_mb": args.budget_mb,
        "dup_frac": args.dup_frac,
        "families": spec["families"],
        "shards": len(shards),
        "passes": len(groups),
        "workers": args.workers,
        "phases": {},
    }
    phases: dict[str, dict[str, float]] = rec["phases"]  # type: ignore[assignment]
    wall: dict[str, float] = {"bands": 0.0, "edges": 0.0}
    bands_rows = edges = bands_disk = peak_disk = 0
    gen_cpu = gen_wall = 0.0
    for g, ((first, count), parts) in enumerate(zip(groups, band_parts, strict=True)):
        bands_dir = near / f"bands-g{g:02d}"
        t0 = time.time()
        job = _Bands(spec, bands_dir, first, count, rows, parts)
        res = map_step(run, runner, f"sim/bands/g{g:02d}", fp, job, shards)
        wall["bands"] += time.time() - t0
        bands_rows += int(sum(r[0] for r in res))
        gen_cpu += sum(r[1] for r in res)
        gen_wall += sum(r[2] for r in res)
        disk = _pass_disk(work, g, bands_dir)
        bands_disk += disk
        t0 = time.time()
        job2 = _Edges(bands_dir, near / "cc_in", node_parts, f"g{g:02d}-")
        res = map_step(run, runner, f"sim/edges/g{g:02d}", fp, job2, [str(k) for k in range(parts)])
        wall["edges"] += time.time() - t0
        edges += sum(res)
        peak_disk = max(peak_disk, disk + _du(near / "cc_in") + _du(near / "cc"))
        if not args.keep_bands:
            shutil.rmtree(bands_dir, ignore_errors=True)
        print(f"n={n} pass {g + 1}/{len(groups)} done", file=sys.stderr, flush=True)

    def phase(name: str, wall_s: float, prefix: str, cpu_less: float = 0.0, **extra: float) -> None:
        cpu, rss = _step_counters(run, prefix)
        phases[name] = {
            "wall_s": round(wall_s, 2),
            "cpu_s": round(cpu - cpu_less, 2),
            "peak_rss_mb": round(max(rss, _rss_mb()), 1),
            **extra,
        }
        print(f"n={n} {name}: {phases[name]}", file=sys.stderr, flush=True)

    gen_wall_share = gen_wall / max(1, args.workers)
    phases["gen"] = {
        "wall_s": round(gen_wall_share, 2),
        "cpu_s": round(gen_cpu, 2),
        "peak_rss_mb": round(_rss_mb(), 1),
        "disk_bytes": 0,
    }
    phase(
        "bands",
        wall["bands"] - gen_wall_share,
        "sim/bands/",
        gen_cpu,
        rows=bands_rows,
        rows_per_part=round(bands_rows / sum(band_parts)),
        disk_bytes=bands_disk,
        peak_disk_bytes=peak_disk,
    )
    phase(
        "edges",
        wall["edges"],
        "sim/edges/",
        edges=edges,
        file_reads=file_reads(sum(band_parts), len(shards), node_parts)["edges"],
        disk_bytes=_du(near / "cc_in"),
    )

    t0 = time.time()
    cc_runner = _PeakDisk(runner, near / "cc")
    converged, rounds = connected_components(
        run,
        cc_runner,
        name="sim/cc",
        edges=near / "cc_in",
        work=near / "cc",
        parts=node_parts,
        fingerprint=fp,
    )
    reads = file_reads(sum(band_parts), len(shards), node_parts, rounds)["cc"]
    phase(
        "cc",
        time.time() - t0,
        "sim/cc/",
        rounds=rounds,
        file_reads=reads,
        disk_bytes=cc_runner.peak,
    )

    t0 = time.time()
    res = map_step(
        run, runner, "sim/label", fp, _Labels(converged), [str(k) for k in range(node_parts)]
    )
    linked = sum(r[0] for r in res)
    comps = sum(r[1] for r in res)
    phase("label", time.time() - t0, "sim/label", linked_nodes=linked, components=comps)
    rec["peak_rss_mb"] = max(p["peak_rss_mb"] for p in phases.values())
    rec["driver_rss_mb"] = round(_rss_mb(), 1)
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
    ap.add_argument("--shard-docs", type=int, default=SHARD_DOCS, help="documents per shard")
    ap.add_argument("--workers", type=int, default=1, help="worker processes (1: in-process)")
    ap.add_argument("--passes", type=int, help="passes over slices of the bands (default: auto)")
    ap.add_argument(
        "--max-disk-gb", type=float, help="peak disk for auto passes (default: 80%% of free)"
    )
    ap.add_argument("--resume", action="store_true", help="continue the work folder's run")
    ap.add_argument("--rates", type=Path, help="JSON lines of an earlier run for the estimate")
    ap.add_argument("--dry-run", action="store_true", help="print the estimates only")
    args = ap.parse_args(argv)
    if args.fit:
        print(json.dumps(fit(args.fit), indent=2))
        return 0
    for n in args.n or [1_000_000]:
        args.n = n
        rec = simulate(args)
        if not rec:  # --dry-run
            continue
        print(json.dumps(rec))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            with args.json.open("a") as f:
                f.write(json.dumps(rec) + "\n")
        args.n = None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
