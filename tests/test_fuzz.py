"""Fuzz: random cells of every column type through validate and build. Whatever the validator accepts, the CSV path,
the Parquet twin and frictionless read as the same value; what frictionless would read differently never passes."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from conftest import copy_package
from isis_iraq_syria import build
from isis_iraq_syria.build import CSV_DIALECT
from isis_iraq_syria.schema import Package
from isis_iraq_syria.tables import read_csv
from isis_iraq_syria.validate import validate

TYPES = ("string", "integer", "number", "boolean", "date")
COLUMNS = [f"{t}_cell" for t in TYPES]
SCHEMA = {
    "fields": [{"name": "fuzz_id", "type": "string", "constraints": {"required": True}}]
    + [{"name": f"{t}_cell", "type": t} for t in TYPES],
    "primaryKey": ["fuzz_id"],
    "missingValues": [""],
}

# Characters that look like digits, signs, separators or spaces: the parsers' traps.
TRAPS = "0123456789+-.eE_ ,٣٠١２²৩\u00a0\u2212"
no_surrogates = st.characters(blacklist_categories=("Cs",))
# Each strategy mixes well-formed cells (often enough that whole packages pass and get built) with traps.
integer_cells = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(-(2**63), 2**63 - 1).map(
        lambda i: f"{'+' if i >= 0 else ''}{i:0{len(str(abs(i))) + 1}d}" if i % 3 == 0 else str(i)
    ),
    st.text(TRAPS, max_size=22),
)
number_cells = st.one_of(
    st.floats().map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f:.17g}"),
    st.decimals(allow_nan=True).map(str),
    st.from_regex(r"[+-]?[0-9]{0,4}\.?[0-9]{0,4}([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    st.text(TRAPS + "naifINF", max_size=12),
)
date_cells = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.dates().map(datetime.date.isoformat),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.text("0123456789-٢T: ", max_size=12),
)
boolean_cells = st.one_of(
    st.sampled_from(["true", "false", "", "True", "TRUE", "1", "0", "yes", " true"]), st.text(max_size=5)
)
string_cells = st.one_of(
    st.text(no_surrogates, max_size=30),
    st.from_regex(
        r"[A-Za-z0-9][A-Za-z0-9 ,.;'\"()\[\]/:]{0,20}[A-Za-z0-9.)\]]", fullmatch=True
    ),  # markup-like, CSV-quoting text
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp")), min_size=1, max_size=15),
)
rows = st.lists(st.tuples(string_cells, integer_cells, number_cells, boolean_cells, date_cells), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def fuzz_pkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real package with one more table, fuzz, holding a column of each type that no rule but hygiene reads."""
    root = copy_package(tmp_path_factory.mktemp("fuzz") / "pkg")
    (root / "schemas" / "fuzz.schema.json").write_text(json.dumps(SCHEMA, indent=2))
    return root


def _write(root: Path, cells: list[tuple[str, ...]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["fuzz_id", *COLUMNS])
    writer.writerows([f"F{i:03d}", *row] for i, row in enumerate(cells))
    (root / "data" / "fuzz.csv").write_bytes(buf.getvalue().encode("utf-8"))


def _frictionless(root: Path) -> list[dict]:
    from frictionless import Resource

    # utf-8 as the package's descriptor declares it: left to guess, frictionless reads a few bytes of
    # CJK text as another encoding and the cells as other text
    resource = Resource.from_descriptor(
        {
            "name": "fuzz",
            "path": "data/fuzz.csv",
            "format": "csv",
            "encoding": "utf-8",
            "dialect": CSV_DIALECT,
            "schema": SCHEMA,
        },
        basepath=str(root),
    )  # as datapackage.json declares a table
    with resource:
        return [
            {"cells": row.to_dict(), "errors": {e.field_name for e in row.errors if hasattr(e, "field_name")}}
            for row in resource.row_stream
        ]


def _same(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, Decimal):  # frictionless keeps the decimal; the twin holds its nearest float64
        return float(theirs) == ours
    return type(ours) is type(theirs) and ours == theirs


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cells=rows)
def test_whatever_passes_is_read_the_same_by_the_csv_path_the_twin_and_frictionless(cells, fuzz_pkg: Path) -> None:
    _write(fuzz_pkg, cells)
    package = Package.load(fuzz_pkg)
    report = validate(package, parity=False)
    rejected = {(f.line, f.column) for f in report.failures if f.resource == "fuzz" and f.rule == "schema.type"}
    frame, _ = read_csv(package.tables["fuzz"])
    if frame is None:  # the file as a whole failed (a cell made it unparseable): nothing of it passes
        assert not report.valid
        return
    theirs = _frictionless(fuzz_pkg)
    assert len(theirs) == frame.height
    for i, row in enumerate(frame.iter_rows(named=True)):
        for column in COLUMNS:
            if (i + 2, column) in rejected:
                continue
            # accepted by the validator: frictionless accepts the cell too, and reads the same value
            assert column not in theirs[i]["errors"], (column, cells[i])
            assert _same(row[column], theirs[i]["cells"][column]), (column, row[column], theirs[i]["cells"][column])
    if not report.valid:
        return
    assert build.run(fuzz_pkg, Console(file=io.StringIO())) == 0
    twin = pl.read_parquet(fuzz_pkg / "data" / "fuzz.parquet")
    assert twin.equals(frame), "the Parquet twin differs from the CSV"
    import pandas as pd

    assert len(pd.read_parquet(fuzz_pkg / "data" / "fuzz.parquet")) == frame.height  # readable by pandas (no year 0)
    assert validate(Package.load(fuzz_pkg)).valid, "the built package does not validate"


