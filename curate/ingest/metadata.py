"""Export metadata kept as documents columns: the licenses and star count an export (The Stack
v1/v2, BigQuery, datatrove) records per file become ``source_licenses`` and ``repo_stars``.

Each documents column has a list of candidate export columns; the first one present in a row
wins. The defaults recognise The Stack v1 (``max_stars_repo_licenses``, ``max_stars_count``),
v2 (``detected_licenses``, ``star_events_count``) and the generic ``licenses``/``license``/
``stars`` names; ``[ingest.export] metadata = {licenses = "my_col"}`` replaces a list.
Values of the wrong type are dropped (the document keeps a null), never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

LICENSE_COLUMNS: tuple[str, ...] = (
    "detected_licenses",
    "max_stars_repo_licenses",
    "licenses",
    "license",
    "metadata.license",
)
STARS_COLUMNS: tuple[str, ...] = ("max_stars_count", "star_events_count", "stars", "repo_stars")

DOCUMENT_COLUMNS = ("source_licenses", "repo_stars")
"""The documents columns this module fills (``curate.schema.DOCUMENTS``)."""


class MetadataMapping(BaseModel):
    """Export columns (dotted names reach into nested objects) tried in order per field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    licenses: tuple[str, ...] = Field(
        default=LICENSE_COLUMNS, description="-> source_licenses (list of SPDX ids or one id)"
    )
    stars: tuple[str, ...] = Field(default=STARS_COLUMNS, description="-> repo_stars (integer)")

    @field_validator("licenses", "stars", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


MISSING = object()
"""What ``lookup`` returns for a column an export row does not have (None is a value)."""


def lookup(row: Mapping[str, Any], dotted: str | None) -> Any:
    """`row[a][b]` for ``a.b``; a top-level key containing dots wins; MISSING when absent."""
    if dotted is None:
        return MISSING
    if dotted in row:
        return row[dotted]
    value: Any = row
    for key in dotted.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return MISSING
        value = value[key]
    return value


def _licenses(value: Any) -> list[str] | None:
    if isinstance(value, str):
        value = [value]
    elif hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        return None
    ids = [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return ids or None


def _stars(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Parquet/JSON exports often store counts as floats
    return None


def metadata_reader(mapping: MetadataMapping) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function from an export row to ``{source_licenses, repo_stars}`` (absent keys: none)."""
    fields = (
        ("source_licenses", mapping.licenses, _licenses),
        ("repo_stars", mapping.stars, _stars),
    )

    def read(row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, columns, convert in fields:
            for column in columns:
                value = lookup(row, column)
                if value is MISSING or value is None:
                    continue
                converted = convert(value)
                if converted is not None:
                    out[name] = converted
                break
        return out

    return read


def metadata_columns(mapping: MetadataMapping) -> set[str]:
    """Top-level export columns the mapping may read (a Parquet reader loads only these)."""
    return {c.split(".", 1)[0] for c in (*mapping.licenses, *mapping.stars)}
