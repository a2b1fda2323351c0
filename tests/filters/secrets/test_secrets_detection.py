"""Every secret kind is found in every host syntax, with a span that covers the value."""

from __future__ import annotations

import random
import re
import zlib

import pytest

from curate.filters.secrets.rules import RULES, _token_start, key_kind
from tests.support import secrets_synth as synth

REDACT_CLASS = {"password": "password", "url_password": "password"}


@pytest.mark.parametrize("kind", synth.SECRET_KINDS)
@pytest.mark.parametrize("fmt", synth.FORMATS)
def test_each_kind_found_in_each_format(scanner, kind, fmt):
    rng = random.Random(zlib.crc32(f"{kind}-{fmt}".encode()))
    for _ in range(3):
        snip = synth.secret_snippet(kind, fmt, rng)
        path = ".env" if fmt == "env" else f"pkg/mod.{fmt}"
        found = scanner.scan(snip.text, path).findings
        for label in (lab for lab in snip.labels if lab.category == "secret"):
            hits = [f for f in found if f.start < label.end and label.start < f.end]
            assert hits, f"{kind} not found in {fmt}: {snip.text[:120]!r}"
            # the finding covers the whole value, so redaction removes all of it
            assert min(h.start for h in hits) <= label.start
            assert max(h.end for h in hits) >= label.end


def test_planted_corpus_all_found_no_decoys(scanner, planted_corpus):
    missed, false_pos = [], []
    for path, text, labels in planted_corpus:
        found = scanner.scan(text, path).findings
        for lab in labels:
            hit = [f for f in found if f.start < lab.end and lab.start < f.end]
            if lab.category == "secret" and not hit:
                missed.append((path, lab.kind))
            if lab.category == "decoy" and hit:
                false_pos.append((path, lab.kind, text[lab.start : lab.end]))
    assert not missed
    assert not false_pos


def test_kinds_and_detectors_are_specific(scanner):
    text = (
        'token = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"\n'
        "AWS_ACCESS_KEY_ID=AKIAQ5VNDKD3B7HJZTRL\n"
        'db_password = "kL9#mQ2wZx"\n'
        'dsn = "postgres://app:Xy7Pq2Lm9@db.prod.acme.io/main"\n'
    )
    found = scanner.scan(text, "settings.py").findings
    got = {(text[f.start : f.end], f.kind) for f in found}
    assert got == {
        ("ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "github_token"),
        ("AKIAQ5VNDKD3B7HJZTRL", "aws_access_key_id"),
        ("kL9#mQ2wZx", "password"),
        ("app:Xy7Pq2Lm9", "url_password"),
    }
    assert all(f.detector.startswith("curate.") for f in found)
    assert all(len(f.value_hash) == 16 for f in found)


def test_private_key_block_spans_header_to_footer(scanner):
    rng = random.Random(7)
    snip = synth.secret_snippet("private_key", "ini", rng)
    found = scanner.scan(snip.text, "id_rsa").findings
    assert len(found) == 1
    value = snip.text[found[0].start : found[0].end]
    assert value.startswith("-----BEGIN") and value.rstrip().endswith("-----")


def test_detect_secrets_only_kinds_are_reported(scanner):
    # a Mailchimp key: no rule of ours, found through the detect-secrets plugin
    text = 'mc = "0123abcd4567ef89a0b1c2d3e4f5a6b7-us12"\n'
    found = scanner.scan(text, "x.py").findings
    assert [(f.kind, f.detector) for f in found] == [
        ("mailchimp_key", "detect_secrets.MailchimpDetector")
    ]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("DB_PASSWORD", "password"),
        ("adminPassword", "password"),
        ("ADMINPASSWORD", "password"),
        ("pwd", "password"),
        ("client_secret", "generic_secret"),
        ("API_KEY", "generic_secret"),
        ("apiKey", "generic_secret"),
        ("github_token", "generic_secret"),
        ("password_hash", None),
        ("token_url", None),
        ("max_password_length", None),
        ("primary_key", None),
        ("keyboard", None),
        ("bypass", None),
    ],
)
def test_key_names(key, kind):
    assert key_kind(key) == kind


def test_unquoted_values_only_in_config_or_env_style(scanner):
    code = "password = user_supplied\n"
    assert scanner.scan(code, "auth.py").findings == []
    assert len(scanner.scan("password = S3cr3tValue9\n", "app.ini").findings) == 1
    assert len(scanner.scan("    DB_PASSWORD=S3cr3tValue9\n", "README.md").findings) == 1


def test_time_guard_reports_timeout(scanner):
    text = "\n".join(f'secret_{i} = "{i:08d}Ab{"x" * 5}q"' for i in range(3000))
    result = scanner.scan(text, "big.py", time_budget_s=1e-9)
    assert result.status == "timeout"


