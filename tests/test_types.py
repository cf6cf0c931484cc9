"""The one table of types: every Table Schema type the package uses has its type in every engine, and the engines'
types are the same type (a value written by one reads back as the same value in the others)."""

from __future__ import annotations

import datetime

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from isis_iraq_syria.schema import Package
from isis_iraq_syria.types import TYPES, arrow_type, pandas_type, polars_type

SAMPLES = {"string": "Anbar", "integer": 2**53 + 1, "number": 2.5, "boolean": True, "date": datetime.date(2024, 7, 17)}


def test_every_type_of_the_package_is_in_the_table() -> None:
    used = {f.type for table in Package.load().tables.values() for f in table.fields}
    assert used <= set(TYPES) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_arrow_polars_and_duckdb_read_one_value_as_the_same_type(name: str) -> None:
    cells = pa.table({"x": pa.array([SAMPLES[name], None], arrow_type(name))})
    assert pl.from_arrow(cells).schema["x"] == polars_type(name)
    relation = duckdb.connect().from_arrow(cells)
    assert relation.types[0] == TYPES[name].duckdb
    assert relation.fetchall() == [(SAMPLES[name],), (None,)]


@pytest.mark.parametrize("name", sorted(TYPES))
def test_pandas_keeps_the_value_and_a_missing_cell(name: str) -> None:
    # as the loaders make it: from Arrow, so that an integer past 2**53 never passes through a float
    cells = pa.table({"x": pa.array([SAMPLES[name], None], arrow_type(name))})
    mapper = {arrow_type(name): pandas_type(name)}.get if name != "date" else None
    series = cells.to_pandas(types_mapper=mapper, date_as_object=False)["x"]
    series = series.astype(pandas_type(name))
    assert series.iloc[0] == (pd.Timestamp(SAMPLES[name]) if name == "date" else SAMPLES[name])
    assert series.isna().tolist() == [False, True]
