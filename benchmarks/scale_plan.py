"""Write docs/scale.md: a The Stack v2-sized run (67.5 TB, ~3.3 billion files) on 2,048 cores,
computed from measured rates (issue 15.6). Nothing in the doc is typed in.

Inputs (all re-read on every run, so the lead regenerates the doc after merging faster code):

* per-step MB/CPU-s from docs/benchmarks.md's ``<!-- bench_e2e -->`` table (``--rate STEP=X``
  overrides one; used as-is if the table cannot be parsed),
* the dedup simulation's JSON lines (benchmarks/sim_dedup_scale.py: CPU s, peak RSS and shuffle
  bytes of the real band partition / star edges / components / labels at several N),
* optional: the bench_e2e run folder (read-only) for stored bytes per ingested MB.

    python benchmarks/sim_dedup_scale.py --n 1000000 --json .bench/scale/sim.jsonl  # per N
    python benchmarks/scale_plan.py --sim .bench/scale/sim.jsonl --write
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from sim_dedup_scale import fit  # noqa: E402

from curate.dedup.components import BYTES_PER_EDGE_ROW  # noqa: E402

# Current measured MB/CPU-s (docs/benchmarks.md bench_e2e, session 3) if the table is missing.
FALLBACK_RATES = {
    "ingest": 44.5,
    "annotate": 1.6,
    "dedup": 16.7,
    "dedup/near/bands": 18.9,
    "policy": 970.6,
    "mixture": 81.4,
    "card": 82.4,
    "summary": 3776.1,
}
FALLBACK_CORPUS = {"mb": 244.7, "docs": 26247}
TOP_STEPS = ["ingest", "annotate", "dedup", "policy", "mixture", "card", "summary"]
GB = 1024**3


@dataclass(frozen=True)
class E2E:
    rates: dict[str, float]
    mb: float
    docs: int
    peak_rss_mb: float | None
    source: str


def read_e2e(doc: Path) -> E2E:
    """Step -> MB/CPU-s, corpus MB and documents from the first bench_e2e block."""
    text = doc.read_text() if doc.exists() else ""
    m = re.search(r"<!-- bench_e2e -->(.*?)<!-- bench_e2e -->", text, re.S)
    if not m:
        return E2E(dict(FALLBACK_RATES), FALLBACK_CORPUS["mb"], FALLBACK_CORPUS["docs"], None, "")
    block = m.group(1)
    corpus = re.search(r"(\d+) documents, ([\d.]+) MB ingested", block)
    corpus_mb = float(corpus.group(2)) if corpus else None
    rates: dict[str, float] = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or "&nbsp;" in cells[0]:
            continue
        try:
            # MB / CPU s keeps more digits than the table's rounded MB/CPU-s column.
            cpu = float(cells[1])
            rates[cells[0]] = corpus_mb / cpu if corpus_mb and cpu > 0 else float(cells[2])
        except ValueError:
            continue
    rss = re.search(r"peak RSS of the pipeline process (\d+) MB", block)
    ok = all(s in rates for s in ("ingest", "annotate", "dedup"))
    return E2E(
        rates if ok else dict(FALLBACK_RATES),
        float(corpus.group(2)) if corpus else FALLBACK_CORPUS["mb"],
        int(corpus.group(1)) if corpus else FALLBACK_CORPUS["docs"],
        float(rss.group(1)) if rss else None,
        f"{doc.relative_to(ROOT)} (bench_e2e block)" if ok else "",
    )


def stored_ratios(run: Path, mb: float) -> dict[str, float]:
    """Bytes stored per ingested byte in the bench_e2e run (documents, attributes, dedup)."""
    out = {}
    for name in ("documents", "attributes", "dedup", "mixtures"):
        d = run / name
        if d.exists():
            size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
            out[name] = size / (mb * 1e6)
    return out


def _h(s: float) -> str:
    return f"{s / 3600:.2f} h"


def plan(args: argparse.Namespace) -> str:
    e2e = read_e2e(args.benchmarks)
    rates = dict(e2e.rates)
    for kv in args.rate or []:
        k, v = kv.split("=", 1)
        rates[k] = float(v)
    if not args.sim.exists():
        raise SystemExit(f"{args.sim}: no simulation output; run benchmarks/sim_dedup_scale.py")
    sims = [json.loads(x) for x in args.sim.read_text().splitlines() if x.strip()]
    by_n = {r["n"]: r for r in sims}
    ns = sorted(by_n)
    big = by_n[ns[-1]]
    growth = fit(args.sim)
    ratios = stored_ratios(args.e2e_run, e2e.mb) if args.e2e_run.exists() else {}
    doc_ratio = ratios.get("documents", 1.0)
    attr_ratio = ratios.get("attributes", 0.0)

    tb, files, cores, eff = args.tb, args.files, args.cores, args.efficiency
    mb = tb * 1e6
    slots = cores * eff

    # --- CPU per step --------------------------------------------------------------------
    steps: list[tuple[str, float, str]] = []  # name, CPU s, how
    for s in TOP_STEPS:
        if s == "dedup" or s not in rates:
            continue
        steps.append((s, mb / rates[s], f"{mb:.3g} MB / {rates[s]:.1f} MB/CPU-s"))
    sig_rate = rates.get("dedup/near/bands", rates["dedup"])
    steps.append(
        (
            "dedup: signatures + band shuffle (near/bands)",
            mb / sig_rate,
            f"{mb:.3g} MB / {sig_rate:.1f} MB/CPU-s",
        )
    )
    post_cpu = 0.0
    post_how = []
    for ph in ("edges", "cc", "label"):
        g = growth[ph]
        b = max(1.0, g.get("cpu_exponent", 1.0))
        cpu_big = big["phases"][ph]["cpu_s"]
        cpu = cpu_big * (files / ns[-1]) ** b
        post_cpu += cpu
        post_how.append(f"{ph} {cpu_big:.1f} s at N={ns[-1]:,} x (N ratio)^{b:.2f}")
    steps.append(("dedup: star edges + components + labels", post_cpu, "; ".join(post_how)))
    # Rest of dedup (exact, cluster, write) from e2e: dedup total minus near/bands, edges, cc.
    dedup_total = e2e.mb / rates["dedup"]
    near_known = sum(
        e2e.mb / v
        for k, v in rates.items()
        if k == "dedup/near/bands"
        or k == "dedup/near/edges"
        or k.startswith("dedup/near/cc/")
        or k == "dedup/near/label"
    )
    rest_rate = e2e.mb / max(dedup_total - near_known, 1e-9)
    steps.append(
        (
            "dedup: exact + cluster + write",
            mb / rest_rate,
            f"{mb:.3g} MB / {rest_rate:.0f} MB/CPU-s (e2e dedup minus the parts above)",
        )
    )
    total_cpu = sum(c for _, c, _ in steps)
    wall = total_cpu / slots
    core_h = total_cpu / 3600
    # Whole-run core-hours billed = cores x wall (idle cores of the efficiency loss are paid).
    billed_core_h = cores * wall / 3600
    cost = billed_core_h * args.usd_per_core_hour
    need_rate = mb / (args.target_h * 3600 * slots)
    cur_rate = mb / total_cpu

    # --- memory --------------------------------------------------------------------------
    budget = big["budget_mb"]
    band_rows = files * big["bands"]
    band_parts = max(16, math.ceil(band_rows * 96 / (budget * 1024 * 1024)))
    node_parts = max(4, math.ceil(4 * files * 320 / (budget * 1024 * 1024)))
    shards = math.ceil(mb * 1e6 / args.shard_bytes)
    sim_rss = max(r["peak_rss_mb"] for r in sims)
    rss_exp = growth["total"].get("rss_exponent", 0.0)
    worker_mb = max(sim_rss, e2e.peak_rss_mb or 0.0)

    # --- dedup shuffle disk --------------------------------------------------------------
    per_doc = {
        ph: big["phases"][ph].get("disk_bytes", 0) / big["n"] for ph in ("bands", "edges", "cc")
    }
    disk = {ph: v * files for ph, v in per_doc.items()}
    disk_total = sum(disk.values())

    # --- object-store traffic ------------------------------------------------------------
    docs_bytes = mb * 1e6 * doc_ratio
    attr_bytes = mb * 1e6 * attr_ratio
    traffic = [
        ("ingest: read raw input", mb * 1e6),
        ("ingest: write documents/", docs_bytes),
        ("annotate: read documents/", docs_bytes),
        ("annotate: write attributes/", attr_bytes),
        ("dedup: read documents/ (content)", docs_bytes),
        ("dedup: shuffle write + read (bands, edges, cc rounds)", 2 * disk_total),
        ("mixture: read documents/ + attributes/", docs_bytes + attr_bytes),
        ("mixture: write output", mb * 1e6 * ratios.get("mixtures", doc_ratio)),
    ]
    traffic_total = sum(v for _, v in traffic)
    files_band = shards * band_parts
    files_cc_round = node_parts * node_parts * 2

    met_wall = wall <= args.target_h * 3600
    met_mem = worker_mb <= args.target_gb * 1024

    L: list[str] = []
    w = L.append
    w("# Internet-scale plan (The Stack v2-sized input)")
    w("")
    w("Generated by `benchmarks/scale_plan.py` (do not edit by hand). Regenerate after a change")
    w("to any measured rate:")
    w("")
    w("```")
    w("for n in 1000000 3000000 10000000; do  # one process per N: peak RSS is per process")
    w("  nice -n 10 python benchmarks/sim_dedup_scale.py --n $n --json .bench/scale/sim.jsonl")
    w("done")
    w("python benchmarks/scale_plan.py --sim .bench/scale/sim.jsonl --write")
    w("```")
    w("")
    w("## Assumptions")
    w("")
    w(f"- Input: {tb:g} TB, {files:,.0f} files; {cores:,} cores at {eff:.0%} useful utilisation")
    w(f"  ({slots:,.0f} effective cores); shards of {args.shard_bytes / 2**20:.0f} MiB input")
    w(f"  ({shards:,} shards).")
    w(f"- Price: ${args.usd_per_core_hour:g} per core-hour (all {cores:,} cores billed for the")
    w("  whole wall time).")
    src = e2e.source or "built-in fallback (bench_e2e table not parsed)"
    w(f"- Per-step rates (MB of ingested input per CPU-s): {src}; corpus {e2e.mb:g} MB,")
    w(
        f"  {e2e.docs:,} documents. Rates: "
        + ", ".join(f"{k} {rates[k]:.1f}" for k in TOP_STEPS if k in rates)
        + "."
    )
    if args.rate:
        w(f"  Overridden on the command line: {', '.join(args.rate)}.")
    w("- Rates are linear in bytes (per-document work, shards independent); the dedup steps")
    w("  after the band shuffle are extrapolated from the simulation with their fitted growth")
    w("  exponent (never below 1).")
    if ratios:
        w(
            "- Stored bytes per ingested byte, measured on the bench_e2e run: "
            + ", ".join(f"{k} {v:.3f}" for k, v in ratios.items())
            + "."
        )
    else:
        w("- Stored bytes per ingested byte: no bench_e2e run found; documents/ assumed 1.0.")
    w("")
    w("## Result")
    w("")
    w("| target | plan | met |")
    w("|---|---:|---|")
    w(
        f"| wall <= {args.target_h:g} h on {cores:,} cores | {_h(wall)} | {'yes' if met_wall else 'NO'} |"
    )
    w(
        f"| memory <= {args.target_gb:g} GB per worker | {worker_mb / 1024:.2f} GB | {'yes' if met_mem else 'NO'} |"
    )
    w("")
    w(f"Whole pipeline: {core_h:,.0f} CPU core-hours ({cur_rate:.2f} MB/CPU-s end to end);")
    w(f"{billed_core_h:,.0f} billed core-hours = ${cost:,.0f} = ${cost / tb:,.2f} per TB.")
    if not met_wall:
        w(f"Meeting {args.target_h:g} h needs {need_rate:.2f} MB/CPU-s end to end")
        w(
            f"({need_rate / cur_rate:.2f}x the current rate) or {cores * wall / (args.target_h * 3600):,.0f} cores."
        )
    w("")
    w("## Wall time per step")
    w("")
    w("| step | CPU core-hours | wall on the cluster | share | from |")
    w("|---|---:|---:|---:|---|")
    for name, cpu, how in steps:
        w(f"| {name} | {cpu / 3600:,.0f} | {_h(cpu / slots)} | {cpu / total_cpu:.1%} | {how} |")
    w(f"| **total** | {core_h:,.0f} | {_h(wall)} | 100% | |")
    w("")
    w("## Worker memory")
    w("")
    w(
        f"- Dedup barrier tasks: peak RSS {sim_rss:.0f} MB over N = {', '.join(f'{n:,}' for n in ns)}"
    )
    w(f"  (one process running every task in turn; fitted RSS growth N^{rss_exp:.2f}). Partition")
    w(f"  counts follow `memory_budget_mb` = {budget} MB, so a task's input stays under the budget")
    w(f"  at any N: at {files:,.0f} files {band_parts:,} band partitions, {node_parts:,} node")
    w("  partitions (the formulas of `curate.dedup.near.plan_near`).")
    per_part = big["phases"]["bands"]["rows"] / big["band_parts"]
    full = budget * 1024 * 1024 / 96
    w(
        f"- At the largest simulated N a band partition held {per_part:,.0f} rows, {per_part / full:.0%}"
    )
    w(f"  of the {full:,.0f} rows the budget allows (the size every partition has at full scale),")
    w("  so the measured peak is that of a near-full-budget edges task.")
    if e2e.peak_rss_mb:
        w(
            f"- Per-shard steps: peak RSS of the whole bench_e2e pipeline process {e2e.peak_rss_mb:.0f} MB"
        )
        w("  (one process, all steps of a 256 MiB shard in turn) - an upper bound per worker.")
    w("")
    w("## Dedup shuffle disk")
    w("")
    w("| shuffle | bytes per document (simulation) | at full size |")
    w("|---|---:|---:|")
    for ph, label in (
        ("bands", "band rows (near/bands)"),
        ("edges", "star edges (cc_in)"),
        ("cc", "components, all rounds kept"),
    ):
        w(f"| {label} | {per_doc[ph]:.1f} | {disk[ph] / 1e12:,.2f} TB |")
    w(f"| **total** | {sum(per_doc.values()):.1f} | {disk_total / 1e12:,.2f} TB |")
    w("")
    w("## Object-store traffic")
    w("")
    w("| transfer | TB |")
    w("|---|---:|")
    for name, v in traffic:
        w(f"| {name} | {v / 1e12:,.2f} |")
    w(f"| **total** | {traffic_total / 1e12:,.2f} |")
    w("")
    w(f"Average {traffic_total / wall / 1e9:,.2f} GB/s over the run.")
    w("")
    w("## Dedup simulation (real curate.dedup code, synthetic signatures)")
    w("")
    w("`benchmarks/sim_dedup_scale.py`: signatures on disk (`.npz`, 256 x uint32 per document,")
    w(f"{big['dup_frac']:.0%} planted near-copies in families), then `minhash.band_hashes` +")
    w("`shuffle.write_partitioned`, `near.star_edges`, `components.connected_components`,")
    w(
        "`components.labels` run through `map_step` on a `LocalRunner`. Shared 2-core machine, nice 10."
    )
    w("")
    w("| N | phase | wall s | CPU s | peak RSS MB | disk MB | detail |")
    w("|---:|---|---:|---:|---:|---:|---|")
    for n in ns:
        r = by_n[n]
        for ph, p in r["phases"].items():
            detail = ", ".join(
                f"{k} {p[k]:,}"
                for k in ("rows", "edges", "rounds", "linked_nodes", "components")
                if k in p
            )
            w(
                f"| {n:,} | {ph} | {p['wall_s']:.1f} | {p['cpu_s']:.1f} | {p['peak_rss_mb']:.0f} | {p.get('disk_bytes', 0) / 1e6:,.0f} | {detail} |"
            )
    w("")
    w("Growth (least squares of log CPU s and log peak RSS against log N; gen is the synthetic")
    w("signature writer, not pipeline code):")
    w("")
    w("| phase | CPU s per million docs at largest N | CPU exponent | RSS exponent |")
    w("|---|---:|---:|---:|")
    for ph, g in growth.items():
        ce, re_ = g.get("cpu_exponent"), g.get("rss_exponent")
        w(
            f"| {ph} | {g['cpu_s_per_million']:.1f} | {'' if ce is None else f'{ce:.2f}'} | {'' if re_ is None else f'{re_:.2f}'} |"
        )
    w("")
    w("Below the budget the partition count stays at its minimum (16 band, 4 node partitions), so")
    w("partitions, and with them per-row sort/join cost and RSS, grow with N; above it the count")
    w("grows instead and a task's size is fixed. Exponents above 1 fitted here therefore")
    w("overstate the growth at full scale; the plan still applies them (conservative).")
    w("")
    w("## Where the real code stops scaling")
    w("")
    w("Memory per task is bounded by the partition formulas, but the on-disk shuffle layout")
    w("(`curate/dedup/shuffle.py`: one file per writer and partition, `p=<k>/<writer>.parquet`)")
    w("makes the file count the product of writers and partitions:")
    w("")
    w(f"- near/bands: {shards:,} shards x {band_parts:,} band partitions = {files_band:,.0f} files")
    w(
        f"  of ~{disk['bands'] / max(files_band, 1) / 1e3:,.1f} kB each; every edges task lists and opens {shards:,} files."
    )
    w(
        f"- each components step: {node_parts:,} x {node_parts:,} = {node_parts * node_parts:,.0f} files"
    )
    w(f"  (x2 per round: large-star and small-star, {files_cc_round:,.0f} per round).")
    w("")
    w("Object stores bill and rate-limit per request (thousands of PUT/GET per second per")
    w("prefix), so these counts, not bytes or memory, are the limit at this size. Fix (in")
    w("curate/dedup, not done here): writers append per-partition rows to a few large files per")
    w("writer with a row-group or byte-range index (or a two-level shuffle: group shards into")
    w("~sqrt(shards) writers first), and delete finished components rounds (all rounds are kept")
    w("now, which the cc disk row above includes).")
    w("")
    w("Memory is bounded per partition, not per component: at the fixed point a component is a")
    w("star whose root's partition holds one edge row per member, and `near._cluster` holds all")
    w(f"members of a cluster in one task. At {BYTES_PER_EDGE_ROW} B per edge row (components.py),")
    w(f"a component of more than {args.target_gb * GB / BYTES_PER_EDGE_ROW / 1e6:,.1f} M distinct")
    w(f"contents exceeds {args.target_gb:g} GB in one task, whatever the partition count. The")
    w("simulation's planted families are small (mean 4 copies), so it does not exercise this;")
    w("boilerplate files (licences, generated stubs) can form such clusters in real data. Fix:")
    w("cap or split a bucket's star (`near.star_edges`) and salt the root's rows over several")
    w("tasks (two-phase min aggregation) when a partition exceeds the budget.")
    w("")
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sim", type=Path, default=ROOT / ".bench/scale/sim.jsonl")
    ap.add_argument("--benchmarks", type=Path, default=ROOT / "docs/benchmarks.md")
    ap.add_argument("--e2e-run", type=Path, default=Path("/work/main/.bench/e2e/run"))
    ap.add_argument("--rate", action="append", help="STEP=MB_per_CPU_s override (repeatable)")
    ap.add_argument("--tb", type=float, default=67.5)
    ap.add_argument("--files", type=float, default=3.3e9)
    ap.add_argument("--cores", type=int, default=2048)
    ap.add_argument("--efficiency", type=float, default=0.85, help="useful share of core time")
    ap.add_argument("--usd-per-core-hour", type=float, default=0.04)
    ap.add_argument("--shard-bytes", type=int, default=256 * 1024 * 1024)
    ap.add_argument("--target-h", type=float, default=4.0)
    ap.add_argument("--target-gb", type=float, default=8.0)
    ap.add_argument("--write", action="store_true", help="write docs/scale.md")
    args = ap.parse_args(argv)
    text = plan(args)
    if args.write:
        (ROOT / "docs/scale.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
