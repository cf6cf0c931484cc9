"""Parity: each Parquet twin holds exactly what its CSV holds, and each derived table what the build derives. They
read the files themselves: Python checks."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import DESCRIPTOR, CannotRun, Table, package_path
from .model import Example, Rule, edit

SHOWN = 20  # differing cells shown per column: a stale twin differs everywhere, and one line says so


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def _twin(table: Table, height: int) -> str | None:
    """Why the twin cannot be compared cell by cell, or None when it can."""
    try:
        package_path(table.root, f"data/{table.name}.parquet")  # never through a link, never a FIFO
        parquet = pq.ParquetFile(table.parquet_path)
        got = parquet.schema_arrow
    except CannotRun as err:
        return f"{err}: run make to build it." if "not found" in str(err) else f"{err}."
    except (OSError, pa.ArrowException) as err:
        return f"data/{table.name}.parquet cannot be read ({err})."
    want = table.to_pyarrow()
    if got.metadata != want.metadata:
        return f"data/{table.name}.parquet stores a different Table Schema than {table.schema_path}: run make."
    # nullability is not compared: a twin of a CSV with an empty required cell cannot be non-nullable
    if not _nullable(got).equals(_nullable(want)):
        differ = [f"{f.name}: {f.type}" for f in got if f.name not in want.names or want.field(f.name).type != f.type]
        missing = [f"{n}: missing" for n in want.names if n not in got.names]
        return (
            f"data/{table.name}.parquet has other columns or types than its schema "
            f"({'; '.join(differ + missing)}): run make."
        )
    if parquet.metadata.num_rows != height:
        return f"data/{table.name}.parquet has {parquet.metadata.num_rows} rows, the CSV {height}: run make."
    return None


def _differing(ctx: Any, table: Table) -> list[dict[str, Any]]:
    """The twin's cells that differ from the CSV's, at most SHOWN a column: the engine reads the Parquet file beside
    the table, row by row (a positional join: the twin has as many rows, checked above, in the CSV's order)."""
    path = str(table.parquet_path).replace("'", "''")
    columns = table.field_names
    shown = ", ".join(f'c."{f}" AS "ours_{i}", p."{f}" AS "theirs_{i}"' for i, f in enumerate(columns))
    differs = " OR ".join(f'c."{f}" IS DISTINCT FROM p."{f}"' for f in columns)
    read = ", ".join(f'"{f}"' for f in columns)
    rows = ctx.sql(
        f'SELECT c.row_, {shown} FROM "{table.name}" AS c '
        f"POSITIONAL JOIN (SELECT {read} FROM read_parquet('{path}')) AS p WHERE {differs} ORDER BY c.row_"
    ).to_pylist()
    out, counts = [], dict.fromkeys(columns, 0)
    for row in rows:
        for i, column in enumerate(columns):
            ours, theirs = row[f"ours_{i}"], row[f"theirs_{i}"]
            if ours != theirs and counts[column] < SHOWN:
                counts[column] += 1
                out.append(
                    {
                        "tbl": table.name,
                        "row_": row["row_"],
                        "col": column,
                        "got": repr(theirs),
                        "want": repr(ours),
                        "case_": "cell",
                    }
                )
    return out


def check_parity(ctx: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, table in ctx.package.tables.items():
        fault = _twin(table, ctx.frames[name].height)
        if fault is None:
            try:
                out += _differing(ctx, table)
                continue
            except Exception as err:  # a corrupt page shows only when it is read
                first = str(err).splitlines()[0] if str(err) else type(err).__name__
                fault = f"data/{name}.parquet cannot be read ({first}): run make."
        out.append({"tbl": name, "key_": "", "col": "", "values": "", "case_": "file", "message": fault})
    return out


def _rows(data: bytes) -> tuple[list[str], dict[str, list[str]]]:
    """A derived CSV's header and its rows by their first cell (the key), in file order: unreadable bytes give no
    rows."""
    import csv
    import io

    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return [], {}
    return (rows[0] if rows else []), {row[0]: row for row in rows[1:] if row}


def _derived_differs(name: str, got: bytes, want: bytes) -> list[dict[str, Any]]:
    """The rows of a derived CSV that differ from the build's, at most SHOWN, each by its key and first column."""
    got_header, got_rows = _rows(got)
    want_header, want_rows = _rows(want)
    if got_header != want_header:
        return [_file(name, f"data/{name}.csv has other columns than the build derives: run make.")]
    out = []
    for key in sorted(set(got_rows) | set(want_rows)):
        ours, theirs = want_rows.get(key), got_rows.get(key)
        if ours == theirs:
            continue
        if ours is None or theirs is None:
            col, got_value, want_value = "", "a row" if theirs else "no row", "a row" if ours else "no row"
        else:
            i = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), len(ours) - 1)
            col, got_value, want_value = want_header[i], theirs[i] if i < len(theirs) else "", ours[i]
        row = {"tbl": name, "key_": key, "col": col, "got": got_value, "want": want_value, "case_": "row"}
        if theirs is not None:  # its line in the file: the engine counts row_ from the line after the header
            row["row_"] = list(got_rows).index(key)
        out.append(row)
        if len(out) == SHOWN:
            break
    # the same rows in another order or quoting: the file differs all the same
    return out or [_file(name, f"data/{name}.csv is not written as the build writes it: run make.")]


def _file(name: str, message: str) -> dict[str, Any]:
    return {"tbl": name, "key_": "", "col": "", "got": "", "want": "", "case_": "file", "message": message}


def check_derived(ctx: Any) -> list[dict[str, Any]]:
    """Each derived table's CSV and Parquet twin against those the build derives from the curated tables."""
    from .. import wide

    out: list[dict[str, Any]] = []
    try:
        want = wide.files(ctx.package, ctx.sql)
    except CannotRun as err:
        return [_file(name, f"{err}.") for name in ctx.package.derived]
    for name in ctx.package.derived:
        for relative in (f"data/{name}.csv", f"data/{name}.parquet"):
            try:
                got = package_path(ctx.package.root, relative).read_bytes()
            except CannotRun as err:
                out.append(_file(name, f"{err}: run make to build it."))
                continue
            except OSError as err:
                out.append(_file(name, f"{relative} cannot be read ({err.strerror}): run make."))
                continue
            if got == want[relative]:
                continue
            if relative.endswith(".csv"):
                out += _derived_differs(name, got, want[relative])
            else:
                out.append(_file(name, f"{relative} differs from what the build derives: run make."))
    return out


RULES: list[Rule] = [
    Rule(
        "parity.parquet_matches_csv",
        "Each Parquet twin holds exactly its CSV's rows, types and Table Schema.",
        message={"file": "{message}", "cell": "The Parquet cell differs from the CSV cell: run make."},
        values={"file": "", "cell": "{got} != {want}"},
        check=check_parity,
        stage="parity",
        example=Example(
            (edit("actors", "reuters", notes="a wire service"),),
            (("actors", "reuters", "notes"),),
            # the CSV's size and hash in datapackage.json are those of its file before the edit
            also=(("descriptor.resources", DESCRIPTOR, "actors", "resources"),),
        ),
    ),
    Rule(
        "parity.derived_matches_build",
        "Each derived table (figures_wide, events_wide) holds exactly what the build derives from the curated tables: "
        "it is never edited by hand.",
        message={
            "file": "{message}",
            "row": "The derived row differs from what the build derives from the curated tables: run make.",
        },
        values={"file": "", "row": "{got:empty} != {want:empty}"},
        check=check_derived,
        stage="parity",
    ),
]
