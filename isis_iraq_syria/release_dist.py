"""dist/: the release's files written as one unit, beside whatever else the folder holds."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

from .build import _fsync_dir
from .build import _write as _write_new  # a new file, never through one already there, synced
from .schema import CannotRun

# A release writes only the files it lists in its manifest, dist/.release-manifest.json (name -> sha256), and
# removes or replaces only files that a manifest lists with those very bytes: a user's my-backup.zip, make dist's
# wheel, a file edited since, are left alone. The new files are written into dist/.release-staging/new/, then a
# journal is renamed into it (the commit point); the previous release's files are moved into .release-staging/old/,
# the new ones into dist/, and the new manifest over the old one. A failure on the way moves everything back, so
# dist/ holds the previous release whole; a kill after the commit is finished by the next run, one before it
# discarded.

MANIFEST = ".release-manifest.json"
STAGING_DIR = ".release-staging"
JOURNAL = "journal.json"
MARKER = "written-by-release"  # the first file of a staging folder: without it the folder is not the release's
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def release_names(release: str) -> list[str]:
    """The files a release named NAME-VERSION writes: all that its manifest may list, and remove later. The
    database's name has '_' for the version's dots (Datasette cannot link into a database whose name holds one)."""
    db = release.replace(".", "_")
    return [f"{release}.zip", f"{db}.sqlite", f"{db}.datasette.json", "CHANGES.md", "SHA256SUMS"]


def _foreign(names: list[str], release: object) -> list[str]:
    """The names that are not files of `release`: a forged manifest could name a user's file for removal."""
    own = release_names(release) if isinstance(release, str) and FILE_NAME.match(release) else []
    return sorted(name for name in names if name not in own)


def _read_nofollow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise CannotRun(f"{path}: not a regular file")
        return handle.read()


