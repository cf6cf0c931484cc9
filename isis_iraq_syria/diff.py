"""What changed between two versions of the package, and the SemVer bump that the change needs.

Each side is a release zip, a package folder or a git ref. Rows are matched by primary key; values are compared
as their field's type reads them (2500 and 2500.0 are the same number). The bump follows the README's rules:

- major: a user's code can break: a table, column or row removed, a column renamed or moved, a type, format or
  primary key changed, allowed values withdrawn, the package renamed or relicensed, an id reused for another thing;
- minor: new data: tables, columns, rows, allowed values, keys or constraints added or loosened;
- patch: corrections: a value corrected, a description reworded.

An id is reused when a row keeps its primary key but changes what it is about: the fields a table's schema lists
under `x-identity` (for statistics: indicator, geography and period). That is flagged as major, not a correction.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from .safety import Unsafe, read_inside, safe_relpath

DESCRIPTOR = "datapackage.json"
BUMPS = ("none", "patch", "minor", "major")
IDENTITY = "x-identity"  # Table Schema property: the fields that say what a row is about
SHOWN_PER_TABLE = 50  # rows listed per table in the terminal report; the JSON lists them all


class SideError(Exception):
    """A side of the diff cannot be read: not a zip, a package folder or a git ref, or a file in it is missing."""


def bigger(a: str, b: str) -> str:
    return a if BUMPS.index(a) >= BUMPS.index(b) else b


# --- reading a side ------------------------------------------------------------------------------------------


@dataclass
class Side:
    """One version of the package: its descriptor, Table Schemas and CSV rows, by table name."""

    label: str
    descriptor: dict[str, Any]
    schemas: dict[str, dict[str, Any]]
    frames: dict[str, pl.DataFrame]  # every cell as the text in the CSV ("" when empty)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def header(self, name: str) -> list[str]:
        return self.frames[name].columns


def _member_files(names_and_data: dict[str, bytes], label: str) -> dict[str, bytes]:
    """The files of a zip or tar, relative to its descriptor (at the root, or in one top folder as 0.1.0 had it)."""
    if DESCRIPTOR in names_and_data:
        return names_and_data
    tops = {name.split("/", 1)[0] for name in names_and_data}
    if len(tops) == 1 and f"{next(iter(tops))}/{DESCRIPTOR}" in names_and_data:
        prefix = next(iter(tops)) + "/"
        return {name.removeprefix(prefix): data for name, data in names_and_data.items() if name.startswith(prefix)}
    raise SideError(f"{label}: no {DESCRIPTOR} at its root")


def _zip_files(path: Path) -> dict[str, bytes]:
    files = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            kind = (info.external_attr >> 16) & 0o170000
            if info.is_dir() or kind == 0o120000:  # folders and symlinks hold no package file
                continue
            files[info.filename] = archive.read(info)
    return _member_files(files, path.name)


def _git_files(repo: Path, ref: str) -> dict[str, bytes]:
    try:
        tar = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", f"{ref}^{{tree}}"],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired) as err:
        raise SideError(f"{ref}: not a zip, a package folder or a git ref of {repo}") from err
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive.getmembers():
            if member.isfile():
                files[member.name] = archive.extractfile(member).read()
    return _member_files(files, ref)


def is_git_ref(repo: Path, ref: str) -> bool:
    try:
        return (
            subprocess.run(
                ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                capture_output=True,
                timeout=30,
            ).returncode
            == 0
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def _csv_frame(data: bytes, where: str) -> pl.DataFrame:
    """The CSV as text columns, as written: polars reads it in one pass, so a large table stays cheap to compare."""
    try:
        return pl.read_csv(
            io.BytesIO(data.removeprefix(b"\xef\xbb\xbf")),
            infer_schema=False,
            empty_string_is_null=False,
            quote_char='"',
            encoding="utf8",
        )
    except (pl.exceptions.PolarsError, ValueError) as err:
        raise SideError(
            f"{where}: not a readable CSV ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
        ) from err


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SideError(f"{where}: not valid JSON ({err})") from err


def _tables(descriptor: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """The CSV resources: name -> (data path, schema path or inline schema). Other formats are twins of them."""
    out = {}
    for resource in descriptor.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        path = resource.get("path")
        if isinstance(path, str) and (resource.get("format") == "csv" or path.endswith(".csv")):
            out[str(resource.get("name"))] = (path, resource.get("schema"))
    return out


def load_side(spec: str, repo: Path) -> Side:
    """A side named on the command line: a release zip, a package folder or a git ref of `repo`."""
    path = Path(spec)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise SideError(f"{spec}: a file, but not a zip")
        files = _zip_files(path)
        read = lambda p: files[safe_relpath(p)] if safe_relpath(p) in files else None  # noqa: E731
        label = path.name
    elif path.is_dir():
        root = path.resolve()

        def read(p: str) -> bytes | None:
            try:
                return read_inside(root, p)
            except Unsafe as err:
                if "not found" in str(err):
                    return None
                raise

        label = spec
    elif is_git_ref(repo, spec):
        files = _git_files(repo, spec)
        read = lambda p: files.get(safe_relpath(p))  # noqa: E731
        label = spec
    else:
        raise SideError(f"{spec}: not a zip, a package folder or a git ref of {repo}")
    return side_from(label, read)


def side_from(label: str, read) -> Side:
    raw = read(DESCRIPTOR)
    if raw is None:
        raise SideError(f"{label}: no {DESCRIPTOR}")
    descriptor = _json(raw, f"{label}: {DESCRIPTOR}")
    if not isinstance(descriptor, dict):
        raise SideError(f"{label}: {DESCRIPTOR} is not a JSON object")
    schemas, frames = {}, {}
    try:
        for name, (data_path, schema) in _tables(descriptor).items():
            if isinstance(schema, str):
                schema_bytes = read(schema)
                if schema_bytes is None:
                    raise SideError(f"{label}: {schema} is missing")
                schema = _json(schema_bytes, f"{label}: {schema}")
            if not isinstance(schema, dict):
                raise SideError(f"{label}: resource {name!r} has no Table Schema")
            data = read(data_path)
            if data is None:
                raise SideError(f"{label}: {data_path} is missing")
            schemas[name] = schema
            frames[name] = _csv_frame(data, f"{label}: {data_path}")
    except Unsafe as err:
        raise SideError(f"{label}: {err}") from err
    return Side(label, descriptor, schemas, frames)


# --- comparing ------------------------------------------------------------------------------------------------


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f}


def _key(schema: dict[str, Any]) -> list[str]:
    pk = schema.get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def _missing(schema: dict[str, Any], field_: dict[str, Any]) -> set[str]:
    values = field_.get("missingValues", schema.get("missingValues", [""]))
    return {v["value"] if isinstance(v, dict) else v for v in values}


def _canonical(schema: dict[str, Any], name: str, source: str | None = None) -> pl.Expr:
    """A column as its field's type reads it, as text to compare: null when missing, numbers as floats
    (2500 and 2500.0 are the same), booleans as true or false."""
    f = _fields(schema).get(name, {})
    kind, column = f.get("type", "string"), pl.col(source or name)
    value = pl.when(column.is_in(sorted(_missing(schema, f)))).then(pl.lit(None, pl.String)).otherwise(column)
    if kind in ("integer", "number"):
        return pl.coalesce(value.cast(pl.Float64, strict=False).cast(pl.String), value)
    if kind == "boolean":
        true_values, false_values = (
            f.get("trueValues", ["true", "True", "TRUE", "1"]),
            f.get("falseValues", ["false", "False", "FALSE", "0"]),
        )
        return (
            pl.when(value.is_in(true_values))
            .then(pl.lit("true"))
            .when(value.is_in(false_values))
            .then(pl.lit("false"))
            .otherwise(value)
        )
    return value


@dataclass
class Change:
    """One reason for a bump: where it is, what it is, and how big."""

    bump: str
    kind: str
    table: str = ""
    column: str = ""
    key: str = ""
    old: Any = None
    new: Any = None
    message: str = ""


@dataclass
class TableRows:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # {"key", "columns": {col: [old, new]}}
    reused: list[dict[str, Any]] = field(default_factory=list)  # the same, for ids that changed meaning


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


def _keys(frame: pl.DataFrame, key: list[str]) -> list[str]:
    """Each row's primary key as one string ("E002|IRQ"), sorted."""
    return sorted(frame.select(pl.concat_str([pl.col(k) for k in key], separator="|")).to_series().to_list())


