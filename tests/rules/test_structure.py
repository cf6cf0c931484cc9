"""File and schema rules beyond their declared examples (tests/rules/test_declarations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit, only, read_rows, rule_hits, run, write_rows


def test_a_vocabulary_key_held_as_a_categorical_is_matched_against_its_pattern(pkg: Path) -> None:
    rows = read_rows(pkg, "actors")
    write_rows(pkg, "actors", [*rows, {**rows[-1], "actor_id": "zz Bad_Id", "name": "A new actor"}])
    hits = only(pkg, "schema.pattern")
    assert [(f.resource, f.key, f.column, f.values) for f in hits] == [("actors", "zz Bad_Id", "actor_id", "zz Bad_Id")]


@pytest.mark.slow
def test_finds_duplicate_primary_key_in_a_table_out_of_key_order(pkg: Path) -> None:
    rows = read_rows(pkg, "events")
    write_rows(pkg, "events", rows[1:] + rows[:2])  # E002 ... E025, E001, E002: the two E002 rows are far apart
    report = run(pkg, parity=False)
    assert {(f.key, f.line) for f in rule_hits(report, "schema.unique")} == {("E002", 2), ("E002", len(rows) + 2)}
    assert rule_hits(report, "hygiene.key_order")


@pytest.mark.slow
def test_a_stray_space_in_an_enum_or_foreign_key_is_reported_once(pkg: Path) -> None:
    edit(pkg, "events", "E001", status="occurred ")
    edit(pkg, "statistics", "S001", asserted_by_actor_id="centcom ")
    report = run(pkg, parity=False)
    assert [(f.rule, f.resource, f.key, f.column) for f in report.failures] == [
        ("schema.enum", "events", "E001", "status"),
        ("ref.foreign_key", "statistics", "S001", "asserted_by_actor_id"),
    ]


@pytest.mark.slow
def test_every_failure_is_reported_not_only_the_first(pkg: Path) -> None:
    edit(pkg, "events", "E001", status="occured")
    edit(pkg, "events", "E002", status="happened")
    edit(pkg, "statistics", "S001", indicator_id="isis_attack")
    report = run(pkg, parity=False)
    assert {(f.rule, f.key) for f in report.failures} >= {
        ("schema.enum", "E001"),
        ("schema.enum", "E002"),
        ("ref.foreign_key", "S001"),
    }
