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


def correct_value(root: Path) -> None:
    edit(root, "actors", "alina-romanowski", role_as_stated="United States Ambassador to Iraq")


def add_row(root: Path) -> None:
    append(root, "actors", actor_id="zz-new-actor", name="A new actor", actor_kind="person")


def remove_row(root: Path) -> None:
    first = read_rows(root, "event_actors")[0]
    delete(root, "event_actors", **first)


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
    write_rows(root, "actors", [{k: v for k, v in r.items() if k != "notes"} for r in rows], [k for k in rows[0] if k != "notes"])


def change_type(root: Path) -> None:
    schema = _schema(root, "qualifiers")
    for f in schema["fields"]:
        if f["name"] == "magnitude":
            f["type"] = "number"
    _write_schema(root, "qualifiers", schema)


def reuse_id(root: Path) -> None:
    """S004 and S005 trade ids everywhere (every table, every column that holds a statistic id): each table stays
    valid, but each id now names another figure."""
    swap = {"S004": "S005", "S005": "S004"}
    package = Package.load(root)
    for name, table in package.tables.items():
        columns = {fk.fields[0] for fk in table.foreign_keys if fk.resource == "statistics" and len(fk.fields) == 1}
        columns |= {"statistic_id"} if name == "statistics" else set()
        if not columns:
            continue
        rows = [{k: swap.get(v, v) if k in columns else v for k, v in row.items()} for row in read_rows(root, name)]
        rows.sort(key=lambda row: [row[k] for k in table.primary_key])  # rows stay in key order
        write_rows(root, name, rows)


# name -> (make the change, the bump it needs, the change kind the diff names, the table, a version too small for it)
CASES = {
    "value_corrected": (correct_value, "patch", "values_corrected", "actors", "0.1.0"),
    "row_added": (add_row, "minor", "rows_added", "actors", "0.1.1"),
    "row_removed": (remove_row, "major", "rows_removed", "event_actors", "0.2.0"),
    "column_added": (add_column, "minor", "column_added", "actors", "0.1.1"),
    "column_removed": (remove_column, "major", "column_removed", "actors", "0.2.0"),
    "type_changed": (change_type, "major", "type_changed", "qualifiers", "0.2.0"),
    "id_reused": (reuse_id, "major", "id_reused", "statistics", "0.2.0"),
}


def changed_copy(dest: Path, case: str) -> Path:
    """A releasable copy with the case's change made and its Parquet twins and descriptor rebuilt."""
    root = releasable_copy(dest)
    CASES[case][0](root)
    assert build(root, Console(file=open("/dev/null", "w"))) == 0, f"{case}: the changed copy does not build"
    return root
