"""The engine: rule queries run on DuckDB, become located failures, and print in other engines' SQL."""

from __future__ import annotations

import pytest
import sqlglot

from conftest import ROOT
from isis_iraq_syria import engine
from isis_iraq_syria.cli import main
from isis_iraq_syria.rules import RULES
from isis_iraq_syria.rules.model import Rule, append
from isis_iraq_syria.rules.views import VIEWS
from isis_iraq_syria.schema import Package

DECLARED = [r for r in RULES if isinstance(r, Rule)]


# make test: Spark's, the engine a user who outgrows one machine runs them on; make check: every dialect
@pytest.mark.parametrize(
    "dialect", [pytest.param(d, marks=() if d == "spark" else pytest.mark.slow) for d in engine.DIALECTS]
)
def test_every_query_prints_in_each_dialect_and_parses_back(dialect: str, capsys) -> None:
    package = Package.load(ROOT)
    assert main(["rules", "--dialect", dialect, "--root", str(ROOT)]) == 0
    text = capsys.readouterr().out
    for rule in DECLARED:
        assert f"-- {rule.id}: " in text
    statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None and s.find(sqlglot.exp.Select)]
    views = [s for s in statements if isinstance(s, sqlglot.exp.Create)]
    assert sorted(v.this.name for v in views) == sorted(VIEWS)  # the views the queries read come first, each once
    assert statements[: len(VIEWS)] == views
    assert len(statements) == len(VIEWS) + sum(r.query(package) is not None for r in DECLARED)


def test_an_unknown_dialect_is_refused_with_exit_2(capsys) -> None:
    try:
        main(["rules", "--dialect", "oracle-of-delphi"])
    except SystemExit as stop:
        assert stop.code == 2
    else:
        raise AssertionError("an unknown dialect was accepted")


def test_a_failing_row_becomes_a_failure_with_key_line_and_message(tmp_path) -> None:
    from conftest import copy_package
    from isis_iraq_syria.rules.model import apply_changes
    from isis_iraq_syria.tables import read_package

    root = copy_package(tmp_path / "pkg")
    apply_changes(
        root,
        (
            append(
                "events",
                event_id="E999",
                event_type="attack",
                status="occurred",
                date_precision="unknown",
                description="An attack no document reports.",
            ),
        ),
    )
    package = Package.load(root)
    frames, _, _ = read_package(package)
    rule = Rule(
        "test.event_without_evidence",
        "An event has evidence.",
        message="{event_id} has no evidence.",
        values="{event_id}",
        sql="SELECT 'events' AS tbl, row_, 'event_id' AS col, event_id FROM events e "
        "WHERE NOT EXISTS (SELECT 1 FROM event_evidence v WHERE v.event_id = e.event_id)",
    )
    [failure] = engine.Engine(engine.Context(package, frames)).failures(rule)
    assert (failure.resource, failure.key, failure.column, failure.line) == (
        "events",
        "E999",
        "event_id",
        frames["events"].height + 1,
    )
    assert (failure.rule, failure.values, failure.message) == (rule.id, "E999", "E999 has no evidence.")


def test_export_writes_every_table_with_its_row_and_the_derived_tables_once(tmp_path, capsys) -> None:
    import pyarrow.parquet as pq

    from isis_iraq_syria.rules import DERIVED

    out = tmp_path / "tables"
    assert main(["rules", "--export", str(out), "--root", str(ROOT)]) == 0
    names = {p.stem for p in out.glob("*.parquet")}
    assert names == set(Package.load(ROOT).tables) | set(DERIVED)
    statistics = pq.read_table(out / "statistics.parquet")
    assert statistics.column("row_").to_pylist() == list(range(statistics.num_rows))
    assert main(["rules", "--export", str(out), "--root", str(ROOT)]) == 2  # a folder that is not empty is refused
    assert "new or empty folder" in capsys.readouterr().out


def test_a_view_is_created_once_after_the_views_it_reads_and_only_the_costly_join_is_computed() -> None:
    from isis_iraq_syria.rules import DERIVED, RULES_BY_ID
    from isis_iraq_syria.rules.views import views_named
    from isis_iraq_syria.tables import read_package

    assert views_named("SELECT row_ FROM placed_") == ["spans_", "passages_", "placed_"]
    assert views_named("SELECT * FROM spans") == []  # a table of the package is not a view
    package = Package.load(ROOT)
    frames, _, _ = read_package(package)
    runner = engine.Engine(engine.Context(package, frames, None, DERIVED))
    # a second CREATE of a view would raise: the rules after the first read what it created
    for rule in ("span.in_passage", "span.indicator_by_value", "span.in_passage"):
        assert runner.rows(RULES_BY_ID[rule]) == []
    kinds = dict(runner.con.sql("SELECT table_name, table_type FROM information_schema.tables").fetchall())
    assert (kinds["placed_"], kinds["spans_"], kinds["passages_"]) == ("LOCAL TEMPORARY", "VIEW", "VIEW")
