"""Every table read through every reader a user brings gives the same rows and values, with the schema's types.

The readers: the package's loaders (pandas, polars, Arrow, DuckDB), pandas, polars, pyarrow and DuckDB on the CSVs
(typed from the Table Schemas) and on the Parquet twins, frictionless on the folder and on a zip, R with readr and
jsonlite (R/read_package.R), and the Data Package v1 reader (npm datapackage) on datapackage-v1.json. Everything is
generic over the descriptor's tables. A reader whose runtime (R, node) is missing is skipped with a message, and
fails under CI=true.

make test reads, with each reader, the table of statistics (text, numbers, dates, allowed values and missing cells)
and one other table, a different one for each reader; make check reads every table with every reader.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import math
import os
import shutil
import subprocess
import zipfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import frictionless
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import isis_iraq_syria as d
from conftest import ROOT
from isis_iraq_syria.types import TYPES, arrow_type

NAMES = list(d.tables())
SCHEMAS = {name: d.schema(name) for name in NAMES}


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


@cache
def expected(name: str) -> list[tuple]:
    return _rows(tuple(r.values()) for r in pq.read_table(ROOT / f"data/{name}.parquet").to_pylist())


def _fields(name: str) -> list[dict]:
    return SCHEMAS[name]["fields"]


def _dates_from_iso(name: str, rows: list[tuple]) -> list[tuple]:
    """Readers that hand dates as ISO text (R's JSON, node) compared as dates."""
    dates = [i for i, f in enumerate(_fields(name)) if f["type"] == "date"]
    return [
        tuple(dt.date.fromisoformat(v) if i in dates and v is not None else v for i, v in enumerate(row))
        for row in rows
    ]


def _runtime(command: str, install: str) -> str:
    path = shutil.which(command)
    if path is None:
        message = f"{command} is not installed ({install}): this reader is not tested here"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, and CI must test it (.ci/run installs it)")
        pytest.skip(message)
    return path


# --- the readers: each returns every table's rows ---------------------------------------------------------------

PANDAS = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


def pandas_csv(name: str) -> pd.DataFrame:
    """README's pandas route from the CSV: the schema's missing values only, the schema's types."""
    dates = [f["name"] for f in _fields(name) if f["type"] == "date"]
    return pd.read_csv(
        ROOT / f"data/{name}.csv",
        keep_default_na=False,
        na_values=[""],
        parse_dates=dates,
        dtype={f["name"]: PANDAS[f["type"]] for f in _fields(name) if f["type"] != "date"},
    )


def pandas_parquet(name: str) -> pd.DataFrame:
    """README's pandas route from the Parquet twin: nullable types, dates made datetime64."""
    frame = pd.read_parquet(ROOT / f"data/{name}.parquet", dtype_backend="numpy_nullable")
    dates = [f["name"] for f in _fields(name) if f["type"] == "date"]
    frame[dates] = frame[dates].astype("datetime64[ms]")
    return frame


def _pyarrow_csv(name: str) -> pa.Table:
    return pacsv.read_csv(
        ROOT / f"data/{name}.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={f["name"]: arrow_type(f["type"]) for f in _fields(name)},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


POLARS = {"string": pl.String, "number": pl.Float64, "integer": pl.Int64, "boolean": pl.Boolean, "date": pl.Date}


def _polars_csv(name: str) -> pl.DataFrame:
    return pl.read_csv(
        ROOT / f"data/{name}.csv", schema={f["name"]: POLARS[f["type"]] for f in _fields(name)}, null_values=[""]
    )


def _duckdb_csv(name: str):
    columns = ", ".join(f"'{f['name']}': '{TYPES[f['type']].duckdb}'" for f in _fields(name))
    return duckdb.sql(
        f"SELECT * FROM read_csv('{ROOT / f'data/{name}.csv'}', header = true, columns = {{{columns}}}, "
        "nullstr = '', allow_quoted_nulls = false, auto_detect = false)"
    )


@cache
def _frictionless_package(descriptor: str) -> frictionless.Package:
    return frictionless.Package(descriptor)


def _frictionless(descriptor: str, resource: str) -> list[tuple]:
    rows = _frictionless_package(descriptor).get_table_resource(resource).read_rows()
    return _rows(tuple(r.values()) for r in rows)


@cache
def _zip(tmp: str) -> str:
    """The package as a zip of its descriptor and every file the descriptor names."""
    path = Path(tmp) / "package.zip"
    descriptor = d.descriptor()
    files = (
        {"datapackage.json"}
        | {r["path"] for r in descriptor["resources"]}
        | {r["schema"] for r in descriptor["resources"]}
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(files):
            archive.write(ROOT / name, name)
    return str(path)


@cache
def r_tables() -> dict:
    """Every table as R/read_package.R reads it, with each column's R class."""
    rscript = _runtime("Rscript", "apt-get install r-base-core r-cran-readr r-cran-jsonlite")
    code = (
        "source('R/read_package.R'); t <- read_package('.'); "
        "cat(jsonlite::toJSON(list(tables = t, classes = lapply(t, function(x) lapply(x, class))), "
        "dataframe = 'values', "
        "Date = 'ISO8601', factor = 'string', na = 'null', digits = NA, auto_unbox = TRUE))"
    )
    result = subprocess.run([rscript, "--vanilla", "-e", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


V1 = ROOT / "tests" / "v1"


@cache
def v1_tables(descriptor: str) -> dict:
    """Every table as the Data Package v1 reader (npm datapackage, pinned in tests/v1) reads it."""
    node = _runtime("node", "apt-get install nodejs npm")
    with open(V1 / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # test workers in parallel install it once
        if not (V1 / "node_modules" / "datapackage").is_dir():
            npm = _runtime("npm", "apt-get install npm")
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=V1, check=True)
    result = subprocess.run([node, str(V1 / "read_v1.js"), descriptor], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


READERS = {
    "load-pandas": lambda name: _rows(d.load(name).itertuples(index=False)),
    "load-polars": lambda name: _rows(d.load(name, "polars").iter_rows()),
    "load-arrow": lambda name: _rows(tuple(r.values()) for r in d.load(name, "arrow").to_pylist()),
    "load-duckdb": lambda name: _rows(d.load(name, "duckdb").fetchall()),
    "pandas-csv": lambda name: _rows(pandas_csv(name).itertuples(index=False)),
    "pandas-parquet": lambda name: _rows(pandas_parquet(name).itertuples(index=False)),
    "pyarrow-csv": lambda name: _rows(tuple(r.values()) for r in _pyarrow_csv(name).to_pylist()),
    "polars-csv": lambda name: _rows(_polars_csv(name).iter_rows()),
    "polars-parquet": lambda name: _rows(pl.read_parquet(ROOT / f"data/{name}.parquet").iter_rows()),
    "duckdb-csv": lambda name: _rows(_duckdb_csv(name).fetchall()),
    "duckdb-parquet": lambda name: _rows(
        duckdb.sql(f"SELECT * FROM read_parquet('{ROOT / f'data/{name}.parquet'}')").fetchall()
    ),
    "frictionless-folder-csv": lambda name: _frictionless(str(ROOT / "datapackage.json"), name),
    "frictionless-folder-parquet": lambda name: _frictionless(str(ROOT / "datapackage.json"), f"{name}-parquet"),
    "frictionless-v1-descriptor": lambda name: _frictionless(str(ROOT / "datapackage-v1.json"), name),
    "R-readr": lambda name: _dates_from_iso(name, _rows(tuple(r) for r in r_tables()["tables"][name])),
    "v1-datapackage-js": lambda name: _dates_from_iso(
        name, _rows(v1_tables(str(ROOT / "datapackage-v1.json"))["tables"][name])
    ),
}


# the table every fast run reads with every reader: the one with the most kinds of cell
REPRESENTATIVE = "statistics"


def _matrix(readers: list[str]) -> list:
    """(reader, table) pairs: every pair, those outside make test's sample marked slow."""
    params = []
    for i, reader in enumerate(readers):
        fast = {REPRESENTATIVE, NAMES[i % len(NAMES)]}
        params += [
            pytest.param(name, reader, id=f"{name}-{reader}", marks=() if name in fast else pytest.mark.slow)
            for name in NAMES
        ]
    return params


def _tables(fast: set[str] = {REPRESENTATIVE}) -> list:  # noqa: B006 (read, never changed)
    return [pytest.param(name, id=name, marks=() if name in fast else pytest.mark.slow) for name in NAMES]


@pytest.mark.parametrize(("name", "reader"), _matrix(list(READERS)))
def test_reader_gives_every_row_and_value(reader: str, name: str) -> None:
    assert READERS[reader](name) == expected(name)


@pytest.mark.parametrize("resource", ["", "-parquet"])
@pytest.mark.parametrize("name", _tables())
def test_frictionless_reads_the_zipped_package(tmp_path_factory, name: str, resource: str) -> None:
    assert _frictionless(_zip(str(tmp_path_factory.getbasetemp())), name + resource) == expected(name)


# --- types ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _tables())
def test_r_types_come_from_the_table_schema(name: str) -> None:
    classes = r_tables()["classes"][name]
    assert [classes[f["name"]] for f in _fields(name)] == [
        "factor" if f.get("constraints", {}).get("enum") else TYPES[f["type"]].r for f in _fields(name)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_csv_readers_typed_by_the_schema_agree_with_the_parquet_twin(name: str) -> None:
    """Each library reading the CSV with the README's type map gives the types it gives the Parquet twin, whose
    types the build wrote (tests/test_tables.py checks them against the Table Schema)."""
    twin = ROOT / f"data/{name}.parquet"
    assert _pyarrow_csv(name).schema.types == pq.read_schema(twin).types
    assert _polars_csv(name).schema == pl.read_parquet_schema(twin)
    assert _duckdb_csv(name).types == duckdb.sql(f"SELECT * FROM read_parquet('{twin}')").types

    # the README's two pandas routes give the same types (dates may differ in unit only)
    def kinds(frame: pd.DataFrame) -> list[str]:
        return ["datetime64" if pd.api.types.is_datetime64_any_dtype(t) else str(t) for t in frame.dtypes]

    assert kinds(pandas_csv(name)) == kinds(pandas_parquet(name))
    assert len(set(kinds(pandas_csv(name)))) > 1 or name != REPRESENTATIVE  # typed, not all text


def test_v1_reader_fails_on_the_v2_descriptor_and_reads_every_table_of_the_v1_one() -> None:
    """Why datapackage-v1.json exists: v1 readers do not understand v2's labelled missing values."""
    v2 = v1_tables(str(ROOT / "datapackage.json"))
    failing = {
        name
        for name in NAMES
        if name in v2["errors"] or _dates_from_iso(name, _rows(v2["tables"][name])) != expected(name)
    }
    assert failing, "the v1 reader now reads the v2 descriptor: datapackage-v1.json may be unneeded"
    v1 = v1_tables(str(ROOT / "datapackage-v1.json"))
    assert v1["errors"] == {} and v1["descriptor_errors"] == []
    assert sorted(v1["tables"]) == sorted(NAMES)


def test_duckdb_joins_statistics_to_indicators_across_the_foreign_key() -> None:
    statistics = pq.read_table(ROOT / "data/statistics.parquet").to_pylist()
    units = {r["indicator_id"]: r["unit"] for r in pq.read_table(ROOT / "data/indicators.parquet").to_pylist()}
    first = statistics[0]  # the statistics of the first one's indicator and geography
    rows = duckdb.sql(
        f"""
        SELECT s.statistic_id, i.unit, s.value
        FROM read_parquet('{ROOT / "data/statistics.parquet"}') s
        JOIN read_parquet('{ROOT / "data/indicators.parquet"}') i USING (indicator_id)
        WHERE s.geography_id IS NOT DISTINCT FROM $geography AND i.indicator_id = $indicator
        ORDER BY s.statistic_id""",
        params={"geography": first["geography_id"], "indicator": first["indicator_id"]},
    ).fetchall()
    expected_rows = sorted(
        (s["statistic_id"], units[s["indicator_id"]], s["value"])
        for s in statistics
        if (s["indicator_id"], s["geography_id"]) == (first["indicator_id"], first["geography_id"])
    )
    assert rows == expected_rows and rows
