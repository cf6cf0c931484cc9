"""The descriptor: datapackage.json is a Data Package v2 descriptor whose names are safe and whose resources are the
package's files, exactly as the build derives them."""

from __future__ import annotations

import re
from typing import Any

from ..safety import NAME, Unsafe, parse_version
from ..schema import DESCRIPTOR
from .model import Example, Rule, edit

V2_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
# A resource is a table's CSV or its twin, inside data/: nothing else is ever read or shipped by path.
RESOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}(-parquet)?$")
RESOURCE_PATH = re.compile(r"^data/[a-z][a-z0-9_]{0,63}\.(csv|parquet)$")


def _fail(column: str, values: Any, message: str, key: str = "") -> dict[str, Any]:
    """A failing row of the descriptor: it has no CSV line; `message` is the whole sentence (the facts of a file)."""
    return {"tbl": DESCRIPTOR, "key_": key, "col": column, "values": str(values)[:80], "message": message}


def derived_resources(ctx: Any) -> list[dict[str, Any]]:
    """The resources the build derives from the package's files, hashed once for both descriptor rules."""
    from ..build import resources

    if "resources" not in ctx.memo:
        ctx.memo["resources"] = resources(ctx.package)
    found: list[dict[str, Any]] = ctx.memo["resources"]
    return found


def check_profile(ctx: Any) -> list[dict[str, Any]]:
    descriptor = ctx.package.descriptor
    if not isinstance(descriptor, dict):
        return [
            _fail(
                "",
                type(descriptor).__name__,
                f"datapackage.json must hold a JSON object, not a JSON {type(descriptor).__name__}.",
            )
        ]
    out = []
    if descriptor.get("$schema") != V2_PROFILE:
        out.append(
            _fail(
                "$schema",
                descriptor.get("$schema", ""),
                f"$schema must be {V2_PROFILE}: without it frictionless reads the package as Data Package v1.",
            )
        )
    name, version = descriptor.get("name"), descriptor.get("version")
    if not (isinstance(name, str) and NAME.match(name)):
        out.append(
            _fail(
                "name",
                repr(name),
                "The package name is lower-case letters, digits, '.', '_' and '-', not starting with '.' or '-' "
                "(it names the release's files).",
            )
        )
    try:
        parse_version(version)  # the one version rule: the release and the diff judge pre-releases the same
    except Unsafe:
        out.append(
            _fail(
                "version",
                repr(version),
                "The version is MAJOR.MINOR.PATCH such as 1.2.3, optionally with -alpha.N, -beta.N or -rc.N "
                "(it names the release's files).",
            )
        )
    listed = descriptor.get("resources")
    if not (isinstance(listed, list) and all(isinstance(r, dict) for r in listed)):
        # the profile check below sees the resources the build derives, so it would not see these
        out.append(_fail("resources", repr(listed), "resources must be a JSON array of resource objects."))
    from frictionless import Package as FrictionlessPackage  # here, not at import: only this rule needs it

    # The profile check sees the resources the build derives; descriptor.resources compares the stored ones to them.
    try:
        report = FrictionlessPackage.validate_descriptor({**descriptor, "resources": derived_resources(ctx)})
        notes = [note for note in report.flatten(["note"])] if not report.valid else []
    except Exception as err:  # frictionless meeting a descriptor it cannot handle
        notes = [[f"{type(err).__name__}: {err}"]]
    for (note,) in notes:
        out.append(_fail("", note, f"The descriptor does not pass the Data Package v2 profile (frictionless): {note}."))
    return out


# What a resource's files and table fix, whichever version of the build wrote the descriptor: a release or the
# installed package is judged by these alone (its titles, dialect and the like are its own).
FILE_KEYS = ("name", "path", "schema", "format", "bytes", "hash")


def _differing(stored: dict, derived: dict, standalone: bool) -> list[str]:
    keys = set(FILE_KEYS) if standalone else set(stored) | set(derived)
    return sorted(k for k in keys if stored.get(k) != derived.get(k))


def check_resources(ctx: Any) -> list[dict[str, Any]]:
    descriptor = ctx.package.descriptor
    if not isinstance(descriptor, dict):
        return []  # descriptor.profile reports it
    derived = {r["name"]: r for r in derived_resources(ctx)}
    stored = descriptor.get("resources")
    if not isinstance(stored, list):
        return [
            _fail("resources", type(stored).__name__, "resources must be the list of the package's tables: run make.")
        ]
    out, seen = [], set()
    for number, resource in enumerate(stored):
        if not isinstance(resource, dict):
            out.append(_fail("resources", f"#{number}", f"Resource #{number} is not a JSON object: run make."))
            continue
        name, path = resource.get("name"), resource.get("path")
        if not (isinstance(name, str) and RESOURCE_NAME.match(name)) or not (
            isinstance(path, str) and RESOURCE_PATH.match(path)
        ):
            out.append(
                _fail(
                    "resources",
                    f"{name!r}: {path!r}",
                    "A resource is named after its table and its path is data/<table>.csv or .parquet, inside the "
                    "package: run make.",
                    key=str(name),
                )
            )
        elif name not in derived:
            out.append(_fail("resources", name, f"Resource {name} describes no table of schemas/: run make.", key=name))
        elif name in seen:
            out.append(_fail("resources", name, f"Resource {name} is described twice: run make.", key=name))
        elif keys := _differing(resource, derived[name], ctx.package.standalone):
            out.append(
                _fail(
                    "resources",
                    ", ".join(keys),
                    f"Resource {name} differs from its files ({', '.join(keys)}): the file changed after the release."
                    if ctx.package.standalone
                    else f"Resource {name} differs from what the build derives from its files ({', '.join(keys)}): "
                    "run make.",
                    key=name,
                )
            )
        seen.add(name)
    for name in sorted(set(derived) - seen):
        out.append(
            _fail(
                "resources",
                derived[name]["path"],
                f"{derived[name]['path']} is not described in datapackage.json: run make.",
                key=name,
            )
        )
    described = {r["path"].removeprefix("data/") for r in derived.values()}
    for path in sorted((ctx.package.root / "data").iterdir()):
        if path.name not in described:
            out.append(
                _fail(
                    "resources",
                    f"data/{path.name}",
                    f"data/{path.name} is in the package but no resource describes it: remove it, or add its schema.",
                    key=path.name,
                )
            )
    return out


RULES: list[Rule] = [
    Rule(
        "descriptor.profile",
        "datapackage.json is a JSON object that passes the Data Package v2 profile "
        "(frictionless), with a v2 $schema, a safe name and a SemVer version.",
        message="{message}",
        values="{values}",
        check=check_profile,
        example=Example((edit(DESCRIPTOR, "", name="../../evil"),), ((DESCRIPTOR, "", "name"),)),
    ),
    Rule(
        "descriptor.resources",
        "datapackage.json describes every CSV and twin in data/, and nothing else, exactly as "
        "the build derives them, with safe names and paths.",
        message="{message}",
        values="{values}",
        check=check_resources,
        stage="parity",
        example=Example(
            (edit(DESCRIPTOR, "actors", path="../../../../etc/passwd"),), ((DESCRIPTOR, "actors", "resources"),)
        ),
    ),
]
