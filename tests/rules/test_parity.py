"""The parity rule: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit
from rules.conftest import assert_caught


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "parity.parquet_matches_csv": (lambda r: edit(r, "actors", "reuters", notes="a wire service"), ("actors", "reuters", "notes")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)


def test_reports_each_differing_cell_whether_text_code_or_number(pkg: Path) -> None:
    """Free text and vocabulary keys are compared as categorical codes, ids as strings, numbers as numbers."""
    from conftest import rule_hits, run

    edit(pkg, "actors", "reuters", notes="a wire service")  # free text
    edit(pkg, "statistics", "S001", geography_id="SYR", indicator_id="isis_attacks_annualised", value="154")  # a vocabulary key, an id, a number
    hits = {(f.resource, f.key, f.column): f.values for f in rule_hits(run(pkg), "parity.parquet_matches_csv")}
    assert set(hits) == {("actors", "reuters", "notes"), ("statistics", "S001", "geography_id"),
                         ("statistics", "S001", "indicator_id"), ("statistics", "S001", "value")}
    assert hits[("statistics", "S001", "geography_id")].endswith("!= 'SYR'")


def test_reports_a_corrupt_parquet_page_as_unreadable(pkg: Path) -> None:
    """A page that fails to decompress shows only when its column is read: it is still a failure of its table."""
    from conftest import rule_hits, run

    path = pkg / "data" / "qualifiers.parquet"
    raw = bytearray(path.read_bytes())
    raw[40:56] = bytes(b ^ 0xFF for b in raw[40:56])  # inside the first column's data page
    path.write_bytes(bytes(raw))
    hits = rule_hits(run(pkg), "parity.parquet_matches_csv")
    assert [(f.resource, f.message.split(" (")[0]) for f in hits] == [("qualifiers", "data/qualifiers.parquet cannot be read")]
