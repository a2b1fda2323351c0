"""Secret rules detect-secrets lacks or gets wrong for code: token formats with a known prefix,
private-key blocks, cloud credentials, credentials in URLs and password assignments in code and
config files.

A rule is a regular expression whose group ``value`` is the secret (the span that redaction
replaces). ``anchors`` are lower-case literals of which every match contains at least one; the
pre-filter only hands a rule the lines that contain one of its anchors. Block rules (private
keys, service-account JSON) run on the whole text because their matches span lines.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from curate.filters.secrets.paths import is_code_path, is_config_path

_E = r"(?![A-Za-z0-9_])"  # token end boundary


def _token_start(head: str, width: int) -> str:
    """``head`` (a regex matching exactly ``width`` characters, none a newline) at a token
    start: ``(?<![A-Za-z0-9_])head`` with the boundary test moved behind ``head``, where it
    looks at the character before ``head``'s match (the same matches). A pattern that begins
    with a lookbehind makes ``re`` try it at every position; one that begins with a literal
    lets ``re`` skip ahead to that literal (~20x faster on the long minified lines, where the
    rules scan whole lines of up to megabytes)."""
    return f"{head}(?<![A-Za-z0-9_]{'.' * width})"


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    pattern: re.Pattern[str]
    anchors: tuple[str, ...]
    shapes: tuple[str, ...] = ()
    """Regexes (case-sensitive) of which every match contains a match; see ``prefilter``."""
    nocase: tuple[str, ...] = ()
    """The same, matched case-insensitively."""
    need: str | None = None
    block: bool = False
    config_only: bool = False
    """Only for config-like files (.env, YAML, INI, properties, shell): unquoted values."""
    kind_by_key: bool = field(default=False)
    """The kind depends on the assignment's key name (password vs other secret)."""

    @property
    def detector(self) -> str:
        return f"curate.{self.name}"


def _r(p: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(p, flags)


PRIVATE_KEY_BLOCK = _r(
    r"(?P<value>-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.{0,20000}?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\:-]{16,8000}))",
    re.DOTALL,
)
PUTTY_KEY = _r(r"(?P<value>PuTTY-User-Key-File-[23]:.{0,8000}?Private-MAC: *[0-9a-f]+)", re.DOTALL)
GCP_SERVICE_ACCOUNT = _r(r'"private_key_id"\s*:\s*"(?P<value>[0-9a-f]{40})"')

_SECRET_WORDS = (
    "password|passwd|passphrase|passwort|pwd|pass|secret|token|apikey|api_key|api-key|"
    "access_key|accesskey|auth_key|authkey|private_key|privatekey|client_secret|credentials?"
)

# key [quote/bracket] operator value ; the key's name decides password vs generic secret.
ASSIGNMENT = _r(
    r"(?P<key>[A-Za-z_][\w.\-]*)[\"'\]]*[ \t]*(?::=|=>|=|:)(?!=)[ \t]*"
    r"(?:(?P<q>[\"'`])(?P<value>[^\"'`\n]{4,200}?)(?P=q)"
    r"|(?P<bare>[^\s\"'`,;#]{4,200}))"
)

_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "auth",
        "private",
        "secret",
        "client",
        "signing",
        "encryption",
        "master",
        "app",
        "account",
        "service",
    }
)
# ``key_kind`` only names a credential when the key holds (in ASCII letters, any case) a
# password/secret word, or a qualifier and ``key`` separated by non-alphanumeric key characters;
# the operator follows the rest of the key: a necessary condition for a finding.
_ASSIGNMENT_SHAPES = (
    r"(?:pass|pw|secret|token|credential|(?:"
    + "|".join(sorted(_KEY_QUALIFIERS))
    + r")[_.\-\x80-\xff]*key)[\w.\-]*[\"'\]]*[ \t]*[:=]",
)

