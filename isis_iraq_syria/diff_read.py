"""One side of the diff, a release zip, a package folder or a git ref, read safely.

Only the package's own files are read (the descriptor, then the schemas and CSVs it names), each sized before it is
read; whatever a side holds, a fault is a SideError with one line naming the side and the file. A CSV is copied in
chunks into a temporary folder the Side owns (removed with it), hashed on the way, and read from there by polars only
as far as the comparison asks: a table whose bytes and schema are the same on both sides is not parsed at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .diff_sources import (
    DESCRIPTOR,
    READ_ERRORS,
    GitSource,
    Reader,
    SideError,
    ZipSource,
    _reason,
    folder_source,
    in_a_repository,
    is_git_ref,
    resolve_ref,
)
from .safety import MAX_JSON_BYTES, MAX_MEMBERS, MAX_PACKAGE_BYTES, Unsafe, load_json

__all__ = ["DESCRIPTOR", "Side", "SideError", "is_git_ref", "load_side", "resolve_ref", "side_from"]

MAX_HEADER_BYTES = 1 << 20  # a CSV header of a few hundred columns is a few kB
BOM = b"\xef\xbb\xbf"
# how polars reads a CSV of the package: every cell as the text in the CSV ("" when empty)
CSV_OPTIONS: dict[str, Any] = {"infer_schema": False, "empty_string_is_null": False, "quote_char": '"'}


@dataclass
class Side:
    """One version of the package: its descriptor, Table Schemas and CSV tables, by table name."""

    label: str
    descriptor: dict[str, Any]
    schemas: dict[str, dict[str, Any]]
    frames: dict[str, pl.LazyFrame]  # each CSV, every cell as text, read when a query is collected
    headers: dict[str, list[str]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # sha256 of each CSV's bytes
    paths: dict[str, str] = field(default_factory=dict)  # each CSV's path in the package, to name it in a fault
    folder: Any = field(default=None, repr=False, compare=False)  # the copies' TemporaryDirectory

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def header(self, name: str) -> list[str]:
        return self.headers[name]

    def collect(self, name: str, query: pl.LazyFrame) -> pl.DataFrame:
        """A query of one of this side's tables, run by polars' streaming engine (a table is read in batches, so
        what a query keeps, not the table, sets the memory); a CSV polars cannot read is a SideError naming it."""
        try:
            return query.collect(engine="streaming")
        except (*READ_ERRORS, pl.exceptions.PolarsError, pl.exceptions.PanicException) as err:
            raise SideError(
                f"{self.label}: {self.paths.get(name, name)}: not a readable CSV ({_reason(err)})"
            ) from None


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
            zipped = ZipSource(path)
            with zipped.archive:
                return side_from(path.name, zipped.read)
        if path.is_dir():
            return side_from(where, folder_source(path.resolve()))
    except SideError:
        raise
    except READ_ERRORS as err:
        raise SideError(f"{where}: cannot be read ({_reason(err)})") from None
    commit = resolve_ref(repo, spec)
    if commit is None and not in_a_repository(repo):
        raise SideError(
            f"{where}: not a zip or a package folder, and {repo} is in no git repository to look a ref up in "
            "(--repo names one)"
        )
    if commit is None:
        raise SideError(f"{where}: not a zip, a package folder or a git ref of {repo}")
    return side_from(where, GitSource(repo, where, commit).read)


def _header(path: Path, where: str) -> list[str]:
    """The CSV's header, read by the csv module from its first MAX_HEADER_BYTES at most: a repeated column name is
    refused, not renamed."""
    with open(path, "rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + 1)
    if len(head) > MAX_HEADER_BYTES:
        if b"\n" not in head:
            raise SideError(f"{where}: no header line within its first {MAX_HEADER_BYTES:,} bytes")
        head = head[: head.rindex(b"\n") + 1]
    try:
        header = next(csv.reader(io.StringIO(head.decode("utf-8"), newline="")), [])
    except (csv.Error, UnicodeDecodeError) as err:
        raise SideError(f"{where}: not a readable CSV header ({_reason(err)})") from None
    twice = sorted(name for name, n in Counter(header).items() if n > 1)
    if twice:
        raise SideError(f"{where}: the header names column {twice[0]!r} {header.count(twice[0])} times")
    return header


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

    def chunks(path: str) -> Any:
        data = read(path)
        if data is None:
            raise SideError(f"{label}: {path} is missing" if path != DESCRIPTOR else f"{label}: no {DESCRIPTOR}")
        for chunk in [data] if isinstance(data, bytes) else data:
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise SideError(f"{label}: {path}: the package's files hold more than {MAX_PACKAGE_BYTES:,} bytes")
            yield chunk

    def json_file(path: str) -> Any:
        data = bytearray()
        for chunk in chunks(path):
            data += chunk
            if len(data) > MAX_JSON_BYTES:
                raise SideError(f"{label}: {path}: more than the {MAX_JSON_BYTES:,} bytes JSON may hold")
        try:
            return load_json(bytes(data), f"{label}: {path}")
        except ValueError as err:
            raise SideError(str(err)) from None

    descriptor = json_file(DESCRIPTOR)
    if not isinstance(descriptor, dict):
        raise SideError(f"{label}: {DESCRIPTOR} is not a JSON object")
    _check_resources(label, descriptor)
    side = Side(label, descriptor, {}, {})
    for name, (data_path, schema) in _tables(descriptor).items():
        if isinstance(schema, str):
            schema = json_file(schema)
        if not isinstance(schema, dict):
            raise SideError(f"{label}: resource {name!r} has no Table Schema")
        if len(json.dumps(schema)) > MAX_JSON_BYTES:  # an inline schema counts as a file of its own
            raise SideError(f"{label}: resource {name!r}: its Table Schema is larger than {MAX_JSON_BYTES:,} bytes")
        side.schemas[name] = schema
        if side.folder is None:
            side.folder = tempfile.TemporaryDirectory(prefix="isis-iraq-syria-diff-")
        copy = Path(side.folder.name) / f"{len(side.frames)}.csv"
        digest = hashlib.sha256()
        with open(copy, "wb") as out:
            for i, chunk in enumerate(chunks(data_path)):
                digest.update(chunk)
                out.write(chunk.removeprefix(BOM) if i == 0 else chunk)
        side.paths[name], side.digests[name] = data_path, digest.hexdigest()
        side.headers[name] = _header(copy, f"{label}: {data_path}")
        side.frames[name] = pl.scan_csv(copy, **CSV_OPTIONS)
    return side
