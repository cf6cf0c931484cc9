"""Reading the CSVs into typed frames, and turning typed frames into Arrow tables.

A CSV is read with its schema's missing values only (never a library's default
"NA" list), and every cell that does not parse as its field's type is reported
rather than raised.
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .report import Failure
from .schema import CannotRun, Package, Table

BOM = b"\xef\xbb\xbf"
INTEGER = re.compile(r"^[+-]?\d+$")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def row_keys(table: Table, frame: pl.DataFrame) -> pl.Series:
    """The primary key of each row as one string ("E002|IRQ"), for locating failures."""
    pk = table.primary_key or [table.field_names[0]]
    return frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in pk], separator="|")).to_series()


def _file_failure(table: Table, rule: str, message: str, values: str = "", line: int | None = None) -> Failure:
    return Failure(table.name, "", "", line, rule, values, message)


def _decode(table: Table, raw: bytes) -> tuple[str | None, list[Failure]]:
    """The header line as text, after the checks that concern the whole file's bytes."""
    if not raw or raw.isspace():  # isspace stops at the first other byte; strip() would copy the file
        return None, [_file_failure(table, "file.empty", "The file is empty: it needs at least the header row.")]
    failures = []
    if raw.startswith(BOM):
        failures.append(_file_failure(table, "file.encoding", "The file starts with a byte-order mark; save it as UTF-8 without BOM."))
    if b"\r" in raw:
        line = raw[: raw.index(b"\r")].count(b"\n") + 1
        failures.append(_file_failure(table, "file.line_endings", f"Line {line} ends with a carriage return; use LF line endings only.", line=line))
    header = raw[: raw.find(b"\n") + 1 or len(raw)]
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:  # the rest of the file is checked for UTF-8 by the CSV parser
        return None, failures + [_utf8_failure(table, raw)]
    return (None if failures else text), failures


def _utf8_failure(table: Table, raw: bytes) -> Failure:
    try:
        raw.decode("utf-8")
        start = 0
    except UnicodeDecodeError as err:
        start = err.start
    line = raw[:start].count(b"\n") + 1
    return _file_failure(table, "file.encoding", f"Line {line} is not UTF-8 (byte {start}); save the file as UTF-8.", repr(raw[start:start + 4]), line)


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


def _parse_fast(table: Table, data: bytes) -> pl.DataFrame | None:
    """All cells as text with polars' reader, or None when the file needs the strict reader to say what is wrong.

    polars pads a short row with empty cells, so its result is kept only when the commas add up: the file's commas
    must be the separators of a header and of rows that all have the header's cells, plus the commas inside values.
    """
    names = table.field_names
    try:
        frame = pl.read_csv(data, schema={n: pl.String for n in names}, null_values=table.missing_values, quote_char='"')
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None
    in_values = frame.select(pl.sum_horizontal([pl.col(n).str.count_matches(",", literal=True).sum() for n in names])).item()
    if data.count(b",") != (frame.height + 1) * (len(names) - 1) + (in_values or 0):
        return None
    if frame.select(pl.all_horizontal(pl.all().is_null()).any()).item():  # a blank line
        return None
    return frame


def _parse_rows(table: Table, data: bytes) -> tuple[pl.DataFrame | None, list[Failure]]:
    """All cells as text: the fast reader when the file is well formed, else pyarrow's, which is strict about cell
    counts and says which row is wrong (pandas and polars pad short rows)."""
    fast = _parse_fast(table, data)
    if fast is not None:
        return fast, []
    bad_rows: list[tuple[int | None, int, int]] = []

    def on_invalid(row) -> str:
        bad_rows.append((row.number, row.actual_columns, row.expected_columns, row.text))
        return "skip"

    names = table.field_names
    try:
        arrow = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid),
            # the schema's missing values become nulls while parsing: no copy of the text columns afterwards
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=table.missing_values,
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True, check_utf8=True),
        )
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err) or "utf8" in str(err).lower():
            return None, [_utf8_failure(table, data)]
        return None, [_file_failure(table, "file.ragged_row", f"The file cannot be parsed as CSV ({err}).")]
    if bad_rows:  # the reader cannot number lines when cells may hold newlines: show the row's text
        return None, [_file_failure(table, "file.ragged_row", f"A row has {actual} cells; every row must have the header's {expected}.",
                                    values=text_[:80], line=line)
                      for line, actual, expected, text_ in bad_rows[:20]]
    frame = pl.from_arrow(arrow)
    del arrow
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    if blank.any():
        return None, [_file_failure(table, "file.ragged_row", f"Line {i + 2} is blank; remove it.", line=int(i) + 2)
                      for i in blank.arg_true().head(20).to_list()]
    return frame, []


