"""Build: the Parquet twins and the descriptor's resource list, derived from the CSVs and schemas.

run() reads as its steps: recover, load, check, derive, save. Nothing is written unless the CSVs pass validation,
and a file is rewritten only when its bytes change.

The generated files change as one unit. Every new file is first written into a staging folder, then a manifest is
renamed into it (the commit point), then each file is renamed into place. A kill or a full disk before the commit
leaves the old package and a staging folder that the next run discards; after the commit, the next run finishes the
renames. Either way no temporary file is left in data/, and the validator refuses a package with a staging folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console

from . import wide
from .engine import Context, Engine
from .report import EXIT_INVALID, EXIT_VALID, say
from .safety import Unsafe, open_inside
from .schema import DESCRIPTOR, STAGING, CannotRun, Package, Table
from .tables import parquet_bytes, to_arrow
from .validate import validate

MANIFEST = "manifest.json"


CSV_DIALECT = {"header": True, "delimiter": ",", "quoteChar": '"', "doubleQuote": True, "skipInitialSpace": False}


def _checksums(package: Package, relative: str, files: Mapping[Path, bytes] | None) -> dict:
    """The `bytes` and sha256 `hash` of a resource's file: the bytes about to be written when `files` holds them,
    else those on disk. frictionless 5.21 counts no bytes of a Parquet file (a `bytes` there fails its byte-count
    check), so a twin gets the hash only; the loaders check both. A file that is missing or not a regular file gets
    neither: descriptor.resources then reports the resource as differing from the files."""
    data = (files or {}).get(package.root / relative)
    if data is not None:
        digest, size = hashlib.sha256(data), len(data)
    else:
        try:
            with open_inside(package.root, relative) as handle:  # in chunks: a table may be larger than memory
                digest, size = hashlib.file_digest(handle, "sha256"), os.fstat(handle.fileno()).st_size
        except (Unsafe, OSError):
            return {}
    out: dict = {} if relative.endswith(".parquet") else {"bytes": size}
    out["hash"] = f"sha256:{digest.hexdigest()}"
    return out


def resources(package: Package, files: Mapping[Path, bytes] | None = None) -> list[dict]:
    """One resource per CSV and one per Parquet twin, sharing the Table Schema by path, each with the size and hash
    of its file (`files`: the build's new files, by path, read in place of those on disk). The derived tables come
    last, each saying what it is derived from (x-derived-from)."""
    out = []
    tables = package.tables | package.derived
    paths = [f"data/{name}.{suffix}" for name in tables for suffix in ("csv", "parquet")]
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:  # hashlib and reading release the GIL
        sums = dict(zip(paths, pool.map(lambda path: _checksums(package, path, files), paths), strict=True))
    for name, table in tables.items():
        derived = {} if table.derived_from is None else {"x-derived-from": table.derived_from}
        out.append(
            {
                "name": name,
                "type": "table",
                "title": table.title,
                "description": table.description,
                **derived,
                "path": f"data/{name}.csv",
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                # every property the validator's reader assumes is declared: left out, frictionless sniffs it from the
                # first rows (a cell starting with a space made it skip initial spaces, and read other values)
                "dialect": CSV_DIALECT,
                "schema": table.schema_path,
                **sums[f"data/{name}.csv"],
            }
        )
        out.append(
            {
                "name": f"{name}-parquet",
                "type": "table",
                "title": f"{table.title} (Parquet)",
                "description": f"Typed Parquet twin of data/{name}.csv, generated from it.",
                **derived,
                "path": f"data/{name}.parquet",
                "scheme": "file",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "schema": table.schema_path,
                **sums[f"data/{name}.parquet"],
            }
        )
    return out


def descriptor_bytes(package: Package, files: Mapping[Path, bytes] | None = None) -> bytes:
    descriptor = {**package.descriptor, "resources": resources(package, files)}
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


V1_DESCRIPTOR = "datapackage-v1.json"


def _v1_missing(values: list) -> list[str]:
    return [v["value"] if isinstance(v, dict) else v for v in values]


def v1_schema(table: Table) -> dict:
    """A Table Schema as Data Package v1 readers understand it: plain missing values, self-references named "".

    v1 has no labelled missing values, no per-field missing values and no uniqueKeys. The per-field "nan" exists
    for the Parquet twin only (the CSVs never hold it), so the CSV reads the same without it; the readers test
    proves that on every table."""
    descriptor = {k: v for k, v in table.descriptor.items() if k not in ("$schema", "uniqueKeys")}
    descriptor["missingValues"] = _v1_missing(table.descriptor.get("missingValues", [""]))
    descriptor["fields"] = [{k: v for k, v in f.items() if k != "missingValues"} for f in table.descriptor["fields"]]
    keys = []
    for fk in table.descriptor.get("foreignKeys", []):
        keys.append(
            {
                **fk,
                "reference": {
                    "resource": fk["reference"].get("resource", ""),
                    **{k: v for k, v in fk["reference"].items() if k != "resource"},
                },
            }
        )
    if keys:
        descriptor["foreignKeys"] = keys
    return descriptor


def v1_descriptor_bytes(package: Package, files: Mapping[Path, bytes] | None = None) -> bytes:
    """datapackage-v1.json: the CSV resources with inline v1 Table Schemas, for Data Package v1 readers. Their
    `bytes` and `hash` are v2's: v1 reads a hash as MD5 unless prefixed by its algorithm, as "sha256:" is."""
    descriptor = {k: v for k, v in package.descriptor.items() if k not in ("$schema", "resources")}
    descriptor["profile"] = "tabular-data-package"
    descriptor["resources"] = [
        {
            **{k: v for k, v in r.items() if k not in ("type", "schema")},
            "profile": "tabular-data-resource",
            "schema": v1_schema((package.tables | package.derived)[r["name"]]),
        }
        for r in resources(package, files)
        if r["format"] == "csv"
    ]
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


def parquet_twin(table: Table, frame) -> bytes:
    return parquet_bytes(to_arrow(table, frame))


def _unchanged(path: Path, data: bytes) -> bool:
    return path.is_file() and not path.is_symlink() and path.stat().st_size == len(data) and path.read_bytes() == data


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:  # "x": never through a file or link already there
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o644)


