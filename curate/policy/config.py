"""Policy configuration: ordered named rules plus per-language / per-extension overrides.

A pipeline's ``[policy]`` section validates into ``PolicyConfig``. Without a ``rules`` list the
built-in quality rules (``default_policy.toml`` next to this module) are used.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from curate.errors import ConfigError

Scalar = int | float | str | bool | None
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_POLICY_FILE = Path(__file__).with_name("default_policy.toml")


def _compiles(rule: str, expr: str, params: dict[str, Scalar]) -> None:
    """Raise ValueError (pydantic reports it with the key's location) if ``expr`` does not
    compile; which columns exist is only known once the run has its attributes."""
    from curate.policy.expr import compile_expr

    try:
        compile_expr(rule, expr, params)
    except ConfigError as err:
        raise ValueError(str(err)) from None


class RuleConfig(BaseModel):
    """One rule: the document passes when ``expr`` is true."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    expr: str
    reason: str | None = None
    """Drop reason template; ``{column}`` interpolates a column. Default: the rule name."""
    params: dict[str, Scalar] = Field(default_factory=dict)
    """Named values usable in ``expr`` (``whatif --set rule.param=v`` changes them)."""
    on_null: Literal["pass", "fail"] = "pass"
    """Result when ``expr`` evaluates to null (e.g. a signal that does not apply)."""
    optional: bool = False
    """If a column the rule reads is absent from the run, skip the rule instead of failing."""
    enabled: bool = True
    description: str = ""

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"rule name {v!r} must be an identifier (letters, digits, _)")
        return v

    @model_validator(mode="after")
    def _check_expr(self) -> RuleConfig:
        """Compile now, so ``curate check`` and the start of a run reject a bad expression,
        not the policy step after hours of ingest and annotation."""
        _compiles(self.name, self.expr, self.params)
        return self


class OverrideConfig(BaseModel):
    """Changes one rule for documents of some languages, extensions or file names.

    Exactly one of ``disable``, ``expr``, ``params``, ``threshold`` says what changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    languages: list[str] = Field(default_factory=list)
    extensions: list[str] = Field(default_factory=list)
    filenames: list[str] = Field(default_factory=list)
    disable: bool = False
    expr: str | None = None
    params: dict[str, Scalar] = Field(default_factory=dict)
    threshold: int | float | None = None
    why: str = ""

    @field_validator("extensions")
    @classmethod
    def _norm_ext(cls, v: list[str]) -> list[str]:
        return [e.lower() if e.startswith(".") else f".{e.lower()}" for e in v]

    @model_validator(mode="after")
    def _check(self) -> OverrideConfig:
        if not (self.languages or self.extensions or self.filenames):
            raise ValueError(
                f"override of rule {self.rule!r} needs languages, extensions or filenames"
            )
        changes = [
            self.disable,
            self.expr is not None,
            bool(self.params),
            self.threshold is not None,
        ]
        if sum(changes) != 1:
            raise ValueError(
                f"override of rule {self.rule!r} needs exactly one of disable, expr, params, threshold"
            )
        if self.expr is not None:
            _compiles(self.rule, self.expr, self.params)
        return self


@cache
def builtin_overrides() -> tuple[OverrideConfig, ...]:
    """The per-language overrides of ``curate.languages.quality_overrides`` (plain data there:
    the language table sits below the policy and knows nothing of its config)."""
    from curate.languages.quality_overrides import OVERRIDES

    return tuple(OverrideConfig.model_validate(o) for o in OVERRIDES)


class PolicyConfig(BaseModel):
    """The ``[policy]`` section of a pipeline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "default"
    defaults: bool = True
    """Start from the built-in quality rules (``default_policy.toml``); a rule in ``rules`` with
    a built-in's name replaces it in place, other rules follow in their order."""
    rules: list[RuleConfig] = Field(default_factory=list)
    overrides: list[OverrideConfig] = Field(default_factory=list)
    builtin_overrides: bool = True
    """Also apply the per-language overrides of ``curate.languages.quality_overrides``
    (after the ``overrides`` given here, which win)."""
    attributes: list[str] | None = None
    """Attribute folders (``name@version``) to join; default: every folder in the run."""

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("defaults", True):
            return data
        given = [
            r if isinstance(r, RuleConfig) else RuleConfig.model_validate(r)
            for r in data.get("rules") or []
        ]
        by_name = {r.name: r for r in given}
        merged = [by_name.pop(r.name, r) for r in default_rules()]
        merged += [r for r in given if r.name in by_name]
        return {**data, "rules": merged}

    @model_validator(mode="after")
    def _check(self) -> PolicyConfig:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate rule names: {', '.join(dupes)}")
        for ov in self.overrides:
            if ov.rule not in names:
                raise ValueError(f"override names unknown rule {ov.rule!r}")
        if not _NAME.match(self.name):
            raise ValueError(f"policy name {self.name!r} must be an identifier")
        return self

    def rule(self, name: str) -> RuleConfig:
        for r in self.rules:
            if r.name == name:
                return r
        raise ConfigError(f"policy {self.name!r} has no rule {name!r}")

    def effective_overrides(self) -> list[OverrideConfig]:
        """User overrides first (they win), then the built-in ones for rules that exist."""
        out = list(self.overrides)
        if self.builtin_overrides:
            names = {r.name for r in self.rules}
            out += [ov for ov in builtin_overrides() if ov.rule in names]
        return out


def _format_validation(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if first["type"] == "value_error":  # our validators' own words, without "Value error, "
        msg = str(first.get("ctx", {}).get("error", msg))
    return f"{where}{'.' + loc if loc else ''}: {msg}"


def policy_from_dict(data: dict[str, Any], where: str = "policy") -> PolicyConfig:
    try:
        return PolicyConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation(err, where)) from None


def load_policy(path: str | Path | None = None, section: str = "policy") -> PolicyConfig:
    """Read ``[policy]`` from a pipeline TOML (``path``), or the built-in default policy."""
    if path is None:
        return PolicyConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    return policy_from_dict(data.get(section, {}), f"{path}: {section}")


@cache
def default_rules() -> tuple[RuleConfig, ...]:
    data = tomllib.loads(DEFAULT_POLICY_FILE.read_text())
    return tuple(RuleConfig.model_validate(r) for r in data["policy"]["rules"])


def policy_for_run(run_root: str | Path, config: str | Path | None = None) -> PolicyConfig:
    """The policy to use for a run: ``config``'s [policy] if given, else the run's own
    ``pipeline.toml``, else the built-in default."""
    if config is not None:
        return load_policy(config)
    copy = Path(run_root) / "pipeline.toml"
    return load_policy(copy if copy.exists() else None)
