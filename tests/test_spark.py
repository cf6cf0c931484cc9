"""Every rule with a query runs on Apache Spark (local mode) and finds exactly what DuckDB finds: on the real
package and on a synthetic package with a violation of every rule planted."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, copy_package
from isis_iraq_syria import engine
from isis_iraq_syria.rules import DERIVED, RULES
from isis_iraq_syria.rules.model import Rule
from isis_iraq_syria.rules.views import VIEWS
from isis_iraq_syria.schema import Package
from isis_iraq_syria.synth import write as synth
from isis_iraq_syria.tables import read_package

pytestmark = pytest.mark.slow
SPARK_PYTHON = ROOT / ".venv-spark" / "bin" / "python"


def _seen(rule: Rule, rows: list[dict]) -> set[tuple]:
    """The failures as a user sees them: where, and the rendered values and message."""

    def plain(row: dict) -> dict:
        return {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in row.items()}

    return {(row["tbl"], row.get("row_"), row["col"], *rule.describe(plain(row))) for row in rows}


def _compare(root: Path, folder: Path) -> int:
    package = Package.load(root)
    frames, _, _ = read_package(package)
    assert len(frames) == len(package.tables)  # a planted cell that does not parse is read as empty
    runner = engine.Engine(engine.Context(package, frames, None, DERIVED))
    folder.mkdir()
    runner.export(folder)
    declared = [r for r in RULES if isinstance(r, Rule) and r.query(package) is not None]
    queries = {r.id: engine.transpile(r.query(package), "spark") for r in declared}
    (folder / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    views = [[name, engine.transpile(body, "spark")] for name, body in VIEWS.items()]
    (folder / "views.json").write_text(json.dumps(views), encoding="utf-8")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}  # Spark listens on the loopback address only
    subprocess.run(
        [str(SPARK_PYTHON), str(ROOT / "tests" / "spark_rules.py"), str(folder)], check=True, timeout=900, env=env
    )
    spark = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    errors = {rule: result["error"] for rule, result in spark.items() if isinstance(result, dict)}
    assert not errors, f"Spark could not run these rules' queries: {errors}"
    found = 0
    for rule in declared:
        duck = runner.rows(rule)
        assert _seen(rule, spark[rule.id]) == _seen(rule, duck), rule.id
        found += len(duck)
    return found


@pytest.fixture(scope="module")
def spark_python() -> Path:
    if not SPARK_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(".venv-spark is missing: make check creates it")
        pytest.skip(".venv-spark is missing: run make check, which creates it")
    return SPARK_PYTHON


def test_spark_finds_what_duckdb_finds_on_the_real_and_a_planted_package(spark_python: Path, tmp_path: Path) -> None:
    assert _compare(copy_package(tmp_path / "real"), tmp_path / "real-tables") == 0
    synth(tmp_path / "planted", 1000, plant=True)  # enough replicas for every example
    assert _compare(tmp_path / "planted", tmp_path / "planted-tables") > 0
