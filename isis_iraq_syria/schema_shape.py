"""What a Table Schema file must be before the package uses it: the shape of its fields, names, types, keys and
missing values. A schema that is not is refused as a whole (CannotRun: exit 2), before any of its table is read.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import polars as pl

from .safety import CannotRun
from .types import TYPES

# Unicode categories a field name may not hold: controls (NUL, line breaks), format characters (bidirectional marks,
# zero-width joiners), surrogates, private use, unassigned, and the line and paragraph separators.
CONTROL = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def check_table_schema(path: str, d: Any) -> None:
    """Refuse a Table Schema this validator cannot apply faithfully, naming the file and what is wrong: a check
    that cannot be built must stop the run, never be silently skipped."""

    def refuse(what: str) -> None:
        raise CannotRun(f"{path}: {what}")

    if not isinstance(d, dict):
        refuse("not a JSON object")
    fields = d.get("fields")
    if not isinstance(fields, list) or not fields:
        refuse("no fields")
    names = []
    for number, f in enumerate(fields, 1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            refuse(f"field {number} has no name")
        name = f["name"]
        if any(unicodedata.category(ch) in CONTROL for ch in name):
            # a NUL or a line break in a column name breaks the CSV header, the Parquet twin and the SQL that names it
            refuse(f"field {number} name {name!r} holds a control, format or separator character")
        if f.get("type", "string") not in TYPES:
            refuse(f"field {name!r} has unsupported type {f.get('type')!r}")
        c = f.get("constraints", {})
        if not isinstance(c, dict):
            refuse(f"field {name!r}: constraints must be an object")
        if any(k in c for k in ("pattern", "minLength", "maxLength")) and f.get("type", "string") != "string":
            refuse(f"field {name!r}: pattern, minLength and maxLength are supported on string fields only")
        if "pattern" in c:
            try:
                if not isinstance(c["pattern"], str):
                    raise TypeError
                re.compile(c["pattern"])
                pl.Series([""]).str.contains(c["pattern"])
            except (TypeError, re.error, pl.exceptions.PolarsError) as err:
                refuse(
                    f"field {name!r}: pattern {c['pattern']!r} is not a valid regular expression ({type(err).__name__})"
                )
        if "enum" in c and not (isinstance(c["enum"], list) and c["enum"]):
            refuse(f"field {name!r}: enum must be a non-empty list")
        for key in ("minLength", "maxLength"):
            if key in c and (not isinstance(c[key], int) or isinstance(c[key], bool) or c[key] < 0):
                refuse(f"field {name!r}: {key} must be a non-negative integer")
        for key in ("minimum", "maximum"):
            if key in c and (
                f.get("type") not in ("integer", "number")
                or not isinstance(c[key], (int, float))
                or isinstance(c[key], bool)
            ):
                refuse(f"field {name!r}: {key} is supported only as a number on an integer or number field")
        for key in ("required", "unique"):
            if key in c and not isinstance(c[key], bool):
                refuse(f"field {name!r}: {key} must be true or false")
        for key in ("trueValues", "falseValues"):
            if key in f and not (isinstance(f[key], list) and all(isinstance(v, str) for v in f[key])):
                refuse(f"field {name!r}: {key} must be a list of strings")
        if "missingValues" in f and not _missing_values_ok(f["missingValues"]):
            refuse(f'field {name!r}: missingValues must be a list of strings or of {{"value": string}}')
        names.append(name)
    if len(set(names)) != len(names):
        refuse(f"field names are not unique ({', '.join(sorted({n for n in names if names.count(n) > 1}))})")
    if "x-vocabulary" in d and not isinstance(d["x-vocabulary"], bool):
        refuse("x-vocabulary must be true or false")
    derived_from = d.get("x-derived-from")
    if derived_from is not None and not (
        isinstance(derived_from, list) and derived_from and all(isinstance(n, str) for n in derived_from)
    ):
        refuse("x-derived-from must be a non-empty list of table names")
    if "missingValues" in d and not _missing_values_ok(d["missingValues"]):
        refuse('missingValues must be a list of strings or of {"value": string}')
    keys = [("primaryKey", _as_list(d.get("primaryKey", [])))]
    if not isinstance(d.get("uniqueKeys", []), list):
        refuse("uniqueKeys must be a list")
    keys += [("uniqueKeys", _as_list(k)) for k in d.get("uniqueKeys", [])]
    if not isinstance(d.get("foreignKeys", []), list):
        refuse("foreignKeys must be a list")
    for fk in d.get("foreignKeys", []):
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            refuse("a foreign key needs fields and a reference")
        local, remote = _as_list(fk.get("fields")), _as_list(fk["reference"].get("fields"))
        if not local or len(local) != len(remote) or not all(isinstance(n, str) for n in remote):
            refuse(f"foreign key {local}: its fields and its reference's fields must be as many, and at least one")
        if not isinstance(fk["reference"].get("resource", ""), str):
            refuse(f"foreign key {local}: the reference's resource must be a table name")
        keys.append(("foreignKeys", local))
    for what, key in keys:
        missing = [n for n in key if not isinstance(n, str) or n not in names]
        if missing or (what == "uniqueKeys" and not key):
            refuse(f"{what} names field(s) the schema does not have: {', '.join(map(str, missing)) or '(none)'}")


def _missing_values_ok(values: Any) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("value"), str)) for v in values
    )
