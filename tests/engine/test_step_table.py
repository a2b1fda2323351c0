"""The time table rows carry each step's peak RSS, merged as a maximum over its units."""

from __future__ import annotations

from curate.engine.stats import merge_counts
from curate.stats import step_table


def test_step_table_reports_peak_rss_as_maximum_over_units() -> None:
    units = [
        {"cpu_s": 1.0, "wall_s": 1.5, "units": 1, "bytes": 2**20, "max_rss_mb": 210.5},
        {"cpu_s": 2.0, "wall_s": 2.5, "units": 1, "bytes": 2**20, "max_rss_mb": 340.0},
    ]
    rows = step_table({"ingest": merge_counts(units), "dedup": {"cpu_s": 0.5, "units": 1}})
    by_step = {r["step"]: r for r in rows}
    assert by_step["ingest"]["max_rss_mb"] == 340.0  # a maximum, not the sum 550.5
    assert by_step["ingest"]["units"] == 2
    assert by_step["ingest"]["mb_per_cpu_s"] == round(2 / 3.0, 2)
    assert by_step["dedup"]["max_rss_mb"] is None  # not recorded -> None, never invented


def test_echoed_table_has_a_max_rss_column(capsys) -> None:
    from curate.cli._tables import echo_step_table

    units = [{"cpu_s": 1.0, "wall_s": 1.5, "units": 1, "bytes": 2**20, "max_rss_mb": 340.4}]
    echo_step_table(step_table({"ingest": merge_counts(units), "dedup": {"cpu_s": 0.5}}))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].split()[-3:] == ["max", "RSS", "MB"]
    ingest = next(line for line in lines if line.split()[0] == "ingest")
    dedup = next(line for line in lines if line.split()[0] == "dedup")
    assert ingest.split()[-1] == "340"
    assert dedup.split()[-1] != "340" and "340" not in dedup  # unrecorded -> blank, not invented
    assert len(ingest) == len(lines[1])  # the column lines up under its header
