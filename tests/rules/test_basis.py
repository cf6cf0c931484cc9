"""Basis rules beyond their declared examples (tests/rules/test_declarations.py runs those): the whole validator on
the real package corrupted as a curator might, failing at the cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import append, delete, edit, only, read_rows, run, write_rows
from isis_iraq_syria.rules import basis
from isis_iraq_syria.rules.model import apply_changes


def _basis(root: Path, field: str, **subject: str) -> str:
    """The id of the basis row for a field and subject."""
    rows = [r for r in read_rows(root, "bases") if r["field"] == field and all(r[k] == v for k, v in subject.items())]
    assert len(rows) == 1, (field, subject)
    return rows[0]["basis_id"]


def _hits(pkg: Path, rule: str) -> set[tuple[str, str, str]]:
    return {(f.resource, f.key, f.column) for f in only(pkg, rule)}


def test_rejects_an_official_count_made_a_claim(pkg: Path) -> None:
    # an official count whose kind its quotes state (no inferred basis), and which no quote calls claimed
    inferred = {r["statistic_id"] for r in read_rows(pkg, "bases") if r["field"] == "statistics.figure_kind"}
    counts = [r["statistic_id"] for r in read_rows(pkg, "statistics") if r["figure_kind"] == "official_count"]
    quotes = {r["statistic_id"]: r["quote"] for r in read_rows(pkg, "statistic_evidence")}
    statistic = next(s for s in counts if s not in inferred and "claim" not in quotes.get(s, ""))
    edit(pkg, "statistics", statistic, figure_kind="claim")
    assert ("statistics", statistic, "figure_kind") in _hits(pkg, "basis.figure_kind_stated")


def test_rejects_an_event_placed_where_its_quotes_name_no_place(pkg: Path) -> None:
    rows = [*read_rows(pkg, "event_geographies"), {"event_id": "E013", "geography_id": "IRQ"}]
    write_rows(pkg, "event_geographies", sorted(rows, key=lambda r: (r["event_id"], r["geography_id"])))
    assert ("event_geographies", "E013|IRQ", "geography_id") in _hits(pkg, "basis.geography_stated")


def test_accepts_each_part_of_an_aggregate_as_an_events_place(pkg: Path) -> None:
    # E014 'attacked US bases in Iraq and Syria' is placed in IRQ and in SYR
    assert not {h for h in _hits(pkg, "basis.geography_stated") if h[1].startswith("E014")}


def test_an_inferred_geography_with_its_note_passes(pkg: Path) -> None:
    assert not _hits(pkg, "basis.geography_stated")
    basis_id = _basis(pkg, "statistics.geography_id", statistic_id="S003")
    edit(pkg, "bases", basis_id, basis="stated")  # stated, but no quote names IRQ_SYR
    assert ("bases", basis_id, "quote") in _hits(pkg, "basis.fits_cell")


def test_a_longer_name_hides_the_shorter_one_inside_it(pkg: Path) -> None:
    # 'Iraqi Security Forces' names an actor, not Iraq: E002's quote alone does not place it in Iraq
    delete(pkg, "bases", basis_id=_basis(pkg, "event_geographies.geography_id", event_id="E002", geography_id="IRQ"))
    assert ("event_geographies", "E002|IRQ", "geography_id") in _hits(pkg, "basis.geography_stated")


def test_a_dangling_reference_is_reported_once(pkg: Path) -> None:
    edit(pkg, "statistics", "S004", geography_id="IRQQ")
    report = run(pkg, parity=False)
    assert [(f.rule, f.key) for f in report.failures] == [("ref.foreign_key", "S004")]


def test_a_basis_row_for_an_empty_cell_is_rejected(pkg: Path) -> None:
    append(
        pkg,
        "bases",
        basis_id="B999",
        field="statistics.geography_id",
        statistic_id="S012",
        document_id="doc-shafaq-news",
        basis="inferred",
        note="x",
    )
    assert ("bases", "B999", "field") in _hits(pkg, "basis.fits_cell")


def _without_vocabularies(root: Path) -> None:
    """The Table Schemas without x-vocabulary: the vocabularies' keys are then read as strings, not categoricals."""
    import json

    for path in (root / "schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema.pop("x-vocabulary", None) is not None:
            path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# make test: the first rule; make check: every one
@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(r, id=r.id, marks=() if i == 0 else pytest.mark.slow)
        for i, r in enumerate(r for r in basis.RULES if r.example is not None)
    ],
)
def test_finds_the_same_mistakes_when_vocabulary_keys_are_strings(rule, pkg: Path) -> None:
    """The rules ask for the types they join on: a package without x-vocabulary is judged as the package is."""
    apply_changes(pkg, rule.example.changes)
    with_vocabularies = {(f.resource, f.key, f.column) for f in only(pkg, rule.id)}
    _without_vocabularies(pkg)
    assert {(f.resource, f.key, f.column) for f in only(pkg, rule.id)} == with_vocabularies == set(rule.example.fails)
