"""The tables as one SQLite database, and a Datasette metadata file, both derived from the descriptor and schemas.

Columns get SQLite types from the Table Schema (dates as ISO text, booleans as 0/1), missing values are NULL,
and primary and foreign keys are declared. The database is built in memory and serialised, so no temporary file
is written anywhere. Its bytes depend only on the rows and on the SQLite library: the same library gives the same
bytes (the header records the library's version, so another SQLite version gives other bytes for the same rows).
"""

from __future__ import annotations

import datetime
import sqlite3
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import Package, Table
from .types import TYPES

PAGE_SIZE = 4096


class SQLiteFailed(Exception):
    """The database built from the tables fails an integrity or foreign-key check."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_statement(table: Table, package: Package) -> str:
    lines = [f"{_q(f.name)} {TYPES[f.type].sqlite}{' NOT NULL' if f.required else ''}" for f in table.fields]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(map(_q, table.primary_key))})")
    for fk in table.foreign_keys:
        lines.append(
            f"FOREIGN KEY ({', '.join(map(_q, fk.fields))}) "
            f"REFERENCES {_q(fk.resource)} ({', '.join(map(_q, fk.ref_fields))})"
        )
    return f"CREATE TABLE {_q(table.name)} (\n  " + ",\n  ".join(lines) + "\n)"


def _parent_keys(package: Package) -> dict[str, set[tuple[str, ...]]]:
    """The referenced columns that are not a primary key: SQLite needs a unique index on them to check the key."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for table in package.tables.values():
        for fk in table.foreign_keys:
            parent = package.tables[fk.resource]
            if list(fk.ref_fields) != parent.primary_key:
                out.setdefault(fk.resource, set()).add(fk.ref_fields)
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _all_tables(package: Package) -> dict[str, Table]:
    """The curated tables and the derived ones (figures_wide, events_wide), by name."""
    return dict(sorted((package.tables | package.derived).items()))


def sqlite_bytes(package: Package, parquet: dict[str, bytes]) -> bytes:
    """The database of every table, the derived ones too, from the Parquet twins' bytes (`parquet` maps table name
    to bytes)."""
    tables = _all_tables(package)
    con = sqlite3.connect(":memory:")
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute("PRAGMA foreign_keys = OFF")  # tables reference each other: load all, then check
        for table in tables.values():
            con.execute(create_statement(table, package))
        for parent, keys in sorted(_parent_keys(package).items()):
            for i, key in enumerate(sorted(keys)):
                con.execute(
                    f"CREATE UNIQUE INDEX {_q(f'{parent}_key_{i}')} ON {_q(parent)} ({', '.join(map(_q, key))})"
                )
        for name, table in tables.items():
            arrow = pq.read_table(pa.BufferReader(parquet[name]))
            names = table.field_names
            rows = [tuple(_cell(row[n]) for n in names) for row in arrow.select(names).to_pylist()]
            con.executemany(f"INSERT INTO {_q(name)} VALUES ({', '.join('?' * len(names))})", rows)
        con.commit()
        con.execute("VACUUM")  # pages in a canonical order, whatever the inserts did
        check(con)
        return con.serialize()
    finally:
        con.close()


def check(con: sqlite3.Connection) -> None:
    integrity = [row[0] for row in con.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        raise SQLiteFailed(f"PRAGMA integrity_check: {'; '.join(integrity[:3])}")
    broken = con.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise SQLiteFailed(
            f"PRAGMA foreign_key_check: {len(broken)} broken keys, the first in {table} row {rowid} to {parent}"
        )


def datasette_metadata(package: Package, database: str) -> dict[str, Any]:
    """Datasette's metadata: the package's title, description, license and sources; each table's and column's."""
    descriptor = package.descriptor
    licenses = descriptor.get("licenses") or [{}]
    sources = [s.get("title", "") for s in descriptor.get("sources", []) if isinstance(s, dict)]
    meta: dict[str, Any] = {
        "title": descriptor.get("title", package.name),
        "description": descriptor.get("description", ""),
        "license": licenses[0].get("name", ""),
        "license_url": licenses[0].get("path", ""),
        "source": "; ".join(sources),
        "databases": {database: {"tables": {}}},
    }
    if package.version:
        meta["title"] += f" ({package.version})"
    for name, table in _all_tables(package).items():
        derived = f" Derived from {', '.join(table.derived_from)}." if table.derived_from else ""
        meta["databases"][database]["tables"][name] = {
            "title": table.title,
            "description": table.description + derived,
            "columns": {f.name: f.descriptor.get("description", "") for f in table.fields},
        }
    return meta
