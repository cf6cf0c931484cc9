"""Hygiene: text that is clean to open anywhere, valid ISO codes, declared aggregates, rows in key order."""

from __future__ import annotations

from typing import Callable

import polars as pl
import pycountry

from ..report import Failure, fmt
from ..schema import Package, sorts_before_previous
from ..tables import NUMBER
from .base import ALL_TEXT, Context, Rule, in_

def _text_columns(package: Package, name: str) -> list[str]:
    """The text columns the hygiene rules read. A column whose valid values all come from elsewhere (an enum, or the
    key column a foreign key references, itself checked here) is left out: a stray space or control character there
    already fails schema.enum or ref.foreign_key, and one mistake gets one failure."""
    table = package.tables[name]
    return [f.name for f in table.fields if f.type == "string" and f.enum is None and f.name not in table.foreign_key_of]


def _id_columns(package: Package, name: str) -> list[str]:
    """The text columns that hold identifiers: keys, unique fields and patterned codes (of those hygiene reads)."""
    table = package.tables[name]
    keyed = set(table.primary_key) | {f for key in table.unique_keys for f in key}
    return [c for c in _text_columns(package, name) if c in keyed or table.field(c).constraints.get("unique") or "pattern" in table.field(c).constraints]


# Formula starts, with their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), which some spreadsheets fold to ASCII.
FORMULA_START = "=+\\-@\uff1d\uff0b\uff0d\uff20"
# Bidirectional controls: marks, embeddings, overrides and isolates (U+202E shows "txt.exe" as "exe.txt").
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Invisible: format characters (zero-width space and joiners, word joiner, soft hyphen, BOM, tags), and fillers and
# selectors that show nothing, bidirectional controls left to their own rule.
INVISIBLE = f"[[\\p{{Cf}}\u034f\u115f\u1160\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0]--[{BIDI}]]"

SCREENS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    # cheap tests that every text cell passes through once, shared by the rules that look only at their hits
    "edges": lambda s: s.str.contains(f"^[\\s{FORMULA_START}]") | s.str.contains(r"\s$"),  # two anchored searches: one unanchored costs 5x
    "non_ascii": lambda s: s.str.len_bytes() != s.str.len_chars(),  # ASCII text is always NFC
}


def _text_rule(test: Callable[[pl.Expr], pl.Expr], message: str, screen: str | None = None, ids_only: bool = False) -> Callable[[Context, Rule], list[Failure]]:
    """A rule over every text cell (or, with ids_only, every identifier cell); `screen` names a cheap test that
    narrows the columns and rows the rule's own test sees."""
    def check(ctx: Context, rule: Rule) -> list[Failure]:
        out = []
        for name in ctx.package.tables:
            if screen is None and name in ctx.control_free:
                continue
            columns = _text_columns(ctx.package, name)
            hits = ctx.screened(name, screen, columns, SCREENS[screen]) if screen else dict.fromkeys(columns, True)
            wanted = set(_id_columns(ctx.package, name)) if ids_only else set(columns)
            for column in [c for c in columns if hits[c] and c in wanted]:
                out += ctx.report(name, _failing(ctx, name, column, test, screen), column, rule, lambda r, c=column: repr(r[c][:60]), lambda r: message)
        return out
    return check


def _failing(ctx: Context, name: str, column: str, test: Callable[[pl.Expr], pl.Expr], screen: str | None) -> pl.DataFrame:
    """The rows (with row_) whose text in `column` fails `test` (among those passing the screen). Text held as a
    categorical is tested once per distinct value, and the failing values are looked up by code."""
    def failing(frame: pl.DataFrame) -> pl.DataFrame:
        if screen is not None:
            frame = frame.filter(SCREENS[screen](pl.col(column)).fill_null(False))
        return frame.filter(test(pl.col(column)).fill_null(False))
    if ctx.frames[name][column].dtype != pl.Categorical:
        return failing(ctx.rows(name, column))
    values = failing(ctx.frames[name].select(pl.col(column).unique().drop_nulls().cast(pl.String)))[column]
    return ctx.rows(name, column).filter(in_(column, values.cast(pl.Categorical))) if len(values) else ctx.rows(name, column).clear()


check_formula_injection = _text_rule(lambda s: s.str.contains(f"^[{FORMULA_START}]") & ~s.str.contains(NUMBER.pattern),
                                     "The text starts with =, +, - or @ and is not a number: a spreadsheet would run it as a formula.", "edges")
check_whitespace = _text_rule(lambda s: s.str.contains(r"^\s") | s.str.contains(r"\s$"), "The text has leading or trailing whitespace.", "edges")
# without a screen: every cell of a table whose file holds a control character other than its row-ending line breaks
check_control_chars = _text_rule(lambda s: s.str.contains(r"[\x00-\x1f\x7f-\x9f]"), "The text holds a control character (tab, newline or other).")
check_nfc = _text_rule(lambda s: s != s.str.normalize("NFC"), "The text is not in Unicode normal form NFC.", "non_ascii")
# The three Unicode rules read only cells the shared non_ascii screen picked: ASCII text holds none of these.
check_bidi = _text_rule(lambda s: s.str.contains(f"[{BIDI}]"),
                        "The text holds a bidirectional control character (U+202E and kin), which reorders how it is shown.", "non_ascii")
check_invisible = _text_rule(lambda s: s.str.contains(INVISIBLE),
                             "The text holds an invisible character (zero-width space or joiner, soft hyphen, BOM, filler).", "non_ascii")
check_id_ascii = _text_rule(lambda s: s.str.contains(r"[^\x00-\x7f]"),
                            "The identifier holds a non-ASCII character (a non-ASCII digit, a full-width or look-alike letter): ids are ASCII.",
                            "non_ascii", ids_only=True)


