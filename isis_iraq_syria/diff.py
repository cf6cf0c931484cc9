"""What changed between two versions of the package, and the SemVer bump that the change needs.

Each side is a release zip, a package folder or a git ref. Only the package's own files are read (the descriptor,
then the schemas and CSVs it names), each sized before it is read; whatever a side holds, a fault is a SideError
with one line naming the side and the file. Rows are matched by primary key; values are compared as their field's
type reads them (2500 and 2500.0 are the same number; integers exactly). The bump follows the Data Package
specification's versioning recipe (see DESCRIPTIVE below for each schema property):

- major: a user's code can break: a table, column or row removed, a column added, renamed or moved, a type, format
  or the reading of a cell changed, a constraint made more restrictive, allowed values withdrawn or reordered, a
  primary key changed, the package renamed or relicensed, an id reused for another thing;
- minor: new data: tables or rows added, allowed values added, constraints loosened, foreign keys added;
- patch: corrections: a value corrected, a description reworded.

An id is reused when a row keeps its primary key but changes what it is about: a change to a field a table's
schema lists under `x-identity` (for statistics: indicator, geography and period) or, where none is declared, to
its unique keys; or a key that now holds, value for value, the row another key held (ids traded). That is major,
not a correction.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import os
import re
import subprocess
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from packaging.version import Version
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from .safety import (
    MAX_JSON_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_PACKAGE_BYTES,
    NotInPackage,
    Unsafe,
    load_json,
    read_inside,
    safe_relpath,
)
from .safety import parse_version as safe_parse_version

DESCRIPTOR = "datapackage.json"
BUMPS = ("none", "patch", "minor", "major")
IDENTITY = "x-identity"  # Table Schema property: the fields that say what a row is about
SHOWN_PER_TABLE = 50  # rows listed per table in the terminal report; the JSON lists them all


class SideError(Exception):
    """A side of the diff cannot be read: not a zip, a package folder or a git ref, or a file in it is missing,
    too large, malformed or hostile. Its message is one line, naming the side and the file."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


def bigger(a: str, b: str) -> str:
    return a if BUMPS.index(a) >= BUMPS.index(b) else b


# --- reading a side ------------------------------------------------------------------------------------------
# Each side is read through one function, path -> bytes or None (not in the package), that reads only what is asked
# for: the descriptor, then the schemas and CSVs it names. Every file is sized before it is read.

Reader = Callable[[str], "bytes | None"]


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


# the methods zipfile inflates; anything else (99: AES) would raise at read time
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# what reading a zip, a git object or a CSV may raise on a hostile file: each becomes a one-line SideError
READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    MemoryError,
    RecursionError,
    UnicodeError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    csv.Error,
    subprocess.SubprocessError,
    pl.exceptions.PolarsError,
)


def _reason(err: BaseException) -> str:
    if isinstance(err, MemoryError):
        return "out of memory"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err).splitlines()[0] if str(err).strip() else type(err).__name__


class _Zip:
    """A release zip: its central directory is read and counted, and a member is read only when the package names
    it, after its flags, method and declared size are checked; zipfile then inflates no more than that size and
    checks the CRC."""

    def __init__(self, path: Path) -> None:
        self.label = path.name
        self.archive = zipfile.ZipFile(path)
        infos = self.archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SideError(f"{self.label}: {len(infos):,} members, more than the {MAX_MEMBERS:,} a package may hold")
        counts = Counter(info.filename for info in infos)
        twice = sorted(name for name, n in counts.items() if n > 1)
        if twice:  # readers disagree on which of two same-named members they take
            raise SideError(f"{self.label}: holds {twice[0]} {counts[twice[0]]} times")
        self.files = {
            info.filename: info
            for info in infos
            if not info.is_dir() and (info.external_attr >> 16) & 0o170000 != 0o120000  # no folders or symlinks
        }
        self.prefix = ""
        if DESCRIPTOR not in self.files:  # 0.1.0's layout: everything in one top folder
            tops = {name.split("/", 1)[0] for name in self.files}
            if len(tops) != 1 or f"{next(iter(tops))}/{DESCRIPTOR}" not in self.files:
                raise SideError(f"{self.label}: no {DESCRIPTOR} at its root")
            self.prefix = next(iter(tops)) + "/"

    def read(self, path: str) -> bytes | None:
        name = self.prefix + safe_relpath(path, f"{self.label}: {DESCRIPTOR}")
        info = self.files.get(name)
        if info is None:
            return None
        where = f"{self.label}: {name}"
        if info.flag_bits & 0x1:
            raise SideError(f"{where}: encrypted; a package's members are not")
        if info.compress_type not in ZIP_METHODS:
            raise SideError(f"{where}: compression method {info.compress_type}, which this reader does not support")
        if info.file_size > MAX_MEMBER_BYTES:
            raise SideError(
                f"{where}: declares {info.file_size:,} bytes, more than the {MAX_MEMBER_BYTES:,} a package file may"
                " hold"
            )
        try:
            with self.archive.open(info) as handle:
                return handle.read(info.file_size + 1)
        except READ_ERRORS as err:
            raise SideError(f"{where}: cannot be read ({_reason(err)})") from None


