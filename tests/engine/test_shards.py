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


MB = 1 << 20


def _archives(n: int, size: int) -> list[Src]:
    return [Src(f"/corpus/pkg-{i:04d}.tgz", size + (i * 7919) % (size // 4)) for i in range(n)]


def test_small_input_is_cut_into_at_least_two_shards_per_worker() -> None:
    from curate.engine.shards import fan_out

    # the e2e corpus shape: 65 archives, ~52 MB, which the 256 MB target made ONE shard
    sources = _archives(65, 800 * 1024)
    for workers in (1, 2, 3):
        shards = plan_shards(sources, 256 * MB, fan_out(workers))
        assert len(shards) >= 2 * workers, (workers, len(shards))
        members = sorted(s.uri for shard in shards for s in shard.sources)
        assert members == sorted(s.uri for s in sources)
    # N x 16 MB of input with many workers: still >= 2 shards per worker
    for workers in (8, 40):
        sources = _archives(workers * 16, 1 * MB)
        shards = plan_shards(sources, 256 * MB, fan_out(workers))
        assert len(shards) >= 2 * workers, (workers, len(shards))


def test_tiny_input_is_not_split_below_the_minimum_shard_size() -> None:
    sources = _archives(10, 100 * 1024)  # ~1 MB in all: one shard is right
    assert len(plan_shards(sources, 256 * MB, 64)) == 1


def test_big_input_keeps_the_configured_target() -> None:
    sources = _archives(200, 100 * MB)  # 20 GB: 256 MB shards already give > 64
    shards = plan_shards(sources, 256 * MB, 64)
    assert all(s.input_bytes <= 256 * MB for s in shards)
    assert len(shards) >= 20_000 // 256


def test_ids_stable_across_runs_and_small_worker_counts() -> None:
    from curate.engine.shards import fan_out

    sources = _archives(65, 800 * 1024)
    ids = [[s.shard_id for s in plan_shards(sources, 256 * MB, fan_out(w))] for w in (1, 2, 8)]
    assert ids[0] == ids[1] == ids[2]
    again = [s.shard_id for s in plan_shards(list(reversed(sources)), 256 * MB, fan_out(1))]
    assert again == ids[0]


def test_adding_a_source_to_a_mid_sized_input_keeps_most_ids() -> None:
    # 1.6 GB: the lowered target applies; one more source must not re-cut every shard
    sources = _archives(400, 4 * MB)
    before = {s.shard_id for s in plan_shards(sources, 256 * MB, 64)}
    after = {
        s.shard_id
        for s in plan_shards([*sources, Src("/corpus/pkg-0200x.tgz", 4 * MB)], 256 * MB, 64)
    }
    assert len(before - after) <= 4, len(before - after)
