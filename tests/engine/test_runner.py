from __future__ import annotations

from curate.engine.runner import LocalRunner, make_runner


def _square(x: int) -> int:
    return x * x


def test_local_runner_keeps_item_order() -> None:
    assert LocalRunner().map(_square, [3, 1, 2]) == [9, 1, 4]


def test_ray_runner_on_real_cluster(ray_cluster: None) -> None:
    runner = make_runner("ray", workers=2)
    try:
        assert runner.map(_square, list(range(20))) == [i * i for i in range(20)]
    finally:
        runner.close()  # does not stop the session's cluster: the runner did not start it
    import ray

    assert ray.is_initialized()
