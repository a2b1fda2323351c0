from __future__ import annotations

import ast
import ipaddress

import pytest

from curate.mix.redact import apply_redactions, merge_spans, synthetic_ip


def _span(text, value, kind):
    i = text.index(value)
    return {"start": i, "end": i + len(value), "kind": kind, "detector": "t"}


def test_placeholders_keep_code_valid(scanner, pii_scanner):
    code = (
        'TOKEN = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"\n'
        'DB_PASSWORD = "Zq8#kLm2pW9x"\n'
        'OWNER = "jane.doe@gmail.com"\n'
        'PEER = "93.184.216.34"\n'
        'PEER6 = "2a00:1450:4001:82b::200e"\n'
    )
    spans = [f.as_span() for f in scanner.scan(code, "a.py").findings]
    spans += [f.as_span() for f in pii_scanner.scan(code)]
    out = apply_redactions(code, spans)
    tree = ast.parse(out)
    values = [n.value.value for n in tree.body]
    assert values[:3] == ["<KEY>", "<PASSWORD>", "<EMAIL>"]
    v4, v6 = ipaddress.ip_address(values[3]), ipaddress.ip_address(values[4])
    assert v4.version == 4 and v4.is_private and v6.version == 6 and v6.is_private
    assert "ghp_" not in out and "93.184" not in out and "gmail" not in out


def test_synthetic_ip_deterministic_and_seeded():
    a = synthetic_ip("93.184.216.34")
    assert a == synthetic_ip("93.184.216.34")
    assert a != synthetic_ip("93.184.216.35")
    assert synthetic_ip("93.184.216.34", seed="other") != a
    assert synthetic_ip("not-an-ip") == "<IP>"


def test_overlapping_spans_merge_to_strongest():
    text = "aaaa SECRETVALUE bbbb"
    spans = [
        {"start": 5, "end": 11, "kind": "password"},
        {"start": 8, "end": 16, "kind": "github_token"},
        {"start": 10, "end": 12, "kind": "email"},
    ]
    assert apply_redactions(text, spans) == "aaaa <KEY> bbbb"
    assert merge_spans(len(text), spans) == [(5, 16, "key")]


@pytest.mark.parametrize(
    "spans",
    [
        None,
        [],
        [{"start": 50, "end": 60, "kind": "password"}],
        [{"start": 3, "end": 3, "kind": "x"}],
        [{"start": "a", "end": None, "kind": "x"}],
        [{"start": 2, "end": 1, "kind": "password"}],
    ],
)
def test_bad_spans_never_crash(spans):
    assert apply_redactions("hello", spans) == "hello"


def test_spans_clipped_to_text():
    assert (
        apply_redactions("abc secret", [{"start": 4, "end": 99, "kind": "password"}])
        == "abc <PASSWORD>"
    )


def test_unknown_style_is_config_error():
    from curate.errors import ConfigError

    with pytest.raises(ConfigError):
        apply_redactions("x", [], style="mask")