def _json_file(path: Path, what: str) -> dict:
    """A manifest or journal this module wrote: an object whose `files` maps plain file names to sha256s."""
    try:
        data = json.loads(_read_nofollow(path).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as err:
        raise CannotRun(f"{path}: not a {what} a release wrote ({type(err).__name__}); remove it by hand") from None
    files = data.get("files") if isinstance(data, dict) else None
    old = data.get("old", []) if isinstance(data, dict) else None
    if (
        not isinstance(files, dict)
        or not isinstance(old, list)
        or not all(isinstance(name, str) and FILE_NAME.match(name) for name in [*files, *old])
        or not all(isinstance(sha, str) for sha in files.values())
    ):
        raise CannotRun(f"{path}: not a {what} a release wrote (no list of plain file names); remove it by hand")
    stray = _foreign(list(files), data.get("release")) or _foreign(old, data.get("old_release"))
    if stray:
        raise CannotRun(
            f"{path}: lists {stray[0]}, which is not a file of the release it names: not a {what} a release wrote; "
            "nothing was removed: remove it by hand"
        )
    return data


def owned_files(out_dir: Path) -> list[str]:
    """The files of out_dir that a release wrote: listed in its manifest and still a regular file of those bytes."""
    manifest = out_dir / MANIFEST
    if not os.path.lexists(manifest):
        return []
    owned = []
    for name, sha in _json_file(manifest, "manifest")["files"].items():
        try:
            if stat.S_ISREG(os.lstat(out_dir / name).st_mode) and _sha256(_read_nofollow(out_dir / name)) == sha:
                owned.append(name)
        except (FileNotFoundError, CannotRun):
            continue
    return sorted(owned)


def check_out_dir(out_dir: Path, default: bool) -> None:
    """dist/ (the default) may hold other files; a folder named with --out must be new, empty, or a release's."""
    if out_dir.is_symlink() or (os.path.lexists(out_dir) and not out_dir.is_dir()):
        raise CannotRun(f"{out_dir}: not a folder (a symbolic link or a file); name a folder for the release")
    if default or not out_dir.exists():
        return
    if (
        not os.path.lexists(out_dir / MANIFEST)
        and not os.path.lexists(out_dir / STAGING_DIR)
        and any(out_dir.iterdir())
    ):
        raise CannotRun(
            f"--out {out_dir}: neither empty nor a folder a release wrote (it has no {MANIFEST}); name a new or "
            "empty folder"
        )


def _swap(out_dir: Path, staging: Path, journal: dict) -> None:
    """Move the previous release out and the new one in, then the manifest; each step is skipped when done, so
    that the next run can finish a swap that was killed."""
    new, old = staging / "new", staging / "old"
    old.mkdir(exist_ok=True)
    files = journal["files"]
    for name in journal["old"]:
        placed = name in files and not os.path.lexists(new / name)  # then the old one was moved out before it
        if not placed and not os.path.lexists(old / name) and os.path.lexists(out_dir / name):
            os.replace(out_dir / name, old / name)
    for name in files:
        if os.path.lexists(new / name):
            os.replace(new / name, out_dir / name)
    os.replace(staging / MANIFEST, out_dir / MANIFEST)  # the new release is whole: it owns its files
    _fsync_dir(out_dir)


def _undo(out_dir: Path, staging: Path, journal: dict) -> None:
    """Put the previous release back after a failed swap (its manifest was not replaced)."""
    for name in journal["files"]:
        if not os.path.lexists(staging / "new" / name) and os.path.lexists(out_dir / name):
            os.replace(out_dir / name, staging / "new" / name)
    for name in journal["old"]:
        if os.path.lexists(staging / "old" / name):
            os.replace(staging / "old" / name, out_dir / name)
    shutil.rmtree(staging)


def recover(out_dir: Path) -> str | None:
    """Finish or discard a release that was killed: 'finished' after its commit, 'discarded' before it."""
    staging = out_dir / STAGING_DIR
    if not os.path.lexists(staging):
        return None
    if staging.is_symlink() or not staging.is_dir():
        raise CannotRun(f"{staging}: not a folder a release made; remove it by hand")
    entries = {p.name for p in staging.iterdir()}
    if entries and MARKER not in entries:
        raise CannotRun(f"{staging}: not a folder a release made; remove it by hand")
    action = "discarded"
    if JOURNAL in entries:
        journal = _json_file(staging / JOURNAL, "journal")
        manifest = out_dir / MANIFEST
        done = os.path.lexists(manifest) and _json_file(manifest, "manifest").get("token") == journal.get("token")
        if not done:
            _swap(out_dir, staging, journal)
        action = "finished"
    shutil.rmtree(staging)
    return action


def write_dist(out_dir: Path, files: dict[str, bytes], name: str) -> None:
    """Replace the previous release in out_dir by `files`, as one unit (see above); other files are not touched."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recover(out_dir)
    owned = owned_files(out_dir)
    for file_name in files:
        if os.path.lexists(out_dir / file_name) and file_name not in owned:
            raise CannotRun(
                f"{out_dir / file_name}: not a file a release wrote ({MANIFEST} does not list it with these bytes): "
                "move it away; nothing was written"
            )
    staging = out_dir / STAGING_DIR
    manifest = {"release": name, "token": os.urandom(16).hex(), "files": {n: _sha256(d) for n, d in files.items()}}
    old_release = _json_file(out_dir / MANIFEST, "manifest")["release"] if owned else None
    journal = {**manifest, "old": owned, "old_release": old_release}
    os.mkdir(staging)
    try:
        _write_new(staging / MARKER, b"")
        (staging / "new").mkdir()
        for file_name, data in files.items():
            _write_new(staging / "new" / file_name, data)
        _write_new(staging / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
        _write_new(staging / f"{JOURNAL}.part", json.dumps(journal).encode())
        _fsync_dir(staging / "new")
        os.replace(staging / f"{JOURNAL}.part", staging / JOURNAL)  # the commit point
        _fsync_dir(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # not committed: the previous release stands
        raise
    try:
        _swap(out_dir, staging, journal)
    except OSError as err:
        try:
            _undo(out_dir, staging, journal)
        except OSError:
            raise CannotRun(
                f"{err.filename or out_dir}: {err.strerror or err}; the release is half moved into {out_dir}: run "
                "it again to finish it"
            ) from err
        raise CannotRun(
            f"{err.filename or out_dir}: {err.strerror or err}; {out_dir} holds the previous release, unchanged"
        ) from err
    shutil.rmtree(staging, ignore_errors=True)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
