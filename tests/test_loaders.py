"""isis_iraq_syria.load() and its companions: types exactly as the Table Schemas say, for every table and engine."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import isis_iraq_syria as d
from conftest import ROOT
from isis_iraq_syria import ENGINES, loaders
from isis_iraq_syria.loaders import DamagedFileError
from isis_iraq_syria.safety import Unsafe

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
    assert (frame[column].dt.date == day).sum() == count


def test_date_comparisons_with_a_datetime_date_are_as_the_readme_says() -> None:
    """pandas: == matches no row and != every row (the empty dates too), <, <=, >, >= raise; polars: all four
    compare, an empty date matches none, and a string is refused."""
    import operator

    day = dt.date(2024, 1, 1)
    frame = d.load("statistics")
    column = frame["period_start"]
    empty = int(column.isna().sum())
    assert empty > 0 and (column == pd.Timestamp(day)).sum() > 0
    assert (column == day).sum() == 0 and (column != day).sum() == len(frame)
    for compare in (operator.lt, operator.le, operator.gt, operator.ge):
        with pytest.raises(TypeError):
            compare(column, day)
    polars = d.load("statistics", engine="polars")
    values = [v for v in polars["period_start"].to_list() if v is not None]
    for compare in (operator.eq, operator.ne, operator.lt, operator.ge):
        assert polars.filter(compare(pl.col("period_start"), day)).height == sum(compare(v, day) for v in values)
        with pytest.raises(pl.exceptions.InvalidOperationError):
            polars.filter(compare(pl.col("period_start"), day.isoformat()))


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


# --- hostile input: the descriptor's paths and the files' bytes ------------------------------------------------


@pytest.fixture
def hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the checkout with the descriptor the build wrote, which gives each file's sha256 and each CSV's
    size, that the loaders read instead of the checkout."""
    root = tmp_path / "pkg"
    for folder in ("data", "schemas"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "datapackage.json", root / "datapackage.json")
    assert all(
        r["hash"].startswith("sha256:") for r in json.loads((root / "datapackage.json").read_text())["resources"]
    )
    monkeypatch.setattr(loaders, "root", lambda: root)
    return root


def _write_descriptor(root: Path, descriptor: dict) -> None:
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2))


def _set(root: Path, resource: str, **changes: object) -> None:
    descriptor = json.loads((root / "datapackage.json").read_text())
    next(r for r in descriptor["resources"] if r["name"] == resource).update(changes)
    _write_descriptor(root, descriptor)


def test_checked_files_load_the_same_values(hashed: Path) -> None:
    for engine in ("pandas", "polars", "arrow"):
        assert d.load("statistics", engine).equals(_checkout(lambda e=engine: d.load("statistics", e)))
    assert d.load("statistics", "duckdb").fetchall() == _checkout(lambda: d.load("statistics", "duckdb").fetchall())


