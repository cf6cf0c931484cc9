"""Names and paths taken from a descriptor, checked before they are used to read or write a file.

A descriptor is data: its `name` becomes a file name in dist/, its resource paths are read and packed. Each is
checked against a plain pattern first, and a path is read only when every part of it, from the package's root
down, is a real folder or a regular file inside the package (no symlink, no '..', nothing absolute).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$")  # the Data Package name rule, without '..'
VERSION = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")  # MAJOR.MINOR.PATCH
PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")


class Unsafe(Exception):
    """A name or path that would read or write outside the package."""


def safe_name(name: object, what: str = "name") -> str:
    if not isinstance(name, str) or not NAME.match(name) or ".." in name:
        raise Unsafe(
            f"datapackage.json: {what} {name!r} is not a safe name (lower-case letters, digits, '.', '-', '_')"
        )
    return name


def safe_version(version: object) -> str:
    if not isinstance(version, str) or not VERSION.match(version):
        raise Unsafe(f"datapackage.json: version {version!r} is not MAJOR.MINOR.PATCH")
    return version


def safe_relpath(path: object, where: str = "datapackage.json") -> str:
    """A relative path of plain parts: no '..', no leading '/', no backslash, no drive, no empty part."""
    if not isinstance(path, str) or not PATH.match(path) or any(part in (".", "..") for part in path.split("/")):
        raise Unsafe(f"{where}: path {path!r} leaves the package or is not a plain relative path")
    return path


def read_inside(root: Path, path: str, where: str = "datapackage.json") -> bytes:
    """The bytes of `root/path`, refusing a symlink anywhere on the way and anything but a regular file."""
    safe_relpath(path, where)
    current = root
    parts = path.split("/")
    for i, part in enumerate(parts):
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            raise Unsafe(f"{path}: file not found in the package") from None
        if stat.S_ISLNK(info.st_mode):
            raise Unsafe(
                f"{path}: is a symbolic link ({'/'.join(parts[: i + 1])}); a release packs only the package's own files"
            )
        last = i == len(parts) - 1
        if last and not stat.S_ISREG(info.st_mode):
            raise Unsafe(f"{path}: not a regular file")
        if not last and not stat.S_ISDIR(info.st_mode):
            raise Unsafe(f"{path}: {'/'.join(parts[: i + 1])} is not a folder")
    # O_NOFOLLOW: a symlink swapped in after the check is still not followed
    fd = os.open(current, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()
