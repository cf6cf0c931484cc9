"""Basis: every claim-bearing cell (a statistic's geography, period, asserting actor, kind and cited source; an
event's dates, places and actors; a source's publication date) is stated by the words of its quotes, or inferred
with a note, or empty.

A cell is stated when its words are in a quote of the row's evidence (no bases row is needed), or in a context
quote of the same document kept for it in `bases`. The words are data: the names of geographies and actors
(geography_names, actor_names) and the words of each figure kind (figure_kinds), found once per distinct passage
text in Python (`mentions`, `kind_words`); the rules join each cell to its passages and to what they state. The
dates and the coverage of each document are in basis_dates.py; the cells and the SQL they share in cells.py.
"""

from __future__ import annotations

from .basis_texts import kind_words, mentions, name_lists
from .cells import BASIS_ITEM, BASIS_SUBJECT, CELL, CELLS, SUBJECT, evidenced, inferred, passages
from .model import Example, Rule, edit

# what each distinct passage states, found in Python (basis_texts.py)
DERIVED = {"mentions": mentions, "kind_words": kind_words, "name_lists": name_lists}


# --- the rules ---------------------------------------------------------------------------------------------------


def _stated(c: dict[str, str], entity: str, placed: str = "mentions") -> str:
    """A condition: a passage of the cell's subject names its value (a context quote only for its own item). The
    cells are joined to their passages, then each (text, value) looked up in what the texts name: building the
    (subject, value) pairs first joined every passage to every name in it."""
    column = c["column"]
    return (
        f"x.row_ IN (SELECT s.row_ FROM {c['table']} AS s JOIN ({passages(c['field'])}) AS p "
        f"ON p.subject = s.{c['subject']} WHERE (p.item IS NULL OR p.item = s.{column}) "
        f"AND (p.text, s.{column}) IN (SELECT m.text, m.{entity} FROM {placed} AS m WHERE m.{entity} IS NOT NULL))"
    )


def _stated_names(cells: list[dict[str, str]]) -> str:
    """The cells of each kind (table, key, column) that no passage names and no inferred basis covers."""
    return "\nUNION ALL\n".join(
        f"""
        SELECT '{c["table"]}' AS tbl, x.row_, '{c["column"]}' AS col, x.{c["column"]} AS value,
               coalesce(l.shown, 'no names') AS names, '{c["table"]}' AS case_
        FROM {c["table"]} AS x LEFT JOIN name_lists AS l ON l.kind = '{c["kind"]}' AND l.id = x.{c["column"]}
        WHERE x.{c["column"]} IS NOT NULL {c.get("where", "")}
          AND x.{c["column"]} IN (SELECT k.{c["key"]} FROM {c["keys"]} AS k)
          AND {evidenced(CELL[c["field"]].family, "x." + c["subject"], c["table"] == "statistics")}
          AND NOT {_stated(c, c["key"], c.get("placed", "mentions"))}
          AND NOT {inferred(c["field"], "x." + c["subject"], "x." + c["column"] if CELL[c["field"]].item else None)}
          {c.get("and", "")}"""
        for c in cells
    )


# naming an aggregate geography names each of its parts too: an event 'in Iraq and Syria' took place in each,
# while a figure for both is not a figure for either
PLACED = """(SELECT text, geography_id FROM mentions WHERE geography_id IS NOT NULL
            UNION SELECT m.text, g.part_geography_id FROM mentions AS m
            JOIN geography_parts AS g ON g.aggregate_geography_id = m.geography_id)"""
# a statistic reported in its own voice (no cited source) by a document its asserting actor publishes (the statistic
# is `x`; the span rules rename it `t`)
OWN_VOICE = """coalesce((x.statistic_id, x.asserted_by_actor_id) IN (
               SELECT o.statistic_id, d.publisher_actor_id FROM statistic_evidence AS o
               JOIN sources AS d ON d.source_id = o.source_id
               WHERE o.cited_source_id IS NULL AND o.statistic_id IS NOT NULL AND d.publisher_actor_id IS NOT NULL),
               FALSE)"""
