"""The object-store run lock after a crash: a lock left by a dead process of this host is taken
over (a rerun needs no manual step); a live owner's or another host's lock is not."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from curate import objstore
from curate.errors import UserError


@pytest.fixture
def lock(s3_server):
    url = s3_server.make_bucket("lock-stale-test")
    fs, root = objstore.filesystem(url + "/run", s3_server.storage_options)
    return fs, f"{root}/.lock"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _hold(fs, path: str, owner: str) -> None:
    fs.pipe_file(path, json.dumps({"owner": owner}).encode())
    fs.invalidate_cache()


def test_lock_of_a_dead_local_process_is_taken_over(lock) -> None:
    fs, path = lock
    _hold(fs, path, f"{socket.gethostname()}:{_dead_pid()}:deadbeef")
    owner = objstore.acquire_lock(fs, path, "me")
    assert owner == "me"
    assert json.loads(fs.cat_file(path))["owner"] == "me"
    objstore.release_lock(fs, path, "me")
    assert not fs.exists(path)


@pytest.mark.parametrize(
    "held",
    [
        f"{socket.gethostname()}:{os.getpid()}:alive",  # a live process of this host
        f"not-{socket.gethostname()}:1:remote",  # another host: cannot be checked from here
        "opaque-owner-id",  # no host:pid form
    ],
)
def test_lock_of_a_live_or_unknown_owner_is_kept(lock, held: str) -> None:
    fs, path = lock
    _hold(fs, path, held)
    with pytest.raises(UserError, match="locked by owner"):
        objstore.acquire_lock(fs, path, "me")
    assert json.loads(fs.cat_file(path))["owner"] == held
