"""Building output samples: one file, or a repository's files concatenated in dependency order,
with FIM applied per (sample, epoch)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from curate.mix import fim
from curate.mix.config import FimConfig, RepoConfig
from curate.mix.deps import dependency_graph, grammar_for, order_files
from curate.mix.weights import sample_key


@dataclass(frozen=True)
class RepoFile:
    key: str  # unique within the repository (the path, disambiguated if a path repeats)
    path: str
    language: str | None
    content: str


@dataclass(frozen=True)
class Sample:
    text: str
    regions: tuple[tuple[int, int, str | None], ...]
    """(start, end, grammar) of each file's content inside ``text`` (FIM cuts stay inside one)."""
    files: tuple[RepoFile, ...]


def order_repo(files: list[RepoFile], cfg: RepoConfig) -> list[RepoFile]:
    by_key = {f.key: f for f in files}
    if cfg.order == "path":
        return [by_key[k] for k in sorted(by_key)]
    graph = dependency_graph(
        {f.key: (f.language, f.content) for f in files},
        max_parse_bytes=cfg.max_parse_bytes,
        parse_timeout_s=cfg.parse_timeout_s,
    )
    return [by_key[k] for k in order_files(graph)]


def repo_samples(repo: str, ordered: list[RepoFile], cfg: RepoConfig) -> list[Sample]:
    """Concatenate ``ordered`` files, starting a new sample when ``max_sample_bytes`` is hit."""
    samples: list[Sample] = []
    parts: list[str] = []
    regions: list[tuple[int, int, str | None]] = []
    members: list[RepoFile] = []
    size = 0

    def start() -> None:
        nonlocal size
        header = cfg.repo_header.replace("{repo}", repo)
        parts.clear(), regions.clear(), members.clear()
        parts.append(header)
        size = len(header)

    def finish() -> None:
        if members:
            samples.append(
                Sample("".join(parts) + cfg.sample_suffix, tuple(regions), tuple(members))
            )

    start()
    for f in ordered:
        header = cfg.file_header.replace("{path}", f.path)
        piece = len(header) + len(f.content) + len(cfg.file_separator)
        if cfg.max_sample_bytes and members and size + piece > cfg.max_sample_bytes:
            finish()
            start()
        parts.append(header)
        begin = size + len(header)
        parts.append(f.content)
        parts.append(cfg.file_separator)
        regions.append((begin, begin + len(f.content), grammar_for(f.path, f.language)))
        members.append(f)
        size += piece
    finish()
    return samples


def fim_rng(seed: int, unit_id: str, epoch: int) -> random.Random:
    return random.Random(sample_key(seed, f"fim\x00{unit_id}\x00{epoch}"))


def apply_fim(sample: Sample, mode: str, rng: random.Random, cfg: FimConfig) -> str:
    """FIM inside one file of the sample (chosen by rng, weighted by length); the rest of the
    sample stays in the prefix / suffix. ``mode`` comes from ``fim.choose_mode`` on the same rng."""
    weights = [max(end - start, 1) for start, end, _ in sample.regions]
    start, end, grammar = rng.choices(sample.regions, weights=weights)[0]
    snap = fim.leaf_snapper(grammar, sample.text[start:end]) if cfg.boundary == "node" else None
    return fim.transform(sample.text, mode, rng, cfg, lo=start, hi=end, snap=snap)
