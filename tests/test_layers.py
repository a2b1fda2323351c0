"""The package's layers (docs/architecture.md, "Layers"): no module imports a module on a higher
floor, siblings on the domain floor import each other only along the listed edges, and there
is no import cycle between modules. Read from the source with ``ast``, so an import inside a
function counts too."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "curate"

FLOORS: list[tuple[str, ...]] = [
    (
        "curate._version",
        "curate.errors",
        "curate.schema",
        "curate.hashing",
        "curate.objstore",
        "curate.rundir",
    ),
    ("curate.languages",),
    ("curate.engine",),
    (
        "curate.ingest",
        "curate.filters",
        "curate.dedup",
        "curate.policy",
        "curate.mix",
        "curate.card",
    ),
    (
        "curate.config",
        "curate.inspect",
        "curate.stats",
        "curate.recipe_check",
        "curate.pipeline",
        "curate.recipe_doc",
    ),
    ("curate.cli", "curate.integrations", "curate"),
]
"""Lowest first. ``curate`` itself (the package ``__init__``) is the public facade on top."""
DOMAIN = 3
"""The floor of the domain packages, which import each other only along ``SIBLING_EDGES``."""

SIBLING_EDGES = {
    ("curate.filters", "curate.dedup"): "decontamination shares dedup's normalised tokens",
    ("curate.card", "curate.mix"): "the card describes the mixture (manifest, span types)",
}
"""The only imports allowed between packages of the domain floor, each with its reason."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """module -> the curate modules it imports (``from pkg import sub`` counts as ``pkg.sub``
    when ``sub`` is a module, else as ``pkg``)."""
    modules = _all_modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "curate" or node.module.startswith("curate."):
                    for alias in node.names:
                        sub = f"{node.module}.{alias.name}"
                        edges[module].add(
                            sub if sub in modules or node.module == "curate" else node.module
                        )
            elif isinstance(node, ast.Import):
                edges[module] |= {a.name for a in node.names if a.name.startswith("curate")}
    return edges


def _area(module: str) -> str:
    """The floor entry a module belongs to (longest matching prefix)."""
    best = ""
    for floor in FLOORS:
        for name in floor:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best = name
    assert best, f"{module} is on no floor: add it to FLOORS in {__file__}"
    return best


def _floor(area: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if area in floor)


def test_every_module_is_on_a_floor() -> None:
    for path in PACKAGE.rglob("*.py"):
        _area(_module_name(path))


def test_no_upward_or_unlisted_sibling_imports() -> None:
    problems = []
    for module, targets in sorted(_imports().items()):
        source = _area(module)
        for target in sorted(targets):
            dest = _area(target)
            if source == dest:
                continue
            if _floor(dest) > _floor(source):
                problems.append(f"{module} imports {target} (a higher floor)")
            elif _floor(dest) == _floor(source) == DOMAIN and (source, dest) not in SIBLING_EDGES:
                problems.append(f"{module} imports {target} (sibling edge not listed)")
    assert not problems, "\n".join(problems)


def test_no_import_cycles() -> None:
    graph = {m: {t for t in ts if t in _all_modules()} for m, ts in _imports().items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))


def _all_modules() -> set[str]:
    return {_module_name(p) for p in PACKAGE.rglob("*.py")}


def test_the_checks_catch_a_violation() -> None:
    """The floors are not vacuous: an engine module importing a filter would be caught."""
    assert _floor(_area("curate.engine.step")) < _floor(_area("curate.filters.parse"))
    assert ("curate.dedup", "curate.filters") not in SIBLING_EDGES


def test_test_data_generators_are_not_in_the_installed_package() -> None:
    """Synthetic data generators live in tests/support, and the package never imports tests."""
    names = {p.stem for p in PACKAGE.rglob("*.py")}
    assert not names & {"synth", "synthetic", "variants"}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "tests", path
            elif isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "tests" for a in node.names), path
    support = PACKAGE.parent / "tests" / "support"
    assert {"code_variants", "license_synth", "run_synth", "secrets_synth"} <= {
        p.stem for p in support.glob("*.py")
    }
