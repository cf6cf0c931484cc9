"""Reading CSVs: malformed files get a named failure or exit 2, never a traceback; types come from the schema."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, edit, read_rows, run
from isis_iraq_syria.scan import FileScan
from isis_iraq_syria.schema import CannotRun, Package
from isis_iraq_syria.tables import read_csv, to_arrow

MALFORMED = {
    "ragged row, too many cells": (lambda b: b.replace(b"\nE001,", b"\nE001,extra,", 1), "file.ragged_row"),
    "ragged row, too few cells": (lambda b: b + b"E999,announcement\n", "file.ragged_row"),
    "blank line": (lambda b: b + b"\n", "file.ragged_row"),
    "latin-1 encoding": (lambda b: b.replace(b"Kurdish-led", "Kurdish-l\xe9d".encode("latin-1")), "file.encoding"),
    "byte-order mark": (lambda b: b"\xef\xbb\xbf" + b, "file.encoding"),
    "CRLF line endings": (lambda b: b.replace(b"\n", b"\r\n"), "file.line_endings"),
    "unknown column": (lambda b: b.replace(b"notes\n", b"notes,extra\n", 1), "file.header"),
    "missing column": (lambda b: b.replace(b",notes\n", b"\n", 1), "file.header"),
    "columns out of order": (lambda b: b.replace(b"event_id,event_type", b"event_type,event_id", 1), "file.header"),
    "empty file": (lambda b: b"", "file.empty"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_csv_gets_a_named_failure(case: str, pkg: Path) -> None:
    transform, rule = MALFORMED[case]
    path = pkg / "data" / "events.csv"
    path.write_bytes(transform(path.read_bytes()))
    report = run(pkg)
    assert report.exit_code == 1
    hits = [f for f in report.failures if f.rule == rule]
    assert hits and all(f.resource == "events" and f.message for f in hits)


def test_missing_csv_cannot_run(pkg: Path) -> None:
    (pkg / "data" / "claims.csv").unlink()
    with pytest.raises(CannotRun, match=r"claims\.csv"):
        run(pkg)


def test_bad_json_schema_cannot_run(pkg: Path) -> None:
    (pkg / "schemas" / "claims.schema.json").write_text("{not json")
    with pytest.raises(CannotRun, match="not valid JSON"):
        Package.load(pkg)


def test_na_is_text_not_missing(pkg: Path) -> None:
    actor = read_rows(pkg, "actors")[0]["actor_id"]
    edit(pkg, "actors", actor, role_as_stated="NA")
    frame, failures = read_csv(Package.load(pkg).tables["actors"])
    assert failures == []
    assert frame.filter(frame["actor_id"] == actor)["role_as_stated"].item() == "NA"


@pytest.mark.parametrize(
    "data, records, clean",
    [
        (b"id,note\na,plain\n", 2, True),
        (b"id,note\na,plain", 2, True),  # no line break after the last row
        (b"id,note\na,tab\there\n", 2, False),
        (b'id,note\na,"two\nlines"\n', 2, False),  # a line break inside a quoted cell
        (b'id,note\na,"two\nlines"', 2, False),
        (b"id,note\na,next\xc2\x85line\n", 2, False),  # U+0085, a C1 control
        (b"id,note\na,caf\xc3\xa9 \xc2\xa0\n", 2, True),  # other non-ASCII bytes are not controls
    ],
)
def test_file_bytes_show_whether_a_cell_may_hold_a_control_character(data: bytes, records: int, clean: bool) -> None:
    assert FileScan.of(io.BytesIO(data)).control_free(records) is clean
    assert (
        FileScan.of(io.BytesIO(data), chunk_size=3).control_free(records) is clean
    )  # the same across chunk boundaries


def test_file_scan_counts_across_chunks() -> None:
    data = (ROOT / "data" / "events.csv").read_bytes()
    whole, chunked = FileScan.of(io.BytesIO(data)), FileScan.of(io.BytesIO(data), chunk_size=7)
    assert whole == chunked
    assert (whole.commas, whole.line_breaks, whole.size) == (data.count(b","), data.count(b"\n"), len(data))
    assert whole.header == data[: data.index(b"\n") + 1] and not whole.blank and not whole.bom
    crlf = FileScan.of(io.BytesIO(data.replace(b"\n", b"\r\n")), chunk_size=5)
    assert crlf.first_cr_line == 1
    lines = data.split(b"\n")
    third = b"\n".join([*lines[:2], lines[2] + b"\r", *lines[3:]])
    assert [FileScan.of(io.BytesIO(third), chunk_size=size).first_cr_line for size in (4, 64, 1 << 20)] == [3, 3, 3]


@pytest.mark.parametrize(
    "data, loose",
    [
        (b'id,note\na,x"y\n', True),  # a quote inside an unquoted cell
        (b'id,note\na,""x\n', True),  # a closed empty cell running on
        (b'id,note\na,"x,y"\n', False),
        (b'id,note\na,"said ""yes"" then"\n', False),  # escaped quotes in running text
        (b'id,note\na,",\nb,"\\""\n', True),  # a quote after a comma inside a quoted cell does not open one
        (b'id,note\na,"x\n', True),  # a quoted cell left open at the end
        (b'id,note\na,"x\ny",\n', False),  # a line break inside a quoted cell
    ],
)
def test_a_loose_quote_is_found_wherever_a_chunk_ends(data: bytes, loose: bool) -> None:
    """A quote at the last byte of a chunk is judged with the next chunk's first byte, not skipped."""
    assert [FileScan.of(io.BytesIO(data), chunk_size=size).loose_quote for size in range(3, len(data) + 2)] == [
        loose
    ] * (len(data) - 1)


