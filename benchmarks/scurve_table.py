"""Print the LSH S-curve table (docs/dedup.md) for candidate (bands, rows) settings.

PYTHONPATH=. python benchmarks/scurve_table.py [--threshold 0.7] [--num-perm 256]
"""

from __future__ import annotations

import argparse

from curate.dedup.minhash import candidate_probability, optimal_bands, recall_bands

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
    ap.add_argument("--min-recall", type=float, default=0.99)
    args = ap.parse_args()
    derived = recall_bands(args.threshold, args.num_perm, args.min_recall)
    old = optimal_bands(args.threshold, args.num_perm)
    print(
        f"threshold {args.threshold}, num_perm {args.num_perm}: default (min_recall "
        f"{args.min_recall}) {derived}; equal FP/FN weights (min_recall = None) {old}"
    )
    rest = [(32, 8), (36, 7), (42, 6), (51, 5), (64, 4)]
    print(table([old, *[x for x in rest if x != derived], derived]))


if __name__ == "__main__":
    main()
