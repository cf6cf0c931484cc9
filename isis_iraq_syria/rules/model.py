"""What a rule is: one declaration holding its id, reason, message, the query of its failing rows and an example.

A rule over the tables is a SQL `SELECT` of its failing rows. Each row it returns names where the failure is:
`tbl` (the table), `row_` (the row's position in it: every table is given a `row_` column) and `col` (the column),
and carries the values its message template needs. A rule with several kinds of failure returns `case_` too, and
has a template for each. The engine (engine.py) runs the query; the rule knows nothing of how.

A rule that reads the archived documents or the files themselves is a Python `check` returning rows of the same
shape. Either way the example is data: a few edits of the real package's CSVs, and every failure (table, key,
column) the rule then reports. The rule tests and synth's planted violations are derived from the examples.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from ..report import fmt

Where = tuple[str, str, str]  # (table, primary key as text, column) of a failure


@dataclass(frozen=True)
class Quoted:
    """A table of passages copied from archived documents: which column names the document, which holds the text,
    and which hold its span (the text is document[start:end])."""

    table: str
    document: str
    quote: str = "quote"
    start: str = "quote_start"
    end: str = "quote_end"


# The tables whose rows quote the archived documents: the archive rules read them, and so do the tests' and
# synth's archives, rebuilt from the quotes.
EVIDENCE = [
    Quoted("statistic_evidence", "source_id"),
    Quoted("event_evidence", "source_id"),
    Quoted("claims", "source_id"),
    Quoted("citations", "citing_source_id"),
    Quoted("bases", "document_id"),
    Quoted("omissions", "document_id", "text", "start", "end"),
    Quoted("spans", "document_id", "text", "start", "end"),
]


@dataclass(frozen=True)
class Change:
    """One edit of a CSV, as a curator makes it: cells of the rows matching `where` changed, those rows deleted, or
    a row appended. `where` matches cells by their text; a str is the value of the table's first key column."""

    table: str
    op: str  # edit | delete | append | replace (the file's text) | truncate (the file emptied)
    where: Mapping[str, str] | str = field(default_factory=dict)
    cells: Mapping[str, str] = field(default_factory=dict)

    def matches(self, row: Mapping[str, str], first_key: str) -> bool:
        where = {first_key: self.where} if isinstance(self.where, str) else self.where
        return all(row.get(k) == v for k, v in where.items())

    def apply(self, rows: list[dict[str, str]], header: list[str], first_key: str) -> list[dict[str, str]]:
        """The rows after the change; a change that matches no row is a mistake in the example, and raises."""
        if self.op == "append":
            unknown = set(self.cells) - set(header)
            if unknown:
                raise ValueError(f"{self.table} has no column {sorted(unknown)}")
            return [*rows, {name: self.cells.get(name, "") for name in header}]
        hits = [row for row in rows if self.matches(row, first_key)]
        if not hits:
            raise ValueError(f"no row of {self.table} matches {self.where!r}")
        if self.op == "delete":
            return [row for row in rows if not self.matches(row, first_key)]
        return [{**row, **self.cells} if self.matches(row, first_key) else row for row in rows]


def edit(table: str, where: Mapping[str, str] | str, **cells: str) -> Change:
    return Change(table, "edit", where, cells)


def delete(table: str, where: Mapping[str, str] | str) -> Change:
    return Change(table, "delete", where)


def append(table: str, **cells: str) -> Change:
    return Change(table, "append", {}, cells)


def replace(table: str, old: str, new: str, count: int = 1) -> Change:
    """The file's text changed as a text editor would: `old` replaced by `new` (every one with count=-1)."""
    return Change(table, "replace", {"old": old, "count": str(count)}, {"new": new})


def truncate(table: str) -> Change:
    return Change(table, "truncate")


TEXT_CHANGES = ("replace", "truncate")  # changes of the file's text rather than of its rows


@dataclass(frozen=True)
class Example:
    """A corruption of the real package (`changes`) and every failure the rule then reports (`fails`). With
    `archive`, the rule runs with an archive rebuilt from the package's own quotes. `also` lists the failures of
    other rules the same corruption causes, as (rule, table, key, column): what the whole validator reports beside
    the rule's own (synth plants every example at once and expects exactly these)."""

    changes: tuple[Change, ...]
    fails: tuple[Where, ...]
    archive: bool = False
    also: tuple[tuple[str, str, str, str], ...] = ()