GIT_TIMEOUT = 120  # seconds for one git command: reading a blob of MAX_MEMBER_BYTES takes a few
HEX = re.compile(r"[0-9a-f]{7,64}")  # an abbreviated or full commit id


def _run_git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # no pager, no prompt for credentials, paths taken literally (no globs)
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "GIT_LITERAL_PATHSPECS": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=GIT_TIMEOUT, env=env)


def resolve_ref(repo: Path, ref: str) -> str | None:
    """The commit a git ref names (a tag, a branch or a commit id), or None. A text that is not a well-formed ref
    name (git check-ref-format) or commit id is refused before git resolves it, and git is told where its options
    end, so that no ref is read as an option."""
    if not ref or ref.startswith("-") or not ref.isprintable():
        return None
    try:
        if not HEX.fullmatch(ref) and _run_git(repo, "check-ref-format", "--allow-onelevel", ref).returncode != 0:
            return None
        result = _run_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.decode("ascii", "replace").strip()
    return commit if result.returncode == 0 and HEX.fullmatch(commit) else None


def is_git_ref(repo: Path, ref: str) -> bool:
    return resolve_ref(repo, ref) is not None


class _Git:
    """A commit of a repository: each file the package names is looked up in its tree (mode, type, size) before its
    blob is read, so that a link, a folder or a blob too large is refused unread."""

    def __init__(self, repo: Path, label: str, commit: str) -> None:
        self.repo, self.label, self.commit = repo, label, commit

    def read(self, path: str) -> bytes | None:
        safe_relpath(path, f"{self.label}: {DESCRIPTOR}")
        where = f"{self.label}: {path}"
        listed = _run_git(self.repo, "ls-tree", "-l", "-z", self.commit, "--", path)
        if listed.returncode != 0:
            raise SideError(
                f"{where}: git ls-tree failed ({_reason(RuntimeError(listed.stderr.decode(errors='replace')))})"
            )
        entry = next((e for e in listed.stdout.split(b"\0") if e.endswith(b"\t" + path.encode())), None)
        if entry is None:
            return None
        mode, kind, oid, size = entry.split(b"\t", 1)[0].split()
        if mode == b"120000":
            raise SideError(f"{where}: a symbolic link; a package's files are regular files")
        if kind != b"blob":
            raise SideError(f"{where}: not a regular file")
        if int(size) > MAX_MEMBER_BYTES:
            raise SideError(f"{where}: {int(size):,} bytes, more than the {MAX_MEMBER_BYTES:,} a package file may hold")
        blob = _run_git(self.repo, "cat-file", "blob", oid.decode("ascii"))
        if blob.returncode != 0 or len(blob.stdout) != int(size):
            raise SideError(f"{where}: git cannot read it")
        return blob.stdout


def _folder_reader(root: Path) -> Reader:
    def read(path: str) -> bytes | None:
        try:
            return read_inside(root, path, limit=MAX_MEMBER_BYTES)
        except NotInPackage:
            return None

    return read


