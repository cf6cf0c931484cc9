"""Comparing two versions' rows, matched by primary key: rows added, removed, corrected, and ids reused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .diff_read import Side
from .diff_schemas import Change, _fields, _key, _missing

IDENTITY = "x-identity"  # Table Schema property: the fields that say what a row is about


@dataclass
class TableRows:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # {"key", "columns": {col: [old, new]}}
    reused: list[dict[str, Any]] = field(default_factory=list)  # the same, for ids that changed meaning


def _keys(frame: pl.DataFrame, key: list[str]) -> list[str]:
    """Each row's primary key as one string ("E002|IRQ"), sorted."""
    return sorted(frame.select(pl.concat_str([pl.col(k) for k in key], separator="|")).to_series().to_list())


def _canonical(schema: dict[str, Any], name: str, source: str | None = None) -> pl.Expr:
    """A column as its field's type reads it, as text to compare: null when missing, integers exactly (leading
    zeros and '+' dropped), numbers as floats (2500 and 2500.0 are the same) except whole numbers of 2^53 and
    beyond, which a float cannot tell apart and which are compared as integers; booleans as true or false."""
    f = _fields(schema).get(name, {})
    kind, column = f.get("type", "string"), pl.col(source or name)
    value = pl.when(column.is_in(sorted(_missing(schema, f)))).then(pl.lit(None, pl.String)).otherwise(column)
    whole = value.str.replace(r"^\+", "").str.replace(r"^(-?)0+([0-9])", "${1}${2}").str.replace(r"^-0$", "0")
    is_whole = value.str.contains(r"^[+-]?[0-9]+$")
    if kind == "integer":
        return pl.when(is_whole).then(whole).otherwise(value)
    if kind == "number":
        number = value.cast(pl.Float64, strict=False)
        exact = is_whole & (number.abs() >= 2.0**53)
        return pl.when(exact).then(whole).otherwise(pl.coalesce(number.cast(pl.String), value))
    if kind == "boolean":
        true_values, false_values = (
            f.get("trueValues", ["true", "True", "TRUE", "1"]),
            f.get("falseValues", ["false", "False", "FALSE", "0"]),
        )
        return (
            pl.when(value.is_in(true_values))
            .then(pl.lit("true"))
            .when(value.is_in(false_values))
            .then(pl.lit("false"))
            .otherwise(value)
        )
    return value


def _renames(old: Side, new: Side, name: str) -> dict[str, str]:
    """A removed column and an added one holding the same values in every row (by key): a rename."""
    of, nf = _fields(old.schemas[name]), _fields(new.schemas[name])
    gone, came = [c for c in of if c not in nf], [c for c in nf if c not in of]
    key = _match_key(old, new, name)
    if not gone or not came or not key:
        return {}
    out: dict[str, str] = {}
    for g in gone:
        for c in came:
            if c in out.values() or of[g].get("type", "string") != nf[c].get("type", "string"):
                continue
            if g not in old.header(name) or c not in new.header(name):
                continue
            before = old.collect(name, old.frames[name].select([*key, pl.col(g).alias(OLD + g)]))
            after = new.collect(name, new.frames[name].select([*key, pl.col(c).alias(NEW + c)]))
            pairs = before.unique(subset=key, keep="last").join(
                after.unique(subset=key, keep="last"), on=key, how="inner"
            )
            if pairs.height and pairs.select(pl.col(OLD + g).eq_missing(pl.col(NEW + c)).all()).item():
                out[g] = c
                break
    return out


# names no CSV header can clash with
OLD, NEW, IN_OLD, IN_NEW = "\x00old:", "\x00new:", "\x00in_old", "\x00in_new"
KEY, DIFFERS, FROM = "\x00key", "\x00differs:", "\x00from"
OLD_CONTENT, NEW_CONTENT, HASH = "\x00old_content", "\x00new_content", "\x00hash"


def _summary(side: Side, name: str, key: list[str], canonical: list[pl.Expr]) -> pl.DataFrame:
    """Each row's key and two hashes of its values as their types read them (null when every one is empty), in
    one streaming pass: a large table costs its keys, not its cells."""
    hashes = [pl.lit(None, pl.UInt64).alias(HASH + str(seed)) for seed in (0, 1)]
    if canonical:
        empty = pl.all_horizontal([c.is_null() | (c == "") for c in canonical])
        for seed in (0, 1):  # each value hashed on its own first: hashing a struct of long texts copies them
            values = pl.struct([c.hash(seed).alias(str(i)) for i, c in enumerate(canonical)]).hash(seed)
            hashes[seed] = pl.when(empty).then(None).otherwise(values).alias(HASH + str(seed))
    query = side.frames[name].select(*key, pl.concat_str([pl.col(k) for k in key], separator="|").alias(KEY), *hashes)
    return side.collect(name, query).unique(subset=key, keep="last")