STAT = {"table": "statistics", "subject": "statistic_id", "where": "AND x.figure_kind <> 'derived'"}
GEOGRAPHY = {"kind": "geography", "keys": "geographies", "key": "geography_id"}
ACTOR = {"kind": "actor", "keys": "actors", "key": "actor_id"}
GEOGRAPHY_MESSAGE = (
    "No quote of the row's evidence or basis names {value} ({names}): give a context quote that does, "
    "or an inferred basis with a note, or leave it empty."
)

# (text, row_ of a source): the texts that name the source's issuer or publisher
NAMES_SOURCE = """SELECT m.text, n.row_ FROM mentions AS m JOIN sources AS n ON n.issuer_actor_id = m.actor_id
    UNION SELECT m.text, n.row_ FROM mentions AS m JOIN sources AS n ON n.publisher_actor_id = m.actor_id"""


def _names_source(keys: str, among: str) -> str:
    """A condition: `among` (its text, or its subject, document and text) names the cited source `s`'s issuer or
    publisher. Matched as (keys, the source's row) IN a small table of what names whom: a correlated match on
    either actor was slow, and Spark reads no correlation two subqueries deep."""
    return f"NOT coalesce(({keys}, s.row_) IN ({among}), FALSE)"


def _cited(table: str, subject: str) -> str:
    """Evidence rows whose cited source neither their quote nor a context quote kept for the cell names."""
    field = f"{table}.cited_source_id"
    context = (
        f"SELECT {BASIS_SUBJECT.format(b='c')}, c.document_id, n.row_ FROM bases AS c "
        f"JOIN ({NAMES_SOURCE}) AS n ON n.text = c.quote WHERE c.field = '{field}'"
    )
    return f"""
        SELECT '{table}' AS tbl, x.row_, 'cited_source_id' AS col, x.cited_source_id, s.issuer_actor_id AS issuer,
               s.publisher_actor_id AS publisher, 'evidence' AS case_
        FROM {table} AS x JOIN sources AS s ON s.source_id = x.cited_source_id
        WHERE {_names_source("x.quote", NAMES_SOURCE)}
          AND {_names_source(f"x.{subject}, x.source_id", context)}
          AND NOT {inferred(field, "x." + subject, document="x.source_id")}"""


# bases.field -> the subject and item columns it names; every other one of them is empty
SHAPE = {c.field: {SUBJECT[c.family]} | ({c.item} if c.item else set()) for c in CELLS}
NAMING = ["statistic_id", "event_id", "source_id", "geography_id", "actor_id"]
DATED = "({0}_start IS NOT NULL OR {0}_end IS NOT NULL)"
FILLED = {  # bases.field -> (table, the cell's subject column, the column naming it with the subject, condition)
    "statistics.geography_id": ("statistics", "statistic_id", None, "geography_id IS NOT NULL"),
    "statistics.period": ("statistics", "statistic_id", None, DATED.format("period")),
    "statistics.asserted_by_actor_id": ("statistics", "statistic_id", None, "asserted_by_actor_id IS NOT NULL"),
    "statistics.figure_kind": ("statistics", "statistic_id", None, "TRUE"),
    "statistics.indicator_id": ("statistics", "statistic_id", None, "TRUE"),
    "statistic_evidence.cited_source_id": (
        "statistic_evidence",
        "statistic_id",
        "source_id",
        "cited_source_id IS NOT NULL",
    ),
    "event_evidence.cited_source_id": ("event_evidence", "event_id", "source_id", "cited_source_id IS NOT NULL"),
    "events.dates": ("events", "event_id", None, DATED.format("date")),
    "event_geographies.geography_id": ("event_geographies", "event_id", "geography_id", "TRUE"),
    "event_actors.actor_id": ("event_actors", "event_id", "actor_id", "TRUE"),
    "events.status": ("events", "event_id", None, "TRUE"),
    "event_actors.role": ("event_actors", "event_id", "actor_id", "TRUE"),
    "sources.published": ("sources", "source_id", None, DATED.format("published")),
}
# bases column naming the cell with its subject: the document of an evidence row, or the item of a relation
OTHER = {
    field: ("b.document_id" if other == "source_id" else BASIS_ITEM.format(b="b"))
    for field, (_, _, other, _) in FILLED.items()
    if other
}
TABLES = """
reports AS (SELECT 'statistic' AS family, statistic_id AS subject, source_id AS document_id FROM statistic_evidence
            UNION ALL SELECT 'event', event_id, source_id FROM event_evidence
            UNION ALL SELECT 'source', cited_source_id, citing_source_id FROM citations
            UNION ALL SELECT 'source', source_id, source_id FROM sources WHERE text_sha256 IS NOT NULL),
evidenced AS (SELECT 'statistic' AS family, v.statistic_id AS subject FROM statistic_evidence AS v
              JOIN statistics AS k ON k.statistic_id = v.statistic_id
              UNION ALL SELECT 'event', v.event_id FROM event_evidence AS v
              JOIN events AS k ON k.event_id = v.event_id)"""