def load_side(spec: str, repo: Path) -> Side:
    """A side named on the command line: a release zip, a package folder or a git ref of `repo`."""
    if not isinstance(spec, str) or spec == "":  # Path("") is the current folder: an empty name must not mean "."
        raise SideError("empty name: give a release zip, a package folder or a git ref")
    where = spec if spec.isprintable() else repr(spec)
    path = Path(spec)
    try:
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise SideError(f"{where}: a file, but not a zip")
            zipped = _Zip(path)
            with zipped.archive:
                return side_from(path.name, zipped.read)
        if path.is_dir():
            return side_from(where, _folder_reader(path.resolve()))
    except SideError:
        raise
    except READ_ERRORS as err:
        raise SideError(f"{where}: cannot be read ({_reason(err)})") from None
    commit = resolve_ref(repo, spec)
    if commit is None:
        raise SideError(f"{where}: not a zip, a package folder or a git ref of {repo}")
    return side_from(where, _Git(repo, where, commit).read)


def _csv_frame(data: bytes, where: str) -> pl.DataFrame:
    """The CSV as text columns, as written: polars reads it in one pass, so a large table stays cheap to compare.
    Its header is read first (the csv module, one record): a repeated column name is refused, not renamed."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        header = next(csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")), [])
    except (csv.Error, UnicodeDecodeError) as err:
        raise SideError(f"{where}: not a readable CSV header ({_reason(err)})") from None
    twice = sorted(name for name, n in Counter(header).items() if n > 1)
    if twice:
        raise SideError(f"{where}: the header names column {twice[0]!r} {header.count(twice[0])} times")
    try:
        return pl.read_csv(
            io.BytesIO(data),
            infer_schema=False,
            empty_string_is_null=False,
            quote_char='"',
            encoding="utf8",
        )
    except (pl.exceptions.PolarsError, ValueError) as err:
        raise SideError(f"{where}: not a readable CSV ({_reason(err)})") from None


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


def _check_resources(label: str, descriptor: dict[str, Any]) -> None:
    """The descriptor's resources, as much as the diff relies on: a list of objects with distinct names."""
    resources = descriptor.get("resources", [])
    if not isinstance(resources, list):
        raise SideError(f"{label}: {DESCRIPTOR}: resources is a {type(resources).__name__}, not a list")
    if len(resources) > MAX_MEMBERS:
        raise SideError(f"{label}: {DESCRIPTOR}: {len(resources):,} resources, more than {MAX_MEMBERS:,}")
    names: Counter[str] = Counter()
    for i, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise SideError(f"{label}: {DESCRIPTOR}: resource {i} is a {type(resource).__name__}, not an object")
        names[str(resource.get("name"))] += 1
    twice = sorted(name for name, n in names.items() if n > 1)
    if twice:
        raise SideError(f"{label}: {DESCRIPTOR}: {names[twice[0]]} resources are named {twice[0]!r}")


def side_from(label: str, read: Reader) -> Side:
    """A side read through `read` (path -> bytes, or None when the package has no such file). Whatever the files
    hold, a fault is a SideError naming the side and the file."""
    try:
        return _side_from(label, read)
    except SideError:
        raise
    except Unsafe as err:
        raise SideError(f"{label}: {err}") from None
    except READ_ERRORS as err:
        raise SideError(f"{label}: cannot be read ({_reason(err)})") from None


