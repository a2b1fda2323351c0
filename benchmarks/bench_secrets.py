"""Throughput of the secret scan per worker (one process, one core) and the "same findings"
check against a full detect-secrets scan.

Corpus: real Python files from the interpreter's standard library plus generated config files,
with fake secrets and decoys planted (``curate.filters.secrets.synth``), about 1 secret-bearing
snippet per file. Measured, each over the whole corpus in this process:

- ``detect-secrets scan`` (file API): ``SecretsCollection.scan_file`` on the files written to a
  temp dir, default plugins and filters (what the CLI does, minus verification);
- ``full line scan``: detect-secrets' own line loop, default plugins, every line (the baseline
  our pre-filtered path must match exactly);
- ``pre-filter + gated detect-secrets``: our path for the same plugins;
- ``SecretScanner``: the whole annotator work (pre-filter, our rules, gated detect-secrets,
  false-positive controls);
- ``PiiScanner``: e-mail + IP.

    .venv/bin/python benchmarks/bench_secrets.py [--mb 1.0]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import _repo  # noqa: F401  (puts the repository root on sys.path: tests.support)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curate.filters.secrets import dsengine
from curate.filters.secrets.pii import PiiScanner
from curate.filters.secrets.scanner import SecretScanner
from tests.support import secrets_synth as synth


def corpus(target_mb: float, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)
    rng.shuffle(files)
    docs: list[tuple[str, str]] = []
    total = 0
    for p in files:
        if total >= target_mb * 1e6:
            break
        try:
            text = p.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not 500 <= len(text) <= 80_000:
            continue
        kinds = [rng.choice(synth.SECRET_KINDS) for _ in range(rng.choice([0, 1, 1, 2]))]
        snippets = [synth.secret_snippet(k, "py", rng) for k in kinds]
        snippets += [synth.decoy_snippet(rng.choice(synth.DECOY_CLASSES[:-1]), "py", rng)]
        text, _ = synth.plant(text, snippets, rng)
        docs.append((str(p.relative_to(stdlib)), text))
        total += len(text.encode())
        if len(docs) % 10 == 0:
            fmt = rng.choice(["env", "yaml", "ini", "properties", "sh"])
            cfg = synth.generated_config(fmt, rng)
            cfg, _ = synth.plant(
                cfg, [synth.secret_snippet(rng.choice(synth.SECRET_KINDS), fmt, rng)], rng
            )
            docs.append((f"conf/{len(docs)}.{fmt}", cfg))
            total += len(cfg.encode())
    return docs


def timed(fn, docs):
    t0 = time.perf_counter()
    out = [fn(text, path) for path, text in docs]
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    docs = corpus(args.mb, args.seed)
    mb = sum(len(t.encode()) for _, t in docs) / 1e6
    scanner, pii = SecretScanner(), PiiScanner()
    print(
        f"corpus: {len(docs)} files, {mb:.2f} MB; {platform.machine()} Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )

    from detect_secrets.core.secrets_collection import SecretsCollection

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (path, text) in enumerate(docs):
            target = Path(tmp) / f"{i:05d}_{Path(path).name}"
            target.write_text(text)
            paths.append(str(target))
        dsengine.configure()
        t0 = time.perf_counter()
        coll = SecretsCollection()
        for p in paths:
            coll.scan_file(p)
        t_cli = time.perf_counter() - t0

    t_full, full = timed(dsengine.full_scan, docs)

    def gated(text: str, path: str):
        return dsengine.gated_scan(text.split("\n"), scanner.prefilter.candidates(text), path)

    t_gated, fast = timed(gated, docs)
    t_scan, results = timed(lambda t, p: scanner.scan(t, p), docs)
    t_pii, _ = timed(lambda t, p: pii.scan(t, p), docs)
    same = sum(a == b for a, b in zip(full, fast, strict=True))
    hits = sum(len(a) for a in full)
    rows = [
        ("detect-secrets scan_file (default plugins+filters)", t_cli),
        ("detect-secrets full line scan (baseline)", t_full),
        ("pre-filter + gated detect-secrets", t_gated),
        ("SecretScanner (secrets@1 work)", t_scan),
        ("PiiScanner (pii@1 work)", t_pii),
    ]
    print("\n| scan | MB/s per worker | speed-up vs baseline |\n|---|---|---|")
    for name, t in rows:
        print(f"| {name} | {mb / t:.2f} | {t_full / t:.1f}x |")
    print(
        f"\nsame findings: {same}/{len(docs)} files identical between the full line scan and "
        f"the gated scan ({hits} detect-secrets findings in total)"
    )
    print(
        f"SecretScanner findings after false-positive controls: "
        f"{sum(len(r.findings) for r in results)}"
    )


if __name__ == "__main__":
    main()
