"""Run the rules' Spark SQL on Apache Spark in local mode: `python spark_rules.py FOLDER`.

FOLDER holds every table and derived table as Parquet (engine.Engine.export), views.json ([view, Spark SQL], in the
order to create them) and queries.json ({rule id: Spark SQL}); the failing rows of each query are written to
results.json. Run by tests/test_spark.py with the Python of
.venv-spark, where pyspark is installed apart from the package's own libraries.
"""

from __future__ import annotations

import datetime
import json
import sys
import unicodedata
from pathlib import Path


def main(folder: Path) -> None:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("isis-iraq-syria-rules")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # DuckDB's nfc_normalize, which Spark lacks: a warehouse registers it the same way
    spark.udf.register("nfc_normalize", lambda s: None if s is None else unicodedata.normalize("NFC", s))
    for path in sorted(folder.glob("*.parquet")):
        spark.read.parquet(str(path)).createOrReplaceTempView(path.stem)
    for name, sql in json.loads((folder / "views.json").read_text(encoding="utf-8")):  # the views the rules read
        spark.sql(sql).createOrReplaceTempView(name)
    queries = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    results: dict[str, object] = {}
    for rule, sql in queries.items():
        try:
            results[rule] = [row.asDict() for row in spark.sql(sql).collect()]
        except Exception as err:  # a query Spark cannot run is that rule's failure, named in the test
            results[rule] = {"error": str(err).splitlines()[0][:500]}
    spark.stop()

    def plain(value: object) -> object:
        if isinstance(value, datetime.date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    (folder / "results.json").write_text(json.dumps(results, default=plain), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