@pytest.mark.slow
def test_reports_a_line_break_inside_a_quoted_cell(pkg: Path) -> None:
    actor = read_rows(pkg, "actors")[0]["actor_id"]
    edit(pkg, "actors", actor, notes="wire\nservice")
    hits = [f for f in run(pkg).failures if f.rule == "hygiene.control_chars"]
    assert [(f.resource, f.key, f.column) for f in hits] == [("actors", actor, "notes")]


def test_free_text_enums_and_vocabulary_keys_are_categoricals_and_record_keys_are_text() -> None:
    """A quote or a document's id repeated over many rows is held once; a statistic's id, which grows with the
    records, stays a string."""
    package = Package.load(ROOT)
    table = package.tables["statistic_evidence"]
    frame, _ = read_csv(table)
    assert "quote" in table.prose and frame.schema["quote"] == pl.Categorical
    assert (
        package.tables["sources"].vocabulary
        and frame.schema["source_id"] == frame.schema["cited_source_id"] == pl.Categorical
    )
    assert frame.schema["statistic_id"] == pl.String and frame.schema["quote_start"] == pl.Int64
    raw = pl.read_csv(table.csv_path, infer_schema=False)
    for column in ("quote", "source_id", "cited_source_id"):
        assert frame[column].cast(pl.String).to_list() == raw[column].to_list()
    sources, _ = read_csv(package.tables["sources"])
    assert sources.schema["source_id"] == pl.Categorical and not package.tables["statistics"].vocabulary


def test_cells_are_typed_by_the_schema() -> None:
    frame, _ = read_csv(Package.load(ROOT).tables["statistics"])
    assert frame.schema["value"] == pl.Float64
    assert frame.schema["period_start"] == pl.Date
    # each value is the number its CSV cell writes, and an empty cell ('hundreds', 'thousands') is missing
    raw = read_rows(ROOT, "statistics")
    assert frame["value"].to_list() == [float(r["value"]) if r["value"] else None for r in raw]
    assert 0 < frame["value"].null_count() < len(raw)


@pytest.mark.parametrize("name", sorted(Package.load(ROOT).tables))
def test_parquet_twin_holds_the_csv_rows_and_types(name: str) -> None:
    table = Package.load(ROOT).tables[name]
    frame, failures = read_csv(table)
    assert failures == []
    twin = pq.read_table(table.parquet_path)
    assert twin.schema.equals(table.to_pyarrow(), check_metadata=True)
    assert twin.equals(to_arrow(table, frame))
    assert twin.num_rows == len(frame) > 0


def test_arrow_types_follow_the_table_schema() -> None:
    tables = Package.load(ROOT).tables
    assert tables["statistics"].to_pyarrow().field("period_start").type == pa.date32()
    assert tables["statistics"].to_pyarrow().field("value").type == pa.float64()
    assert tables["qualifiers"].to_pyarrow().field("magnitude").type == pa.int64()
    assert tables["indicators"].to_pyarrow().field("additive_over_time").type == pa.bool_()
    assert tables["actors"].to_pyarrow().field("actor_id").nullable is False
