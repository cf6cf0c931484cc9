"""Relation rules beyond their examples (rules/relations.py): nesting through an aggregate, each kind of discrepancy
that is none, shared vocabulary words, attributions in event evidence."""

from __future__ import annotations

from pathlib import Path

from conftest import append, edit, only, read_rows, write_rows


def _where(pkg: Path, rule: str) -> set[tuple[str, str, str]]:
    return {(f.resource, f.key, f.column) for f in only(pkg, rule)}


def test_rejects_a_part_that_is_an_aggregate_holding_another_part(pkg: Path) -> None:
    # a new aggregate of Iraq alone, made a part of Iraq and Syria beside Iraq itself
    rows = read_rows(pkg, "geographies")
    rows.append({**next(r for r in rows if r["geography_id"] == "IRQ_SYR"), "geography_id": "IRQ_ALL", "name": "X"})
    write_rows(pkg, "geographies", sorted(rows, key=lambda r: r["geography_id"]))
    parts = [
        *read_rows(pkg, "geography_parts"),
        {"aggregate_geography_id": "IRQ_ALL", "part_geography_id": "IRQ"},
        {"aggregate_geography_id": "IRQ_SYR", "part_geography_id": "IRQ_ALL"},
    ]
    write_rows(
        pkg, "geography_parts", sorted(parts, key=lambda r: (r["aggregate_geography_id"], r["part_geography_id"]))
    )
    assert _where(pkg, "rel.parts_not_nested") == {("geography_parts", "IRQ_SYR|IRQ", "part_geography_id")}


def test_rejects_a_value_discrepancy_between_figures_of_different_periods(pkg: Path) -> None:
    s001 = next(r for r in read_rows(pkg, "statistics") if r["statistic_id"] == "S001")
    s002 = next(r for r in read_rows(pkg, "statistics") if r["statistic_id"] == "S002")
    assert s001["indicator_id"] == s002["indicator_id"] and s001["period_start"] != s002["period_start"]
    append(pkg, "discrepancies", discrepancy_id="D099", kind="value_differs", statistic_id="S001",
           other_statistic_id="S002", description="x.")  # fmt: skip
    hits = only(pkg, "rel.discrepancy_holds")
    assert [(f.key, f.column) for f in hits] == [("D099", "other_statistic_id")]
    assert "do not measure the same thing" in hits[0].message


def test_rejects_a_qualifier_discrepancy_between_figures_with_one_qualifier(pkg: Path) -> None:
    d001 = next(r for r in read_rows(pkg, "discrepancies") if r["discrepancy_id"] == "D001")
    edit(pkg, "statistics", d001["other_statistic_id"], qualifier_id="exact")
    assert _where(pkg, "rel.discrepancy_holds") == {("discrepancies", "D001", "other_statistic_id")}


def test_a_word_of_two_figure_kinds_is_reported_at_each(pkg: Path) -> None:
    kinds = {r["figure_kind_id"]: r["words"] for r in read_rows(pkg, "figure_kinds")}
    word = kinds["claim"].split("|")[0]
    edit(pkg, "figure_kinds", "estimate", words=f"{kinds['estimate']}|{word}")
    assert _where(pkg, "rel.vocabulary_words_mean") == {
        ("figure_kinds", "claim", "words"),
        ("figure_kinds", "estimate", "words"),
    }


def test_rejects_event_evidence_that_says_who_spoke_without_its_source(pkg: Path) -> None:
    said = [r for r in read_rows(pkg, "event_evidence") if " said " in r["quote"] and r["cited_source_id"]]
    assert said, "the package has an event quote with 'said'"
    rows = read_rows(pkg, "event_evidence")
    for row in rows:
        if row == said[0]:
            row["cited_source_id"] = ""
    write_rows(pkg, "event_evidence", rows)
    hits = only(pkg, "rel.attribution_has_source")
    assert [(f.resource, f.key, f.column) for f in hits] == [
        ("event_evidence", f"{said[0]['event_id']}|{said[0]['source_id']}", "cited_source_id")
    ]


def test_a_stop_word_made_a_word_of_a_status_is_reported_and_a_verb_of_two_vocabularies_is_not(pkg: Path) -> None:
    # 'announced' states that an event occurred and who announced it: one word of two fields is no shared word; 'the'
    # would make every passage state the status
    words = read_rows(pkg, "cell_words")
    assert {r["field"] for r in words if r["word"] == "announced"} == {"events.status", "event_actors.role"}
    append(pkg, "cell_words", field="events.status", value="planned", word="the", description="x.")
    assert _where(pkg, "rel.vocabulary_words_mean") == {("cell_words", "events.status|the", "word")}
