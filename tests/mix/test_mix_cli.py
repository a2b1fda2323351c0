from __future__ import annotations

import json

from curate.mix.layout import manifest_path
from tests.support.cli import run_curate as _curate
from tests.support.run_synth import document, write_run


def test_mix_and_card_commands(tmp_path, scanned_run) -> None:
    docs = [document("o/r", f"f{i}.py", f"x = {i}\n" * (i + 1), "Python") for i in range(20)]
    docs += [document("o/r", f"g{i}.go", f"package g{i}\n", "Go") for i in range(20)]
    run = scanned_run(tmp_path / "run", docs)
    (run.root / "pipeline.toml").write_text(
        '[mixture]\nname = "mix1"\nstrategy = "budget"\nshares = { Python = 0.5, Go = 0.5 }\n'
        "total_tokens = 600\n\n[card]\nplots = false\n"
    )
    done = _curate("mix", str(run.root), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["rows"] > 0 and set(out["shares"]) == {"Python", "Go"}
    assert manifest_path(run, "mix1").is_file()
    assert not (run.mixture("mix1") / "manifest.json").exists()

    done = _curate("card", str(run.root), "--json")
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout.strip().splitlines()[-1])
    assert (
        card["front_matter"]["configs"][0]["data_files"][0]["path"]
        == "../mixtures/mix1/part-*.parquet"
    )
    assert "shares = { Python = 0.5, Go = 0.5 }" in (run.card / "README.md").read_text()


def test_bad_config_is_one_line_error(tmp_path) -> None:
    run = write_run(tmp_path / "run", [document("o/r", "a.py", "x\n", "Python")])
    bad = tmp_path / "bad.toml"
    bad.write_text("[mixture]\nweigths = { Python = 2 }\n")
    done = _curate("mix", str(run.root), "--pipeline", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {bad}: mixture.weigths: unknown key"
    done = _curate("mix", str(tmp_path / "nowhere"))
    assert (
        done.returncode == 1
        and done.stderr.startswith("error: ")
        and "Traceback" not in done.stderr
    )
    bad.write_text('[mixture.tokens]\ntokenizer = "/no/such/tokenizer.json"\n')
    done = _curate("mix", str(run.root), "--pipeline", str(bad))
    assert done.returncode == 2 and "mixture.tokens.tokenizer" in done.stderr
