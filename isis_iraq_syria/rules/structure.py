"""Structure: the rules the reading of the CSVs carries out (file), those of the Pandera schema derived from each
Table Schema (schema), and the foreign keys, a query built from the schemas.

The reader (tables.py) and Pandera (schema.py) are the engines of the first two: these declarations give their ids,
reasons, the schema rules' message templates, and the examples their tests are derived from.
"""

from __future__ import annotations

from typing import Any

from .model import Example, Rule, append, edit, replace, truncate


def _foreign_keys(package: Any) -> str:
    """A query per foreign key: rows whose key is given but matches no row of the referenced table. As frictionless
    checks them: a row whose key fields are all empty is skipped; otherwise every field must match, empty matching
    empty."""
    parts = []
    for name, table in package.tables.items():
        for fk in table.foreign_keys:
            fields, refs = list(fk.fields), list(fk.ref_fields)
            given = " OR ".join(f"c.{f} IS NOT NULL" for f in fields)
            match = " AND ".join(f"r.{r} IS NOT DISTINCT FROM c.{f}" for f, r in zip(fields, refs, strict=True))
            cells = [f"coalesce(CAST(c.{f} AS VARCHAR), '')" for f in fields]
            value, listed = " || '|' || ".join(cells), " || ', ' || ".join(cells)
            parts.append(
                f"SELECT '{name}' AS tbl, c.row_, '{','.join(fields)}' AS col, {value} AS value, {listed} AS listed, "
                f"'{', '.join(fields)}' AS fields, '{', '.join(refs)}' AS ref_fields, '{fk.resource}' AS ref_table, "
                f"'{'one' if len(fields) == 1 else 'several'}' AS case_\n"
                f"FROM {name} AS c WHERE ({given}) AND NOT EXISTS (SELECT 1 FROM {fk.resource} AS r WHERE {match})"
            )
    return "\nUNION ALL\n".join(parts) or "SELECT NULL AS tbl, NULL AS row_, NULL AS col WHERE FALSE"


def _file(id_: str, reason: str, *changes: Any, table: str) -> Rule:
    return Rule(id_, reason, message="", stage="file", example=Example(tuple(changes), ((table, "", ""),)))


def _schema(id_: str, reason: str, message: str, change: Any, where: tuple[str, str, str], also: tuple = ()) -> Rule:
    return Rule(
        id_, reason, message=message, values="{value}", stage="schema", example=Example((change,), (where,), also=also)
    )


RULES: list[Rule] = [
    _file("file.empty", "A CSV has at least its header row.", truncate("claims"), table="claims"),
    _file(
        "file.encoding",
        "A CSV is UTF-8 without a byte-order mark.",
        replace("statistics", "statistic_id,", "\ufeffstatistic_id,"),
        table="statistics",
    ),
    _file(
        "file.line_endings", "A CSV uses LF line endings.", replace("events", "\n", "\r\n", count=-1), table="events"
    ),
    _file(
        "file.header",
        "A CSV's header names its schema's fields, in order.",
        replace("actors", "actor_kind", "kind"),
        table="actors",
    ),
    _file(
        "file.ragged_row",
        "Every row has as many cells as the header.",
        replace("geographies", "\nIRQ,Iraq,country,IRQ,,,", "\nIRQ,Iraq,country,IRQ,,,,"),
        table="geographies",
    ),
    _schema(
        "schema.type",
        "Every cell parses as its field's type (integer, number, boolean, YYYY-MM-DD date).",
        "{value!r} is not a valid {type}{hint}.",
        edit("statistics", "S003", value="19b6"),
        ("statistics", "S003", "value"),
        # the value read as empty: its bounds no longer follow from it, and the document's 196 is recorded nowhere
        also=(
            ("arith.qualifier_bounds", "statistics", "S003", "value"),
            ("basis.document_coverage", "sources", "doc-shafaq-news", "text_sha256"),
        ),
    ),
    _schema(
        "schema.required",
        "Required fields are not empty.",
        "{column} is required but empty.",
        edit("events", "E001", description=""),
        ("events", "E001", "description"),
    ),
    _schema(
        "schema.enum",
        "A field with allowed values holds one of them.",
        "{value!r} is not an allowed value of {column} ({allowed}).",
        edit("events", "E001", status="occured"),
        ("events", "E001", "status"),
    ),
    _schema(
        "schema.pattern",
        "A field with a pattern matches it.",
        "{value!r} does not match the pattern of {column}, {pattern}.",
        edit("geographies", "IRQ", iso3166_1_alpha3="Iraq"),
        ("geographies", "IRQ", "iso3166_1_alpha3"),
        # no country is IRQ's parent code any more: Iraq and its provinces are no longer ISO 3166 codes
        also=tuple(
            ("hygiene.iso3166", "geographies", key, column)
            for key, column in (
                ("IQ-DI", "iso3166_2"),
                ("IQ-KI", "iso3166_2"),
                ("IQ-NI", "iso3166_2"),
                ("IQ-SD", "iso3166_2"),
                ("IRQ", "iso3166_1_alpha3"),
                ("IRQ", "level"),
            )
        ),
    ),
    _schema(
        "schema.length",
        "Text respects its field's minimum and maximum length (quotes at most 300 characters).",
        "{column} has {length} characters; it must have {shortest} to {longest}.",
        edit("claims", "C001", quote="x" * 301),
        ("claims", "C001", "quote"),
        also=(
            ("prov.quote_in_archive", "claims", "C001", "quote"),
            ("prov.quote_span_length", "claims", "C001", "quote_end"),
            ("span.in_passage", "spans", "W280", "start"),
        ),
    ),
    _schema(
        "schema.range",
        "Numbers respect their field's minimum and maximum.",
        "{value} is outside the range of {column} ({minimum}..{maximum}).",
        edit("qualifiers", "nearly", band="1.5"),
        ("qualifiers", "nearly", "band"),
    ),
    _schema(
        "schema.unique",
        "Primary keys, unique keys and unique fields have no duplicates.",
        "The {what} ({fields}) is duplicated.",
        append("event_geographies", event_id="E022", geography_id="SYR"),
        ("event_geographies", "E022|SYR", "event_id,geography_id"),
    ),
    Rule(
        "ref.foreign_key",
        "Every foreign key resolves to a row of the table it references.",
        message={
            "one": "{value!r} is not a {ref_fields} in {ref_table}: no such row.",
            "several": "({fields}) = ({listed}) is not a ({ref_fields}) of a row in {ref_table}: no such row.",
        },
        values="{value}",
        build_sql=_foreign_keys,
        stage="schema",
        example=Example(
            (edit("statistics", "S001", indicator_id="isis_attack"),), (("statistics", "S001", "indicator_id"),)
        ),
    ),
]
