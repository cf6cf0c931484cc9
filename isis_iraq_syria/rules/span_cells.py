"""The cells the spans state (span.states_cell): each span beside its cell's table, row, column and value, and whether
the words at the span are words of that value. Kept apart from spans.py, whose rules read it.
"""

from __future__ import annotations

from .model import union

# a cell with a closed list of values (an event's status, an actor's role, a claim's comparison) beside its span: the
# words are one of its value's words (cell_words); unknown where the value is missing or one the vocabulary has no
# words for (a value outside the field's allowed ones, which schema.enum reports)
CLOSED = """
        SELECT w.row_, w.span_id, w.text, '{table}', t.row_, '{column}', CAST(t.{column} AS VARCHAR), 'words',
               CASE WHEN CAST(t.{column} AS VARCHAR) IN (
                   SELECT c.value FROM cell_words AS c WHERE CAST(c.field AS VARCHAR) = '{table}.{column}')
               THEN EXISTS (
                   SELECT 1 FROM cell_words AS c
                   WHERE CAST(c.field AS VARCHAR) = '{table}.{column}' AND c.value = CAST(t.{column} AS VARCHAR)
                     AND c.word = lower(w.text)) END
        FROM spans_ AS w JOIN {table} AS t ON CAST(t.{subject} AS VARCHAR) = w.subject{item}
        WHERE w.field = '{table}.{column}'"""
ITEM = " AND CAST(t.actor_id AS VARCHAR) = w.item"

# each span beside the cell it states: the cell's table, row and column, its value as text, and whether the words
# at the span are words of that value
# an evidence row's cited source beside the span of its name: a name of the source's issuer or publisher
CITED = """
        SELECT w.row_, w.span_id, w.text, '{table}', t.row_, 'cited_source_id', CAST(t.cited_source_id AS VARCHAR),
               'name', CASE WHEN s.source_id IS NOT NULL THEN
               EXISTS (SELECT 1 FROM names_ AS n WHERE n.kind = 'actor' AND n.name = w.text
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
    indicator_words AS (
        SELECT CAST(indicator_id AS VARCHAR) AS id, lower(word) AS word
        FROM (SELECT indicator_id, unnest(string_split(words, '|')) AS word FROM indicators
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
                                               ELSE t.asserted_by_actor_id END AS VARCHAR) IN (SELECT id FROM names_)
                            THEN EXISTS (SELECT 1 FROM names_ AS n
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
               EXISTS (SELECT 1 FROM names_ AS n WHERE n.kind = 'geography' AND n.id = w.item AND n.name = w.text)
        FROM spans_ AS w JOIN event_geographies AS t
          ON CAST(t.event_id AS VARCHAR) = w.subject AND CAST(t.geography_id AS VARCHAR) = w.item
        WHERE w.field = 'event_geographies.geography_id'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'event_actors', t.row_, 'actor_id', w.item, 'name',
               EXISTS (SELECT 1 FROM names_ AS n WHERE n.kind = 'actor' AND n.id = w.item AND n.name = w.text)
        FROM spans_ AS w JOIN event_actors AS t
          ON CAST(t.event_id AS VARCHAR) = w.subject AND CAST(t.actor_id AS VARCHAR) = w.item
        WHERE w.field = 'event_actors.actor_id'
        UNION ALL
        SELECT w.row_, w.span_id, w.text, 'statistics', t.row_, 'indicator_id', CAST(t.indicator_id AS VARCHAR),
               'words', CASE WHEN t.indicator_id IN (SELECT indicator_id FROM indicators)
                             THEN EXISTS (SELECT 1 FROM indicator_words AS k
                                          WHERE k.id = CAST(t.indicator_id AS VARCHAR) AND k.word = lower(w.text))
                        END
        FROM spans_ AS w JOIN statistics AS t ON CAST(t.statistic_id AS VARCHAR) = w.subject
        WHERE w.field = 'statistics.indicator_id'
        UNION ALL"""
    + union(
        CITED,
        [
            {"table": "statistic_evidence", "subject": "statistic_id"},
            {"table": "event_evidence", "subject": "event_id"},
        ],
    )
    + "\n        UNION ALL"
    + union(
        CLOSED,
        [
            {"table": "events", "column": "status", "subject": "event_id", "item": ""},
            {"table": "event_actors", "column": "role", "subject": "event_id", "item": ITEM},
            {"table": "claims", "column": "comparison", "subject": "claim_id", "item": ""},
        ],
    )
    + ")"
)
