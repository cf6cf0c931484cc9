"""Pairs of versions: the package, and copies of it with one change of each kind a curator makes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from rich.console import Console

from conftest import ROOT, append, copy_package, delete, edit, read_rows, write_rows
from isis_iraq_syria.build import run as build
from isis_iraq_syria.release import DOC_FILES, TOP_FILES
from isis_iraq_syria.schema import Package

RELEASE_FILES = (*TOP_FILES, *DOC_FILES, "pyproject.toml")  # what a release packs or checks beside data/ and schemas/
VERSION = Package.load(ROOT).version


def bumped(version: str, part: str) -> str:
    """The version after a bump of one part: bumped("1.4.2", "minor") == "1.5.0"."""
    major, minor, patch = (int(n) for n in version.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[
        part
    ]


def releasable_copy(dest: Path) -> Path:
    """A copy of the package with every file a release packs or checks."""
    root = copy_package(dest)
    for path in RELEASE_FILES:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, root / path)
    return root


def set_version(root: Path, version: str) -> None:
    """The version in all four places that state it, with a CHANGELOG entry for it."""
    old = json.loads((root / "datapackage.json").read_text())["version"]
    for path, pattern, repl in (
        ("datapackage.json", rf'"version": "{re.escape(old)}"', f'"version": "{version}"'),
        ("CITATION.cff", rf'^version: "{re.escape(old)}"', f'version: "{version}"'),
        ("pyproject.toml", rf'^version = "{re.escape(old)}"', f'version = "{version}"'),
        ("CHANGELOG.md", r"^## \[Unreleased\]", f"## [Unreleased]\n\n## [{version}] - 2026-12-01"),
    ):
        text = (root / path).read_text()
        (root / path).write_text(re.sub(pattern, repl, text, count=1, flags=re.MULTILINE))


def _schema(root: Path, table: str) -> dict:
    return json.loads((root / "schemas" / f"{table}.schema.json").read_text())


def _write_schema(root: Path, table: str, schema: dict) -> None:
    (root / "schemas" / f"{table}.schema.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


# the actor whose role a correction rewrites: the first with a role
CORRECTED = next(r for r in read_rows(ROOT, "actors") if r["role_as_stated"])
CORRECTION = {"role_as_stated": CORRECTED["role_as_stated"] + " (corrected)"}


def correct_value(root: Path) -> None:
    edit(root, "actors", CORRECTED["actor_id"], **CORRECTION)


def add_row(root: Path) -> None:
    append(root, "actors", actor_id="zz-new-actor", name="A new actor", actor_kind="person")


def remove_row(root: Path) -> None:
    """An event's actor removed, with the words and the bases recorded for its cells (the actor and its role)."""
    first = read_rows(root, "event_actors")[0]
    delete(root, "event_actors", **first)
    cell = {"event_id": first["event_id"], "actor_id": first["actor_id"]}
    for table in ("spans", "bases"):
        rows = read_rows(root, table)
        kept = [
            r
            for r in rows
            if r["field"] not in ("event_actors.actor_id", "event_actors.role")
            or any(r[k] != v for k, v in cell.items())
        ]
        if len(kept) < len(rows):
            write_rows(root, table, kept)


def add_column(root: Path) -> None:
    schema = _schema(root, "actors")
    schema["fields"].append({"name": "website", "type": "string", "description": "The actor's website, when known."})
    _write_schema(root, "actors", schema)
    rows = read_rows(root, "actors")
    write_rows(root, "actors", [{**r, "website": ""} for r in rows], [*rows[0], "website"])


def remove_column(root: Path) -> None:
    schema = _schema(root, "actors")
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "notes"]
    _write_schema(root, "actors", schema)
    rows = read_rows(root, "actors")
    write_rows(
        root,
        "actors",
        [{k: v for k, v in r.items() if k != "notes"} for r in rows],
        [k for k in rows[0] if k != "notes"],
    )


def change_type(root: Path) -> None:
    schema = _schema(root, "qualifiers")
    for f in schema["fields"]:
        if f["name"] == "magnitude":
            f["type"] = "number"
    _write_schema(root, "qualifiers", schema)


def _statistic_columns(name: str, table) -> set[str]:
    """The columns of a table that hold a statistic's id."""
    columns = {fk.fields[0] for fk in table.foreign_keys if fk.resource == "statistics" and len(fk.fields) == 1}
    return columns | ({"statistic_id"} if name == "statistics" else set())


def _swapped(rows: list[dict[str, str]], columns: set[str], swap: dict[str, str]) -> list[dict[str, str]]:
    return [{k: swap.get(v, v) if k in columns else v for k, v in row.items()} for row in rows]


def _reused() -> tuple[str, str]:
    """Two statistics of different geographies that can trade ids without a row of another table gaining or losing
    its key (their evidence is from the same documents, say): the first such pair."""
    package = Package.load(ROOT)
    tables = {
        name: (table, _statistic_columns(name, table), read_rows(ROOT, name))
        for name, table in package.tables.items()
        if name != "statistics" and _statistic_columns(name, table)
    }

    def keys(rows: list[dict[str, str]], table) -> set[tuple[str, ...]]:
        return {tuple(row[k] for k in table.primary_key) for row in rows}

    statistics = read_rows(ROOT, "statistics")
    for i, a in enumerate(statistics):
        for b in statistics[i + 1 :]:
            if a["geography_id"] == b["geography_id"]:
                continue
            swap = {a["statistic_id"]: b["statistic_id"], b["statistic_id"]: a["statistic_id"]}
            if all(
                keys(_swapped(rows, columns, swap), table) == keys(rows, table)
                for table, columns, rows in tables.values()
            ):
                return a["statistic_id"], b["statistic_id"]
    raise AssertionError("no two statistics can trade ids")


REUSED = _reused()


def reuse_id(root: Path) -> None:
    """The two REUSED statistics trade ids everywhere (every table, every column that holds a statistic id): each
    table stays valid, but each id now names another figure."""
    swap = {REUSED[0]: REUSED[1], REUSED[1]: REUSED[0]}
    package = Package.load(root)
    for name, table in package.tables.items():
        columns = _statistic_columns(name, table)
        if not columns:
            continue
        rows = _swapped(read_rows(root, name), columns, swap)
        rows.sort(key=lambda row: [row[k] for k in table.primary_key])  # rows stay in key order
        write_rows(root, name, rows)


# name -> (make the change, the bump it needs, the change kind the diff names, the table, a bump too small for it:
# None for the current version)
CASES = {
    "value_corrected": (correct_value, "patch", "values_corrected", "actors", None),
    "row_added": (add_row, "minor", "rows_added", "actors", "patch"),
    "row_removed": (remove_row, "major", "rows_removed", "event_actors", "minor"),
    "column_added": (add_column, "major", "column_added", "actors", "minor"),  # the recipe: a field added is major
    "column_removed": (remove_column, "major", "column_removed", "actors", "minor"),
    "type_changed": (change_type, "major", "type_changed", "qualifiers", "minor"),
    "id_reused": (reuse_id, "major", "id_reused", "statistics", "minor"),
}


def changed_copy(dest: Path, case: str) -> Path:
    """A releasable copy with the case's change made and its Parquet twins and descriptor rebuilt."""
    root = releasable_copy(dest)
    CASES[case][0](root)
    assert build(root, Console(file=open("/dev/null", "w"))) == 0, f"{case}: the changed copy does not build"
    return root
