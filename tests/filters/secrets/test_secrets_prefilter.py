"""The compiled pre-filter: its triggers are necessary conditions, on ASCII and non-ASCII text."""

from __future__ import annotations

import random
import re

import pytest

from curate.filters.secrets import dsengine
from curate.filters.secrets.prefilter import Prefilter, Trigger, widen
from curate.filters.secrets.scanner import SecretScanner, _rule_triggers
from tests.support import secrets_synth as synth

from .test_secrets_equivalence import TRICKY

# word characters, digits and spaces outside ASCII, and the letters Python's IGNORECASE folds
# onto ASCII ones (Kelvin sign, long s, dotless i, dotted capital I)
_UNICODE = ["é", "ß", "٣", "Ж", "\u00a0", "—", "\u212a", "ſ", "ı", "İ", "中", "Ñ"]


def _trigger_patterns() -> list[tuple[Trigger, str, int]]:
    """(a trigger with one pattern, its Python regex, flags) for every trigger pattern of the
    scanner."""
    out = []
    for t in _rule_triggers() + dsengine.triggers():
        c = t.consumer
        out += [(Trigger(c, literals=(x,)), re.escape(x), re.IGNORECASE) for x in t.literals]
        out += [(Trigger(c, nocase=(x,)), x, re.IGNORECASE) for x in t.nocase]
        out += [(Trigger(c, shapes=(x,)), x, 0) for x in t.shapes]
    return out


def _lines() -> list[str]:
    """Lines that hold secrets of every kind, and copies with non-ASCII characters put in."""
    rng = random.Random(7)
    base = [
        *TRICKY.split("\n"),
        "CONTRASEÑA = 'q8Zr-Xb3mT1v'",
        "APİ_KEY = 'q8Zr-Xb3mT1vW0pL'",
        "api_\u212aey: 'q8Zr-Xb3mT1vW0pL'",
        "ſecret_token = 'q8Zr-Xb3mT1vW0pL'",
    ]
    for kind in synth.SECRET_KINDS:
        for fmt in synth.FORMATS:
            base += synth.secret_snippet(kind, fmt, rng).text.split("\n")
    lines = list(base)
    for line in base:
        for _ in range(6):
            chars = list(line)
            for _ in range(rng.randrange(1, 4)):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(_UNICODE))
            lines.append("".join(chars))
    return [line for line in lines if line]


def test_widen_keeps_negated_classes_and_lifts_counts():
    assert widen(r"[^\w-][\w-]{24}") == r"[^\w-][\w\x80-\xff-]{24,}"
    # explicit ASCII classes match one byte a character: their counts stay
    assert widen(r"\d{8,10}:[0-9A-Z]{35}") == r"[\d\x80-\xff]{8,}:[0-9A-Z]{35}"
    assert widen(r"[\]\w]x\{2\}") == r"[\]\w\x80-\xff]x\{2\}"
    assert widen(r"[^ab]{3}(?:ab){2}\S{4}a{5}") == r"[^ab]{3,}(?:ab){2,}\S{4,}a{5}"


def test_every_trigger_is_a_necessary_condition_also_on_non_ascii_lines():
    """Wherever Python's (Unicode) regex for a trigger matches a line, the compiled pass
    reports the line for that consumer: on ASCII lines and on lines with non-ASCII words."""
    lines = _lines()
    assert sum(not line.isascii() for line in lines) > 500
    checked = 0
    for trigger, pattern, flags in _trigger_patterns():
        consumer = trigger.consumer
        prefilter = Prefilter([trigger])
        rx = re.compile(pattern, flags)
        for line in lines:
            found = prefilter.candidates(line)
            if rx.search(line):
                checked += 1
                assert found == {0: {consumer}}, (consumer, pattern, line)
            # a line never reports a consumer on another line index
            assert set(found) <= {0}
    assert checked > 2000