def _side_from(label: str, read: Reader) -> Side:
    budget = [MAX_PACKAGE_BYTES]

    def read_counted(path: str) -> bytes:
        data = read(path)
        if data is None:
            raise SideError(f"{label}: {path} is missing" if path != DESCRIPTOR else f"{label}: no {DESCRIPTOR}")
        budget[0] -= len(data)
        if budget[0] < 0:
            raise SideError(f"{label}: {path}: the package's files hold more than {MAX_PACKAGE_BYTES:,} bytes")
        return data

    def json_file(path: str) -> Any:
        data = read_counted(path)
        if len(data) > MAX_JSON_BYTES:
            raise SideError(f"{label}: {path}: {len(data):,} bytes, more than the {MAX_JSON_BYTES:,} JSON may hold")
        try:
            return load_json(data, f"{label}: {path}")
        except ValueError as err:
            raise SideError(str(err)) from None

    descriptor = json_file(DESCRIPTOR)
    if not isinstance(descriptor, dict):
        raise SideError(f"{label}: {DESCRIPTOR} is not a JSON object")
    _check_resources(label, descriptor)
    schemas, frames = {}, {}
    for name, (data_path, schema) in _tables(descriptor).items():
        if isinstance(schema, str):
            schema = json_file(schema)
        if not isinstance(schema, dict):
            raise SideError(f"{label}: resource {name!r} has no Table Schema")
        if len(json.dumps(schema)) > MAX_JSON_BYTES:  # an inline schema counts as a file of its own
            raise SideError(f"{label}: resource {name!r}: its Table Schema is larger than {MAX_JSON_BYTES:,} bytes")
        schemas[name] = schema
        frames[name] = _csv_frame(read_counted(data_path), f"{label}: {data_path}")
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
    """A column as its field's type reads it, as text to compare: null when missing, integers exactly (leading
    zeros and '+' dropped), numbers as floats (2500 and 2500.0 are the same) except whole numbers of 2^53 and
    beyond, which a float cannot tell apart and which are compared as integers; booleans as true or false."""
    f = _fields(schema).get(name, {})
    kind, column = f.get("type", "string"), pl.col(source or name)
    value = pl.when(column.is_in(sorted(_missing(schema, f)))).then(pl.lit(None, pl.String)).otherwise(column)
    whole = value.str.replace(r"^\+", "").str.replace(r"^(-?)0+([0-9])", "${1}${2}").str.replace(r"^-0$", "0")
    is_whole = value.str.contains(r"^[+-]?[0-9]+$")
    if kind == "integer":
        return pl.when(is_whole).then(whole).otherwise(value)
    if kind == "number":
        number = value.cast(pl.Float64, strict=False)
        exact = is_whole & (number.abs() >= 2.0**53)
        return pl.when(exact).then(whole).otherwise(pl.coalesce(number.cast(pl.String), value))
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


# The bump each change of a Table Schema needs: the Data Package specification's versioning recipe
# (https://datapackage.org/recipes/data-package-version/), property by property.
# - major: a name changed; a field added, removed or moved (code that reads by position breaks); its type or format;
#   anything that changes how a cell's text is read (decimalChar, groupChar, bareNumber, trueValues, falseValues,
#   missingValues), what a value means (unit, rdfType, categories) or the order of allowed values (the order of a
#   categorical's categories, which sorting follows); a constraint made more restrictive; a primary key changed;
#   a unique key added; a foreign key removed; a property this diff does not know (its effect cannot be rated);
# - minor: a constraint made less restrictive (a bound relaxed or dropped, allowed values added); a unique key
#   dropped; a foreign key added (a reference to another table);
# - patch: descriptive properties: title, description, example, and extensions (x-...).
DESCRIPTIVE = {"title", "description", "example", "$schema"}
READING = ("decimalChar", "groupChar", "bareNumber", "trueValues", "falseValues", "missingValues")
MEANING = ("unit", "rdfType", "categoriesOrdered")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum")
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum")
FLAGS = ("required", "unique")


def _descriptive(prop: str) -> bool:
    return prop in DESCRIPTIVE or prop.startswith("x-")


def _values(listed: Any) -> list[Any]:
    """Allowed values or categories as a list of values (categories may be {value, label} objects)."""
    return [v["value"] if isinstance(v, dict) and "value" in v else v for v in listed or []]


def _list_change(a: Any, b: Any) -> tuple[str, str] | None:
    """How a list of allowed values changed: (bump, what) or None when it did not."""
    if a == b:
        return None
    if a is None:
        return "major", "now restricted to a list"
    if b is None:
        return "minor", "no longer restricted to a list"
    va, vb = _values(a), _values(b)
    withdrawn = [v for v in va if v not in vb]
    if withdrawn:
        return "major", f"withdrawn: {', '.join(map(str, withdrawn))}"
    if [v for v in vb if v in va] != va:
        return "major", "reordered (the order of a categorical's categories, which sorting follows)"
    granted = [v for v in vb if v not in va]
    if granted:
        return "minor", f"added: {', '.join(map(str, granted))}"
    return "patch", "labels changed"


