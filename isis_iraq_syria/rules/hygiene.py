"""Hygiene: text that is clean to open anywhere, valid ISO codes, declared aggregates, rows in key order.

The text rules read every text column of every table, so their queries are built from the package's schemas
(Rule.build_sql): a new table or column needs no change here. The characters they look for are written once, as
code point ranges (characters.py); \\z ends a text in their expressions (Java's $ also matches before a final line
break).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pycountry

from ..schema import Package
from ..tables import NUMBER
from .characters import (
    ASCII,
    BIDI,
    CONTROL,
    FORMULA_START,
    INVISIBLE,
    LATIN_LOOK_ALIKE,
    LOOK_ALIKE,
    OWN_LOOK,
    WHITESPACE,
    char_class,
)
from .model import Example, Rule, append, delete, edit, union

NUMBER_RE = NUMBER.pattern.removesuffix("$") + r"\z"
# what is not a letter of a word: an ASCII letter, a Greek or a Cyrillic one
NOT_LETTER = char_class(((0x41, 0x5A), (0x61, 0x7A), *LOOK_ALIKE), negate=True)


def text_columns(package: Package, name: str) -> list[str]:
    """The text columns the hygiene rules read. A column whose valid values all come from elsewhere (an enum, or the
    key column a foreign key references, itself checked here) is left out: a stray space or control character there
    already fails schema.enum or ref.foreign_key, and one mistake gets one failure."""
    table = package.tables[name]
    return [
        f.name for f in table.fields if f.type == "string" and f.enum is None and f.name not in table.foreign_key_of
    ]


def id_columns(package: Package, name: str) -> list[str]:
    """The text columns that hold identifiers: keys, unique fields and patterned codes (of those hygiene reads)."""
    table = package.tables[name]
    keyed = set(table.primary_key) | {f for key in table.unique_keys for f in key}
    return [
        c
        for c in text_columns(package, name)
        if c in keyed or table.field(c).constraints.get("unique") or "pattern" in table.field(c).constraints
    ]


NONE = (
    "SELECT CAST(NULL AS VARCHAR) AS tbl, 0 AS row_, CAST(NULL AS VARCHAR) AS col, CAST(NULL AS VARCHAR) AS text "
    "WHERE FALSE"
)  # a package without such columns: no failing rows


def quoted(name: str) -> str:
    """A column or table name as a quoted identifier: a package's names may be SQL keywords (end, order)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A text as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# Each table is read once, whatever its number of text columns: its cells become rows of (column name, text), a list
# of one struct per column unnested (a UNION of one query per column took time growing with the square of the
# columns; sqlglot writes the unnest for every engine, where Trino has no UNPIVOT). Free text (quotes, notes) repeats
# from row to row: each distinct text is tested once, and the cells holding a failing one are found by it. MIN of a
# group of one text is that text, and a filter on it, unlike one on the grouped column itself, is not moved below
# the grouping by the optimizer. Other text (ids, names) is tested cell by cell.
PER_TEXT = """
        SELECT {table} AS tbl, row_, p.col_ AS col, substr(p.v_, 1, 60) AS text
        FROM (SELECT row_, unnest({cells}) AS p FROM {t}) AS s
        WHERE p.v_ IN (SELECT v_ FROM (SELECT MIN(v_) AS v_ FROM (SELECT unnest({texts}) AS v_ FROM {t}) AS u
                                       GROUP BY v_) AS d
                       WHERE {on_text})"""
PER_ROW = """
        SELECT {table} AS tbl, row_, p.col_ AS col, substr(p.v_, 1, 60) AS text
        FROM (SELECT row_, unnest({cells}) AS p FROM {t}) AS s WHERE {on_row}"""
NON_ASCII = "octet_length(encode({c})) <> length({c})"  # a cheap screen: more bytes than characters


def _text(column: str) -> str:
    return f"CAST({quoted(column)} AS VARCHAR)"  # free text is held as categorical: its texts, for the list


def _over_text(test: str, screen: str = "", ids_only: bool = False) -> Callable[[Package], str]:
    """The query of a rule over every text cell (or every identifier cell): `test` is a condition on {c}, the
    text; `screen` a cheaper one that every failing text passes. The first 60 characters of a failing text are shown."""

    def build(package: Package) -> str:
        pick = id_columns if ids_only else text_columns
        test_ = f"{screen} AND ({test})" if screen else test
        selects = []
        for name, table in package.tables.items():
            columns = pick(package, name)
            free = set(table.prose)
            prose = [c for c in columns if c in free]
            for template, group in ((PER_TEXT, prose), (PER_ROW, [c for c in columns if c not in prose])):
                if not group:
                    continue
                cells = ", ".join(f"{{'col_': {literal(c)}, 'v_': {_text(c)}}}" for c in group)
                selects.append(
                    template.format(
                        table=literal(name),
                        t=quoted(name),
                        cells=f"[{cells}]",
                        texts="[" + ", ".join(_text(c) for c in group) + "]",
                        on_text=test_.replace("{c}", "v_"),
                        on_row=test_.replace("{c}", "p.v_"),
                    )
                )
        return "\nUNION ALL\n".join(selects) if selects else NONE

    return build


