from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from curate.errors import ConfigError
from curate.mix import MixtureConfig, run_mix
from curate.mix.config import TokensConfig
from curate.mix.tokens import TokenCounter
from tests.support.run_synth import document

CORPUS = [f"def function_{i}(x):\n    return x * {i} + offset\n" for i in range(200)]


@pytest.fixture
def tokenizer_json(tmp_path):
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"]))
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    return path, tok


def test_estimate_is_bytes_over_ratio() -> None:
    counter = TokenCounter(TokensConfig(bytes_per_token=4))
    counts = counter.count(pa.array(["abcd", "abcde", "", None, "é"], pa.large_string()))
    assert counts.tolist() == [1, 2, 0, 0, 1]
    assert not counter.exact and "bytes / 4" in counter.describe()


def test_exact_counts_with_local_tokenizer(tmp_path, tokenizer_json, scanned_run) -> None:
    path, tok = tokenizer_json
    counter = TokenCounter(TokensConfig(tokenizer=str(path)))
    assert counter.exact and "sha256:" in counter.describe()
    assert counter.count_one(CORPUS[3]) == len(tok.encode(CORPUS[3], add_special_tokens=False).ids)

    docs = [document("r/x", f"f{i}.py", c, "Python") for i, c in enumerate(CORPUS[:40])]
    run = scanned_run(tmp_path / "run", docs)
    manifest = run_mix(
        run, MixtureConfig(tokens=TokensConfig(tokenizer=str(path)), fim={"rate": 0.5})
    )
    frame = pl.read_parquet(list(run.mixture("default").glob("*.parquet")))
    expected = [len(tok.encode(t, add_special_tokens=False).ids) for t in frame["content"]]
    assert frame["tokens"].to_list() == expected  # recounted after FIM too
    assert manifest["token_counter"].startswith("tokenizer: tokenizer.json")


def test_missing_or_bad_tokenizer_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        TokenCounter(TokensConfig(tokenizer=str(tmp_path / "nope.json")))
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ConfigError, match=r"not a tokenizer\.json"):
        TokenCounter(TokensConfig(tokenizer=str(bad)))