def _case(column: str, values: dict[str, str]) -> str:
    return f"CASE {column} " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in values.items()) + " END"


def _filled() -> str:
    """The row_ of each bases row whose cell is filled: the rows joined to each table once (the rows are the side
    the join builds), rather than every filled cell of the package listed and the rows matched to them."""
    tables: dict[tuple[str, str, str | None], dict[str, str]] = {}
    for f, (table, subject, other, cond) in FILLED.items():
        tables.setdefault((table, subject, other), {})[f] = cond
    return " UNION ALL ".join(
        f"SELECT k.row_ FROM keyed AS k JOIN {table} AS c ON c.{subject} = k.subject"
        + (f" AND c.{other} IS NOT DISTINCT FROM k.other" if other else "")
        + f" WHERE k.field IN ({', '.join(repr(f) for f in conds)}) AND {_case('k.field', conds)}"
        for (table, subject, other), conds in tables.items()
    )


def _fits_cell() -> str:
    """Every kind of misfit, from the bases rows keyed by their family, subject, item and the other column that
    names their cell. The rows whose cell is filled, or whose document reports the subject, are found by joining
    the rows to the tables (the rows are the side the join builds); the others are kept by their row_."""
    shape = _case(
        "b.field",
        {f: " AND ".join(f"b.{c} IS {'NOT ' if c in need else ''}NULL" for c in NAMING) for f, need in SHAPE.items()},
    )
    needed = _case("b.field", {f: "'" + " and ".join(sorted(need)) + "'" for f, need in SHAPE.items()})
    keyed = (
        f"SELECT b.row_, b.field, b.document_id, b.basis, b.quote IS NOT NULL AS quoted, b.quote_start, "
        f"b.quote_end, {BASIS_SUBJECT.format(b='b')} AS subject, {BASIS_ITEM.format(b='b')} AS item, "
        f"{_case('b.field', {c.field: repr(c.family) for c in CELLS})} AS family, "
        f"{_case('b.field', OTHER)} AS other, {needed} AS needed, NOT coalesce({shape}, TRUE) AS misshapen "
        f"FROM bases AS b"
    )
    row = (
        "SELECT 'bases' AS tbl, b.row_, b.field, b.needed, b.quote_start, b.quote_end, b.document_id, b.subject, "
        "coalesce(' (' || b.item || ')', '') AS item_shown"
    )
    return f"""
        WITH keyed AS ({keyed}), {TABLES}
        {row}, 'field' AS col, 'shape' AS case_ FROM keyed AS b WHERE b.misshapen
        UNION ALL
        {row}, 'quote_start', 'span' FROM keyed AS b
        WHERE b.quoted <> (b.quote_start IS NOT NULL) OR b.quoted <> (b.quote_end IS NOT NULL)
        UNION ALL
        {row}, 'quote', 'unquoted' FROM keyed AS b WHERE b.basis = 'stated' AND NOT b.quoted
        UNION ALL
        {row}, 'document_id', 'unreported' FROM keyed AS b
        WHERE b.row_ NOT IN (SELECT k.row_ FROM keyed AS k JOIN reports AS r
                             ON r.family = k.family AND r.subject = k.subject AND r.document_id = k.document_id)
          AND (b.family = 'source' OR coalesce((b.family, b.subject) IN (SELECT family, subject FROM evidenced), FALSE))
        UNION ALL
        {row}, 'field', 'empty' FROM keyed AS b
        WHERE b.row_ NOT IN ({_filled()})"""