def test_lines_without_a_trigger_are_not_candidates(scanner):
    text = (
        "def f(x):\n"
        "    pass\n"
        "# see http://www.apache.org/licenses/LICENSE-2.0\n"
        "count = len(tokens)  # token ids\n"
        "tokens.append(pw_hint)\n"
        "import os\n"
    )
    assert scanner.prefilter.candidates(text) == {}
    assert scanner.scan(text, "m.py").findings == []
    hot = "x = 1\npassword = 'q8Zr-Xb3mT1v'\nurl = 'https://bob:hunter2x@db.internal'\n"
    cands = scanner.prefilter.candidates(hot)
    assert set(cands) == {1, 2}
    assert "rule:assignment" in cands[1] and "rule:url_credentials" in cands[2]
    # the same on a non-ASCII document, and line indices count "\n" only
    cands = scanner.prefilter.candidates("é\r\n" + hot)
    assert set(cands) == {2, 3}


@pytest.mark.parametrize("path", ["app.py", "settings.yaml", ".env"])
def test_prefiltered_scan_equals_full_scan_on_non_ascii_documents(scanner, path):
    rng = random.Random(11)
    lines = _lines()
    rng.shuffle(lines)
    text = "\n".join(lines[:400])
    full = SecretScanner(prefilter=False).scan(text, path)
    fast = scanner.scan(text, path)
    assert fast.findings == full.findings
    assert len(fast.findings) > 20
    assert fast.candidate_lines < text.count("\n") + 1


def test_locate_finds_the_spans_of_its_guarded_regex():
    """``locate`` (str.find, no regex per value) gives the spans of
    ``(?<![A-Za-z0-9_])value(?![A-Za-z0-9_])``, guards only on word-character ends, else the
    first occurrence."""
    from curate.filters.secrets.scanner import locate

    def by_regex(line: str, value: str) -> list[tuple[int, int]]:
        left = r"(?<![A-Za-z0-9_])" if value[0].isalnum() or value[0] == "_" else ""
        right = r"(?![A-Za-z0-9_])" if value[-1].isalnum() or value[-1] == "_" else ""
        spans = [m.span() for m in re.finditer(left + re.escape(value) + right, line)]
        i = line.find(value)
        return spans or ([(i, i + len(value))] if i >= 0 else [])

    rng = random.Random(3)
    alphabet = "ab_-. é1"
    for _ in range(20000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(15)))
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 4)))
        assert locate(line, value) == by_regex(line, value), (line, value)
    assert locate("k=ab ab_ xab ab", "ab") == [(2, 4), (13, 15)]
    assert locate("xabx", "ab") == [(1, 3)]  # no guarded occurrence: the first one


def test_key_matches_equal_finditer_of_the_assignment_rule():
    """The assignment rule's matches, tried only at the start of the identifier run before each
    operator character, are exactly ``finditer``'s: on random lines, on one long line of them,
    and where a value cut at 200 characters ends inside a run."""
    from curate.filters.secrets.rules import ASSIGNMENT, iter_key_matches

    def spans(matches):
        return [(m.group("key"), m.span("value"), m.span("bare"), m.end()) for m in matches]

    rng = random.Random(5)
    words = ["password", "pw", "api_key", "token", "x1", "9a", "-", ".", "_", "é", "é1"]
    glue = [" = ", "=", ": ", ":=", "=>", '"', "'", "`", " ", "\t", "==", ",", "]", "x", "#", '"]']
    lines = [
        "password=" + "a" * 250 + "token=" + "b" * 12,
        "password=" + "a" * 199 + ".9token='abcd1234'",
        "-.9pass_word = 'hunter2hunter2'; 1token: \"q8Zr-Xb3mT1v\"",
    ]
    for _ in range(5000):
        lines.append("".join(rng.choice(words if i % 2 else glue) for i in range(14)))
    lines.append(";".join(lines[3:400]))  # a minified-like line: many matches, many operators
    for line in lines:
        assert spans(iter_key_matches(ASSIGNMENT, line)) == spans(ASSIGNMENT.finditer(line)), line
    assert len(spans(iter_key_matches(ASSIGNMENT, lines[0]))) == 2


