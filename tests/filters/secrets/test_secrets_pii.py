from __future__ import annotations

import ipaddress
import random

import pytest

from curate.filters.secrets.pii import PII_DETECTORS, PiiScanner, is_personal_ip
from tests.support import secrets_synth as synth


def _values(pii_scanner, text):
    return [(f.kind, text[f.start : f.end]) for f in pii_scanner.scan(text)]


def test_emails(pii_scanner):
    text = "# Author: Jane Doe <jane.doe@gmail.com>, li_wang+dev@cs.stanford.edu\n"
    assert _values(pii_scanner, text) == [
        ("email", "jane.doe@gmail.com"),
        ("email", "li_wang+dev@cs.stanford.edu"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "user@example.com",
        "bob@mail.example.org",
        "a@b.test",
        "git@github.com:acme/x.git",
        "deploy@build.acme.io:repos/app.git",
        "alice@server.acme-corp.net:~/backup",
        "rsync -a bob@files.acme.io:/srv/data .",
        "logo@2x.png",
        "ssh://git@host.io/r",
        "https://u:pw@db.acme.io/x",
        "1234+someone@users.noreply.github.com",
        "noreply@acme.io",
        "@decorator.attr",
    ],
)
def test_not_personal_emails(pii_scanner, text):
    assert _values(pii_scanner, text) == []


def test_email_followed_by_colon_in_prose_is_still_found(pii_scanner):
    text = "Write to jane.doe@gmail.com: she answers. Or li@cs.stanford.edu:\n"
    assert _values(pii_scanner, text) == [
        ("email", "jane.doe@gmail.com"),
        ("email", "li@cs.stanford.edu"),
    ]


def test_email_recall_on_generated(pii_scanner):
    rng = random.Random(11)
    emails = [synth.fake_email(rng) for _ in range(300)]
    text = "\n".join(f"# contact: {e}" for e in emails)
    assert [v for _, v in _values(pii_scanner, text)] == emails


def test_public_ips(pii_scanner):
    text = 'server = "93.184.216.34"; v6 = "2a00:1450:4001:82b::200e"\n'
    assert _values(pii_scanner, text) == [
        ("ipv4", "93.184.216.34"),
        ("ipv6", "2a00:1450:4001:82b::200e"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "192.168.1.20",
        "10.0.0.5",
        "172.16.4.1",
        "127.0.0.1",
        "0.0.0.0",
        "169.254.1.1",
        "203.0.113.7",
        "198.51.100.2",
        "192.0.2.1",
        "100.64.1.1",
        "224.0.0.251",
        "8.8.8.8",
        "1.1.1.1",
        "9.9.9.9",
        "2001:4860:4860::8888",
        "::1",
        "fe80::1ff:fe23:4567:890a",
        "2001:db8::1",
        "fd12:3456:789a::1",
        "version 2.10.3.41",
        '__version__ = "4.15.2.84"',
        "v10.20.30.40",
        "1.3.6.1.4.1.311",
        "1.2.3.4",
        "std::vector<int>::iterator",
        "12:34:56",
        "00:1a:2b:3c:4d:5e",
        "a::b",
        "pkg>=21.10.30.44",
    ],
)
def test_not_personal_ips(pii_scanner, text):
    assert _values(pii_scanner, text) == []


def test_generated_public_ips_found(pii_scanner):
    rng = random.Random(5)
    for _ in range(200):
        v4, v6 = synth.fake_public_ipv4(rng), synth.fake_public_ipv6(rng)
        assert is_personal_ip(ipaddress.ip_address(v4))
        assert _values(pii_scanner, f'peer = "{v4}" # {v6}\n') == [("ipv4", v4), ("ipv6", v6)]


def test_detectors_are_pluggable(pii_scanner):
    class Phone:
        name = "pii.phone"

        def detect(self, text, path=""):
            from curate.filters.secrets.findings import Finding

            i = text.find("+47 ")
            return [Finding.of(text, i, i + 12, "phone", self.name)] if i >= 0 else []

    PII_DETECTORS["phone"] = Phone
    try:
        scanner = PiiScanner(("email", "phone"))
        text = "call +47 22334455 or mail ola@nordmann.no"
        assert [f.kind for f in scanner.scan(text)] == ["phone", "email"]
    finally:
        del PII_DETECTORS["phone"]


def test_unknown_detector_is_a_config_error():
    from curate.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown detector"):
        PiiScanner(("email", "ner"))


@pytest.mark.parametrize(
    "text",
    ["Wed, 3 Apr 2002 12.34.56.78+0800", '<path d="M1.52-.87 2.83-2.12 3.51.98.32 2.03.5 3.1z"/>'],
)
def test_times_and_number_lists_are_not_ips(pii_scanner, text):
    assert _values(pii_scanner, text) == []


