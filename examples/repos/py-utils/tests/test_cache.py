from pyutils.cache import LRUCache


def test_eviction_order():
    cache = LRUCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "b" not in cache
    assert "a" in cache and "c" in cache


def test_hit_rate_counts():
    cache = LRUCache(capacity=4)
    cache.put("x", 10)
    cache.get("x")
    cache.get("y")
    assert cache.hits == 1 and cache.misses == 1
    assert cache.hit_rate() == 0.5
