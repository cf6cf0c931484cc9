"""Parity: each Parquet twin holds exactly what its CSV holds."""

from __future__ import annotations

from typing import Callable

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..report import Failure
from ..schema import CannotRun, Table, package_path
from .base import ALL_TEXT, Context, Rule

def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def _codes(column: pa.ChunkedArray) -> pl.Series:
    """The categorical codes of a Parquet column read as dictionaries: each chunk's dictionary is coded (a few dozen
    texts) and its indices gathered, instead of building a million strings to code (0.14 s -> 0.01 s for a million
    quotes). Categories are global, so equal texts have the codes of the validator's frames."""
    parts = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            coded = pl.from_arrow(chunk.dictionary).cast(pl.String).cast(pl.Categorical).to_physical()
            parts.append(coded.gather(pl.from_arrow(chunk.indices)))
        else:
            parts.append(pl.from_arrow(chunk).cast(pl.String).cast(pl.Categorical).to_physical())
    return pl.concat(parts, rechunk=False) if parts else pl.Series([], dtype=pl.UInt32)


def check_parity(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for name, table in ctx.package.tables.items():
        def fail(message: str, key: str = "", column: str = "", line: int | None = None, values: str = "", name: str = name) -> None:
            out.append(Failure(name, key, column, line, rule.id, values, message))
        try:
            package_path(table.root, f"data/{name}.parquet")  # never through a link, never a FIFO
            parquet = pq.ParquetFile(table.parquet_path)
            got_schema = parquet.schema_arrow
        except CannotRun as err:
            fail(f"{err}: run make to build it." if "not found" in str(err) else f"{err}.")
            continue
        except (OSError, pa.ArrowException) as err:
            fail(f"data/{name}.parquet cannot be read ({err}).")
            continue
        want_schema = table.to_pyarrow()
        if got_schema.metadata != want_schema.metadata:
            fail(f"data/{name}.parquet stores a different Table Schema than {table.schema_path}: run make.")
        # nullability is not compared: a twin of a CSV with an empty required cell cannot be non-nullable
        if not _nullable(got_schema).equals(_nullable(want_schema)):
            diff = [f"{f.name}: {f.type}" for f in got_schema if f.name not in want_schema.names or want_schema.field(f.name).type != f.type]
            missing = [n for n in want_schema.names if n not in got_schema.names]
            fail(f"data/{name}.parquet has other columns or types than its schema ({'; '.join(diff + [m + ': missing' for m in missing])}): run make.")
            continue
        if parquet.metadata.num_rows != ctx.frames[name].height:
            fail(f"data/{name}.parquet has {parquet.metadata.num_rows} rows, the CSV {ctx.frames[name].height}: run make.")
            continue
        want = ctx.frames[name]
        categorical = [c for c in want.columns if want[c].dtype == pl.Categorical]
        try:
            _compare(table, want, categorical, ctx, fail)
        except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as err:  # a corrupt page shows only when it is read
            fail(f"data/{name}.parquet cannot be read ({str(err).splitlines()[0] if str(err) else type(err).__name__}): run make.")
    return out


def _compare(table: Table, want: pl.DataFrame, categorical: list[str], ctx: Context, fail: Callable[..., None]) -> None:
    """Each column of a Parquet twin against the CSV's typed column, a column at a time (a whole second copy of a
    large table is not needed); `fail` is told of each differing cell."""
    dictionaries = pq.ParquetFile(table.parquet_path, read_dictionary=categorical) if categorical else None
    for column in want.columns:
        if column in categorical:  # as codes: the Parquet dictionary's few texts are coded, then gathered by index
            got = _codes(dictionaries.read(columns=[column]).column(0))
            if got.equals(want[column].to_physical()):
                continue
            # they differ: the column as text, only to show the cells
            got = pl.from_arrow(dictionaries.read(columns=[column]).column(0)).cast(pl.String).cast(pl.Categorical)
        else:
            got = pl.read_parquet(table.parquet_path, columns=[column]).to_series().cast(want[column].dtype)
            if got.equals(want[column]):
                continue
        differs = ~got.eq_missing(want[column])
        keys = ctx.keys(table.name)
        for i in differs.arg_true().head(20).to_list():
            fail("The Parquet cell differs from the CSV cell: run make.", keys[i], column, i + 2, f"{got[i]!r} != {want[column][i]!r}")


RULES: list[Rule] = [
    Rule("parity.parquet_matches_csv", "Each Parquet twin holds exactly its CSV's rows, types and Table Schema.", check_parity, stage="parity", prose=ALL_TEXT),
]
