"""detect-secrets, run line by line on in-memory text, only where the pre-filter says a plugin
can match.

``full_scan`` is the baseline: detect-secrets' own line loop
(``detect_secrets.core.scan._process_line_based_plugins``) with its default plugin set and
default filters over every line. ``gated_scan`` runs the very same per-line code (the same
line filters, ``_scan_line`` and secret filters) but only on candidate lines and only with the
plugins triggered there. Both return ``DsHit``s; on any input they must be equal.

detect-secrets keeps its configuration in a process-global singleton, so ``configure`` is
called once per worker (``curate.engine.worker_cache``).
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import DENYLIST as _KEYWORD_DENYLIST

from curate.filters.secrets.prefilter import Trigger

_LOCK = threading.Lock()
_CONFIGURED = False
_PLUGINS: list[Any] = []  # [detect-secrets' plugin list, those plugins by class name]

# Necessary conditions per default plugin (see prefilter): ``literals`` (lower case) and
# ``nocase`` shapes match case-insensitively, ``shapes`` case-sensitively, ``need`` is a second
# condition on the line (a Python regex).
# The keyword plugin's regexes (``detect_secrets.plugins.keyword``, every file type's set) all
# hold a denylist word and ``\w*``, then: ``[]'"]{0,2}``, spaces and one of ``:``, ``:=``,
# ``=``, ``!=``, ``=>``; or ``[n]``, spaces and ``=``/``!``; or ``.assign("``/``("``; or within
# 50 non-spaces a quoted value and ``;``; or they are ``"value" == word``. The shapes below are
# those necessary parts, ignoring case. ``_SP`` is Python's ``\s`` without the newline (it
# holds ``\x1c``-``\x1f``) and, in the non-ASCII pass, any non-ASCII byte (a Unicode space).
# The non-ASCII denylist words are plain literals.
_KW = "(?:" + "|".join(w for w in _KEYWORD_DENYLIST if w.isascii()) + ")"
_SP = r"[\t\x0b\x0c\r \x1c-\x1f\x80-\xff]*"
_KEYWORD_SHAPES = (
    _KW + r"\w*[\]'\"]{0,2}" + _SP + "[:=!]",
    _KW + r"\w*\[[0-9]*\]" + _SP + "[!=]",
    _KW + r"\w*(?:[^\n]{1}assign)?\(\"",
    "[!=]{2}" + _SP + r"\w*" + _KW,
    _KW + r"\w*[^\s]{0,50}" + _SP + r"['\"`][^\x0b'\"\n]+['\"`];",
)
_KEYWORD_LITERALS = tuple(w for w in _KEYWORD_DENYLIST if not w.isascii())
# cl(oudant|ou)?[-_]?(api)?(key|pwd|pw|password|pass|token), spelled out for the literal pass;
# its URL forms need ``cloudant.com``
_CLOUDANT = tuple(
    f"cl{a}{b}{c}{d}"
    for a in ("", "oudant", "ou")
    for b in ("", "_", "-")
    for c in ("", "api")
    for d in ("key", "pw", "pass", "token")
)
# The entropy plugins report a quoted string of their charset (their own regex,
# ``(['"])([charset]+)(\1)``) whose Shannon entropy exceeds the limit L; entropy is at most
# log2 of the number of distinct characters, so the string has at least 2**L of them (8 for
# hex at 3.0, 23 for base64 at 4.5): a quoted run that long, then (``need``, on those lines
# only) one of the plugin's strings with that many distinct characters and that entropy.
_HEX = r"[0-9a-fA-F]{8,}"
_B64 = r"[A-Za-z0-9+/\\_=\-]{23,}"
_SOFTLAYER = tuple(
    f"sl{b}{c}{d}"
    for b in ("", "_", "-")
    for c in ("", "api")
    for d in ("key", "pwd", "pass", "token")
)
PLUGIN_TRIGGERS: dict[str, dict[str, Any]] = {
    "AWSKeyDetector": {"literals": ("aws", "a3t", "abia", "acca", "akia", "asia")},
    "ArtifactoryDetector": {"literals": ("akc",), "shapes": (r"AP[\dABCDEF][a-zA-Z0-9]{8}",)},
    "AzureStorageKeyDetector": {"literals": ("accountkey=",)},
    # ://[^{}\s]+:([^{}\s]+)@
    "BasicAuthDetector": {"shapes": (r"://[^{}\s]+:[^{}\s]+@",)},
    "CloudantDetector": {"literals": ("cloudant.com", *_CLOUDANT)},
    "DiscordBotTokenDetector": {
        "shapes": (r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}",)
    },
    "GitHubTokenDetector": {"literals": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")},
    "GitLabTokenDetector": {
        "literals": (
            "glpat-",
            "gldt-",
            "glft-",
            "glsoat-",
            "glrt-",
            "gr1348941",
            "glcbt-",
            "glimt-",
            "glptt-",
            "glagent-",
            "gloas-",
        )
    },
    # keyword ["']?]? (spaces and =|:|:=|=>|::) ["']? then 44 of [a-zA-Z0-9_-], ignoring case
    "IbmCloudIamDetector": {
        "nocase": (r"(?:key|pwd|pass|token)[\"']?\]?[ :=>]*[\"']?[a-z0-9_\-]{44}",)
    },
    "IbmCosHmacDetector": {"literals": ("secret",)},
    "IPPublicDetector": {"shapes": (r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",)},
    "JwtTokenDetector": {"literals": ("eyj",)},
    "KeywordDetector": {"literals": _KEYWORD_LITERALS, "nocase": _KEYWORD_SHAPES},
    "MailchimpDetector": {"shapes": (r"-us[0-9]",)},
    "NpmDetector": {"literals": (":_authtoken=",)},
    "OpenAIDetector": {"literals": ("t3blbkfj",)},
    "PrivateKeyDetector": {"literals": ("private key", "putty-user-key-file-2")},
    "PypiTokenDetector": {"literals": ("pypi-age",)},
    "SendGridDetector": {"literals": ("sg.",)},
    "SlackDetector": {"literals": ("xox", "hooks.slack.com")},
    "SoftlayerDetector": {"literals": ("softlayer", *_SOFTLAYER)},
    "SquareOAuthDetector": {"literals": ("sq0csp-",)},
    "StripeDetector": {"literals": ("k_live_",)},
    "TelegramBotTokenDetector": {"shapes": (r"\d{8}:[0-9A-Za-z_-]{35}",)},
    "TwilioKeyDetector": {"shapes": (r"(?:AC|SK)[a-z0-9]{32}",)},
    "HexHighEntropyString": {"shapes": (f'"{_HEX}"', f"'{_HEX}'")},
    "Base64HighEntropyString": {"shapes": (f'"{_B64}"', f"'{_B64}'")},
}


@dataclass(frozen=True, order=True)
class DsHit:
    line: int  # 1-based
    type: str  # detect-secrets' secret_type
    value: str


def configure() -> dict[str, object]:
    """Enable detect-secrets' default plugin set (every built-in plugin, default limits) and
    default filters, no network verification. Idempotent; returns the plugins by class name."""
    global _CONFIGURED
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_plugins, get_settings

    with _LOCK:
        if not _CONFIGURED:
            settings = get_settings()
            settings.clear()
            settings.configure_plugins(
                [{"name": cls.__name__} for cls in get_mapping_from_secret_type_to_class().values()]
            )
            _CONFIGURED = True
        loaded = get_plugins()  # cached by detect-secrets until its settings change
        if _PLUGINS and _PLUGINS[0] is loaded:
            return _PLUGINS[1]
        plugins = {type(p).__name__: p for p in loaded}
    missing = set(plugins) - set(PLUGIN_TRIGGERS)
    if missing:
        raise RuntimeError(f"detect-secrets plugins without pre-filter triggers: {sorted(missing)}")
    _PLUGINS[:] = [loaded, plugins]
    return plugins


def triggers(max_line_chars: int | None = None) -> list[Trigger]:
    """The plugins' triggers; ``max_line_chars``: the scanner runs no plugin on longer lines
    (``SecretScanner.max_line_chars``), so there the needs (line tests) are false at once."""
    plugins = configure()
    out = []
    for name, spec in PLUGIN_TRIGGERS.items():
        plugin = plugins[name]
        if isinstance(plugin, HighEntropyStringsPlugin):
            spec = {
                **spec,
                "need": _EntropyNeed(plugin.regex, plugin.entropy_limit, max_line_chars),
            }
        out.append(Trigger(f"ds:{name}", **spec))
    return out


@dataclass(frozen=True)
class _EntropyNeed:
    """A line where an entropy plugin can report: one of the quoted strings its own regex
    finds has at least 2**limit distinct characters (see ``_HEX``) and a Shannon entropy above
    the limit (within a rounding margin; the hex plugin's adjustment for all-digit strings only
    lowers it). The plugin itself still decides on those lines. A class, not a closure, so a
    scanner pickles."""

    regex: re.Pattern[str]
    limit: float
    max_chars: int | None = None
    """Longer lines are not scanned by the plugins at all: false without a look (the test is
    a pass over the line, and minified lines are long)."""

    def __call__(self, line: str) -> bool:
        if self.max_chars is not None and len(line) > self.max_chars:
            return False
        minimum = math.ceil(2**self.limit)
        for _, value, _ in self.regex.findall(line):
            # length first: most quoted strings are short, and then no set is built
            if len(value) >= minimum and _high_entropy(value, minimum, self.limit):
                return True
        return False


@functools.lru_cache(maxsize=1 << 14)  # keys and ids repeat across files (copies, translations)
def _high_entropy(value: str, minimum: int, limit: float) -> bool:
    return len(set(value)) >= minimum and _entropy(value) > limit - 1e-6


_C_LOG2_C = tuple(c * math.log2(c) if c else 0.0 for c in range(4097))


def _entropy(value: str) -> float:
    """Shannon entropy in bits, as ``log2(n) - sum(c * log2(c)) / n`` over the character
    counts ``c`` (a table for the usual short strings: no Python loop per character)."""
    n = len(value)
    counts = map(value.count, set(value))
    if n < len(_C_LOG2_C):
        total = sum(map(_C_LOG2_C.__getitem__, counts))
    else:
        total = sum(c * math.log2(c) for c in counts)
    return math.log2(n) - total / n


def _hits(secrets: Iterable[object]) -> set[DsHit]:
    return {DsHit(s.line_number, s.type, s.secret_value) for s in secrets}  # type: ignore[attr-defined]


def full_scan(text: str, filename: str) -> set[DsHit]:
    """Baseline: detect-secrets' own loop over every line with every default plugin."""
    from detect_secrets.core.scan import _process_line_based_plugins

    configure()
    lines = text.split("\n")
    return _hits(_process_line_based_plugins(list(enumerate(lines, start=1)), filename))


