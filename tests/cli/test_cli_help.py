"""`curate CMD --help` shows every help text in full (rich markup must not eat `[section]`)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from curate.cli import _load_commands, app

_load_commands()
_GROUP = typer.main.get_command(app)
_BRACKETED = re.compile(r"\[[A-Za-z_][\w.]*\]")


def _help_texts(command) -> list[str]:  # type: ignore[no-untyped-def]
    texts = [command.help or ""]
    texts += [getattr(p, "help", None) or "" for p in command.params]
    return [t.replace("\\[", "[") for t in texts]


@pytest.mark.parametrize("name", sorted(_GROUP.commands))
def test_bracketed_words_survive_help_rendering(name: str) -> None:
    wanted = {m for t in _help_texts(_GROUP.commands[name]) for m in _BRACKETED.findall(t)}
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    missing = sorted(w for w in wanted if w not in shown)
    assert not missing, f"`curate {name} --help` lost {missing} (escape '[' as '\\\\[')"


def test_sections_named_in_help() -> None:
    """The commands that point at a recipe section name it."""
    for name, section in [("dups", "[dedup]"), ("explain", "[policy]"), ("whatif", "[policy]")]:
        out = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        assert section in out, name
