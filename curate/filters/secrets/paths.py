"""What a file's path says about it: config file, lock file, documentation, test fixture."""

from __future__ import annotations

import functools
import posixpath

CONFIG_EXTENSIONS = frozenset(
    {
        ".env",
        ".ini",
        ".cfg",
        ".conf",
        ".cnf",
        ".properties",
        ".yaml",
        ".yml",
        ".toml",
        ".sh",
        ".bash",
        ".zsh",
        ".envrc",
        ".tfvars",
        ".npmrc",
        ".pypirc",
        ".netrc",
        ".dockerfile",
    }
)
CONFIG_NAMES = frozenset(
    {
        ".env",
        ".envrc",
        ".npmrc",
        ".pypirc",
        ".netrc",
        ".pgpass",
        ".htpasswd",
        "dockerfile",
        "docker-compose.yml",
        "makefile",
        ".bashrc",
        ".zshrc",
        ".profile",
        "credentials",
        "config",
    }
)
LOCK_NAMES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pipfile.lock",
        "cargo.lock",
        "go.sum",
        "composer.lock",
        "gemfile.lock",
        "podfile.lock",
        "packages.lock.json",
        "brewfile.lock.json",
        "cartfile.resolved",
        "package.resolved",
        "mix.lock",
        "pubspec.lock",
        "flake.lock",
        "uv.lock",
        "pdm.lock",
        "bun.lock",
        "gradle.lockfile",
    }
)
DOC_EXTENSIONS = frozenset(
    {
        ".md",
        ".markdown",
        ".rst",
        ".txt",
        ".adoc",
        ".asciidoc",
        ".org",
        ".textile",
        ".rdoc",
        ".pod",
        ".tex",
        ".html",
        ".htm",
        ".ipynb",
    }
)
TEST_MARKERS = ("test", "spec", "fixture", "mock", "example", "sample", "demo")


@functools.lru_cache(maxsize=8192)
def _name_ext(path: str) -> tuple[str, str]:
    """Lower-cased base name and extension (cached: rules ask once per candidate line)."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    ext = posixpath.splitext(name)[1]
    return name, ext


def is_config_path(path: str) -> bool:
    """Files where ``key = value`` pairs with unquoted values are literal settings."""
    name, ext = _name_ext(path)
    return (
        ext in CONFIG_EXTENSIONS
        or name in CONFIG_NAMES
        or name.startswith(".env")
        or name.endswith((".env", ".env.example"))
    )


def is_lock_path(path: str) -> bool:
    name, ext = _name_ext(path)
    return name in LOCK_NAMES or ext == ".lock"


def is_doc_path(path: str) -> bool:
    name, ext = _name_ext(path)
    return ext in DOC_EXTENSIONS or name in {"readme", "changelog", "changes", "news", "authors"}


def is_test_path(path: str) -> bool:
    """Tests, fixtures, examples and samples (directory or file name)."""
    p = path.replace("\\", "/").lower()
    parts = p.split("/")
    return any(marker in part for part in parts for marker in TEST_MARKERS)


CODE_EXTENSIONS = frozenset(
    {
        ".py",
        ".pyi",
        ".js",
        ".mjs",
        ".cjs",
        ".jsx",
        ".ts",
        ".tsx",
        ".go",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".cxx",
        ".hpp",
        ".hh",
        ".java",
        ".kt",
        ".kts",
        ".scala",
        ".rs",
        ".rb",
        ".php",
        ".cs",
        ".swift",
        ".m",
        ".mm",
        ".pl",
        ".pm",
        ".lua",
        ".r",
        ".jl",
        ".dart",
        ".ex",
        ".exs",
        ".erl",
        ".hs",
        ".ml",
        ".fs",
        ".clj",
        ".groovy",
        ".vue",
        ".svelte",
        ".sql",
    }
)


def is_code_path(path: str) -> bool:
    """Source code, where an unquoted right-hand side is an expression, not a literal."""
    return _name_ext(path)[1] in CODE_EXTENSIONS
