"""Comparing two versions' Table Schemas and descriptors, and rating each change with the SemVer bump it needs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .diff_read import _tables

BUMPS = ("none", "patch", "minor", "major")


def bigger(a: str, b: str) -> str:
    return a if BUMPS.index(a) >= BUMPS.index(b) else b


@dataclass
class Change:
    """One reason for a bump: where it is, what it is, and how big."""

    bump: str
    kind: str
    table: str = ""
    column: str = ""
    key: str = ""
    old: Any = None
    new: Any = None
    message: str = ""


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f}


def _key(schema: dict[str, Any]) -> list[str]:
    pk = schema.get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def _missing(schema: dict[str, Any], field_: dict[str, Any]) -> set[str]:
    values = field_.get("missingValues", schema.get("missingValues", [""]))
    return {v["value"] if isinstance(v, dict) else v for v in values}


def _describe(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value


# The bump each change of a Table Schema needs: the Data Package specification's versioning recipe
# (https://datapackage.org/recipes/data-package-version/), property by property.
# - major: a name changed; a field added, removed or moved (code that reads by position breaks); its type or format;
#   anything that changes how a cell's text is read (decimalChar, groupChar, bareNumber, trueValues, falseValues,
#   missingValues), what a value means (unit, rdfType, categories) or the order of allowed values (the order of a
#   categorical's categories, which sorting follows); a constraint made more restrictive; a primary key changed;
#   a unique key added; a foreign key removed; a property this diff does not know (its effect cannot be rated);
# - minor: a constraint made less restrictive (a bound relaxed or dropped, allowed values added); a unique key
#   dropped; a foreign key added (a reference to another table), or its reference updated (the same fields);
# - patch: descriptive properties: title, description, example, and extensions (x-...), but for an extension named
#   after a property of reading or meaning (x-unit), which is rated as that property.
DESCRIPTIVE = {"title", "description", "example", "$schema"}
READING = (
    *("decimalChar", "groupChar", "bareNumber", "trueValues", "falseValues", "missingValues"),
    *("delimiter", "itemType", "fieldsMatch"),  # how a list cell is split and read; how the header meets the fields
)
MEANING = ("unit", "rdfType", "categoriesOrdered")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum")
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum")
FLAGS = ("required", "unique")


def _standard(prop: str) -> str:
    """The property an extension stands for (x-unit: unit), so that a unit kept as an extension still counts."""
    return prop.removeprefix("x-")


def _descriptive(prop: str) -> bool:
    return prop in DESCRIPTIVE or (prop.startswith("x-") and _standard(prop) not in (*READING, *MEANING))


def _values(listed: Any) -> list[Any]:
    """Allowed values or categories as a list of values (categories may be {value, label} objects)."""
    return [v["value"] if isinstance(v, dict) and "value" in v else v for v in listed or []]


def _list_change(a: Any, b: Any) -> tuple[str, str] | None:
    """How a list of allowed values changed: (bump, what) or None when it did not."""
    if a == b:
        return None
    if a is None:
        return "major", "now restricted to a list"
    if b is None:
        return "minor", "no longer restricted to a list"
    va, vb = _values(a), _values(b)
    withdrawn = [v for v in va if v not in vb]
    if withdrawn:
        return "major", f"withdrawn: {', '.join(map(str, withdrawn))}"
    if [v for v in vb if v in va] != va:
        return "major", "reordered (the order of a categorical's categories, which sorting follows)"
    granted = [v for v in vb if v not in va]
    if granted:
        return "minor", f"added: {', '.join(map(str, granted))}"
    return "patch", "labels changed"


def _bound_change(prop: str, a: Any, b: Any) -> str:
    """major when a bound is added or tightened, minor when it is dropped or relaxed."""
    if b is None:
        return "minor"
    if a is None or type(a) is not type(b) or isinstance(a, bool):
        return "major"
    try:
        tighter = b > a if prop in LOWER_BOUNDS else b < a
    except TypeError:
        return "major"
    return "major" if tighter else "minor"


def _constraint_change(prop: str, a: Any, b: Any) -> str:
    if prop in LOWER_BOUNDS or prop in UPPER_BOUNDS:
        return _bound_change(prop, a, b)
    if prop in FLAGS:
        return "major" if b is True and a is not True else "minor"
    # pattern, jsonSchema and what this diff does not know: dropping it loosens; a new or changed one may restrict
    # (no general test tells whether one pattern admits more than another)
    return "minor" if b is None else "major"


def _field_changes(col: str, a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    """(bump, kind, message, old, new) for each property of a field that changed."""
    out: list[tuple[str, str, str, Any, Any]] = []
    for prop, default in (("type", "string"), ("format", "default")):
        if a.get(prop, default) != b.get(prop, default):
            out.append(
                (
                    "major",
                    f"{prop}_changed",
                    f"{col}: {prop} {a.get(prop, default)} -> {b.get(prop, default)}",
                    a.get(prop, default),
                    b.get(prop, default),
                )
            )
    ac, bc = a.get("constraints") or {}, b.get("constraints") or {}
    if not isinstance(ac, dict) or not isinstance(bc, dict):
        raise TypeError(f"{col}: constraints is not an object")
    change = _list_change(ac.get("enum"), bc.get("enum"))
    if change is not None:
        bump, what = change
        kind = (
            "allowed_values_removed"
            if "withdrawn" in what
            else (
                "allowed_values_reordered"
                if "reordered" in what
                else "allowed_values_added"
                if bump == "minor" and "added" in what
                else "constraint_changed"
            )
        )
        out.append((bump, kind, f"{col}: allowed values {what}", ac.get("enum"), bc.get("enum")))
    for prop in sorted((ac.keys() | bc.keys()) - {"enum"}):
        if ac.get(prop) != bc.get(prop):
            bump = _constraint_change(prop, ac.get(prop), bc.get(prop))
            looser = "relaxed or dropped" if bump == "minor" else "added or made more restrictive"
            out.append(
                (
                    bump,
                    "constraint_changed",
                    f"{col}: constraint {prop} {looser}: {_describe(ac.get(prop))} -> {_describe(bc.get(prop))}",
                    ac.get(prop),
                    bc.get(prop),
                )
            )
    change = _list_change(a.get("categories"), b.get("categories"))
    if change is not None:
        bump, what = change
        out.append((bump, "categories_changed", f"{col}: categories {what}", a.get("categories"), b.get("categories")))
    for prop in sorted((a.keys() | b.keys()) - {"name", "type", "format", "constraints", "categories"}):
        if a.get(prop) == b.get(prop):
            continue
        if _descriptive(prop):
            out.append(("patch", "field_metadata_changed", f"{col}: {prop} changed", a.get(prop), b.get(prop)))
        elif _standard(prop) in READING:
            out.append(
                (
                    "major",
                    "reading_changed",
                    f"{col}: {prop} changed: the same text now reads as another value",
                    a.get(prop),
                    b.get(prop),
                )
            )
        elif _standard(prop) in MEANING:
            out.append(
                (
                    "major",
                    "meaning_changed",
                    f"{col}: {prop} changed: the values now mean something else",
                    a.get(prop),
                    b.get(prop),
                )
            )
        else:
            out.append(
                (
                    "major",
                    "property_changed",
                    f"{col}: {prop} changed (a property whose effect this diff cannot rate)",
                    a.get(prop),
                    b.get(prop),
                )
            )
    return out


def _keys_of(schema: dict[str, Any], prop: str) -> set[str]:
    listed = schema.get(prop) or []
    if not isinstance(listed, list):
        raise TypeError(f"{prop} is not a list")
    return {json.dumps(k, sort_keys=True) for k in listed}


def _updated_references(gone: set[str], came: set[str]) -> list[tuple[str, str]]:
    """Pairs of a foreign key removed and one added over the same fields, each key in one pair at most."""

    def fields(key: str) -> str:
        value = json.loads(key)
        return json.dumps(value.get("fields") if isinstance(value, dict) else value)

    pairs, taken = [], set()
    for g in sorted(gone):
        match = next((c for c in sorted(came) if c not in taken and fields(c) == fields(g)), None)
        if match is not None:
            pairs.append((g, match))
            taken.add(match)
    return pairs


def _schema_changes(name: str, old: dict[str, Any], new: dict[str, Any], renamed: dict[str, str]) -> list[Change]:
    out: list[Change] = []
    of, nf = _fields(old), _fields(new)

    def add(bump: str, kind: str, message: str, column: str = "", o: Any = None, n: Any = None) -> None:
        out.append(Change(bump, kind, name, column, "", o, n, message))

    for old_name, new_name in renamed.items():
        add("major", "column_renamed", f"column {old_name} renamed to {new_name}", new_name, old_name, new_name)
    for col in of.keys() - nf.keys() - renamed.keys():
        add("major", "column_removed", f"column {col} removed", col)
    for col in nf.keys() - of.keys() - set(renamed.values()):
        add("major", "column_added", f"column {col} added: code that reads columns by position breaks", col)
    common_old = [c for c in of if c in nf]
    common_new = [c for c in nf if c in of]
    if common_old != common_new:
        add(
            "major",
            "columns_reordered",
            "columns reordered: code reading columns by position breaks",
            "",
            common_old,
            common_new,
        )
    for col in common_new:
        for bump, kind, message, o, n in _field_changes(col, of[col], nf[col]):
            add(bump, kind, message, col, o, n)
    if _key(old) != _key(new):
        add(
            "major",
            "primary_key_changed",
            f"primary key {', '.join(_key(old))} -> {', '.join(_key(new))}",
            "",
            _key(old),
            _key(new),
        )
    for prop, gone_bump, came_bump, what in (
        ("foreignKeys", "major", "minor", "foreign key"),
        ("uniqueKeys", "minor", "major", "unique key"),
    ):
        before, after = _keys_of(old, prop), _keys_of(new, prop)
        if prop == "foreignKeys":  # the same fields now referring elsewhere: the recipe's "update a reference" (minor)
            for gone, came in _updated_references(before - after, after - before):
                add(
                    "minor",
                    "foreign_key_changed",
                    f"reference updated: {gone} -> {came}",
                    "",
                    *map(json.loads, (gone, came)),
                )
                before, after = before - {gone}, after - {came}
        for gone in sorted(before - after):
            add(gone_bump, f"{what.replace(' ', '_')}_removed", f"{what} removed: {gone}", "", json.loads(gone), None)
        for came in sorted(after - before):
            add(came_bump, f"{what.replace(' ', '_')}_added", f"{what} added: {came}", "", None, json.loads(came))
    handled = {"fields", "primaryKey", "foreignKeys", "uniqueKeys"}
    for prop in sorted((old.keys() | new.keys()) - handled):
        if old.get(prop) == new.get(prop):
            continue
        if _descriptive(prop) or prop == "name":
            add("patch", "table_metadata_changed", f"{prop} changed", "", old.get(prop), new.get(prop))
        elif _standard(prop) in READING:
            add(
                "major",
                "reading_changed",
                f"{prop} changed: the same text now reads as another value",
                "",
                old.get(prop),
                new.get(prop),
            )
        else:
            add(
                "major",
                "property_changed",
                f"{prop} changed (a property whose effect this diff cannot rate)",
                "",
                old.get(prop),
                new.get(prop),
            )
    return out


def _twins(descriptor: dict[str, Any]) -> set[str]:
    """Resources that share a CSV table's schema (its Parquet twin): they come and go with the table."""
    schemas = {schema for _, schema in _tables(descriptor).values() if isinstance(schema, str)}
    tables = set(_tables(descriptor))
    return {
        r.get("name")
        for r in descriptor.get("resources") or []
        if isinstance(r, dict) and r.get("schema") in schemas and r.get("name") not in tables
    }