def _keyword_lines(rng: random.Random, n: int) -> list[str]:
    """Random lines built from the keyword plugin's parts: denylist words (any case, affixes,
    letters Python folds onto ASCII ones), closing quotes and brackets, every operator, spaces
    Python's ``\\s`` knows (``\\x1c``, no-break, ideographic), quotes, values, ``;``, calls;
    in the plugin's orders (word, operator, value or value, comparison, word) and shuffled."""
    words = ["password", "PassWd", "pwd", "secret", "api_key", "APIKEY", "db_pass", "key_pass",
             "private_key", "contrase\u00f1a", "CONTRASE\u00d1A", "contrasena", "pa\u017f\u017fword",
             "api_\u212aey", "my_secret", "secret\u00e9", "x"]  # fmt: skip
    closing = ["", "", "]", "'", '"', "']", "[0]", "[]", "_1"]
    spaces = ["", "", "", "", " ", "\t", "\x1c", "\u00a0", "\u3000", "\x0b"]
    ops = [":", ":=", "=", "==", "===", "!=", "!==", "=>", "!", "!!", "(", ".assign(", "xassign(",
           "", "=@", " = @", "(", ".assign("]  # fmt: skip
    quotes = ["'", '"', "`", ""]
    values = ["hunter2", "q8Zr-Xb3", "\u00e9t\u00e9", "$x", "abc def", "a,b", "x`y", "", "{x}"]
    tails = ["", "", ";", ")", " ;", ",", "  "]
    lines = []
    for _ in range(n):
        q = rng.choice(quotes)
        quoted = q + rng.choice(values) + rng.choice([q, q, rng.choice(quotes)])
        word = rng.choice(["", "", "get_", "$"]) + rng.choice(words) + rng.choice(closing)
        op = rng.choice(spaces) + rng.choice(ops) + rng.choice(spaces)
        order = rng.randrange(3)
        if order == 0:
            parts = [word, op, quoted, rng.choice(tails)]
        elif order == 1:
            parts = [quoted, op, word, rng.choice(tails)]
        else:
            parts = [word, op, quoted, word, op, quoted]
            rng.shuffle(parts)
        lines.append(rng.choice(["", "  ", "x = "]) + "".join(parts))
    return lines


def test_keyword_shapes_hold_wherever_a_keyword_regex_matches():
    """Every regex of detect-secrets' keyword plugin, for every file type, matches only on
    lines the keyword trigger reports (its shapes are necessary conditions), and the shapes
    still drop most lines that merely name a keyword."""
    from detect_secrets.plugins import keyword

    regexes = {rx for table in keyword.REGEX_BY_FILETYPE.values() for rx in table}
    regexes |= set(keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
    trigger = next(t for t in dsengine.triggers() if t.consumer == "ds:KeywordDetector")
    prefilter = Prefilter([trigger])
    rng = random.Random(13)
    matched = dict.fromkeys(regexes, 0)
    for line in _keyword_lines(rng, 40000):
        hits = [rx for rx in regexes if rx.search(line.rstrip())]
        for rx in hits:
            matched[rx] += 1
        if hits:
            assert prefilter.candidates(line) == {0: {trigger.consumer}}, repr(line)
    assert min(matched.values()) > 20, sorted(matched.values())
    mentions = [
        'self.assertEqual(form["password1"].errors, [])',
        "def check_password(self, raw):",
        "# the secret is read from the environment",
        "user.set_password(new)",
    ]
    assert all(prefilter.candidates(line) == {} for line in mentions)


def test_entropy_need_holds_wherever_the_entropy_plugins_report():
    """The second test for the entropy plugins (distinct characters and entropy of their own
    quoted strings) is true on every line where the plugin itself reports, and false on
    typical code strings (identifiers, paths) the plugin does not report."""
    plugins = dsengine.configure()
    needs = {t.consumer[3:]: t.need for t in dsengine.triggers() if callable(t.need)}
    assert set(needs) == {"HexHighEntropyString", "Base64HighEntropyString"}
    rng = random.Random(9)
    alphabets = [
        "0123456789abcdef",
        "0123456789",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_-",
        "abcd_/",
    ]
    reported = {name: 0 for name in needs}
    for _ in range(3000):
        alphabet = rng.choice(alphabets)
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(6, 48)))
        q = rng.choice("'\"")
        line = f"x = {q}{value}{q}  # {rng.choice(['', 'key', 'sha'])}"
        for name, need in needs.items():
            found = plugins[name].analyze_line(filename="m.py", line=line, line_number=1)
            if found:
                reported[name] += 1
                assert need(line), (name, line)
    assert min(reported.values()) > 100
    assert not needs["Base64HighEntropyString"]('path = "src/curate/filters/secrets_prefilter"')
    # a line the scanner gives no plugin (over ``max_line_chars``) needs no test: false
    capped = {t.consumer[3:]: t.need for t in dsengine.triggers(60) if callable(t.need)}
    line = 'k = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"'
    assert capped["Base64HighEntropyString"](line) and needs["Base64HighEntropyString"](line)
    assert not capped["Base64HighEntropyString"](line + " " * 30)


