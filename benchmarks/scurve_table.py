"""Print the LSH S-curve table (docs/dedup.md) for candidate (bands, rows) settings.

PYTHONPATH=. python benchmarks/scurve_table.py [--threshold 0.7] [--num-perm 256]
"""

from __future__ import annotations

import argparse

from curate.dedup.minhash import candidate_probability, optimal_bands

SIMS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def table(settings: list[tuple[int, int]]) -> str:
    head = "| bands x rows | " + " | ".join(f"J={s}" for s in SIMS) + " |"
    sep = "|---" * (len(SIMS) + 1) + "|"
    lines = [head, sep]
    for b, r in settings:
        cells = " | ".join(f"{candidate_probability(s, b, r):.3f}" for s in SIMS)
        lines.append(f"| {b} x {r} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--num-perm", type=int, default=256)
    args = ap.parse_args()
    derived = optimal_bands(args.threshold, args.num_perm)
    print(f"derived for threshold {args.threshold}, num_perm {args.num_perm}: {derived}")
    print(table([derived, (32, 8), (42, 6), (51, 5), (64, 4)]))


if __name__ == "__main__":
    main()