def _bound_change(prop: str, a: Any, b: Any) -> str:
    """major when a bound is added or tightened, minor when it is dropped or relaxed."""
    if b is None:
        return "minor"
    if a is None or type(a) is not type(b) or isinstance(a, bool):
        return "major"
    try:
        tighter = b > a if prop in LOWER_BOUNDS else b < a
    except TypeError:
        return "major"
    return "major" if tighter else "minor"


def _constraint_change(prop: str, a: Any, b: Any) -> str:
    if prop in LOWER_BOUNDS or prop in UPPER_BOUNDS:
        return _bound_change(prop, a, b)
    if prop in FLAGS:
        return "major" if b is True and a is not True else "minor"
    # pattern, jsonSchema and what this diff does not know: dropping it loosens; a new or changed one may restrict
    # (no general test tells whether one pattern admits more than another)
    return "minor" if b is None else "major"


def _field_changes(col: str, a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    """(bump, kind, message, old, new) for each property of a field that changed."""
    out: list[tuple[str, str, str, Any, Any]] = []
    for prop, default in (("type", "string"), ("format", "default")):
        if a.get(prop, default) != b.get(prop, default):
            out.append(
                (
                    "major",
                    f"{prop}_changed",
                    f"{col}: {prop} {a.get(prop, default)} -> {b.get(prop, default)}",
                    a.get(prop, default),
                    b.get(prop, default),
                )
            )
    ac, bc = a.get("constraints") or {}, b.get("constraints") or {}
    if not isinstance(ac, dict) or not isinstance(bc, dict):
        raise TypeError(f"{col}: constraints is not an object")
    change = _list_change(ac.get("enum"), bc.get("enum"))
    if change is not None:
        bump, what = change
        kind = (
            "allowed_values_removed"
            if "withdrawn" in what
            else (
                "allowed_values_reordered"
                if "reordered" in what
                else "allowed_values_added"
                if bump == "minor" and "added" in what
                else "constraint_changed"
            )
        )
        out.append((bump, kind, f"{col}: allowed values {what}", ac.get("enum"), bc.get("enum")))
    for prop in sorted((ac.keys() | bc.keys()) - {"enum"}):
        if ac.get(prop) != bc.get(prop):
            bump = _constraint_change(prop, ac.get(prop), bc.get(prop))
            looser = "relaxed or dropped" if bump == "minor" else "added or made more restrictive"
            out.append(
                (
                    bump,
                    "constraint_changed",
                    f"{col}: constraint {prop} {looser}: {_describe(ac.get(prop))} -> {_describe(bc.get(prop))}",
                    ac.get(prop),
                    bc.get(prop),
                )
            )
    change = _list_change(a.get("categories"), b.get("categories"))
    if change is not None:
        bump, what = change
        out.append((bump, "categories_changed", f"{col}: categories {what}", a.get("categories"), b.get("categories")))
    for prop in sorted((a.keys() | b.keys()) - {"name", "type", "format", "constraints", "categories"}):
        if a.get(prop) == b.get(prop):
            continue
        if _descriptive(prop):
            out.append(("patch", "field_metadata_changed", f"{col}: {prop} changed", a.get(prop), b.get(prop)))
        elif prop in READING:
            out.append(
                (
                    "major",
                    "reading_changed",
                    f"{col}: {prop} changed: the same text now reads as another value",
                    a.get(prop),
                    b.get(prop),
                )
            )
        elif prop in MEANING:
            out.append(
                (
                    "major",
                    "meaning_changed",
                    f"{col}: {prop} changed: the values now mean something else",
                    a.get(prop),
                    b.get(prop),
                )
            )
        else:
            out.append(
                (
                    "major",
                    "property_changed",
                    f"{col}: {prop} changed (a property whose effect this diff cannot rate)",
                    a.get(prop),
                    b.get(prop),
                )
            )
    return out


def _keys_of(schema: dict[str, Any], prop: str) -> set[str]:
    listed = schema.get(prop) or []
    if not isinstance(listed, list):
        raise TypeError(f"{prop} is not a list")
    return {json.dumps(k, sort_keys=True) for k in listed}


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
        add("major", "column_added", f"column {col} added: code that reads columns by position breaks", col)
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
        for bump, kind, message, o, n in _field_changes(col, of[col], nf[col]):
            add(bump, kind, message, col, o, n)
    if _key(old) != _key(new):
        add(
            "major",
            "primary_key_changed",
            f"primary key {', '.join(_key(old))} -> {', '.join(_key(new))}",
            "",
            _key(old),
            _key(new),
        )
    for prop, gone_bump, came_bump, what in (
        ("foreignKeys", "major", "minor", "foreign key"),
        ("uniqueKeys", "minor", "major", "unique key"),
    ):
        before, after = _keys_of(old, prop), _keys_of(new, prop)
        for gone in sorted(before - after):
            add(gone_bump, f"{what.replace(' ', '_')}_removed", f"{what} removed: {gone}", "", json.loads(gone), None)
        for came in sorted(after - before):
            add(came_bump, f"{what.replace(' ', '_')}_added", f"{what} added: {came}", "", None, json.loads(came))
    handled = {"fields", "primaryKey", "foreignKeys", "uniqueKeys"}
    for prop in sorted((old.keys() | new.keys()) - handled):
        if old.get(prop) == new.get(prop):
            continue
        if _descriptive(prop) or prop == "name":
            add("patch", "table_metadata_changed", f"{prop} changed", "", old.get(prop), new.get(prop))
        elif prop in READING:
            add(
                "major",
                "reading_changed",
                f"{prop} changed: the same text now reads as another value",
                "",
                old.get(prop),
                new.get(prop),
            )
        else:
            add(
                "major",
                "property_changed",
                f"{prop} changed (a property whose effect this diff cannot rate)",
                "",
                old.get(prop),
                new.get(prop),
            )
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


# names no CSV header can clash with
OLD, NEW, IN_OLD, IN_NEW = "\x00old:", "\x00new:", "\x00in_old", "\x00in_new"
KEY, DIFFERS, FROM = "\x00key", "\x00differs:", "\x00from"
OLD_CONTENT, NEW_CONTENT = "\x00old_content", "\x00new_content"


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
    identity = [c for c in _identity(new.schemas[name], key) if c in columns]
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
        pl.concat_str([pl.col(k) for k in key], separator="|").alias(KEY)
    )
    rows.added = sorted(joined.filter(pl.col(IN_OLD).is_null())[KEY].to_list())
    rows.removed = sorted(joined.filter(pl.col(IN_NEW).is_null())[KEY].to_list())
    if not columns:
        return rows, _row_counts(name, rows, changes)
    canonical_old = [_canonical(old.schemas[name], back.get(c, c), OLD + c) for c in columns]
    canonical_new = [_canonical(new.schemas[name], c, NEW + c) for c in columns]
    differs = [~a.eq_missing(b) for a, b in zip(canonical_old, canonical_new, strict=True)]
    joined = joined.with_columns(
        *[d.alias(DIFFERS + c) for c, d in zip(columns, differs, strict=True)],
        _content(canonical_old).alias(OLD_CONTENT),
        _content(canonical_new).alias(NEW_CONTENT),
    )
    both = joined.filter(
        pl.col(IN_OLD) & pl.col(IN_NEW) & pl.any_horizontal([pl.col(DIFFERS + c) for c in columns])
    ).sort(KEY)
    moved = _moved(joined, both)
    for row in both.iter_rows(named=True):
        diff = {c: [row[OLD + c], row[NEW + c]] for c in columns if row[DIFFERS + c]}
        k = row[KEY]
        entry = {"key": k, "columns": diff}
        if any(c in diff for c in identity) or k in moved:
            rows.reused.append(entry)
            if k in moved:
                why = f"it now holds the row {moved[k]} held"
            else:
                why = ", ".join(
                    f"{c} {diff[c][0] or '(empty)'} -> {diff[c][1] or '(empty)'}" for c in identity if c in diff
                )
            changes.append(
                Change(
                    "major",
                    "id_reused",
                    name,
                    ",".join(c for c in identity if c in diff),
                    k,
                    message=f"{k} now means another thing ({why}): a reused id, not a correction",
                )
            )
        else:
            rows.changed.append(entry)
    return rows, _row_counts(name, rows, changes)


