from __future__ import annotations

import re
from pathlib import Path

from curate.ingest import PRESETS, SKIP_REASONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "ingest.md"


def test_every_skip_reason_and_preset_is_documented():
    text = DOC.read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    assert set(SKIP_REASONS) <= documented
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", r) for r in SKIP_REASONS)
    for preset in PRESETS:
        assert f"`{preset}`" in text
