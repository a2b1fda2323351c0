from __future__ import annotations

import random

import polars as pl
import pytest
from pydantic import ValidationError

from curate.mix import MixtureConfig, run_mix
from curate.mix.weights import assign_copies, plan_languages, requested_targets
from tests.support.run_synth import document

AVAILABLE = {"Python": 6000, "Go": 3000, "Rust": 1000}


def test_strategies_request_the_documented_targets() -> None:
    assert requested_targets(AVAILABLE, MixtureConfig()) == AVAILABLE
    natural = requested_targets(AVAILABLE, MixtureConfig(weights={"Rust": 3.0}))
    assert natural["Rust"] == 3000 and natural["Python"] == 6000
    uniform = requested_targets(AVAILABLE, MixtureConfig(strategy="uniform", total_tokens=9000))
    assert uniform == {"Go": 3000, "Python": 3000, "Rust": 3000}
    budget = requested_targets(AVAILABLE, MixtureConfig(strategy="budget", budgets={"Go": 500}))
    assert budget == {"Go": 500}
    shares = requested_targets(
        AVAILABLE,
        MixtureConfig(strategy="budget", shares={"Go": 0.25, "Python": 0.75}, total_tokens=4000),
    )
    assert shares == {"Go": 1000, "Python": 3000}
    law = requested_targets(
        AVAILABLE,
        MixtureConfig(
            strategy="scaling_law", exponents={"Python": 0.3, "Go": 0.2}, default_exponent=0.5
        ),
    )
    assert law == pytest.approx({"Python": 3000, "Go": 2000, "Rust": 5000})


def test_epoch_cap_limits_upsampling_and_is_reported() -> None:
    cfg = MixtureConfig(strategy="uniform", total_tokens=30_000, max_epochs=5)
    plans = plan_languages(AVAILABLE, {k: 10 for k in AVAILABLE}, cfg)
    assert (
        plans["Rust"].capped and plans["Rust"].target_tokens == 5000 and plans["Rust"].epochs == 5
    )
    assert not plans["Python"].capped and plans["Python"].epochs == pytest.approx(10_000 / 6000)
    assert plans["Python"].requested_share == pytest.approx(1 / 3)


def test_budget_and_shares_are_validated() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        MixtureConfig(strategy="budget")
    with pytest.raises(ValidationError, match="add up to 1"):
        MixtureConfig(strategy="budget", shares={"Go": 0.5}, total_tokens=10)
    with pytest.raises(ValidationError):
        MixtureConfig(unknown_key=1)


def _units(n: int, lang: str, rng: random.Random) -> list[dict]:
    return [
        {"unit_id": f"{lang}-{i}", "language": lang, "tokens": rng.randint(10, 400)}
        for i in range(n)
    ]


def test_copies_meet_targets_within_one_unit_and_are_seeded() -> None:
    rng = random.Random(1)
    units = pl.DataFrame(_units(2000, "Python", rng) + _units(500, "Go", rng))
    avail = dict(units.group_by("language").agg(pl.col("tokens").sum()).iter_rows())
    cfg = MixtureConfig(
        strategy="budget",
        budgets={"Python": int(avail["Python"] * 0.37), "Go": int(avail["Go"] * 2.6)},
    )
    plans = plan_languages(avail, {}, cfg)
    a = assign_copies(units, plans, seed=3)
    for lang in ("Python", "Go"):
        got = (
            a.filter(pl.col("language") == lang)
            .select((pl.col("tokens") * pl.col("copies")).sum())
            .item()
        )
        assert 0 <= got - plans[lang].target_tokens <= 400
    go = a.filter(pl.col("language") == "Go")["copies"]
    assert set(go.unique()) == {2, 3}  # whole repeats plus a sampled rest
    b = assign_copies(units.sample(fraction=1.0, shuffle=True, seed=9), plans, seed=3)
    assert a.sort("unit_id").equals(b.sort("unit_id"))  # independent of input order
    c = assign_copies(units, plans, seed=4)
    assert not a.sort("unit_id")["copies"].equals(c.sort("unit_id")["copies"])


def test_requested_shares_met_within_one_percent_end_to_end(tmp_path, scanned_run) -> None:
    rng = random.Random(5)
    docs = []
    for i in range(3000):
        lang = rng.choice(["Python", "Python", "Python", "Go", "Rust"])
        docs.append(
            document(f"r/{i % 50}", f"f{i}", "x" * rng.randint(200, 4000), lang, f"{i % 3:016x}")
        )
    run = scanned_run(tmp_path / "run", docs)
    shares = {"Python": 0.2, "Go": 0.5, "Rust": 0.3}
    cfg = MixtureConfig(strategy="budget", shares=shares, total_tokens=3_000_000)
    manifest = run_mix(run, cfg)
    for lang, want in shares.items():
        got = manifest["shares"][lang]
        assert got["requested_share"] == pytest.approx(want)
        assert abs(got["actual_share"] - want) < 0.01
        assert not got["capped"]
    written = pl.read_parquet(list(run.mixture("default").glob("*.parquet")))
    assert written["tokens"].sum() == pytest.approx(3_000_000, rel=0.01)
    assert written["epoch"].max() >= 1  # Go and Rust are upsampled
