"""The card's one-measurement tight crop gives the pixels of ``savefig(bbox_inches="tight")``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from curate.card import plots


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"))


def _bars() -> object:
    fig, ax = plots._axes((7, 3))
    # labels far wider than the default left margin: the tight box reaches past the figure
    names = ["skipped: vendored directory (third_party)", "rule: copied_from_copyleft", "kept"]
    ax.barh(names, [120, 4000, 18000], color="#d0704a")
    ax.set_xlabel("files")
    ax.set_title("Filter funnel")
    return fig


def _histogram() -> object:
    fig, ax = plots._axes((6, 3.2))
    values = np.random.default_rng(0).lognormal(3, 1.5, 5000)
    plots._plain_log_axis(ax)
    ax.hist(values, bins=np.logspace(0, 4, 40), histtype="stepfilled")
    ax.axvline(100, color="#333333")
    ax.set_title("line_count")
    return fig


def test_save_matches_savefig_tight(tmp_path: Path) -> None:
    for name, make in (("bars", _bars), ("hist", _histogram)):
        ours, theirs = tmp_path / f"{name}.png", tmp_path / f"{name}-tight.png"
        plots._save(make(), ours)
        make().savefig(theirs, dpi=plots.DPI, bbox_inches="tight")
        a, b = _pixels(ours), _pixels(theirs)
        assert a.shape == b.shape
        assert np.array_equal(a, b)
        assert not list(tmp_path.glob(".*.png"))  # no temporary file left behind
