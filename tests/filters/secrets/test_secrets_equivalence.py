"""The pre-filtered scan finds exactly what detect-secrets' full line-by-line scan finds."""

from __future__ import annotations

import random

from curate.filters.secrets import dsengine
from tests.support import secrets_synth as synth

TRICKY = """\
# AKIA-looking: AKIAABCDEFGHIJKLMNOP and aws_key = "q8Zr/Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9rT0yU"
x = "0123456789abcdef0123"  # hex entropy
y = 'aB3dE5fG7hI9jK1lM3nO5pQ7rS9t'
auth = "https://user:hunter2@example.org"
Mfoo1234567890123456789012.abcdef.abcdefghijklmnopqrstuvwxyz0
twilio = "AC0123456789abcdef0123456789abcdef"
ibm_cloud_api_key = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789"
cos_secret_access_key = "0123456789abcdef0123456789abcdef0123456789abcdef"
softlayer_api_key = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr"
mc = "0123abcd4567ef89a0b1c2d3e4f5a6b7-us12"
tg = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr"
//registry.npmjs.org/:_authToken=npm_0123456789abcdefghijABCDEFGHIJ012345
art = "AKCp5e2gMx8XyZzAbCdEfGhIjKlMnOpQrStUvWxYz0123"
password = "hunter22"  # pragma: allowlist secret
contraseña = "çava123"
PASSWORD := "go-pw-1234"
paſſword = "longs-1234"
ıbm = 1
key: 'x' * 3
"""


def _docs():
    rng = random.Random(99)
    yield "tricky.py", TRICKY
    yield "tricky.yaml", TRICKY
    yield "tricky.go", TRICKY
    for fmt in synth.FORMATS:
        host = synth.generated_config(fmt, rng)
        snips = [synth.secret_snippet(k, fmt, rng) for k in synth.SECRET_KINDS]
        snips += [synth.decoy_snippet(c, fmt, rng) for c in synth.DECOY_CLASSES]
        snips += [synth.pii_snippet(k, fmt, rng) for k in synth.PII_KINDS]
        yield f"f.{fmt}", synth.plant(host, snips, rng)[0]


def test_gated_scan_equals_full_scan(scanner):
    total = 0
    for path, text in _docs():
        full = dsengine.full_scan(text, path)
        cands = scanner.prefilter.candidates(text)
        fast = dsengine.gated_scan(text.split("\n"), cands, path)
        assert fast == full, (path, sorted(full ^ fast)[:5])
        total += len(full)
        # and the pre-filter really skips lines
        assert len(cands) < text.count("\n") + 1
    assert total > 100


def test_fast_indirect_reference_matches_detect_secrets():
    from detect_secrets.filters.heuristic import is_indirect_reference

    rng = random.Random(0)
    alphabet = "ab_.-=!:()[] \t\x0bx1"
    for _ in range(20000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
        assert dsengine.is_indirect_reference_fast(line) == is_indirect_reference(line), line
    long_line = "secret = get(" + "a" * 1200 + ")"
    assert dsengine.is_indirect_reference_fast(long_line) == is_indirect_reference(long_line)


def test_every_default_plugin_has_triggers():
    plugins = dsengine.configure()
    assert set(plugins) == set(dsengine.PLUGIN_TRIGGERS)
    assert len(plugins) >= 25


def test_fast_allowlist_matches_detect_secrets():
    """Every allowlist regex detect-secrets builds holds ``pragma``; the fast test agrees with
    the original on lines with and without pragmas, also through the previous line."""
    from detect_secrets.filters.allowlist import (
        _get_allowlist_regexes_for_file,
        is_line_allowlisted,
    )
    from detect_secrets.util.code_snippet import get_code_snippet

    for filename in ("a.py", "a.yaml", "a.go", "a.sql", "a.xml", ""):
        for regexes in _get_allowlist_regexes_for_file(filename):
            assert regexes and all("pragma" in rx.pattern for rx in regexes)
    rng = random.Random(4)

    def line() -> str:
        return "".join(
            rng.choice(options)
            for options in (
                ["", "x = 'hunter2'  ", "pw = 1 "],
                ["#", "//", "/*", "'", "--", "<!--", "", ";"],
                ["", " ", "\t"],
                ["pragma:", "pragma: ", "pragma", "Pragma: "],
                ["allowlist", "whitelist", "blocklist"],
                ["", " nextline", "-nextline"],
                [" secret", "-secret", "secret"],
                ["", " */", " -->", "  "],
            )
        )

    allowed = 0
    for _ in range(20000):
        lines = [line() for _ in range(2)]
        for filename in ("a.py", "a.yaml"):
            snippet = get_code_snippet(lines=lines, line_number=2)
            fast = dsengine.is_line_allowlisted_fast(filename, lines[1], snippet)
            assert fast == is_line_allowlisted(filename, lines[1], snippet), lines
            allowed += fast
    assert allowed > 200


def test_plugins_read_context_only_to_verify(scanner):
    """``gated_scan`` builds a line's context (its code snippet) only where a plugin found
    something, as plugins hand it only to ``verify``: with verification off (the default
    settings) every plugin finds the same secrets without it."""
    from detect_secrets.util.code_snippet import get_code_snippet

    assert not dsengine._stages().verifies
    plugins = dsengine.configure()
    for path, text in _docs():
        lines = text.split("\n")
        for idx, consumers in scanner.prefilter.candidates(text).items():
            snippet = get_code_snippet(lines=lines, line_number=idx + 1)
            for name in (c[3:] for c in consumers if c.startswith("ds:")):
                plugin = plugins[name]
                args = {"filename": path, "line": lines[idx], "line_number": idx + 1}
                with_context = plugin.analyze_line(**args, context=snippet)
                assert plugin.analyze_line(**args, context=None) == with_context
