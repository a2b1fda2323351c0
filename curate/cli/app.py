"""The root typer app. Each command lives in its own module in this package and registers
itself with ``@app.command()``; ``curate.cli.run_cli`` imports them all."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="curate",
    help="Turn raw repository dumps into clean, license-safe, deduplicated Parquet mixtures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from curate._version import __version__

        typer.echo(f"curate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Turn raw repository dumps into clean, license-safe, deduplicated Parquet mixtures."""
