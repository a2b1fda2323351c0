"""Counts of findings by kind, for run statistics and the dataset card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import pyarrow as pa
import pyarrow.compute as pc


def kind_counts(
    spans: pa.Array | pa.ChunkedArray | Iterable[Iterable[Mapping]] | None,
) -> dict[str, int]:
    """``{kind: findings}`` over a column of SPANS lists (nulls skipped), sorted by kind.

    Works on an Arrow ``list<SPAN>`` column (vectorized) or on Python lists of span dicts.
    The result holds only kinds and counts, never values."""
    if spans is None:
        return {}
    if isinstance(spans, (pa.Array, pa.ChunkedArray)):
        flat = pc.list_flatten(spans)
        if len(flat) == 0:
            return {}
        kinds = pc.struct_field(flat, "kind")
        vc = pc.value_counts(kinds)
        return dict(sorted((str(v["values"]), int(v["counts"])) for v in vc.to_pylist()))
    counter: Counter[str] = Counter()
    for row in spans:
        for span in row or ():
            counter[str(span["kind"])] += 1
    return dict(sorted(counter.items()))
