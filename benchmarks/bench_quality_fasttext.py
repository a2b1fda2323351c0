"""Where ``quality_fasttext@1`` spends its CPU: tokenising (``to_line``) vs one batched
``predict`` per batch, on a run's documents.

    .venv/bin/python benchmarks/bench_quality_fasttext.py --run .bench/e2e/run --mb 40

The project ships no model, so a throwaway one is trained on the run's first documents with
labels from a trivial rule (the model's quality is irrelevant to its speed; dimension, word
n-grams and buckets are the training defaults, two epochs). Prints CPU seconds of the
tokeniser, of ``label_probabilities`` (one ``model.predict(lines, k=-1)`` per batch) and of the
whole annotator, and MB per CPU-second of the annotator.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.engine.annotate import byte_capped, row_group_batches  # noqa: E402
from curate.engine.annotator import BatchContext  # noqa: E402
from curate.filters.quality.fasttext_model import (  # noqa: E402
    MAX_CHARS,
    TrainParams,
    label_probabilities,
    to_line,
    train_quality_model,
)
from curate.filters.quality_fasttext import (  # noqa: E402
    QualityFastTextAnnotator,
    QualityFastTextConfig,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / ".bench" / "e2e" / "run")
    ap.add_argument("--mb", type=float, default=40)
    ap.add_argument("--train-docs", type=int, default=1500)
    args = ap.parse_args()

    batches, total = [], 0
    for path in sorted((args.run / "documents").glob("*.parquet")):
        for batch in byte_capped(row_group_batches(pq.ParquetFile(path)), 4 * 1024 * 1024):
            batches.append(batch)
            total += int(pc.sum(pc.binary_length(batch.column("content"))).as_py() or 0)
            if total >= args.mb * 1e6:
                break
        if total >= args.mb * 1e6:
            break
    docs = [d for b in batches for d in b.column("content").to_pylist() if d][: args.train_docs]
    frame = pl.DataFrame({"text": docs, "label": [float(len(d) % 5) for d in docs]})
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.bin"
        train_quality_model(frame, model, threshold=3, params=TrainParams(epoch=2, seed=1))
        annotator = QualityFastTextAnnotator(QualityFastTextConfig(model_path=str(model)))
        annotator.setup()
        tokenise = predict = whole = 0.0
        for batch in batches:
            texts = [t or "" for t in batch.column("content").to_pylist()]
            start = time.process_time()
            lines = [to_line(t, MAX_CHARS) for t in texts]
            tokenise += time.process_time() - start
            start = time.process_time()
            label_probabilities(annotator._model, lines)
            predict += time.process_time() - start
            start = time.process_time()
            annotator.annotate(batch, BatchContext(batch))
            whole += time.process_time() - start
    print(f"{total / 1e6:.1f} MB of {args.run}, CPU s:")
    print(f"  tokenise (to_line)                 {tokenise:7.2f}")
    print(f"  predict (one call per batch)       {predict:7.2f}")
    print(
        f"  annotator                          {whole:7.2f}  = {total / 1e6 / whole:.1f} MB/CPU-s"
    )


if __name__ == "__main__":
    main()