def _rows_of(side: Side, name: str, keys: pl.DataFrame, select: list[pl.Expr], flag: str) -> pl.DataFrame:
    """The rows of these keys, with the columns asked for: only they are read whole."""
    query = side.frames[name].join(keys.lazy(), on=keys.columns, how="semi").select(*select, pl.lit(True).alias(flag))
    return side.collect(name, query).unique(subset=keys.columns, keep="last")


def _row_changes(old: Side, new: Side, name: str, renamed: dict[str, str]) -> tuple[TableRows, list[Change]]:
    """Rows matched by primary key. A first pass reads each side's keys and a hash of each row; only the rows
    whose hashes differ, and those another row may have taken over, are read whole and compared value by value."""
    rows, changes = TableRows(), []
    key = _match_key(old, new, name)
    if not key:
        changes.append(
            Change(
                "major",
                "rows_not_comparable",
                name,
                message="the primary key's fields are not on both sides: rows cannot be matched",
            )
        )
        return rows, changes
    same_bytes = old.digests.get(name) is not None and old.digests.get(name) == new.digests.get(name)
    if same_bytes and old.schemas[name] == new.schemas[name]:  # the same text read the same way: the same rows
        return rows, changes
    back = {v: k for k, v in renamed.items()}
    columns = [c for c in new.header(name) if back.get(c, c) in old.header(name) and c not in key]
    # what either side says a row is about: a side that drops x-identity does not make a reused id a correction
    declared = [*_identity(new.schemas[name], key), *(renamed.get(c, c) for c in _identity(old.schemas[name], key))]
    identity = [c for c in dict.fromkeys(declared) if c in columns]
    hashes = [HASH + "0", HASH + "1"]
    summary = (
        _summary(old, name, key, [_canonical(old.schemas[name], back.get(c, c)) for c in columns])
        .rename({h: OLD + h for h in hashes})
        .with_columns(pl.lit(True).alias(IN_OLD))
        .join(
            _summary(new, name, key, [_canonical(new.schemas[name], c) for c in columns])
            .drop(KEY)
            .rename({h: NEW + h for h in hashes})
            .with_columns(pl.lit(True).alias(IN_NEW)),
            on=key,
            how="full",
            coalesce=True,
        )
        .with_columns(pl.concat_str([pl.col(k) for k in key], separator="|").alias(KEY))
    )
    rows.added = sorted(summary.filter(pl.col(IN_OLD).is_null())[KEY].to_list())
    rows.removed = sorted(summary.filter(pl.col(IN_NEW).is_null())[KEY].to_list())
    if not columns:
        return rows, _row_counts(name, rows, changes)
    same = pl.all_horizontal([pl.col(OLD + h).eq_missing(pl.col(NEW + h)) for h in hashes])
    candidates = summary.filter(pl.col(IN_OLD) & pl.col(IN_NEW) & ~same)
    if candidates.is_empty():
        return rows, _row_counts(name, rows, changes)
    # an old row that went or changed, whose values a changed row now holds under another key: read it too
    left = summary.filter(pl.col(IN_OLD) & (pl.col(IN_NEW).is_null() | pl.col(KEY).is_in(candidates[KEY].implode())))
    taken = (
        candidates.select(KEY, *[pl.col(NEW + h).alias(h) for h in hashes])
        .drop_nulls()
        .join(left.select(pl.col(KEY).alias(FROM), *key, *[pl.col(OLD + h).alias(h) for h in hashes]), on=hashes)
        .filter(pl.col(KEY) != pl.col(FROM))
        .select(key)
    )
    wanted = pl.concat([candidates.select(key), taken]).unique()
    o = _rows_of(old, name, wanted, [*key, *[pl.col(back.get(c, c)).alias(OLD + c) for c in columns]], IN_OLD)
    n = _rows_of(new, name, candidates.select(key), [*key, *[pl.col(c).alias(NEW + c) for c in columns]], IN_NEW)
    joined = o.join(n, on=key, how="full", coalesce=True).with_columns(
        pl.concat_str([pl.col(k) for k in key], separator="|").alias(KEY)
    )
    canonical_old = [_canonical(old.schemas[name], back.get(c, c), OLD + c) for c in columns]
    canonical_new = [_canonical(new.schemas[name], c, NEW + c) for c in columns]
    differs = [~a.eq_missing(b) for a, b in zip(canonical_old, canonical_new, strict=True)]
    joined = joined.with_columns(
        *[d.alias(DIFFERS + c) for c, d in zip(columns, differs, strict=True)],
        _content(canonical_old).alias(OLD_CONTENT),
        _content(canonical_new).alias(NEW_CONTENT),
    )
    both = joined.filter(
        pl.col(IN_OLD) & pl.col(IN_NEW) & pl.any_horizontal([pl.col(DIFFERS + c) for c in columns])
    ).sort(KEY)
    moved = _moved(joined, both)
    for row in both.iter_rows(named=True):
        diff = {c: [row[OLD + c], row[NEW + c]] for c in columns if row[DIFFERS + c]}
        k = row[KEY]
        entry = {"key": k, "columns": diff}
        if any(c in diff for c in identity) or k in moved:
            rows.reused.append(entry)
            if k in moved:
                why = f"it now holds the row {moved[k]} held"
            else:
                why = ", ".join(
                    f"{c} {diff[c][0] or '(empty)'} -> {diff[c][1] or '(empty)'}" for c in identity if c in diff
                )
            changes.append(
                Change(
                    "major",
                    "id_reused",
                    name,
                    ",".join(c for c in identity if c in diff),
                    k,
                    message=f"{k} now means another thing ({why}): a reused id, not a correction",
                )
            )
        else:
            rows.changed.append(entry)
    return rows, _row_counts(name, rows, changes)


