"""``source_licenses`` (an export's own license columns) is evidence of last resort: it fills in
files with no license of their own or their repository's, and never overrides either."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pyarrow as pa

from curate.engine.annotator import BatchContext
from curate.filters.license import LicenseAnnotator
from curate.filters.license.detect import metadata_verdict


def _annotate(batch: pa.RecordBatch) -> dict[tuple[str, str], dict]:
    annotator = LicenseAnnotator()
    annotator.begin_shard(pl.from_arrow(batch).lazy())
    out = annotator.annotate(batch, BatchContext(batch, None))
    keys = zip(batch.column("repo").to_pylist(), batch.column("path").to_pylist(), strict=True)
    return dict(zip(keys, out.to_pylist(), strict=True))


def test_metadata_fills_in_only_where_nothing_else_is_known(
    documents: Callable, license_text: Callable[..., str]
) -> None:
    rows = _annotate(
        documents(
            [
                ("a/meta", "x.py", "Python", "x = 1\n", ["MIT"]),
                ("a/meta", "y.py", "Python", "y = 1\n", ["MIT", "Apache-2.0"]),
                ("a/meta", "z.py", "Python", "# SPDX-License-Identifier: GPL-2.0-only\n", ["MIT"]),
                ("b/own", "LICENSE", None, license_text("Apache-2.0"), ["GPL-3.0-only"]),
                ("b/own", "m.py", "Python", "m = 1\n", ["GPL-3.0-only"]),
                ("c/none", "n.py", "Python", "n = 1\n", None),
                ("c/none", "e.py", "Python", "e = 1\n", []),
            ]
        )
    )
    x = rows[("a/meta", "x.py")]
    assert (x["license_spdx"], x["license_category"], x["license_method"]) == (
        "MIT", "permissive", "export_metadata",
    )  # fmt: skip
    assert x["license_evidence"] == "source_licenses export metadata"
    assert x["license_repo_spdx"] is None  # the headline stays our own detection
    assert rows[("a/meta", "y.py")]["license_spdx"] == "MIT AND Apache-2.0"
    # a file's own header wins over the export's column
    z = rows[("a/meta", "z.py")]
    assert (z["license_spdx"], z["license_method"]) == ("GPL-2.0-only", "spdx_identifier")
    # so does the repository's license file
    m = rows[("b/own", "m.py")]
    assert (m["license_spdx"], m["license_method"]) == ("Apache-2.0", "license_file")
    # no metadata, or an empty list: still no_license
    for path in ("n.py", "e.py"):
        assert rows[("c/none", path)]["license_category"] == "no_license"
        assert rows[("c/none", path)]["license_method"] == "none"


def test_batch_without_the_column_is_unchanged(documents: Callable) -> None:
    """Runs ingested before the column existed have no ``source_licenses``: no_license as before."""
    batch = documents([("a/meta", "x.py", "Python", "x = 1\n", ["MIT"])])
    old = batch.drop_columns(["source_licenses", "repo_stars"])
    assert _annotate(old)[("a/meta", "x.py")]["license_category"] == "no_license"
    assert _annotate(batch)[("a/meta", "x.py")]["license_category"] == "permissive"


def test_metadata_verdict_normalises_and_keeps_unknown_ids_visible() -> None:
    assert metadata_verdict(["mit", "MIT"]).spdx == "MIT"  # one license, named twice
    assert metadata_verdict(["Apache 2.0"]).spdx == "Apache-2.0"
    odd = metadata_verdict(["not-a-license-id"])
    assert (odd.spdx, odd.category) == ("LicenseRef-unknown", "unknown")
    assert metadata_verdict([]) is None and metadata_verdict(None) is None
