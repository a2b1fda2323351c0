"""Check that Spark reads a mixture: ``spark.read.parquet`` over its parts, schema and totals
compared with its ``<name>.manifest.json``.

    PYTHON_WITH_PYSPARK benchmarks/check_spark_readable.py RUN/mixtures/default

Needs only the standard library and pyspark (plus a Java runtime that pyspark supports); it
installs nothing and does not import curate, so it runs from a separate environment that has
pyspark (see docs/mixing.md). Exit status: 0 readable and consistent, 1 a mismatch, 2 not checked
(pyspark not importable or no mixture there).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Arrow type names in the manifest -> the Spark SQL type Spark reads them as
SPARK_TYPES = {
    "string": "StringType()",
    "large_string": "StringType()",
    "int64": "LongType()",
    "int32": "IntegerType()",
    "int16": "ShortType()",
    "int8": "ByteType()",
    "bool": "BooleanType()",
    "double": "DoubleType()",
    "float": "FloatType()",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "mixture",
        type=Path,
        help="a mixture folder (part-*.parquet; <name>.manifest.json beside it)",
    )
    args = ap.parse_args()
    candidates = (
        args.mixture.parent / f"{args.mixture.name}.manifest.json",
        args.mixture / "manifest.json",
    )
    manifest_path = next((p for p in candidates if p.is_file()), candidates[0])
    if not manifest_path.is_file():
        print(f"not checked: {manifest_path} not found", file=sys.stderr)
        return 2
    try:
        import pyspark
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F
    except ImportError as err:
        print(f"not checked: pyspark is not importable ({err})", file=sys.stderr)
        return 2
    manifest = json.loads(manifest_path.read_text())
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("curate-mixture-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    problems = []
    try:
        frame = spark.read.parquet(str(args.mixture / "part-*.parquet"))
        got = [(f.name, repr(f.dataType)) for f in frame.schema.fields]
        want = [(f["name"], SPARK_TYPES.get(f["type"])) for f in manifest["schema"]]
        if [n for n, _ in got] != [n for n, _ in want]:
            problems.append(f"columns {[n for n, _ in got]} != manifest {[n for n, _ in want]}")
        for (name, spark_type), (_, expected) in zip(got, want, strict=False):
            if expected is not None and spark_type != expected:
                problems.append(f"{name}: Spark reads {spark_type}, expected {expected}")
        totals = frame.agg(
            F.count("*").alias("rows"),
            F.sum("tokens").alias("tokens"),
            F.sum(F.length("content")).alias("chars"),
            F.countDistinct("doc_uid", "epoch").alias("ids"),
        ).first()
        if totals["rows"] != manifest["totals"]["rows"]:
            problems.append(f"rows {totals['rows']} != manifest {manifest['totals']['rows']}")
        if (totals["tokens"] or 0) != manifest["totals"]["tokens"]:
            problems.append(f"tokens {totals['tokens']} != manifest {manifest['totals']['tokens']}")
        if totals["ids"] != totals["rows"]:
            problems.append(f"(doc_uid, epoch) not unique: {totals['ids']} of {totals['rows']}")
        print(
            json.dumps(
                {
                    "pyspark": pyspark.__version__,
                    "java": spark.sparkContext._jvm.System.getProperty("java.version"),
                    "parts": len(manifest["files"]),
                    "rows": totals["rows"],
                    "tokens": totals["tokens"],
                    "content_chars": totals["chars"],
                    "schema": [f"{n}: {t}" for n, t in got],
                    "problems": problems,
                }
            )
        )
    finally:
        spark.stop()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
