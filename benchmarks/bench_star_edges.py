"""CPU of the near-dedup edge and band kernels against the straightforward code they replaced, in
the same run, on one near-full band partition of synthetic signatures (those of
``sim_dedup_scale.py``), checking identical results::

    nice -n 10 python benchmarks/bench_star_edges.py            # N = 3M: 23 partitions, ~5.5M rows

Prints one JSON object: per kernel the CPU s of the reference and of the curate code, their
ratio, and whether the outputs are equal (edges: sorted distinct ``(u, v)``; band hashes: the
array).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _repo  # noqa: F401  (puts the repository root on sys.path: tests.support)
import sim_dedup_scale as sim

from curate.dedup.minhash import band_hashes
from curate.dedup.near import BAND, BAND_ROW_BYTES, star_pairs, write_bands
from curate.dedup.shuffle import read_partition
from tests.support.near_reference import band_hashes_reference, star_edges_reference


def _cpu(fn, *args):  # type: ignore[no-untyped-def]
    t = time.process_time()
    out = fn(*args)
    return out, time.process_time() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=3_000_000, help="documents of the simulated run")
    ap.add_argument("--part", type=int, default=0, help="the band partition timed")
    ap.add_argument("--budget-mb", type=int, default=512)
    args = ap.parse_args(argv)
    bands, rows, num_perm = 42, 6, 256
    parts = max(16, -(-args.n * bands * BAND_ROW_BYTES // (args.budget_mb << 20)))
    families = max(1, int(args.n * 0.03 / 4))
    tmp = Path(tempfile.mkdtemp(prefix="bench-star-"))
    try:
        sig0 = None
        for k in range(-(-args.n // sim.SHARD_DOCS)):
            size = min(sim.SHARD_DOCS, args.n - k * sim.SHARD_DOCS)
            nodes, sig = sim.shard_signatures(
                k, size, num_perm, 0.03, families, 0.1, range(bands), rows
            )
            write_bands(nodes, sig, bands, rows, parts, tmp, f"{k:05d}")
            sig0 = sig if sig0 is None else sig0
        assert sig0 is not None
        part = read_partition(tmp, args.part, BAND)
        ref, ref_s = _cpu(star_edges_reference, part)
        (u, v), new_s = _cpu(
            star_pairs, part["band"].to_numpy(), part["bh"].to_numpy(), part["node"].to_numpy()
        )
        ref = ref.sort("u", "v")
        same = np.array_equal(ref["u"].to_numpy(), u) and np.array_equal(ref["v"].to_numpy(), v)
        bh_ref, bh_ref_s = _cpu(band_hashes_reference, sig0, bands, rows)
        bh_new, bh_new_s = _cpu(band_hashes, sig0, bands, rows)
        out = {
            "n": args.n,
            "partition_rows": part.height,
            "edges": {
                "reference_cpu_s": round(ref_s, 3),
                "curate_cpu_s": round(new_s, 3),
                "ratio": round(ref_s / max(new_s, 1e-9), 2),
                "identical": same,
                "edges": len(u),
            },
            "band_hashes": {
                "signatures": sig0.shape[0],
                "reference_cpu_s": round(bh_ref_s, 3),
                "curate_cpu_s": round(bh_new_s, 3),
                "ratio": round(bh_ref_s / max(bh_new_s, 1e-9), 2),
                "identical": bool(np.array_equal(bh_ref, bh_new)),
            },
        }
        print(json.dumps(out, indent=2))
        return 0 if same and out["band_hashes"]["identical"] else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
