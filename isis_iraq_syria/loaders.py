"""Loading the tables into pandas, polars, Arrow or DuckDB, with the types their Table Schemas give.

This module imports only the standard library at import time: `import isis_iraq_syria` stays light, and each
engine's library is imported when it is asked for. Everything is read from the descriptor and the Table Schemas,
so a new table or column needs no change here.

Every path the descriptor gives goes through the package's one path check (safety.read_inside: no '..', no absolute
path, no symlink, a regular file), and each file is checked against the sha256 (and the `bytes`) its descriptor
resource gives before a value is read from it: a resource without a sha256 is refused.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from .types import TYPES, arrow_type, pandas_type

if TYPE_CHECKING:  # for the annotations only: at run time each engine is imported when it is asked for
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

DESCRIPTOR = "datapackage.json"
ENGINES = ("pandas", "polars", "arrow", "duckdb")
# Where a wheel puts the descriptor, data/ and schemas/ (see pyproject.toml); a checkout has them at its top.
BUNDLED = "_package"


class UnknownTableError(KeyError):
    """A table name that the package does not have."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class DamagedFileError(ValueError):
    """A package file whose size or hash is not the one its descriptor gives: it is read as no values at all."""


def root() -> Path:
    """The folder holding datapackage.json, data/ and schemas/: inside the installed package, or the checkout."""
    here = Path(__file__).resolve().parent
    bundled = here / BUNDLED
    return bundled if (bundled / DESCRIPTOR).is_file() else here.parent


def _read(relative: str) -> bytes:
    """A file of the package by its descriptor path, through the package's one path check."""
    from .safety import read_inside

    return read_inside(root(), relative)


def _read_json(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_read(relative).decode("utf-8"))
    return data


def descriptor() -> dict[str, Any]:
    """The Data Package descriptor (datapackage.json), a fresh copy on each call."""
    return _read_json(DESCRIPTOR)


def _resources() -> list[dict[str, Any]]:
    # A table is a CSV resource; its Parquet twin is the Parquet resource with the same Table Schema.
    return [r for r in descriptor()["resources"] if r.get("format") == "csv"]


def tables() -> dict[str, str]:
    """Every table's name and description, in the descriptor's order."""
    return {r["name"]: r.get("description", "") for r in _resources()}


def _resource(name: str) -> dict[str, Any]:
    if not isinstance(name, str):
        raise TypeError(
            f"a table name is a str, not {type(name).__name__} ({name!r}); for several tables: "
            "{name: isis_iraq_syria.load(name) for name in names}"
        )
    resources = {r["name"]: r for r in _resources()}
    if name not in resources:
        close = difflib.get_close_matches(str(name), resources, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownTableError(f"No table {name!r} in isis-iraq-syria.{hint} Tables: {', '.join(resources)}.")
    return resources[name]


def schema(name: str) -> dict[str, Any]:
    """The Table Schema of a table."""
    return _read_json(_resource(name)["schema"])


def _file(name: str, format: str) -> dict[str, Any]:
    """The resource of a table's file in a format: its CSV (the table's own resource) or its Parquet twin."""
    if not isinstance(format, str) or format not in ("csv", "parquet"):
        raise ValueError(f"format {format!r}: a table's file is 'parquet' (typed) or 'csv' (the source of truth)")
    resource = _resource(name)
    if format == "csv":
        return resource
    twin: dict[str, Any] | None = next(
        (r for r in descriptor()["resources"] if r.get("format") == format and r.get("schema") == resource["schema"]),
        None,
    )
    if twin is None:
        raise ValueError(f"table {name!r} has no {format!r} file")
    return twin


def path(name: str, format: str = "parquet") -> Path:
    """The file of a table: its Parquet twin (typed) or its CSV (the source of truth)."""
    from .safety import safe_relpath

    return root() / safe_relpath(_file(name, format).get("path"))


def _checked(resource: dict[str, Any]) -> bytes:
    """The bytes of a resource's file, after checking them against the size and the sha256 its descriptor gives. A
    resource without a sha256 is refused: a descriptor that gives none (or a weaker hash) checks nothing."""
    from .safety import Unsafe

    relative = resource.get("path")
    if not isinstance(relative, str):
        raise Unsafe(f"datapackage.json: resource {resource.get('name')!r} has no path")
    expected = resource.get("hash")
    if not isinstance(expected, str) or not expected.startswith("sha256:"):
        given = "no hash" if expected is None else f"the hash {expected!r}"
        raise DamagedFileError(
            f"{relative}: datapackage.json gives {given}, not a sha256, so the file cannot be checked; reinstall the "
            "package (or run make in a checkout)"
        )
    try:
        data = _read(relative)
    except OSError as err:  # unreadable (permissions, a folder, an I/O error): damaged as far as a reader can tell
        raise DamagedFileError(f"{relative}: cannot be read ({err.strerror or type(err).__name__})") from err
    size = resource.get("bytes")
    if size is not None and size != len(data):
        raise DamagedFileError(
            f"{relative}: {len(data)} bytes where datapackage.json says {size}: the file is damaged or was changed "
            "since the package was built; reinstall the package (or run make in a checkout)"
        )
    digest = expected.removeprefix("sha256:")
    found = hashlib.sha256(data).hexdigest()
    if found != digest.lower():
        raise DamagedFileError(
            f"{relative}: its sha256 is {found}, not the {digest} datapackage.json gives: the file is damaged or was "
            "changed since the package was built; reinstall the package (or run make in a checkout)"
        )
    return data


def _enum(field: dict[str, Any]) -> list[Any] | None:
    return cast("list[Any] | None", field.get("constraints", {}).get("enum"))


def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of a table as loaded: the Table Schema's types, allowed values as dictionary columns."""
    import pyarrow as pa

    fields = []
    for field in schema(name)["fields"]:
        type_ = arrow_type(field.get("type", "string"))
        if _enum(field) is not None:
            type_ = pa.dictionary(pa.int32(), type_)
        fields.append(pa.field(field["name"], type_, nullable=not field.get("constraints", {}).get("required", False)))
    return pa.schema(fields)


def _arrow(name: str) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    # from the bytes that were checked, so that a file swapped after the check is not the one read
    table = pq.read_table(io.BytesIO(_checked(_file(name, "parquet"))))
    columns = []
    for field in schema(name)["fields"]:
        column = table.column(field["name"]).combine_chunks().cast(arrow_type(field.get("type", "string")))
        enum = _enum(field)
        if enum is not None:
            # the dictionary is the schema's allowed values in its order, whether or not the data uses them all
            values = pa.array(enum, arrow_type(field.get("type", "string")))
            column = pa.DictionaryArray.from_arrays(pc.index_in(column, value_set=values).cast(pa.int32()), values)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=arrow_schema(name).with_metadata(table.schema.metadata))


