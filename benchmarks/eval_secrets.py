"""Precision/recall of the secrets and PII annotators on real code with planted secrets.

Hosts are real files from this machine: the Python standard library of the running interpreter
and text/config/code files under /usr/share/doc, plus generated config files (.env, YAML, JSON,
INI, properties, shell) and generated lock files. Each host gets fake but well-formed secrets of
every kind, e-mail/IP addresses and decoys of every false-positive class planted at random line
boundaries (``curate.filters.secrets.synth``).

Hosts are split by a hash of their path: ``--split tune`` (3/4) was used while writing the
rules, ``--split heldout`` (1/4) only for the reported numbers. Findings outside the planted
lines belong to the host file itself and are not scored (they are unlabeled); their rate is
reported separately.

    .venv/bin/python benchmarks/eval_secrets.py --split heldout
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import sysconfig
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import _repo  # noqa: F401  (puts the repository root on sys.path: tests.support)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curate.filters.secrets.pii import PiiScanner
from curate.filters.secrets.scanner import SecretScanner
from tests.support import secrets_synth as synth

DOC_SUFFIXES = {
    ".txt",
    ".md",
    ".rst",
    ".conf",
    ".sh",
    ".c",
    ".h",
    ".py",
    ".pl",
    ".yml",
    ".yaml",
    ".json",
    ".ini",
    ".cfg",
    ".example",
    ".xml",
    ".html",
    ".css",
    ".awk",
}


def split_of(path: str) -> str:
    return "heldout" if zlib.crc32(path.encode()) % 4 == 0 else "tune"


def real_hosts(limit_py: int, limit_doc: int, max_bytes: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    py = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)
    docs = sorted(
        p
        for p in Path("/usr/share/doc").rglob("*")
        if p.is_file() and not p.is_symlink() and p.suffix.lower() in DOC_SUFFIXES
    )
    for pool, limit, base in ((py, limit_py, stdlib), (docs, limit_doc, Path("/usr/share/doc"))):
        rng = random.Random(0)
        pool = list(pool)
        rng.shuffle(pool)
        n = 0
        for p in pool:
            if n >= limit:
                break
            try:
                data = p.read_bytes()
            except OSError:
                continue
            if not (200 <= len(data) <= max_bytes) or b"\0" in data:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append((f"{base.name}/{p.relative_to(base)}", text))
            n += 1
    return out


def generated_hosts(n: int, rng: random.Random) -> list[tuple[str, str]]:
    fmts = ("env", "yaml", "json", "ini", "properties", "sh")
    names = {
        "env": ".env",
        "yaml": "config.yaml",
        "json": "settings.json",
        "ini": "app.ini",
        "properties": "application.properties",
        "sh": "deploy.sh",
    }
    return [
        (f"gen{i}/{names[f]}", synth.generated_config(f, rng))
        for i, f in enumerate(rng.choice(fmts) for _ in range(n))
    ]


def overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def evaluate(split: str, seed: int, per_host: int, limit_py: int, limit_doc: int) -> dict:
    rng = random.Random(seed)
    hosts = [h for h in real_hosts(limit_py, limit_doc, 60_000) if split_of(h[0]) == split]
    hosts += [h for h in generated_hosts(120, random.Random(seed + 1)) if split_of(h[0]) == split]
    secrets, pii = SecretScanner(), PiiScanner()
    recall = defaultdict(lambda: [0, 0])  # kind -> [found, planted]
    fp_by_kind: Counter[str] = Counter()
    tp_by_cat: Counter[str] = Counter()
    fp_by_cat: Counter[str] = Counter()
    decoys = defaultdict(lambda: [0, 0])  # class -> [with finding, total]
    fp_examples: list[tuple[str, str, str]] = []
    misses: list[tuple[str, str, str]] = []
    host_findings: Counter[str] = Counter()
    host_bytes = 0
    t0 = time.perf_counter()

    def scan(text: str, path: str):
        found = [("secret", f) for f in secrets.scan(text, path).findings]
        found += [("email" if f.kind == "email" else "ip", f) for f in pii.scan(text, path)]
        return found

    lock_hosts = []
    for i in range(40):
        name, text = synth._lock_file(random.Random(seed * 1000 + i))
        lock_hosts.append((f"lock{i}/{name}", text))
    for path, host in hosts + [h for h in lock_hosts if split_of(h[0]) == split]:
        fmt = synth.host_format(path)
        is_lock = path.startswith("lock")
        snippets: list[synth.Snippet] = []
        if is_lock:
            snippets = [synth.Snippet(host, [synth.Label(0, len(host), "decoy", "lock_file")])]
            text, labels = host, snippets[0].labels
        else:
            for _ in range(per_host):
                r = rng.random()
                if r < 0.45:
                    snippets.append(synth.secret_snippet(rng.choice(synth.SECRET_KINDS), fmt, rng))
                elif r < 0.65:
                    snippets.append(synth.pii_snippet(rng.choice(synth.PII_KINDS), fmt, rng))
                else:
                    classes = [c for c in synth.DECOY_CLASSES if c != "lock_file"]
                    if fmt != "md":
                        classes.remove("doc_example")
                    snippets.append(synth.decoy_snippet(rng.choice(classes), fmt, rng))
            wrapped = []
            for s in snippets:  # remember each inserted region as a label of its own
                wrapped.append(
                    synth.Snippet(s.text, [*s.labels, synth.Label(0, len(s.text), "region", "")])
                )
            text, labels = synth.plant(host, wrapped, rng)
            host_bytes += len(host.encode())
            host_findings.update(k for k, _ in scan(host, path))
        regions = [lab for lab in labels if lab.category == "region"] or (
            [synth.Label(0, len(text), "region", "")] if is_lock else []
        )
        planted = [lab for lab in labels if lab.category in ("secret", "email", "ip")]
        found = scan(text, path)
        for lab in planted:
            hit = any(
                cat == lab.category and overlaps(f.start, f.end, lab.start, lab.end)
                for cat, f in found
            )
            recall[lab.kind][0] += hit
            recall[lab.kind][1] += 1
            if not hit:
                line_start = text.rfind("\n", 0, lab.start) + 1
                misses.append((path, lab.kind, text[line_start : text.find("\n", lab.end)][:160]))
        for lab in labels:
            if lab.category == "decoy":
                hit = any(overlaps(f.start, f.end, lab.start, lab.end) for _, f in found)
                decoys[lab.kind][0] += hit
                decoys[lab.kind][1] += 1
        for cat, f in found:
            if not any(overlaps(f.start, f.end, r.start, r.end) for r in regions):
                continue  # the host's own content: unlabeled
            if any(
                lab.category == cat and overlaps(f.start, f.end, lab.start, lab.end)
                for lab in planted
            ):
                tp_by_cat[cat] += 1
            else:
                fp_by_cat[cat] += 1
                fp_by_kind[f.kind] += 1
                line_start = text.rfind("\n", 0, f.start) + 1
                fp_examples.append((path, f.kind, text[line_start : text.find("\n", f.end)][:160]))
    elapsed = time.perf_counter() - t0
    return {
        "split": split,
        "hosts": len(hosts),
        "seconds": round(elapsed, 1),
        "recall": {k: v for k, v in sorted(recall.items())},
        "precision": {
            c: [tp_by_cat[c], tp_by_cat[c] + fp_by_cat[c]] for c in ("secret", "email", "ip")
        },
        "fp_by_kind": dict(fp_by_kind),
        "decoys": {k: v for k, v in sorted(decoys.items())},
        "host_findings_per_mb": {
            k: round(v / (host_bytes / 1e6), 2) for k, v in sorted(host_findings.items())
        },
        "host_mb": round(host_bytes / 1e6, 2),
        "fp_examples": fp_examples[:40],
        "misses": misses[:40],
    }


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}% ({a}/{b})" if b else "n/a"


def report(res: dict) -> str:
    out = [
        f"split `{res['split']}`: {res['hosts']} host files ({res['host_mb']} MB of real host text), "
        f"{res['seconds']} s",
        "",
        "| kind | recall |",
        "|---|---|",
    ]
    sec = [0, 0]
    for kind, (a, b) in res["recall"].items():
        out.append(f"| {kind} | {pct(a, b)} |")
        if kind not in ("email", "ipv4", "ipv6"):
            sec[0] += a
            sec[1] += b
    out += ["", "| category | recall | precision |", "|---|---|---|"]
    out.append(f"| secrets (all kinds) | {pct(*sec)} | {pct(*res['precision']['secret'])} |")
    em = res["recall"].get("email", [0, 0])
    ip = [
        res["recall"].get("ipv4", [0, 0])[i] + res["recall"].get("ipv6", [0, 0])[i] for i in (0, 1)
    ]
    out.append(f"| email | {pct(*em)} | {pct(*res['precision']['email'])} |")
    out.append(f"| ip | {pct(*ip)} | {pct(*res['precision']['ip'])} |")
    out += ["", "| decoy class | false-positive rate |", "|---|---|"]
    out += [f"| {k} | {pct(a, b)} |" for k, (a, b) in res["decoys"].items()]
    out += [
        "",
        f"False positives inside planted lines by kind: {res['fp_by_kind'] or 'none'}",
        f"Unlabeled findings in the unmodified host files, per MB: {res['host_findings_per_mb'] or 'none'}",
    ]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--split", choices=("tune", "heldout"), default="heldout")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--per-host", type=int, default=6)
    ap.add_argument("--py", type=int, default=400, help="stdlib files to draw (before the split)")
    ap.add_argument("--doc", type=int, default=240, help="/usr/share/doc files to draw")
    ap.add_argument("--json", type=Path, help="also write the raw result here")
    ap.add_argument(
        "--show-fp", action="store_true", help="print false-positive lines (tune only!)"
    )
    args = ap.parse_args()
    res = evaluate(args.split, args.seed, args.per_host, args.py, args.doc)
    print(report(res))
    if args.show_fp:
        for row in res["fp_examples"]:
            print("FP", *row, sep="\t")
        for row in res["misses"]:
            print("MISS", *row, sep="\t")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