def _identity(schema: dict[str, Any], key: list[str]) -> list[str]:
    """The fields that say what a row is about: those the schema lists under x-identity, or else its other
    identifiers, the fields of its unique keys and unique fields. A change to one is a reused id."""
    declared = schema.get(IDENTITY)
    if declared is not None:
        if not isinstance(declared, list):
            raise TypeError(f"{IDENTITY} is not a list")
        return [str(c) for c in declared]
    out = [str(c) for unique in schema.get("uniqueKeys") or [] for c in (unique if isinstance(unique, list) else [])]
    out += [name for name, f in _fields(schema).items() if (f.get("constraints") or {}).get("unique") is True]
    return [c for c in dict.fromkeys(out) if c not in key]


def _content(canonical: list[pl.Expr]) -> pl.Expr:
    """A row's values but its key, as one text; null when every one is empty (such rows say nothing of identity)."""
    text = pl.concat_str([c.fill_null("\x00") for c in canonical], separator="\x1f")
    empty = pl.all_horizontal([c.is_null() | (c == "") for c in canonical])
    return pl.when(empty).then(pl.lit(None, pl.String)).otherwise(text)


def _moved(joined: pl.DataFrame, both: pl.DataFrame) -> dict[str, str]:
    """Keys whose row now holds, value for value, the row another key held, while that key's row changed or went:
    the ids were traded or reused (with or without x-identity), not corrected. New key -> the key it took over."""
    left = joined.filter(pl.col(IN_OLD) & (pl.col(IN_NEW).is_null() | pl.col(KEY).is_in(both[KEY].implode())))
    pairs = (
        both.select(KEY, NEW_CONTENT)
        .drop_nulls(NEW_CONTENT)
        .join(
            left.select(pl.col(KEY).alias(FROM), pl.col(OLD_CONTENT)).drop_nulls(OLD_CONTENT),
            left_on=NEW_CONTENT,
            right_on=OLD_CONTENT,
        )
        .filter(pl.col(KEY) != pl.col(FROM))
        .sort(KEY, FROM)
        .unique(subset=KEY, keep="first")
    )
    return dict(zip(pairs[KEY].to_list(), pairs[FROM].to_list(), strict=True))