# detect-secrets' ``is_indirect_reference`` regex starts with ``([^\v=!:]*)\s*``, which can
# match the empty string, so it only makes ``search`` quadratic without changing whether it
# matches. This is the same test without it (checked against the original in the tests).
_INDIRECT_REFERENCE = re.compile(r"(?::=?|[!=]{1,3})\s*[\w.-]+[\[\(][^\v]*[\]\)]")


def is_indirect_reference_fast(line: str) -> bool:
    return len(line) <= 1000 and _INDIRECT_REFERENCE.search(line) is not None


def is_line_allowlisted_fast(filename: str, line: str, context: Any) -> bool:
    """``detect_secrets.filters.allowlist.is_line_allowlisted``: each of its comment regexes
    holds the literal ``pragma`` (checked in the tests), so a line and previous line without
    it are not allowlisted, without twelve regex searches."""
    from detect_secrets.filters.allowlist import is_line_allowlisted

    if "pragma" not in line and "pragma" not in context.previous_line:
        return False
    return is_line_allowlisted(filename, line, context)


_FilterCall = tuple[Callable[..., Any], frozenset[str]]


@dataclass(frozen=True)
class _Stages:
    """detect-secrets' filter stages (``get_filters_with_parameter``) resolved once per filter
    configuration, each filter with the names it takes, so that calling it with those of the
    stage's arguments is what ``call_function_with_arguments`` does, without its per-call
    introspection. The fast equivalents above replace their originals."""

    filters: list[Any]
    line: tuple[_FilterCall, ...]
    secret: tuple[_FilterCall, ...]
    context: tuple[_FilterCall, ...]
    """The ``context`` filters the line stage has not already run with the same arguments
    (``filename``, ``line``, ``context``), for secrets whose filename is the scanned file's."""
    context_all: tuple[_FilterCall, ...]
    verifies: bool
    """Whether plugins verify their secrets (the filter of verification policies is on): only
    then does a plugin's ``analyze_line`` read its ``context`` (it hands it to ``verify``)."""


_VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"

_STAGES: _Stages | None = None


def _stages() -> _Stages:
    global _STAGES
    from detect_secrets.core.scan import get_filters_with_parameter
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.filters.heuristic import is_indirect_reference
    from detect_secrets.settings import get_filters, get_settings

    filters = get_filters()
    if _STAGES is not None and _STAGES.filters is filters:
        return _STAGES
    fast = {is_indirect_reference: is_indirect_reference_fast}
    fast[is_line_allowlisted] = is_line_allowlisted_fast

    def stage(parameter: str) -> tuple[_FilterCall, ...]:
        return tuple(
            (fast.get(f, f), frozenset(f.injectable_variables))
            for f in get_filters_with_parameter(parameter)
        )

    line = stage("line")
    already = {f for f, names in line if names <= {"filename", "line", "context"}}
    context_all = stage("context")
    context = tuple((f, names) for f, names in context_all if f not in already)
    verifies = _VERIFY_FILTER in get_settings().filters
    _STAGES = _Stages(filters, line, stage("secret"), context, context_all, verifies)
    return _STAGES


def _filtered(stage: tuple[_FilterCall, ...], **kwargs: Any) -> bool:
    """``detect_secrets.core.scan._is_filtered_out`` over one stage's filters."""
    for fn, names in stage:
        try:
            if fn(**{k: v for k, v in kwargs.items() if k in names}):
                return True
        except TypeError:  # a filter that needs an argument this stage lacks
            continue
    return False


