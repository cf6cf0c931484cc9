"""Spans: each stated cell points at the words that state it (table `spans`), and the words are words of its value.

A passage often holds several numbers, places and names; the basis rules see that a cell's words are somewhere in it,
these see which words state which cell. A span lies in a passage of its subject from its document (an evidence quote,
a citation, or a context quote kept in bases for a cell of the subject), reads as the cell's value (the number parses
to it, the name is one of the place's or actor's declared names, the words are the kind's or the qualifier's, the
expression is the one recorded, the words are those of the indicator, of the event's status, the actor's role or the
claim's comparison), and is not shared with another cell of the row. Every stated cell has one; a speaker's name is
the one who speaks; a figure's number stands in one phrase with its indicator's words.
"""

from __future__ import annotations

from .basis import OWN_VOICE, inferred
from .model import Example, Rule, delete, edit, words
from .span_cells import CELLS

# the text after a span to the end of its clause; after an aside set off by commas, the clause after the aside
CLAUSE_AFTER = """regexp_extract(substr(p.text, w."end" - p.qs + 1), '^(?:\\s*,[^,.;:]*,)?([^,.;:]*)', 1)"""

# fields whose cells may rest on the same words: the one who speaks and the source cited are often one name
# ('according to CENTCOM'), as are an event's announcer and its cited statement
SHARED = (
    ("statistic_evidence.cited_source_id", "statistics.asserted_by_actor_id"),
    ("event_actors.actor_id", "event_evidence.cited_source_id"),
    # one verb states that an event took place and who did it ('CENTCOM announced'), and the roles of all its
    # subjects ('X and Y are negotiating')
    ("events.status", "event_actors.role"),
    ("event_actors.role", "event_actors.role"),
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
        _needed(
            "statistics", "indicator_id", "statistics.indicator_id", "statistic_id",
            f"t.indicator_id IS NOT NULL AND {STATED}",
        ),
        _needed("events", "status", "events.status", "event_id", "t.status IS NOT NULL"),
        _needed("event_actors", "role", "event_actors.role", "event_id", "t.role IS NOT NULL", "t.actor_id"),
        # a claim is its own quote's: stated there, never inferred
        f"""
        SELECT 'claims' AS tbl, t.row_, 'comparison' AS col, CAST(t.comparison AS VARCHAR) AS value FROM claims AS t
        WHERE t.comparison IS NOT NULL AND NOT {_spanned("claims.comparison", "t.claim_id")}""",
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
        sql="""
        SELECT 'spans' AS tbl, w.row_, 'start' AS col, w.subject, w.doc, w.start, w."end", w.text,
               w."end" - w.start AS span, length(w.text) AS length,
               CASE WHEN w."end" - w.start <> length(w.text) THEN 'length' ELSE 'passage' END AS case_
        FROM spans_ AS w
        WHERE w."end" - w.start <> length(w.text)
           OR NOT EXISTS (SELECT 1 FROM placed_ AS p WHERE p.row_ = w.row_ AND p.holds)
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
        "or actor, a word of the kind, qualifier or indicator, a word of the event's status, the actor's role or the "
        "claim's comparison, the expression recorded.",
        message={
            "number": "The span {span_id} reads {text!r}, which is not the value {value}.",
            "words": "The span {span_id} reads {text!r}, which is not a word of {value}.",
            "name": "The span {span_id} reads {text!r}, which is not a name of {value}.",
            "expression": "The span {span_id} reads {text!r}, but the expression recorded is {value!r}.",
            "no_cell": "The span is for {field} of {subject}, which has no such cell.",
        },
        values="{span_id}: {text!r}",
        sql=f"""
        WITH {CELLS}
        SELECT tbl, row_, col, span_id, text, value, case_, NULL AS field, NULL AS subject FROM cells
        WHERE NOT ok  -- unknown (NULL) where the value itself is missing or dangling: other rules report it
        UNION ALL
        SELECT 'spans', w.row_, 'field', w.span_id, w.text, NULL, 'no_cell', w.field, w.subject
        FROM spans_ AS w WHERE NOT EXISTS (SELECT 1 FROM cells AS c WHERE c.span_row = w.row_)
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
        "span.indicator_by_value",
        "A figure's number and the words of its indicator are of one phrase ('44 ISIS operatives killed', "
        "'15 years'): no other number, no comma or 'and' between them; two figures of one sentence do not trade "
        "their words.",
        message={
            "break": "The number {number!r} and the indicator's words {words!r} are not of one phrase: {gap!r} "
            "stands between them.",
            "apart": "The number {number!r} and the indicator's words {words!r} are in no one passage of the "
            "statistic.",
        },
        values="{number!r} .. {words!r}",
        # the text between the two spans, from a passage of the statistic that holds both (none: they are apart);
        # a span in no passage at all is span.in_passage's to report
        sql="""
        WITH pairs AS (
            SELECT t.row_, v.subject, v.doc, v.text AS number, i.text AS words,
                   least(v."end", i."end") AS gap_start, greatest(v.start, i.start) AS gap_end,
                   least(v.start, i.start) AS first_, greatest(v."end", i."end") AS last_
            FROM spans_ AS v JOIN spans_ AS i ON i.subject = v.subject AND i.doc = v.doc
            JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = v.subject
            WHERE v.field = 'statistics.value' AND i.field = 'statistics.indicator_id'
              AND v.row_ IN (SELECT row_ FROM placed_) AND i.row_ IN (SELECT row_ FROM placed_)),
        gaps AS (
            SELECT r.row_, r.number, r.words, r.first_,
                   MIN(CASE WHEN r.gap_end <= r.gap_start THEN ''
                            ELSE substr(p.text, r.gap_start - p.qs + 1, r.gap_end - r.gap_start) END) AS gap
            FROM pairs AS r LEFT JOIN passages_ AS p
              ON p.subject = r.subject AND p.doc = r.doc AND r.first_ >= p.qs AND r.last_ <= p.qs + length(p.text)
            GROUP BY r.row_, r.number, r.words, r.first_)
        SELECT 'statistics' AS tbl, row_, 'indicator_id' AS col, number, words, gap,
               CASE WHEN gap IS NULL THEN 'apart' ELSE 'break' END AS case_
        FROM gaps
        WHERE gap IS NULL OR regexp_matches(gap, '[0-9,;:.]|\\b(and|or)\\b')
        """,
        # the operatives killed and detained in Iraq trade indicators, each with the words of the other's: 30
        # 'detained', 74 'killed'
        example=Example(
            (
                edit("statistics", "S007", indicator_id="isis_operatives_detained"),
                edit("statistics", "S010", indicator_id="isis_operatives_killed"),
                edit(
                    "spans",
                    {"field": "statistics.indicator_id", "statistic_id": "S007"},
                    start="1146",
                    end="1154",
                    text="detained",
                ),
                edit(
                    "spans",
                    {"field": "statistics.indicator_id", "statistic_id": "S010"},
                    start="1116",
                    end="1122",
                    text="killed",
                ),
            ),
            (("statistics", "S007", "indicator_id"), ("statistics", "S010", "indicator_id")),
            # Iraq's operatives killed and detained no longer add up with Syria's to the totals
            also=(
                ("arith.parts_sum_to_total", "statistics", "S006", "value"),
                ("arith.parts_sum_to_total", "statistics", "S009", "value"),
            ),
        ),
    ),
    Rule(
        "span.stated_cell_has_span",
        "Every stated cell has a span: the words of a document that state it (an inferred cell has a basis instead).",
        message="The cell is stated ({value!r}) but no span records the words that state it: add a spans row, or a "
        "basis row if it is inferred.",
        values="{value!r}",
        sql=f"""
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
            (
                edit(
                    "spans",
                    {"field": "event_actors.actor_id", "event_id": "E002", "actor_id": "isis"},
                    start="861",
                    end="865",
                ),
            ),
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
        WITH said AS (
            SELECT w.row_, w.field, w.subject, w.doc, w.text,
                   {words(CLAUSE_AFTER)} AS clause,
                   substr(p.text, 1, w.start - p.qs) AS before
            FROM spans_ AS w JOIN passages_ AS p
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
