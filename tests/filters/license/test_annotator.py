"""``license@1`` and ``optout@1`` on real Arrow batches of the documents schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from tree_sitter_language_pack import get_parser

from curate.engine import trees as trees_module
from curate.engine.annotate import AnnotateLoop, annotate_batch
from curate.engine.annotator import REGISTRY, BatchContext
from curate.errors import ConfigError
from curate.filters import load_all
from curate.filters.license import (
    LICENSE_SCHEMA,
    OPTOUT_SCHEMA,
    LicenseAnnotator,
    LicenseConfig,
    OptOutAnnotator,
    OptOutConfig,
    OptOutList,
)
from curate.filters.parse import ParseAnnotator
from curate.languages.grammars import get_parser as grammar_parser

_GRAMMARS = {"C": "c", "Python": "python"}


def _tree(language: str, data: bytes):
    grammar = _GRAMMARS.get(language)
    return get_parser(grammar).parse(data) if grammar else None


@pytest.fixture()
def shard(
    license_text: Callable[..., str], header_source: Callable[..., str], documents: Callable
) -> pa.RecordBatch:
    return documents(
        [
            ("github.com/acme/tool", "LICENSE", None, license_text("Apache-2.0")),
            ("github.com/acme/tool", "src/main.c", "C", "int main(void) { return 0; }\n"),
            ("github.com/acme/tool", "src/gpl.c", "C", header_source("GPL-2.0-or-later")),
            ("github.com/acme/tool", "vendor/x/COPYING", None, license_text("GPL-3.0-only")),
            ("github.com/acme/tool", "vendor/x/y.py", "Python", "print('hi')\n"),
            ("github.com/bob/scripts", "run.py", "Python", "print('no license here')\n"),
            ("github.com/bob/scripts", "README.md", "Markdown", "# scripts\n\n## License\n\nMIT\n"),
            (
                "github.com/carol/lib",
                "lib.py",
                "Python",
                "# SPDX-License-Identifier: BSD-3-Clause\n",
            ),
        ]
    )


def test_registered() -> None:
    load_all()
    assert REGISTRY["license"] is LicenseAnnotator and REGISTRY["optout"] is OptOutAnnotator
    assert LicenseAnnotator.key() == "license@1" and OptOutAnnotator.key() == "optout@1"


def test_license_columns(shard: pa.RecordBatch) -> None:
    annotator = LicenseAnnotator()
    annotator.setup()
    annotator.begin_shard(pl.from_arrow(shard).lazy())
    # two batches, as the engine would slice them
    out = [
        annotator.annotate(part, BatchContext(part, _tree))
        for part in (shard.slice(0, 4), shard.slice(4))
    ]
    assert all(o.schema == LICENSE_SCHEMA for o in out)
    rows = pa.Table.from_batches(out).to_pylist()
    by_path = dict(zip(shard.column("path").to_pylist(), rows, strict=True))
    assert by_path["src/main.c"]["license_spdx"] == "Apache-2.0"
    assert by_path["src/main.c"]["license_evidence"] == "LICENSE text match"
    gpl = by_path["src/gpl.c"]
    assert (gpl["license_spdx"], gpl["license_category"], gpl["license_method"]) == (
        "GPL-2.0-or-later", "strong_copyleft", "header",
    )  # fmt: skip
    assert by_path["vendor/x/y.py"]["license_spdx"] == "GPL-3.0-only"
    assert by_path["run.py"]["license_spdx"] == "MIT"
    assert by_path["run.py"]["license_evidence"] == "README.md license section"
    assert by_path["lib.py"]["license_spdx"] == "BSD-3-Clause"
    assert all(0.0 <= r["license_confidence"] <= 1.0 for r in rows)
    # every row carries its repository's headline and the licenses beside it
    assert by_path["vendor/x/y.py"]["license_repo_spdx"] == "Apache-2.0"
    assert by_path["vendor/x/y.py"]["license_subtrees"] == [
        {"path": "vendor/x", "spdx": "GPL-3.0-only"}
    ]
    assert by_path["src/main.c"]["license_subtrees"] == by_path["LICENSE"]["license_subtrees"]
    assert by_path["run.py"]["license_repo_spdx"] == "MIT"
    assert by_path["lib.py"]["license_repo_spdx"] is None  # a file's own tag is no headline
    assert by_path["lib.py"]["license_subtrees"] == []


def test_repo_without_any_evidence_is_no_license(documents: Callable) -> None:
    batch = documents([("gitlab.com/x/y", "a.py", "Python", "x = 1\n")])
    annotator = LicenseAnnotator()
    annotator.begin_shard(pl.from_arrow(batch).lazy())
    row = annotator.annotate(batch, BatchContext(batch, None)).to_pylist()[0]
    assert row == {
        "license_spdx": None, "license_category": "no_license", "license_confidence": 0.8,
        "license_evidence": "no license evidence", "license_method": "none",
        "license_repo_spdx": None, "license_subtrees": [],
    }  # fmt: skip


def test_disabled_and_size_guard(shard: pa.RecordBatch) -> None:
    off = LicenseAnnotator(LicenseConfig(enabled=False))
    (out,) = annotate_batch([off], shard)
    assert out.column("license_spdx").null_count == len(shard)
    loop = AnnotateLoop([LicenseAnnotator(LicenseConfig(max_doc_bytes=10))])
    loop.begin_shard(pl.from_arrow(shard).lazy())
    rows = loop.annotate(shard)[0].to_pylist()
    # too big to read its header: src/gpl.c inherits the repository's license
    assert rows[2]["license_spdx"] == "Apache-2.0"
    assert rows[2]["license_subtrees"] == [{"path": "vendor/x", "spdx": "GPL-3.0-only"}]


def test_optout(tmp_path: Path, shard: pa.RecordBatch) -> None:
    listing = tmp_path / "optout.txt"
    listing.write_text("# opted out\nbob\nhttps://github.com/Carol/lib.git\nsomeone/else\n")
    annotator = OptOutAnnotator(OptOutConfig(path=str(listing)))
    annotator.setup()
    out = annotator.annotate(shard, BatchContext(shard, None))
    assert out.schema == OPTOUT_SCHEMA
    matches = dict(zip(shard.column("repo").to_pylist(), out.to_pylist(), strict=True))
    assert matches["github.com/acme/tool"] == {"optout_match": False, "optout_entry": None}
    assert matches["github.com/bob/scripts"] == {"optout_match": True, "optout_entry": "bob"}
    assert matches["github.com/carol/lib"]["optout_entry"] == "https://github.com/Carol/lib.git"


def test_optout_unset_and_json_and_errors(tmp_path: Path, shard: pa.RecordBatch) -> None:
    nobody = OptOutAnnotator()
    nobody.setup()
    assert not any(
        nobody.annotate(shard, BatchContext(shard, None)).column("optout_match").to_pylist()
    )
    js = tmp_path / "optout.json"
    js.write_text('["acme/tool"]')
    assert OptOutList.load(js).match("github.com/acme/tool") == "acme/tool"
    assert OptOutList.load(js).match("github.com/acme/other") is None
    with pytest.raises(ConfigError, match=r"annotators\.optout\.path"):
        OptOutAnnotator(OptOutConfig(path=str(tmp_path / "missing.txt"))).setup()
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1}')
    with pytest.raises(ConfigError, match="list of strings"):
        OptOutList.load(bad)


def test_header_reader_reuses_parse_trees(
    shard: pa.RecordBatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``parse@1`` the header reader takes its source-less trees as they are: no file is
    parsed a second time to attach its source, and the verdicts are those of a fresh parse."""
    calls = {"parse": 0, "attach": 0}
    real_parse, real_attach = trees_module.parse_source_less, trees_module.attach_source

    def counted_parse(*args, **kwargs):
        calls["parse"] += 1
        return real_parse(*args, **kwargs)

    def counted_attach(*args, **kwargs):
        calls["attach"] += 1
        return real_attach(*args, **kwargs)

    monkeypatch.setattr(trees_module, "parse_source_less", counted_parse)
    monkeypatch.setattr(trees_module, "attach_source", counted_attach)
    loop = AnnotateLoop([ParseAnnotator(), LicenseAnnotator()])
    loop.begin_shard(pl.from_arrow(shard).lazy())
    _, together = loop.annotate(shard)
    languages = shard.column("language").to_pylist()
    parsable = sum(1 for lang in languages if lang and grammar_parser(lang) is not None)
    assert calls == {"parse": parsable, "attach": 0}

    alone = LicenseAnnotator()
    alone.begin_shard(pl.from_arrow(shard).lazy())
    fresh = alone.annotate(shard, BatchContext(shard, _tree))
    assert together.to_pylist() == fresh.to_pylist()
    assert together.column("license_method").to_pylist()[2] == "header"  # src/gpl.c
