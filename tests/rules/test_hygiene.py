"""Hygiene rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import delete, edit, read_rows, write_rows
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
    "hygiene.unicode_nfc": (lambda r: edit(r, "geographies", "IQ-SD", notes="Sala\u0301h ad Din"), ("geographies", "IQ-SD", "notes")),
    "hygiene.iso3166": (lambda r: edit(r, "geographies", "IQ-KI", iso3166_2="IQ-KX"), ("geographies", "IQ-KI", "iso3166_2")),
    "hygiene.aggregate_parts": (lambda r: delete(r, "geography_parts", part_geography_id="SYR"), ("geographies", "IRQ_SYR", "geography_id")),
    "hygiene.key_order": (_swap_first_rows, ("actors", "agencies", "actor_id")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)