def _text_rule(
    rule_id: str, reason: str, message: str, test: str, example: Example, screen: str = "", ids_only: bool = False
) -> Rule:
    return Rule(
        rule_id, reason, message, values="{text!r}", build_sql=_over_text(test, screen, ids_only), example=example
    )


def _has(pattern: str) -> str:
    """A search for `pattern` in the text of column {c}."""
    return f"regexp_matches({{c}}, '{pattern}')"


def _key_order(package: Package) -> str:
    """Rows whose primary key sorts before the previous row's: text by its bytes, numbers and dates by value."""
    items = []
    for name, table in package.tables.items():
        key = table.primary_key
        if not key:
            continue
        columns = [quoted(c) for c in key]
        previous = ", ".join(f"LAG({c}) OVER (ORDER BY row_) AS prev{i}_" for i, c in enumerate(columns))
        # the first column that differs from the previous row's (null equal to null) decides
        less = " OR ".join(
            "("
            + " AND ".join(
                [f"{c} IS NOT DISTINCT FROM prev{j}_" for j, c in enumerate(columns[:i])] + [f"{columns[i]} < prev{i}_"]
            )
            + ")"
            for i in range(len(key))
        )
        items.append(
            {
                "table": name,
                "t": quoted(name),
                "column": key[0],
                "columns": ", ".join(columns),
                "previous": previous,
                "less": less,
            }
        )
    return (
        union(
            """
        SELECT '{table}' AS tbl, row_, '{column}' AS col
        FROM (SELECT row_, {columns}, {previous} FROM {t}) AS w
        WHERE {less}""",
            items,
        )
        if items
        else NONE
    )


def iso3166_codes(ctx: object) -> pl.DataFrame:
    """pycountry's countries (alpha-3) and subdivisions, each with its country's alpha-2, lowercased: pycountry
    finds a code whatever its case."""
    countries = [("country", c.alpha_3.lower(), c.alpha_2) for c in pycountry.countries]
    subdivisions = [("subdivision", s.code.lower(), s.country_code) for s in pycountry.subdivisions]
    return pl.DataFrame(countries + subdivisions, schema=["kind", "code", "alpha_2"], orient="row").unique()


DERIVED = {"iso3166_codes": iso3166_codes}

ISO3166 = """
WITH country AS (SELECT code, alpha_2 FROM iso3166_codes WHERE kind = 'country'),
subdivision AS (SELECT code, alpha_2 FROM iso3166_codes WHERE kind = 'subdivision'),
parent AS (SELECT p.geography_id, MAX(c.alpha_2) AS alpha_2
           FROM geographies AS p JOIN country AS c ON c.code = lower(p.iso3166_1_alpha3) GROUP BY p.geography_id),
g AS (SELECT g.row_, g.geography_id, g.level, g.iso3166_1_alpha3 AS alpha3, g.iso3166_2 AS sub,
             g.parent_geography_id AS parent, c.code AS country, s.alpha_2 AS sub_alpha2, pa.alpha_2 AS parent_alpha2
      FROM geographies AS g
      LEFT JOIN country AS c ON c.code = lower(g.iso3166_1_alpha3)
      LEFT JOIN subdivision AS s ON s.code = lower(g.iso3166_2)
      LEFT JOIN parent AS pa ON pa.geography_id = g.parent_geography_id)
SELECT 'geographies' AS tbl, row_, 'iso3166_1_alpha3' AS col, 'alpha3' AS case_, alpha3 AS value, parent
FROM g WHERE alpha3 IS NOT NULL AND country IS NULL
UNION ALL
SELECT 'geographies', row_, 'iso3166_2', 'sub', sub, parent
FROM g WHERE sub IS NOT NULL AND (sub_alpha2 IS NULL OR parent_alpha2 IS NULL OR sub_alpha2 <> parent_alpha2)
UNION ALL
SELECT 'geographies', row_, 'level', 'level', level, parent
FROM g
WHERE (level = 'country' AND (alpha3 IS NULL OR alpha3 IS DISTINCT FROM geography_id OR sub IS NOT NULL))
   OR (level = 'province' AND (sub IS NULL OR sub IS DISTINCT FROM geography_id OR alpha3 IS NOT NULL))
   OR (level IN ('region', 'site', 'aggregate') AND (alpha3 IS NOT NULL OR sub IS NOT NULL))
"""

