"""Spans: each stated cell points at the words that state it (table `spans`), and the words are words of its value.

A passage often holds several numbers, places and names; the basis rules see that a cell's words are somewhere in it,
these see which words state which cell. A span lies in a passage of its subject from its document (an evidence quote,
a citation, or a context quote kept in bases for a cell of the subject), reads as the cell's value (the number parses
to it, the name is one of the place's or actor's declared names, the words are the kind's or the qualifier's, the
expression is the one recorded), and is not shared with another cell of the row. Every stated cell has one; a
speaker's name is the one who speaks.
"""

from __future__ import annotations

from .basis import OWN_VOICE, inferred
from .model import Example, Rule, delete, edit, union, words

SUBJECT = "CAST(coalesce({t}.statistic_id, {t}.event_id, {t}.source_id) AS VARCHAR)"
ITEM = "CAST(coalesce({t}.geography_id, {t}.actor_id) AS VARCHAR)"

# the passages a subject's cells are stated in: (subject, document, field and item of a context quote, text, start)
PASSAGES = f"""
    passages AS (
        SELECT CAST(statistic_id AS VARCHAR) AS subject, CAST(source_id AS VARCHAR) AS doc,
               CAST(NULL AS VARCHAR) AS field, CAST(NULL AS VARCHAR) AS item, quote AS text, quote_start AS qs
        FROM statistic_evidence
        UNION ALL SELECT CAST(event_id AS VARCHAR), CAST(source_id AS VARCHAR), NULL, NULL, quote, quote_start
        FROM event_evidence
        UNION ALL SELECT CAST(cited_source_id AS VARCHAR), CAST(citing_source_id AS VARCHAR), NULL, NULL, quote,
               quote_start FROM citations WHERE quote IS NOT NULL
        UNION ALL SELECT {SUBJECT.format(t="b")}, CAST(document_id AS VARCHAR), CAST(field AS VARCHAR),
               {ITEM.format(t="b")}, quote, quote_start FROM bases AS b WHERE quote IS NOT NULL),
    spans_ AS (
        SELECT w.row_, w.span_id, CAST(w.field AS VARCHAR) AS field, {SUBJECT.format(t="w")} AS subject,
               {ITEM.format(t="w")} AS item, CAST(w.document_id AS VARCHAR) AS doc, w.start, w."end", w.text
        FROM spans AS w)"""

# the text after a span to the end of its clause; after an aside set off by commas, the clause after the aside
CLAUSE_AFTER = """regexp_extract(substr(p.text, w."end" - p.qs + 1), '^(?:\\s*,[^,.;:]*,)?([^,.;:]*)', 1)"""

# every declared name of a geography (kind 'geography') or an actor ('actor')
NAMES = """
    names AS (
        SELECT 'geography' AS kind, CAST(geography_id AS VARCHAR) AS id, name FROM geographies
        UNION SELECT 'geography', CAST(geography_id AS VARCHAR), name FROM geography_names
        UNION SELECT 'actor', CAST(actor_id AS VARCHAR), name FROM actors
        UNION SELECT 'actor', CAST(actor_id AS VARCHAR), name FROM actor_names)"""

# each span beside the cell it states: the cell's table, row and column, its value as text, and whether the words
# at the span are words of that value
# an evidence row's cited source beside the span of its name: a name of the source's issuer or publisher
CITED = """
        SELECT w.row_, w.span_id, w.text, '{table}', t.row_, 'cited_source_id', CAST(t.cited_source_id AS VARCHAR),
               'name', CASE WHEN s.source_id IS NOT NULL THEN
               EXISTS (SELECT 1 FROM names AS n WHERE n.kind = 'actor' AND n.name = w.text
                         AND n.id IN (CAST(s.issuer_actor_id AS VARCHAR), CAST(s.publisher_actor_id AS VARCHAR))) END
        FROM spans_ AS w JOIN {table} AS t
          ON CAST(t.{subject} AS VARCHAR) = w.subject AND CAST(t.source_id AS VARCHAR) = w.doc
        LEFT JOIN sources AS s ON s.source_id = t.cited_source_id
        WHERE w.field = '{table}.cited_source_id'"""