def _pandas(name: str) -> pd.DataFrame:
    import pandas as pd

    # pandas' nullable types (types.TYPES): missing cells are pd.NA, integers stay integers
    mapping = {arrow_type(t): pandas_type(t) for t in TYPES if t != "date"}
    frame: pd.DataFrame = _arrow(name).to_pandas(types_mapper=mapping.get, date_as_object=False)
    for field in schema(name)["fields"]:
        column = field["name"]
        if _enum(field) is not None:
            # categories in the schema's order, all of them, whether or not the data uses them
            frame[column] = frame[column].astype(pd.CategoricalDtype(_enum(field)))
        elif field.get("type") == "date":
            frame[column] = frame[column].astype(pandas_type("date"))
    return frame


def _polars(name: str) -> pl.DataFrame:
    import polars as pl

    frame = cast("pl.DataFrame", pl.from_arrow(_arrow(name)))  # a Table gives a DataFrame, never a Series
    enums = {f["name"]: enum for f in schema(name)["fields"] if (enum := _enum(f)) is not None}
    return frame.with_columns(pl.col(column).cast(pl.Enum(enum)) for column, enum in enums.items())


def _sql_literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _sql_name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def view_sql(name: str) -> str:
    """CREATE VIEW for one table over its Parquet twin, allowed values as DuckDB ENUMs."""
    columns = []
    for field in schema(name)["fields"]:
        enum = _enum(field)
        if enum is not None:
            type_ = f"ENUM({', '.join(_sql_literal(v) for v in enum)})"
        else:
            type_ = TYPES[field.get("type", "string")].duckdb
        columns.append(f"CAST({_sql_name(field['name'])} AS {type_}) AS {_sql_name(field['name'])}")
    _checked(_file(name, "parquet"))  # DuckDB reads the file itself: it is checked first
    source = f"read_parquet({_sql_literal(path(name).as_posix())})"
    return f"CREATE OR REPLACE VIEW {_sql_name(name)} AS SELECT {', '.join(columns)} FROM {source}"


def connect(connection: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (a new in-memory one, or the one given) with every table as a view of its name."""
    import duckdb

    connection = connection if connection is not None else duckdb.connect()
    for name in tables():
        connection.execute(view_sql(name))
    return connection


def _duckdb(name: str) -> duckdb.DuckDBPyRelation:
    return connect().table(name)


_LOADERS = {"pandas": _pandas, "polars": _polars, "arrow": _arrow, "duckdb": _duckdb}


@overload
def load(name: str, engine: Literal["pandas"] = "pandas") -> pd.DataFrame: ...
@overload
def load(name: str, engine: Literal["polars"]) -> pl.DataFrame: ...
@overload
def load(name: str, engine: Literal["arrow"]) -> pa.Table: ...
@overload
def load(name: str, engine: Literal["duckdb"]) -> duckdb.DuckDBPyRelation: ...
@overload
def load(name: str, engine: str) -> pd.DataFrame | pl.DataFrame | pa.Table | duckdb.DuckDBPyRelation: ...


def load(name: str, engine: str = "pandas") -> pd.DataFrame | pl.DataFrame | pa.Table | duckdb.DuckDBPyRelation:
    """One table, typed as its Table Schema says.

    engine "pandas" (a DataFrame with nullable types), "polars" (a DataFrame), "arrow" (a pyarrow Table) or
    "duckdb" (a relation on a connection where every table is a view, so that it joins with the others).
    Allowed values are categoricals (pandas Categorical, polars Enum, Arrow dictionary, DuckDB ENUM).
    """
    if not isinstance(engine, str) or engine not in _LOADERS:
        raise ValueError(f"Unknown engine {engine!r}; use one of {', '.join(ENGINES)} (a str).")
    _resource(name)  # an unknown name fails here, with the list of tables, before any library is imported
    try:
        return _LOADERS[engine](name)
    except ModuleNotFoundError as err:
        extra = "" if engine == "arrow" else f"[{engine}]"
        message = f"engine {engine!r} needs {err.name}: pip install 'isis-iraq-syria{extra}'"
        raise ModuleNotFoundError(message, name=err.name) from err
