"""isis_iraq_syria.load() and its companions: types exactly as the Table Schemas say, for every table and engine."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import isis_iraq_syria as d
from conftest import ROOT

NAMES = list(d.tables())


def _fields(name: str) -> list[dict]:
    return d.schema(name)["fields"]


def _enum(field: dict) -> list | None:
    return field.get("constraints", {}).get("enum")


def test_import_loads_no_data_library() -> None:
    libraries = ("pyarrow", "pandas", "polars", "duckdb", "rich", "pandera", "numpy")
    code = f"import sys, isis_iraq_syria; print(sorted(m for m in {libraries!r} if m in sys.modules))"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True).stdout
        == "[]\n"
    )


def test_tables_lists_every_table_of_the_descriptor_with_its_description() -> None:
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    csv = [r for r in descriptor["resources"] if r["format"] == "csv"]
    assert d.tables() == {r["name"]: r["description"] for r in csv}
    assert d.descriptor() == descriptor
    assert d.__version__ == descriptor["version"]


def test_tables_and_schema_stay_functions_when_the_validator_modules_of_those_names_are_imported() -> None:
    import isis_iraq_syria.schema
    import isis_iraq_syria.tables  # noqa: F401

    assert d.tables() and d.schema(NAMES[0])["fields"]
    assert sys.modules["isis_iraq_syria.tables"].read_csv and sys.modules["isis_iraq_syria.schema"].Package


def test_a_misspelt_table_is_an_error_that_lists_the_tables() -> None:
    with pytest.raises(KeyError) as err:
        d.load("statistic")
    message = str(err.value)
    assert "Did you mean 'statistics'?" in message and all(name in message for name in NAMES)


def test_an_unknown_engine_is_an_error_that_lists_the_engines() -> None:
    with pytest.raises(ValueError, match="pandas, polars, arrow, duckdb"):
        d.load(NAMES[0], engine="spark")


def _pandas_dtype(field: dict):
    if _enum(field) is not None:
        return pd.CategoricalDtype(_enum(field))
    return {
        "string": pd.StringDtype(),
        "integer": pd.Int64Dtype(),
        "number": pd.Float64Dtype(),
        "boolean": pd.BooleanDtype(),
        "date": pd.api.types.pandas_dtype("datetime64[ms]"),
    }[field["type"]]


@pytest.mark.parametrize("name", NAMES)
def test_pandas_dtypes_are_the_table_schema_types(name: str) -> None:
    frame = d.load(name)
    assert list(frame.columns) == [f["name"] for f in _fields(name)]
    assert [frame[f["name"]].dtype for f in _fields(name)] == [_pandas_dtype(f) for f in _fields(name)]


@pytest.mark.parametrize("name", NAMES)
def test_polars_arrow_and_duckdb_types_are_the_table_schema_types(name: str) -> None:
    fields = _fields(name)
    polars = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date}
    assert list(d.load(name, "polars").schema.values()) == [
        pl.Enum(_enum(f)) if _enum(f) else polars[f["type"]] for f in fields
    ]
    arrow = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    assert d.load(name, "arrow").schema.types == [
        pa.dictionary(pa.int32(), pa.string()) if _enum(f) else arrow[f["type"]] for f in fields
    ]
    duck = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}
    enum = lambda f: "ENUM(" + ", ".join(f"'{v}'" for v in _enum(f)) + ")"  # noqa: E731
    assert [str(t) for t in d.load(name, "duckdb").types] == [enum(f) if _enum(f) else duck[f["type"]] for f in fields]


@pytest.mark.parametrize("name", NAMES)
def test_missing_cells_are_missing_in_every_engine(name: str) -> None:
    empty = {f["name"]: 0 for f in _fields(name)}
    arrow = d.load(name, "arrow")
    nulls = {column: arrow.column(column).null_count for column in arrow.column_names}
    csv_empty = pd.read_csv(ROOT / f"data/{name}.csv", dtype=str, keep_default_na=False).eq("").sum().to_dict()
    assert nulls == {**empty, **csv_empty}
    assert d.load(name).isna().sum().to_dict() == nulls
    assert dict(zip(arrow.column_names, d.load(name, "polars").null_count().row(0), strict=True)) == nulls


def _dated() -> list[tuple[str, str, dt.date]]:
    """(table, date field, a date it holds) for every date field that holds one."""
    out = []
    for name in NAMES:
        for field in _fields(name):
            if field["type"] == "date":
                values = [v for v in d.load(name, "arrow").column(field["name"]).to_pylist() if v is not None]
                if values:
                    out.append((name, field["name"], values[0]))
    return out


@pytest.mark.parametrize(("name", "column", "day"), _dated())
def test_pandas_dates_compare_with_iso_strings_timestamps_and_datetimes(name: str, column: str, day: dt.date) -> None:
    frame = d.load(name)
    count = sum(v == day for v in d.load(name, "arrow").column(column).to_pylist())
    for other in (day.isoformat(), pd.Timestamp(day), dt.datetime.combine(day, dt.time())):
        assert (frame[column] == other).sum() == count
        assert (frame[column] >= other).sum() == sum(
            v is not None and v >= day for v in d.load(name, "arrow").column(column).to_pylist()
        )
    # a datetime.date is refused loudly, never silently matched against nothing
    with pytest.raises(TypeError):
        frame[column] < day  # noqa: B015
    assert (frame[column].dt.date == day).sum() == count


def test_duckdb_views_join_across_every_foreign_key() -> None:
    connection = d.connect()
    checked = 0
    for name in NAMES:
        for fk in d.schema(name).get("foreignKeys", []):
            fields, ref = fk["fields"], fk["reference"]
            left, right = (
                (fields if isinstance(fields, list) else [fields]),
                ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]],
            )
            target = ref.get("resource") or name
            on = " AND ".join(f'a."{a}"::VARCHAR = b."{b}"::VARCHAR' for a, b in zip(left, right, strict=True))
            not_null = " AND ".join(f'a."{a}" IS NOT NULL' for a in left)
            joined, orphans = connection.execute(
                f'SELECT count(b."{right[0]}"), count(*) FILTER (WHERE b."{right[0]}" IS NULL) FROM "{name}" a '
                f'LEFT JOIN "{target}" b ON {on} WHERE {not_null}'
            ).fetchall()[0]
            assert orphans == 0, (name, fk)
            checked += joined
    assert checked > 0
    assert sorted(
        r[0] for r in connection.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    ) == sorted(NAMES)