CELLS = (
    """
    kind_words AS (
        SELECT CAST(figure_kind_id AS VARCHAR) AS id, lower(word) AS word
        FROM (SELECT figure_kind_id, unnest(string_split(words, '|')) AS word FROM figure_kinds
              WHERE words IS NOT NULL) AS k),
    cells AS (
        SELECT w.row_ AS span_row, w.span_id, w.text, 'statistics' AS tbl, t.row_, 'value' AS col,
               CAST(t.value AS VARCHAR) AS value, 'number' AS case_,
               regexp_matches(w.text, '^[0-9][0-9,]*([.][0-9]+)?$')
               AND TRY_CAST(replace(w.text, ',', '') AS DOUBLE) = t.value AS ok
        FROM spans_ AS w JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = w.subject
        WHERE w.field = 'statistics.value'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'statistics', t.row_, 'qualifier_id', CAST(t.qualifier_id AS VARCHAR),
               'words', CASE WHEN q.qualifier_id IS NOT NULL THEN coalesce(lower(w.text) = lower(q.phrase), FALSE) END
        FROM spans_ AS w JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = w.subject
        LEFT JOIN qualifiers AS q ON q.qualifier_id = t.qualifier_id
        WHERE w.field = 'statistics.qualifier_id'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'statistics', t.row_, 'figure_kind', CAST(t.figure_kind AS VARCHAR),
               'words', CASE WHEN t.figure_kind IN (SELECT figure_kind_id FROM figure_kinds)
                             THEN EXISTS (SELECT 1 FROM kind_words AS k
                                          WHERE k.id = CAST(t.figure_kind AS VARCHAR) AND k.word = lower(w.text))
                        END
        FROM spans_ AS w JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = w.subject
        WHERE w.field = 'statistics.figure_kind'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'statistics', t.row_,
               CASE w.field WHEN 'statistics.geography_id' THEN 'geography_id'
                            ELSE 'asserted_by_actor_id' END,
               CAST(CASE w.field WHEN 'statistics.geography_id' THEN t.geography_id
                                 ELSE t.asserted_by_actor_id END AS VARCHAR),
               'name', CASE WHEN CAST(CASE w.field WHEN 'statistics.geography_id' THEN t.geography_id
                                               ELSE t.asserted_by_actor_id END AS VARCHAR) IN (SELECT id FROM names)
                            THEN EXISTS (SELECT 1 FROM names AS n
                               WHERE n.kind = CASE w.field WHEN 'statistics.geography_id' THEN 'geography'
                                                           ELSE 'actor' END
                                 AND n.id = CAST(CASE w.field WHEN 'statistics.geography_id' THEN t.geography_id
                                                              ELSE t.asserted_by_actor_id END AS VARCHAR)
                                 AND n.name = w.text) END
        FROM spans_ AS w JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = w.subject
        WHERE w.field IN ('statistics.geography_id', 'statistics.asserted_by_actor_id')
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'statistics', t.row_, 'period_expression', t.period_expression,
               'expression', w.text = t.period_expression
        FROM spans_ AS w JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = w.subject
        WHERE w.field = 'statistics.period'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'events', t.row_, 'date_expression', t.date_expression,
               'expression', w.text = t.date_expression
        FROM spans_ AS w JOIN events AS t ON CAST(t.event_id AS VARCHAR) = w.subject
        WHERE w.field = 'events.dates'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'sources', t.row_, 'date_expression', t.date_expression,
               'expression', w.text = t.date_expression
        FROM spans_ AS w JOIN sources AS t ON CAST(t.source_id AS VARCHAR) = w.subject
        WHERE w.field = 'sources.published'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'event_geographies', t.row_, 'geography_id', w.item, 'name',
               EXISTS (SELECT 1 FROM names AS n WHERE n.kind = 'geography' AND n.id = w.item AND n.name = w.text)
        FROM spans_ AS w JOIN event_geographies AS t
          ON CAST(t.event_id AS VARCHAR) = w.subject AND CAST(t.geography_id AS VARCHAR) = w.item
        WHERE w.field = 'event_geographies.geography_id'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'event_actors', t.row_, 'actor_id', w.item, 'name',
               EXISTS (SELECT 1 FROM names AS n WHERE n.kind = 'actor' AND n.id = w.item AND n.name = w.text)
        FROM spans_ AS w JOIN event_actors AS t
          ON CAST(t.event_id AS VARCHAR) = w.subject AND CAST(t.actor_id AS VARCHAR) = w.item
        WHERE w.field = 'event_actors.actor_id'
        UNION ALL"""
    + union(
        CITED,
        [
            {"table": "statistic_evidence", "subject": "statistic_id"},
            {"table": "event_evidence", "subject": "event_id"},
        ],
    )
    + ")"
)

