"""Basis rules: the real package passes each, and a copy corrupted as a curator might fails it, at the cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import append, delete, edit, read_rows, rule_hits, run, write_rows
from rules.conftest import Mutation, assert_caught, assert_caught_with_archive


def _basis(root: Path, field: str, **subject: str) -> str:
    """The id of the basis row for a field and subject."""
    rows = [r for r in read_rows(root, "bases") if r["field"] == field and all(r[k] == v for k, v in subject.items())]
    assert len(rows) == 1, (field, subject)
    return rows[0]["basis_id"]


def _edit_basis(field: str, subject: dict[str, str], **changes: str) -> Mutation:
    return lambda r: edit(r, "bases", _basis(r, field, **subject), **changes)


CASES = {
    # a statistic moved to another country than its quote names
    "basis.geography_stated": (lambda r: edit(r, "statistics", "S004", geography_id="SYR"), ("statistics", "S004", "geography_id")),
    # the asserting actor swapped for one the quote does not name
    "basis.actor_stated": (lambda r: edit(r, "statistics", "S015", asserted_by_actor_id="reuters"), ("statistics", "S015", "asserted_by_actor_id")),
    # a claimed figure made an official count
    "basis.figure_kind_stated": (lambda r: edit(r, "statistics", "S001", figure_kind="official_count"), ("statistics", "S001", "figure_kind")),
    # a sentence in the document's own voice attributed to the footer's agencies
    "basis.cited_source_stated": (lambda r: edit(r, "statistic_evidence", "S016", cited_source_id="agencies-inputs"), ("statistic_evidence", "S016|doc-devdiscourse", "cited_source_id")),
    # a period moved
    "basis.dates_stated": (lambda r: edit(r, "statistics", "S001", period_start="2024-07-01", period_end="2024-12-31"), ("statistics", "S001", "period_start")),
    "basis.inferred_has_note": (_edit_basis("statistics.geography_id", {"statistic_id": "S002"}, note=""), None),
    "basis.fits_cell": (_edit_basis("statistics.geography_id", {"statistic_id": "S002"}, event_id="E001"), None),
}
ARCHIVE_CASES = {
    # one document's evidence dropped for a figure both report: its 153 is then accounted for nowhere
    "basis.document_coverage": (lambda r: delete(r, "statistic_evidence", statistic_id="S001", source_id="doc-devdiscourse"), ("sources", "doc-devdiscourse", "text_sha256")),
}


def _where(rule_id: str, root: Path) -> tuple[str, str, str]:
    where = CASES[rule_id][1]
    if where is None:  # located on the basis row the mutation touched
        column = "note" if rule_id == "basis.inferred_has_note" else "field"
        return ("bases", _basis(root, "statistics.geography_id", statistic_id="S002"), column)
    return where


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, CASES[rule_id][0], _where(rule_id, pkg), pkg, pristine)


@pytest.mark.parametrize("rule_id", sorted(ARCHIVE_CASES))
def test_archive_rule_reports_a_figure_left_unaccounted(rule_id: str, pkg: Path) -> None:
    assert_caught_with_archive(rule_id, *ARCHIVE_CASES[rule_id], pkg)


def _hits(pkg: Path, rule: str) -> set[tuple[str, str, str]]:
    return {(f.resource, f.key, f.column) for f in rule_hits(run(pkg, parity=False), rule)}


def test_rejects_an_official_count_made_a_claim(pkg: Path) -> None:
    edit(pkg, "statistics", "S002", figure_kind="claim")
    assert ("statistics", "S002", "figure_kind") in _hits(pkg, "basis.figure_kind_stated")


def test_rejects_an_event_placed_where_its_quotes_name_no_place(pkg: Path) -> None:
    rows = read_rows(pkg, "event_geographies") + [{"event_id": "E013", "geography_id": "IRQ"}]
    write_rows(pkg, "event_geographies", sorted(rows, key=lambda r: (r["event_id"], r["geography_id"])))
    assert ("event_geographies", "E013|IRQ", "geography_id") in _hits(pkg, "basis.geography_stated")


def test_accepts_each_part_of_an_aggregate_as_an_events_place(pkg: Path) -> None:
    # E014 'attacked US bases in Iraq and Syria' is placed in IRQ and in SYR
    assert not {h for h in _hits(pkg, "basis.geography_stated") if h[1].startswith("E014")}


def test_rejects_a_relative_date_moved_by_a_day(pkg: Path) -> None:
    edit(pkg, "events", "E013", date_start="2024-07-16", date_end="2024-07-16")
    assert ("events", "E013", "date_start") in _hits(pkg, "basis.dates_stated")


def test_rejects_a_changed_publication_date_of_a_source(pkg: Path) -> None:
    edit(pkg, "sources", "doc-devdiscourse", published_start="2024-07-18", published_end="2024-07-18")
    assert ("sources", "doc-devdiscourse", "published_start") in _hits(pkg, "basis.dates_stated")


def test_rejects_a_stated_relative_date_resolved_against_another_source(pkg: Path) -> None:
    edit(pkg, "events", "E013", date_anchor_id="centcom-statement")  # same date, but not the stating document's
    assert ("events", "E013", "date_anchor_id") in _hits(pkg, "basis.dates_stated")


def test_rejects_by_a_year_coded_as_the_whole_year(pkg: Path) -> None:
    edit(pkg, "events", "E004", date_start="2019-01-01", date_expression="2019")
    assert ("events", "E004", "date_expression") in _hits(pkg, "basis.dates_stated")


def test_rejects_dates_without_the_words_that_state_them(pkg: Path) -> None:
    edit(pkg, "statistics", "S022", period_expression="")
    assert ("statistics", "S022", "period_expression") in _hits(pkg, "basis.dates_stated")


def test_rejects_an_expression_no_quote_holds(pkg: Path) -> None:
    edit(pkg, "statistics", "S022", period_expression="in 2015", period_start="2015-01-01", period_end="2015-12-31")
    assert ("statistics", "S022", "period_expression") in _hits(pkg, "basis.dates_stated")


def test_an_inferred_geography_with_its_note_passes(pkg: Path) -> None:
    assert not _hits(pkg, "basis.geography_stated")
    edit(pkg, "bases", _basis(pkg, "statistics.geography_id", statistic_id="S003"), basis="stated")  # stated, but no quote names IRQ_SYR
    assert ("bases", _basis(pkg, "statistics.geography_id", statistic_id="S003"), "quote") in _hits(pkg, "basis.fits_cell")


def test_a_longer_name_hides_the_shorter_one_inside_it(pkg: Path) -> None:
    # 'Iraqi Security Forces' names an actor, not Iraq: E002's quote alone does not place it in Iraq
    delete(pkg, "bases", basis_id=_basis(pkg, "event_geographies.geography_id", event_id="E002", geography_id="IRQ"))
    assert ("event_geographies", "E002|IRQ", "geography_id") in _hits(pkg, "basis.geography_stated")


def test_a_dangling_reference_is_reported_once(pkg: Path) -> None:
    edit(pkg, "statistics", "S004", geography_id="IRQQ")
    report = run(pkg, parity=False)
    assert [(f.rule, f.key) for f in report.failures] == [("ref.foreign_key", "S004")]


def test_a_basis_row_for_an_empty_cell_is_rejected(pkg: Path) -> None:
    append(pkg, "bases", basis_id="B999", field="statistics.geography_id", statistic_id="S012", document_id="doc-shafaq-news", basis="inferred", note="x")
    assert ("bases", "B999", "field") in _hits(pkg, "basis.fits_cell")


def _without_vocabularies(root: Path) -> None:
    """The Table Schemas without x-vocabulary: the vocabularies' keys are then read as strings, not categoricals."""
    import json

    for path in (root / "schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema.pop("x-vocabulary", None) is not None:
            path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_finds_the_same_mistakes_when_vocabulary_keys_are_strings(rule_id: str, pkg: Path) -> None:
    """The rules ask for the types they join on: a package without x-vocabulary is judged as the package is."""
    mutate = CASES[rule_id][0]
    where = _where(rule_id, pkg)
    mutate(pkg)
    with_vocabularies = {(f.rule, f.resource, f.key, f.column) for f in run(pkg, parity=False).failures}
    _without_vocabularies(pkg)
    without = {(f.rule, f.resource, f.key, f.column) for f in run(pkg, parity=False).failures}
    assert (rule_id, *where) in without and without == with_vocabularies
