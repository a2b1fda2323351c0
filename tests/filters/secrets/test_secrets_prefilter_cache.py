"""The scanner's compiled Hyperscan databases are cached on disk: a new process loads them, and
a damaged or refused file is recompiled (never a crash), with the same findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json
from curate.engine import diskcache
from curate.filters.secrets.scanner import SecretScanner
text = "key = 'AKIAIOSFODNN7EXAMPLE'\\nnothing here\\npassword = 'hunter2hunter2'\\n"
result = SecretScanner().scan(text)
print(json.dumps({"stats": diskcache.stats,
                  "found": sorted([f.start, f.end, f.kind] for f in result.findings),
                  "cands": result.candidate_lines}))
"""


def _probe(cache: Path) -> dict:
    env = {**os.environ, "CURATE_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cached_databases_load_and_damaged_ones_are_recompiled(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first["stats"] == {"hits": 0, "builds": 1}
    assert first["found"] and first["cands"] == 2  # the line with nothing is no candidate
    (path,) = tmp_path.glob("hyperscan-*.bin")
    good = path.read_bytes()
    assert _probe(tmp_path) == {**first, "stats": {"hits": 1, "builds": 0}}
    damaged = bytearray(good)
    middle = slice(len(good) // 2, len(good) // 2 + 64)
    damaged[middle] = bytes(byte ^ 0xFF for byte in good[middle])  # zeros could land on zeros
    for bad in (b"", good[:100], bytes(damaged)):
        path.write_bytes(bad)
        assert _probe(tmp_path) == {**first, "stats": {"hits": 0, "builds": 1}}
        assert path.read_bytes() == good


def test_a_refused_database_is_recompiled(tmp_path: Path, monkeypatch) -> None:
    """A file that passes the checksum but that Hyperscan refuses (a database serialised on
    another platform, say) is rebuilt: here its blobs are swapped for junk, CRC recomputed."""
    import numpy as np

    from curate.engine import diskcache
    from curate.filters.secrets import prefilter

    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    patterns = {"ascii": [(f"tok{i}[a-z]{{3,}}", i % 2 == 0) for i in range(400)]}
    prefilter._compiled(patterns)
    (path,) = tmp_path.glob("hyperscan-*.bin")
    key = path.stem.split("-", 1)[1]
    diskcache.write_arrays(path, key, {"ascii": np.frombuffer(b"junk" * 100, dtype=np.uint8)})
    before = dict(diskcache.stats)
    dbs = prefilter._compiled(patterns)
    assert diskcache.stats["builds"] == before["builds"] + 1
    assert {pid for _, pid, _ in dbs["ascii"].lines(b"xx tok7abcd\ntok8ab")} == {7}
