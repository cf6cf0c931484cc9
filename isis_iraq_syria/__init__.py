"""isis-iraq-syria: a curated data package of Islamic State activity in Iraq and Syria and the response to it.

    import isis_iraq_syria as d
    d.tables()                       # every table and its description
    d.load("statistics")             # a pandas DataFrame typed by the Table Schema
    d.load("statistics", "polars")   # or "arrow", "duckdb"
    d.descriptor()                   # datapackage.json

Importing this module imports no data library: each engine's is imported when it is asked for.
"""

from .loaders import ENGINES, UnknownTableError, arrow_schema, connect, descriptor, load, path, root, schema, tables

__all__ = [
    "ENGINES",
    "UnknownTableError",
    "__version__",
    "arrow_schema",
    "connect",
    "descriptor",
    "load",
    "path",
    "root",
    "schema",
    "tables",
]

import sys as _sys
import types as _types
from typing import Any as _Any


class _Package(_types.ModuleType):
    """Keeps `tables` and `schema` the functions of this API when the validator's modules of the same names
    (isis_iraq_syria.tables, isis_iraq_syria.schema) are imported: importing a submodule sets it as an attribute
    of its package, which would replace the function. The modules stay importable by their full names."""

    def __setattr__(self, name: str, value: _Any) -> None:
        if name in ("tables", "schema") and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> str:
    # the data's version, read from the descriptor when asked: the one place it is written
    if name == "__version__":
        return str(descriptor()["version"])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
