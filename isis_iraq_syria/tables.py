"""Reading the CSVs into typed frames, and turning typed frames into Arrow tables.

A CSV is read with its schema's missing values only (never pandas' default
"NA" list), and every cell that does not parse as its field's type is reported
rather than raised.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .report import Failure
from .schema import CannotRun, Package, Table

BOM = b"\xef\xbb\xbf"
INTEGER = re.compile(r"^[+-]?\d+$")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def row_keys(table: Table, frame: pd.DataFrame) -> pd.Series:
    """The primary key of each row as one string ("E002|IRQ"), for locating failures."""
    pk = table.primary_key or [table.field_names[0]]
    keys = frame[pk[0]].astype("string").fillna("")
    for name in pk[1:]:
        keys = keys + "|" + frame[name].astype("string").fillna("")
    return keys


def _file_failure(table: Table, rule: str, message: str, values: str = "", line: int | None = None) -> Failure:
    return Failure(table.name, "", "", line, rule, values, message)


def _decode(table: Table, raw: bytes) -> tuple[str | None, list[Failure]]:
    if not raw.strip():
        return None, [_file_failure(table, "file.empty", "The file is empty: it needs at least the header row.")]
    failures = []
    if raw.startswith(BOM):
        failures.append(_file_failure(table, "file.encoding", "The file starts with a byte-order mark; save it as UTF-8 without BOM."))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, failures + [_file_failure(table, "file.encoding", f"Line {line} is not UTF-8 (byte {err.start}); save the file as UTF-8.", repr(raw[err.start:err.start + 4]), line)]
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        failures.append(_file_failure(table, "file.line_endings", f"Line {line} ends with a carriage return; use LF line endings only.", line=line))
    return (None if failures else text), failures


def _check_header(table: Table, text: str) -> list[Failure]:
    header = next(csv.reader(io.StringIO(text)))
    expected = table.field_names
    if header == expected:
        return []
    missing = [n for n in expected if n not in header]
    unknown = [n for n in header if n not in expected]
    if missing or unknown:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        message = f"The header has {' and '.join(parts)}; it must match {table.schema_path}."
    else:
        message = f"The columns are out of order; {table.schema_path} orders them {', '.join(expected)}."
    return [_file_failure(table, "file.header", message, ",".join(header))]


def _parse_rows(table: Table, text: str) -> tuple[pd.DataFrame | None, list[Failure]]:
    """All cells as text. pyarrow's reader is strict about cell counts (pandas pads short rows)."""
    bad_rows: list[tuple[int | None, int, int]] = []

    def on_invalid(row) -> str:
        bad_rows.append((row.number, row.actual_columns, row.expected_columns, row.text))
        return "skip"

    names = table.field_names
    try:
        arrow = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as err:
        return None, [_file_failure(table, "file.ragged_row", f"The file cannot be parsed as CSV ({err}).")]
    if bad_rows:  # the reader cannot number lines when cells may hold newlines: show the row's text
        return None, [_file_failure(table, "file.ragged_row", f"A row has {actual} cells; every row must have the header's {expected}.",
                                    values=text_[:80], line=line)
                      for line, actual, expected, text_ in bad_rows[:20]]
    frame = arrow.to_pandas()
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.any():
        return None, [_file_failure(table, "file.ragged_row", f"Line {i + 2} is blank; remove it.", line=int(i) + 2)
                      for i in np.flatnonzero(blank)[:20]]
    return frame, []


def _typed(table: Table, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Failure]]:
    keys = row_keys(table, raw)
    failures: list[Failure] = []
    columns = {}
    for field in table.fields:
        text = raw[field.name]
        present = ~text.isin(field.missing_values(table.missing_values))
        values = text.where(present)
        if field.type == "string":
            columns[field.name] = values.astype("str")
            continue
        if field.type == "integer":
            ok = text.str.fullmatch(INTEGER.pattern)
            typed = pd.to_numeric(values.where(ok), errors="coerce").astype("Int64")
        elif field.type == "number":
            ok = text.str.fullmatch(NUMBER.pattern)
            typed = pd.to_numeric(values.where(ok), errors="coerce").astype("Float64")
        elif field.type == "date":
            parsed = pd.to_datetime(values.where(text.str.fullmatch(DATE.pattern)), format="%Y-%m-%d", errors="coerce")
            ok = parsed.notna()
            typed = parsed.astype("datetime64[us]")
        else:  # boolean
            true_values = field.descriptor.get("trueValues", ["true"])
            false_values = field.descriptor.get("falseValues", ["false"])
            ok = text.isin(true_values) | text.isin(false_values)
            typed = pd.Series(pd.NA, index=text.index, dtype="boolean")
            typed[text.isin(true_values)] = True
            typed[text.isin(false_values)] = False
        bad = present & ~ok.fillna(False).astype(bool)
        for index in np.flatnonzero(bad.to_numpy()):
            failures.append(Failure(table.name, keys.iat[index], field.name, int(index) + 2, "schema.type", text.iat[index],
                                    f"{text.iat[index]!r} is not a valid {field.type}{' (YYYY-MM-DD)' if field.type == 'date' else ''}."))
        columns[field.name] = typed
    return pd.DataFrame(columns, index=raw.index), failures


def read_csv(table: Table) -> tuple[pd.DataFrame | None, list[Failure]]:
    """The typed frame of a table's CSV (None when the file cannot be parsed), and its failures."""
    try:
        raw_bytes = table.csv_path.read_bytes()
    except FileNotFoundError as err:
        raise CannotRun(f"data/{table.name}.csv: file not found ({table.csv_path})") from err
    text, failures = _decode(table, raw_bytes)
    if text is None:
        return None, failures
    failures = _check_header(table, text)
    if failures:
        return None, failures
    raw, failures = _parse_rows(table, text)
    if raw is None:
        return None, failures
    return _typed(table, raw)


def read_package(package: Package) -> tuple[dict[str, pd.DataFrame], list[Failure]]:
    frames, failures = {}, []
    for name, table in package.tables.items():
        frame, found = read_csv(table)
        failures.extend(found)
        if frame is not None:
            frames[name] = frame
    return frames, failures


def to_arrow(table: Table, frame: pd.DataFrame) -> pa.Table:
    """The typed frame as an Arrow table with the schema derived from the Table Schema."""
    schema = table.to_pyarrow()
    arrays = []
    for field in schema:
        column = frame[field.name]
        if pa.types.is_date32(field.type):
            arrays.append(pa.array(column, from_pandas=True).cast(pa.date32()))
        else:
            arrays.append(pa.array(column, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(arrow_table: pa.Table) -> bytes:
    """Parquet bytes that depend only on the table and the pinned pyarrow version."""
    sink = io.BytesIO()
    pq.write_table(arrow_table, sink, compression="zstd", compression_level=9, use_dictionary=True,
                   write_statistics=True, version="2.6")
    return sink.getvalue()