def _row_counts(name: str, rows: TableRows, changes: list[Change]) -> list[Change]:
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
    return changes


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
# One rule for every version (safety.parse_version): SemVer MAJOR.MINOR.PATCH with an optional -alpha.N, -beta.N or
# -rc.N. A pre-release previews the bump from the release before it to its own MAJOR.MINOR.PATCH: 0.2.0-rc.1
# previews a minor bump, 1.0.0-rc.1 a major one, 0.1.1-rc.1 a patch; from a pre-release to a later one of the same
# MAJOR.MINOR.PATCH, or to that release itself, is a bump of that size.


def parse_version(version: str) -> Version | None:
    """The version under the package's rule (safety.parse_version), or None when it is not one."""
    try:
        return safe_parse_version(version)
    except Unsafe:
        return None


def _previewed(release: tuple[int, ...]) -> str:
    _, minor, patch = release
    return "patch" if patch else "minor" if minor else "major"


def version_bump(old: str, new: str) -> str | None:
    """The bump from one version to the next: none, patch, minor or major; None when new is not above old."""
    a, b = parse_version(old), parse_version(new)
    if a is None or b is None or b < a:
        return None
    if b.release[0] > a.release[0]:
        return "major"
    if b.release[1] > a.release[1]:
        return "minor"
    if b.release[2] > a.release[2]:
        return "patch"
    return "none" if b == a else _previewed(b.release)


def next_version(old: str, bump: str) -> str:
    """The lowest version above `old` that makes `bump`: from a pre-release, its own release when that is enough."""
    version = parse_version(old)
    if version is None:
        major, minor, patch = 0, 0, 0
    else:
        major, minor, patch = version.release
        if (
            version.is_prerelease
            and bump in BUMPS[1:]
            and BUMPS.index(bump) <= BUMPS.index(_previewed(version.release))
        ):
            return f"{major}.{minor}.{patch}"
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
