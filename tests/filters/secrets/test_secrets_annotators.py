from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import ValidationError

from curate.engine.annotate import annotate_batch
from curate.engine.annotator import REGISTRY, BatchContext
from curate.filters import load_all
from curate.filters.secrets import (
    PiiAnnotator,
    PiiConfig,
    SecretsAnnotator,
    SecretsConfig,
    kind_counts,
)
from curate.schema import SPANS


def _batch(rows: list[tuple[str, str]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "doc_uid": [f"d{i}" for i in range(len(rows))],
            "path": [p for p, _ in rows],
            "language": ["Python"] * len(rows),
            "content": pa.array([c for _, c in rows], pa.large_string()),
        }
    )


ROWS = [
    (
        "app/settings.py",
        'import os\nSECRET_KEY = "q8Zr4Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9r"\nowner = "ana.garcia@proton.me"\n',
    ),
    ("app/clean.py", "def f(x):\n    return x + 1\n"),
    ("deploy/.env", "DB_PASSWORD=Zq8kLm2pW9xR4t\nPEER=93.184.216.34\nLOCAL=127.0.0.1\n"),
    ("empty.txt", ""),
]


def test_registered():
    load_all()
    assert REGISTRY["secrets"] is SecretsAnnotator and REGISTRY["pii"] is PiiAnnotator
    assert SecretsAnnotator.key() == "secrets@1" and PiiAnnotator.key() == "pii@1"


def test_secrets_annotator_columns():
    batch = _batch(ROWS)
    ann = SecretsAnnotator()
    ann.setup()
    out = ann.annotate(batch, BatchContext(batch, None))
    assert out.schema.equals(SecretsAnnotator.output_schema)
    assert out.schema.field("secret_spans").type == SPANS
    d = out.to_pydict()
    assert d["secret_count"] == [1, 0, 1, 0]
    assert d["secret_scan_status"] == ["ok"] * 4
    span = d["secret_spans"][0][0]
    text = ROWS[0][1]
    assert text[span["start"] : span["end"]] == "q8Zr4Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9r"
    assert span["kind"] == "generic_secret" and len(span["value_hash"]) == 16
    kib = len(text.encode()) / 1024
    assert d["secret_density"][0] == pytest.approx(1 / kib)
    assert d["secret_density"][1] == 0.0
    assert kind_counts(out.column("secret_spans")) == {"generic_secret": 1, "password": 1}


def test_pii_annotator_columns():
    batch = _batch(ROWS)
    ann = PiiAnnotator()
    out = ann.annotate(batch, BatchContext(batch, None))
    assert out.schema.equals(PiiAnnotator.output_schema)
    d = out.to_pydict()
    assert d["pii_email_count"] == [1, 0, 0, 0]
    assert d["pii_ip_count"] == [0, 0, 1, 0]
    assert [s["kind"] for s in d["pii_spans"][2]] == ["ipv4"]


def test_size_guard_gives_nulls_and_reason():
    batch = _batch([("big.py", 'password = "Zq8kLm2pW9xR4t"\n' * 100), ROWS[0]])
    out, pout = annotate_batch(
        [
            SecretsAnnotator(SecretsConfig(max_doc_bytes=1000)),
            PiiAnnotator(PiiConfig(max_doc_bytes=1000)),
        ],
        batch,
    )
    d = out.to_pydict()
    assert d["secret_spans"][0] is None and d["secret_count"][0] is None
    assert d["secret_scan_status"] == ["too_large", "ok"]
    assert pout.to_pydict()["pii_scan_status"] == ["too_large", "ok"]


def test_configs_are_strict():
    with pytest.raises(ValidationError):
        SecretsConfig(unknown_key=1)
    with pytest.raises(ValidationError, match="unknown detector"):
        PiiConfig(detectors=("email", "ner"))


def test_kind_counts_python_rows():
    rows = [[{"kind": "email"}, {"kind": "ipv4"}], None, [{"kind": "email"}]]
    assert kind_counts(rows) == {"email": 2, "ipv4": 1}
    assert kind_counts(pa.array([None, []], SPANS)) == {}


def test_policy_rule_in_recipes_drops_only_credential_dumps():
    import tomllib

    import polars as pl

    from curate.policy.expr import compile_expr

    frame = pl.DataFrame(
        {
            "secret_count": [4, 60, 12, 12, None, 0],
            "secret_density": [8.8, 0.5, 9.0, 2.0, None, 0.0],
        }
    )
    for recipe in ("pipelines/default.toml", "pipelines/demo.toml"):
        data = tomllib.loads((Path(__file__).resolve().parents[3] / recipe).read_text())
        (rule,) = [r for r in data["policy"]["rules"] if r["name"] == "secret_density"]
        keep = frame.select(compile_expr(rule["name"], rule["expr"]).expr).to_series().to_list()
        assert keep == [True, False, False, True, True, True]
