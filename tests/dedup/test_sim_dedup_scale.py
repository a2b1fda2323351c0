"""The near-dedup scale simulation (benchmarks/sim_dedup_scale.py) at a tiny N: passes over band
slices and worker processes give the same components as one in-process pass; a run stopped by
a full disk resumes to the same result; estimates and the up-front disk refusal."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import sim_dedup_scale as sim

N = 12_000


def _run(tmp_path: Path, name: str, *extra: str) -> dict:
    out = tmp_path / f"{name}.jsonl"
    argv = ["--n", str(N), "--shard-docs", "3000", "--budget-mb", "16", "--dup-frac", "0.2"]
    argv += ["--work", str(tmp_path / "work" / name), "--json", str(out), *extra]
    assert sim.main(argv) == 0
    (rec,) = [json.loads(x) for x in out.read_text().splitlines()]
    return rec


def _result(rec: dict) -> tuple[int, int, int]:
    p = rec["phases"]
    return p["bands"]["rows"], p["label"]["linked_nodes"], p["label"]["components"]


def test_passes_and_workers_give_the_components_of_one_pass(tmp_path: Path) -> None:
    one = _run(tmp_path, "one", "--passes", "1")
    rows, linked, comps = _result(one)
    assert rows == N * one["bands"]
    assert 0 < comps < linked < N  # planted families linked, most documents alone
    three = _run(tmp_path, "three", "--passes", "3", "--workers", "2")
    assert three["passes"] == 3 and three["workers"] == 2
    assert _result(three) == _result(one)
    assert three["phases"]["bands"]["peak_disk_bytes"] < one["phases"]["bands"]["peak_disk_bytes"]
    assert three["peak_rss_mb"] > 0 and three["phases"]["edges"]["cpu_s"] > 0
    assert not (tmp_path / "work" / "three" / f"n{N}").exists()  # work folder removed


def test_full_disk_stops_with_one_line_and_resume_finishes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = _run(tmp_path, "fresh", "--passes", "2")
    real = sim.star_edges
    calls = {"n": 0}

    def star_edges_until_full(*args: object, **kw: object) -> int:
        calls["n"] += 1
        if calls["n"] == 3:  # a write fails mid-way through the first pass's edges
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sim, "star_edges", star_edges_until_full)
    with pytest.raises(SystemExit, match=r"disk full under .*rerun the same command with --resume"):
        _run(tmp_path, "resumed", "--passes", "2")
    monkeypatch.setattr(sim, "star_edges", real)
    bands_stats = tmp_path / "work" / "resumed" / f"n{N}" / "run" / "stats" / "steps"
    assert (bands_stats / "sim__bands__g00.json").exists()  # the bands step had committed
    got = _run(tmp_path, "resumed", "--passes", "2", "--resume")
    assert _result(got) == _result(want)
    assert got["phases"]["bands"]["disk_bytes"] == want["phases"]["bands"]["disk_bytes"]


def test_disk_that_does_not_fit_is_refused_before_any_work(tmp_path: Path) -> None:
    work = tmp_path / "w"
    with pytest.raises(SystemExit, match="not enough disk"):
        sim.main(["--n", str(10**13), "--passes", "1", "--work", str(work)])
    assert not any(work.rglob("*.parquet"))


def test_auto_passes_fit_the_limit_and_estimate_is_linear(tmp_path: Path) -> None:
    one = sim.disk_estimate(10**8, 42)
    assert sim.auto_passes(10**8, 42, one) == 1
    p = sim.auto_passes(10**8, 42, 25e9)
    assert p > 1 and sim.disk_estimate(10**8, 42, p) <= 25e9 < sim.disk_estimate(10**8, 42, p - 1)
    assert sim.band_groups(42, 5) == [(0, 9), (9, 9), (18, 8), (26, 8), (34, 8)]
    rates = tmp_path / "r.jsonl"
    rec = {"n": 10, "phases": {"bands": {"cpu_s": 2.0}, "edges": {"cpu_s": 1.0}}}
    rates.write_text(json.dumps({**rec, "n": 5}) + "\n" + json.dumps(rec) + "\n")
    est = sim.cpu_estimate(1000, rates)
    assert est == {"bands": 200.0, "edges": 100.0, "from_n": 10, "cpu_per_wall": 0.0}
    assert sim.cpu_estimate(1000, tmp_path / "missing.jsonl") is None
    # the last run of the largest N counts; file reads beyond linear add to their phase
    later = {**rec, "band_parts": 2, "shards": 1, "node_parts": 1, "cpu_s": 3.0, "wall_s": 2.0}
    later["phases"] = {"edges": {"cpu_s": 3.0}, "cc": {"cpu_s": 1.0, "rounds": 2}}
    with rates.open("a") as f:
        f.write(json.dumps(later) + "\n")
    assert sim.file_reads(2, 1, 1, 2) == {"edges": 2, "cc": 6, "label": 1}
    reads = {"edges": 200 + 10_000, "cc": 600, "label": 5}
    est = sim.cpu_estimate(1000, rates, reads)
    edges = pytest.approx(300.0 + 10_000 * sim.FILE_OPEN_CPU_S)
    assert est == {"edges": edges, "cc": 100.0, "from_n": 10, "cpu_per_wall": 1.5}
