"""Pipeline recipes: TOML files validated into frozen, typed configs.

The root sections are ``[run]``, ``[ingest]``, ``[annotators.<name>]`` (in execution order),
``[dedup]``, ``[policy]``, ``[mixture]`` and ``[card]``. Each section's schema belongs to the
module that uses it (``SECTION_MODELS``); this module only composes them and turns validation
failures into one-line ``ConfigError``s that name the offending key.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from curate.engine.annotate import AnnotatorSpec

from curate.errors import ConfigError
from curate.hashing import hash_json


class StrictModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class RunConfig(StrictModel):
    name: str = "run"
    """Name of the run (used in the dataset card and mixture manifest)."""
    input: tuple[str, ...] = ()
    """Input paths or URLs; `--input` on the command line replaces this list."""
    output: str | None = None
    """Run directory; `--output` replaces it."""
    runner: Literal["local", "ray"] = "ray"
    """`ray` (embedded local cluster, or `address`) or `local` (in-process, no Ray)."""
    address: str | None = None
    """Ray cluster address to join (``host:port`` of its GCS, ``ray://host:10001`` for Ray
    Client, or ``auto``); unset starts an embedded local cluster. The ``curate`` package is
    shipped to the cluster's workers (``runtime_env`` ``py_modules``)."""
    dashboard: bool = False
    """Start Ray's dashboard with the embedded local cluster (http://127.0.0.1:8265)."""
    workers: int | None = None
    """Parallel workers (Ray tasks in flight); default: all CPUs of the cluster."""
    shard_target_bytes: int = 256 * 1024 * 1024
    """Input bytes per shard; a shard's documents file is about this size."""
    batch_bytes: int = 32 * 1024 * 1024
    """Upper bound on content bytes held in one Arrow batch (memory per worker)."""
    annotate_batch_bytes: int = 2 * 1024 * 1024
    """Upper bound on content bytes annotated at once (parse trees of a batch are held
    together, at several times the size of their source: 2 MB keeps a shard worker under
    1 GB; measured on numpy's shard, peak RSS 864 MB at 4 MB, 786 at 2 MB, 734 at 1 MB)."""
    batch_rows: int = 4096
    """Upper bound on documents in one Arrow batch."""


# Section name -> "module:Class" of its pydantic model, imported lazily so that a recipe only
# pays for what it uses and each area owns its own schema.
SECTION_MODELS: dict[str, str] = {
    "ingest": "curate.ingest.config:IngestConfig",
    "dedup": "curate.dedup.config:DedupConfig",
    "policy": "curate.policy.config:PolicyConfig",
    "mixture": "curate.mix.config:MixtureConfig",
    "card": "curate.card.config:CardConfig",
}

OPTIONAL_SECTIONS = {"dedup", "policy", "mixture", "card"}
"""Sections whose absence disables the step (ingest always runs, with defaults)."""


def _load_model(spec: str) -> type[BaseModel]:
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def _format_validation_error(err: ValidationError, prefix: str, source: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "value_error":  # our validators' own words, without "Value error, "
        msg = str(first.get("ctx", {}).get("error", msg))
    where = f"{source}: " if source else ""
    return f"{where}{loc}: {msg}"


def validate_section(model: type[BaseModel], data: Any, key: str, source: str = "") -> Any:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source + ': ' if source else ''}{key}: expected a table")
    try:
        return model.model_validate(dict(data))
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err, key, source)) from None


