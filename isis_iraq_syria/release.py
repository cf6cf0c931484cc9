"""Release: a reproducible zip of the package, its SQLite database, what changed since the last release, and checksums.

The zip has the descriptor at its root (so `frictionless validate <zip>` checks every resource), a README for
whoever downloaded it, `CHANGES.json` and `CHANGES.md` (the diff from the previous release), the SQLite database
and its Datasette metadata. The same commit gives the same bytes (fixed order, timestamps and permissions).

A release is refused, with one line saying why, when:
- the descriptor's name or version, or a path in it, is unsafe, or a file to pack is a symlink or outside the package;
- the version differs between datapackage.json, CITATION.cff, pyproject.toml and CHANGELOG.md;
- datapackage.json's resources are not those the schemas give, or the package does not validate (with the archive
  of source documents when there is one);
- the version bump is smaller than the changes since the previous release require.
A refused release writes nothing, and removes the files a previous release wrote in dist/ (they no longer describe
the package); whatever else dist/ holds is left alone (see write_dist).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from . import diff as diffs
from .build import _fsync_dir, resources
from .build import _write as _write_new  # a new file, never through one already there, synced
from .charts import CHARTS
from .report import EXIT_INVALID, EXIT_VALID
from .safety import Unsafe, read_inside, safe_name, safe_relpath, safe_version
from .schema import DESCRIPTOR, CannotRun, Package
from .sqlite import SQLiteFailed, datasette_metadata, sqlite_bytes
from .validate import validate

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store
TOP_FILES = ("LICENSE", "LICENSE-DATA.md", "CHANGELOG.md", "CITATION.cff")
DOC_FILES = ("docs/codebook.md", "docs/erd.svg", *(f"docs/charts/{chart.name}.svg" for chart in CHARTS))


class ReleaseRefused(Exception):
    pass


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_name(package: Package) -> str:
    return f"{safe_name(package.descriptor.get('name'))}-{safe_version(package.descriptor.get('version'))}"


def database_name(package: Package) -> str:
    """The SQLite file's name without its suffix: the version's dots become '_', because Datasette 0.65.5 answers
    500 on the foreign-key links of a database whose name holds a dot."""
    return archive_name(package).replace(".", "_")


# --- the version, everywhere it is written -----------------------------------------------------------------------


def changelog_versions(text: str) -> list[str]:
    """The versions of CHANGELOG.md's entries, the `## [VERSION] ...` headings as a Markdown parser reads them: a
    heading inside an HTML comment or a code block is not one."""
    from markdown_it import MarkdownIt  # rich's Markdown parser, installed with it

    tokens = MarkdownIt("commonmark").parse(text)
    versions = []
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open" and opening.tag == "h2" and inline.type == "inline":
            entry = re.match(r"\[([^\]]*)\](?:\s|$)", inline.content)
            if entry:
                versions.append(entry.group(1))
    return versions


def changelog_has(root: Path, version: str) -> bool:
    try:
        text = _text(root, "CHANGELOG.md")
    except Unsafe as err:
        if "not found" in str(err):
            return False
        raise
    return version in changelog_versions(text)


def _text(root: Path, path: str) -> str:
    try:
        return read_inside(root, path).decode("utf-8")
    except UnicodeDecodeError:
        raise ReleaseRefused(f"{path} is not UTF-8") from None


def citation(root: Path) -> dict:
    """CITATION.cff, read as YAML (it must be valid YAML and a mapping, as the Citation File Format says)."""
    import yaml

    try:
        data = yaml.safe_load(_text(root, "CITATION.cff"))
    except (yaml.YAMLError, RecursionError, ValueError) as err:  # ValueError: a date such as 2026-13-45
        mark = getattr(err, "problem_mark", None)
        reason = getattr(err, "problem", None) or (str(err).splitlines() or [type(err).__name__])[0]
        where = f", line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ReleaseRefused(f"CITATION.cff is not valid YAML ({reason}{where})") from None
    if not isinstance(data, dict):
        raise ReleaseRefused(f"CITATION.cff is not a YAML mapping of keys but a {type(data).__name__}")
    return data


def _pyproject_version(root: Path) -> str | None:
    """[project] version, or None when pyproject.toml declares it dynamic (then a build tool fills it in)."""
    try:
        project = tomllib.loads(_text(root, "pyproject.toml")).get("project", {})
    except tomllib.TOMLDecodeError as err:
        raise ReleaseRefused(f"pyproject.toml is not valid TOML ({err})") from None
    if "version" in project.get("dynamic", []):
        return None
    return str(project.get("version", "no version"))


def version_mismatches(root: Path, version: str) -> list[str]:
    """Where the version is not the descriptor's: CITATION.cff, pyproject.toml, CHANGELOG.md."""
    cff = citation(root).get("version", "no version")
    found = {"CITATION.cff": cff if isinstance(cff, str) else repr(cff), "pyproject.toml": _pyproject_version(root)}
    out = [f"{path} says {said!r}" for path, said in found.items() if said is not None and said != version]
    if not changelog_has(root, version):
        out.append(f"CHANGELOG.md has no entry '## [{version}]'")
    return out