RULES: list[Rule] = [
    Rule(
        "basis.geography_stated",
        "A statistic's geography and each place of an event is named in its quotes (by a name or declared name), or "
        "inferred with a note.",
        message={"statistics": GEOGRAPHY_MESSAGE, "event_geographies": GEOGRAPHY_MESSAGE},
        values="{value}",
        sql=_stated_names(
            [
                {**STAT, **GEOGRAPHY, "column": "geography_id", "field": "statistics.geography_id"},
                {
                    **GEOGRAPHY,
                    "table": "event_geographies",
                    "subject": "event_id",
                    "column": "geography_id",
                    "field": "event_geographies.geography_id",
                    "placed": PLACED,
                },
            ]
        ),
        example=Example(
            (edit("statistics", "S004", geography_id="SYR"),),
            (("statistics", "S004", "geography_id"),),
            also=(
                ("agree.cross_source", "statistics", "S005", "value"),
                ("span.states_cell", "statistics", "S004", "geography_id"),
            ),
        ),
    ),
    Rule(
        "basis.actor_stated",
        "A statistic's asserting actor and each actor of an event is named in its quotes, or is the publisher speaking "
        "in its own voice, or is inferred with a note.",
        message={
            "statistics": "No quote of the row's evidence or basis names {value} ({names}), and no document "
            "reporting it in its own voice is published by it: give a context quote, or an inferred "
            "basis with a note.",
            "event_actors": "No quote of the event's evidence or basis names {value} ({names}): give a context "
            "quote, or an inferred basis with a note.",
        },
        values="{value}",
        sql=_stated_names(
            [
                {
                    **STAT,
                    **ACTOR,
                    "column": "asserted_by_actor_id",
                    "field": "statistics.asserted_by_actor_id",
                    "and": f"AND NOT {OWN_VOICE}",
                },
                {
                    **ACTOR,
                    "table": "event_actors",
                    "subject": "event_id",
                    "column": "actor_id",
                    "field": "event_actors.actor_id",
                },
            ]
        ),
        example=Example(
            (edit("statistics", "S015", asserted_by_actor_id="reuters"),),
            (("statistics", "S015", "asserted_by_actor_id"),),
            also=(("span.states_cell", "statistics", "S015", "asserted_by_actor_id"),),
        ),
    ),
    Rule(
        "basis.figure_kind_stated",
        "A statistic's kind (claim, official count, estimate, ...) has its declared words in its quotes, or is the "
        "document's own voice, or is inferred with a note.",
        message={
            "own_voice": "The kind {figure_kind} is the document's own voice, but no evidence row reports it "
            "without a cited source from a document its asserting actor publishes.",
            "words": "No quote of the row's evidence or basis has the words of a {figure_kind} ({words}): give a "
            "context quote, or an inferred basis with a note.",
        },
        values="{figure_kind}",
        sql=f"""
        SELECT 'statistics' AS tbl, x.row_, 'figure_kind' AS col, x.figure_kind, l.shown AS words,
               CASE WHEN k.own_voice THEN 'own_voice' ELSE 'words' END AS case_
        FROM statistics AS x JOIN figure_kinds AS k ON k.figure_kind_id = x.figure_kind
        LEFT JOIN name_lists AS l ON l.kind = 'figure_kind' AND l.id = x.figure_kind
        WHERE (k.words IS NOT NULL OR coalesce(k.own_voice, FALSE)) AND {evidenced("statistic", "x.statistic_id", True)}
          AND NOT {
            _stated({**STAT, "column": "figure_kind", "field": "statistics.figure_kind"}, "figure_kind", "kind_words")
        }
          AND NOT (coalesce(k.own_voice, FALSE) AND {OWN_VOICE})
          AND NOT {inferred("statistics.figure_kind", "x.statistic_id")}
        """,
        example=Example(
            (edit("statistics", "S001", figure_kind="official_count"),),
            (("statistics", "S001", "figure_kind"),),
            also=(("span.states_cell", "statistics", "S001", "figure_kind"),),
        ),
    ),
    Rule(
        "basis.cited_source_stated",
        "An evidence quote or citation that attributes its words to a source names that source's issuer or publisher.",
        message={
            "evidence": "The quote does not name {cited_source_id}'s issuer ({issuer}) or publisher "
            "({publisher}): a sentence in the document's own voice has no cited source.",
            "citation": "The citing passage does not name {cited_source_id}'s issuer ({issuer}) or publisher "
            "({publisher}).",
        },
        values="{cited_source_id}",
        sql=_cited("statistic_evidence", "statistic_id")
        + "\nUNION ALL"
        + _cited("event_evidence", "event_id")
        + f"""
        UNION ALL
        SELECT 'citations' AS tbl, x.row_, 'cited_source_id' AS col, x.cited_source_id, s.issuer_actor_id,
               s.publisher_actor_id, 'citation'
        FROM citations AS x JOIN sources AS s ON s.source_id = x.cited_source_id
        WHERE {_names_source("x.quote", NAMES_SOURCE)}""",
        example=Example(
            (edit("statistic_evidence", "S016", cited_source_id="agencies-inputs"),),
            (("statistic_evidence", "S016|doc-devdiscourse", "cited_source_id"),),
            also=(
                ("basis.actor_stated", "statistics", "S016", "asserted_by_actor_id"),
                ("basis.figure_kind_stated", "statistics", "S016", "figure_kind"),
                ("span.stated_cell_has_span", "statistic_evidence", "S016|doc-devdiscourse", "cited_source_id"),
            ),
        ),
    ),
    Rule(
        "basis.inferred_has_note",
        "An inferred basis says what it is inferred from.",
        message="An inferred basis needs a note that says what it is inferred from.",
        values="{field}",
        sql="""
        SELECT 'bases' AS tbl, b.row_, 'note' AS col, b.field FROM bases AS b
        WHERE b.basis = 'inferred' AND b.note IS NULL""",
        example=Example((edit("bases", "B001", note=""),), (("bases", "B001", "note"),)),
    ),
    Rule(
        "basis.fits_cell",
        "A basis row names exactly the cell it is for, from a document that reports it, and that cell is not empty.",
        message={
            "shape": "A basis for {field} names {needed}, and no other subject or item.",
            "span": "A context quote and its span are given together or not at all.",
            "unquoted": "A stated basis gives the context quote that states the cell; a cell its evidence quote "
            "states needs no basis row.",
            "unreported": "{document_id} does not report {subject} (no evidence or citation links them), so its "
            "words cannot be the basis.",
            "empty": "The cell this basis is for is empty or does not exist: an empty cell is not stated and "
            "needs no basis.",
        },
        values={
            "shape": "{field}",
            "span": "{quote_start}:{quote_end}",
            "unquoted": "",
            "unreported": "{document_id}",
            "empty": "{field} of {subject}{item_shown}",
        },
        sql=_fits_cell(),
        example=Example((edit("bases", "B001", event_id="E001"),), (("bases", "B001", "field"),)),
    ),
]
