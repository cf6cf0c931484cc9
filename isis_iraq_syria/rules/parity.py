"""Parity: each Parquet twin holds exactly what its CSV holds. It reads the twins themselves: a Python check."""

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
    """The twin's cells that differ from the CSV's, at most SHOWN a column: the engine reads the Parquet file and
    joins it to the table on the row's position."""
    path = str(table.parquet_path).replace("'", "''")
    columns = table.field_names
    shown = ", ".join(f'c."{f}" AS "ours_{i}", p."{f}" AS "theirs_{i}"' for i, f in enumerate(columns))
    differs = " OR ".join(f'c."{f}" IS DISTINCT FROM p."{f}"' for f in columns)
    rows = ctx.sql(
        f"SELECT c.row_, {shown} FROM \"{table.name}\" AS c JOIN read_parquet('{path}', "
        f"file_row_number = true) AS p ON p.file_row_number = c.row_ WHERE {differs} "
        f"ORDER BY c.row_"
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
]