def write_if_changed(files: dict[Path, bytes]) -> list[Path]:
    """Write each file whose bytes differ, through a temporary file and an atomic rename (for files outside the
    build's unit, such as the docs). A failed write leaves no temporary file."""
    changed = []
    for path, data in files.items():
        if _unchanged(path, data):
            continue
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        changed.append(path)
    return changed


def _derived_csv(root: Path, name: str) -> bool:
    """Whether data/<name> is the CSV of a derived table: its Table Schema says x-derived-from."""
    schema = root / "schemas" / f"{name.removesuffix('.csv')}.schema.json"
    if not name.endswith(".csv") or schema.is_symlink() or not schema.is_file():
        return False
    try:
        return "x-derived-from" in json.loads(schema.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, OSError):
        return False


def _targets(root: Path, relative: str) -> Path:
    """Where a staged file goes: only the build's own outputs, whatever a manifest says."""
    parts = Path(relative).parts
    if relative in (DESCRIPTOR, V1_DESCRIPTOR) or (
        len(parts) == 2
        and parts[0] == "data"
        and (relative.endswith(".parquet") or _derived_csv(root, parts[1]))
        and ".." not in parts
    ):
        return root / relative
    raise CannotRun(
        f"{STAGING}/{MANIFEST}: names {relative!r}, which is not a file the build writes; remove {STAGING}/ by hand"
    )


def _only_the_builds(root: Path, staging: Path) -> None:
    """Refuse a staging folder holding anything the build does not write there (a user's file, a link, a folder
    other than data/): it is removed whole, and a user's file must not go with it."""
    for path in sorted(staging.rglob("*")):
        relative = path.relative_to(staging).as_posix()
        if relative == "data" and path.is_dir() and not path.is_symlink():
            continue
        if relative in (MANIFEST, f"{MANIFEST}.part") and path.is_file() and not path.is_symlink():
            continue
        try:
            if not path.is_file() or path.is_symlink():
                raise CannotRun("")
            _targets(root, relative)
        except CannotRun:
            raise CannotRun(
                f"{STAGING}/{relative}: not a file the build writes, so {STAGING}/ is not the build's alone; "
                "remove it by hand"
            ) from None