def test_detectors_run_only_where_their_triggers_fire(pii_scanner, monkeypatch):
    """The compiled pass gates each detector: no '@' -> no e-mail scan, no dotted quad -> no
    IPv4 regex, no ':h:' -> no IPv6 scan; the findings equal the ungated detectors'."""
    calls: list[str] = []
    ip = next(d for d in pii_scanner.detectors if d.name == "pii.ip")
    email = next(d for d in pii_scanner.detectors if d.name == "pii.email")
    for name in ("_v4", "_v6"):
        orig = getattr(ip, name)
        monkeypatch.setattr(ip, name, lambda text, o=orig, n=name: calls.append(n) or o(text))
    orig_email = email.detect
    monkeypatch.setattr(
        email, "detect", lambda *a, **k: calls.append("email") or orig_email(*a, **k)
    )
    assert pii_scanner.scan("x = 1\nversion = (1, 2)\nint y: 3\n") == []
    assert calls == []
    assert _values(pii_scanner, "peer = 52.14.99.7\n") == [("ipv4", "52.14.99.7")]
    assert calls == ["_v4"]
    calls.clear()
    text = "std::vector<int> v;  // mail bob@corp.io from 2a00:1450:4001:81c::200e\n"
    assert _values(pii_scanner, text) == [
        ("email", "bob@corp.io"),
        ("ipv6", "2a00:1450:4001:81c::200e"),
    ]
    assert sorted(calls) == ["_v6", "email"]
    # the same document with non-ASCII text around it, and every detector ungated
    text = "é — " + text + "peer = 52.14.99.7 ٣\n"
    gated = pii_scanner.scan(text)
    ungated = sorted(
        (f for d in pii_scanner.detectors for f in d.detect(text, "")), key=lambda f: f.start
    )
    assert gated == ungated and len(gated) == 3


def _dotted_and_colon_texts(seed: int, count: int) -> list[str]:
    """Random runs of digits, hex letters, dots, colons and separators: dense with near-IPs."""
    rng = random.Random(seed)
    alphabet = "0123456789" * 3 + "abcdefABCDEFxyz" + "..::::" + " -_/v@\n,=é"
    texts = [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(5, 120))) for _ in range(count)
    ]
    addresses = ["8.26.4.17", "203.0.114.9", "2a00:1450:4001:80b::200e", "::ffff:8.26.4.17"]
    addresses += ["2001:db8::1", "1:2:3:4:5:6:7:8", "fe80::1:2", "a::b:c", "1.2.3.4.5"]
    for _ in range(count):
        parts = [rng.choice(addresses) if rng.random() < 0.5 else rng.choice(texts[:50])]
        parts += [rng.choice(" :.-_a1\n"), rng.choice(addresses)]
        texts.append("".join(parts))
    return texts


def test_ipv4_candidates_equal_finditer():
    """``_ipv4_matches`` tries the regex only near a seed: the same matches as ``finditer``."""
    from curate.filters.secrets.pii import _IPV4, _ipv4_matches

    for text in _dotted_and_colon_texts(3, 3000):
        expected = [m.span() for m in _IPV4.finditer(text)]
        assert [m.span() for m in _ipv4_matches(text)] == expected, repr(text)


def test_ipv6_gate_is_necessary():
    """Every text in which ``_v6`` finds an address holds the v6 trigger's shape."""
    import re

    from curate.filters.secrets.pii import _IPV6_GATE, IPDetector

    found = 0
    for text in _dotted_and_colon_texts(5, 3000):
        if IPDetector()._v6(text):
            found += 1
            assert re.search(_IPV6_GATE, text), repr(text)
    assert found > 100


def test_fired_is_the_union_of_candidate_consumers(pii_scanner):
    """``Prefilter.fired`` (no needs among the PII triggers) names the consumers ``candidates``
    gives some line, on ASCII text, non-ASCII text and text with a case-folded letter."""
    prefilter = pii_scanner.prefilter
    for text in [*_dotted_and_colon_texts(7, 1500), "a@b.io \u212a 1.2.3.4", "x::1:2 ı@x"]:
        union = set().union(*prefilter.candidates(text).values())
        assert prefilter.fired(text) == union, repr(text)
        assert prefilter.fired(text, text.encode()) == union


def test_email_gate_is_necessary(pii_scanner):
    """Every text in which the e-mail detector finds an address holds its trigger's shape."""
    import re

    from curate.filters.secrets.pii import _EMAIL_GATE, EmailDetector

    rng = random.Random(8)
    parts = ["a", "Bo.b", "@", "@x", "ex-ample", ".", ".com", ".io", "é", " ", "\n", "-", "9", ":"]
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(parts) for _ in range(rng.randrange(2, 16)))
        if EmailDetector().detect(text):
            found += 1
            assert re.search(_EMAIL_GATE, text), repr(text)
            assert "pii.email" in pii_scanner.prefilter.fired(text)
    assert found > 100
