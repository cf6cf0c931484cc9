"""Parity: each Parquet twin holds exactly what its CSV holds. It reads the twins themselves: a Python check."""

from __future__ import annotations

from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import CannotRun, Table, package_path
from .model import Example, Rule, edit

SHOWN = 20  # differing cells shown per column: a stale twin differs everywhere, and one line says so


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def _twin(table: Table, height: int) -> tuple[pl.DataFrame | None, str | None]:
    """The twin as a frame, or why it cannot be compared cell by cell."""
    try:
        package_path(table.root, f"data/{table.name}.parquet")  # never through a link, never a FIFO
        parquet = pq.ParquetFile(table.parquet_path)
        got = parquet.schema_arrow
    except CannotRun as err:
        return None, f"{err}: run make to build it." if "not found" in str(err) else f"{err}."
    except (OSError, pa.ArrowException) as err:
        return None, f"data/{table.name}.parquet cannot be read ({err})."
    want = table.to_pyarrow()
    if got.metadata != want.metadata:
        return None, f"data/{table.name}.parquet stores a different Table Schema than {table.schema_path}: run make."
    # nullability is not compared: a twin of a CSV with an empty required cell cannot be non-nullable
    if not _nullable(got).equals(_nullable(want)):
        differ = [f"{f.name}: {f.type}" for f in got if f.name not in want.names or want.field(f.name).type != f.type]
        missing = [f"{n}: missing" for n in want.names if n not in got.names]
        return None, (f"data/{table.name}.parquet has other columns or types than its schema "
                      f"({'; '.join(differ + missing)}): run make.")
    if parquet.metadata.num_rows != height:
        return None, f"data/{table.name}.parquet has {parquet.metadata.num_rows} rows, the CSV {height}: run make."
    try:
        return pl.read_parquet(table.parquet_path), None
    except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as err:  # a corrupt page shows when it is read
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, f"data/{table.name}.parquet cannot be read ({first}): run make."


def check_parity(ctx: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, table in ctx.package.tables.items():
        want = ctx.frames[name]
        got, fault = _twin(table, want.height)
        if fault is not None or got is None:
            out.append({"tbl": name, "key_": "", "col": "", "values": "", "case_": "file", "message": fault})
            continue
        for column in want.columns:
            # categoricals as their text: the twin's dictionary codes are its own
            typed = pl.String if want[column].dtype == pl.Categorical else want[column].dtype
            ours, theirs = want[column].cast(typed), got[column].cast(typed)
            for i in (~theirs.eq_missing(ours)).arg_true().head(SHOWN).to_list():
                out.append({"tbl": name, "row_": i, "col": column, "got": repr(theirs[i]), "want": repr(ours[i]),
                            "case_": "cell"})
    return out


RULES: list[Rule] = [
    Rule("parity.parquet_matches_csv", "Each Parquet twin holds exactly its CSV's rows, types and Table Schema.",
         message={"file": "{message}", "cell": "The Parquet cell differs from the CSV cell: run make."},
         values={"file": "", "cell": "{got} != {want}"}, check=check_parity, stage="parity",
         example=Example((edit("actors", "reuters", notes="a wire service"),), (("actors", "reuters", "notes"),))),
]
