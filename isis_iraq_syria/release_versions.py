"""The release's version, everywhere it is written: datapackage.json, CITATION.cff, pyproject.toml and CHANGELOG.md
must agree before a release is made."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
from pathlib import Path

from .safety import Unsafe, read_inside


class ReleaseRefused(Exception):
    pass


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
