"""The parity rule beyond its declared example (tests/rules/test_declarations.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import edit, only


def test_reports_each_differing_cell_whether_text_code_or_number(pkg: Path) -> None:
    """Free text and vocabulary keys are compared as categorical codes, ids as strings, numbers as numbers."""

    edit(pkg, "actors", "reuters", notes="a wire service")  # free text
    edit(
        pkg, "statistics", "S001", geography_id="SYR", indicator_id="isis_attacks_annualised", value="154"
    )  # a vocabulary key, an id, a number
    hits = {(f.resource, f.key, f.column): f.values for f in only(pkg, "parity.parquet_matches_csv")}
    assert set(hits) == {
        ("actors", "reuters", "notes"),
        ("statistics", "S001", "geography_id"),
        ("statistics", "S001", "indicator_id"),
        ("statistics", "S001", "value"),
    }
    assert hits[("statistics", "S001", "geography_id")].endswith("!= 'SYR'")


def test_reports_a_corrupt_parquet_page_as_unreadable(pkg: Path) -> None:
    """A page that fails to decompress shows only when its column is read: it is still a failure of its table."""

    path = pkg / "data" / "qualifiers.parquet"
    raw = bytearray(path.read_bytes())
    raw[40:56] = bytes(b ^ 0xFF for b in raw[40:56])  # inside the first column's data page
    path.write_bytes(bytes(raw))
    hits = only(pkg, "parity.parquet_matches_csv")
    assert [(f.resource, f.message.split(" (")[0]) for f in hits] == [
        ("qualifiers", "data/qualifiers.parquet cannot be read")
    ]
