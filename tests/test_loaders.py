"""Every table read as another project would: pandas, polars, DuckDB and frictionless give the same rows and types."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import duckdb
import frictionless
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from isis_iraq_syria.schema import Package

PACKAGE = Package.load(ROOT)
NAMES = sorted(PACKAGE.tables)


def _cell(value):
    """One canonical form per value: None for missing, date for dates, float for numbers."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date()
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return value


def _rows(records) -> list[tuple]:
    return [tuple(_cell(v) for v in row) for row in records]


def _expected(name: str) -> list[tuple]:
    return _rows(tuple(r.values()) for r in pq.read_table(PACKAGE.tables[name].parquet_path).to_pylist())


def _pandas_csv(name: str) -> pd.DataFrame:
    """What a pandas user does with the Table Schema: read text with the schema's missing values, then type it."""
    schema = json.loads((ROOT / PACKAGE.tables[name].schema_path).read_text())
    frame = pd.read_csv(ROOT / f"data/{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
    for field in schema["fields"]:
        column = field["name"]
        if field["type"] == "date":
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
        elif field["type"] in ("number", "integer"):
            frame[column] = pd.to_numeric(frame[column]).astype("Float64" if field["type"] == "number" else "Int64")
        elif field["type"] == "boolean":
            frame[column] = frame[column].map({"true": True, "false": False}).astype("boolean")
    return frame


@pytest.mark.parametrize("name", NAMES)
def test_pandas_reads_the_same_rows_from_parquet_and_csv(name: str) -> None:
    expected = _expected(name)
    from_parquet = pd.read_parquet(ROOT / f"data/{name}.parquet")
    from_csv = _pandas_csv(name)
    assert _rows(from_parquet.itertuples(index=False)) == expected
    assert _rows(from_csv.itertuples(index=False)) == expected
    for field in PACKAGE.tables[name].fields:
        if field.type == "date":
            assert pd.api.types.is_datetime64_any_dtype(from_csv[field.name])
        if field.type == "number":
            assert pd.api.types.is_float_dtype(from_parquet[field.name]) and pd.api.types.is_float_dtype(from_csv[field.name])


POLARS = {"string": pl.String, "number": pl.Float64, "integer": pl.Int64, "boolean": pl.Boolean, "date": pl.Date}
DUCKDB = {"string": "VARCHAR", "number": "DOUBLE", "integer": "BIGINT", "boolean": "BOOLEAN", "date": "DATE"}


@pytest.mark.parametrize("name", NAMES)
def test_polars_reads_the_same_rows_and_types(name: str) -> None:
    frame = pl.read_parquet(ROOT / f"data/{name}.parquet")
    assert _rows(frame.iter_rows()) == _expected(name)
    assert [frame.schema[f.name] for f in PACKAGE.tables[name].fields] == [POLARS[f.type] for f in PACKAGE.tables[name].fields]


@pytest.mark.parametrize("name", NAMES)
def test_duckdb_reads_the_same_rows_and_types(name: str) -> None:
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{ROOT / f'data/{name}.parquet'}')")
    assert _rows(relation.fetchall()) == _expected(name)
    assert [str(t) for t in relation.types] == [DUCKDB[f.type] for f in PACKAGE.tables[name].fields]


def test_duckdb_joins_statistics_to_indicators_across_the_foreign_key() -> None:
    rows = duckdb.sql(f"""
        SELECT s.statistic_id, i.unit, s.value
        FROM read_parquet('{ROOT / 'data/statistics.parquet'}') s
        JOIN read_parquet('{ROOT / 'data/indicators.parquet'}') i USING (indicator_id)
        WHERE s.geography_id = 'IRQ_SYR' AND i.indicator_id = 'isis_attacks'
        ORDER BY s.statistic_id""").fetchall()
    assert rows == [("S001", "attacks", 153.0), ("S002", "attacks", 121.0)]
    orphans = duckdb.sql(f"""
        SELECT count(*) FROM read_parquet('{ROOT / 'data/statistics.parquet'}') s
        ANTI JOIN read_parquet('{ROOT / 'data/indicators.parquet'}') i USING (indicator_id)""").fetchall()
    assert orphans == [(0,)]


@pytest.mark.parametrize("name", NAMES)
def test_frictionless_reads_the_same_rows_from_csv_and_parquet(name: str) -> None:
    package = frictionless.Package(str(ROOT / "datapackage.json"))
    for resource_name in (name, f"{name}-parquet"):
        rows = package.get_table_resource(resource_name).read_rows()
        assert _rows(tuple(r.values()) for r in rows) == _expected(name)
