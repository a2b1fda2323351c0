from __future__ import annotations

from dataclasses import dataclass

from curate.engine.shards import plan_shards


@dataclass(frozen=True)
class Src:
    uri: str
    size_bytes: int
    part: tuple[int, int] | None = None


def _sources(n: int) -> list[Src]:
    return [Src(f"/data/repo-{i:04d}.tar.gz", 1000 + (i * 37) % 500) for i in range(n)]


def test_every_source_in_exactly_one_shard_and_ids_unique() -> None:
    sources = _sources(300)
    shards = plan_shards(sources, target_bytes=20_000)
    members = [s.uri for shard in shards for s in shard.sources]
    assert sorted(members) == sorted(s.uri for s in sources)
    assert len({s.shard_id for s in shards}) == len(shards)
    assert all(shard.input_bytes <= 20_000 for shard in shards)


def test_ids_do_not_depend_on_input_order() -> None:
    sources = _sources(100)
    a = plan_shards(sources, 10_000)
    b = plan_shards(list(reversed(sources)), 10_000)
    assert [s.shard_id for s in a] == [s.shard_id for s in b]


def test_adding_a_source_keeps_most_shard_ids() -> None:
    sources = _sources(400)
    before = {s.shard_id for s in plan_shards(sources, 20_000)}
    after = {
        s.shard_id for s in plan_shards([*sources, Src("/data/repo-0200x.tar.gz", 1200)], 20_000)
    }
    changed = len(before - after)
    assert 1 <= changed <= 4, changed
    assert len(before & after) >= len(before) - 4


def test_oversized_source_gets_its_own_shard() -> None:
    shards = plan_shards([Src("/a", 10), Src("/b", 10_000), Src("/c", 10)], 100)
    assert [len(s.sources) for s in shards] == [1, 1, 1]