def _typed(table: Table, raw: pl.DataFrame) -> tuple[pl.DataFrame, list[Failure]]:
    """Each column as its field's type; a cell that does not parse is a schema.type failure and becomes null."""
    columns, checks = [], []
    for field in table.fields:
        text = pl.col(field.name)
        # the table's missing values are nulls already; a field may declare more ("nan" for numbers)
        extra = [v for v in field.missing_values(table.missing_values) if v not in table.missing_values]
        present = text.is_not_null() & (~text.is_in(extra) if extra else pl.lit(True))
        if field.type == "string":
            columns.append((pl.when(present).then(text) if extra else text).cast(field.polars_dtype).alias(field.name))
            continue
        if field.type == "integer":
            ok = text.str.contains(INTEGER.pattern)
            typed = pl.when(present & ok).then(text).cast(pl.Int64, strict=False)
        elif field.type == "number":
            ok = text.str.contains(NUMBER.pattern)
            typed = pl.when(present & ok).then(text).cast(pl.Float64, strict=False)
        elif field.type == "date":
            typed = pl.when(present & text.str.contains(DATE.pattern)).then(text).str.to_date("%Y-%m-%d", strict=False)
            ok = typed.is_not_null()
        else:  # boolean
            true_values = field.descriptor.get("trueValues", ["true"])
            false_values = field.descriptor.get("falseValues", ["false"])
            ok = text.is_in(true_values) | text.is_in(false_values)
            typed = pl.when(text.is_in(true_values)).then(True).when(text.is_in(false_values)).then(False).otherwise(None)
        columns.append(typed.alias(field.name))
        checks.append((present & ~ok.fill_null(False)).alias(field.name))
    frame = raw.select(columns)
    failures: list[Failure] = []
    if checks:
        bad = raw.select(checks)
        rows = bad.select(pl.any_horizontal(pl.all())).to_series().arg_true()
        if len(rows):
            keys = row_keys(table, raw)
            for i in rows.to_list():
                for field in table.fields:
                    if field.name in bad.columns and bad[field.name][i]:
                        cell = raw[field.name][i]
                        failures.append(Failure(table.name, keys[i], field.name, i + 2, "schema.type", cell,
                                                f"{cell!r} is not a valid {field.type}{' (YYYY-MM-DD)' if field.type == 'date' else ''}."))
    return frame, failures


_NOT_CONTROL = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
_C1_CONTROL = re.compile(rb"\xc2[\x80-\x9f]")  # U+0080..U+009F in UTF-8


def control_free(data: bytes, records: int) -> bool:
    """Whether the file's bytes prove that no cell holds a control character: its only control bytes are the line
    breaks that end its `records` (header and rows). A byte scan of the file is ten times cheaper than a regex per cell."""
    controls = data.translate(None, _NOT_CONTROL)
    line_breaks = records - (0 if data.endswith(b"\n") else 1)
    return controls == b"\n" * line_breaks and (b"\xc2" not in data or not _C1_CONTROL.search(data))


def read_csv(table: Table) -> tuple[pl.DataFrame | None, list[Failure]]:
    """The typed frame of a table's CSV (None when the file cannot be parsed), and its failures."""
    frame, failures, _ = _read(table)
    return frame, failures


def _read(table: Table) -> tuple[pl.DataFrame | None, list[Failure], bool]:
    """read_csv, and whether the file is control_free."""
    try:
        raw_bytes = table.csv_path.read_bytes()
    except FileNotFoundError as err:
        raise CannotRun(f"data/{table.name}.csv: file not found ({table.csv_path})") from err
    text, failures = _decode(table, raw_bytes)
    if text is None:
        return None, failures, False
    failures = _check_header(table, text)
    if failures:
        return None, failures, False
    raw, failures = _parse_rows(table, raw_bytes)
    if raw is None:
        return None, failures, False
    clean = control_free(raw_bytes, raw.height + 1)
    del raw_bytes  # the file's bytes are not needed once parsed: keep the peak memory down
    return *_typed(table, raw), clean


def read_package(package: Package, workers: int = 2, on_step: Callable[[str], None] | None = None) -> tuple[dict[str, pl.DataFrame], list[Failure], frozenset[str]]:
    """Every table, two at a time: the parser is threaded but the byte checks around it are not (2.2 s against 2.6 s at 1M rows).

    Returns the typed frames, the failures, and the names of the tables whose files are control_free."""
    tables = sorted(package.tables.values(), key=lambda t: -t.csv_path.stat().st_size if t.csv_path.exists() else 0)

    def read(table: Table) -> tuple[pl.DataFrame | None, list[Failure], bool]:
        if on_step:
            on_step(f"read {table.name}")
        return _read(table)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(zip([t.name for t in tables], pool.map(read, tables)))
    frames, failures = {}, []
    for name in package.tables:  # report in the package's order, whatever finished first
        frame, found, _ = results[name]
        failures.extend(found)
        if frame is not None:
            frames[name] = frame
    return frames, failures, frozenset(name for name, (_, _, clean) in results.items() if clean)


def to_arrow(table: Table, frame: pl.DataFrame) -> pa.Table:
    """The typed frame as an Arrow table with the schema derived from the Table Schema."""
    schema = table.to_pyarrow()
    arrow = frame.to_arrow()
    arrays = [arrow.column(f.name).cast(f.type).combine_chunks() for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(arrow_table: pa.Table) -> bytes:
    """Parquet bytes that depend only on the table and the pinned pyarrow version."""
    sink = io.BytesIO()
    pq.write_table(arrow_table, sink, compression="zstd", compression_level=9, use_dictionary=True,
                   write_statistics=True, version="2.6")
    return sink.getvalue()
