"""The previous release a release is compared with: a zip given by name, else the highest `v*` git tag below the
version."""

from __future__ import annotations

import subprocess
from pathlib import Path

from . import diff as diffs
from .release_versions import ReleaseRefused
from .safety import Unsafe, read_inside
from .schema import Package


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
