"""One test per false-positive control (docs/pii.md), each with a near-miss that must still
be reported so the rule cannot simply swallow everything."""

from __future__ import annotations

import random
import zlib

import pytest

from curate.filters.secrets.falsepos import reject
from tests.support import secrets_synth as synth

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _kinds(scanner, text, path="src/app.py"):
    return [(f.kind, text[f.start : f.end]) for f in scanner.scan(text, path).findings]


def test_hex_digest_near_hash_words(scanner):
    assert _kinds(scanner, f'checksum = "{SHA256}"\n') == []
    assert _kinds(scanner, f'# sha256 of the release\nEXPECTED = "{SHA256}"\n') == []
    assert (
        reject(
            kind="high_entropy_string",
            value=SHA256,
            line=f'x = "{SHA256}"',
            path="a.py",
            value_col=5,
            prev_line="# integrity of dist/app.js",
        )
        == "hex_digest"
    )
    # the same hex string as a password is still a password
    assert _kinds(scanner, f'db_password = "{SHA256}"\n') == [("password", SHA256)]


def test_sri_integrity_values(scanner):
    line = (
        '  "integrity": "sha512-'
        + "A" * 10
        + 'kq9Zr+/Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9rT0yU1iO3pA5sD7fG9hJ2kL4zX6cV8bN0mQ==",\n'
    )
    assert _kinds(scanner, line, "package.json") == []


def test_lock_files_drop_weak_findings_keep_tokens(scanner):
    rng = random.Random(3)
    kind, text = synth._lock_file(rng)
    assert _kinds(scanner, text, kind) == []
    token = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
    leaked = text + f'  resolved "https://x:{token}@npm.pkg.github.com/a.tgz"\n'
    assert [k for k, _ in _kinds(scanner, leaked, "yarn.lock")] == ["github_token"]


def test_uuids(scanner):
    for u in ("9b4eaf8c-b5bc-40c0-b7d3-7b2894ccd811", "9B4EAF8C-B5BC-40C0-B7D3-7B2894CCD811"):
        assert _kinds(scanner, f'trace_id = "{u}"\nclient_secret = "{u}"\n') == []


def test_base64_image_and_font_data(scanner):
    rng = random.Random(5)
    for _ in range(20):
        snip = synth.decoy_snippet("base64_data", "js", rng)
        assert _kinds(scanner, snip.text, "src/styles.js") == []
    # a random base64 literal that is not image/font data is still flagged
    assert _kinds(scanner, 'blob = "q8Zr/Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9rT0yU1"\n')


@pytest.mark.parametrize(
    "line",
    [
        'API_KEY = "<your-api-key>"',
        'password = "changeme"',
        'GITHUB_TOKEN = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
        'DATABASE_URL = "postgres://user:s3cretPw9@db.example.com/app"',
        'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
        'token = "${GITHUB_TOKEN}"',
        'secret_key = "your-secret-key-here"',
        'stripe = "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX"',
        'smtp_password = "{{ smtp_password }}"',
        'DB_PASSWORD = "%s"',
    ],
)
def test_placeholders(scanner, line):
    assert _kinds(scanner, line + "\n") == []


def test_test_fixtures(scanner):
    for line in (
        'client.login(username="alice", password="test-password")',
        'api_key = "fake-api-key-123"',
        'password = "testpass123"',
    ):
        assert _kinds(scanner, line + "\n", "tests/test_auth.py") == [], line
    # generated-looking values stay findings even with a marker word inside
    assert _kinds(scanner, 'password = "Hunter2-fake-Qm9vXe"\n') == [
        ("password", "Hunter2-fake-Qm9vXe")
    ]


def test_documentation_examples(scanner):
    doc = "Configure:\n\n    password: mypassword\n    export API_KEY=<your key>\n"
    assert _kinds(scanner, doc, "docs/setup.md") == []
    # a strong literal in docs is still reported
    assert _kinds(scanner, "    password: Zq8kLm2pW9xR4t\n", "README.md") == [
        ("password", "Zq8kLm2pW9xR4t")
    ]


def test_references_and_prose(scanner):
    text = (
        'password = "Enter your password"\n'
        "DB_PASSWORD=${DB_PASSWORD}\n"
        'secret = os.environ["SECRET"]\n'
        'password_file = "/run/secrets/db_password"\n'
    )
    assert _kinds(scanner, text, "app.py") == []