def _match_key(old: Side, new: Side, name: str) -> list[str]:
    """The key rows are matched by: the new side's primary key or, when it has none or names a field one side
    lacks, the old side's; [] when neither is on both sides."""
    for schema in (new.schemas[name], old.schemas[name]):
        key = _key(schema)
        if key and all(k in old.header(name) and k in new.header(name) for k in key):
            return key
    return []


def _identity(schema: dict[str, Any], key: list[str]) -> list[str]:
    """The fields that say what a row is about: those the schema lists under x-identity, or else its other
    identifiers, the fields of its unique keys and unique fields. A change to one is a reused id."""
    declared = schema.get(IDENTITY)
    if declared is not None:
        if not isinstance(declared, list):
            raise TypeError(f"{IDENTITY} is not a list")
        return [str(c) for c in declared]
    out = [str(c) for unique in schema.get("uniqueKeys") or [] for c in (unique if isinstance(unique, list) else [])]
    out += [name for name, f in _fields(schema).items() if (f.get("constraints") or {}).get("unique") is True]
    return [c for c in dict.fromkeys(out) if c not in key]


def _content(canonical: list[pl.Expr]) -> pl.Expr:
    """A row's values but its key, as one text; null when every one is empty (such rows say nothing of identity)."""
    text = pl.concat_str([c.fill_null("\x00") for c in canonical], separator="\x1f")
    empty = pl.all_horizontal([c.is_null() | (c == "") for c in canonical])
    return pl.when(empty).then(pl.lit(None, pl.String)).otherwise(text)


def _moved(joined: pl.DataFrame, both: pl.DataFrame) -> dict[str, str]:
    """Keys whose row now holds, value for value, the row another key held, while that key's row changed or went:
    the ids were traded or reused (with or without x-identity), not corrected. New key -> the key it took over."""
    left = joined.filter(pl.col(IN_OLD) & (pl.col(IN_NEW).is_null() | pl.col(KEY).is_in(both[KEY].implode())))
    pairs = (
        both.select(KEY, NEW_CONTENT)
        .drop_nulls(NEW_CONTENT)
        .join(
            left.select(pl.col(KEY).alias(FROM), pl.col(OLD_CONTENT)).drop_nulls(OLD_CONTENT),
            left_on=NEW_CONTENT,
            right_on=OLD_CONTENT,
        )
        .filter(pl.col(KEY) != pl.col(FROM))
        .sort(KEY, FROM)
        .unique(subset=KEY, keep="first")
    )
    return dict(zip(pairs[KEY].to_list(), pairs[FROM].to_list(), strict=True))


def _row_counts(name: str, rows: TableRows, changes: list[Change]) -> list[Change]:
    if rows.added:
        changes.append(Change("minor", "rows_added", name, message=f"{len(rows.added)} row(s) added"))
    if rows.removed:
        changes.append(
            Change(
                "major",
                "rows_removed",
                name,
                message=f"{len(rows.removed)} row(s) removed: {', '.join(rows.removed[:10])}",
            )
        )
    if rows.changed:
        changes.append(
            Change("patch", "values_corrected", name, message=f"{len(rows.changed)} row(s) with corrected values")
        )
    return changes
