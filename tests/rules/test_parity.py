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


def _hand_edit(pkg: Path) -> list:
    """A cell of a derived table changed by hand, as a user might "fix" it there rather than in statistics."""
    path = pkg / "data" / "figures_wide.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "S007,isis_operatives_killed,ISIS operatives killed,people,30,30,",
            "S007,isis_operatives_killed,ISIS operatives killed,people,31,31,",
            1,
        ),
        encoding="utf-8",
    )
    return only(pkg, "parity.derived_matches_build")


# the rules tested here by a corruption of their own rather than a declared example (which edits curated tables)
CASES = {"parity.derived_matches_build": _hand_edit}


def test_a_hand_edit_of_a_derived_table_fails_by_name_where_it_is(pkg: Path) -> None:
    hits = _hand_edit(pkg)
    assert [(f.resource, f.key, f.column, f.line, f.values) for f in hits] == [
        ("figures_wide", "S007", "value", 8, "31 != 30")
    ]
    assert hits[0].message.endswith("run make.")


def test_a_curated_edit_without_a_build_leaves_the_derived_table_stale(pkg: Path) -> None:
    edit(pkg, "sources", "doc-shafaq-news", short_name="Shafaq")
    hits = only(pkg, "parity.derived_matches_build")
    keys = {(f.resource, f.key, f.column) for f in hits}
    # every figure and event Shafaq News reports names it, first among its documents
    assert ("figures_wide", "S003", "document_names") in keys and ("events_wide", "E002", "document_names") in keys
    assert {f.resource for f in hits} == {"figures_wide", "events_wide"}


def test_a_derived_file_missing_reordered_or_not_its_twin_fails(pkg: Path) -> None:
    lines = (pkg / "data" / "events_wide.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (pkg / "data" / "events_wide.csv").write_text("".join([lines[0], lines[2], lines[1], *lines[3:]]), "utf-8")
    (pkg / "data" / "figures_wide.parquet").write_bytes((pkg / "data" / "events_wide.parquet").read_bytes())
    messages = sorted((f.resource, f.message) for f in only(pkg, "parity.derived_matches_build"))
    assert messages == [
        ("events_wide", "data/events_wide.csv is not written as the build writes it: run make."),
        ("figures_wide", "data/figures_wide.parquet differs from what the build derives: run make."),
    ]
    (pkg / "data" / "figures_wide.csv").unlink()
    assert any(
        f.resource == "figures_wide" and "not found" in f.message for f in only(pkg, "parity.derived_matches_build")
    )