def test_minified_line_uses_our_rules_only_and_stays_fast(scanner):
    import time

    token = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
    line = 'var a="key";b.apiKey=c;f(1.2,3.4);' * 6000 + f'var t="{token}";' + "x=1;" * 1000
    started = time.perf_counter()
    result = scanner.scan(line, "dist/app.min.js")
    assert time.perf_counter() - started < 20
    assert result.long_lines == 1
    assert [line[f.start : f.end] for f in result.findings] == [token]


def test_pathological_pii_inputs_are_linear(pii_scanner):
    import time

    started = time.perf_counter()
    for text in ("a@" * 100_000, ":a" * 100_000, "x ab:cd:ef:12 " * 20_000):
        assert pii_scanner.scan(text) == []
    assert time.perf_counter() - started < 20


def test_url_credential_span_is_user_and_password_and_redaction_removes_both(scanner):
    from curate.mix.redact import apply_redactions

    text = (
        'dsn = "postgres://svc_user:Xy7Pq2Lm9@db.prod.acme.io/main"\n'
        'home = "https://docs.acme.io/guide"\n'  # a URL without a credential: no finding
    )
    found = scanner.scan(text, "settings.py").findings
    assert [(text[f.start : f.end], f.kind) for f in found] == [
        ("svc_user:Xy7Pq2Lm9", "url_password")
    ]
    spans = [{"start": f.start, "end": f.end, "kind": f.kind} for f in found]
    out = apply_redactions(text, spans)
    assert 'postgres://<PASSWORD>@db.prod.acme.io/main"' in out
    assert "svc_user" not in out and "Xy7Pq2Lm9" not in out
    assert "https://docs.acme.io/guide" in out


def test_detect_secrets_basic_auth_password_grows_to_the_user_name():
    from curate.filters.secrets.scanner import with_url_user

    line = 'u = "amqp://deploy:Xy7Pq2Lm9@mq.corp.net"'
    pw = line.index("Xy7Pq2Lm9")
    assert line[with_url_user(line, pw) : pw] == "deploy:"
    # not after ``scheme://user:``: the start stays where it is
    other = 'pw = "Xy7Pq2Lm9"'
    assert with_url_user(other, other.index("Xy7")) == other.index("Xy7")


@pytest.mark.parametrize(
    ("head", "width", "tail"),
    [("A", 1, "(?:KIA|3T[A-Z0-9])[A-Z0-9]{4}"), ("g", 1, "(?:h[pos]_|ithub_pat_)[a-z0-9]{3}"),
     ("[sr]k", 2, "_(?:live|test)_[0-9a-z]{3}"), ("eyJ", 3, r"[A-Za-z0-9_\-]{2,}")],
)  # fmt: skip
def test_token_start_is_the_leading_boundary_moved_behind_the_head(head, width, tail):
    """``_token_start`` (what lets ``re`` skip to the rules' literal prefixes) finds exactly the
    matches of the lookbehind-first spelling, also from a ``pos`` inside the text."""
    moved = re.compile(_token_start(head, width) + tail)
    first = re.compile(r"(?<![A-Za-z0-9_])" + head + tail)
    rng = random.Random(12)
    parts = [
        "AKIA",
        "A3TQ",
        "ghp_",
        "github_pat_",
        "sk_live_",
        "rk_test_",
        "eyJ",
        "_",
        "-",
        " ",
        "x",
        "Q7",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 9)))
        pos = rng.randint(0, len(text))
        for start in (0, pos):
            spans = [m.span() for m in first.finditer(text, start)]
            assert [m.span() for m in moved.finditer(text, start)] == spans, (text, start)


def test_github_token_rule_keeps_both_prefixes_at_a_token_start():
    rule = {r.name: r for r in RULES}["github_token"]
    for prefix in ("ghp_", "github_pat_"):
        value = prefix + "a1" * 31
        assert rule.pattern.search(f"-{value} ").group("value") == value
        assert rule.pattern.search(f"x{value} ") is None


def test_aws_secret_rule_spelled_with_a_leading_class_is_the_ignorecase_one():
    rule = {r.name: r for r in RULES}["aws_secret_access_key"].pattern
    spelled = r"[aAsS\u017f](?:(?<=[aA])(?i:ws)|(?<=[sS\u017f])(?i:ecret))"
    assert rule.pattern.startswith(spelled)
    plain = re.compile("(?i:aws|secret)" + rule.pattern[len(spelled) :])
    rng = random.Random(4)
    parts = ["aws", "AWS", "aWs", "secret", "SECRET", "\u017fecret", "s", "a", "_key", " = ", "="]
    parts += [":", '"', "'", ",", "x", "/", "A" * 40, "b1/+" * 10, "=="]
    for _ in range(5000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 10)))
        want = [(m.span(), m.span("value")) for m in plain.finditer(text)]
        assert [(m.span(), m.span("value")) for m in rule.finditer(text)] == want, text
