"""Reading the CSVs into typed frames, and turning typed frames into Arrow tables.

A CSV is read with its schema's missing values only (never a library's default
"NA" list), and every cell that does not parse as its field's type is reported
rather than raised.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .report import Failure
from .scan import FileScan
from .schema import CannotRun, Package, Table, package_path

# ASCII digits only: \d matches every Unicode digit in polars (and Python), and a cell such as "٣٠٠" must fail here,
# not become a null in the twin while frictionless reads 300. Every cell these accept, frictionless reads as the
# same value (int(), Decimal(), strptime("%Y-%m-%d")); what frictionless also accepts (spaces, "1_000", "NaN") fails.
INTEGER = re.compile(r"^[+-]?[0-9]+$")
NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def row_keys(table: Table, frame: pl.DataFrame) -> pl.Series:
    """The primary key of each row as one string ("E002|IRQ"), for locating failures."""
    pk = table.primary_key or [table.field_names[0]]
    return frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in pk], separator="|")).to_series()


def _file_failure(table: Table, rule: str, message: str, values: str = "", line: int | None = None) -> Failure:
    return Failure(table.name, "", "", line, rule, values, message)


def _decode(table: Table, scan: FileScan) -> tuple[str | None, list[Failure]]:
    """The header line as text, after the checks that concern the whole file's bytes."""
    if scan.blank:
        return None, [_file_failure(table, "file.empty", "The file is empty: it needs at least the header row.")]
    failures = []
    if scan.bom:
        failures.append(
            _file_failure(
                table, "file.encoding", "The file starts with a byte-order mark; save it as UTF-8 without BOM."
            )
        )
    if scan.first_cr_line is not None:
        line = scan.first_cr_line
        failures.append(
            _file_failure(
                table,
                "file.line_endings",
                f"Line {line} ends with a carriage return; use LF line endings only.",
                line=line,
            )
        )
    try:
        text = scan.header.decode("utf-8")
    except UnicodeDecodeError:  # the rest of the file is checked for UTF-8 by the CSV parser
        return None, [*failures, _utf8_failure(table, table.csv_path.read_bytes())]
    return (None if failures else text), failures


def _utf8_error(raw: bytes) -> int | None:
    """The offset of the first byte that is not UTF-8, or None when all are."""
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as err:
        return err.start


def _utf8_failure(table: Table, raw: bytes) -> Failure:
    start = _utf8_error(raw) or 0
    line = raw[:start].count(b"\n") + 1
    return _file_failure(
        table,
        "file.encoding",
        f"Line {line} is not UTF-8 (byte {start}); save the file as UTF-8.",
        repr(raw[start : start + 4]),
        line,
    )


def _check_header(table: Table, text: str) -> list[Failure]:
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as err:  # a header cell beyond the csv module's field limit (128 KiB), a stray NUL
        return [_file_failure(table, "file.header", f"The header cannot be read as CSV ({err}).", text[:80])]
    expected = table.field_names
    if header == expected:
        return []
    missing = [n for n in expected if n not in header]
    unknown = [n for n in header if n not in expected]
    if missing or unknown:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        )
        message = f"The header has {' and '.join(parts)}; it must match {table.schema_path}."
    else:
        message = f"The columns are out of order; {table.schema_path} orders them {', '.join(expected)}."
    return [_file_failure(table, "file.header", message, ",".join(header))]


def _read_fast(table: Table) -> pl.DataFrame | None:
    """All cells as text with polars' reader, or None where it fails; _parse_fast says whether the result can be
    kept."""
    names = table.field_names
    # free text, enums and vocabulary keys straight into a dictionary of their distinct values: their strings are
    # never all held at once
    categorical = {f.name for f in table.fields if table.polars_dtype(f) == pl.Categorical}
    try:
        # from the path: polars maps the file rather than copying it
        return pl.read_csv(
            table.csv_path,
            schema={n: pl.Categorical if n in categorical else pl.String for n in names},
            null_values=table.missing_values,
            quote_char='"',
        )
    except (Exception, pl.exceptions.PanicException):  # it reads every file, even one the scan refuses: the strict
        return None  # reader says what is wrong


def _parse_fast(table: Table, frame: pl.DataFrame | None, commas: int) -> pl.DataFrame | None:
    """polars' reading of the file (`frame`), or None when the file needs the strict reader to say what is wrong.

    polars pads a short row with empty cells, so its result is kept only when the commas add up: the file's commas
    must be the separators of a header and of rows that all have the header's cells, plus the commas inside values.
    """
    if frame is None:
        return None
    names = table.field_names
    in_values = sum(_commas(frame[n]) for n in names)
    if commas != (frame.height + 1) * (len(names) - 1) + in_values:
        return None
    if frame.select(pl.all_horizontal(pl.all().is_null()).any()).item():  # a blank line
        return None
    return frame


