"""Memory of one process after each unit of ``curate run`` (local runner): where it sits.

    PYTHONPATH=. .venv/bin/python benchmarks/mem_units.py --out /tmp/mem.jsonl -- \
        run annot.toml --input /tmp/x4 --output /tmp/r --quiet

Wraps ``curate.engine.step._execute``; after every unit writes one JSON line: CPU seconds,
RSS and anonymous MB (``/proc/self/smaps_rollup``), the process's peak (``VmHWM``), glibc's heap
(``mallinfo2``: arena, in use, free), Arrow's allocated bytes and pool, and the number of
cached tree-sitter parsers and queries. Linux + glibc only.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _rollup() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-1] == "kB":
            out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return out


def snapshot(tag: str) -> dict[str, Any]:
    """Memory by source, now."""
    import pyarrow as pa

    from curate.engine.stats import peak_rss_mb
    from curate.languages import grammars, queries

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    heap = libc.mallinfo2()
    roll = _rollup()
    mb = 2**20
    return {
        "tag": tag,
        "cpu_s": round(time.process_time(), 2),
        "rss_mb": round(roll["Rss"]),
        "anon_mb": round(roll["Anonymous"]),
        "peak_mb": round(peak_rss_mb()),
        "heap_mb": round(heap.arena / mb),
        "heap_used_mb": round(heap.uordblks / mb),
        "heap_free_mb": round(heap.fordblks / mb),
        "arrow_mb": round(pa.total_allocated_bytes() / mb),
        "arrow_pool": pa.default_memory_pool().backend_name,
        "parsers": len(grammars._PARSERS),
        "queries": len(queries._CACHE),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- curate arguments")
    ns = parser.parse_args()
    from curate.cli import main as curate_main
    from curate.engine import step as step_module

    out = ns.out.open("w")
    execute = step_module._execute

    def measured(task: Any, runner: Any = None) -> Any:
        result = execute(task, runner)
        tag = "+".join(s.name for s in task.steps) + ":" + task.unit
        out.write(json.dumps(snapshot(tag)) + "\n")
        out.flush()
        return result

    step_module._execute = measured  # type: ignore[assignment]
    out.write(json.dumps(snapshot("start")) + "\n")
    sys.argv = ["curate", *[a for a in ns.args if a != "--"]]
    try:
        curate_main()
    finally:
        out.write(json.dumps(snapshot("end")) + "\n")
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
