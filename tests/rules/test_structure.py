"""File and schema rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from typing import Callable
from pathlib import Path

import pytest

from conftest import edit, read_rows, rule_hits, run, write_rows
from rules.conftest import Mutation, assert_caught

def _raw(table: str, transform: Callable[[bytes], bytes]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / "data" / f"{table}.csv"
        path.write_bytes(transform(path.read_bytes()))
    return mutate


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "file.empty": (_raw("claims", lambda b: b""), ("claims", "", "")),
    "file.encoding": (_raw("statistics", lambda b: b"\xef\xbb\xbf" + b), ("statistics", "", "")),
    "file.line_endings": (_raw("events", lambda b: b.replace(b"\n", b"\r\n")), ("events", "", "")),
    "file.header": (_raw("actors", lambda b: b.replace(b"actor_kind", b"kind", 1)), ("actors", "", "")),
    "file.ragged_row": (_raw("geographies", lambda b: b.replace(b"\nIRQ,Iraq,country,IRQ,,,", b"\nIRQ,Iraq,country,IRQ,,,,", 1)), ("geographies", "", "")),
    "schema.type": (lambda r: edit(r, "statistics", "S003", value="19b6"), ("statistics", "S003", "value")),
    "schema.required": (lambda r: edit(r, "events", "E001", description=""), ("events", "E001", "description")),
    "schema.enum": (lambda r: edit(r, "events", "E001", status="occured"), ("events", "E001", "status")),
    "schema.pattern": (lambda r: edit(r, "geographies", "IRQ", iso3166_1_alpha3="Iraq"), ("geographies", "IRQ", "iso3166_1_alpha3")),
    "schema.length": (lambda r: edit(r, "claims", "C001", quote="x" * 301), ("claims", "C001", "quote")),
    "schema.range": (lambda r: edit(r, "qualifiers", "around", band="1.5"), ("qualifiers", "around", "band")),
    "schema.unique": (lambda r: write_rows(r, "event_geographies", read_rows(r, "event_geographies") + read_rows(r, "event_geographies")[-1:]), ("event_geographies", "E022|SYR", "event_id,geography_id")),
    "ref.foreign_key": (lambda r: edit(r, "statistics", "S001", indicator_id="isis_attack"), ("statistics", "S001", "indicator_id")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)


def test_a_vocabulary_key_held_as_a_categorical_is_matched_against_its_pattern(pkg: Path) -> None:
    rows = read_rows(pkg, "actors")
    write_rows(pkg, "actors", rows + [{**rows[-1], "actor_id": "zz Bad_Id", "name": "A new actor"}])
    hits = rule_hits(run(pkg, parity=False), "schema.pattern")
    assert [(f.resource, f.key, f.column, f.values) for f in hits] == [("actors", "zz Bad_Id", "actor_id", "zz Bad_Id")]


def test_finds_duplicate_primary_key_in_a_table_out_of_key_order(pkg: Path) -> None:
    rows = read_rows(pkg, "events")
    write_rows(pkg, "events", rows[1:] + rows[:2])  # E002 ... E025, E001, E002: the two E002 rows are far apart
    report = run(pkg, parity=False)
    assert {(f.key, f.line) for f in rule_hits(report, "schema.unique")} == {("E002", 2), ("E002", len(rows) + 2)}
    assert rule_hits(report, "hygiene.key_order")


def test_a_stray_space_in_an_enum_or_foreign_key_is_reported_once(pkg: Path) -> None:
    edit(pkg, "events", "E001", status="occurred ")
    edit(pkg, "statistics", "S001", asserted_by_actor_id="centcom ")
    report = run(pkg, parity=False)
    assert [(f.rule, f.resource, f.key, f.column) for f in report.failures] == [
        ("schema.enum", "events", "E001", "status"), ("ref.foreign_key", "statistics", "S001", "asserted_by_actor_id")]


def test_every_failure_is_reported_not_only_the_first(pkg: Path) -> None:
    edit(pkg, "events", "E001", status="occured")
    edit(pkg, "events", "E002", status="happened")
    edit(pkg, "statistics", "S001", indicator_id="isis_attack")
    report = run(pkg, parity=False)
    assert {(f.rule, f.key) for f in report.failures} >= {("schema.enum", "E001"), ("schema.enum", "E002"), ("ref.foreign_key", "S001")}
