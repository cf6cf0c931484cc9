"""Relations several rules read, declared once as SQL: the spans with their subject, the passages a subject's cells
are stated in, and where each span lies in them.

The engine creates a view when the first rule that names it runs, and computes the costly one once (DuckDB does not
share a common table expression between queries: each span rule repeated the same join over every span);
`engine.listing` prints them ahead of the rules, for a warehouse to create before it runs the queries.
"""

from __future__ import annotations

SUBJECT = "CAST(coalesce({t}.statistic_id, {t}.event_id, {t}.source_id) AS VARCHAR)"
SPAN_SUBJECT = "CAST(coalesce({t}.statistic_id, {t}.event_id, {t}.source_id, {t}.claim_id) AS VARCHAR)"
ITEM = "CAST(coalesce({t}.geography_id, {t}.actor_id) AS VARCHAR)"

# in dependency order: a view reads the package's tables and the views above it
VIEWS: dict[str, str] = {
    # each span with its subject, item and document as text
    "spans_": f"""
        SELECT w.row_, w.span_id, CAST(w.field AS VARCHAR) AS field, {SPAN_SUBJECT.format(t="w")} AS subject,
               {ITEM.format(t="w")} AS item, CAST(w.document_id AS VARCHAR) AS doc, w.start, w."end", w.text
        FROM spans AS w""",
    # the passages a subject's cells are stated in: its evidence quotes, the quotes of the citations of a source, a
    # claim's quote (field and item empty: they serve every cell), and the context quotes kept in bases for one cell
    # (of `field`, and of `item` where the cell is a relation's row); `ptbl` and `prow` name the row it is from
    "passages_": f"""
        SELECT 'statistic_evidence' AS ptbl, row_ AS prow, CAST(statistic_id AS VARCHAR) AS subject,
               CAST(source_id AS VARCHAR) AS doc, CAST(NULL AS VARCHAR) AS field, CAST(NULL AS VARCHAR) AS item,
               quote AS text, quote_start AS qs
        FROM statistic_evidence
        UNION ALL SELECT 'event_evidence', row_, CAST(event_id AS VARCHAR), CAST(source_id AS VARCHAR), NULL, NULL,
               quote, quote_start FROM event_evidence
        UNION ALL SELECT 'citations', row_, CAST(cited_source_id AS VARCHAR), CAST(citing_source_id AS VARCHAR), NULL,
               NULL, quote, quote_start FROM citations WHERE quote IS NOT NULL
        UNION ALL SELECT 'claims', row_, CAST(claim_id AS VARCHAR), CAST(source_id AS VARCHAR), NULL, NULL, quote,
               quote_start FROM claims
        UNION ALL SELECT 'bases', row_, {SUBJECT.format(t="b")}, CAST(document_id AS VARCHAR), CAST(field AS VARCHAR),
               {ITEM.format(t="b")}, quote, quote_start FROM bases AS b WHERE quote IS NOT NULL""",
    # each span beside each passage of its subject and document that spans its offsets; `holds`: the passage serves
    # the span's cell and its text there is the span's
    "placed_": """
        SELECT w.row_, p.ptbl, p.prow,
               (p.field IS NULL OR p.item IS NOT DISTINCT FROM w.item)
               AND substr(p.text, w.start - p.qs + 1, w."end" - w.start) = w.text AS holds
        FROM spans_ AS w JOIN passages_ AS p
          ON p.subject = w.subject AND p.doc = w.doc AND w.start >= p.qs AND w."end" <= p.qs + length(p.text)""",
    # every declared name of a geography (kind 'geography') or an actor ('actor')
    "names_": """
        SELECT 'geography' AS kind, CAST(geography_id AS VARCHAR) AS id, name FROM geographies
        UNION SELECT 'geography', CAST(geography_id AS VARCHAR), name FROM geography_names
        UNION SELECT 'actor', CAST(actor_id AS VARCHAR), name FROM actors
        UNION SELECT 'actor', CAST(actor_id AS VARCHAR), name FROM actor_names""",
}

# computed once, as a table: a join over every span and passage. The other views are projections the engine inlines
# into each query that reads them (a copy would hold every span and quote twice)
MATERIALIZED = {"placed_"}


def views_named(sql: str) -> list[str]:
    """The views a query reads, with the views those read, in the order they are to be created."""
    import re

    needed = {name for name in VIEWS if re.search(rf"\b{name}\b", sql)}
    for name in reversed(VIEWS):  # a view reads only the views above it
        if name in needed:
            needed |= {other for other in VIEWS if other != name and re.search(rf"\b{other}\b", VIEWS[name])}
    return [name for name in VIEWS if name in needed]
