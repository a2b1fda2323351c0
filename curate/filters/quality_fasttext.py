"""``quality_fasttext@1``: score documents with a user-given fastText quality model.

The model is trained with ``curate train-quality``; the project ships and downloads none.
``quality_score`` is the model's probability of ``positive_label``; ``quality_label`` its top
label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from curate.engine import worker_cache
from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, register
from curate.errors import ConfigError
from curate.filters.quality.fasttext_model import MAX_CHARS, label_probabilities, to_line


class QualityFastTextConfig(AnnotatorConfig):
    model_path: str | None = None
    positive_label: str = "1"
    max_chars: int = MAX_CHARS


def _load(path: str) -> Any:
    import fasttext

    return fasttext.load_model(path)


@register
class QualityFastTextAnnotator(Annotator):
    name = "quality_fasttext"
    version = 1
    Config = QualityFastTextConfig
    output_schema: ClassVar[pa.Schema] = pa.schema(
        [("quality_score", pa.float32()), ("quality_label", pa.string())]
    )

    def setup(self) -> None:
        cfg: QualityFastTextConfig = self.config  # type: ignore[assignment]
        if not cfg.model_path:
            raise ConfigError(
                "annotators.quality_fasttext.model_path: required (train one with curate train-quality)"
            )
        path = Path(cfg.model_path).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"annotators.quality_fasttext.model_path: {path} does not exist")
        self._model = worker_cache.get_or_create(("fasttext", str(path)), lambda: _load(str(path)))

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        cfg: QualityFastTextConfig = self.config  # type: ignore[assignment]
        if not hasattr(self, "_model"):
            self.setup()
        contents = ctx.contents
        index = list(range(len(contents)))
        scores: list[float | None] = [None] * len(contents)
        labels: list[str | None] = [None] * len(contents)
        if index:
            probs = label_probabilities(
                self._model, [to_line(contents[i], cfg.max_chars) for i in index]
            )
            for i, p in zip(index, probs, strict=True):
                scores[i] = p.get(cfg.positive_label, 0.0)
                labels[i] = max(p, key=p.get)
        return pa.RecordBatch.from_arrays(
            [pa.array(scores, pa.float32()), pa.array(labels, pa.string())],
            schema=self.output_schema,
        )