# The descriptor's properties, by the recipe: a package's name, id or licenses changed is major (an identifier, or
# the terms of use); any other package property is descriptive (patch). A resource's properties: how its file is
# read (dialect, encoding, format, ...) or licensed is major, its description patch; a table's path, bytes and hash
# follow its rows, which are compared (a path of another resource is major: code that opens it breaks).
PACKAGE_MAJOR = ("name", "id", "licenses")
RESOURCE_READING = ("dialect", "encoding", "format", "mediatype", "scheme", "compression", "type", "licenses")
RESOURCE_FOLLOWS = ("name", "path", "schema", "bytes", "hash")


def _resource_changes(name: str, a: dict[str, Any], b: dict[str, Any], table: bool) -> list[Change]:
    out = []
    for prop in sorted((a.keys() | b.keys()) - set(RESOURCE_FOLLOWS if table else ("name", "schema", "bytes", "hash"))):
        if a.get(prop) == b.get(prop):
            continue
        if prop == "path" or prop in RESOURCE_READING:
            bump, kind, why = "major", "resource_changed", ""
        elif _descriptive(prop) or prop in ("sources", "homepage"):
            bump, kind, why = "patch", "resource_metadata_changed", ""
        else:
            bump, kind, why = "major", "resource_changed", " (a property whose effect this diff cannot rate)"
        out.append(
            Change(bump, kind, name, prop, "", a.get(prop), b.get(prop), f"resource {name}: {prop} changed{why}")
        )
    return out


