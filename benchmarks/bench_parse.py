"""Bare tree-sitter parse vs the ``parse@1`` annotator, MB/s on one core.

Corpus (rebuilt on every run, nothing downloaded): the running interpreter's standard library
(``*.py``, top level and one level down) plus C headers under ``/usr/include`` (``*.h``, top
level and one level down), each capped by ``--max-mb``.

    .venv/bin/python benchmarks/bench_parse.py [--max-mb 8] [--repeat 3]

Both sides parse the same bytes with the same cached parser; the annotator side runs
``ParseAnnotator.annotate`` on an Arrow batch (budgeted read-callback parse, depth walk,
counting query). Times are CPU seconds of this process (``time.process_time``), best of
``--repeat`` interleaved rounds, so other jobs on a shared machine distort them less than wall
time.
"""

from __future__ import annotations

import argparse
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from curate.engine.annotator import BatchContext
from curate.engine.trees import TreeProvider
from curate.filters.parse import ParseAnnotator
from curate.languages import detect_language, get_parser


def corpus(max_bytes: int) -> dict[str, list[tuple[str, str]]]:
    """Language -> [(path, text)] for the stdlib (Python) and /usr/include (C/C++)."""
    roots = [(Path(sysconfig.get_paths()["stdlib"]), "*.py"), (Path("/usr/include"), "*.h")]
    out: dict[str, list[tuple[str, str]]] = {}
    for root, pattern in roots:
        total = 0
        paths = sorted(root.glob(pattern)) + sorted(root.glob(f"*/{pattern}"))
        for path in paths:
            if total >= max_bytes:
                break
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            language = detect_language(str(path), text[:4096])
            if language is None:
                continue
            out.setdefault(language, []).append((str(path), text))
            total += len(text.encode())
    return out


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-mb", type=float, default=8.0, help="cap per corpus root")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    docs = corpus(int(args.max_mb * 1e6))
    annotator = ParseAnnotator()
    annotator.setup()
    provider = TreeProvider(annotator.tree_guards())
    print(
        f"{'language':10} {'files':>6} {'MB':>7} {'bare MB/s':>10} {'parse@1 MB/s':>13} {'ratio':>6}"
    )
    for language, items in sorted(docs.items()):
        data = [text.encode() for _, text in items]
        mb = sum(map(len, data)) / 1e6
        parser = get_parser(language)
        assert parser is not None
        batch = pa.RecordBatch.from_pydict(
            {"content": [t for _, t in items], "language": [language] * len(items)}
        )

        def run(b: pa.RecordBatch = batch) -> pa.RecordBatch:
            provider.begin_batch()  # as the engine does: trees live for one batch
            return annotator.annotate(b, BatchContext(b, provider))

        # interleaved rounds, so that a change in the machine's load hits both sides alike
        bare = annotated = float("inf")
        for _ in range(args.repeat):
            bare = min(bare, best_of(1, lambda p=parser, d=data: [p.parse(x) for x in d]))
            annotated = min(annotated, best_of(1, run))
        statuses = run().column("parse_status").value_counts().to_pylist()
        print(
            f"{language:10} {len(items):6d} {mb:7.2f} {mb / bare:10.2f} {mb / annotated:13.2f} "
            f"{annotated / bare:6.2f}  {statuses}"
        )


if __name__ == "__main__":
    main()