def _commas(column: pl.Series) -> int:
    """The commas inside a column's values; a categorical's are counted once per distinct text, times its rows."""
    if column.dtype == pl.Categorical:
        counts = column.drop_nulls().value_counts(name="rows_")
        return (
            counts.select(
                (pl.col(column.name).cast(pl.String).str.count_matches(",", literal=True) * pl.col("rows_")).sum()
            ).item()
            or 0
        )
    return column.str.count_matches(",", literal=True).sum() or 0


_UNRAISABLE = threading.Lock()  # sys.unraisablehook is the process's: one strict read swaps it at a time


def _strict_read(table: Table, names: list[str], on_invalid: Callable) -> pa.Table:
    return pacsv.read_csv(
        table.csv_path,
        read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        # the schema's missing values become nulls while parsing: no copy of the text columns afterwards
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=table.missing_values,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            check_utf8=True,
        ),
    )


def _parse_rows(
    table: Table, fast: pl.DataFrame | None, commas: int, loose_quote: bool = False
) -> tuple[pl.DataFrame | None, list[Failure]]:
    """All cells as text: the fast reader's (`fast`) when the file is well formed, else pyarrow's, which is strict
    about cell counts and says which row is wrong (pandas and polars pad short rows)."""
    fast = None if loose_quote else _parse_fast(table, fast, commas)
    if fast is not None:
        return fast, []
    bad_rows: list[tuple[int | None, int, int]] = []

    def on_invalid(row) -> str:
        bad_rows.append((row.number, row.actual_columns, row.expected_columns, row.text))
        return "skip"

    names = table.field_names
    # pyarrow decodes a bad row's text before it calls on_invalid: a row that is not UTF-8 raises there, inside
    # pyarrow, which prints a traceback as an "ignored" exception. Those are caught here and said as file.encoding.
    ignored: list[BaseException] = []
    with _UNRAISABLE:
        previous, sys.unraisablehook = sys.unraisablehook, lambda unraisable: ignored.append(unraisable.exc_value)
        try:
            arrow = _strict_read(table, names, on_invalid)
        except pa.ArrowInvalid as err:
            arrow = err
        finally:
            sys.unraisablehook = previous
    if any(isinstance(err, UnicodeDecodeError) for err in ignored):
        return None, [_utf8_failure(table, table.csv_path.read_bytes())]
    if isinstance(arrow, pa.ArrowInvalid):
        raw = table.csv_path.read_bytes()  # a file that cannot be parsed: whether it is UTF-8 is said first
        if "utf8" in str(arrow).lower() or _utf8_error(raw) is not None:
            return None, [_utf8_failure(table, raw)]
        return None, [_file_failure(table, "file.ragged_row", f"The file cannot be parsed as CSV ({arrow}).")]
    if bad_rows:  # the reader cannot number lines when cells may hold newlines: show the row's text
        return None, [
            _file_failure(
                table,
                "file.ragged_row",
                f"A row has {actual} cells; every row must have the header's {expected}.",
                values=text_[:80],
                line=line,
            )
            for line, actual, expected, text_ in bad_rows[:20]
        ]
    frame = pl.from_arrow(arrow)
    del arrow
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    if blank.any():
        return None, [
            _file_failure(table, "file.ragged_row", f"Line {i + 2} is blank; remove it.", line=int(i) + 2)
            for i in blank.arg_true().head(20).to_list()
        ]
    return frame, []


TYPE_HINTS = {
    "integer": " (ASCII digits 0-9, within int64)",
    "number": " (ASCII digits 0-9, '.', an exponent; finite)",
    "date": " (YYYY-MM-DD, year 0001 to 9999)",
}