def _descriptor_changes(old: dict[str, Any], new: dict[str, Any], tables: set[str]) -> list[Change]:
    out: list[Change] = []
    if not old:  # a first release: everything is new, and the tables say what
        return out
    for prop in sorted((old.keys() | new.keys()) - {"resources", "version"}):
        if old.get(prop) != new.get(prop):
            bump = "major" if prop in PACKAGE_MAJOR else "patch"
            out.append(
                Change(
                    bump,
                    "descriptor_changed",
                    column=prop,
                    old=old.get(prop),
                    new=new.get(prop),
                    message=f"datapackage.json: {prop} changed"
                    + (" (an identifier, file names or terms of use change)" if bump == "major" else ""),
                )
            )
    res = lambda d: {r.get("name"): r for r in d.get("resources") or [] if isinstance(r, dict)}  # noqa: E731
    ro, rn = res(old), res(new)
    for name in sorted(ro.keys() - rn.keys() - tables - _twins(old)):
        out.append(
            Change("major", "resource_removed", name, message=f"resource {name} ({ro[name].get('path')}) removed")
        )
    for name in sorted(rn.keys() - ro.keys() - tables - _twins(new)):
        out.append(Change("minor", "resource_added", name, message=f"resource {name} ({rn[name].get('path')}) added"))
    for name in sorted(ro.keys() & rn.keys()):
        out += _resource_changes(name, ro[name], rn[name], name in tables or name in _twins(old) | _twins(new))
    return out