def release_date(root: Path) -> str:
    """CITATION.cff's date-released (a YAML date, or an ISO date quoted as text)."""
    said = citation(root).get("date-released")
    try:
        return dt.date.fromisoformat(str(said)).isoformat()
    except ValueError:
        return "YYYY-MM-DD"


# --- the previous release ----------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def release_tags(root: Path) -> list[tuple[tuple[int, int, int], str]]:
    """The `v<MAJOR.MINOR.PATCH>` tags of the repository the package is the top of, lowest first."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top.strip()).resolve() != root.resolve():
        return []
    tags = []
    for tag in (_git(root, "tag", "--list", "v*") or "").split():
        version = diffs.parse_version(tag[1:])
        if version is not None:
            tags.append((version, tag))
    return sorted(tags)


def package_side(package: Package, label: str) -> diffs.Side:
    return diffs.side_from(label, lambda path: _read_or_none(package.root, path))


def _read_or_none(root: Path, path: str) -> bytes | None:
    try:
        return read_inside(root, path)
    except Unsafe as err:
        if "not found" in str(err):
            return None
        raise


EMPTY = diffs.Side("no previous release", {}, {}, {})


def previous_side(package: Package, current: diffs.Side, previous: Path | None) -> diffs.Side | None:
    """The release to compare with: the zip given, else the highest `v*` tag below the version; None if none.

    When the version is already tagged, the package must be the tagged one (a rebuild of that release)."""
    if previous is not None:
        return diffs.load_side(str(previous), package.root)
    tags = release_tags(package.root)
    version = diffs.parse_version(package.version)
    for tagged, tag in tags:
        if tagged == version:
            since = diffs.diff(diffs.load_side(tag, package.root), current)
            if since.changes:
                first = next(c for c in since.changes if c.bump == since.bump)
                raise ReleaseRefused(
                    f"version {package.version} is already released as tag {tag} and the package has changed since "
                    f"({first.table + ': ' if first.table else ''}{first.message}): release "
                    f"{diffs.next_version(package.version, since.bump)}"
                )
        elif tagged > version:
            raise ReleaseRefused(f"version {package.version} is below the latest release, {tag}")
    below = [tag for tagged, tag in tags if tagged < version]
    return diffs.load_side(below[-1], package.root) if below else None


# --- what goes in the zip ----------------------------------------------------------------------------------------


def checked_descriptor(package: Package, compare: bool = True) -> dict:
    """The descriptor with its resources rebuilt from the schemas; refused when the one on disk says otherwise
    (without compare, only when its resources are not a list of objects with safe paths)."""
    on_disk = package.descriptor
    if not isinstance(on_disk.get("resources"), list):
        raise ReleaseRefused("datapackage.json has no resources list: run make")
    for resource in on_disk["resources"]:
        if not isinstance(resource, dict):
            raise ReleaseRefused("datapackage.json: a resource is not an object")
        for key in ("path", "schema"):
            if key in resource:
                safe_relpath(resource[key])
    rebuilt = {**on_disk, "resources": resources(package)}
    if compare and rebuilt["resources"] != on_disk["resources"]:
        names = {r.get("name") for r in on_disk["resources"]} ^ {r["name"] for r in rebuilt["resources"]}
        detail = f" (resources {', '.join(sorted(map(str, names)))})" if names else ""
        raise ReleaseRefused(f"datapackage.json's resources are not those the schemas and CSVs give{detail}: run make")
    return rebuilt


def release_descriptor(descriptor: dict, files: dict[str, bytes]) -> bytes:
    """The descriptor with the sha256 of every resource and the bytes of every CSV, as Data Package v2 writes them.

    frictionless 5.21 reads Parquet without counting its bytes, so a `bytes` on a
    Parquet resource fails its byte-count check: those resources carry the hash only.
    """
    descriptor = json.loads(json.dumps(descriptor))
    for resource in descriptor["resources"]:
        data = files[resource["path"]]
        if resource.get("format") != "parquet":
            resource["bytes"] = len(data)
        resource["hash"] = f"sha256:{_sha256(data)}"
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


def descriptor_problems(descriptor: dict) -> list[str]:
    """The descriptor checked against the Data Package v2 profile by frictionless, without reading any file."""
    import frictionless  # only a release needs it: validate and build stay fast to start

    return [error.message for error in frictionless.Package.metadata_validate(descriptor)]


def _load_example(package: Package) -> tuple[str, str, str, str]:
    """A table to show in the examples and one it references: the most connected table (keys to it and from it)."""
    degree = {name: sum(fk.resource != name for fk in t.foreign_keys) for name, t in package.tables.items()}
    for t in package.tables.values():
        for fk in t.foreign_keys:
            if fk.resource != t.name:
                degree[fk.resource] += 1
    table = package.tables[min(degree, key=lambda name: (-degree[name], name))]
    fk = next((fk for field_, fk in table.foreign_key_of.items() if fk.resource != table.name), None)
    if fk is None:
        return table.name, "", "", ""
    return table.name, fk.fields[0], fk.resource, fk.ref_fields[0]


def release_readme(package: Package, name: str, db: str, has_previous: bool) -> str:
    """The README inside the zip: what is in it, how to load it, how to check it. It names only files it holds."""
    d = package.descriptor
    table, column, parent, parent_key = _load_example(package)
    tables = "\n".join(
        f"- `data/{t.name}.csv` and `data/{t.name}.parquet`: {t.description}"
        for t in sorted(package.tables.values(), key=lambda t: t.name)
    )
    licenses = (
        ", ".join(x.get("name", "") for x in d.get("licenses", []) if isinstance(x, dict)) or "see LICENSE-DATA.md"
    )
    join = (
        f"SELECT t.*, p.* FROM {table} t JOIN {parent} p ON t.{column} = p.{parent_key};"
        if parent
        else f"SELECT * FROM {table};"
    )
    duck = (
        f"SELECT * FROM 'data/{table}.parquet' t JOIN 'data/{parent}.parquet' p ON t.{column} = p.{parent_key};"
        if parent
        else f"SELECT * FROM 'data/{table}.parquet';"
    )
    changes = (
        "`CHANGES.md` (for people) and `CHANGES.json` (for programs) list what changed since the previous release: "
        "rows added, removed and changed by primary key, schema changes, and the version bump they needed."
        if has_previous
        else "This is the first release: `CHANGES.md` and `CHANGES.json` list every table as new."
    )
    return f"""# {d.get("title", package.name)}, version {package.version}