def recover(root: Path) -> str | None:
    """Finish or undo a build that was interrupted: 'finished' when it had committed, 'discarded' when not,
    None when there was nothing to do."""
    staging = root / STAGING
    if not os.path.lexists(staging):
        return None
    if staging.is_symlink() or not staging.is_dir():
        raise CannotRun(f"{STAGING}: not a folder the build made; remove it by hand")
    _only_the_builds(root, staging)
    manifest = staging / MANIFEST
    action = "discarded"
    if manifest.is_file() and not manifest.is_symlink():
        try:
            names = json.loads(manifest.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise CannotRun(f"{STAGING}/{MANIFEST}: not valid JSON ({err}); remove {STAGING}/ by hand") from err
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise CannotRun(f"{STAGING}/{MANIFEST}: not a list of file names; remove {STAGING}/ by hand")
        targets = [(staging / name, _targets(root, name)) for name in names]
        for source, target in targets:
            if source.is_file() and not source.is_symlink():  # gone when already moved before the interruption
                os.replace(source, target)
        for folder in {t.parent for _, t in targets}:
            _fsync_dir(folder)
        action = "finished"
    shutil.rmtree(staging)
    return action


def commit(root: Path, files: dict[Path, bytes]) -> list[Path]:
    """Replace the changed files among `files` (paths inside root) as one unit; returns those changed."""
    changed = {path: data for path, data in files.items() if not _unchanged(path, data)}
    if not changed:
        return []
    for folder in {p.parent for p in changed} | {root}:
        if not os.access(folder, os.W_OK):
            raise CannotRun(
                f"{folder.relative_to(root) if folder != root else '.'}/: not writable; nothing was written"
            )
    staging = root / STAGING
    names = [str(p.relative_to(root)) for p in changed]
    # descriptor last: a reader that sees the new descriptor sees the new twins
    names.sort(key=lambda n: n in (DESCRIPTOR, V1_DESCRIPTOR))
    os.mkdir(staging)
    try:
        (staging / "data").mkdir()
        for name in names:
            _write(staging / name, changed[root / name])
        _write(staging / f"{MANIFEST}.part", json.dumps(names).encode())
        _fsync_dir(staging / "data")
        os.replace(staging / f"{MANIFEST}.part", staging / MANIFEST)  # the commit point
        _fsync_dir(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # not committed: the old files stand
        raise
    moved = 0
    try:
        for name in names:
            os.replace(staging / name, root / name)
            moved += 1
    except OSError as err:
        where = Path(err.filename).name if err.filename else "a file"
        if moved == 0:  # nothing was replaced yet: undo, and the old package stands whole
            shutil.rmtree(staging, ignore_errors=True)
            raise CannotRun(f"{where}: {err.strerror or err}; nothing was written") from err
        raise CannotRun(
            f"{where}: {err.strerror or err}; the build was committed but not every file was moved: "
            "run make again to finish it"
        ) from err
    recover(root)  # fsyncs the folders and removes the staging folder
    return [root / name for name in names]


def run(root: Path | str, console: Console) -> int:
    if str(root) == "":  # Path("") would be the current folder
        raise CannotRun("--root: empty path; name the package's folder")
    root = Path(root).resolve()
    if not root.is_dir():
        raise CannotRun(f"{root}: not a folder (--root names the package's folder)")
    recovered = recover(root)
    if recovered:
        say(console, f"an interrupted build was {recovered} ({STAGING}/)")
    package = Package.load(root)
    report = validate(package, parity=False, keep_frames=True, descriptor=False)
    if not report.valid:
        report.render(console)
        say(
            console,
            ("build stopped", "red"),
            ": no file was written; fix the failures above (file data/<resource>.csv, the line and column given).",
        )
        return EXIT_INVALID
    files = {table.parquet_path: parquet_twin(table, report.frames[name]) for name, table in package.tables.items()}
    runner = Engine(Context(package, report.frames))
    files |= {package.root / relative: data for relative, data in wide.files(package, runner.query).items()}
    files[package.root / DESCRIPTOR] = descriptor_bytes(package, files)
    files[package.root / V1_DESCRIPTOR] = v1_descriptor_bytes(package, files)
    try:
        changed = commit(package.root, files)
    except OSError as err:
        where = Path(err.filename).name if err.filename else "a file"
        raise CannotRun(f"{where}: {err.strerror or err}; nothing was written, no temporary file remains") from err
    for path in changed:
        say(console, f"wrote {path.relative_to(package.root)}")
    say(console, f"build: {len(files)} files derived, {len(changed)} changed")
    return EXIT_VALID
