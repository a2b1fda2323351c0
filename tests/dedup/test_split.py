"""The split of components into clusters (``verify.greedy_clusters``): the triangle-inequality
shortcuts give exactly the clusters of a brute-force rule, and every pair in a cluster is at or
above the floor."""

from __future__ import annotations

import itertools
import random

import numpy as np
import polars as pl

from curate.dedup.verify import greedy_clusters, split_by_representative


def _jac(x: np.ndarray, y: np.ndarray) -> float:
    a, b = set(x.tolist()), set(y.tolist())
    return len(a & b) / len(a | b)


def _reference(sets: list[np.ndarray], threshold: float, floor: float) -> list[int]:
    """The rule without shortcuts: every candidate checked against every member."""
    n = len(sets)
    seed = [-1] * n
    for s in range(n):
        if seed[s] >= 0:
            continue
        seed[s], members, direct = s, [s], True
        while True:
            joined = False
            for m in range(s + 1, n):
                if seed[m] >= 0 or (direct and _jac(sets[s], sets[m]) < threshold):
                    continue
                if all(_jac(sets[m], sets[x]) >= floor for x in members) and any(
                    _jac(sets[m], sets[x]) >= threshold for x in members
                ):
                    members.append(m)
                    seed[m] = s
                    joined = True
            if not joined and not direct:
                break
            direct = False
    return seed


def _family(rng: random.Random) -> list[np.ndarray]:
    """A component-like family: release series (each set edits 5-25% of the previous one),
    sometimes branching from an earlier release, in random keep order."""
    fresh = itertools.count(rng.randrange(1 << 20) * 1000)
    out = [np.array(sorted(next(fresh) for _ in range(rng.randrange(40, 120))), np.uint32)]
    for _ in range(rng.randrange(2, 9)):
        parent = out[rng.randrange(len(out))] if rng.random() < 0.3 else out[-1]
        keep = [int(v) for v in parent if rng.random() > rng.uniform(0.05, 0.25)]
        grown = keep + [next(fresh) for _ in range(len(parent) - len(keep) + rng.randrange(8))]
        out.append(np.array(sorted(set(grown)), np.uint32))
    rng.shuffle(out)
    return out


def test_shortcuts_match_brute_force_and_pairs_reach_the_floor() -> None:
    rng = random.Random(2)
    chained = split = 0
    for _ in range(300):
        sets = _family(rng)
        for threshold, floor in ((0.7, 0.5), (0.7, 0.7), (0.8, 0.4)):
            seeds = greedy_clusters(sets, threshold, floor)
            assert seeds == _reference(sets, threshold, floor)
            clusters: dict[int, list[int]] = {}
            for i, s in enumerate(seeds):
                clusters.setdefault(s, []).append(i)
            for s, members in clusters.items():
                assert members[0] == s  # the seed is the first member in keep order: kept
                pairs = [_jac(sets[x], sets[y]) for x, y in itertools.combinations(members, 2)]
                assert all(j >= floor for j in pairs)
                chained += any(j < threshold for j in pairs)
            split += len(clusters) > 1 and any(
                _jac(sets[a], sets[b]) >= threshold
                for a, b in itertools.combinations(range(len(sets)), 2)
                if seeds[a] != seeds[b]
            )
    # the families exercise both sides: chains kept together and near pairs split by the floor
    assert chained > 20 and split > 20


def test_direct_copies_of_the_seed_join_before_chained_ones() -> None:
    """Keep order s, c, b, d: c and d are direct copies of the seed s, b reaches s only through
    c and is below the floor with d. d joins (direct first) although b precedes it in keep
    order, so b starts its own cluster; without chaining b never joins s."""
    base = list(range(100))
    s = np.array(base, np.uint32)
    c = np.array(base[10:] + list(range(1000, 1010)), np.uint32)
    b = np.array(base[20:] + list(range(1000, 1020)), np.uint32)
    d = np.array(base[:85] + list(range(2000, 2015)), np.uint32)
    assert min(_jac(s, c), _jac(s, d), _jac(b, c)) >= 0.7 > _jac(s, b) >= 0.5 > _jac(b, d)
    assert greedy_clusters([s, c, b, d], 0.7, 0.5) == [0, 0, 2, 0]
    assert greedy_clusters([s, c, b], 0.7, 0.5) == [0, 0, 0]  # chained through c
    assert greedy_clusters([s, b, c], 0.7, 0.5) == [0, 0, 0]  # b waits for c to join
    assert greedy_clusters([s, c, b], 0.7, 0.7) == [0, 0, 2]  # no chaining: b on its own


def test_exact_copies_share_a_cluster_and_labels_are_smallest_nodes() -> None:
    base = list(range(100))
    far = base[40:] + list(range(500, 540))  # J(base, far) = 0.43: split from base
    mid = base[20:] + list(range(500, 520))  # J 0.67 to both: chains them? no: base~far < 0.5
    blobs = [np.array(x, np.uint32).tobytes() for x in (base, base, mid, far)]
    rows = pl.DataFrame(
        {
            "label": [1, 1, 1, 1],
            "node": [9, 9, 5, 3],  # two rows of one content, then mid, then far
            "doc_uid": ["a", "b", "c", "d"],
            "shingles": blobs,
        }
    )
    out, split = split_by_representative(rows, 0.6, 0.5)
    got = dict(zip(out["doc_uid"], out["label"], strict=True))
    # base seeds {base, base copy, mid}; far (J 0.43 to base) seeds its own cluster
    assert got == {"a": 5, "b": 5, "c": 5, "d": 3} and split == 1
    assert "shingles" not in out.columns
