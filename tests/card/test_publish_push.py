"""``curate publish RUN DIR --push OWNER/NAME`` against a loopback stand-in for the Hub
(tests/card/hub_standin.py): the repository it creates, the token it sends, and every byte of
the folder arriving in the commit, Parquet and PNG through the LFS upload.

huggingface_hub uploads through Xet storage when ``hf_xet`` is installed; the stand-in
implements the LFS protocol only, so these runs set ``HF_HUB_DISABLE_XET=1``. Everything above
the transfer (create_repo, the README validation, preupload, the commit) is the same code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from curate.mix import MixtureConfig, run_mix
from tests.card.hub_standin import HubStandIn
from tests.support.cli import run_curate as _curate
from tests.support.run_synth import document, write_run

TOKEN = "hf_standin_0123456789abcdefghijklmnop"


def _env(tmp_path: Path, endpoint: str, token: str | None = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    if token:
        env["HF_TOKEN"] = token
    return env


@pytest.fixture
def run_root(tmp_path: Path) -> Path:
    docs = [
        document(
            f"o/r{i % 3}", f"src/f{i}.py", f"def f{i}():\n    return {i}\n" * (i + 1), "Python"
        )
        for i in range(30)
    ]
    lic = [{"doc_uid": d["doc_uid"], "license_spdx": "MIT OR Apache-2.0",
            "license_category": "permissive"} for d in docs]  # fmt: skip
    decisions = [
        {"doc_uid": d["doc_uid"], "keep": i % 5 != 0,
         "drop_reason": None if i % 5 else "quality:short", "rule_short": i % 5 != 0}
        for i, d in enumerate(docs)
    ]  # fmt: skip
    run = write_run(
        tmp_path / "run", docs, attributes={"license@1": lic}, decisions={"default": decisions}
    )
    run_mix(run, MixtureConfig(allow_unredacted=True, target_file_bytes=1024))
    return run.root


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_push_creates_the_repo_and_commits_every_file(run_root, tmp_path) -> None:
    dest = tmp_path / "hub"
    with HubStandIn(TOKEN) as hub:
        done = _curate(
            "publish", str(run_root), str(dest), "--push", "me/data", "--json",
            env=_env(tmp_path, hub.endpoint),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        state = hub.state
        assert state.unexpected == []
        # the exact create request: a dataset repository, owner and name split, public
        assert state.created == [
            {"name": "data", "organization": "me", "visibility": "public", "type": "dataset"}
        ]
        # the token goes on every Hub API request (the LFS object PUT goes to the returned URL)
        api = [r for r in state.requests if r[0] != "PUT"]
        assert api and all(auth == f"Bearer {TOKEN}" for _, _, auth in api)
        local = _folder_files(dest)
        assert any(p.startswith("data/default/part-") for p in local)
        assert any(p.startswith("plots/") for p in local)
        assert state.repos["me/data"] == local  # every file, byte for byte
        (commit,) = state.commits
        assert commit["regular"] == ["README.md"]
        assert sorted(commit["lfs"]) == sorted(p for p in local if p != "README.md")
        # the card's front matter goes to validate-yaml before any upload (huggingface_hub asks
        # twice: when it lists the folder and again in create_commit)
        assert set(state.validated) == {(dest / "README.md").read_text()}
        first_upload = next(i for i, r in enumerate(state.requests) if "preupload" in r[1])
        assert any("validate-yaml" in r[1] for r in state.requests[:first_upload])
        out = json.loads(done.stdout)
        assert out["pushed"].startswith(f"{hub.endpoint}/datasets/me/data/commit/")

        # pushing again: the repo exists (409 is fine), unchanged objects are not re-uploaded
        puts = sum(1 for r in state.requests if r[0] == "PUT")
        again = _curate(
            "publish", str(run_root), str(dest), "--push", "me/data", "--private",
            env=_env(tmp_path, hub.endpoint),
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert state.created[1] == {
            "name": "data", "organization": "me", "visibility": "private", "type": "dataset"
        }  # fmt: skip
        assert len(state.commits) == 2
        assert sum(1 for r in state.requests if r[0] == "PUT") == puts
        assert state.repos["me/data"] == _folder_files(dest)


def test_a_wrong_token_fails_with_the_hubs_error_and_commits_nothing(run_root, tmp_path) -> None:
    dest = tmp_path / "hub"
    with HubStandIn(TOKEN) as hub:
        done = _curate(
            "publish", str(run_root), str(dest), "--push", "me/data",
            env=_env(tmp_path, hub.endpoint, token="hf_wrong"),
        )  # fmt: skip
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            f"error: push to me/data ({hub.endpoint}) failed: Client error '401 Unauthorized' "
            f"for url '{hub.endpoint}/api/repos/create' (Invalid credentials in Authorization header)"
        ]  # one line, no traceback
        assert hub.state.repos == {} and hub.state.commits == []
        assert all(auth == "Bearer hf_wrong" for _, _, auth in hub.state.requests)
    assert (dest / "README.md").is_file()  # the folder is written before the push


def test_no_token_sends_no_request(run_root, tmp_path) -> None:
    with HubStandIn(TOKEN) as hub:
        done = _curate(
            "publish", str(run_root), str(tmp_path / "hub"), "--push", "me/data",
            env=_env(tmp_path, hub.endpoint, token=None),
        )  # fmt: skip
        assert done.returncode == 2 and "no Hugging Face token" in done.stderr
        assert hub.state.requests == []


def test_an_unreachable_endpoint_is_one_clear_error(run_root, tmp_path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    done = _curate(
        "publish", str(run_root), str(tmp_path / "hub"), "--push", "me/data",
        env=_env(tmp_path, endpoint),
    )  # fmt: skip
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: push to me/data: cannot reach {endpoint}: ")
