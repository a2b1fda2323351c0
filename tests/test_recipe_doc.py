from __future__ import annotations

from pathlib import Path

from curate.recipe_doc import reference_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_docs_pipelines_md_is_up_to_date() -> None:
    expected = reference_markdown()
    actual = (ROOT / "docs" / "pipelines.md").read_text()
    assert actual == expected, "regenerate: python -m curate.recipe_doc > docs/pipelines.md"


def test_reference_covers_every_section_and_annotator() -> None:
    text = reference_markdown()
    for heading in (
        "## [run]",
        "## [ingest]",
        "## [dedup]",
        "## [policy]",
        "## [mixture]",
        "## [card]",
        "### [annotators.parse]",
        "### [annotators.secrets]",
        "### [annotators.license]",
        "### [annotators.quality]",
    ):
        assert heading in text