def check_iso3166(ctx: Context, rule: Rule) -> list[Failure]:
    geo = ctx.frames["geographies"]

    def country(code):
        return pycountry.countries.get(alpha_3=code) if isinstance(code, str) else None

    def subdivision(code):
        return pycountry.subdivisions.get(code=code) if isinstance(code, str) else None

    alpha3_by_id = dict(zip(geo["geography_id"].to_list(), geo["iso3166_1_alpha3"].to_list()))
    valid_alpha3 = [country(c) is not None for c in geo["iso3166_1_alpha3"].to_list()]
    sub_country = [subdivision(c).country_code if subdivision(c) else None for c in geo["iso3166_2"].to_list()]
    parent_alpha2 = [country(alpha3_by_id.get(p)).alpha_2 if country(alpha3_by_id.get(p)) else None for p in geo["parent_geography_id"].to_list()]
    frame = ctx.rows("geographies").with_columns(
        valid_alpha3=pl.Series(valid_alpha3, dtype=pl.Boolean),
        sub_ok=pl.Series([s is not None and s == p for s, p in zip(sub_country, parent_alpha2)], dtype=pl.Boolean))
    alpha3, sub, level, gid = pl.col("iso3166_1_alpha3"), pl.col("iso3166_2"), pl.col("level"), pl.col("geography_id")
    bad_level = (((level == "country") & (alpha3.is_null() | alpha3.ne_missing(gid) | sub.is_not_null()))
                 | ((level == "province") & (sub.is_null() | sub.ne_missing(gid) | alpha3.is_not_null()))
                 | (level.is_in(["region", "site", "aggregate"]) & (alpha3.is_not_null() | sub.is_not_null())))
    out = ctx.report("geographies", frame.filter(alpha3.is_not_null() & ~pl.col("valid_alpha3")), "iso3166_1_alpha3", rule,
                     lambda r: r["iso3166_1_alpha3"], lambda r: f"{r['iso3166_1_alpha3']} is not an ISO 3166-1 alpha-3 code.")
    out += ctx.report("geographies", frame.filter(sub.is_not_null() & ~pl.col("sub_ok")), "iso3166_2", rule,
                      lambda r: r["iso3166_2"], lambda r: f"{r['iso3166_2']} is not an ISO 3166-2 code of the parent country {fmt(r['parent_geography_id'])}.")
    out += ctx.report("geographies", frame.filter(bad_level.fill_null(False)), "level", rule, lambda r: r["level"],
                      lambda r: "A country's id is its ISO 3166-1 alpha-3 code, a province's its ISO 3166-2 code; other levels carry neither.")
    return out


def check_aggregate_parts(ctx: Context, rule: Rule) -> list[Failure]:
    geo = ctx.frames["geographies"]
    counts = ctx.frames["geography_parts"].group_by("aggregate_geography_id").agg(parts=pl.len()).rename({"aggregate_geography_id": "geography_id"})
    frame = ctx.rows("geographies").join(counts, on="geography_id", how="left")
    out = ctx.report("geographies", frame.filter((pl.col("level") == "aggregate") & (pl.col("parts").fill_null(0) < 2)), "geography_id", rule,
                     lambda r: r["geography_id"], lambda r: "An aggregate needs at least two parts in geography_parts.")
    aggregates = geo.filter(pl.col("level") == "aggregate")["geography_id"]
    out += ctx.flag("geography_parts", in_("aggregate_geography_id", geo["geography_id"]) & ~in_("aggregate_geography_id", aggregates),
                    "aggregate_geography_id", rule, lambda r: r["aggregate_geography_id"],
                    lambda r: f"{r['aggregate_geography_id']} is not a geography of level aggregate.")
    return out


def check_key_order(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for name, table in ctx.package.tables.items():
        if ctx.frames[name].height < 2 or not table.primary_key:
            continue
        out += ctx.flag(name, sorts_before_previous(table.primary_key), table.primary_key[0], rule, lambda r: "",
                        lambda r: "This row's primary key sorts before the previous row's: keep rows in primary-key order.")
    return out


RULES: list[Rule] = [
    Rule("hygiene.formula_injection", "No text starts with =, +, - or @ (or their full-width forms) unless it is a number.", check_formula_injection, prose=ALL_TEXT),
    Rule("hygiene.whitespace", "No text has leading or trailing whitespace.", check_whitespace, prose=ALL_TEXT),
    Rule("hygiene.control_chars", "No text holds control characters.", check_control_chars, prose=ALL_TEXT),
    Rule("hygiene.unicode_nfc", "All text is in Unicode NFC.", check_nfc, prose=ALL_TEXT),
    Rule("hygiene.bidi_controls", "No text holds a bidirectional control character (U+202A-U+202E, U+2066-U+2069, marks), which can make text display in an order other than its stored one.", check_bidi, prose=ALL_TEXT),
    Rule("hygiene.invisible_chars", "No text holds a zero-width or other invisible character (U+200B-U+200D, U+2060, U+00AD, U+FEFF, fillers, tags), which makes equal-looking text differ.", check_invisible, prose=ALL_TEXT),
    Rule("hygiene.ascii_ids", "Identifiers (keys, unique and patterned codes) are ASCII, so that no non-ASCII digit, full-width letter or look-alike from another script makes a second id that looks like the first.", check_id_ascii, prose=ALL_TEXT),
    Rule("hygiene.iso3166", "Country and province codes exist in ISO 3166 (pycountry) and match their level and parent.", check_iso3166, tables=("geographies",)),
    Rule("hygiene.aggregate_parts", "An aggregate geography has at least two parts, and only aggregates have parts.", check_aggregate_parts, tables=("geographies", "geography_parts")),
    Rule("hygiene.key_order", "Rows are in primary-key order.", check_key_order),
]
