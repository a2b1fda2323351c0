"""Fetch a fixed, pinned set of real third-party source archives into ``.bench/thirdparty/``
(git-ignored) for the ingest / language-detection check (``benchmarks/check_thirdparty.py``,
docs/ingest.md "Checked on third-party archives").

    .venv/bin/python benchmarks/fetch_thirdparty.py

PyPI sdists come from ``pip download --no-deps --no-binary <name>`` (the same call as
``benchmarks/fetch_corpus.py``; archives that script already downloaded into
``.bench/quality/sdists`` are hard-linked instead of downloaded again), npm tarballs from
``npm pack <pkg>@<version>`` in a temporary directory. One pure-Python wheel is saved under a
``.zip`` name so the check also covers a real zip archive. Together they hold Python, C, C++,
Cython, Rust, JavaScript, TypeScript, CSS, SCSS, HTML, Markdown, reST, JSON, YAML, TOML, shell,
Makefile, CMake, INI and plain-text files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_corpus import SDISTS as QUALITY_SDISTS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".bench" / "thirdparty"

PYPI_SDISTS = [
    "pyyaml==6.0.2",  # C (libyaml binding), Cython
    "ujson==5.10.0",  # C, C++ (double-conversion)
    "zstandard==0.23.0",  # C (vendored zstd), Python, CFFI
    "msgpack==1.1.0",  # Cython, C
    "cffi==1.17.1",  # C, Python
    "docutils==0.21.2",  # reST, Python, HTML, CSS
    "sqlparse==0.5.1",  # Python, SQL
    "simplejson==3.19.3",  # C, Python
    "regex==2024.11.6",  # C, Python
    "markupsafe==3.0.2",  # C, Python
    "orjson==3.10.12",  # Rust (+ vendored C), Python stubs
    "pycparser==2.22",  # Python, C headers
    "greenlet==3.1.1",  # C++, assembly, Python
    "psutil==6.1.0",  # C, Python
    "pybind11==2.13.6",  # C++ headers, CMake
    # not cryptography: pip prepares its sdist's metadata with `cargo metadata` (needs crates.io)
]
PYPI_WHEELS_AS_ZIP = ["idna==3.10"]  # a real zip archive (a wheel is a zip)
NPM_PACKAGES = [
    "lodash@4.17.21",  # JavaScript
    "express@4.21.2",  # JavaScript, Markdown
    "chalk@5.3.0",  # JavaScript, TypeScript declarations
    "zod@3.23.8",  # TypeScript declarations, JavaScript
    "vue@3.5.13",  # JavaScript, TypeScript declarations
    "bootstrap@5.3.3",  # SCSS, CSS, JavaScript, source maps
    "highlight.js@11.10.0",  # JavaScript, CSS, TypeScript declarations
    "normalize.css@8.0.1",  # CSS
    "marked@15.0.0",  # JavaScript, Markdown, man page
    "yaml@2.6.1",  # TypeScript declarations, JavaScript
]


def _have(prefix: str) -> Path | None:
    norm = prefix.lower().replace("-", "_").replace(".", "_")
    for folder in (OUT, QUALITY_SDISTS):
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if p.name.lower().replace("-", "_").replace(".", "_").startswith(norm):
                return p
    return None


def _adopt(found: Path) -> None:
    if found.parent != OUT:
        target = OUT / found.name
        try:
            target.hardlink_to(found)
        except OSError:
            shutil.copy2(found, target)


def fetch_sdist(spec: str) -> None:
    name, version = spec.split("==")
    found = _have(f"{name}-{version}.")
    if found is not None:
        _adopt(found)
        return
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name]
    subprocess.run([*cmd, "-q", "-d", str(OUT), spec], check=True)


def fetch_wheel_as_zip(spec: str) -> None:
    name, version = spec.split("==")
    if _have(f"{name}-{version}-") is not None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        subprocess.run([*cmd, "-q", "-d", tmp, spec], check=True)
        for wheel in Path(tmp).glob("*.whl"):
            shutil.move(wheel, OUT / (wheel.stem + ".zip"))


def fetch_npm(spec: str) -> None:
    name, _, version = spec.rpartition("@")
    if _have(f"{name.lstrip('@').replace('/', '-')}-{version}.tgz") is not None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True)
        for tgz in Path(tmp).glob("*.tgz"):
            shutil.move(tgz, OUT / tgz.name)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    failed = []
    jobs = [(fetch_sdist, s) for s in PYPI_SDISTS] + [
        (fetch_wheel_as_zip, s) for s in PYPI_WHEELS_AS_ZIP
    ]
    for fn, spec in jobs + [(fetch_npm, s) for s in NPM_PACKAGES]:
        try:
            fn(spec)
        except subprocess.CalledProcessError as err:
            failed.append(spec)
            print(f"could not fetch {spec}: {err}", file=sys.stderr)
    archives = sorted(p for p in OUT.iterdir() if p.is_file())
    total = sum(p.stat().st_size for p in archives)
    for p in archives:
        print(f"{p.stat().st_size / 1e6:8.2f} MB  {p.name}")
    print(f"{len(archives)} archives, {total / 1e6:.1f} MB in {OUT}")
    if failed:
        sys.exit(f"not fetched: {', '.join(failed)}")


if __name__ == "__main__":
    main()