AGGREGATE_PARTS = """
SELECT 'geographies' AS tbl, g.row_, 'geography_id' AS col, 'parts' AS case_, g.geography_id AS value
FROM geographies AS g
LEFT JOIN (SELECT aggregate_geography_id, COUNT(*) AS parts FROM geography_parts GROUP BY aggregate_geography_id) AS n
  ON n.aggregate_geography_id = g.geography_id
WHERE g.level = 'aggregate' AND COALESCE(n.parts, 0) < 2
UNION ALL
SELECT 'geography_parts', p.row_, 'aggregate_geography_id', 'level', p.aggregate_geography_id
FROM geography_parts AS p
WHERE EXISTS (SELECT 1 FROM geographies AS g WHERE g.geography_id = p.aggregate_geography_id)
  AND NOT EXISTS (SELECT 1 FROM geographies AS g
                  WHERE g.geography_id = p.aggregate_geography_id AND g.level = 'aggregate')
"""

AGENCIES = dict(
    actor_id="agencies",
    name="Agencies (unnamed)",
    actor_kind="news_organization",
    notes="Devdiscourse credits unnamed agencies: '(With inputs from agencies.)'",
)

RULES: list[Rule] = [
    _text_rule(
        "hygiene.formula_injection",
        "No text starts with =, +, - or @ (or their full-width forms) unless it is a number.",
        "The text starts with =, +, - or @ and is not a number: a spreadsheet would run it as a formula.",
        _has("^" + char_class(FORMULA_START)) + " AND NOT " + _has(NUMBER_RE),
        Example((edit("events", "E001", description='=HYPERLINK("x")'),), (("events", "E001", "description"),)),
    ),
    _text_rule(
        "hygiene.whitespace",
        "No text has leading or trailing whitespace.",
        "The text has leading or trailing whitespace.",
        _has("^" + char_class(WHITESPACE)) + " OR " + _has(char_class(WHITESPACE) + r"\z"),
        Example((edit("actors", "israel", notes="A state "),), (("actors", "israel", "notes"),)),
    ),
    _text_rule(
        "hygiene.control_chars",
        "No text holds control characters.",
        "The text holds a control character (tab, newline, line separator or other).",
        _has(char_class(CONTROL)),
        Example((edit("actors", "unitad", notes="UN\tmission"),), (("actors", "unitad", "notes"),)),
    ),
    # The three Unicode rules and ascii_ids look at non-ASCII text only: ASCII text is always NFC, and holds none of
    # their characters. The screen spares the normalization (a UDF in Spark) and the searches.
    _text_rule(
        "hygiene.unicode_nfc",
        "All text is in Unicode NFC.",
        "The text is not in Unicode normal form NFC.",
        "{c} <> nfc_normalize({c})",
        screen=NON_ASCII,
        example=Example(
            (edit("geographies", "IQ-SD", notes="Sala\u0301h ad Din"),), (("geographies", "IQ-SD", "notes"),)
        ),
    ),
    _text_rule(
        "hygiene.bidi_controls",
        "No text holds a bidirectional control character (U+202A-U+202E, U+2066-U+2069, marks), which can make "
        "text display in an order other than its stored one.",
        "The text holds a bidirectional control character (U+202E and kin), which reorders how it is shown.",
        _has(char_class(BIDI)),
        screen=NON_ASCII,
        example=Example((edit("actors", "un", notes="A body (\u202eexe.txt)"),), (("actors", "un", "notes"),)),
    ),
    _text_rule(
        "hygiene.invisible_chars",
        "No text holds a zero-width or other invisible character (U+200B-U+200D, U+2060, U+00AD, U+FEFF, "
        "fillers, tags), which makes equal-looking text differ.",
        "The text holds an invisible character (zero-width space or joiner, soft hyphen, BOM, filler).",
        _has(char_class(INVISIBLE)),
        screen=NON_ASCII,
        # the name no longer matches the quotes that cite Reuters
        example=Example(
            (edit("actors", "us-congress", notes="Congress\u200b"),), (("actors", "us-congress", "notes"),)
        ),
    ),
    _text_rule(
        "hygiene.mixed_script",
        "No word mixes Latin letters with Cyrillic or Greek ones, which look alike (a Cyrillic es for the c of "
        "'Reuters').",
        "A word mixes Latin letters with Cyrillic or Greek ones, which look alike: retype it in one script.",
        f"regexp_matches({{c}}, '[A-Za-z]{char_class(LOOK_ALIKE)}|{char_class(LOOK_ALIKE)}[A-Za-z]')",
        screen=NON_ASCII,
        example=Example(
            (edit("actors", "khaled-jabr", notes="Legal expert Kh\u0430led Jabr"),),
            (("actors", "khaled-jabr", "notes"),),
        ),
    ),
    # No schema declares a field's script: the text tells. Text with a Greek or Cyrillic letter that looks like no
    # Latin one is written in that script (Рейтер); text whose every such letter looks Latin is Latin in disguise.
    _text_rule(
        "hygiene.look_alike_words",
        "No word is written wholly in Greek or Cyrillic letters that look like Latin ones (a Cyrillic 'ISIS') in "
        "text that holds no other Greek or Cyrillic letter: such a word is a Latin word in disguise.",
        "A word is written in Greek or Cyrillic letters that look like Latin ones, in text that is otherwise Latin: "
        "retype it in Latin letters.",
        f"regexp_matches({{c}}, '(^|{NOT_LETTER}){char_class(LATIN_LOOK_ALIKE)}+({NOT_LETTER}|\\z)') "
        f"AND NOT regexp_matches({{c}}, '{char_class(OWN_LOOK)}')",
        screen=NON_ASCII,
        example=Example(
            (edit("actors", "sdf", notes="Fought \u0406\u0405\u0406\u0405 in Syria"),),
            (("actors", "sdf", "notes"),),
        ),
    ),
    _text_rule(
        "hygiene.ascii_ids",
        "Identifiers (keys, unique and patterned codes) are ASCII, so that no non-ASCII digit, full-width "
        "letter or look-alike from another script makes a second id that looks like the first.",
        "The identifier holds a non-ASCII character (a non-ASCII digit, a full-width or look-alike letter): "
        "ids are ASCII.",
        _has(char_class(ASCII, negate=True)),
        screen=NON_ASCII,
        ids_only=True,
        example=Example(
            (edit("discrepancies", "D001", discrepancy_id="D\u0660\u06601"),),
            (("discrepancies", "D\u0660\u06601", "discrepancy_id"),),
            # Arabic-Indic digits sort after ASCII ones: D002 now follows it
            also=(("hygiene.key_order", "discrepancies", "D002", "discrepancy_id"),),
        ),
    ),
    Rule(
        "hygiene.iso3166",
        "Country and province codes exist in ISO 3166 (pycountry) and match their level and parent.",
        message={
            "alpha3": "{value} is not an ISO 3166-1 alpha-3 code.",
            "sub": "{value} is not an ISO 3166-2 code of the parent country {parent}.",
            "level": "A country's id is its ISO 3166-1 alpha-3 code, a province's its ISO 3166-2 code; other "
            "levels carry neither.",
        },
        values="{value}",
        sql=ISO3166,
        example=Example(
            (edit("geographies", "IQ-KI", iso3166_2="IQ-KX"),),
            (("geographies", "IQ-KI", "iso3166_2"), ("geographies", "IQ-KI", "level")),
        ),
    ),
    Rule(
        "hygiene.aggregate_parts",
        "An aggregate geography has at least two parts, and only aggregates have parts.",
        message={
            "parts": "An aggregate needs at least two parts in geography_parts.",
            "level": "{value} is not a geography of level aggregate.",
        },
        values="{value}",
        sql=AGGREGATE_PARTS,
        # beside: Iraq's figures alone are not the aggregate's, and a quote naming the aggregate no longer places
        # two events in Syria
        # a country given a part: only aggregates have parts
        example=Example(
            (append("geography_parts", aggregate_geography_id="IRQ", part_geography_id="IQ-DI"),),
            (("geography_parts", "IRQ|IQ-DI", "aggregate_geography_id"),),
            also=(("hygiene.key_order", "geography_parts", "IRQ|IQ-DI", "aggregate_geography_id"),),
        ),
    ),
    Rule(
        "hygiene.key_order",
        "Rows are in primary-key order.",
        "This row's primary key sorts before the previous row's: keep rows in primary-key order.",
        build_sql=_key_order,
        # the first actor moved to the end, as a curator appending a row would
        example=Example(
            (delete("actors", "agencies"), append("actors", **AGENCIES)), (("actors", "agencies", "actor_id"),)
        ),
    ),
]
