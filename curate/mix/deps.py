"""Repository-level dependency ordering: which files of a repository import which, and an order
that puts a file after the files it depends on.

Imports are extracted with tree-sitter queries (Python, JavaScript/TypeScript, Java, C/C++, Go,
Rust) and resolved against the repository's own paths; imports of anything outside the repository
(standard library, packages) simply resolve to nothing. ``order_files`` is a topological order
that tolerates cycles (see its docstring); ties are broken by path, so the result is
deterministic.
"""

from __future__ import annotations

import heapq
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from curate.engine import worker_cache

# canonical language name (curate.languages) -> tree-sitter grammar
GRAMMARS = {
    "Python": "python",
    "JavaScript": "javascript",
    "TypeScript": "typescript",
    "TSX": "tsx",
    "Java": "java",
    "C": "c",
    "C++": "cpp",
    "Go": "go",
    "Rust": "rust",
}
EXTENSIONS = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".java": "java",
    ".c": "c", ".h": "cpp",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".go": "go",
    ".rs": "rust",
}  # fmt: skip

_QUERIES = {
    "python": """
        (import_statement name: [(dotted_name) @m (aliased_import name: (dotted_name) @m)])
        (import_from_statement module_name: (_) @from
            name: [(dotted_name) @n (aliased_import name: (dotted_name) @n)])
        (import_from_statement module_name: (_) @from (wildcard_import))
    """,
    "javascript": """
        (import_statement source: (string (string_fragment) @m))
        (export_statement source: (string (string_fragment) @m))
        (call_expression function: [(identifier) @f (import)]
            arguments: (arguments . (string (string_fragment) @m)))
    """,
    "java": """
        (import_declaration (scoped_identifier) @m (asterisk)? @star)
    """,
    "c": """
        (preproc_include path: [(string_literal (string_content) @m) (system_lib_string) @m])
    """,
    "go": """
        (import_spec path: (interpreted_string_literal (interpreted_string_literal_content) @m))
    """,
    "rust": """
        (mod_item name: (identifier) @mod !body)
        (use_declaration argument: (_) @m)
    """,
}
_QUERIES["typescript"] = _QUERIES["tsx"] = _QUERIES["javascript"]
_QUERIES["cpp"] = _QUERIES["c"]


def grammar_for(path: str, language: str | None) -> str | None:
    ext = posixpath.splitext(path)[1].lower()
    if ext == ".tsx":
        return "tsx"
    if language in GRAMMARS:
        return GRAMMARS[language]
    return EXTENSIONS.get(ext)


def _query(grammar: str) -> tuple[Any, Any]:
    def build() -> tuple[Any, Any]:
        from tree_sitter import Query
        from tree_sitter_language_pack import get_language, get_parser

        return get_parser(grammar), Query(get_language(grammar), _QUERIES[grammar])

    return worker_cache.get_or_create(("mix.deps", grammar), build)


def parse(parser: Any, source: bytes, timeout_s: float, budget: Any = None) -> Any | None:
    """A tree, or None when parsing takes longer than ``timeout_s`` (pathological inputs).
    ``budget``: the document's ``TreeBudget`` when later passes are charged to it too."""
    from curate.languages.grammars import parse_with_budget

    return parse_with_budget(parser, source, timeout_s, budget)


def extract_imports(grammar: str, source: bytes, timeout_s: float = 1.0) -> list[str]:
    """Raw import specifiers of one file, in a per-language notation the resolvers understand
    (none when the parse and the import query together run over ``timeout_s``: no tree)."""
    from tree_sitter import QueryCursor

    from curate.languages.budget import BudgetExceeded, TreeBudget, run_query

    parser, query = _query(grammar)
    budget = TreeBudget(timeout_s)
    tree = parse(parser, source, timeout_s, budget)
    if tree is None:
        return []
    try:
        matches = run_query(QueryCursor(query), tree.root_node, tree, budget, matches=True)
    except BudgetExceeded:
        return []
    specs: list[str] = []
    for _, caps in matches:
        text = {
            k: [source[n.start_byte : n.end_byte].decode("utf-8", "replace") for n in v]
            for k, v in caps.items()
        }
        if "f" in text and text["f"] != ["require"]:
            continue
        if grammar == "python" and "from" in text:
            base = text["from"][0]
            specs.append(base)
            for name in text.get("n", []):
                specs.append(base + name if base.endswith(".") else f"{base}.{name}")
        elif grammar == "java":
            specs.append(text["m"][0] + (".*" if "star" in text else ""))
        elif grammar == "rust" and "mod" in text:
            specs.append("mod:" + text["mod"][0])
        elif grammar == "rust":
            specs.extend(_expand_rust_use(text["m"][0]))
        else:
            specs.extend(text.get("m", []))
    return specs