@pytest.mark.parametrize("cls", synth.DECOY_CLASSES)
def test_decoy_classes_produce_no_findings(scanner, pii_scanner, cls):
    rng = random.Random(zlib.crc32(cls.encode()))
    paths = {
        "test_fixture": "tests/test_{}.{}",
        "doc_example": "docs/guide.md",
        "lock_file": "poetry.lock",
    }
    for fmt in synth.FORMATS:
        for _ in range(4):
            snip = synth.decoy_snippet(cls, fmt, rng)
            path = paths.get(cls, "src/mod.{1}").format(cls, fmt)
            found = scanner.scan(snip.text, path).findings + pii_scanner.scan(snip.text, path)
            assert found == [], (cls, fmt, snip.text)


def test_hex_strings_need_credential_context(scanner):
    assert (
        _kinds(scanner, 'self.assertEqual(bin(s), "EFCDAB9078563412")\n', "tests/test_x.py") == []
    )
    assert _kinds(scanner, "serial = 'CB2D80995A69525C'\n") == []
    assert _kinds(scanner, 'auth_header = "CB2D80995A69525C"\n')  # same value, credential word


def test_encoded_text_and_test_vectors(scanner):
    # base64 of readable text is encoded data, not a key
    assert (
        _kinds(scanner, 'data = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNE"\n', "lib/codec.py") == []
    )
    # random-looking literals in tests without any credential word are test vectors
    assert (
        _kinds(
            scanner, 'check(b"q8Zr/Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9rT0yU1")\n', "tests/test_codec.py"
        )
        == []
    )
    # ... but not in library code
    assert _kinds(scanner, 'check(b"q8Zr/Xb3mT1vW0pL8sN2dF5gH7jK4lQ6wE9rT0yU1")\n', "lib/codec.py")


@pytest.mark.parametrize(
    "line",
    [
        "self.wordchars = ('abcdfeghijklmnopqrstuvwxyz'",  # typed alphabet
        "'MODULE_PWD_STATE': 'yes',",  # switch values are not secrets
        "credentials = '{0}:{1}'.format(user, passwd)",  # format fields
        'password = "%(db_password)s"',
        "password = '$DB_PASSWORD'",
    ],
)
def test_sequences_switches_and_format_fields(scanner, line):
    assert _kinds(scanner, line + "\n", "lib/mod.py") == []


def test_hex_key_ids_survive_sequence_rule(scanner):
    # "bcdef" appears in random hex often; hex needs a run of 8 to count as typed
    text = '{"type": "service_account", "private_key_id": "91b714bcdef5b66dd6d07ef809e26ac1dede70aa"}\n'
    assert [k for k, _ in _kinds(scanner, text, "sa.json")] == ["gcp_service_account_key"]


def test_word_tests_answer_as_their_ignore_case_regexes():
    """The hash/credential word tests give the answer of the ignore-case alternations they
    replace, on ASCII text in any case and on text with letters Python folds onto ASCII."""
    import re

    from curate.filters.secrets import falsepos

    originals = {
        falsepos._HASH_WORDS: re.compile(
            r"sha|md5|hash|digest|checksum|integrity|etag|fingerprint|commit|revision|\brev\b|crc|"
            r"blake|shasum|\bsums?\b|\boid\b|object_id|\btree\b|\bblob\b|nonce|salt|\biv\b|"
            r"signature",
            re.IGNORECASE,
        ),
        falsepos._CREDENTIAL_WORDS: re.compile(
            r"key|secret|token|passw|pwd|auth|credential|private|bearer|api|access", re.IGNORECASE
        ),
    }
    rng = random.Random(8)
    parts = ["SHA", "sha", "ſha", "Rev", "rev", "revs", "sum", "SUMS", "oid", "void", "Tree",
             "trees", "iv", "İv", "ıv", "\u212aey", "KEY", "passW", "x", "_", " ", "-", "1", "é",
             "blob", "api", "Token", "crc", "nonce"]  # fmt: skip
    hits = dict.fromkeys(originals, 0)
    for _ in range(20000):
        text = "".join(rng.choice(parts) for _ in range(rng.randrange(5)))
        for test, regex in originals.items():
            expected = regex.search(text) is not None
            assert test(text) == expected, (text, regex.pattern[:20])
            hits[test] += expected
    assert min(hits.values()) > 2000
