"""Which package a command reads: a folder or a release zip it is given, else the folder the user stands in when it
holds a datapackage.json, else the installed package; and whether the build is there to re-derive its files.

A zip is unpacked into a temporary folder that is removed afterwards. Only what a package may hold is unpacked: at
most MAX_MEMBERS regular files of at most MAX_MEMBER_BYTES each and MAX_PACKAGE_BYTES in all, each under a safe
relative path (no link, no '..', nothing absolute), unencrypted and stored or deflated as zipfile reads them.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .safety import MAX_MEMBER_BYTES, MAX_MEMBERS, MAX_PACKAGE_BYTES, ZIP_METHODS, Unsafe, safe_relpath
from .schema import DESCRIPTOR, CannotRun

BUILD = "scripts/build.py"  # a checkout holds it; a release and the installed package do not


@dataclass(frozen=True)
class Located:
    root: Path  # the folder read (for a zip, where it was unpacked)
    said: str  # what the command names it as
    standalone: bool  # no build beside it: the descriptor is judged by the files' hashes and sizes


def _is_link(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def unpack(path: Path, into: Path) -> Path:
    """The release zip at `path` unpacked into the folder `into`; the folder holding its datapackage.json (the zip's
    root, or its one top folder)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise CannotRun(f"{path}: {len(infos):,} members, more than the {MAX_MEMBERS:,} a package may hold")
            if sum(info.file_size for info in infos) > MAX_PACKAGE_BYTES:
                raise CannotRun(f"{path}: declares more than the {MAX_PACKAGE_BYTES:,} bytes a package may hold")
            names: dict[str, zipfile.ZipInfo] = {}
            # every member is judged before any is read: a refused zip leaves nothing unpacked
            for info in infos:
                name = info.filename.rstrip("/") if info.is_dir() else info.filename
                safe_relpath(name, path.name)  # never outside the folder it is unpacked in
                if name in names:  # readers disagree on which of two same-named members they take
                    raise CannotRun(f"{path}: holds {name} twice")
                names[name] = info
                if _is_link(info):
                    raise CannotRun(f"{path}: {name} is a symbolic link; a package holds regular files only")
                if info.flag_bits & 0x1 or info.compress_type not in ZIP_METHODS:
                    raise CannotRun(f"{path}: {name} is encrypted or compressed in a way this reader cannot read")
                if info.file_size > MAX_MEMBER_BYTES:
                    raise CannotRun(f"{path}: {name} declares more than the {MAX_MEMBER_BYTES:,} bytes a file may")
            for name, info in names.items():
                target = into / name
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                # zipfile inflates no more than the declared size, and checks the CRC
                with archive.open(info) as source, open(target, "xb") as out:
                    shutil.copyfileobj(source, out)
    except Unsafe as err:
        raise CannotRun(str(err)) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as err:
        raise CannotRun(f"{path}: not a readable zip ({err})") from None
    if (into / DESCRIPTOR).is_file():
        return into
    tops = list(into.iterdir())
    if len(tops) == 1 and (tops[0] / DESCRIPTOR).is_file():  # everything in one top folder
        return tops[0]
    raise CannotRun(f"{path}: no {DESCRIPTOR} at its root")


@contextmanager
def located(path: str | None, root: str | None, installed: Path) -> Iterator[Located]:
    """The package named by PATH (a folder or a zip), else by --root, else the current folder when it holds a
    datapackage.json, else the installed package at `installed`."""
    if path is not None and root is not None:
        raise CannotRun("name the package once: PATH or --root, not both")
    if path == "" or root == "":  # Path("") is the current folder: an empty path must not silently mean "."
        raise CannotRun(f"{'PATH' if path == '' else '--root'}: empty path; name the package's folder or zip")
    if path is not None and Path(path).is_file():
        folder = Path(tempfile.mkdtemp(prefix="isis-iraq-syria-"))
        try:
            yield Located(unpack(Path(path), folder), f"the release zip {path}", True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if path is not None or root is not None:
        chosen, said = Path(path if path is not None else str(root)), f"the folder {path if path is not None else root}"
    elif (Path.cwd() / DESCRIPTOR).is_file():
        chosen, said = Path.cwd(), f"the package in this folder ({Path.cwd()})"
    else:
        chosen, said = installed, f"the installed package ({installed})"
    yield Located(chosen, said, not (chosen / BUILD).is_file())
