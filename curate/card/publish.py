"""``curate publish``: a Hub-ready dataset folder from a run, and optionally its upload.

The folder is what a Hugging Face dataset repository holds at its root::

    README.md                 the card; its ``configs`` name data/<mixture>/*.parquet
    plots/*.png               linked from README.md by relative paths
    data/<mixture>/part-*.parquet

so ``datasets.load_dataset(DIR, <mixture>)`` and the Hub viewer read it with no other file.
Parts are hard-linked where the file system allows it (a mixture can be large), else copied.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from curate.card.card import write_card
from curate.card.config import CardConfig
from curate.errors import UserError
from curate.mix.layout import mixture_names
from curate.rundir import RunDir

log = logging.getLogger(__name__)


class NoTokenError(UserError):
    """``--push`` without a Hugging Face token."""

    exit_code = 2


def configs_for(names: list[str], default: str) -> list[dict[str, Any]]:
    """One ``configs`` entry per mixture (``train`` split), ``default`` marked as the default."""
    return [
        {
            "config_name": name,
            "data_files": [{"split": "train", "path": f"data/{name}/*.parquet"}],
            **({"default": True} if name == default else {}),
        }
        for name in names
    ]


def publish(run: RunDir, cfg: CardConfig, dest: Path, pipeline_toml_text: str = "") -> Path:
    """Write the Hub folder of ``run`` at ``dest``; returns the path of its README.md."""
    names = mixture_names(run)
    if not names:
        raise UserError(f"{run.root}: no mixture to publish (write one with curate mix)")
    if cfg.mixture and cfg.mixture not in names:
        raise UserError(f"{run.root}: no mixture {cfg.mixture!r} (mixtures: {', '.join(names)})")
    if dest.exists() and any(dest.iterdir()) and not (dest / "README.md").is_file():
        raise UserError(
            f"{dest}: exists and is not a published folder (no README.md); pick another"
        )
    default = cfg.mixture or ("default" if "default" in names else names[0])
    data = dest / "data"
    for name in names:
        parts = sorted(run.mixture(name).glob("part-*.parquet"))
        if not parts:
            log.warning("mixture %s has no parts: published as an empty config", name)
        target = data / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for part in parts:
            _link_or_copy(part, target / part.name)
    cfg = cfg.model_copy(update={"mixture": default})
    return write_card(
        run, cfg, pipeline_toml_text, out_dir=dest, configs=configs_for(names, default)
    )


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def push(folder: Path, repo_id: str, *, private: bool = False) -> str:
    """Upload ``folder`` as the dataset repository ``repo_id``; returns the commit URL.
    Needs a token (``HF_TOKEN`` or ``hf auth login``): without one, a ``UserError``; what the Hub
    refuses (bad token, no write access, invalid card metadata) is one ``UserError`` line too.
    ``private`` applies when the repository is created; an existing one keeps its visibility."""
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    token = get_token()
    if not token:
        raise NoTokenError(
            "no Hugging Face token: set HF_TOKEN or run `hf auth login`, then publish --push again"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset")
    except HfHubHTTPError as err:
        raise UserError(f"push to {repo_id} ({api.endpoint}) failed: {_first_line(err)}") from None
    except ValueError as err:  # huggingface_hub's README.md metadata validation
        raise UserError(f"push to {repo_id} refused: {' '.join(str(err).split())}") from None
    except Exception as err:
        if type(err).__module__.split(".")[0].startswith("httpx"):  # network: no such host, ...
            raise UserError(f"push to {repo_id}: cannot reach {api.endpoint}: {err}") from None
        raise
    return str(getattr(info, "commit_url", info))


def _first_line(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    server = getattr(getattr(err, "server_message", None), "strip", lambda: "")()
    head = lines[0] if lines else type(err).__name__
    return f"{head} ({server})" if server and server not in head else head