def _expand_rust_use(text: str) -> list[str]:
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\bas\w+", "", text)
    if "::{" in text:
        base, _, rest = text.partition("::{")
        items = rest.rstrip("}").split(",")
        return [base] + [f"{base}::{i.split('::{')[0]}" for i in items if i and i != "self"]
    return [text]


_IMPORT_WORD = re.compile(rb"\b(?:import|from|include|require|use|mod|export)\b")


def import_head(data: bytes) -> bytes:
    """The file up to the end of the last statement that mentions an import keyword (empty when
    no line does). Parsing only this prefix finds the same imports at a fraction of the cost:
    tree-sitter recovers from the cut, and nothing after the last keyword can be an import."""
    last = None
    for last in _IMPORT_WORD.finditer(data):  # noqa: B007 - we want the last match
        pass
    if last is None:
        return b""
    # finish the statement: through the first newline where brackets opened since are closed
    # (Go's `import ( ... )`, Python's `from x import ( ... )`, Rust's `use a::{ ... }`)
    depth = 0
    for pos in range(last.start(), min(len(data), last.start() + (64 << 10))):
        ch = data[pos]
        if ch in b"({[":
            depth += 1
        elif ch in b")}]":
            depth -= 1
        elif ch == 10 and depth <= 0:
            return data[: pos + 1]
    return data


class RepoIndex:
    """The paths of one repository, indexed for suffix lookups."""

    def __init__(self, paths: Iterable[str]):
        self.paths = sorted(set(paths))
        self.set = set(self.paths)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.dirs: dict[str, list[str]] = defaultdict(list)
        for p in self.paths:
            self.by_name[posixpath.basename(p)].append(p)
            self.dirs[posixpath.dirname(p)].append(p)

    def suffix(self, rel: str, near: str) -> str | None:
        """The path equal to ``rel`` or ending in ``/rel``; among several, the one closest to
        ``near`` (longest shared directory prefix, then shortest, then alphabetical)."""
        rel = rel.strip("/")
        if rel in self.set:
            return rel
        hits = [p for p in self.by_name.get(posixpath.basename(rel), []) if p.endswith("/" + rel)]
        if not hits:
            return None
        return min(hits, key=lambda p: (-_shared_prefix(p, near), len(p), p))

    def first(self, candidates: Iterable[str]) -> str | None:
        for c in candidates:
            c = posixpath.normpath(c)
            if c in self.set:
                return c
        return None


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        n += 1
    return n


def _resolve_python(spec: str, path: str, index: RepoIndex) -> list[str]:
    dots = len(spec) - len(spec.lstrip("."))
    rest = spec[dots:].replace(".", "/")
    if dots:
        base = posixpath.dirname(path)
        for _ in range(dots - 1):
            base = posixpath.dirname(base)
        stem = posixpath.join(base, rest) if rest else base
        hit = index.first(
            [stem + ".py", posixpath.join(stem, "__init__.py")]
            if rest
            else [posixpath.join(stem, "__init__.py")]
        )
        return [hit] if hit else []
    for rel in (rest + ".py", rest + "/__init__.py"):
        hit = index.suffix(rel, path)
        if hit:
            return [hit]
    return []


_JS_EXTS = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts")


def _resolve_js(spec: str, path: str, index: RepoIndex) -> list[str]:
    if not spec.startswith((".", "/")):
        return []
    stem = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec)).lstrip("/")
    cands = [stem + e for e in _JS_EXTS] + [posixpath.join(stem, "index" + e) for e in _JS_EXTS[1:]]
    hit = index.first(cands)
    return [hit] if hit else []


def _resolve_java(spec: str, path: str, index: RepoIndex) -> list[str]:
    parts = spec.split(".")
    if parts[-1] == "*":
        suffix = "/".join(parts[:-1])
        return [p for d, files in index.dirs.items() if d == suffix or d.endswith("/" + suffix)
                for p in files if p.endswith(".java")]  # fmt: skip
    for k in range(len(parts), 0, -1):  # static imports name members: drop them
        hit = index.suffix("/".join(parts[:k]) + ".java", path)
        if hit:
            return [hit]
    return []


def _resolve_c(spec: str, path: str, index: RepoIndex) -> list[str]:
    spec = spec.strip('<>"')
    hit = index.first([posixpath.join(posixpath.dirname(path), spec)]) or index.suffix(spec, path)
    return [hit] if hit else []


def _resolve_go(spec: str, path: str, index: RepoIndex) -> list[str]:
    best = None
    for d in index.dirs:
        if d and (spec == d or spec.endswith("/" + d)) and (best is None or len(d) > len(best)):
            best = d
    if best is None:
        return []
    return [p for p in index.dirs[best] if p.endswith(".go") and not p.endswith("_test.go")]


