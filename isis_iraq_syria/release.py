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
A refused release changes nothing: dist/ keeps the previous release, if there is one, and whatever else it holds
(see write_dist).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from . import diff as diffs
from .build import resources
from .charts import CHARTS
from .release_dist import MANIFEST, STAGING_DIR, check_out_dir, owned_files, recover, release_names, write_dist
from .release_previous import EMPTY, package_side, previous_side
from .release_readme import release_readme
from .release_versions import ReleaseRefused, release_date, version_mismatches
from .report import EXIT_INVALID, EXIT_VALID
from .safety import Unsafe, read_inside, safe_name, safe_relpath, safe_version
from .schema import DESCRIPTOR, CannotRun, Package
from .sqlite import SQLiteFailed, datasette_metadata, sqlite_bytes
from .validate import validate

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store
# beside data/ and schemas/: the v1 descriptor for v1 readers, and the R reader (R's arrow is not in Debian)
# .zenodo.json stays in the repository, where Zenodo's GitHub integration reads it: a release packs no hidden file
TOP_FILES = (
    *("LICENSE", "LICENSE-DATA.md", "CHANGELOG.md", "CITATION.cff", "datapackage-v1.json"),
    *("croissant.json", "dataset.jsonld", "annotations.jsonld", "R/read_package.R"),
)
DOC_FILES = ("docs/codebook.md", "docs/erd.svg", *(f"docs/charts/{chart.name}.svg" for chart in CHARTS))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_name(package: Package) -> str:
    return f"{safe_name(package.descriptor.get('name'))}-{safe_version(package.descriptor.get('version'))}"


def database_name(package: Package) -> str:
    """The SQLite file's name without its suffix: the version's dots become '_', because Datasette 0.65.5 answers
    500 on the foreign-key links of a database whose name holds a dot."""
    return archive_name(package).replace(".", "_")


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


def refuse(console: Console, out_dir: Path, reason: str) -> int:
    line = Text("release refused", style="red")
    line.append(f": {reason}; nothing was written and {out_dir} is as it was.")
    console.print(line, soft_wrap=True)
    return EXIT_INVALID


def release_files(package: Package) -> list[str]:
    """The names of the files a release of the package writes (an unsafe name or version raises Unsafe)."""
    return release_names(archive_name(package))


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