class _Template(string.Formatter):
    """Message templates: each value shown as a curator would type it (fmt); `{x!r}` quotes that text, and
    `{x:empty}` shows an empty value as the word 'empty'."""

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return super().convert_field(fmt(value), conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "empty":
            return cast(str, value or "empty")
        formatted: str = super().format_field(value, format_spec)
        return formatted


TEMPLATE = _Template()


def render(template: str, values: Mapping[str, Any]) -> str:
    return TEMPLATE.vformat(template, (), values)


@dataclass(frozen=True)
class Rule:
    """A named rule. `sql` (over the tables) or `check` (Python, over the documents or files) finds its failing
    rows; `message` is a template, or one per `case_`; `values` the template of the values shown beside it."""

    id: str
    reason: str
    message: str | Mapping[str, str]
    values: str | Mapping[str, str] = ""
    sql: str | None = None
    # a query that depends on the package's schemas (every text column, every foreign key): built from the Package
    build_sql: Callable[[Any], str] | None = None
    check: Callable[..., Any] | None = None
    example: Example | None = None
    stage: str = "rules"  # file | schema | rules | archive | parity

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def query(self, package: Any) -> str | None:
        """The rule's SQL for this package."""
        return self.build_sql(package) if self.build_sql is not None else self.sql

    @cached_property
    def tables(self) -> tuple[str, ...]:
        """The tables the query reads, from its text (sqlglot): common table expressions are not tables. Empty for a
        query built from the package, which may read every table."""
        return tables_read(self.sql) if self.sql is not None else ()

    def template(self, templates: str | Mapping[str, str], case: str | None) -> str:
        if isinstance(templates, str):
            return templates
        return templates[case or ""]

    def describe(self, row: Mapping[str, Any]) -> tuple[str, str]:
        """The values and the message of one failing row."""
        case = row.get("case_")
        return render(self.template(self.values, case), row), render(self.template(self.message, case), row)


def union(template: str, items: list[dict[str, str]]) -> str:
    """One query of the same shape over several tables."""
    return "\nUNION ALL\n".join(template.format(**item) for item in items)


def words(text: str) -> str:
    """SQL for a text's words, lowercased, one space between them and one at each end: a vocabulary word or phrase
    is in the text when `strpos(words(text), ' ' || word || ' ') > 0`. Joining a vocabulary on a regular expression
    built from each of its words compiles one expression per row and word (minutes at a million rows); this
    compiles one, whatever the vocabulary."""
    return f"(' ' || trim(regexp_replace(lower({text}), '[^a-z0-9]+', ' ', 'g')) || ' ')"


def tables_read(sql: str) -> tuple[str, ...]:
    import sqlglot
    from sqlglot import exp

    from .views import VIEWS

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    read = {t.name for t in tree.find_all(exp.Table)} - ctes
    # a declared view stands for the tables it reads
    return tuple(sorted(set().union(*(tables_read(VIEWS[t]) if t in VIEWS else {t} for t in read))))


DESCRIPTOR = "datapackage.json"


def _change_descriptor(path: Any, change: Change) -> None:
    """An edit of datapackage.json: of the package's properties (where ""), or of the resource named `where`."""
    import json

    descriptor = json.loads(path.read_text(encoding="utf-8"))
    if change.op != "edit":
        raise ValueError(f"only edits of {DESCRIPTOR} are examples")
    target = (
        descriptor
        if not change.where
        else next((r for r in descriptor["resources"] if r.get("name") == change.where), None)
    )
    if target is None:
        raise ValueError(f"{DESCRIPTOR} has no resource {change.where!r}")
    target.update(change.cells)
    path.write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")


def apply_changes(root: Any, changes: tuple[Change, ...]) -> None:
    """Make an example's changes to the CSVs of the package at `root`, as a curator would with a text editor."""
    import csv
    import io
    from pathlib import Path

    from ..schema import Package

    tables = Package.load(Path(root)).tables
    for change in changes:
        if change.table == DESCRIPTOR:
            _change_descriptor(Path(root) / DESCRIPTOR, change)
            continue
        table = tables[change.table]
        if change.op in TEXT_CHANGES:
            text = table.csv_path.read_bytes().decode("utf-8")
            where = dict(change.where) if not isinstance(change.where, str) else {}
            if change.op == "replace" and where["old"] not in text:
                raise ValueError(f"{change.table} holds no {where['old']!r}")
            text = (
                "" if change.op == "truncate" else text.replace(where["old"], change.cells["new"], int(where["count"]))
            )
            table.csv_path.write_bytes(text.encode("utf-8"))
            continue
        with open(table.csv_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        rows = change.apply(rows, table.field_names, table.primary_key[0])
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=table.field_names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        table.csv_path.write_text(out.getvalue(), encoding="utf-8")