def _typed(table: Table, raw: pl.DataFrame) -> tuple[pl.DataFrame, list[Failure]]:
    """Each column as its field's type; a cell that does not parse is a schema.type failure and becomes null."""
    columns, checks = [], []
    for field in table.fields:
        text = pl.col(field.name)
        # the table's missing values are nulls already; a field may declare more ("nan" for numbers)
        extra = [v for v in field.missing_values(table.missing_values) if v not in table.missing_values]
        present = text.is_not_null() & (~text.is_in(extra) if extra else pl.lit(True))
        if field.type == "string":
            columns.append(
                (pl.when(present).then(text) if extra else text).cast(table.polars_dtype(field)).alias(field.name)
            )
            continue
        # a non-strict cast turns what it cannot convert into a null: each kept value is checked to exist, so
        # nothing that fails to convert (beyond int64, beyond float64, year 0) passes as a missing value. Converted
        # before masking, as masking the text copies every string.
        if field.type == "integer":
            typed = pl.when(present & text.str.contains(INTEGER.pattern)).then(text.cast(pl.Int64, strict=False))
        elif field.type == "number":
            parsed = text.cast(pl.Float64, strict=False)
            # "1e999" is inf in float64 but a finite Decimal in frictionless
            typed = pl.when(present & text.str.contains(NUMBER.pattern) & parsed.is_finite()).then(parsed)
        elif field.type == "date":
            parsed = text.str.to_date("%Y-%m-%d", strict=False)
            # year 0 has no Python date: frictionless and pandas refuse it
            typed = pl.when(present & text.str.contains(DATE.pattern) & (parsed.dt.year() >= 1)).then(parsed)
        else:  # boolean: null exactly when the text is neither a true nor a false value
            true_values = field.descriptor.get("trueValues", ["true"])
            false_values = field.descriptor.get("falseValues", ["false"])
            typed = (
                pl.when(text.is_in(true_values)).then(True).when(text.is_in(false_values)).then(False).otherwise(None)
            )
        columns.append(typed.alias(field.name))
        checks.append(present.alias(field.name))
    # in one chunk a column: the CSV reader leaves one per block (249 for a 489 MB file), and every later gather,
    # join and filter pays for them (at 1M statistics the copy saves 0.4 s and 170 MB of peak)
    frame = raw.select(columns).rechunk()
    failures: list[Failure] = []
    if checks:
        # a present cell that typed to a null did not parse: the typed frame tells, without converting again
        kept = raw.select(checks)
        bad = pl.DataFrame([kept[name] & frame[name].is_null() for name in kept.columns])
        rows = bad.select(pl.any_horizontal(pl.all())).to_series().arg_true()
        if len(rows):
            keys = row_keys(table, raw)
            for i in rows.to_list():
                for field in table.fields:
                    if field.name in bad.columns and bad[field.name][i]:
                        cell = raw[field.name][i]
                        failures.append(
                            Failure(
                                table.name,
                                keys[i],
                                field.name,
                                i + 2,
                                "schema.type",
                                cell,
                                f"{cell!r} is not a valid {field.type}{TYPE_HINTS.get(field.type, '')}.",
                            )
                        )
    return frame, failures


def read_csv(table: Table) -> tuple[pl.DataFrame | None, list[Failure]]:
    """The typed frame of a table's CSV (None when the file cannot be parsed), and its failures."""
    frame, failures, _ = _read(table)
    return frame, failures


def _read(table: Table) -> tuple[pl.DataFrame | None, list[Failure], bool]:
    """read_csv, and whether the file's bytes show that no cell holds a control character."""
    relative = f"data/{table.name}.csv"
    package_path(table.root, relative)  # a regular file of the package, not a link, FIFO or folder
    try:
        # O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO since the check is refused, not followed or
        # waited on
        fd = os.open(table.csv_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with open(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise CannotRun(f"{relative}: not a regular file")
            # the byte scan (numpy, one core) runs beside polars' reader (every core): the scan's checks decide
            # afterwards whether the reader's frame is kept
            with ThreadPoolExecutor(max_workers=1) as scanner:
                scanning = scanner.submit(FileScan.of, stream)
                fast = _read_fast(table)
                scan = scanning.result()
    except OSError as err:
        raise CannotRun(f"{relative}: cannot be read ({err.strerror})") from err
    text, failures = _decode(table, scan)
    if text is None:
        return None, failures, False
    failures = _check_header(table, text)
    if failures:
        return None, failures, False
    raw, failures = _parse_rows(table, fast, scan.commas, scan.loose_quote)
    del fast
    if raw is None:
        return None, failures, False
    return *_typed(table, raw), scan.control_free(raw.height + 1)


def read_package(
    package: Package,
    workers: int = 2,
    on_step: Callable[[str], None] | None = None,
    then: Callable[[], object] | None = None,
) -> tuple[dict[str, pl.DataFrame], list[Failure], frozenset[str]]:
    """Every table, two at a time: the parser is threaded but the byte checks around it are not (2.2 s against 2.6 s
    at 1M rows). `then` runs on the first thread the tables leave free, while the last table is still read.

    Returns the typed frames, the failures, and the names of the tables whose files are control_free."""
    tables = sorted(package.tables.values(), key=lambda t: -t.csv_path.stat().st_size if t.csv_path.exists() else 0)

    def read(table: Table) -> tuple[pl.DataFrame | None, list[Failure], bool]:
        if on_step:
            on_step(f"read {table.name}")
        return _read(table)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        reading = pool.map(read, tables)
        after = pool.submit(then) if then is not None else None
        results = dict(zip([t.name for t in tables], reading, strict=True))
        if after is not None:
            after.result()
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
    pq.write_table(
        arrow_table,
        sink,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
    )
    return sink.getvalue()
