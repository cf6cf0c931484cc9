"""Reading one side of the diff, a release zip, a package folder or a git ref, safely.

Only the package's own files are read (the descriptor, then the schemas and CSVs it names), each sized before it is
read; whatever a side holds, a fault is a SideError with one line naming the side and the file.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

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

DESCRIPTOR = "datapackage.json"


class SideError(Exception):
    """A side of the diff cannot be read: not a zip, a package folder or a git ref, or a file in it is missing,
    too large, malformed or hostile. Its message is one line, naming the side and the file."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


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