# fields whose cells may rest on the same words: the one who speaks and the source cited are often one name
# ('according to CENTCOM'), as are an event's announcer and its cited statement
SHARED = (
    ("statistic_evidence.cited_source_id", "statistics.asserted_by_actor_id"),
    ("event_actors.actor_id", "event_evidence.cited_source_id"),
)


def _spanned(field: str, subject: str, item: str = "NULL", document: str | None = None) -> str:
    by_document = f" AND w.doc = CAST({document} AS VARCHAR)" if document else ""
    return (
        f"EXISTS (SELECT 1 FROM spans_ AS w WHERE w.field = '{field}' AND w.subject = CAST({subject} AS VARCHAR) "
        f"AND w.item IS NOT DISTINCT FROM CAST({item} AS VARCHAR){by_document})"
    )


def _needed(table: str, column: str, field: str, subject: str, where: str, item: str = "NULL", per_doc: bool = False):
    document = "t.source_id" if per_doc else None
    return f"""
        SELECT '{table}' AS tbl, t.row_, '{column}' AS col, CAST(t.{column} AS VARCHAR) AS value
        FROM {table} AS t
        WHERE {where} AND NOT {inferred(field, "t." + subject, None if item == "NULL" else item, document)}
          AND NOT {_spanned(field, "t." + subject, item, document)}"""


STATED = "t.figure_kind <> 'derived'"
OWN_VOICE_T = OWN_VOICE.replace("x.", "t.")  # the statistic is `t` here
REQUIRED = "\n        UNION ALL".join(
    [
        _needed("statistics", "value", "statistics.value", "statistic_id", f"t.value IS NOT NULL AND {STATED}"),
        _needed(
            "statistics", "qualifier_id", "statistics.qualifier_id", "statistic_id",
            f"t.qualifier_id <> 'exact' AND {STATED}",
        ),
        _needed(
            "statistics", "geography_id", "statistics.geography_id", "statistic_id",
            f"t.geography_id IS NOT NULL AND {STATED}",
        ),
        _needed(
            "statistics", "period_expression", "statistics.period", "statistic_id",
            f"t.period_expression IS NOT NULL AND {STATED}",
        ),
        _needed(
            "statistics", "figure_kind", "statistics.figure_kind", "statistic_id",
            "t.figure_kind IN (SELECT figure_kind_id FROM figure_kinds WHERE words IS NOT NULL)",
        ),
        _needed(
            "statistics", "asserted_by_actor_id", "statistics.asserted_by_actor_id", "statistic_id",
            f"t.asserted_by_actor_id IS NOT NULL AND {STATED} AND NOT {OWN_VOICE_T} AND t.figure_kind "
            "NOT IN (SELECT figure_kind_id FROM figure_kinds WHERE own_voice)",
        ),
        _needed(
            "statistic_evidence", "cited_source_id", "statistic_evidence.cited_source_id", "statistic_id",
            "t.cited_source_id IS NOT NULL", per_doc=True,
        ),
        _needed(
            "event_evidence", "cited_source_id", "event_evidence.cited_source_id", "event_id",
            "t.cited_source_id IS NOT NULL", per_doc=True,
        ),
        _needed("events", "date_expression", "events.dates", "event_id", "t.date_expression IS NOT NULL"),
        _needed("sources", "date_expression", "sources.published", "source_id", "t.date_expression IS NOT NULL"),
        _needed(
            "event_geographies", "geography_id", "event_geographies.geography_id", "event_id", "TRUE",
            "t.geography_id",
        ),
        _needed("event_actors", "actor_id", "event_actors.actor_id", "event_id", "TRUE", "t.actor_id"),
    ]
)  # fmt: skip