@dataclass(frozen=True)
class PipelineConfig:
    """A validated recipe. ``sections`` holds the typed config of every present section."""

    run: RunConfig
    ingest: Any
    annotators: tuple[tuple[str, Any], ...]
    sections: Mapping[str, Any] = field(default_factory=dict)
    source_text: str = ""
    source_path: str = ""

    def section(self, name: str) -> Any | None:
        return self.sections.get(name)

    def with_run(self, **changes: Any) -> PipelineConfig:
        """Apply command-line overrides (flags win over the TOML)."""
        run = _with_changes(self.run, changes, self.source_path)
        if run is self.run:
            return self
        return PipelineConfig(
            run, self.ingest, self.annotators, self.sections, self.source_text, self.source_path
        )

    def annotator_specs(self) -> tuple[AnnotatorSpec, ...]:
        """The recipe's annotators, in order, as the engine runs them."""
        from curate.engine.annotate import AnnotatorSpec
        from curate.engine.annotator import get

        return tuple(
            AnnotatorSpec(get(name), config, self.fingerprint(f"annotators.{name}"))
            for name, config in self.annotators
        )

    def fingerprint(self, *parts: str) -> str:
        """Stable hash of the named parts of the config (``ingest``, ``annotators.x``, ...)."""
        payload = {p: _dump(self._part(p)) for p in parts}
        return hash_json(payload)

    def _part(self, name: str) -> Any:
        if name == "ingest":
            return self.ingest
        if name.startswith("annotators."):
            return dict(self.annotators)[name.split(".", 1)[1]]
        return self.sections.get(name)


def _dump(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    return obj


def parse_pipeline(data: Mapping[str, Any], *, source: str = "", text: str = "") -> PipelineConfig:
    from curate.engine.annotator import get
    from curate.filters import load_all

    known = {"run", "ingest", "annotators", *SECTION_MODELS}
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{source + ': ' if source else ''}{key}: unknown section "
                f"(expected one of {', '.join(sorted(known))})"
            )
    run = validate_section(RunConfig, data.get("run"), "run", source)
    ingest = validate_section(
        _load_model(SECTION_MODELS["ingest"]), data.get("ingest"), "ingest", source
    )

    load_all()
    annotators: list[tuple[str, Any]] = []
    raw_annotators = data.get("annotators") or {}
    if not isinstance(raw_annotators, Mapping):
        raise ConfigError(f"{source + ': ' if source else ''}annotators: expected a table")
    for name, raw in raw_annotators.items():
        try:
            cls = get(name)
        except ConfigError as err:
            raise ConfigError(f"{source + ': ' if source else ''}{err}") from None
        cfg = validate_section(cls.Config, raw, f"annotators.{name}", source)
        if cfg.enabled:
            annotators.append((name, cfg))

    sections: dict[str, Any] = {}
    for name in OPTIONAL_SECTIONS:
        if name in data:
            sections[name] = validate_section(
                _load_model(SECTION_MODELS[name]), data[name], name, source
            )
    from curate.recipe_check import resolve_on_demand

    parsed = PipelineConfig(run, ingest, tuple(annotators), sections, text, source)
    return replace(parsed, annotators=resolve_on_demand(parsed))


def load_pipeline(path: str | Path) -> PipelineConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: pipeline recipe not found")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    return parse_pipeline(data, source=str(path), text=text)


def _with_changes(run: RunConfig, changes: Mapping[str, Any], source: str) -> RunConfig:
    """``run`` with the changes that are not None (command-line flags win over the TOML)."""
    clean = {k: v for k, v in changes.items() if v is not None}
    if not clean:
        return run
    return validate_section(RunConfig, {**run.model_dump(), **clean}, "run", source)


def read_run_section(path: str | Path, **changes: Any) -> RunConfig | None:
    """The recipe's ``[run]`` section with the command-line ``changes`` applied, read without
    the rest of the recipe (no section's module is imported): what a command needs to know
    early, e.g. to start Ray while the recipe loads. None when it does not read or validate
    (``load_pipeline`` then reports why)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        run = validate_section(RunConfig, data.get("run"), "run", str(path))
        return _with_changes(run, changes, str(path))
    except (OSError, ValueError, ConfigError):
        return None


def default_pipeline() -> PipelineConfig:
    """Ingest-only recipe used by ``curate ingest`` when no recipe is given."""
    return parse_pipeline({})