{d.get("description", "")}

This archive is a [Frictionless Data Package v2](https://datapackage.org/): `datapackage.json` describes every
file, with its Table Schema, its sha256 and (for CSVs) its size.

## What is inside

{tables}
- `schemas/`: one Table Schema per table (types, constraints, primary and foreign keys); `docs/codebook.md` lists
  every field, and `docs/erd.svg` draws the tables and their foreign keys.
- `{db}.sqlite`: every table in one SQLite database, with types, NULL for missing values, and primary and
  foreign keys declared; `{db}.datasette.json` is its Datasette metadata (titles, descriptions, license, sources).
- `CHANGES.md` and `CHANGES.json`: what changed in this version. `CHANGELOG.md`: every version.
- `CITATION.cff`: how to cite it. `LICENSE-DATA.md`: the data's license ({licenses}). `LICENSE`: the code's.

The CSVs are the source of truth (UTF-8, a header row, rows in primary-key order); each Parquet file holds the
same rows with their types.

## Loading it

Unzip the archive first (`unzip {name}.zip -d {name}`), then from inside the folder:

pandas: `pd.read_parquet("data/{table}.parquet")`, or from the CSV,
`pd.read_csv("data/{table}.csv", keep_default_na=False, na_values=[""])` (an empty cell is missing; no other
word is).

polars: `pl.read_parquet("data/{table}.parquet")`. R: `arrow::read_parquet("data/{table}.parquet")`.

DuckDB: `{duck}`

frictionless, straight from the zip: `frictionless.Package("{name}.zip").get_table_resource("{table}").read_rows()`.

SQLite: `sqlite3 {db}.sqlite "{join}"`

Datasette: `datasette serve --immutable {db}.sqlite --metadata {db}.datasette.json` and open the address it
prints; each foreign key is a link to the row it references.

## Checking it

- `frictionless validate {name}.zip` checks every resource of the archive: every cell against its schema, and every
  file's sha256 and size against the descriptor.
- The release page publishes a checksum file beside the archive; `sha256sum -c` with it proves the archive is the
  one released.
- `sqlite3 {db}.sqlite "PRAGMA foreign_key_check; PRAGMA integrity_check;"` prints only `ok`.

## What changed

{changes}
Versions follow SemVer: a major version for a change that can break a user's code (a table, column or row removed,
a column renamed, a type changed, an id reused for something else), a minor version for new data, tables or
columns, a patch version for corrections of values.
"""


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in sorted(files):
            safe_relpath(path, "release")  # no entry can point outside the folder it is unpacked in
            info = zipfile.ZipInfo(path, date_time=FIXED_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the building machine
            archive.writestr(info, files[path], compresslevel=9)
    return buf.getvalue()


@dataclass
class Release:
    name: str
    files: dict[str, bytes]  # what dist/ receives, by file name
    diff: diffs.Diff
    changelog: str  # a CHANGELOG section for the curator to paste
    first: bool = False


def build_release(package: Package, archive: Path | None = None, previous: Path | None = None) -> Release:
    """Everything dist/ receives; raises ReleaseRefused when the package may not be released."""
    root = package.root
    try:
        name = archive_name(package)
        mismatches = version_mismatches(root, package.version)
        if mismatches:
            raise ReleaseRefused(f"the version is {package.version} in datapackage.json but " + "; ".join(mismatches))
        read_inside(root, DESCRIPTOR)  # the descriptor too must be the package's own file, not a symlink
        descriptor = checked_descriptor(package, compare=False)
        # every file is read, and refused if it is a symlink or leaves the package, before the validator opens it;
        # whether the descriptor is current is asked after validation, which names what is wrong more precisely
        files: dict[str, bytes] = {}
        for resource in descriptor["resources"]:
            for path in (resource["path"], resource["schema"]):
                files[path] = read_inside(root, path)
        for path in TOP_FILES + DOC_FILES:
            files[path] = read_inside(root, path)
        report = validate(package, archive)
        if not report.valid:
            failures = report.sorted_failures()
            first = failures[0]
            raise ReleaseRefused(
                f"the package does not validate ({len(failures)} failures, the first: {first.resource} {first.key} "
                f"{first.rule}): run scripts/validate.py" + (f" --archive {archive}" if archive else "")
            )
        if any(read_inside(root, path) != data for path, data in files.items()):
            raise ReleaseRefused("a file changed while the package was being validated: run the release again")
        descriptor = checked_descriptor(package)
        current = package_side(package, package.version)
        before = previous_side(package, current, previous)
    except Unsafe as err:
        raise ReleaseRefused(str(err)) from None
    except diffs.SideError as err:  # what was asked cannot be compared: could not run (exit 2), as the diff says
        raise CannotRun(f"the previous release cannot be read: {err}; nothing was written") from None
    except CannotRun as err:
        raise ReleaseRefused(str(err)) from None
    try:
        change = diffs.diff(before or EMPTY, current)
    except diffs.SideError as err:
        raise ReleaseRefused(f"cannot compare with the previous release: {err}") from None
    if before is not None:
        made = diffs.version_bump(before.version, package.version)
        need = change.bump
        if made is None:
            raise ReleaseRefused(
                f"version {package.version} is below the previous release's, {before.version} ({before.label})"
            )
        if diffs.BUMPS.index(made) < diffs.BUMPS.index(need):
            first = next(c for c in change.changes if c.bump == need)
            tables = sorted({c.table for c in change.changes if c.bump == need and c.table})
            where = f"{', '.join(tables)}: " if tables else ""
            what = "no bump" if made == "none" else f"a {made} bump"
            raise ReleaseRefused(
                f"{before.version} -> {package.version} is {what}, but the changes since {before.label} need a "
                f"{need} bump ({where}{first.message}); release {diffs.next_version(before.version, need)} instead"
            )
        if made == "none":
            raise ReleaseRefused(
                f"version {package.version} is already released ({before.label}) and nothing changed since"
            )
    db = database_name(package)
    try:
        database = sqlite_bytes(package, {t: files[f"data/{t}.parquet"] for t in package.tables | package.derived})
    except SQLiteFailed as err:
        raise ReleaseRefused(f"{db}.sqlite: {err}") from None
    meta = (json.dumps(datasette_metadata(package, db), indent=2, ensure_ascii=False) + "\n").encode()
    changes_md = diffs.markdown(change).encode()
    shipped = release_descriptor(descriptor, files)
    problems = descriptor_problems(json.loads(shipped))
    if problems:
        raise ReleaseRefused(f"the release's datapackage.json fails the Data Package profile: {problems[0]}")
    members = {
        **files,
        DESCRIPTOR: shipped,
        "README.md": release_readme(package, name, db, before is not None).encode(),
        "CHANGES.json": (json.dumps(change.to_dict(), indent=2, ensure_ascii=False) + "\n").encode(),
        "CHANGES.md": changes_md,
        f"{db}.sqlite": database,
        f"{db}.datasette.json": meta,
    }
    data = zip_bytes(members)
    out = {f"{name}.zip": data, f"{db}.sqlite": database, f"{db}.datasette.json": meta, "CHANGES.md": changes_md}
    out["SHA256SUMS"] = "".join(f"{_sha256(out[n])}  {n}\n" for n in sorted(out)).encode()
    return Release(
        name, out, change, diffs.changelog_section(change, package.version, release_date(root)), before is None
    )


# --- dist/ ------------------------------------------------------------------------------------------------------
#
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
    journal = {**manifest, "old": owned}
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


def remove_release(out_dir: Path) -> list[str]:
    """Remove the files of the release in out_dir (those its manifest lists, unchanged), then its manifest."""
    if not out_dir.is_dir() or out_dir.is_symlink():
        return []
    recover(out_dir)
    removed = owned_files(out_dir)
    for file_name in removed:
        (out_dir / file_name).unlink()
    if os.path.lexists(out_dir / MANIFEST):
        (out_dir / MANIFEST).unlink()
    if removed and not any(out_dir.iterdir()):
        out_dir.rmdir()
    return removed


def refuse(console: Console, out_dir: Path, reason: str) -> int:
    removed = remove_release(out_dir)
    line = Text("release refused", style="red")
    line.append(
        f": {reason}; nothing was written"
        + (f" and the {len(removed)} files of the previous release in {out_dir} were removed." if removed else ".")
    )
    console.print(line, soft_wrap=True)
    return EXIT_INVALID


def release_files(package: Package) -> list[str]:
    """The names of the files a release of the package writes (an unsafe name or version raises Unsafe)."""
    name, db = archive_name(package), database_name(package)
    return [f"{name}.zip", f"{db}.sqlite", f"{db}.datasette.json", "CHANGES.md", "SHA256SUMS"]


def run(
    root: Path, console: Console, out_dir: Path | None = None, archive: Path | None = None, previous: Path | None = None
) -> int:
    package = Package.load(root)
    default = out_dir is None
    out_dir = package.root / "dist" if out_dir is None else out_dir
    check_out_dir(out_dir, default)
    recovered = recover(out_dir) if out_dir.is_dir() else None
    if recovered:
        console.print(Text(f"an interrupted release was {recovered} ({out_dir / STAGING_DIR})"))
    owned = owned_files(out_dir) if out_dir.is_dir() else []
    if previous is not None and previous.resolve().parent == out_dir.resolve() and previous.name in owned:
        # the previous release is one this release replaces: it would be deleted with it
        console.print(
            Text(
                f"release refused: the previous release {previous} is in {out_dir}, which a release replaces: "
                "move it elsewhere; nothing was written.",
                style="red",
            ),
            soft_wrap=True,
        )
        return EXIT_INVALID
    try:
        # before the long part: a file of the new release's name that a release did not write stops it here
        taken = [n for n in release_files(package) if os.path.lexists(out_dir / n) and n not in owned]
    except Unsafe:
        taken = []  # build_release refuses the name
    if taken:
        raise CannotRun(
            f"{out_dir / taken[0]}: not a file a release wrote ({MANIFEST} does not list it with these bytes): move "
            "it away; nothing was written"
        )
    try:
        release = build_release(package, archive, previous)
    except ReleaseRefused as err:
        return refuse(console, out_dir, str(err))
    write_dist(out_dir, release.files, release.name)
    for file_name, data in release.files.items():
        console.print(Text(f"{out_dir / file_name}  {len(data)} bytes  sha256 {_sha256(data)}"))
    if release.first:
        console.print(Text("first release: no previous release to compare with, so no version bump was checked"))
    else:
        console.print(
            Text(
                f"changes since {release.diff.old.label}: {release.diff.bump} bump required, "
                f"{diffs.version_bump(release.diff.old.version, package.version)} made"
            )
        )
    console.print(Text("A CHANGELOG.md section drafted from the diff, to edit and paste:\n"))
    console.print(Text(release.changelog), soft_wrap=True)
    return EXIT_VALID
