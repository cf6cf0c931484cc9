"""The type each Table Schema type has in every engine the package is read by, side by side, written once.

Names, not objects: the loaders import this with pandas alone installed, so polars and pyarrow are imported only
by the functions that return their types. The R reader (R/read_package.R) parses cells into the R column's types;
a test holds it to this table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import polars as pl
    import pyarrow as pa


class Types(NamedTuple):
    arrow: str  # pyarrow.type_for_alias; also the Parquet twin's type
    polars: str  # a polars data type's name
    pandas: str  # a pandas dtype (the nullable ones: a missing cell is pd.NA, an integer stays an integer)
    duckdb: str
    sqlite: str  # SQLite has no date or boolean: ISO text and 0/1
    spark: str
    r: str  # the R class of a column as read_package.R reads it


TYPES: dict[str, Types] = {
    "string": Types("string", "String", "string", "VARCHAR", "TEXT", "string", "character"),
    "integer": Types("int64", "Int64", "Int64", "BIGINT", "INTEGER", "bigint", "integer"),
    "number": Types("float64", "Float64", "Float64", "DOUBLE", "REAL", "double", "numeric"),
    "boolean": Types("bool", "Boolean", "boolean", "BOOLEAN", "INTEGER", "boolean", "logical"),
    # pandas: datetime64 compares with ISO strings, Timestamps and datetimes, where date objects in an object
    # column match nothing silently
    "date": Types("date32", "Date", "datetime64[ms]", "DATE", "TEXT", "date", "Date"),
}


def arrow_type(field_type: str) -> pa.DataType:
    import pyarrow as pa

    return pa.type_for_alias(TYPES[field_type].arrow)


def polars_type(field_type: str) -> pl.DataType:
    import polars as pl

    polars: pl.DataType = getattr(pl, TYPES[field_type].polars)()
    return polars


def pandas_type(field_type: str) -> pd.api.extensions.ExtensionDtype | np.dtype[Any] | str:
    import pandas as pd

    # a NumPy dtype for datetime64, an extension dtype for the nullable ones (as pandas-stubs types it)
    dtype: pd.api.extensions.ExtensionDtype | np.dtype[Any] | str = pd.api.types.pandas_dtype(TYPES[field_type].pandas)
    return dtype
