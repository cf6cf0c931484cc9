"""The Pandera schema of a table, derived from its Table Schema: what the per-table rules check (types, required
cells, allowed values, patterns, lengths, ranges, keys), run by Pandera's polars backend.

The checks Pandera has for strings are given their own form here where the validator holds text as categoricals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import pandera.polars as pdr

    from .schema import Table


def _member_of(allowed: pl.Series) -> pdr.Check:
    """Membership in the referenced key column, as an anti-join: measured 2 to 4 times faster than `is_in`, which
    hashes the whole referenced column again for every foreign key (0.2 s per million keys)."""
    import pandera.polars as pdr

    reference = allowed.rename("reference_").to_frame().lazy()

    def check(data) -> pl.LazyFrame:
        rows = data.lazyframe.select(pl.col(data.key)).with_row_index("row_")
        missing = (
            rows.filter(pl.col(data.key).is_not_null())
            .join(reference, left_on=data.key, right_on="reference_", how="anti")
            .select("row_")
            .collect()
            .to_series()
        )
        index = pl.int_range(pl.len(), dtype=pl.UInt32)
        return data.lazyframe.select(
            (~index.is_in(missing.implode()) if len(missing) else pl.repeat(True, pl.len())).alias(data.key)
        )

    return pdr.Check(check, name="foreign_key")


def _length_between(shortest: int | None, longest: int | None) -> pdr.Check:
    """minLength and maxLength in characters, for text held as strings or as categoricals (whose lengths polars
    computes once per distinct text); an empty cell is not checked."""
    import pandera.polars as pdr

    def check(data) -> pl.LazyFrame:
        column = pl.col(data.key)
        length = (
            column.cat.len_chars()
            if data.lazyframe.collect_schema()[data.key] == pl.Categorical
            else column.str.len_chars()
        )
        ok = pl.lit(True)
        if shortest is not None:
            ok = ok & (length >= shortest)
        if longest is not None:
            ok = ok & (length <= longest)
        return data.lazyframe.select(ok.fill_null(True).alias(data.key))

    return pdr.Check(check, name="str_length")


def _matches(pattern: str) -> pdr.Check:
    """A pattern for text held as a categorical (Pandera's str_matches reads strings only): each distinct text is
    matched once, and the rows holding one that fails are found by code. Anchored at the start, as str_matches is."""
    import pandera.polars as pdr

    def check(data) -> pl.LazyFrame:
        column = pl.col(data.key)
        distinct = data.lazyframe.select(column.unique().drop_nulls()).collect().to_series()
        failing = distinct.filter(~distinct.cast(pl.String).str.contains(f"^{pattern}"))
        return data.lazyframe.select((column.is_null() | ~column.is_in(failing.implode())).alias(data.key))

    return pdr.Check(check, name="str_matches")


def sorts_before_previous(columns: list[str]) -> pl.Expr:
    """True where a row's key tuple sorts before the previous row's: text by its text, integers and dates by value.
    A categorical is compared as it stands: polars orders categoricals by their text, whatever their codes (4 times
    faster than casting them to strings first)."""
    less, equal_so_far = pl.lit(False), pl.lit(True)
    for column in columns:
        this = pl.col(column)
        prev = this.shift(1)
        less = less | (equal_so_far & (this < prev))
        equal_so_far = equal_so_far & this.eq_missing(prev)
    return less


def _unique_rows(key: list[str]) -> pdr.Check:
    """Each row's key tuple occurs once. Rows kept in key order (hygiene.key_order) hold any duplicates next to each
    other, so one comparison with each neighbour finds them; only an unsorted table pays for hashing every key."""
    import pandera.polars as pdr

    def check(data) -> pl.LazyFrame:
        frame = data.lazyframe.select(key).collect()
        if frame.select(sorts_before_previous(key).any()).item():
            duplicated = frame.select(pl.struct(key).is_duplicated()).to_series()
        else:
            same_as_prev = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(1)) for c in key])
            duplicated = frame.select(
                same_as_prev.fill_null(False) | same_as_prev.shift(-1).fill_null(False)
            ).to_series()
        return pl.LazyFrame({"primary_key": ~duplicated})

    return pdr.Check(check, name="primary_key")


def pandera_schema(
    table: Table, references: dict[str, pl.Series] | None = None
) -> tuple[pdr.DataFrameSchema, dict[tuple[str, int], str]]:
    """Pandera schema for the typed frame, and the rule id of each (column, check number).

    `references` maps "table.field" to the referenced key values, so that a
    single-field foreign key becomes membership in the referenced column.
    """
    import pandera.polars as pdr  # 0.36 s to import: only the commands that check schemas pay for it

    rule_ids: dict[tuple[str, int], str] = {}
    columns = {}
    fk_by_field = table.foreign_key_of
    for field in table.fields:
        checks: list[tuple[str, pdr.Check]] = []
        c = field.constraints
        if field.enum is not None:
            checks.append(("schema.enum", pdr.Check.isin(field.enum)))
        if "pattern" in c:
            checks.append(
                (
                    "schema.pattern",
                    _matches(f"(?:{c['pattern']})$")
                    if table.polars_dtype(field) == pl.Categorical
                    else pdr.Check.str_matches(f"(?:{c['pattern']})$"),
                )
            )
        if "minLength" in c or "maxLength" in c:
            checks.append(("schema.length", _length_between(c.get("minLength"), c.get("maxLength"))))
        if "minimum" in c:
            checks.append(("schema.range", pdr.Check.ge(c["minimum"])))
        if "maximum" in c:
            checks.append(("schema.range", pdr.Check.le(c["maximum"])))
        fk = fk_by_field.get(field.name)
        if fk is not None and references is not None:
            allowed = references.get(f"{fk.resource}.{fk.ref_fields[0]}")
            if allowed is not None:
                checks.append(("ref.foreign_key", _member_of(allowed)))
        for number, (rule_id, _) in enumerate(checks):
            rule_ids[(field.name, number)] = rule_id
        columns[field.name] = pdr.Column(
            table.polars_dtype(field),
            [check for _, check in checks],
            nullable=not field.required,
            unique=bool(c.get("unique", False)),
            coerce=False,
        )
    # uniqueKeys (Table Schema v2): rows with a null in the key are not duplicates of each other.
    frame_checks = [_unique_rows(table.primary_key)] if table.primary_key else []
    frame_checks += [
        pdr.Check(
            lambda data, key=key: data.lazyframe.select(
                ~pl.struct(key).is_duplicated() | pl.any_horizontal(pl.col(key).is_null())
            ),
            name="unique_key:" + ",".join(key),
        )
        for key in table.unique_keys
    ]
    schema = pdr.DataFrameSchema(
        columns,
        checks=frame_checks,
        strict=True,
        ordered=True,
        name=table.name,
    )
    return schema, rule_ids


WIDTH = 100  # columns a slice: pandera collects the frame's schema once per column it checks


def slices(schema: pdr.DataFrameSchema) -> list[tuple[pdr.DataFrameSchema, list[str] | None]]:
    """The schema as schemas of at most WIDTH columns each, with the columns of the frame each checks (None: the
    whole frame, for the checks of rows). pandera's cost grows with the square of a frame's columns: a table of 2,000
    columns took 20 s in one schema."""
    import pandera.polars as pdr

    names = list(schema.columns)
    out: list[tuple[pdr.DataFrameSchema, list[str] | None]] = [
        (
            pdr.DataFrameSchema(
                {n: schema.columns[n] for n in names[i : i + WIDTH]}, strict=True, ordered=True, name=schema.name
            ),
            names[i : i + WIDTH],
        )
        for i in range(0, len(names), WIDTH)
    ]
    if schema.checks:
        out.append((pdr.DataFrameSchema(checks=schema.checks, name=schema.name), None))
    return out
