"""Personal data in code: e-mail addresses and IP addresses (IPv4, IPv6).

Detectors are pluggable: anything with a ``name``, ``triggers`` and ``detect(text, path,
triggered) -> list[Finding]`` registered in ``PII_DETECTORS`` can be enabled by name in the
``pii`` annotator's config, so a later NER model (names, phone numbers) slots in without
touching the annotator. ``triggers`` (optional) are necessary conditions (``prefilter``): ``PiiScanner``
finds all of them in one compiled pass and runs a detector only on documents where one of its
triggers fired (a detector without triggers always runs); ``triggered`` names the ones that did
(None: not known, check everything).

Not personal data, by rule (docs/pii.md): addresses at reserved example domains
(``example.com``, ``*.test``, ...), no-reply and VCS service accounts; IPs that are private,
loopback, link-local, multicast, reserved or documentation ranges (``ipaddress.is_global`` is
False), well-known public DNS resolvers, and dotted numbers that are version strings (preceded
by a letter, ``v``, ``version``; more than four components; all single-digit octets).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Iterator
from typing import Protocol

from curate.filters.secrets.findings import Finding
from curate.filters.secrets.prefilter import Prefilter, Trigger


class PiiDetector(Protocol):
    name: str
    triggers: tuple[Trigger, ...]

    def detect(
        self, text: str, path: str = "", triggered: Collection[str] | None = None
    ) -> list[Finding]: ...


# ---------------------------------------------------------------- e-mail
_AT = re.compile("@")
# ``user@host:path``: a colon glued to a path character after the host is an scp/ssh remote
_SCP_PATH = re.compile(r":[\w~/.\-]")
_LOCAL_RUN = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
_EMAIL_GATE = r"@[A-Za-z0-9][A-Za-z0-9\-]*\.[A-Za-z0-9]"
"""In every address ``detect`` reports: ``_DOMAIN`` matches right after its ``@``, so a first
label, a dot and the first character of the next label or the top-level domain follow it
(decorators, ``@media``, ``@param`` and npm scopes mostly do not). The label's length is not
bounded here as in ``_DOMAIN`` (a wider, still necessary condition): Hyperscan scans an
unbounded repeat faster (the three PII triggers 0.196 -> 0.144 CPU-s over the e2e corpus with
the IP triggers' repeats unbounded too, the same documents firing but for 11 more IPv4 ones)."""
_RESERVED_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net|edu)|example|invalid|test|localhost|local|"
    r"localdomain|users\.noreply\.github\.com|noreply\.github\.com)$",
    re.IGNORECASE,
)
_SERVICE_LOCALS = frozenset(
    {"git", "noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster"}
)
_FILE_TLDS = frozenset(
    {
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "js",
        "ts",
        "py",
        "rb",
        "go",
        "rs",
        "css",
        "scss",
        "html",
        "htm",
        "json",
        "xml",
        "yml",
        "yaml",
        "md",
        "txt",
        "java",
        "kt",
        "swift",
        "php",
        "sh",
        "so",
        "dll",
        "exe",
        "zip",
        "gz",
        "tar",
        "bz",
        "xz",
        "lock",
        "min",
        "map",
        "vue",
        "jsx",
        "tsx",
        "cpp",
        "hpp",
        "cc",
        "cs",
        "pl",
        "pm",
        "lua",
        "toml",
        "ini",
        "cfg",
        "conf",
    }
)


class EmailDetector:
    name = "pii.email"
    triggers = (Trigger("pii.email", shapes=(_EMAIL_GATE,)),)

    def detect(
        self, text: str, path: str = "", triggered: Collection[str] | None = None
    ) -> list[Finding]:
        out: list[Finding] = []
        last_end = -1
        for m in _AT.finditer(text):
            at = m.start()
            if at <= last_end:
                continue
            dom = _DOMAIN.match(text, at + 1)
            if dom is None:
                continue
            # the local part, read backwards from the '@' (linear, at most 64 characters)
            run = _LOCAL_RUN.match(text[max(0, at - 64) : at][::-1])
            if run is None:
                continue
            start = at - run.end()
            # trim leading punctuation that cannot start an address in running text
            while start < at and text[start] in ".'`{|}~=/":
                start += 1
            local_part = text[start:at]
            domain = dom.group(0)
            if not local_part or local_part.endswith(".") or ".." in local_part:
                continue
            if start > 0 and text[start - 1] in ":/":  # scheme://user@ or user:pass@host
                continue
            if local_part.lower() in _SERVICE_LOCALS or _RESERVED_DOMAINS.search(domain):
                continue
            if domain.rsplit(".", 1)[-1].lower() in _FILE_TLDS:
                continue
            if _SCP_PATH.match(text, dom.end()):  # git@github.com:owner/repo (scp-style remote)
                continue
            last_end = dom.end()
            out.append(Finding.of(text, start, dom.end(), "email", self.name))
        return out


