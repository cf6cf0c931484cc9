"""Versions: the bump from one to the next, and the lowest version that makes a bump."""

from __future__ import annotations

from packaging.version import Version

from .diff_schemas import BUMPS
from .safety import Unsafe
from .safety import parse_version as safe_parse_version

# --- versions -------------------------------------------------------------------------------------------------
# One rule for every version (safety.parse_version): SemVer MAJOR.MINOR.PATCH with an optional -alpha.N, -beta.N or
# -rc.N. A pre-release previews the bump from the release before it to its own MAJOR.MINOR.PATCH: 0.2.0-rc.1
# previews a minor bump, 1.0.0-rc.1 a major one, 0.1.1-rc.1 a patch; from a pre-release to a later one of the same
# MAJOR.MINOR.PATCH, or to that release itself, is a bump of that size.


def parse_version(version: str) -> Version | None:
    """The version under the package's rule (safety.parse_version), or None when it is not one."""
    try:
        return safe_parse_version(version)
    except Unsafe:
        return None


def _previewed(release: tuple[int, ...]) -> str:
    _, minor, patch = release
    return "patch" if patch else "minor" if minor else "major"


def version_bump(old: str, new: str) -> str | None:
    """The bump from one version to the next: none, patch, minor or major; None when new is not above old."""
    a, b = parse_version(old), parse_version(new)
    if a is None or b is None or b < a:
        return None
    if b.release[0] > a.release[0]:
        return "major"
    if b.release[1] > a.release[1]:
        return "minor"
    if b.release[2] > a.release[2]:
        return "patch"
    return "none" if b == a else _previewed(b.release)


def next_version(old: str, bump: str) -> str:
    """The lowest version above `old` that makes `bump`: from a pre-release, its own release when that is enough."""
    version = parse_version(old)
    if version is None:
        major, minor, patch = 0, 0, 0
    else:
        major, minor, patch = version.release
        if (
            version.is_prerelease
            and bump in BUMPS[1:]
            and BUMPS.index(bump) <= BUMPS.index(_previewed(version.release))
        ):
            return f"{major}.{minor}.{patch}"
    return {
        "major": f"{major + 1}.0.0",
        "minor": f"{major}.{minor + 1}.0",
        "patch": f"{major}.{minor}.{patch + 1}",
    }.get(bump, old)
