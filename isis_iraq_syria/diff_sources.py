"""Where a side's files come from: a release zip, a package folder or a commit of a git repository.

A source gives a file of the package (a path of the descriptor, checked by safe_relpath) as bytes or as chunks of
bytes, or None when the package has no such file. Each is sized before a byte of it is read; a zip member or a git
blob is passed on in chunks of CHUNK bytes, so that a large file is never held whole.
"""

from __future__ import annotations

import csv
import lzma
import os
import re
import subprocess
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import polars as pl

from .safety import MAX_MEMBER_BYTES, MAX_MEMBERS, ZIP_METHODS, NotInPackage, read_inside, safe_relpath

DESCRIPTOR = "datapackage.json"
CHUNK = 1 << 20  # bytes read at a time from a zip member or a git blob
# a file of the package: its bytes, its bytes in chunks, or None when the package has no such file
Reader = Callable[[str], "bytes | Iterable[bytes] | None"]


class SideError(Exception):
    """A side of the diff cannot be read: not a zip, a package folder or a git ref, or a file in it is missing,
    too large, malformed or hostile. Its message is one line, naming the side and the file."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


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


class ZipSource:
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

    def read(self, path: str) -> Iterator[bytes] | None:
        name = self.prefix + safe_relpath(path, DESCRIPTOR)  # side_from puts the side's name before it
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
        return self._chunks(info, where)

    def _chunks(self, info: zipfile.ZipInfo, where: str) -> Iterator[bytes]:
        try:
            with self.archive.open(info) as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk
        except READ_ERRORS as err:
            raise SideError(f"{where}: cannot be read ({_reason(err)})") from None


GIT_TIMEOUT = 120  # seconds for one git command: reading a blob of MAX_MEMBER_BYTES takes a few
HEX = re.compile(r"[0-9a-f]{7,64}")  # an abbreviated or full commit id


def _git_env() -> dict[str, str]:
    # no pager, no prompt for credentials, paths taken literally (no globs)
    return {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "GIT_LITERAL_PATHSPECS": "1"}


def _run_git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=GIT_TIMEOUT, env=_git_env())


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


def in_a_repository(folder: Path) -> bool:
    """Whether `folder` is inside a git repository's work tree."""
    try:
        return _run_git(folder, "rev-parse", "--is-inside-work-tree").returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def is_git_ref(repo: Path, ref: str) -> bool:
    return resolve_ref(repo, ref) is not None


class GitSource:
    """A commit of a repository: each file the package names is looked up in its tree (mode, type, size) before its
    blob is read, so that a link, a folder or a blob too large is refused unread."""

    def __init__(self, repo: Path, label: str, commit: str) -> None:
        self.repo, self.label, self.commit = repo, label, commit

    def read(self, path: str) -> Iterator[bytes] | None:
        safe_relpath(path, DESCRIPTOR)  # side_from puts the side's name before it
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
        return self._blob(oid.decode("ascii"), int(size), where)

    def _blob(self, oid: str, size: int, where: str) -> Iterator[bytes]:
        """The blob in chunks, as git writes it: no more than its size, within GIT_TIMEOUT."""
        command = ["git", "-C", str(self.repo), "cat-file", "blob", oid]
        deadline, got = time.monotonic() + GIT_TIMEOUT, 0
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env()) as git:
            assert git.stdout is not None
            try:
                while chunk := git.stdout.read(CHUNK):
                    got += len(chunk)
                    if got > size or time.monotonic() > deadline:
                        break
                    yield chunk
            finally:  # also when the reader stops early: git is not left writing to a pipe no one reads
                if git.poll() is None:
                    git.kill()
                git.wait()
        if git.returncode != 0 or got != size:
            raise SideError(f"{where}: git cannot read it")


def folder_source(root: Path) -> Reader:
    def read(path: str) -> bytes | None:
        try:
            return read_inside(root, path, limit=MAX_MEMBER_BYTES)
        except NotInPackage:
            return None

    return read