# ---------------------------------------------------------------- IP addresses
_IPV4 = re.compile(
    r"(?<![\w.\-])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w\-]|\.\d)",
    re.ASCII,
)
_IPV4_SEED = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
"""From the first dot of any ``_IPV4`` match (1-3 characters after its start) on."""
_VERSION_WORDS = re.compile(r"version|release|\bver\b|\brev\b|\bbuild\b|require", re.IGNORECASE)
_VERSION_OPS = re.compile(r"(?:\bv|==|>=|<=|~=|\^|~|@)\s*$", re.IGNORECASE)
_TIMEZONE = re.compile(r"[+-]\d{4}\b")
_DECIMAL = re.compile(r"\d\.\d")
_IPV6_SEED = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6_GATE = r"[0-9A-Fa-f]::?[0-9A-Fa-f]+::?[0-9A-Fa-f]"
"""In every address ``_v6`` reports: it has three non-empty groups, parts of an address that
``ipaddress`` accepts, so two consecutive ones are hex (the only other part, an IPv4 tail,
is the last one and starts with a digit) and one or two colons separate them (a third colon
would be a second ``::``); the middle group's length unbounded, as in ``_EMAIL_GATE``."""
_IPV6_RUN = re.compile(r"[0-9A-Fa-f:.]*")
_PUBLIC_RESOLVERS = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "8.8.8.8",
        "8.8.4.4",
        "1.1.1.1",
        "1.0.0.1",
        "9.9.9.9",
        "149.112.112.112",
        "208.67.222.222",
        "208.67.220.220",
        "64.6.64.6",
        "64.6.65.6",
        "4.2.2.1",
        "4.2.2.2",
        "4.2.2.3",
        "4.2.2.4",
        "4.2.2.5",
        "4.2.2.6",
        "94.140.14.14",
        "94.140.15.15",
        "76.76.2.0",
        "76.76.10.0",
        "185.228.168.9",
        "185.228.169.9",
        "2001:4860:4860::8888",
        "2001:4860:4860::8844",
        "2606:4700:4700::1111",
        "2606:4700:4700::1001",
        "2620:fe::fe",
        "2620:fe::9",
        "2620:119:35::35",
        "2620:119:53::53",
        "2a10:50c0::ad1:ff",
        "2a10:50c0::ad2:ff",
    )
)


