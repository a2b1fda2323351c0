"""Labeled test data: fake but well-formed secrets of every kind, personal data, and decoys of
every false-positive class, rendered in the syntax of a host file and planted into it.

Used by the unit tests and by ``benchmarks/eval_secrets.py`` (which plants into real code from
this machine). Every value is generated from a seeded RNG; none is a real credential.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from dataclasses import dataclass, field

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


@dataclass
class Label:
    start: int
    end: int
    category: str  # "secret" | "email" | "ip" | "decoy"
    kind: str  # secret/pii kind, or the decoy class


@dataclass
class Snippet:
    """Text to insert (whole lines) and labels relative to its start."""

    text: str
    labels: list[Label] = field(default_factory=list)


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, alphabet: str, n: int) -> str:
    """Random string guaranteed to hold an upper, a lower and a digit (like real tokens),
    starting with a letter or digit."""
    while True:
        s = _rand(rng, alphabet, n)
        if (
            s[0].isalnum()
            and any(c.isupper() for c in s)
            and any(c.islower() for c in s)
            and any(c.isdigit() for c in s)
        ):
            return s


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pem_body(rng: random.Random, nbytes: int, width: int = 64) -> list[str]:
    raw = base64.b64encode(rng.randbytes(nbytes)).decode()
    return [raw[i : i + width] for i in range(0, len(raw), width)]


# ------------------------------------------------------------------ secret values
def fake_value(kind: str, rng: random.Random) -> str:
    if kind == "github_token":
        return rng.choice(
            [
                lambda: "ghp_" + _mixed(rng, ALNUM, 36),
                lambda: "gho_" + _mixed(rng, ALNUM, 36),
                lambda: "github_pat_" + _mixed(rng, ALNUM, 22) + "_" + _mixed(rng, ALNUM, 59),
            ]
        )()
    if kind == "gitlab_token":
        return "glpat-" + _mixed(rng, URLSAFE, 20)
    if kind == "slack_token":
        return f"xox{rng.choice('bpa')}-{rng.randrange(10**10, 10**11)}-{rng.randrange(10**11, 10**12)}-{_mixed(rng, ALNUM, 24)}"
    if kind == "slack_webhook":
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{_rand(rng, up, 8)}/B{_rand(rng, up, 10)}/{_mixed(rng, ALNUM, 24)}"
    if kind == "stripe_key":
        return rng.choice(["sk_live_", "rk_live_", "sk_test_"]) + _mixed(
            rng, ALNUM, rng.choice([24, 99])
        )
    if kind == "twilio_key":
        return "SK" + _rand(rng, HEX, 32)
    if kind == "sendgrid_key":
        return "SG." + _mixed(rng, URLSAFE, 22) + "." + _mixed(rng, URLSAFE, 43)
    if kind == "npm_token":
        return "npm_" + _mixed(rng, ALNUM, 36)
    if kind == "pypi_token":
        return "pypi-AgEIcHlwaS5vcmc" + _mixed(rng, URLSAFE, 80)
    if kind == "openai_key":
        if rng.random() < 0.5:
            return "sk-" + _mixed(rng, ALNUM, 20) + "T3BlbkFJ" + _mixed(rng, ALNUM, 20)
        return "sk-proj-" + _mixed(rng, URLSAFE, 48)
    if kind == "anthropic_key":
        return "sk-ant-api03-" + _mixed(rng, URLSAFE, 93) + "AA"
    if kind == "jwt":
        head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64url(
            json.dumps(
                {
                    "sub": str(rng.randrange(10**6)),
                    "iat": rng.randrange(1_500_000_000, 1_800_000_000),
                    "scope": rng.choice(["read", "admin", "write"]),
                }
            ).encode()
        )
        return f"{head}.{body}.{_b64url(rng.randbytes(32))}"
    if kind == "aws_access_key_id":
        return rng.choice(["AKIA", "ASIA"]) + _rand(rng, string.ascii_uppercase + "234567", 16)
    if kind == "aws_secret_access_key":
        return _mixed(rng, B64, 40)
    if kind == "azure_key":
        return base64.b64encode(rng.randbytes(64)).decode()
    if kind == "generic_secret":
        return _mixed(rng, ALNUM + "!@^*-_=+", 50)
    if kind in ("password", "url_password"):
        return _mixed(
            rng,
            ALNUM + ("-_.~!*" if kind == "url_password" else "!@%^*-_+=."),
            rng.randrange(10, 20),
        )
    if kind == "gcp_service_account_key":
        return _rand(rng, HEX, 40)
    raise KeyError(kind)


SECRET_KINDS = (
    "private_key",
    "aws_pair",
    "gcp_service_account",
    "azure_key",
    "github_token",
    "gitlab_token",
    "slack_token",
    "slack_webhook",
    "stripe_key",
    "twilio_key",
    "sendgrid_key",
    "npm_token",
    "pypi_token",
    "openai_key",
    "anthropic_key",
    "jwt",
    "url_password",
    "password",
    "generic_secret",
)
PII_KINDS = ("email", "ipv4", "ipv6")
DECOY_CLASSES = (
    "hex_digest",
    "lock_file",
    "uuid",
    "base64_data",
    "placeholder",
    "test_fixture",
    "doc_example",
    "version_or_private_ip",
    "example_email",
    "ssh_remote",
    "package_at_version",
)

_VAR = {
    "github_token": ["GITHUB_TOKEN", "gh_token", "token", "GH_PAT", "auth"],
    "gitlab_token": ["GITLAB_TOKEN", "ci_token", "private_token"],
    "slack_token": ["SLACK_BOT_TOKEN", "slack_token", "bot"],
    "slack_webhook": ["SLACK_WEBHOOK_URL", "webhook", "hook_url"],
    "stripe_key": ["STRIPE_SECRET_KEY", "stripe_api_key", "stripe"],
    "twilio_key": ["TWILIO_API_KEY", "twilio_sid", "sid"],
    "sendgrid_key": ["SENDGRID_API_KEY", "sg_key", "mail_key"],
    "npm_token": ["NPM_TOKEN", "npm_auth"],
    "pypi_token": ["PYPI_TOKEN", "TWINE_PASSWORD", "upload_token"],
    "openai_key": ["OPENAI_API_KEY", "openai_key", "llm_key"],
    "anthropic_key": ["ANTHROPIC_API_KEY", "claude_key"],
    "jwt": ["JWT", "access_token", "bearer", "session"],
    "generic_secret": ["SECRET_KEY", "client_secret", "app_secret", "signing_secret"],
    "password": [
        "DB_PASSWORD",
        "password",
        "db_pass",
        "MYSQL_PWD",
        "adminPassword",
        "smtp_password",
    ],
}

# formats: how one "name = value" line looks in each host syntax
FORMATS = ("py", "js", "go", "c", "sh", "env", "yaml", "json", "ini", "properties", "md")


def _assign(fmt: str, name: str, value: str) -> tuple[str, int]:
    """A line assigning ``value`` to ``name`` in ``fmt``; returns (line, value offset)."""
    tpl = {
        "py": '{n} = "{v}"',
        "js": 'const {n} = "{v}";',
        "go": '\t{n} := "{v}"',
        "c": 'static const char *{n} = "{v}";',
        "sh": "export {N}={v}",
        "env": "{N}={v}",
        "yaml": "  {n}: {v}",
        "json": '  "{n}": "{v}",',
        "ini": "{n} = {v}",
        "properties": "app.{n}={v}",
        "md": "    {N}={v}",
    }[fmt]
    line = tpl.format(n=name, N=name.upper(), v=value)
    return line, line.index(value)


def secret_snippet(kind: str, fmt: str, rng: random.Random) -> Snippet:
    """One planted secret (or an AWS pair / service-account JSON) in host syntax ``fmt``."""
    if kind == "private_key":
        which = rng.choice(
            [
                "RSA PRIVATE KEY",
                "EC PRIVATE KEY",
                "PRIVATE KEY",
                "OPENSSH PRIVATE KEY",
                "PGP PRIVATE KEY BLOCK",
            ]
        )
        body = _pem_body(rng, rng.randrange(200, 900), 70 if "OPENSSH" in which else 64)
        block = "\n".join([f"-----BEGIN {which}-----", *body, f"-----END {which}-----"])
        if fmt == "py":
            text = f'KEY = """{block}"""\n'
        elif fmt in ("js",):
            text = f"const key = `{block}`;\n"
        elif fmt == "yaml":
            block_ind = "\n".join("    " + x for x in block.split("\n"))
            text = f"  private_key: |\n{block_ind}\n"
            start = text.index("-----BEGIN")
            return Snippet(
                text, [Label(start, start + len(block_ind) - 4, "secret", "private_key")]
            )
        else:
            text = block + "\n"
        start = text.index(block)
        return Snippet(text, [Label(start, start + len(block), "secret", "private_key")])
    if kind == "aws_pair":
        kid, sec = fake_value("aws_access_key_id", rng), fake_value("aws_secret_access_key", rng)
        l1, o1 = _assign(fmt, "aws_access_key_id", kid)
        l2, o2 = _assign(fmt, "aws_secret_access_key", sec)
        text = f"{l1}\n{l2}\n"
        return Snippet(
            text,
            [
                Label(o1, o1 + len(kid), "secret", "aws_access_key_id"),
                Label(
                    len(l1) + 1 + o2, len(l1) + 1 + o2 + len(sec), "secret", "aws_secret_access_key"
                ),
            ],
        )
    if kind == "gcp_service_account":
        key_id = fake_value("gcp_service_account_key", rng)
        pem = (
            "\\n".join(
                ["-----BEGIN PRIVATE KEY-----", *_pem_body(rng, 600), "-----END PRIVATE KEY-----"]
            )
            + "\\n"
        )
        project = rng.choice(["acme-prod", "data-pipeline-1234", "webshop-42"])
        lines = [
            "{",
            '  "type": "service_account",',
            f'  "project_id": "{project}",',
            f'  "private_key_id": "{key_id}",',
            f'  "private_key": "{pem}",',
            f'  "client_email": "deployer@{project}.iam.gserviceaccount.com",',
            '  "token_uri": "https://oauth2.googleapis.com/token"',
            "}",
        ]
        text = "\n".join(lines) + "\n"
        if fmt == "py":
            text = f"SERVICE_ACCOUNT = '''{text}'''\n"
        a = text.index(key_id)
        b = text.index("-----BEGIN")
        e = text.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")
        c = text.index("deployer@")
        return Snippet(
            text,
            [
                Label(a, a + 40, "secret", "gcp_service_account_key"),
                Label(b, e, "secret", "private_key"),
                Label(c, text.index('"', c), "email", "email"),
            ],
        )
    if kind == "azure_key":
        key = fake_value("azure_key", rng)
        conn = f"DefaultEndpointsProtocol=https;AccountName=acct{rng.randrange(999)};AccountKey={key};EndpointSuffix=core.windows.net"
        line, off = _assign(fmt, "AZURE_STORAGE_CONNECTION_STRING", conn)
        s = off + conn.index(key)
        return Snippet(line + "\n", [Label(s, s + len(key), "secret", "azure_key")])
    if kind == "url_password":
        pw = fake_value("url_password", rng)
        user = rng.choice(["admin", "app", "deploy", "svc_user", "root"])
        host = rng.choice(["db.internal.acme.io", "10.1.2.3", "cache.prod.svc", "mq.corp.net"])
        scheme = rng.choice(["postgres", "mysql", "mongodb+srv", "redis", "amqp", "https"])
        url = f"{scheme}://{user}:{pw}@{host}/main"
        line, off = _assign(fmt, rng.choice(["DATABASE_URL", "broker_url", "dsn"]), url)
        cred = f"{user}:{pw}"  # the span is the whole credential, user name included
        s = off + url.index("://") + 3
        return Snippet(line + "\n", [Label(s, s + len(cred), "secret", "url_password")])
    value = fake_value(kind, rng)
    style = rng.random()
    if kind not in ("password", "generic_secret") and style < 0.25 and fmt in ("py", "js", "go"):
        # no telling variable name: a header or a call argument
        line = rng.choice(
            [
                f'headers = {{"Authorization": "Bearer {value}"}}',
                f'client = Client("{value}", timeout=30)',
                f'    call(api, "{value}")',
            ]
        )
        off = line.index(value)
    else:
        line, off = _assign(fmt, rng.choice(_VAR[kind]), value)
    if kind == "slack_webhook":  # the secret is the path; the host is public knowledge
        cut = value.index("/services/") + len("/services/")
        off, value = off + cut, value[cut:]
    return Snippet(line + "\n", [Label(off, off + len(value), "secret", kind)])


# ------------------------------------------------------------------ personal data
_FIRST = ["jane", "marco", "li", "fatima", "olga", "sven", "amara", "kenji", "lucia", "tom", "anna"]
_LAST = ["doe", "rossi", "wang", "haddad", "petrova", "lund", "okafor", "sato", "garcia", "kim"]
_DOMAINS = [
    "gmail.com",
    "outlook.com",
    "acme-corp.io",
    "uni-heidelberg.de",
    "mail.ru",
    "yahoo.co.jp",
    "fastmail.fm",
    "proton.me",
    "company.org",
    "cs.stanford.edu",
]


def fake_email(rng: random.Random) -> str:
    f, l_ = rng.choice(_FIRST), rng.choice(_LAST)
    local = rng.choice([f"{f}.{l_}", f"{f}{rng.randrange(100)}", f"{f[0]}{l_}", f"{f}_{l_}+dev"])
    return f"{local}@{rng.choice(_DOMAINS)}"


def fake_public_ipv4(rng: random.Random) -> str:
    import ipaddress

    from curate.filters.secrets.pii import is_personal_ip

    while True:
        a = ipaddress.IPv4Address(rng.randrange(1 << 32))
        if is_personal_ip(a) and all(len(o) > 1 for o in str(a).split(".")[:2]):
            return str(a)


def fake_public_ipv6(rng: random.Random) -> str:
    import ipaddress

    addr = ipaddress.IPv6Address((0x2A00 + rng.randrange(0x100)) << 112 | rng.getrandbits(112))
    text = str(addr)
    if rng.random() < 0.3:
        text = addr.exploded
    return text


def pii_snippet(kind: str, fmt: str, rng: random.Random) -> Snippet:
    if kind == "email":
        value = fake_email(rng)
        comment = {
            "py": "#",
            "sh": "#",
            "yaml": "#",
            "env": "#",
            "ini": ";",
            "properties": "#",
            "md": "",
        }.get(fmt, "//")
        line = (
            rng.choice(
                [
                    f"{comment} Author: {rng.choice(_FIRST).title()} {rng.choice(_LAST).title()} <{value}>",
                    f"{comment} contact {value} for access",
                ]
            )
            if rng.random() < 0.6
            else _assign(fmt, "maintainer_email", value)[0]
        )
    else:
        value = fake_public_ipv4(rng) if kind == "ipv4" else fake_public_ipv6(rng)
        line = _assign(fmt, rng.choice(["server_ip", "upstream_host", "peer", "bind_addr"]), value)[
            0
        ]
    off = line.index(value)
    return Snippet(
        line + "\n", [Label(off, off + len(value), "email" if kind == "email" else "ip", kind)]
    )


# ------------------------------------------------------------------ decoys
def _lock_file(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["package-lock.json", "yarn.lock", "poetry.lock", "go.sum"])
    out = []
    for _ in range(rng.randrange(5, 15)):
        name = _rand(rng, string.ascii_lowercase, rng.randrange(3, 10))
        ver = f"{rng.randrange(10)}.{rng.randrange(20)}.{rng.randrange(30)}"
        sri = "sha512-" + base64.b64encode(rng.randbytes(64)).decode()
        if kind == "package-lock.json":
            out += [
                f'    "node_modules/{name}": {{',
                f'      "version": "{ver}",',
                f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-{ver}.tgz",',
                f'      "integrity": "{sri}"',
                "    },",
            ]
        elif kind == "yarn.lock":
            out += [
                f"{name}@^{ver}:",
                f'  version "{ver}"',
                f'  resolved "https://registry.yarnpkg.com/{name}/-/{name}-{ver}.tgz#{_rand(rng, HEX, 40)}"',
                f"  integrity {sri}",
                "",
            ]
        elif kind == "poetry.lock":
            out += [
                "[[package]]",
                f'name = "{name}"',
                f'version = "{ver}"',
                "files = [",
                f'    {{file = "{name}-{ver}.tar.gz", hash = "sha256:{_rand(rng, HEX, 64)}"}},',
                "]",
                "",
            ]
        else:
            h = base64.b64encode(rng.randbytes(32)).decode()
            out += [
                f"github.com/{name}/{name} v{ver} h1:{h}",
                f"github.com/{name}/{name} v{ver}/go.mod h1:{h}",
            ]
    return kind, "\n".join(out) + "\n"


def decoy_snippet(cls: str, fmt: str, rng: random.Random) -> Snippet:
    """A decoy of class ``cls``: text that must yield no finding. The whole snippet is the
    decoy region."""
    if cls == "hex_digest":
        h = _rand(rng, HEX, rng.choice([32, 40, 64, 128]))
        line = rng.choice(
            [
                _assign(
                    fmt,
                    rng.choice(["sha256", "checksum", "commit_sha", "md5_hash", "file_digest"]),
                    h,
                )[0],
                f"# sha256sum: {h}  release.tar.gz",
                f'    "integrity": "sha384-{base64.b64encode(rng.randbytes(48)).decode()}",',
                f'EXPECTED_HASHES = {{"{_rand(rng, string.ascii_lowercase, 6)}.bin": "{h}"}}',
            ]
        )
    elif cls == "lock_file":
        _, text = _lock_file(rng)
        return Snippet(text, [Label(0, len(text), "decoy", cls)])
    elif cls == "uuid":
        u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if rng.random() < 0.5:
            u = u.upper()
        line = _assign(
            fmt, rng.choice(["request_id", "trace_id", "tenantId", "correlation_id", "guid"]), u
        )[0]
    elif cls == "base64_data":
        blob = base64.b64encode(
            rng.choice([b"\x89PNG\r\n\x1a\n", b"wOF2\x00\x01\x00\x00", b"GIF89a"])
            + rng.randbytes(rng.randrange(60, 300))
        ).decode()
        mime = (
            "image/png"
            if blob.startswith("iVBOR")
            else ("font/woff2" if blob.startswith("d09G") else "image/gif")
        )
        line = rng.choice(
            [
                f'  background: url("data:{mime};base64,{blob}");',
                f'ICON = "data:{mime};base64,{blob}"',
                f'    src: url(data:{mime};base64,{blob}) format("woff2");',
            ]
        )
    elif cls == "placeholder":
        line = rng.choice(
            [
                _assign(fmt, "API_KEY", "<your-api-key>")[0],
                _assign(fmt, "password", "changeme")[0],
                _assign(fmt, "GITHUB_TOKEN", "ghp_" + "x" * 36)[0],
                _assign(fmt, "DATABASE_URL", "postgres://user:password@db.example.com/app")[0],
                _assign(fmt, "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE")[0],
                _assign(fmt, "token", "${GITHUB_TOKEN}")[0],
                _assign(fmt, "secret_key", "your-secret-key-here")[0],
                _assign(fmt, "stripe_key", "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX")[0],
                _assign(fmt, "DB_PASSWORD", "<PASSWORD>")[0],
                _assign(fmt, "api_token", "xxxxxxxxxxxxxxxxxxxxxxxx")[0],
                _assign(fmt, "smtp_password", "{{ smtp_password }}")[0],
            ]
        )
    elif cls == "test_fixture":
        line = rng.choice(
            [
                'self.client.login(username="alice", password="test-password")',
                _assign(fmt, "api_key", "fake-api-key-123")[0],
                _assign(fmt, "mock_token", "dummy-token-value")[0],
                'assert check_password("hunter2") is False',
                _assign(fmt, "password", "testpass123")[0],
                'user = User(email="alice@test.invalid", password="sample-pass")',
            ]
        )
    elif cls == "doc_example":
        line = rng.choice(
            [
                "Set the `API_KEY` environment variable to your key before running.",
                "    export API_KEY=<your key>",
                "    password: mypassword",
                "Run `login --token $TOKEN` where TOKEN is your personal access token.",
                "    curl -u admin:admin http://localhost:8080/api",
                "The secret key must be at least 32 characters long.",
            ]
        )
    elif cls == "version_or_private_ip":
        line = rng.choice(
            [
                f'__version__ = "{rng.randrange(1, 9)}.{rng.randrange(10, 30)}.{rng.randrange(0, 9)}.{rng.randrange(1, 99)}"',
                f"# requires libfoo >= {rng.randrange(1, 5)}.{rng.randrange(10)}.{rng.randrange(10)}.{rng.randrange(10)}",
                f'oid = "1.3.6.1.4.1.{rng.randrange(100, 60000)}.{rng.randrange(1, 9)}"',
                _assign(fmt, "bind", f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}")[0],
                _assign(
                    fmt,
                    "host",
                    f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                )[0],
                _assign(
                    fmt,
                    "dns",
                    rng.choice(["8.8.8.8", "1.1.1.1", "9.9.9.9", "2001:4860:4860::8888"]),
                )[0],
                _assign(fmt, "docs_ip", f"203.0.113.{rng.randrange(1, 255)}")[0],
                _assign(fmt, "v6", f"2001:db8::{rng.randrange(1, 9999):x}")[0],
                _assign(
                    fmt, "loopback", rng.choice(["127.0.0.1", "::1", "fe80::1ff:fe23:4567:890a"])
                )[0],
                f"# released 2021.{rng.randrange(10, 12)}.{rng.randrange(10, 28)} build {rng.randrange(100, 999)}",
                "    std::vector<int>::iterator it = v.begin();",
            ]
        )
    elif cls == "example_email":
        line = rng.choice(
            [
                _assign(fmt, "email", f"{rng.choice(_FIRST)}@example.com")[0],
                "# git clone git@github.com:acme/widgets.git",
                '    logo = "assets/logo@2x.png"',
                _assign(fmt, "author", "someone@users.noreply.github.com")[0],
            ]
        )
    elif cls == "ssh_remote":
        user = rng.choice(["deploy", "alice", "ci", "backup", rng.choice(_FIRST).lower()])
        host = f"{rng.choice(['build', 'files', 'git', 'srv'])}.{rng.choice(['acme', 'initech', 'globex'])}.{rng.choice(['io', 'net', 'com'])}"
        line = rng.choice(
            [
                f"# git remote add origin {user}@{host}:team/app.git",
                f"    rsync -a {user}@{host}:/srv/data ./data",
                f"scp build.tar.gz {user}@{host}:~/releases/",
                f"# git clone ssh://{user}@{host}/team/app.git",
            ]
        )
    elif cls == "package_at_version":
        name = rng.choice(["react", "@babel/core", "lodash", "@types/node", "typescript"])
        ver = f"{rng.randrange(1, 20)}.{rng.randrange(20)}.{rng.randrange(30)}"
        line = rng.choice([f"    npm install {name}@{ver}", f"# requires {name}@^{ver}"])
    else:
        raise KeyError(cls)
    return Snippet(line + "\n", [Label(0, len(line), "decoy", cls)])


# ------------------------------------------------------------------ planting
def plant(host: str, snippets: list[Snippet], rng: random.Random) -> tuple[str, list[Label]]:
    """Insert each snippet at a random line boundary of ``host``; returns the new text and the
    labels in its coordinates (``decoy`` regions included)."""
    lines = host.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    slots = sorted(rng.randrange(len(lines) + 1) for _ in snippets)
    order = list(range(len(snippets)))
    rng.shuffle(order)
    out: list[str] = []
    labels: list[Label] = []
    pos = 0
    k = 0
    for i in range(len(lines) + 1):
        while k < len(slots) and slots[k] == i:
            snip = snippets[order[k]]
            labels += [
                Label(pos + lab.start, pos + lab.end, lab.category, lab.kind) for lab in snip.labels
            ]
            out.append(snip.text)
            pos += len(snip.text)
            k += 1
        if i < len(lines):
            out.append(lines[i])
            pos += len(lines[i])
    return "".join(out), labels


def host_format(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {
        "py": "py",
        "js": "js",
        "ts": "js",
        "go": "go",
        "c": "c",
        "h": "c",
        "cc": "c",
        "cpp": "c",
        "sh": "sh",
        "bash": "sh",
        "env": "env",
        "yml": "yaml",
        "yaml": "yaml",
        "json": "json",
        "ini": "ini",
        "cfg": "ini",
        "conf": "ini",
        "properties": "properties",
        "md": "md",
        "txt": "md",
        "rst": "md",
    }.get(ext, "env" if path.endswith(".env") else "ini")


def generated_config(fmt: str, rng: random.Random) -> str:
    """A small plausible config/code file of format ``fmt`` with no secrets, to plant into."""
    keys = [
        "log_level",
        "port",
        "workers",
        "timeout",
        "region",
        "cache_dir",
        "feature_flags",
        "name",
    ]
    vals = ["info", "8080", "4", "30", "eu-west-1", "/var/cache/app", "beta,search", "webshop"]
    body = [_assign(fmt, k, v)[0] for k, v in zip(keys, vals, strict=True)]
    if fmt == "ini":
        body = ["[server]", *body]
    if fmt == "json":
        body = ["{", *body, '  "end": true', "}"]
    return "\n".join(body) + "\n"
