"""False-positive controls: reasons to drop a candidate finding. Each rule is documented in
docs/pii.md and has its own tests. ``reject`` returns the first matching rule's name or None.

*Structured* kinds (a token with a vendor prefix, a key block) are only checked for
placeholders; *weak* kinds (entropy, keyword and assignment hits) face every rule.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

from curate.filters.secrets.paths import is_doc_path, is_lock_path, is_test_path

WEAK_KINDS = frozenset(
    {"high_entropy_string", "generic_secret", "password", "aws_secret_access_key"}
)
URL_KINDS = frozenset({"url_password"})

_PLACEHOLDER_MARKERS = (  # matched on the lower-cased value
    "example",
    "****",
    "...",
    "<",
    ">",
    "your_",
    "your-",
    "yourkey",
    "your key",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "replace_",
    "replace-",
    "replaceme",
    "placeholder",
    "dummy",
    "redacted",
    "${",
    "{{",
    "}}",
    "%(",
    "<%",
    "env(",
    "getenv",
    "process.env",
    "os.environ",
    "insert_",
    "insert-",
    "not-a-real",
    "notreal",
    "not_real",
    "lorem",
)
_PLACEHOLDER_CASED = re.compile(
    r"x{5}|X{5}|TODO|todo|FIXME|fixme|%s(?![A-Za-z0-9])|%d(?![A-Za-z0-9])"
)
_PLACEHOLDER_VALUES = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "apikey",
        "api_key",
        "key",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "string",
        "str",
        "value",
        "foo",
        "bar",
        "foobar",
        "baz",
        "qux",
        "abc",
        "abcd",
        "xyz",
        "empty",
        "default",
        "required",
        "optional",
        "hidden",
        "mypassword",
        "my_password",
        "mysecret",
        "my_secret",
        "secretkey",
        "secret_key",
        "s3cr3t",
        "p@ssw0rd",
        "passw0rd",
        "password1",
        "password123",
        "qwerty",
        "letmein",
        "test",
        "testing",
        "asdf",
        "blah",
        "unused",
        "unknown",
        "n/a",
        "na",
        "tbd",
        "sensitive",
        "masked",
        "invalid",
        "yes",
        "no",
        "on",
        "off",
        "enabled",
        "disabled",
        "auto",
        "ignore",
        "prompt",
    }
)
_FORMAT_FIELD = re.compile(r"\{[\w.\[\]]*\}|%\(\w+\)[sdr]|^\$\w+$|\$\{")
_FIXTURE_MARKERS = ("test", "mock", "fake", "sample", "fixture", "demo", "stub")
_REPEAT = re.compile(r"(.)\1{5,}")
_B64_CHARS = re.compile(r"[A-Za-z0-9+/_\-]+={0,2}")
_HEX_DIGEST = re.compile(
    r"(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}"
    r"|[0-9a-fA-F]{128})"
)


class WordTest:
    """Does a text hold one of ``words`` (lower-case regex fragments), or of ``bounded`` as a
    whole word, ignoring case? The same answer as searching the ignore-case alternation
    (``full``), which Python tries at every position with every branch; on ASCII text (where
    ``lower`` is what ignoring case means, and keeps word boundaries) a case-sensitive search
    of the lowered text, bounded words in one group, is ~10x faster."""

    def __init__(self, words: tuple[str, ...], bounded: tuple[str, ...] = ()):
        self.full = re.compile("|".join([*words, *(rf"\b{w}\b" for w in bounded)]), re.IGNORECASE)
        self._plain = re.compile("|".join(words))
        self._bounded = re.compile(r"\b(?:" + "|".join(bounded) + r")\b") if bounded else None

    def __call__(self, text: str) -> bool:
        if not text.isascii():
            return self.full.search(text) is not None
        low = text.lower()
        if self._plain.search(low) is not None:
            return True
        return self._bounded is not None and self._bounded.search(low) is not None


_HASH_WORDS = WordTest(
    ("sha", "md5", "hash", "digest", "checksum", "integrity", "etag", "fingerprint", "commit",
     "revision", "crc", "blake", "shasum", "object_id", "nonce", "salt", "signature"),
    ("rev", "sums?", "oid", "tree", "blob", "iv"),
)  # fmt: skip

_SRI = re.compile(r"^(?:sha(?:1|224|256|384|512)|md5)[-:]", re.IGNORECASE)
_HEX_ONLY = re.compile(r"[0-9a-fA-F]+")
_CREDENTIAL_WORDS = WordTest(
    ("key", "secret", "token", "passw", "pwd", "auth", "credential", "private", "bearer", "api",
     "access"),
)  # fmt: skip
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATA_URI = re.compile(r"data:[\w.+\-]+/[\w.+\-]+(?:;[\w=.\-]+)*;base64,", re.IGNORECASE)
_BASE64_MAGIC = (
    "iVBORw0KGgo",
    "/9j/",
    "R0lGOD",
    "UklGR",
    "AAEAAA",
    "d09GR",
    "d09GMg",
    "PHN2Zy",
    "PD94bWwg",
    "T1RUTw",
    "AAABAA",
    "JVBERi",
    "UEsDB",
    "Qk0",
    "SUkqAA",
    "AAAAIGZ0eXA",
)
_VERSION = re.compile(r"^v?\d+(?:[.\-_]\d+)*[a-z]?\d*$", re.IGNORECASE)
_UPPER_IDENT = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PATHLIKE = re.compile(
    r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)|\.(?:pem|key|crt|txt|json|ya?ml|env|cfg|ini|p12|pfx|jks)$"
)
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_CODE_REF = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+(?:\(\))?$|^\w+\(.*\)$")
_EXAMPLE_HOSTS = re.compile(
    r"@(?:[\w\-]+\.)*(?:example\.(?:com|org|net)|[\w\-]+\.(?:example|invalid|test))\b",
    re.IGNORECASE,
)


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def _char_classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def is_placeholder(value: str) -> bool:
    low = value.lower()
    stripped = low.strip("\"'` ")
    if stripped in _PLACEHOLDER_VALUES or len(set(stripped)) <= 2:
        return True
    if any(m in low for m in _PLACEHOLDER_MARKERS) or _PLACEHOLDER_CASED.search(value):
        return True
    if _REPEAT.search(low) or _FORMAT_FIELD.search(value):
        return True
    # hex digits run into "bcdef"/"01234" by chance often enough, so hex needs a longer run
    return "qwerty" in low or _has_run(low, 8 if _HEX_ONLY.fullmatch(low) else 5)


def _has_run(value: str, length: int = 5) -> bool:
    """``length`` or more consecutive characters that step by +1 or -1 (``01234``,
    ``hijkl``, ``zyxwv``): typed sequences, not generated keys."""
    up = down = 1
    for a, b in itertools.pairwise(value):
        d = ord(b) - ord(a)
        up = up + 1 if d == 1 and b.isalnum() else 1
        down = down + 1 if d == -1 and b.isalnum() else 1
        if up >= length or down >= length:
            return True
    return False


def decodes_to_text(value: str) -> bool:
    """Base64 whose bytes are printable text: encoded test data, not a random key."""
    import base64
    import binascii

    raw = value.replace("\\n", "")
    if len(raw) < 16 or not _B64_CHARS.fullmatch(raw):
        return False
    try:
        data = base64.b64decode(
            raw + "=" * (-len(raw) % 4), altchars=b"-_" if "-" in raw or "_" in raw else None
        )
    except (binascii.Error, ValueError):
        return False
    return len(data) >= 8 and all(32 <= c < 127 or c in (9, 10, 13) for c in data)


def is_strong(value: str) -> bool:
    """A value that looks generated rather than typed as an illustration."""
    return len(value) >= 8 and (_char_classes(value) >= 3 or _entropy(value) >= 3.5)


def _generated_looking(value: str) -> bool:
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def reject(
    *, kind: str, value: str, line: str, path: str, value_col: int, prev_line: str = ""
) -> str | None:
    """Name of the false-positive rule that drops this finding, or None to keep it.

    ``line`` is the finding's line, ``value_col`` the value's offset in it and ``prev_line``
    the line above (a comment there often says what a literal is)."""
    if kind == "private_key":
        if ("-----BEGIN" not in value and "PuTTY" not in value) or len(value) < 64:
            return "key_header_only"  # a bare header (e.g. detect-secrets' hit on a string test)
        body = re.sub(r"-----[A-Z0-9 ]+-----|\\n|\s", "", value)
        placeholder = len(body) < 64 or "..." in body or _PLACEHOLDER_CASED.search(body)
        return "placeholder" if placeholder or re.search(r"(.)\1{15,}", body) else None
    if kind in URL_KINDS:
        # the span is ``user:password``; the placeholder test is on the password
        if is_placeholder(value.partition(":")[2] or value):
            return "placeholder"
        if _EXAMPLE_HOSTS.search(line[value_col : value_col + len(value) + 80]):
            return "example_host"
        return None
    if is_placeholder(value):
        return "placeholder"
    if kind not in WEAK_KINDS:
        return None
    low_line = line.lower()
    if is_lock_path(path):
        return "lock_file"
    before = line[:value_col]
    hash_context = _HASH_WORDS(line) or _HASH_WORDS(prev_line) or _HASH_WORDS(path)
    if _HEX_DIGEST.fullmatch(value) and (hash_context or kind == "aws_secret_access_key"):
        return "hex_digest"
    if kind == "high_entropy_string" and _HEX_ONLY.fullmatch(value) and hash_context:
        return "hex_digest"
    if _SRI.match(value) or _SRI.search(before[-8:]) or "integrity" in low_line:
        return "hex_digest"
    if _UUID.search(value):
        return "uuid"
    if _DATA_URI.search(before) or value.startswith(_BASE64_MAGIC) or "base64," in before[-12:]:
        return "base64_data"
    if _VERSION.match(value) or value.isdigit():
        return "version_or_number"
    if kind in {"password", "generic_secret"}:
        low = value.lower()
        if any(m in low for m in _FIXTURE_MARKERS) and not _generated_looking(value):
            return "test_fixture"
        if " " in value.strip() and all(w.isalpha() for w in value.split()):
            return "prose"
        if _UPPER_IDENT.match(value) or _PATHLIKE.search(value) or _URL.match(value):
            return "reference"
        quoted = value_col > 0 and line[value_col - 1] in "\"'`"
        if not quoted and not any(c.isdigit() for c in value) and _CODE_REF.match(value):
            return "reference"
        if (is_doc_path(path) or is_test_path(path)) and not is_strong(value):
            return "doc_or_test_example"
    if kind == "high_entropy_string":
        credential_context = _CREDENTIAL_WORDS(line) or _CREDENTIAL_WORDS(prev_line)
        if is_doc_path(path) and not is_strong(value):
            return "doc_or_test_example"
        if _HEX_ONLY.fullmatch(value) and not credential_context:
            return "hex_without_context"
        if is_test_path(path) and not credential_context:
            return "test_vector"
        if decodes_to_text(value):
            return "encoded_text"
    return None
