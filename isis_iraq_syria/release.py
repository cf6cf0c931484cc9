"""Release: a reproducible zip of the package and its SHA256SUMS.

The zip stands alone: its descriptor gives every resource's bytes and sha256,
and every path in it is relative and inside it. The same commit gives the same
bytes (fixed order, timestamps and permissions). Nothing is written when the
package does not validate or the version has no CHANGELOG entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

from rich.console import Console

from .build import write_if_changed
from .charts import CHARTS
from .report import EXIT_INVALID, EXIT_VALID
from .schema import DESCRIPTOR, Package
from .validate import validate

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store
TOP_FILES = ("README.md", "LICENSE", "LICENSE-DATA.md", "CHANGELOG.md", "CITATION.cff")
# the charts too: README.md shows them
DOC_FILES = ("docs/codebook.md", "docs/erd.svg", *(f"docs/charts/{chart.name}.svg" for chart in CHARTS))


class ReleaseRefused(Exception):
    pass


def archive_name(package: Package) -> str:
    return f"{package.name}-{package.version}"


def changelog_has(root: Path, version: str) -> bool:
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8") if (root / "CHANGELOG.md").exists() else ""
    return re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE) is not None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def release_descriptor(package: Package) -> bytes:
    """The descriptor with the sha256 of every resource and the bytes of every CSV, as Data Package v2 writes them.

    frictionless 5.21 reads Parquet without counting its bytes, so a `bytes` on a
    Parquet resource fails its byte-count check: those resources carry the hash only.
    """
    descriptor = json.loads((package.root / DESCRIPTOR).read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        data = (package.root / resource["path"]).read_bytes()
        if resource["format"] != "parquet":
            resource["bytes"] = len(data)
        resource["hash"] = f"sha256:{_sha256(data)}"
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


def members(package: Package) -> dict[str, bytes]:
    """Every file of the release by its path inside the release folder."""
    root = package.root
    files = {DESCRIPTOR: release_descriptor(package)}
    for name in sorted(package.tables):
        for path in (f"data/{name}.csv", f"data/{name}.parquet", f"schemas/{name}.schema.json"):
            files[path] = (root / path).read_bytes()
    for path in TOP_FILES + DOC_FILES:
        if not (root / path).is_file():
            raise ReleaseRefused(f"{path} is missing")
        files[path] = (root / path).read_bytes()
    return files


def zip_bytes(prefix: str, files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{prefix}/{path}", date_time=FIXED_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the building machine
            archive.writestr(info, files[path], compresslevel=9)
    return buf.getvalue()


def build_release(package: Package) -> dict[str, bytes]:
    """The zip and SHA256SUMS by file name; raises ReleaseRefused when the package may not be released."""
    if not package.version:
        raise ReleaseRefused("datapackage.json has no version")
    if not changelog_has(package.root, package.version):
        raise ReleaseRefused(f"CHANGELOG.md has no entry '## [{package.version}]' for the version in datapackage.json")
    report = validate(package)
    if not report.valid:
        raise ReleaseRefused(f"the package does not validate ({len(report.sorted_failures())} failures): run scripts/validate.py")
    name = archive_name(package)
    data = zip_bytes(name, members(package))
    return {f"{name}.zip": data, "SHA256SUMS": f"{_sha256(data)}  {name}.zip\n".encode()}


def run(root: Path, console: Console, out_dir: Path | None = None) -> int:
    package = Package.load(root)
    out_dir = out_dir or package.root / "dist"
    try:
        files = build_release(package)
    except ReleaseRefused as err:
        console.print(f"[red]release refused[/]: {err}; nothing was written.")
        return EXIT_INVALID
    out_dir.mkdir(parents=True, exist_ok=True)
    write_if_changed({out_dir / name: data for name, data in files.items()})
    for name, data in files.items():
        console.print(f"{out_dir / name}  {len(data)} bytes  sha256 {_sha256(data)}")
    return EXIT_VALID
