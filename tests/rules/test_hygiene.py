"""Hygiene rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import delete, edit, read_rows, rule_hits, run, write_rows
from rules.conftest import assert_caught

def _swap_first_rows(root: Path) -> None:
    rows = read_rows(root, "actors")
    rows[0], rows[1] = rows[1], rows[0]
    write_rows(root, "actors", rows)


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "hygiene.formula_injection": (lambda r: edit(r, "events", "E001", description="=HYPERLINK(\"x\")"), ("events", "E001", "description")),
    "hygiene.whitespace": (lambda r: edit(r, "actors", "reuters", name="Reuters "), ("actors", "reuters", "name")),
    "hygiene.control_chars": (lambda r: edit(r, "actors", "reuters", notes="wire\tservice"), ("actors", "reuters", "notes")),
    "hygiene.bidi_controls": (lambda r: edit(r, "actors", "reuters", notes="A wire service (\u202eexe.txt)"), ("actors", "reuters", "notes")),
    "hygiene.invisible_chars": (lambda r: edit(r, "actors", "reuters", name="Reu\u200bters"), ("actors", "reuters", "name")),
    "hygiene.ascii_ids": (lambda r: edit(r, "discrepancies", "D001", discrepancy_id="D\u0660\u06601"), ("discrepancies", "D\u0660\u06601", "discrepancy_id")),
    "hygiene.unicode_nfc": (lambda r: edit(r, "geographies", "IQ-SD", notes="Sala\u0301h ad Din"), ("geographies", "IQ-SD", "notes")),
    "hygiene.iso3166": (lambda r: edit(r, "geographies", "IQ-KI", iso3166_2="IQ-KX"), ("geographies", "IQ-KI", "iso3166_2")),
    "hygiene.aggregate_parts": (lambda r: delete(r, "geography_parts", part_geography_id="SYR"), ("geographies", "IRQ_SYR", "geography_id")),
    "hygiene.key_order": (_swap_first_rows, ("actors", "agencies", "actor_id")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)


@pytest.mark.parametrize(("change", "rule_id"), [
    (dict(notes="\u2066isolated\u2069"), "hygiene.bidi_controls"),
    (dict(notes="a\u200fb"), "hygiene.bidi_controls"),
    (dict(notes="soft\u00adhyphen"), "hygiene.invisible_chars"),
    (dict(notes="word\u2060joiner"), "hygiene.invisible_chars"),
    (dict(notes="bom\ufeffinside"), "hygiene.invisible_chars"),
    (dict(notes="tag\U000e0041"), "hygiene.invisible_chars"),
    (dict(notes="\uff1dHYPERLINK(1)"), "hygiene.formula_injection"),  # full-width =
])
def test_each_unicode_class_is_caught_in_free_text(change: dict, rule_id: str, pkg: Path) -> None:
    edit(pkg, "actors", "reuters", **change)
    assert [(f.key, f.column) for f in rule_hits(run(pkg, parity=False), rule_id)] == [("reuters", "notes")]


@pytest.mark.parametrize("new_id", ["D\uff10\uff101", "\u0414001", "D\U0001d7ce01"])  # full-width digits, Cyrillic De, math bold zero
def test_ids_with_look_alike_characters_are_caught(new_id: str, pkg: Path) -> None:
    edit(pkg, "discrepancies", "D001", discrepancy_id=new_id)
    assert [f.key for f in rule_hits(run(pkg, parity=False), "hygiene.ascii_ids")] == [new_id]


def test_non_ascii_free_text_that_is_clean_passes_the_unicode_rules(pkg: Path) -> None:
    edit(pkg, "actors", "reuters", notes="Agence de presse, «Reuters» — Londres (رويترز)")
    report = run(pkg, parity=False)
    assert not [f for f in report.failures if f.rule.startswith("hygiene.")]