def test_scanners_pickle_and_the_copy_finds_the_same(scanner, pii_scanner):
    """Compiled databases do not pickle; a copy (e.g. shipped to a worker) compiles its own."""
    import pickle

    text = "\n".join(_lines()[:200]) + "\nmail bob@corp.io peer 52.14.99.7\n"
    secrets_copy = pickle.loads(pickle.dumps(scanner))
    assert secrets_copy.scan(text, "a.py").findings == scanner.scan(text, "a.py").findings
    pii_copy = pickle.loads(pickle.dumps(pii_scanner))
    found = pii_scanner.scan(text)
    assert pii_copy.scan(text) == found and len(found) >= 2


def test_one_scanner_serves_several_threads(scanner):
    """Each thread gets its own Hyperscan scratch space: concurrent scans agree."""
    from concurrent.futures import ThreadPoolExecutor

    texts = ["\n".join(_lines()[i : i + 60]) for i in range(0, 600, 60)]
    expected = [scanner.prefilter.candidates(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(scanner.prefilter.candidates, texts)) == expected


def test_text_lines_read_lazily_equal_the_split() -> None:
    """``TextLines`` gives ``text.split("\\n")``'s lines, lengths and slices from any known
    starts (walked to, or split when far), and the pre-filter's starts are the lines' offsets."""
    from curate.filters.secrets.scanner import TextLines

    rng = random.Random(11)
    for _ in range(300):
        lines = ["".join(rng.choice("ab \té") for _ in range(rng.randrange(6))) for _ in range(80)]
        text = "\n".join(lines[: rng.randrange(1, 80)])
        want = text.split("\n")
        offsets = [0]
        for line in want[:-1]:
            offsets.append(offsets[-1] + len(line) + 1)
        known = {i: offsets[i] for i in rng.sample(range(len(want)), min(3, len(want)))}
        got = TextLines(text, known if rng.random() < 0.8 else {})
        for i in (len(want), len(want) + 3, -len(want) - 1):  # before ``len`` is known too
            with pytest.raises(IndexError):
                got[i]
        assert got[-1] == want[-1] and len(got) == len(want)
        for _ in range(10):
            i = rng.randrange(len(want))
            assert got[i] == want[i] and got.start(i) == offsets[i]
            a, b = sorted(rng.randrange(len(want) + 12) for _ in range(2))
            assert got[a:b] == want[a:b]
    scanner = SecretScanner()
    plain = "x = 1\n" + "\n".join(line for line in TRICKY.split("\n") if line.isascii())
    starts: dict[int, int] = {}
    cands = scanner.prefilter.candidates(plain, None, starts)
    assert cands and set(starts) == set(cands)  # ASCII text: every candidate line's start
    assert all(plain.split("\n")[i] == plain[s:].split("\n")[0] for i, s in starts.items())
    for other in ("é " + plain.replace("\n", "\nü", 7) + "\n😀", plain + "\né"):
        starts = {}  # non-ASCII text: counted from the bytes, the same offsets
        cands = scanner.prefilter.candidates(other, None, starts)
        assert cands and set(starts) == set(cands)
        assert all(other.split("\n")[i] == other[s:].split("\n")[0] for i, s in starts.items())
    starts = {}  # a character that folds onto ASCII (the split scan): no starts
    assert scanner.prefilter.candidates(plain + "\n\u0130", None, starts) and not starts