RULES: list[Rule] = [
    Rule(
        "span.in_passage",
        "A span lies in a passage of its subject from its document, and its text is the passage's text there.",
        message={
            "length": "The span {start}:{end} holds {span} characters but its text has {length}.",
            "passage": "No passage of {subject} from {doc} holds {text!r} at {start}:{end}.",
        },
        values="{start}:{end} {text!r}",
        sql=f"""
        WITH {PASSAGES}
        SELECT 'spans' AS tbl, w.row_, 'start' AS col, w.subject, w.doc, w.start, w."end", w.text,
               w."end" - w.start AS span, length(w.text) AS length,
               CASE WHEN w."end" - w.start <> length(w.text) THEN 'length' ELSE 'passage' END AS case_
        FROM spans_ AS w
        WHERE w."end" - w.start <> length(w.text)
           OR NOT EXISTS (
                SELECT 1 FROM passages AS p
                WHERE p.subject = w.subject AND p.doc = w.doc
                  AND (p.field IS NULL OR p.item IS NOT DISTINCT FROM w.item)
                  AND w.start >= p.qs AND w."end" <= p.qs + length(p.text)
                  AND substr(p.text, w.start - p.qs + 1, w."end" - w.start) = w.text)
        """,
        # S004's place pointed at another 'Iraq' of the document, in a passage about another figure
        example=Example(
            (edit("spans", {"field": "statistics.geography_id", "statistic_id": "S004"}, start="2702", end="2706"),),
            (("spans", "W100", "start"),),
        ),
    ),
    Rule(
        "span.states_cell",
        "The words at a span are words of its cell's value: a number that reads as it, a declared name of the place "
        "or actor, a word of the kind or qualifier, the expression recorded.",
        message={
            "number": "The span {span_id} reads {text!r}, which is not the value {value}.",
            "words": "The span {span_id} reads {text!r}, which is not a word of {value}.",
            "name": "The span {span_id} reads {text!r}, which is not a name of {value}.",
            "expression": "The span {span_id} reads {text!r}, but the expression recorded is {value!r}.",
            "no_cell": "The span is for {field} of {subject}, which has no such cell.",
        },
        values="{span_id}: {text!r}",
        sql=f"""
        WITH {PASSAGES}, {NAMES}, {CELLS}
        SELECT tbl, row_, col, span_id, text, value, case_, NULL AS field, NULL AS subject FROM cells
        WHERE NOT ok  -- unknown (NULL) where the value itself is missing or dangling: other rules report it
        UNION ALL
        SELECT 'spans', w.row_, 'field', w.span_id, w.text, NULL, 'no_cell', w.field, w.subject
        FROM spans_ AS w WHERE w.row_ NOT IN (SELECT span_row FROM cells)
        """,
        # S020 (15 years) and S021 (age 75), two figures of one quote, exchange their values
        example=Example(
            (
                edit("statistics", "S020", value="75", lower_bound="75", upper_bound="75"),
                edit("statistics", "S021", value="15", lower_bound="15", upper_bound="15"),
            ),
            (("statistics", "S020", "value"), ("statistics", "S021", "value")),
        ),
    ),
    Rule(
        "span.stated_cell_has_span",
        "Every stated cell has a span: the words of a document that state it (an inferred cell has a basis instead).",
        message="The cell is stated ({value!r}) but no span records the words that state it: add a spans row, or a "
        "basis row if it is inferred.",
        values="{value!r}",
        sql=f"""
        WITH {PASSAGES}
        {REQUIRED}
        """,
        example=Example(
            (delete("spans", {"field": "statistics.value", "statistic_id": "S004"}),),
            (("statistics", "S004", "value"),),
        ),
    ),
    Rule(
        "span.words_not_shared",
        "Two cells of a row that state different things do not rest on the same words.",
        message="The words {text!r} at {start}:{end} already state {other} ({other_id}).",
        values="{text!r}",
        sql=f"""
        WITH {PASSAGES}
        SELECT 'spans' AS tbl, w.row_, 'start' AS col, w.text, w.start, w."end", MIN(o.field) AS other,
               MIN(o.span_id) AS other_id
        FROM spans_ AS w JOIN spans_ AS o
          ON o.subject = w.subject AND o.doc = w.doc AND o.span_id < w.span_id AND o.start < w."end"
         AND w.start < o."end" AND (o.field <> w.field OR o.item IS DISTINCT FROM w.item)
        WHERE NOT (o.field, w.field) IN ({", ".join(f"('{a}', '{b}')" for a, b in SHARED)})
          AND NOT (w.field, o.field) IN ({", ".join(f"('{a}', '{b}')" for a, b in SHARED)})
        GROUP BY w.row_, w.text, w.start, w."end"
        """,
        # the target ISIS of E002 pointed at the ISIS of 'Defeat ISIS partners', another actor's name
        example=Example(
            (edit("spans", {"event_id": "E002", "actor_id": "isis"}, start="861", end="865"),),
            (("spans", "W016", "start"),),
        ),
    ),
    Rule(
        "span.speaker_speaks",
        "A statistic's asserting actor and a quote's cited source are named as the one who speaks: the subject of a "
        "verb of saying in its clause, or after 'according to'; not as an employer or an object.",
        message="The words {text!r} name {value} but not as the one who speaks: no verb of saying follows them in "
        "their clause and no 'according to' comes before them.",
        values="{text!r}",
        # a verb of saying follows the name in its clause, or after an aside set off by commas ('Gen. Michael
        # Kurilla, who heads US Central Command, told'); a name followed by a lone comma is in an aside itself
        sql=f"""
        WITH {PASSAGES},
        said AS (
            SELECT w.row_, w.field, w.subject, w.doc, w.text,
                   {words(CLAUSE_AFTER)} AS clause,
                   substr(p.text, 1, w.start - p.qs) AS before
            FROM spans_ AS w JOIN passages AS p
              ON p.subject = w.subject AND p.doc = w.doc
             AND (p.field IS NULL OR p.item IS NOT DISTINCT FROM w.item)
             AND w.start >= p.qs AND w."end" <= p.qs + length(p.text)
            WHERE w.field IN ('statistics.asserted_by_actor_id', 'statistic_evidence.cited_source_id',
                              'event_evidence.cited_source_id')),
        speaking AS (
            SELECT s.row_ FROM said AS s JOIN attribution_words AS a ON
                 (a.kind = 'speech' AND strpos(s.clause, {words("a.word")}) > 0)
              OR (a.kind = 'attribution' AND regexp_matches(s.before, '[A-Za-z0-9]\\s*$')
                  AND ends_with({words("s.before")}, {words("a.word")})))
        SELECT 'statistics' AS tbl, t.row_, 'asserted_by_actor_id' AS col, s.text,
               CAST(t.asserted_by_actor_id AS VARCHAR) AS value
        FROM said AS s JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = s.subject
        WHERE s.field = 'statistics.asserted_by_actor_id' AND s.row_ NOT IN (SELECT row_ FROM speaking)
        UNION ALL
        SELECT 'statistic_evidence', t.row_, 'cited_source_id', s.text, CAST(t.cited_source_id AS VARCHAR)
        FROM said AS s JOIN statistic_evidence AS t
          ON CAST(t.statistic_id AS VARCHAR) = s.subject AND CAST(t.source_id AS VARCHAR) = s.doc
        WHERE s.field = 'statistic_evidence.cited_source_id' AND s.row_ NOT IN (SELECT row_ FROM speaking)
        UNION ALL
        SELECT 'event_evidence', t.row_, 'cited_source_id', s.text, CAST(t.cited_source_id AS VARCHAR)
        FROM said AS s JOIN event_evidence AS t
          ON CAST(t.event_id AS VARCHAR) = s.subject AND CAST(t.source_id AS VARCHAR) = s.doc
        WHERE s.field = 'event_evidence.cited_source_id' AND s.row_ NOT IN (SELECT row_ FROM speaking)
        """,
        # S015 asserted by the command Gen. Kurilla heads ('who heads US Central Command, told Congress')
        example=Example(
            (
                edit("statistics", "S015", asserted_by_actor_id="centcom"),
                edit(
                    "spans",
                    {"field": "statistics.asserted_by_actor_id", "statistic_id": "S015"},
                    start="2571",
                    end="2589",
                    text="US Central Command",
                ),
            ),
            (("statistics", "S015", "asserted_by_actor_id"),),
        ),
    ),
]