def _describe(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value


def _schema_changes(name: str, old: dict[str, Any], new: dict[str, Any], renamed: dict[str, str]) -> list[Change]:
    out: list[Change] = []
    of, nf = _fields(old), _fields(new)

    def add(bump: str, kind: str, message: str, column: str = "", o: Any = None, n: Any = None) -> None:
        out.append(Change(bump, kind, name, column, "", o, n, message))

    for old_name, new_name in renamed.items():
        add("major", "column_renamed", f"column {old_name} renamed to {new_name}", new_name, old_name, new_name)
    for col in of.keys() - nf.keys() - renamed.keys():
        add("major", "column_removed", f"column {col} removed", col)
    for col in nf.keys() - of.keys() - set(renamed.values()):
        add("minor", "column_added", f"column {col} added", col)
    common_old = [c for c in of if c in nf]
    common_new = [c for c in nf if c in of]
    if common_old != common_new:
        add(
            "major",
            "columns_reordered",
            "columns reordered: code reading columns by position breaks",
            "",
            common_old,
            common_new,
        )
    for col in common_new:
        a, b = of[col], nf[col]
        for prop in ("type", "format"):
            default = "string" if prop == "type" else "default"
            if a.get(prop, default) != b.get(prop, default):
                add(
                    "major",
                    f"{prop}_changed",
                    f"{col}: {prop} {a.get(prop, default)} -> {b.get(prop, default)}",
                    col,
                    a.get(prop, default),
                    b.get(prop, default),
                )
        ac, bc = a.get("constraints", {}), b.get("constraints", {})
        ae, be = ac.get("enum"), bc.get("enum")
        if ae != be:
            withdrawn = [v for v in (ae or []) if v not in (be or [])] if be is not None else []
            granted = [v for v in (be or []) if v not in (ae or [])] if ae is not None else []
            if withdrawn:
                add(
                    "major",
                    "allowed_values_removed",
                    f"{col}: allowed values removed: {', '.join(map(str, withdrawn))}",
                    col,
                    ae,
                    be,
                )
            elif be is not None and ae is None:
                add("minor", "constraint_changed", f"{col}: allowed values now restricted", col, ae, be)
            if granted or (ae is not None and be is None):
                add(
                    "minor",
                    "allowed_values_added",
                    f"{col}: allowed values added: {', '.join(map(str, granted)) or 'any'}",
                    col,
                    ae,
                    be,
                )
        others_a = {k: v for k, v in ac.items() if k != "enum"}
        others_b = {k: v for k, v in bc.items() if k != "enum"}
        if others_a != others_b:
            add(
                "minor",
                "constraint_changed",
                f"{col}: constraints {_describe(others_a)} -> {_describe(others_b)}",
                col,
                others_a,
                others_b,
            )
        if a.get("missingValues") != b.get("missingValues"):
            add(
                "minor",
                "missing_values_changed",
                f"{col}: missing values changed",
                col,
                a.get("missingValues"),
                b.get("missingValues"),
            )
        skip = {"name", "type", "format", "constraints", "missingValues", "categories"}
        for prop in sorted((a.keys() | b.keys()) - skip):
            if a.get(prop) != b.get(prop):
                add("patch", "field_metadata_changed", f"{col}: {prop} changed", col, a.get(prop), b.get(prop))
    if _key(old) != _key(new):
        add(
            "major",
            "primary_key_changed",
            f"primary key {', '.join(_key(old))} -> {', '.join(_key(new))}",
            "",
            _key(old),
            _key(new),
        )
    fk = lambda s: sorted(json.dumps(k, sort_keys=True) for k in s.get("foreignKeys", []))  # noqa: E731
    for gone in sorted(set(fk(old)) - set(fk(new))):
        add("major", "foreign_key_removed", f"foreign key removed: {gone}", "", json.loads(gone), None)
    for came in sorted(set(fk(new)) - set(fk(old))):
        add("minor", "foreign_key_added", f"foreign key added: {came}", "", None, json.loads(came))
    for prop in ("uniqueKeys", "missingValues"):
        if old.get(prop) != new.get(prop):
            add("minor", "constraint_changed", f"{prop} changed", "", old.get(prop), new.get(prop))
    for prop in sorted(
        (old.keys() | new.keys()) - {"fields", "primaryKey", "foreignKeys", "uniqueKeys", "missingValues"}
    ):
        if old.get(prop) != new.get(prop):
            add("patch", "table_metadata_changed", f"{prop} changed", "", old.get(prop), new.get(prop))
    return out


def _renames(old: Side, new: Side, name: str) -> dict[str, str]:
    """A removed column and an added one holding the same values in every row (by key): a rename."""
    of, nf = _fields(old.schemas[name]), _fields(new.schemas[name])
    gone, came = [c for c in of if c not in nf], [c for c in nf if c not in of]
    key = _key(new.schemas[name])
    if not gone or not came or not key or any(k not in old.header(name) for k in key):
        return {}
    out: dict[str, str] = {}
    for g in gone:
        for c in came:
            if c in out.values() or of[g].get("type", "string") != nf[c].get("type", "string"):
                continue
            if g not in old.header(name) or c not in new.header(name):
                continue
            pairs = (
                old.frames[name]
                .select([*key, pl.col(g).alias(OLD + g)])
                .unique(subset=key, keep="last")
                .join(
                    new.frames[name].select([*key, pl.col(c).alias(NEW + c)]).unique(subset=key, keep="last"),
                    on=key,
                    how="inner",
                )
            )
            if pairs.height and pairs.select(pl.col(OLD + g).eq_missing(pl.col(NEW + c)).all()).item():
                out[g] = c
                break
    return out


OLD, NEW, IN_OLD, IN_NEW = "\x00old:", "\x00new:", "\x00in_old", "\x00in_new"  # names no CSV header can clash with


def _row_changes(old: Side, new: Side, name: str, renamed: dict[str, str]) -> tuple[TableRows, list[Change]]:
    """Rows matched by primary key with one join; only the rows that differ become Python objects."""
    rows, changes = TableRows(), []
    key = _key(new.schemas[name])
    if not key or any(k not in old.header(name) for k in key) or any(k not in new.header(name) for k in key):
        changes.append(
            Change(
                "major",
                "rows_not_comparable",
                name,
                message="the primary key's fields are not on both sides: rows cannot be matched",
            )
        )
        return rows, changes
    back = {v: k for k, v in renamed.items()}
    columns = [c for c in new.header(name) if back.get(c, c) in old.header(name) and c not in key]
    identity = [c for c in new.schemas[name].get(IDENTITY, []) if c in columns]
    o = (
        old.frames[name]
        .unique(subset=key, keep="last")
        .select(*key, *[pl.col(back.get(c, c)).alias(OLD + c) for c in columns], pl.lit(True).alias(IN_OLD))
    )
    n = (
        new.frames[name]
        .unique(subset=key, keep="last")
        .select(*key, *[pl.col(c).alias(NEW + c) for c in columns], pl.lit(True).alias(IN_NEW))
    )
    joined = o.join(n, on=key, how="full", coalesce=True).with_columns(
        pl.concat_str([pl.col(k) for k in key], separator="|").alias("\x00key")
    )
    rows.added = sorted(joined.filter(pl.col(IN_OLD).is_null())["\x00key"].to_list())
    rows.removed = sorted(joined.filter(pl.col(IN_NEW).is_null())["\x00key"].to_list())
    both = joined.filter(pl.col(IN_OLD) & pl.col(IN_NEW))
    if columns:
        differs = {
            c: ~_canonical(old.schemas[name], back.get(c, c), OLD + c).eq_missing(
                _canonical(new.schemas[name], c, NEW + c)
            )
            for c in columns
        }
        both = (
            both.with_columns([d.alias("\x00differs:" + c) for c, d in differs.items()])
            .filter(pl.any_horizontal([pl.col("\x00differs:" + c) for c in columns]))
            .sort("\x00key")
        )
        for row in both.iter_rows(named=True):
            diff = {c: [row[OLD + c], row[NEW + c]] for c in columns if row["\x00differs:" + c]}
            k = row["\x00key"]
            entry = {"key": k, "columns": diff}
            if any(c in diff for c in identity):
                rows.reused.append(entry)
                moved = ", ".join(
                    f"{c} {diff[c][0] or '(empty)'} -> {diff[c][1] or '(empty)'}" for c in identity if c in diff
                )
                changes.append(
                    Change(
                        "major",
                        "id_reused",
                        name,
                        ",".join(c for c in identity if c in diff),
                        k,
                        message=f"{k} now means another thing ({moved}): a reused id, not a correction",
                    )
                )
            else:
                rows.changed.append(entry)
    if rows.added:
        changes.append(Change("minor", "rows_added", name, message=f"{len(rows.added)} row(s) added"))
    if rows.removed:
        changes.append(
            Change(
                "major",
                "rows_removed",
                name,
                message=f"{len(rows.removed)} row(s) removed: {', '.join(rows.removed[:10])}",
            )
        )
    if rows.changed:
        changes.append(
            Change("patch", "values_corrected", name, message=f"{len(rows.changed)} row(s) with corrected values")
        )
    return rows, changes


def _twins(descriptor: dict[str, Any]) -> set[str]:
    """Resources that share a CSV table's schema (its Parquet twin): they come and go with the table."""
    schemas = {schema for _, schema in _tables(descriptor).values() if isinstance(schema, str)}
    tables = set(_tables(descriptor))
    return {
        r.get("name")
        for r in descriptor.get("resources") or []
        if isinstance(r, dict) and r.get("schema") in schemas and r.get("name") not in tables
    }


def _descriptor_changes(old: dict[str, Any], new: dict[str, Any], tables: set[str]) -> list[Change]:
    out: list[Change] = []
    if not old:  # a first release: everything is new, and the tables say what
        return out
    for prop in sorted((old.keys() | new.keys()) - {"resources", "version"}):
        if old.get(prop) != new.get(prop):
            bump = "major" if prop in ("name", "licenses") else "patch"
            out.append(
                Change(
                    bump,
                    "descriptor_changed",
                    column=prop,
                    old=old.get(prop),
                    new=new.get(prop),
                    message=f"datapackage.json: {prop} changed"
                    + (" (file names or terms of use change)" if bump == "major" else ""),
                )
            )
    res = lambda d: {r.get("name"): r for r in d.get("resources") or [] if isinstance(r, dict)}  # noqa: E731
    ro, rn = res(old), res(new)
    for name in sorted(ro.keys() - rn.keys() - tables - _twins(old)):
        out.append(
            Change("major", "resource_removed", name, message=f"resource {name} ({ro[name].get('path')}) removed")
        )
    for name in sorted(rn.keys() - ro.keys() - tables - _twins(new)):
        out.append(Change("minor", "resource_added", name, message=f"resource {name} ({rn[name].get('path')}) added"))
    for name in sorted((ro.keys() & rn.keys()) - tables):
        for prop in ("path", "format"):
            if ro[name].get(prop) != rn[name].get(prop):
                out.append(
                    Change(
                        "major",
                        "resource_changed",
                        name,
                        prop,
                        "",
                        ro[name].get(prop),
                        rn[name].get(prop),
                        f"resource {name}: {prop} changed",
                    )
                )
    return out


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


def _diff(old: Side, new: Side) -> Diff:
    result = Diff(old, new)
    gone, came = sorted(old.schemas.keys() - new.schemas.keys()), sorted(new.schemas.keys() - old.schemas.keys())
    for name in gone:
        result.changes.append(Change("major", "table_removed", name, message=f"table {name} removed"))
    for name in came:
        result.changes.append(
            Change("minor", "table_added", name, message=f"table {name} added ({new.frames[name].height} rows)")
        )
        key = [k for k in _key(new.schemas[name]) if k in new.header(name)] or new.header(name)[:1]
        result.rows[name] = TableRows(added=_keys(new.frames[name], key))
    for name in sorted(old.schemas.keys() & new.schemas.keys()):
        renamed = _renames(old, new, name)
        result.changes += _schema_changes(name, old.schemas[name], new.schemas[name], renamed)
        result.rows[name], changes = _row_changes(old, new, name, renamed)
        result.changes += changes
    result.changes += _descriptor_changes(old.descriptor, new.descriptor, old.schemas.keys() | new.schemas.keys())
    return result


# --- versions -------------------------------------------------------------------------------------------------


def parse_version(version: str) -> tuple[int, int, int] | None:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def version_bump(old: str, new: str) -> str | None:
    """The bump from one version to the next: none, patch, minor or major; None when new is not above old."""
    a, b = parse_version(old), parse_version(new)
    if a is None or b is None or b < a:
        return None
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    return "patch" if b[2] > a[2] else "none"


def next_version(old: str, bump: str) -> str:
    major, minor, patch = parse_version(old) or (0, 0, 0)
    return {
        "major": f"{major + 1}.0.0",
        "minor": f"{major}.{minor + 1}.0",
        "patch": f"{major}.{minor}.{patch + 1}",
    }.get(bump, old)


# --- showing --------------------------------------------------------------------------------------------------


def _cell(value: str | None) -> str:
    return "(empty)" if value in (None, "") else value


def render(d: Diff, console: Console) -> None:
    """The terminal report. Every piece of data goes through Text, never through markup."""
    head = Text()
    head.append(f"{d.old.label} ({d.old.version or 'no version'}) -> {d.new.label} ({d.new.version or 'no version'}): ")
    head.append(f"{d.bump} bump required", style="bold red" if d.bump == "major" else "bold")
    console.print(head)
    if not d.changes:
        console.print(Text("no change to data, schemas or descriptor"))
        return
    summary = RichTable(title="changes", show_lines=False)
    for column in ("bump", "kind", "table", "column", "what"):
        summary.add_column(column, overflow="fold")
    for c in d.changes:
        summary.add_row(Text(c.bump), Text(c.kind), Text(c.table), Text(c.column), Text(c.message))
    console.print(summary)
    for name, r in sorted(d.rows.items()):
        if not (r.added or r.removed or r.changed or r.reused):
            continue
        table = RichTable(title=Text(f"rows of {name}"), show_lines=False)
        for column in ("", "key", "column", "old", "new"):
            table.add_column(column, overflow="fold")
        lines = [("+", k, "", "", "") for k in r.added] + [("-", k, "", "", "") for k in r.removed]
        for mark, entries in (("reused", r.reused), ("~", r.changed)):
            for e in entries:
                lines += [(mark, e["key"], c, _cell(o), _cell(n)) for c, (o, n) in e["columns"].items()]
        for line in lines[:SHOWN_PER_TABLE]:
            table.add_row(*(Text(x) for x in line))
        console.print(table)
        if len(lines) > SHOWN_PER_TABLE:
            console.print(Text(f"... and {len(lines) - SHOWN_PER_TABLE} more lines for {name} (see --json)"))


def _md(value: str | None) -> str:
    return "(empty)" if value in (None, "") else "`" + str(value).replace("`", "'").replace("\n", " ") + "`"


def markdown(d: Diff) -> str:
    """A summary for people: the bump, then each change, then the rows by table."""
    name = lambda side: side.version if side.label == side.version else f"{side.version or 'no version'} ({side.label})"  # noqa: E731
    lines = [
        f"# Changes from {name(d.old)} to {name(d.new)}",
        "",
        f"Required version bump: **{d.bump}** (major: a user's code can break; minor: new data, tables or columns; "
        "patch: corrections of values).",
        "",
    ]
    if not d.changes:
        lines += ["No change to the data, the schemas or the descriptor.", ""]
        return "\n".join(lines)
    lines += ["| bump | change | table | column | what |", "|---|---|---|---|---|"]
    for c in d.changes:
        lines.append(f"| {c.bump} | {c.kind} | {c.table} | {c.column} | {c.message.replace('|', '/')} |")
    lines.append("")
    for name, r in sorted(d.rows.items()):
        if not (r.added or r.removed or r.changed or r.reused):
            continue
        lines += [f"## {name}", ""]
        if r.added:
            lines.append(f"- added ({len(r.added)}): " + ", ".join(_md(k) for k in r.added))
        if r.removed:
            lines.append(f"- removed ({len(r.removed)}): " + ", ".join(_md(k) for k in r.removed))
        for mark, entries in (("reused id", r.reused), ("changed", r.changed)):
            for e in entries:
                cols = "; ".join(f"{c} {_md(o)} → {_md(n)}" for c, (o, n) in e["columns"].items())
                lines.append(f"- {mark} {_md(e['key'])}: {cols}")
        lines.append("")
    return "\n".join(lines)


def changelog_section(d: Diff, version: str, date: str) -> str:
    """A Keep a Changelog section drafted from the diff, for the curator to edit and paste."""
    groups: dict[str, list[str]] = {"Added": [], "Changed": [], "Removed": [], "Fixed": []}
    for c in d.changes:
        where = f"`{c.table}`: " if c.table else ""
        group = (
            "Added"
            if c.kind.endswith("_added")
            else "Removed"
            if c.kind.endswith("_removed")
            else "Fixed"
            if c.kind == "values_corrected"
            else "Changed"
        )
        groups[group].append(f"- {where}{c.message}.")
    lines = [f"## [{version}] - {date}", ""]
    for group, items in groups.items():
        if items:
            lines += [f"### {group}", *items, ""]
    if len(lines) == 2:
        lines += ["### Changed", "- No change to the data, the schemas or the descriptor.", ""]
    return "\n".join(lines)