def _checkout(call):
    """`call` with the loaders on the checkout again."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loaders, "root", lambda: ROOT)
        return call()


@pytest.mark.parametrize("target", ["../../../etc/passwd", "/etc/passwd", "data/../../outside.csv"])
def test_a_descriptor_path_leaving_the_package_is_an_error_not_a_file_outside(hashed: Path, target: str) -> None:
    (hashed.parent / "outside.csv").write_text("actor_id,name\nx,y\n")
    _set(hashed, "actor_names", path=target)
    _set(hashed, "actor_names-parquet", path=target)
    for call in (lambda: d.path("actor_names", "csv"), lambda: d.path("actor_names"), lambda: d.load("actor_names")):
        with pytest.raises(Unsafe, match=re.escape(repr(target)) + " leaves the package"):
            call()
    with pytest.raises(Unsafe, match="leaves the package"):
        d.connect()


def test_a_schema_path_leaving_the_package_is_an_error(hashed: Path) -> None:
    _set(hashed, "actor_names", schema="../../../etc/passwd")
    with pytest.raises(Unsafe, match="leaves the package"):
        d.schema("actor_names")


def test_a_data_file_that_is_a_symlink_is_refused(hashed: Path) -> None:
    parquet = hashed / "data" / "statistics.parquet"
    outside = hashed.parent / "statistics.parquet"
    parquet.rename(outside)
    parquet.symlink_to(outside)
    with pytest.raises(Unsafe, match="symbolic link"):
        d.load("statistics")


def _silently_damaged(data: bytes) -> bytes:
    """The file with one bit flipped where Parquet reads it without an error, as other values."""
    values = pq.read_table(io.BytesIO(data))
    for position in range(0, len(data), 53):
        damaged = bytearray(data)
        damaged[position] ^= 1
        try:
            if not pq.read_table(io.BytesIO(bytes(damaged))).equals(values):
                return bytes(damaged)
        except (OSError, ValueError):  # pyarrow saw this one
            continue
    raise AssertionError("no silent single-bit flip found")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_parquet_file_with_a_flipped_bit_is_an_error_naming_it(hashed: Path, engine: str) -> None:
    parquet = hashed / "data" / "statistics.parquet"
    parquet.write_bytes(_silently_damaged(parquet.read_bytes()))
    with pytest.raises(DamagedFileError, match=r"^data/statistics\.parquet: its sha256 is [0-9a-f]{64}, not the "):
        d.load("statistics", engine)
    assert d.load("events", "arrow").num_rows > 0  # the other tables still load


def test_a_file_of_another_size_is_an_error_naming_it(hashed: Path) -> None:
    _set(hashed, "statistics-parquet", bytes=1)
    with pytest.raises(DamagedFileError, match=r"^data/statistics\.parquet: \d+ bytes where datapackage.json says 1"):
        d.load("statistics")


@pytest.mark.parametrize(
    "given,shown",
    [
        (None, "no hash"),
        ("md5", "the hash '{md5}'"),  # no algorithm: MD5, as the specification says, which is not a sha256
        ("md5:", "the hash 'md5:{md5}'"),
        ("shake_128:00", "the hash 'shake_128:00'"),  # hashlib wants a length for shake: a TypeError before
        (5, "the hash 5"),
    ],
)
def test_a_resource_without_a_sha256_is_refused_in_one_sentence(hashed: Path, given, shown: str) -> None:
    md5 = hashlib.md5((hashed / "data" / "statistics.parquet").read_bytes()).hexdigest()
    descriptor = json.loads((hashed / "datapackage.json").read_text())
    resource = next(r for r in descriptor["resources"] if r["name"] == "statistics-parquet")
    if given is None:
        del resource["hash"]
    else:
        resource["hash"] = {"md5": md5, "md5:": f"md5:{md5}"}.get(given, given)
    _write_descriptor(hashed, descriptor)
    expected = (
        f"data/statistics.parquet: datapackage.json gives {shown.format(md5=md5)}, not a sha256, so the file cannot "
        "be checked; reinstall the package (or run make in a checkout)"
    )
    with pytest.raises(DamagedFileError) as raised:
        d.load("statistics", "arrow")
    assert str(raised.value) == expected


def test_an_unreadable_file_is_a_damaged_file_naming_it(hashed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def denied(path, flags, *args, **kwargs):  # a file without read permission (the tests may run as root)
        if str(path).endswith("statistics.parquet"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(DamagedFileError, match=r"^data/statistics\.parquet: cannot be read \(Permission denied\)$"):
        d.load("statistics", "arrow")


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: d.load(["statistics"]), TypeError, r"a table name is a str, not list \(\['statistics'\]\)"),
        (lambda: d.load(["statistics", "events"]), TypeError, r"for several tables: \{name: "),
        (lambda: d.load(None), TypeError, "a table name is a str, not NoneType"),
        (lambda: d.schema(("statistics",)), TypeError, "a table name is a str, not tuple"),
        (lambda: d.load("statistics", engine=["pandas"]), ValueError, r"Unknown engine \['pandas'\]; use one of"),
        (lambda: d.load("statistics", engine=None), ValueError, "Unknown engine None"),
        (lambda: d.path("statistics", "xlsx"), ValueError, "'parquet' .* or 'csv'"),
    ],
)
def test_a_wrong_kind_of_argument_is_a_clear_error(call, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