def _resolve_rust(spec: str, path: str, index: RepoIndex) -> list[str]:
    here = posixpath.dirname(path)
    stem = posixpath.splitext(posixpath.basename(path))[0]
    module_dir = here if stem in ("mod", "lib", "main") else posixpath.join(here, stem)
    if spec.startswith("mod:"):
        name = spec[4:]
        hit = index.first(
            [posixpath.join(module_dir, name + ".rs"), posixpath.join(module_dir, name, "mod.rs")]
        )
        return [hit] if hit else []
    parts = spec.split("::")
    if parts[0] == "crate":
        root = _crate_root(path, index)
        base, parts = root, parts[1:]
    elif parts[0] == "super":
        base, parts = posixpath.dirname(module_dir), parts[1:]
    elif parts[0] == "self":
        base, parts = module_dir, parts[1:]
    else:
        return []
    for k in range(len(parts), 0, -1):
        stem_path = posixpath.join(base, *parts[:k])
        hit = index.first([stem_path + ".rs", posixpath.join(stem_path, "mod.rs")])
        if hit:
            return [hit]
    return []


def _crate_root(path: str, index: RepoIndex) -> str:
    d = posixpath.dirname(path)
    while True:
        if any(posixpath.join(d, f) in index.set for f in ("lib.rs", "main.rs")):
            return d
        if not d:
            return posixpath.dirname(path)
        d = posixpath.dirname(d)


_RESOLVERS: dict[str, Callable[[str, str, RepoIndex], list[str]]] = {
    "python": _resolve_python,
    "javascript": _resolve_js,
    "typescript": _resolve_js,
    "tsx": _resolve_js,
    "java": _resolve_java,
    "c": _resolve_c,
    "cpp": _resolve_c,
    "go": _resolve_go,
    "rust": _resolve_rust,
}


def dependency_graph(
    files: Mapping[str, tuple[str | None, str]],
    *,
    max_parse_bytes: int = 1 << 20,
    parse_timeout_s: float = 1.0,
) -> dict[str, set[str]]:
    """``files``: path -> (language, content). Returns path -> paths it depends on (in-repo)."""
    index = RepoIndex(files)
    graph: dict[str, set[str]] = {}
    for path in index.paths:
        language, content = files[path]
        grammar = grammar_for(path, language)
        deps: set[str] = set()
        data = content.encode("utf-8", "surrogatepass")
        head = import_head(data)
        if grammar is not None and head and len(head) <= max_parse_bytes:
            for spec in extract_imports(grammar, head, parse_timeout_s):
                deps.update(_RESOLVERS[grammar](spec, path, index))
        deps.discard(path)
        graph[path] = deps
    return graph


def order_files(graph: Mapping[str, set[str]]) -> list[str]:
    """Dependencies before dependents, deterministic for a given graph.

    Cycles are tolerated: strongly connected components are ordered topologically (among ready
    ones, the one whose best file has the fewest unresolved dependencies, then the smallest path),
    and inside a component the file with the fewest dependencies on not-yet-emitted files goes
    first, ties broken by path."""
    nodes = sorted(graph)
    edges = {p: sorted(d for d in graph[p] if d in graph and d != p) for p in nodes}
    comp_of = _components(nodes, edges)
    members: dict[int, list[str]] = defaultdict(list)
    for p in nodes:
        members[comp_of[p]].append(p)
    waiting = {c: 0 for c in members}
    dependents: dict[int, set[int]] = defaultdict(set)
    for p in nodes:
        for d in edges[p]:
            a, b = comp_of[p], comp_of[d]
            if a != b and a not in dependents[b]:
                dependents[b].add(a)
                waiting[a] += 1

    def rank(c: int) -> tuple[int, str, int]:
        inside = set(members[c])
        fewest = min(sum(d in inside for d in edges[p]) for p in members[c])
        return (fewest, members[c][0], c)

    ready = [rank(c) for c, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        *_, c = heapq.heappop(ready)
        out.extend(_order_component(members[c], edges))
        for other in dependents[c]:
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, rank(other))
    return out


def _order_component(files: list[str], edges: Mapping[str, list[str]]) -> list[str]:
    if len(files) == 1:
        return files
    inside = set(files)
    remaining = {p: sum(d in inside for d in edges[p]) for p in files}
    dependents: dict[str, list[str]] = defaultdict(list)
    for p in files:
        for d in edges[p]:
            if d in inside:
                dependents[d].append(p)
    heap = [(n, p) for p, n in remaining.items()]
    heapq.heapify(heap)
    done: set[str] = set()
    out: list[str] = []
    while heap:
        n, p = heapq.heappop(heap)
        if p in done or n != remaining[p]:
            continue  # stale entry
        done.add(p)
        out.append(p)
        for q in dependents[p]:
            if q not in done:
                remaining[q] -= 1
                heapq.heappush(heap, (remaining[q], q))
    return out


def _components(nodes: list[str], edges: Mapping[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (iterative Tarjan): node -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comp: dict[str, int] = {}
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            recurse = False
            for j in range(i, len(edges[v])):
                w = edges[v][j]
                if w not in index:
                    work.append((v, j + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                n = len(set(comp.values()))
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp[w] = n
                    if w == v:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return comp
