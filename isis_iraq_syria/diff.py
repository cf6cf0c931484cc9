"""What changed between two versions of the package, and the SemVer bump that the change needs.

Each side is a release zip, a package folder or a git ref. Only the package's own files are read (the descriptor,
then the schemas and CSVs it names), each sized before it is read; whatever a side holds, a fault is a SideError
with one line naming the side and the file. Rows are matched by primary key; values are compared as their field's
type reads them (2500 and 2500.0 are the same number; integers exactly). The bump follows the Data Package
specification's versioning recipe (diff_schemas rates each schema property):

- major: a user's code can break: a table, column or row removed, a column added, renamed or moved, a type, format
  or the reading of a cell changed, a constraint made more restrictive, allowed values withdrawn or reordered, a
  primary key changed, the package renamed or relicensed, an id reused for another thing;
- minor: new data: tables or rows added, allowed values added, constraints loosened, foreign keys added;
- patch: corrections: a value corrected, a description reworded.

An id is reused when a row keeps its primary key but changes what it is about: a change to a field a table's
schema lists under `x-identity` (for statistics: indicator, geography and period) or, where none is declared, to
its unique keys; or a key that now holds, value for value, the row another key held (ids traded). That is major,
not a correction.

The work is split by job: diff_sources reads a file of a zip, a folder or a git ref, sized and in chunks;
diff_read makes a side of them; diff_schemas compares schemas and descriptors and rates each change; diff_rows
compares rows; diff_versions orders versions; diff_report writes the report. This module runs them, and is the API
the command line, the release and the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .diff_read import DESCRIPTOR, Side, SideError, is_git_ref, load_side, resolve_ref, side_from
from .diff_report import changelog_section, markdown, render
from .diff_rows import TableRows, _keys, _renames, _row_changes
from .diff_schemas import BUMPS, Change, _descriptor_changes, _fields, _key, _schema_changes, bigger
from .diff_versions import next_version, parse_version, version_bump

__all__ = [
    "BUMPS",
    "DESCRIPTOR",
    "Change",
    "Diff",
    "Side",
    "SideError",
    "TableRows",
    "bigger",
    "changelog_section",
    "diff",
    "is_git_ref",
    "load_side",
    "markdown",
    "next_version",
    "parse_version",
    "render",
    "resolve_ref",
    "side_from",
    "version_bump",
]


@dataclass
class Diff:
    old: Side
    new: Side
    changes: list[Change] = field(default_factory=list)
    rows: dict[str, TableRows] = field(default_factory=dict)

    @property
    def bump(self) -> str:
        out = "none"
        for change in self.changes:
            out = bigger(out, change.bump)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": {"label": self.old.label, "version": self.old.version},
            "new": {"label": self.new.label, "version": self.new.version},
            "required_bump": self.bump,
            "tables": {
                name: {
                    "rows_added": r.added,
                    "rows_removed": r.removed,
                    "rows_changed": r.changed,
                    "ids_reused": r.reused,
                }
                for name, r in sorted(self.rows.items())
                if r.added or r.removed or r.changed or r.reused
            },
            "changes": [{k: v for k, v in vars(c).items() if v not in (None, "")} for c in self.changes],
        }


def diff(old: Side, new: Side) -> Diff:
    """The changes from `old` to `new`; raises SideError when a schema is too malformed to compare."""
    try:
        return _diff(old, new)
    except (
        AttributeError,
        TypeError,
        KeyError,
        ValueError,
        pl.exceptions.PolarsError,
    ) as err:  # a hand-edited or hostile schema, not a bug to show as one
        raise SideError(
            f"{old.label} -> {new.label}: a schema or descriptor is malformed ({type(err).__name__}: {err})"
        ) from err


def _header_changes(old: Side, new: Side, name: str) -> list[Change]:
    """A CSV whose header changed while its schema's fields did not: the schema's changes cannot say it, and the
    rows would be compared without the columns it renamed, so that it is said here (major: code reading the CSV by
    column name or position breaks)."""
    if old.header(name) == new.header(name) or list(_fields(old.schemas[name])) != list(_fields(new.schemas[name])):
        return []
    return [
        Change(
            "major",
            "header_changed",
            name,
            "",
            "",
            old.header(name),
            new.header(name),
            f"{new.paths.get(name, name)}: header changed while the schema's fields did not",
        )
    ]


def _diff(old: Side, new: Side) -> Diff:
    result = Diff(old, new)
    gone, came = sorted(old.schemas.keys() - new.schemas.keys()), sorted(new.schemas.keys() - old.schemas.keys())
    for name in gone:
        result.changes.append(Change("major", "table_removed", name, message=f"table {name} removed"))
    for name in came:
        key = [k for k in _key(new.schemas[name]) if k in new.header(name)] or new.header(name)[:1]
        added = _keys(new.collect(name, new.frames[name].select(key)), key)
        result.changes.append(Change("minor", "table_added", name, message=f"table {name} added ({len(added)} rows)"))
        result.rows[name] = TableRows(added=added)
    for name in sorted(old.schemas.keys() & new.schemas.keys()):
        renamed = _renames(old, new, name)
        result.changes += _schema_changes(name, old.schemas[name], new.schemas[name], renamed)
        result.changes += _header_changes(old, new, name)
        result.rows[name], changes = _row_changes(old, new, name, renamed)
        result.changes += changes
    result.changes += _descriptor_changes(old.descriptor, new.descriptor, old.schemas.keys() | new.schemas.keys())
    return result
