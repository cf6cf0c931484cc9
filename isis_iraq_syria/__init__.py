"""isis-iraq-syria: a curated data package of Islamic State activity in Iraq and Syria and the response to it.

    import isis_iraq_syria as d
    d.tables()                       # every table and its description
    d.load("statistics")             # a pandas DataFrame typed by the Table Schema
    d.load("statistics", "polars")   # or "arrow", "duckdb"
    d.descriptor()                   # datapackage.json

Importing this module imports no data library: each engine's is imported when it is asked for.
"""

from .loaders import ENGINES, UnknownTableError, arrow_schema, connect, descriptor, load, path, root, schema, tables

__all__ = ["ENGINES", "UnknownTableError", "arrow_schema", "connect", "descriptor", "load", "path", "root", "schema", "tables", "__version__"]


def __getattr__(name: str):
    # the data's version, read from the descriptor when asked: the one place it is written
    if name == "__version__":
        return descriptor()["version"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
