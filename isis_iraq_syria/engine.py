"""The engine that runs the rules: DuckDB over the typed Arrow tables the strict reader produced.

Each table is registered under its name with a `row_` column (its row's position), without copying. Tables that
the rules join but that are not in the package (date expressions resolved by dates.py, the ISO 3166 codes, the
names found in quotes) are computed once in Python, when a rule first reads them, and registered beside them. A
rule's failing rows become failures here: the row's key and CSV line, and the message from the rule's template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from .report import Failure
from .rules.model import Rule
from .rules.views import MATERIALIZED, VIEWS, views_named
from .schema import Package
from .tables import row_keys

ROW = "row_"
DIALECTS = ("duckdb", "spark", "trino", "bigquery")


@dataclass
class Context:
    """What a rule's query or check reads: the package's typed tables and, with --archive, its documents' texts."""

    package: Package
    frames: dict[str, pl.DataFrame]
    archive: dict[str, str] | None = None  # sha256 of a document's bytes -> its text
    derived: Mapping[str, Callable[[Context], pa.Table | pl.DataFrame]] = field(default_factory=dict)
    # the engine's SQL, for a check that compares files with the tables (set by the Engine)
    sql: Callable[[str], pa.Table] | None = None
    # what a check computed once and another reads (the resources derived from the files, with their hashes)
    memo: dict[str, Any] = field(default_factory=dict)


class Engine:
    def __init__(self, ctx: Context, threads: int | None = None) -> None:
        self.ctx = ctx
        # the order of a query's rows is not needed (failures are sorted when reported): DuckDB then holds less
        config: dict[str, Any] = {"preserve_insertion_order": False} | ({"threads": threads} if threads else {})
        self.con = duckdb.connect(config=config)
        ctx.sql = self.query
        for name, frame in ctx.frames.items():
            # string views as polars holds them: the default (large strings) copies every string cell
            self.con.register(name, frame.with_row_index(ROW).to_arrow(compat_level=pl.CompatLevel.newest()))
        self._registered = set(ctx.frames)
        self._views: set[str] = set()
        self._keys: dict[str, pl.Series] = {}

    def create_views(self, sql: str) -> None:
        """Create, once, the declared views the query reads (and those they read)."""
        for name in views_named(sql):
            if name not in self._views:
                self.register_derived(n for n in self.ctx.derived if re.search(rf"\b{n}\b", VIEWS[name]))
                kind = "TABLE" if name in MATERIALIZED else "VIEW"
                self.con.execute(f'CREATE TEMP {kind} "{name}" AS {VIEWS[name]}')
                self._views.add(name)

    def register_derived(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._registered or name not in self.ctx.derived:
                continue
            table = self.ctx.derived[name](self.ctx)
            self.con.register(name, table.to_arrow() if isinstance(table, pl.DataFrame) else table)
            self._registered.add(name)

    def export(self, folder: Path) -> list[Path]:
        """Every table the rules read, with its row_ column, and every derived table, as Parquet files in `folder`:
        what another engine needs to run the queries of `listing`."""
        import pyarrow.parquet as pq

        self.register_derived(self.ctx.derived)
        written = []
        for name in sorted(self._registered):
            table = self.query(f'SELECT * FROM "{name}"')
            if ROW in table.column_names:  # unsigned integers are not every engine's
                table = table.set_column(table.column_names.index(ROW), ROW, table[ROW].cast(pa.int64()))
            pq.write_table(table, folder / f"{name}.parquet")
            written.append(folder / f"{name}.parquet")
        return written

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def rows(self, rule: Rule) -> list[dict[str, Any]]:
        """The rule's failing rows: its query's, or its check's."""
        sql = rule.query(self.ctx.package)
        if sql is not None:
            self.create_views(sql)
            # the derived tables its text names (a word search: parsing a query of a hundred UNIONs takes longer
            # than running it)
            self.register_derived(name for name in self.ctx.derived if re.search(rf"\b{name}\b", sql))
            found: list[dict[str, Any]] = self.query(sql).to_pylist()
            return found
        if rule.check is not None:
            return list(rule.check(self.ctx))
        return []

    def failures(self, rule: Rule) -> list[Failure]:
        return [self.failure(rule, row) for row in self.rows(rule)]

    def key(self, table: str, row: int | None) -> str:
        if row is None or table not in self.ctx.frames:
            return ""
        if table not in self._keys:
            self._keys[table] = row_keys(self.ctx.package.tables[table], self.ctx.frames[table])
        key: str = self._keys[table][row]
        return key

    def failure(self, rule: Rule, row: Mapping[str, Any]) -> Failure:
        values, message = rule.describe(row)
        position = row.get(ROW)
        table = row.get("tbl") or ""
        return Failure(
            table,
            row["key_"] if row.get("key_") is not None else self.key(table, position),
            row.get("col") or "",
            None if position is None else int(position) + 2,
            rule.id,
            values,
            message,
        )


def export_package(package: Package, folder: Path) -> list[Path]:
    """Every table with its row_ column, and every derived table, as Parquet in `folder`, a new or empty one."""
    from .rules import DERIVED
    from .safety import CannotRun
    from .tables import read_package

    if str(folder) == "" or (folder.exists() and (not folder.is_dir() or folder.is_symlink() or any(folder.iterdir()))):
        raise CannotRun(f"--export {folder}: give a new or empty folder")
    frames, failures, _ = read_package(package)
    if len(frames) < len(package.tables):
        raise CannotRun(f"{failures[0].resource}: {failures[0].message} (run validate)")
    folder.mkdir(parents=True, exist_ok=True)
    return Engine(Context(package, frames, None, DERIVED)).export(folder)


def transpile(sql: str, dialect: str) -> str:
    """A rule's query in another engine's SQL (sqlglot)."""
    import sqlglot

    if dialect == "duckdb":
        return sql.strip()
    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]


def listing(package: Package, dialect: str = "duckdb") -> str:
    """Every declared rule as a commented query in `dialect`: what a warehouse runs to find the failing rows."""
    from .rules import DERIVED, RULES

    out = [
        f"-- isis-iraq-syria {package.version}: each query returns a rule's failing rows (tbl, row_, col, values).",
        "-- Every table has a row_ column: its row's position in the CSV (line - 2).",
        f"-- Tables computed in Python that the queries join: {', '.join(sorted(DERIVED)) or 'none'}.",
        "-- Views the queries read, created first:",
        "",
    ]
    temporary = "TEMPORARY " if dialect in ("duckdb", "spark") else ""  # Trino and BigQuery keep views in a schema
    for name, body in VIEWS.items():
        out += [transpile(f"CREATE OR REPLACE {temporary}VIEW {name} AS {body}", dialect).rstrip(";") + ";", ""]
    for rule in RULES:
        if not isinstance(rule, Rule):
            continue
        sql = rule.query(package)
        out.append(f"-- {rule.id}: {rule.reason}")
        if sql is None:
            out += [
                f"-- (reads the {'archived documents' if rule.stage == 'archive' else 'files'} in Python: no query)",
                "",
            ]
            continue
        out += [transpile(sql, dialect).rstrip().rstrip(";") + ";", ""]
    return "\n".join(out)