@functools.cache
def _analyze_line_args(plugin_class: type) -> frozenset[str]:
    """The arguments detect-secrets' injection hands a plugin's ``analyze_line``."""
    from detect_secrets.util.inject import get_injectable_variables

    offered = {"filename", "line", "line_number", "context"}
    return frozenset(offered & set(get_injectable_variables(plugin_class.analyze_line)))


class GuardTimeout(Exception):
    pass


def gated_scan(
    lines: Sequence[str],
    candidates: dict[int, set[str]],
    filename: str,
    deadline: float | None = None,
) -> set[DsHit]:
    """The body of detect-secrets' line loop (``_process_line_based_plugins``, ``_scan_line``,
    ``_is_filtered_out``), on candidate lines with triggered plugins only, calling plugins and
    filters directly.

    Raises ``GuardTimeout`` (carrying the hits so far in ``args[0]``) past ``deadline``."""
    from detect_secrets.util.code_snippet import get_code_snippet

    plugins = configure()
    stages = _stages()
    verifies = stages.verifies
    out: set[DsHit] = set()
    for idx in sorted(candidates):
        names = [c[3:] for c in candidates[idx] if c.startswith("ds:")]
        if not names:
            continue
        if deadline is not None and time.monotonic() > deadline:
            raise GuardTimeout(out)
        line_number = idx + 1
        line = lines[idx].rstrip()
        # the lines around (11 of them cut out of the text) only where something reads them:
        # a verifying plugin, else the filters of a line where a plugin found something
        snippet = get_code_snippet(lines=lines, line_number=line_number) if verifies else None
        args = {"filename": filename, "line": line, "line_number": line_number, "context": snippet}
        # detect-secrets applies its line filters first; they are pure functions, so running
        # them only when a plugin found something gives the same result and skips the costly
        # ones (``is_indirect_reference`` is quadratic in the line length) on most lines.
        found = []
        for plugin in (plugins[name] for name in sorted(names)):
            wanted = _analyze_line_args(type(plugin))
            for secret in plugin.analyze_line(**{k: args[k] for k in wanted}) or ():
                if not _filtered(
                    stages.secret,
                    filename=secret.filename,
                    secret=secret.secret_value,
                    plugin=plugin,
                    line=line,
                ):
                    found.append((plugin, secret))
        if not found:
            continue
        if snippet is None:
            snippet = get_code_snippet(lines=lines, line_number=line_number)
        if _filtered(stages.line, filename=filename, line=line, context=snippet):
            continue
        for plugin, secret in found:
            # the line stage passed this line with these arguments (a plugin's secrets carry
            # the scanned filename; the full stage otherwise)
            same = secret.filename == filename
            if not _filtered(
                stages.context if same else stages.context_all,
                filename=secret.filename,
                secret=secret.secret_value,
                plugin=plugin,
                line=line,
                context=snippet,
            ):
                out.add(DsHit(line_number, secret.type, secret.secret_value))
    return out


# detect-secrets secret_type -> our kind (None: not a secret here; IPs belong to the PII pass).
KIND_BY_TYPE: dict[str, str | None] = {
    "AWS Access Key": "aws_access_key_id",
    "Artifactory Credentials": "artifactory_token",
    "Azure Storage Account access key": "azure_key",
    "Basic Auth Credentials": "url_password",
    "Cloudant Credentials": "cloudant_key",
    "Discord Bot Token": "discord_token",
    "GitHub Token": "github_token",
    "GitLab Token": "gitlab_token",
    "Hex High Entropy String": "high_entropy_string",
    "Base64 High Entropy String": "high_entropy_string",
    "IBM Cloud IAM Key": "ibm_cloud_key",
    "IBM COS HMAC Credentials": "ibm_cloud_key",
    "Public IP (ipv4)": None,
    "JSON Web Token": "jwt",
    "Secret Keyword": "generic_secret",
    "Mailchimp Access Key": "mailchimp_key",
    "NPM tokens": "npm_token",
    "OpenAI Token": "openai_key",
    "Private Key": "private_key",
    "PyPI Token": "pypi_token",
    "SendGrid API Key": "sendgrid_key",
    "Slack Token": "slack_token",
    "SoftLayer Credentials": "softlayer_key",
    "Square OAuth Secret": "square_key",
    "Stripe Access Key": "stripe_key",
    "Telegram Bot Token": "telegram_token",
    "Twilio API Key": "twilio_key",
}


def kind_of(hit: DsHit) -> str | None:
    """Our kind for a detect-secrets hit (the AWS plugin reports ids and 40-char secrets)."""
    if hit.type == "AWS Access Key" and len(hit.value) == 40:
        return "aws_secret_access_key"
    return KIND_BY_TYPE.get(hit.type, "generic_secret")