@pytest.mark.slow
def test_fuzz_strategies_reach_both_verdicts(fuzz_pkg: Path) -> None:
    """The fuzz test can fail: a known trap and a known good cell get opposite verdicts."""
    _write(fuzz_pkg, [("a", "٣٠٠", "1e999", "true", "0000-01-01"), ("b", "300", "3.5", "false", "2024-02-29")])
    report = validate(Package.load(fuzz_pkg), parity=False)
    rejected = {(f.line, f.column) for f in report.failures if f.rule == "schema.type"}
    assert rejected == {(2, "integer_cell"), (2, "number_cell"), (2, "date_cell")}


raw_cells = st.one_of(
    st.text("ab\" ,\\'", max_size=8),  # stray quotes and commas in an unquoted cell
    st.text('ab" ,\n', max_size=8).map(lambda t: f'"{t}"'),  # a quoted cell holding quotes, commas, line breaks
    st.text("ab\" ,\n\r\\'", max_size=8),
)


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cells=st.lists(raw_cells, min_size=1, max_size=4))
def test_quotes_commas_and_line_breaks_typed_raw_are_read_as_frictionless_reads_them(cells, fuzz_pkg: Path) -> None:
    """Cells written by hand, not by a CSV writer: stray quotes, commas and line breaks. Whenever the file is read
    at all (no file.* failure), each row and each text cell is what frictionless (Python's csv module) reads."""
    body = "".join(f"F{i:03d},{cell},,,,\n" for i, cell in enumerate(cells))
    (fuzz_pkg / "data" / "fuzz.csv").write_bytes(("fuzz_id," + ",".join(COLUMNS) + "\n" + body).encode())
    frame, failures = read_csv(Package.load(fuzz_pkg).tables["fuzz"])
    if frame is None:
        assert failures and all(f.rule.startswith("file.") for f in failures)
        return
    theirs = _frictionless(fuzz_pkg)
    assert [r["cells"]["fuzz_id"] for r in theirs] == frame["fuzz_id"].to_list()
    assert [r["cells"]["string_cell"] for r in theirs] == frame["string_cell"].to_list()


@pytest.mark.parametrize("cell", ['""\\""', '"a"b', '"a""b"', '"""a"'])
def test_a_quoted_cell_that_runs_on_is_read_as_frictionless_reads_it(cell: str, fuzz_pkg: Path) -> None:
    """Found by the fuzz test: polars read '""\\""' as a backslash, Python's csv module as '\\""'."""
    (fuzz_pkg / "data" / "fuzz.csv").write_text("fuzz_id," + ",".join(COLUMNS) + f"\nF000,{cell},,,,\n")
    frame, _ = read_csv(Package.load(fuzz_pkg).tables["fuzz"])
    assert frame["string_cell"].to_list() == [r["cells"]["string_cell"] for r in _frictionless(fuzz_pkg)]
