"""A loopback stand-in for the few Hugging Face Hub endpoints that ``HfApi.create_repo`` and
``HfApi.upload_folder`` call on their LFS path (``HF_HUB_DISABLE_XET=1``), written from
huggingface_hub's own client code (``hf_api.py``, ``_commit_api.py``, ``lfs.py``):

- ``POST /api/repos/create``: ``{name, organization, type, visibility}``; 409 (with the
  repository's ``url``) if it exists
- ``POST /api/validate-yaml``: the README.md front matter, before any upload
- ``POST /api/datasets/<repo>/preupload/<rev>``: per file ``uploadMode`` (``lfs`` for binary
  files, as the Hub answers for Parquet and PNG; ``regular`` for text)
- ``POST /datasets/<repo>.git/info/lfs/objects/batch``: git-lfs batch API, ``basic`` transfer
- ``PUT /lfs/<oid>`` and ``POST /lfs/verify``: the object upload (sha-256 checked) and verify
- ``POST /api/datasets/<repo>/commit/<rev>``: the ndjson commit (header, ``file`` in base64,
  ``lfsFile`` by oid, which must have been uploaded)

Every request must carry ``Authorization: Bearer <token>``. The server keeps the repositories'
files, so a test compares them with the folder it pushed; any other request is a 404 and is
recorded in ``unexpected``. Xet storage (huggingface_hub's default when ``hf_xet`` is
installed) talks to a separate content-addressed store with its own chunk protocol; it is not
emulated here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LFS_SUFFIXES = (".parquet", ".png", ".arrow", ".bin")


@dataclass
class HubState:
    token: str
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    """repo id -> path -> committed bytes."""
    created: list[dict[str, Any]] = field(default_factory=list)
    """Every create-repo payload, in order."""
    validated: list[str] = field(default_factory=list)
    lfs_objects: dict[str, bytes] = field(default_factory=dict)
    verified: set[str] = field(default_factory=set)
    commits: list[dict[str, Any]] = field(default_factory=list)
    """Per commit: repo, header, regular paths, LFS paths."""
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(method, path, Authorization header) of every request."""
    unexpected: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: HubState
    base: str

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, code: int, data: Any = None) -> None:
        raw = json.dumps(data if data is not None else {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization")
        self.state.requests.append((self.command, self.path, auth))
        if auth != f"Bearer {self.state.token}":
            self._reply(401, {"error": "Invalid credentials in Authorization header"})
            return False
        return True

    def do_PUT(self) -> None:
        body = self._body()
        self.state.requests.append((self.command, self.path, self.headers.get("Authorization")))
        m = re.fullmatch(r"/lfs/([0-9a-f]{64})", self.path)
        if not m:
            return self._unexpected()
        if hashlib.sha256(body).hexdigest() != m.group(1):
            return self._reply(400, {"error": "sha256 mismatch"})
        self.state.lfs_objects[m.group(1)] = body
        self._reply(200)

    def do_POST(self) -> None:
        body = self._body()
        if not self._authorized():
            return
        path = self.path.split("?")[0]
        if path == "/api/repos/create":
            return self._create(json.loads(body))
        if path == "/api/validate-yaml":
            self.state.validated.append(json.loads(body)["content"])
            return self._reply(200, {"errors": [], "warnings": []})
        if path == "/lfs/verify":
            data = json.loads(body)
            obj = self.state.lfs_objects.get(data["oid"])
            if obj is None or len(obj) != data["size"]:
                return self._reply(404, {"error": "object not uploaded"})
            self.state.verified.add(data["oid"])
            return self._reply(200)
        m = re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/(preupload|commit)/([^/]+)", path)
        if m and m.group(1) in self.state.repos:
            if m.group(2) == "preupload":
                return self._preupload(json.loads(body))
            return self._commit(m.group(1), body)
        m = re.fullmatch(r"/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch", path)
        if m and m.group(1) in self.state.repos:
            return self._batch(json.loads(body))
        self._unexpected()

    def do_GET(self) -> None:
        self.state.requests.append((self.command, self.path, self.headers.get("Authorization")))
        self._unexpected()

    def _unexpected(self) -> None:
        self.state.unexpected.append(f"{self.command} {self.path}")
        self._reply(404, {"error": "not emulated"})

    def _create(self, payload: dict[str, Any]) -> None:
        self.state.created.append(payload)
        repo = f"{payload['organization']}/{payload['name']}"
        url = f"{self.base}/datasets/{repo}"
        if repo in self.state.repos:  # the client reads "url" from the 409 too (exist_ok)
            return self._reply(409, {"error": "You already created this dataset repo", "url": url})
        self.state.repos[repo] = {}
        self._reply(200, {"url": url, "name": repo})

    def _preupload(self, payload: dict[str, Any]) -> None:
        files = []
        for f in payload["files"]:
            sample = base64.b64decode(f["sample"])
            binary = f["path"].endswith(LFS_SUFFIXES) or b"\x00" in sample
            files.append(
                {"path": f["path"], "uploadMode": "lfs" if binary else "regular",
                 "shouldIgnore": False, "oid": None}
            )  # fmt: skip
        self._reply(200, {"files": files})

    def _batch(self, payload: dict[str, Any]) -> None:
        assert payload["operation"] == "upload" and "basic" in payload["transfers"]
        objects = []
        for obj in payload["objects"]:
            entry: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.state.lfs_objects:  # already stored: no actions
                entry["actions"] = {
                    "upload": {"href": f"{self.base}/lfs/{obj['oid']}"},
                    "verify": {"href": f"{self.base}/lfs/verify"},
                }
            objects.append(entry)
        self._reply(200, {"transfer": "basic", "objects": objects})

    def _commit(self, repo: str, body: bytes) -> None:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        header = next(item["value"] for item in lines if item["key"] == "header")
        files = dict(self.state.repos[repo])
        regular, lfs = [], []
        for item in lines:
            value = item["value"]
            if item["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"])
                regular.append(value["path"])
            elif item["key"] == "lfsFile":
                if value["oid"] not in self.state.verified:
                    return self._reply(422, {"error": f"LFS object {value['oid']} not uploaded"})
                files[value["path"]] = self.state.lfs_objects[value["oid"]]
                lfs.append(value["path"])
            elif item["key"] != "header":
                return self._reply(400, {"error": f"operation {item['key']} not emulated"})
        self.state.repos[repo] = files
        oid = hashlib.sha1(body).hexdigest()
        self.state.commits.append({"repo": repo, "header": header, "regular": regular, "lfs": lfs})
        self._reply(
            200,
            {"commitUrl": f"{self.base}/datasets/{repo}/commit/{oid}", "commitOid": oid,
             "pullRequestUrl": None},
        )  # fmt: skip


class HubStandIn:
    """``with HubStandIn(token) as hub:`` serves on ``hub.endpoint`` (loopback, a free port)."""

    def __init__(self, token: str) -> None:
        self.state = HubState(token=token)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        handler = type("Handler", (_Handler,), {"state": self.state, "base": self.endpoint})
        self._server.RequestHandlerClass = handler
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HubStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
