"""Names, paths and versions taken from a descriptor, checked before they are used to read or write a file.

A descriptor is data: its `name` becomes a file name in dist/, its resource paths are read and packed. Each is
checked against a plain pattern first, and a path is read only when every part of it, from the package's root
down, is a real folder or a regular file inside the package (no symlink, no '..', nothing absolute).

What a package reads is bounded: a file is sized before it is read, and refused when larger than MAX_MEMBER_BYTES;
JSON is refused when nested deeper than MAX_JSON_DEPTH.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from packaging.version import InvalidVersion, Version

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$")  # the Data Package name rule, without '..'
# SemVer 2.0's MAJOR.MINOR.PATCH, with an optional pre-release of the three kinds SemVer and Python's versions
# (PEP 440, which pyproject.toml's version must be) order alike: 0.2.0-alpha.1 < 0.2.0-beta.1 < 0.2.0-rc.1 < 0.2.0.
# ASCII digits only, no leading zero, at most six digits a part; no build metadata (+...), which SemVer ignores in
# ordering and PEP 440 reads as a local version.
VERSION = re.compile(
    r"(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})(?:-(alpha|beta|rc)\.(0|[1-9][0-9]{0,5}))?"
)
PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")

# The largest file of a package read at once. This package's rows are about 200 bytes, so a table of 1M statistics
# (the size the benchmarks target) is about 200 MB: 512 MiB leaves it room to grow 2.5 times, while a zip member
# that claims more (a zip bomb: 16 GB of zeros in 17 MB) is refused before a byte of it is inflated, and what a
# member may cost in memory stays within what the validator itself may take at that size (2 GiB).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
# What one side of a diff reads in all (the descriptor, the schemas and every CSV): four of the largest files.
MAX_PACKAGE_BYTES = 4 * MAX_MEMBER_BYTES
# A descriptor or a Table Schema is a few kilobytes; 64 MiB is far beyond any real one.
MAX_JSON_BYTES = 64 * 1024 * 1024
# A Table Schema nests five levels deep (fields, a field, constraints, enum, a value); 64 is far beyond any real one,
# and far below what would exhaust Python's stack ('[' x 100000).
MAX_JSON_DEPTH = 64
# The entries of a zip, counted before any is read: a release holds about 60, the repository about 200.
MAX_MEMBERS = 100_000
# The compression methods zipfile inflates; anything else (99: AES) would fail at read time, so a member using one is
# refused before it is read, by the validator and the diff alike
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


class CannotRun(Exception):
    """A file is missing or unreadable as a whole: validation cannot run (exit 2)."""


class Unsafe(Exception):
    """A name or path that would read or write outside the package."""


class NotInPackage(Unsafe):
    """A safe path that names no file of the package."""


class TooLarge(Unsafe):
    """A file larger than what a package reads at once, or JSON nested too deep."""


def safe_name(name: object, what: str = "name") -> str:
    if not isinstance(name, str) or not NAME.match(name) or ".." in name:
        raise Unsafe(
            f"datapackage.json: {what} {name!r} is not a safe name (lower-case letters, digits, '.', '-', '_')"
        )
    return name


def parse_version(text: object, where: str = "datapackage.json") -> Version:
    """The package's one version rule: SemVer MAJOR.MINOR.PATCH with an optional -alpha.N, -beta.N or -rc.N,
    as a packaging Version (ordered as SemVer orders them). Raises Unsafe for anything else, "0.1.0\\n" included."""
    if not isinstance(text, str) or not VERSION.fullmatch(text):
        raise Unsafe(f"{where}: version {text!r} is not MAJOR.MINOR.PATCH (optionally with -alpha.N, -beta.N or -rc.N)")
    try:
        return Version(text)
    except InvalidVersion:  # not reached: every text the pattern admits is a PEP 440 version
        raise Unsafe(f"{where}: version {text!r} is not a version") from None


def safe_version(version: object) -> str:
    """The version as written, when parse_version accepts it (it names the release's files)."""
    parse_version(version)
    assert isinstance(version, str)
    return version


def safe_relpath(path: object, where: str = "datapackage.json") -> str:
    """A relative path of plain parts: no '..', no leading '/', no backslash, no drive, no empty part."""
    if not isinstance(path, str) or not PATH.match(path) or any(part in (".", "..") for part in path.split("/")):
        raise Unsafe(f"{where}: path {path!r} leaves the package or is not a plain relative path")
    return path


def inside(root: Path, path: str, folder: bool = False, where: str = "datapackage.json") -> Path:
    """`root/path` after the package's one path check: a plain relative path (safe_relpath) whose every part, from
    the root down, is a real folder, and whose last is a regular file (or, with `folder`, a folder). A symbolic link
    anywhere on the way could name any file of the machine; a FIFO would hang a reader, a folder crash it."""
    safe_relpath(path, where)
    current = root
    parts = path.split("/")
    for i, part in enumerate(parts):
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            raise NotInPackage(f"{path}: {'folder' if folder else 'file'} not found in the package") from None
        except OSError as err:
            raise Unsafe(f"{path}: cannot be read ({err.strerror})") from None
        if stat.S_ISLNK(info.st_mode):
            raise Unsafe(f"{'/'.join(parts[: i + 1])}: is a symbolic link; the package reads only its own files")
        last = i == len(parts) - 1
        if last and folder and not stat.S_ISDIR(info.st_mode):
            raise Unsafe(f"{path}: not a folder")
        if last and not folder and not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO, socket or device"
            raise Unsafe(f"{path}: not a regular file ({kind})")
        if not last and not stat.S_ISDIR(info.st_mode):
            raise Unsafe(f"{path}: {'/'.join(parts[: i + 1])} is not a folder")
    return current


def open_inside(root: Path, path: str, where: str = "datapackage.json") -> BinaryIO:
    """`root/path` (checked by `inside`) opened for reading, refusing what is not a regular file."""
    current = inside(root, path, where=where)
    # O_NOFOLLOW: a symlink swapped in after the check is still not followed; O_NONBLOCK: nor does a FIFO swapped in
    # make the open wait for a writer
    fd = os.open(current, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise Unsafe(f"{path}: not a regular file")
    return handle


def read_inside(root: Path, path: str, where: str = "datapackage.json", limit: int | None = None) -> bytes:
    """The bytes of `root/path` (checked by `inside`) and, with `limit`, refusing a file larger than `limit` bytes
    (sized before it is read)."""
    with open_inside(root, path, where) as handle:
        if limit is None:
            return handle.read()
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise TooLarge(f"{path}: {size:,} bytes, more than the {limit:,} a package file may hold")
        data = handle.read(limit + 1)
        if len(data) > limit:  # grew while being read
            raise TooLarge(f"{path}: more than the {limit:,} bytes a package file may hold")
        return data


def load_json(data: bytes, where: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from UTF-8 bytes, refusing invalid JSON and nesting deeper than `max_depth` with ValueError."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: not UTF-8 ({err.reason} at byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
    except RecursionError:  # the decoder's own guard, far deeper than max_depth
        raise ValueError(f"{where}: JSON nested more than {max_depth} levels deep") from None
    stack = [(value, 1)]
    while stack:  # iterative: the check itself must not recurse
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise ValueError(f"{where}: JSON nested more than {max_depth} levels deep")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return value