def is_personal_ip(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast and addr not in _PUBLIC_RESOLVERS


class IPDetector:
    name = "pii.ip"
    triggers = (
        # the last digit of the first octet to the first digit of the last (octet lengths
        # unbounded, as in ``_EMAIL_GATE``)
        Trigger("pii.ip.v4", shapes=(r"[0-9]\.[0-9]+\.[0-9]+\.[0-9]",)),
        Trigger("pii.ip.v6", shapes=(_IPV6_GATE,)),
    )

    def detect(
        self, text: str, path: str = "", triggered: Collection[str] | None = None
    ) -> list[Finding]:
        out = self._v4(text) if triggered is None or "pii.ip.v4" in triggered else []
        if (triggered is None or "pii.ip.v6" in triggered) and ":" in text:
            out += self._v6(text)
        return out

    def _v4(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for m in _ipv4_matches(text):
            s = m.group(0)
            octets = s.split(".")
            if all(len(o) == 1 for o in octets):
                continue  # 1.2.3.4-style section and version numbers
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = text[max(line_start, m.start() - 40) : m.start()]
            if _VERSION_WORDS.search(before) or _VERSION_OPS.search(before):
                continue
            after = text[m.end() : m.end() + 12]
            if _TIMEZONE.match(after) or (_DECIMAL.search(before[-12:]) and _DECIMAL.search(after)):
                continue  # a time (12.34.56.78+0800) or a list of numbers (SVG path data)
            if not is_personal_ip(ipaddress.IPv4Address(s)):
                continue
            out.append(Finding.of(text, m.start(), m.end(), "ipv4", self.name))
        return out

    def _v6(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        seen_end = -1
        n = len(text)
        for m in _IPV6_SEED.finditer(text):
            if m.start() < seen_end:
                continue
            # grow to the run of address characters; an address is at most 45 characters
            left = _IPV6_RUN.match(text[max(0, m.start() - 46) : m.start()][::-1]).end()
            right = _IPV6_RUN.match(text, m.end(), m.end() + 46).end()
            if left > 45 or right - m.start() > 45:
                seen_end = _IPV6_RUN.match(text, m.end()).end()  # skip the whole run
                continue
            s, e = m.start() - left, right
            seen_end = e
            if (s > 0 and (text[s - 1].isalnum() or text[s - 1] in "_")) or (
                e < n and (text[e].isalnum() or text[e] == "_")
            ):
                continue
            cand = text[s:e].rstrip(".:")
            if cand.startswith(":") and not cand.startswith("::"):
                cand = cand[1:]
                s += 1
            colons = cand.count(":")
            if colons < 2 or ("::" not in cand and colons != (6 if "." in cand else 7)):
                continue  # without "::" an address has exactly 8 groups
            groups = [g for g in cand.split(":") if g]
            if len(groups) < 3 or not any(any(ch.isdigit() for ch in g) for g in groups):
                continue
            try:
                addr = ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            if not is_personal_ip(addr):
                continue
            out.append(Finding.of(text, s, s + len(cand), "ipv6", self.name))
        return out


def _ipv4_matches(text: str) -> Iterator[re.Match[str]]:
    """``_IPV4.finditer(text)``, tried only 1-3 characters before each ``_IPV4_SEED`` (a regex
    that starts with a lookbehind is tried at every position of the text). Its matches hold
    digits and dots only and its lookbehind refuses a start after either, so they never overlap
    or touch: they are exactly the ``_IPV4.match`` at each start, in order."""
    pos = 0
    tried = 0  # every start before this one has been tried
    while (seed := _IPV4_SEED.search(text, pos)) is not None:
        dot = seed.start()
        for start in range(max(tried, dot - 3), dot):
            if (m := _IPV4.match(text, start)) is not None:
                yield m
        tried = max(tried, dot)
        pos = dot + 1


PII_DETECTORS: dict[str, Callable[[], PiiDetector]] = {
    "email": EmailDetector,
    "ip": IPDetector,
}


class PiiScanner:
    def __init__(self, detectors: tuple[str, ...] = ("email", "ip")):
        unknown = [d for d in detectors if d not in PII_DETECTORS]
        if unknown:
            from curate.errors import ConfigError

            raise ConfigError(
                f"annotators.pii.detectors: unknown detector(s) {unknown}; "
                f"known: {sorted(PII_DETECTORS)}"
            )
        self.detectors = [PII_DETECTORS[d]() for d in detectors]
        own = [tuple(getattr(d, "triggers", ())) for d in self.detectors]
        self.prefilter = Prefilter(t for triggers in own for t in triggers)
        self._gated = [
            (d, frozenset(t.consumer for t in triggers))
            for d, triggers in zip(self.detectors, own, strict=True)
        ]

    def scan(self, text: str, path: str = "", data: bytes | None = None) -> list[Finding]:
        """Findings by position; ``data``: ``text`` as UTF-8, when the caller has it."""
        triggered = self.prefilter.fired(text, data)
        found: list[Finding] = []
        for d, own in self._gated:
            if not own:
                found += d.detect(text, path)
            elif own & triggered:
                found += d.detect(text, path, triggered)
        found.sort(key=lambda f: (f.start, f.end))
        out: list[Finding] = []
        for f in found:  # drop a finding nested in an earlier one (e.g. IPv4 tail of IPv6)
            if out and f.start < out[-1].end:
                continue
            out.append(f)
        return out