RULES: tuple[Rule, ...] = (
    Rule("private_key", "private_key", PRIVATE_KEY_BLOCK, ("private key",), block=True),
    Rule("putty_key", "private_key", PUTTY_KEY, ("putty-user-key-file",), block=True),
    Rule(
        "gcp_service_account",
        "gcp_service_account_key",
        GCP_SERVICE_ACCOUNT,
        ("private_key_id",),
        block=True,
    ),
    Rule(
        "aws_access_key_id",
        "aws_access_key_id",
        _r(
            r"(?P<value>"
            + _token_start("A", 1)
            + r"(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z0-9]{16})"
            + _E
        ),
        ("akia", "asia", "abia", "acca", "a3t"),
    ),
    Rule(
        "aws_secret_access_key",
        "aws_secret_access_key",
        _r(
            # ``(?i:aws|secret)`` spelled to begin with its first letters (``re`` skips to
            # them; ``ſ`` is the one other character ``(?i:s)`` matches)
            r"[aAsS\u017f](?:(?<=[aA])(?i:ws)|(?<=[sS\u017f])(?i:ecret))"
            r"[\w.\-]*[\"'\]]*[ \t]*(?::=|=>|=|:|,)[ \t]*[\"'`]?"
            r"(?P<value>(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=]))"
        ),
        ("aws", "secret"),
    ),
    Rule(
        "azure_key",
        "azure_key",
        _r(
            r"(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=(?P<value>[A-Za-z0-9+/%]{20,}={0,2})"
        ),
        ("accountkey=", "sharedaccesskey=", "sharedaccesssignature=", "sig="),
    ),
    Rule(
        "github_token",
        "github_token",
        _r(
            r"(?P<value>"
            + _token_start("g", 1)
            + r"(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{60,255}))"
            + _E
        ),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Rule(
        "gitlab_token",
        "gitlab_token",
        _r(
            r"(?P<value>"
            + _token_start("gl", 2)
            + r"(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_\-]{20,255})"
            + _E
        ),
        (
            "glpat-",
            "gldt-",
            "glft-",
            "glsoat-",
            "glrt-",
            "glcbt-",
            "glimt-",
            "glptt-",
            "glagent-",
            "gloas-",
        ),
    ),
    Rule(
        "slack_token",
        "slack_token",
        _r(r"(?P<value>" + _token_start("xox", 3) + r"[abposre]-[0-9A-Za-z\-]{10,250})" + _E),
        ("xox",),
    ),
    Rule(
        "slack_webhook",
        "slack_webhook",
        _r(
            r"hooks\.slack\.com/(?:services|workflows)/(?P<value>T[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]{16,})"
        ),
        ("hooks.slack.com",),
    ),
    Rule(
        "stripe_key",
        "stripe_key",
        _r(r"(?P<value>" + _token_start("[sr]k", 2) + r"_(?:live|test)_[0-9A-Za-z]{24,247})" + _E),
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_"),
    ),
    Rule(
        "twilio_key",
        "twilio_key",
        _r(r"(?P<value>" + _token_start("SK", 2) + r"[0-9a-f]{32})" + _E),
        (),
        shapes=(r"SK[0-9a-f]{32}",),
    ),
    Rule(
        "sendgrid_key",
        "sendgrid_key",
        _r(r"(?P<value>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})" + _E),
        ("sg.",),
    ),
    Rule(
        "npm_token",
        "npm_token",
        _r(r"(?P<value>" + _token_start("npm_", 4) + r"[A-Za-z0-9]{36})" + _E),
        ("npm_",),
    ),
    Rule("pypi_token", "pypi_token", _r(r"(?P<value>pypi-AgE[A-Za-z0-9_\-]{50,})"), ("pypi-age",)),
    Rule(
        "anthropic_key",
        "anthropic_key",
        _r(r"(?P<value>" + _token_start("sk-ant-", 7) + r"[a-z0-9]{2,10}-[A-Za-z0-9_\-]{32,})"),
        ("sk-ant-",),
    ),
    Rule(
        "openai_key",
        "openai_key",
        _r(
            r"(?P<value>" + _token_start("sk-", 3) + r"(?!ant-)(?:proj-|svcacct-|admin-)?"
            r"(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Z])[A-Za-z0-9_\-]{32,})" + _E
        ),
        ("sk-",),
    ),
    Rule(
        "jwt",
        "jwt",
        _r(
            r"(?P<value>"
            + _token_start("eyJ", 3)
            + r"[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})"
        ),
        ("eyj",),
    ),
    Rule(
        "url_credentials",
        "url_password",
        _r(
            r"[A-Za-z][A-Za-z0-9+.\-]*://(?P<value>[^\s:@/\"'`<>]{1,100}:[^\s:@/\"'`<>]{1,200})@"
            r"[A-Za-z0-9\[]"
        ),
        (),
        shapes=(r"://[^\s:@/\"'`<>]+:[^\s:@/\"'`<>]+@[A-Za-z0-9\[]",),
    ),
    Rule("assignment", "password", ASSIGNMENT, (), nocase=_ASSIGNMENT_SHAPES, kind_by_key=True),
)

_SUFFIX_KINDS = (
    ("password", "password"),
    ("passwd", "password"),
    ("passphrase", "password"),
    ("secret", "generic_secret"),
    ("token", "generic_secret"),
    ("apikey", "generic_secret"),
    ("secretkey", "generic_secret"),
    ("accesskey", "generic_secret"),
    ("privatekey", "generic_secret"),
)
_KEY_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_PASSWORD_PARTS = frozenset({"password", "passwd", "passphrase", "passwort", "pwd", "pass", "pw"})
_SECRET_PARTS = frozenset({"secret", "token", "apikey", "credential", "credentials", "passkey"})
_NOT_A_VALUE_PARTS = frozenset(
    {
        "hash",
        "hashed",
        "digest",
        "length",
        "len",
        "min",
        "max",
        "field",
        "label",
        "name",
        "names",
        "file",
        "path",
        "url",
        "uri",
        "type",
        "id",
        "ids",
        "expiry",
        "expires",
        "expiration",
        "ttl",
        "timeout",
        "policy",
        "prompt",
        "reset",
        "regex",
        "pattern",
        "placeholder",
        "hint",
        "count",
        "header",
        "param",
        "validator",
        "required",
        "input",
        "dir",
        "env",
        "var",
        "prefix",
        "suffix",
        "endpoint",
        "enabled",
        "mode",
        "format",
        "store",
        "manager",
        "provider",
        "class",
        "fn",
        "func",
        "method",
        "schema",
        "size",
        "version",
        "rotation",
        "strength",
        "error",
        "errors",
        "message",
        "msg",
        "text",
        "title",
        "help",
        "description",
        "limit",
        "chars",
        "char",
        "index",
        "idx",
        "kind",
        "ref",
        "key_id",
        "location",
        "source",
        "style",
        "color",
        "icon",
        "view",
        "form",
        "changed",
        "match",
        "check",
        "valid",
        "is",
        "has",
        "use",
        "uses",
        "show",
        "visible",
        "template",
        "example",
        "sample",
        "doc",
        "docs",
        "spec",
        "callback",
        "handler",
        "getter",
        "setter",
        "column",
        "table",
        "bytes",
        "bits",
        "encoding",
        "algorithm",
        "algo",
        "cipher",
        "option",
        "options",
        "flag",
        "flags",
        "list",
        "map",
        "set",
        "dict",
        "cache",
        "generator",
        "usage",
        "needed",
        "ok",
        "status",
        "state",
        "response",
        "request",
        "req",
        "res",
        "storage",
        "output",
        "command",
        "cmd",
        "arg",
        "args",
        "attr",
        "attribute",
        "selector",
        "element",
        "widget",
        "button",
        "dialog",
        "box",
        "entry",
        "node",
        "token_type",
        "lifetime",
        "age",
        "duration",
        "interval",
        "refresh_url",
        "position",
        "pos",
        "offset",
        "start",
        "end",
    }
)


@functools.lru_cache(maxsize=4096)  # key names repeat (password, token, ...) across lines
def key_kind(key: str) -> str | None:
    """The kind a key name gives its value: ``password``, ``generic_secret`` or None when the
    name does not name a credential (``password_hash``, ``token_url``, ``max_pass_length``)."""
    parts = [p.lower() for p in _KEY_PARTS.findall(key)]
    if not parts or any(p in _NOT_A_VALUE_PARTS for p in parts):
        return None
    last = parts[-1]
    if len(parts) == 1 and last not in _PASSWORD_PARTS | _SECRET_PARTS:
        # ADMINPASSWORD, dbpasswd, APITOKEN: one run of letters ending in the word
        for suffix, kind in _SUFFIX_KINDS:
            if last.endswith(suffix) and len(last) > len(suffix):
                return kind
        return None
    if last in _PASSWORD_PARTS or (
        len(parts) > 1 and parts[-2] in _PASSWORD_PARTS and last in {"word"}
    ):
        return "password"
    if last in _SECRET_PARTS:
        return "generic_secret"
    if last == "key" and len(parts) > 1 and parts[-2] in _KEY_QUALIFIERS:
        return "generic_secret"
    return None


_ENV_KEY = re.compile(r"[A-Z][A-Z0-9_]*\Z")


def _bare_literal(m: re.Match[str], text: str, code: bool) -> bool:
    """An unquoted value outside config files counts when it looks generated, and in source
    code only as ``NAME=value`` with an upper-case name (shell/env lines, Dockerfiles); in
    code an unquoted ``password = user_input`` is a variable, not a literal."""
    from curate.filters.secrets.falsepos import is_strong

    if not is_strong(m.group("bare")):
        return False
    if not code:
        return True
    return bool(_ENV_KEY.match(m.group("key"))) and text[m.end("key") : m.start("bare")] == "="


_KEY_CHAR = re.compile(r"[\w.\-]")
_KEY_RUN = re.compile(r"[\w.\-]*")
_KEY_START = re.compile(r"[A-Za-z_]")


@functools.cache
def _at_run_start(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` (which begins with the key group) tried only where a run of key characters
    begins, skipping the run's leading characters that cannot start a key."""
    return re.compile(r"(?<![\w.\-])(?:(?![A-Za-z_])[\w.\-])*" + pattern.pattern, pattern.flags)


def iter_key_matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    r"""``pattern.finditer(text)`` for a pattern that begins with ``(?P<key>[A-Za-z_][\w.\-]*)``,
    then ``["'\]]*[ \t]*`` and an operator starting with ``:`` or ``=`` (``ASSIGNMENT``): the
    same matches, without trying every position inside every identifier (quadratic in its
    length) or, on long lines, every position at all.

    The key runs to the end of its run of key characters, and the run, the quotes and spaces
    hold no operator character, so a match from ``pos`` starts at the start of the run just
    before some operator character at or after ``pos`` (read backwards on the reversed line)
    and is ``pattern`` tried there (``_key_before``); trying the operator characters in order
    gives the leftmost match. A search that resumes inside a run (after an unquoted value cut
    at its length limit) tries the run's remainder with ``pattern`` itself."""
    fast = _at_run_start(pattern)
    search = _key_before(fast, text)
    pos, n = 0, len(text)
    while pos <= n:
        m = None
        if 0 < pos < n and _KEY_CHAR.match(text, pos - 1) and _KEY_CHAR.match(text, pos):
            start = _KEY_START.search(text, pos, _KEY_RUN.match(text, pos).end())
            if start is not None:
                m = pattern.match(text, start.start())
        if m is None:
            m = search(pos)
            if m is None:
                return
        yield m
        pos = m.end()


_OPERATOR_CHAR = re.compile(r"[:=]")
_RUN_BEFORE = re.compile(r"[ \t]*[\"'\]]*[\w.\-]+")
"""On the reversed line, from just before an operator character: spaces, quotes, a key run."""


def _key_before(fast: re.Pattern[str], text: str) -> Callable[[int], re.Match[str] | None]:
    """``fast.search(text, pos)`` (``fast``: ``_at_run_start`` of the assignment pattern) as a
    function of ``pos``, by the operator characters (``iter_key_matches``)."""
    ops = [m.start() for m in _OPERATOR_CHAR.finditer(text)]
    rev = text[::-1]
    n = len(text)

    def search(pos: int) -> re.Match[str] | None:
        for i in range(bisect.bisect_left(ops, pos), len(ops)):
            run = _RUN_BEFORE.match(rev, n - ops[i])
            if run is None:
                continue
            start = n - run.end()  # the run's first character (the run is maximal)
            if start >= pos and (m := fast.match(text, start)) is not None:
                return m
        return None

    return search


@functools.lru_cache(maxsize=256)
def _path_kinds(path: str) -> tuple[bool, bool]:
    """(config-like, source code) for a path: computed once per document, not per line."""
    return is_config_path(path), is_code_path(path)


def iter_rule_matches(
    rule: Rule, text: str, base: int, path: str
) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, kind)`` for each match of ``rule`` in ``text`` (a line or the whole
    document; ``base`` is its offset in the document)."""
    config, code = _path_kinds(path)
    matches = (
        iter_key_matches(rule.pattern, text) if rule.kind_by_key else rule.pattern.finditer(text)
    )
    for m in matches:
        kind = rule.kind
        group = "value"
        if rule.kind_by_key:
            key_kind_ = key_kind(m.group("key"))
            if key_kind_ is None:
                continue
            kind = key_kind_
            if m.group("value") is None:
                group = "bare"
                if not config and not _bare_literal(m, text, code):
                    continue
        yield base + m.start(group), base + m.end(group), kind
