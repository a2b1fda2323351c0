"""The store lock's lease (issue 15): the holder renews ``RUN/.lock`` every T seconds
(``CURATE_LOCK_LEASE_S``) from a daemon thread; a lock not renewed for 3 T is stale and taken
over, whichever host wrote it, with a warning naming the old holder; a fresh one is refused
with one clear line. Against the real loopback S3 server; T is a fraction of a second here."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import pytest

from curate import objstore
from curate.errors import UserError
from curate.pipeline import run_lock
from curate.rundir import RunDir

OTHER = "node-b.cluster:4242:0badf00d"  # a driver on another host: its pid cannot be checked


@pytest.fixture
def lock(s3_server: Any, request: pytest.FixtureRequest) -> tuple[Any, str]:
    url = s3_server.make_bucket("lock-lease-test")
    fs, root = objstore.filesystem(f"{url}/{request.node.name}", s3_server.storage_options)
    return fs, f"{root}/.lock"


def _hold(fs: Any, path: str, owner: str, lease_s: float | None) -> None:
    body: dict[str, Any] = {"owner": owner, "host": owner.split(":")[0]}
    if lease_s is not None:
        body |= {"lease_s": lease_s, "renewed": time.time()}
    fs.pipe_file(path, json.dumps(body).encode())
    fs.invalidate_cache()


def _owner(fs: Any, path: str) -> str:
    fs.invalidate_cache()
    return json.loads(fs.cat_file(path))["owner"]


def test_a_stale_lock_of_another_host_is_taken_over_naming_its_holder(
    lock: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    fs, path = lock
    _hold(fs, path, OTHER, lease_s=0.3)
    time.sleep(1.0)  # > 3 x 0.3 s without a renewal
    with caplog.at_level(logging.WARNING, logger="curate.objstore"):
        assert objstore.acquire_lock(fs, path, "me", lease_s=0.3) == "me"
    assert _owner(fs, path) == "me"
    (line,) = [r.getMessage() for r in caplog.records if "taken over" in r.getMessage()]
    assert OTHER in line and re.search(r"not renewed for \d+ s .*stale after 0\.9 s", line)
    objstore.release_lock(fs, path, "me")
    assert not fs.exists(path)


def test_a_fresh_lock_of_another_host_is_refused_with_one_line(lock: tuple[Any, str]) -> None:
    fs, path = lock
    _hold(fs, path, OTHER, lease_s=30)
    with pytest.raises(UserError) as err:
        objstore.acquire_lock(fs, path, "me", lease_s=0.3)
    message = str(err.value)
    assert "\n" not in message and f"locked by owner {OTHER}" in message
    assert "renewed 0 s ago; it is taken over once not renewed for 90 s" in message
    assert _owner(fs, path) == OTHER


def test_a_lock_without_a_lease_is_never_taken_over_from_another_host(
    lock: tuple[Any, str],
) -> None:
    """A holder that does not renew (written before leases): its age says nothing."""
    fs, path = lock
    _hold(fs, path, OTHER, lease_s=None)
    time.sleep(1.0)
    with pytest.raises(UserError, match="not renewed: delete the lock object"):
        objstore.acquire_lock(fs, path, "me", lease_s=0.3)
    assert _owner(fs, path) == OTHER


def test_the_holder_renews_so_its_lock_never_goes_stale(lock: tuple[Any, str]) -> None:
    fs, path = lock
    objstore.acquire_lock(fs, path, "me", lease_s=0.2)
    first = objstore.read_lock(fs, path)
    time.sleep(1.0)  # five leases: stale by now if it were not renewed
    lease = objstore._LEASES[path]
    assert lease.is_alive() and lease.renewals >= 2
    now = objstore.read_lock(fs, path)
    assert now.owner == "me" and now.etag != first.etag and now.age() < 0.6
    with pytest.raises(UserError, match="locked by owner me"):
        objstore.acquire_lock(fs, path, "you", lease_s=0.2)
    objstore.release_lock(fs, path, "me")
    assert not lease.is_alive() and not fs.exists(path)


def test_of_two_takers_of_one_stale_lock_exactly_one_wins(lock: tuple[Any, str]) -> None:
    fs, path = lock
    _hold(fs, path, OTHER, lease_s=0.1)
    stale = objstore.read_lock(fs, path)
    assert objstore._replace_lock(fs, path, stale.etag, b'{"owner": "first"}')
    assert not objstore._replace_lock(fs, path, stale.etag, b'{"owner": "second"}')
    assert _owner(fs, path) == "first"


def test_a_holder_whose_lock_was_taken_over_stops_renewing_and_leaves_it(
    lock: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    fs, path = lock
    objstore.acquire_lock(fs, path, "me", lease_s=0.2)
    lease = objstore._LEASES[path]
    _hold(fs, path, OTHER, lease_s=30)  # taken over while this process stalled
    with caplog.at_level(logging.ERROR, logger="curate.objstore"):
        lease.join(timeout=3)
    assert not lease.is_alive() and lease.lost_to == OTHER
    assert any("no longer held by this run" in r.getMessage() for r in caplog.records)
    objstore.release_lock(fs, path, "me")
    assert _owner(fs, path) == OTHER  # neither renewed over nor deleted


def test_run_lock_takes_over_a_stale_lock_and_renews_while_held(
    s3_server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "mirrors"))
    monkeypatch.setenv(objstore.LEASE_ENV, "0.2")
    run = RunDir.at(s3_server.make_bucket("lock-lease-run") + f"/{tmp_path.name}")
    fs, key = run.mirror.fs, run.mirror.key(".lock")
    _hold(fs, key, OTHER, lease_s=0.2)
    time.sleep(0.8)
    with run_lock(run):
        assert objstore.read_lock(fs, key).owner.split(":")[0] != "node-b.cluster"
        time.sleep(0.7)
        assert objstore._LEASES[key].renewals >= 2
    assert objstore.read_lock(fs, key) is None


@pytest.mark.parametrize("raw", ["abc", "0", "-5"])
def test_a_bad_lease_setting_is_one_clear_error(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(objstore.LEASE_ENV, raw)
    with pytest.raises(UserError, match=r"CURATE_LOCK_LEASE_S=.* not a positive number"):
        objstore.lease_seconds()
    monkeypatch.delenv(objstore.LEASE_ENV)
    assert objstore.lease_seconds() == objstore.DEFAULT_LEASE_S == 30.0
