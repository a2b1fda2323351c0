"""The license reference build is cached on disk: a new process reads it; corrupt files rebuild."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json
from curate.filters.license import diskcache, similarity
refs, index = similarity.references()
print(json.dumps({"stats": diskcache.stats, "refs": len(refs), "index": len(index)}))
"""


def _probe(cache: Path) -> dict:
    env = {**os.environ, "CURATE_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_reads_cache_and_corrupt_file_is_rebuilt(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first["stats"] == {"hits": 0, "builds": 1}
    files = list(tmp_path.glob("license-references-*.pickle"))
    assert len(files) == 1
    second = _probe(tmp_path)
    assert second["stats"] == {"hits": 1, "builds": 0}
    assert (second["refs"], second["index"]) == (first["refs"], first["index"])
    files[0].write_bytes(b"not a pickle")
    third = _probe(tmp_path)
    assert third["stats"] == {"hits": 0, "builds": 1}
    assert (third["refs"], third["index"]) == (first["refs"], first["index"])
    assert _probe(tmp_path)["stats"] == {"hits": 1, "builds": 0}


_SETUP_PROBE = """
import json
from curate.filters.license import diskcache
from curate.filters.license.annotator import LicenseAnnotator
LicenseAnnotator().setup()
print(json.dumps({"stats": diskcache.stats}))
"""


def test_annotator_setup_builds_the_similarity_index(tmp_path: Path) -> None:
    env = {**os.environ, "CURATE_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", _SETUP_PROBE], env=env, capture_output=True, text=True, check=True
    )
    stats = json.loads(out.stdout.strip().splitlines()[-1])["stats"]
    assert stats == {"hits": 0, "builds": 1}  # set-up paid for it, not the first file
    assert len(list(tmp_path.glob("license-references-*.pickle"))) == 1
