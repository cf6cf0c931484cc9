"""References: every statistic and event has evidence, and evidence comes from archived documents."""

from __future__ import annotations

from .model import EVIDENCE, Example, Rule, delete, edit, union

RULES: list[Rule] = [
    Rule(
        "ref.statistic_has_evidence",
        "Every statistic has evidence from a document, or inputs if it is derived.",
        message={
            "evidence": "No statistic_evidence row links this statistic to a document.",
            "inputs": "This derived statistic has no derivation_inputs row.",
        },
        values="{statistic_id}",
        sql="""
        SELECT 'statistics' AS tbl, s.row_, 'statistic_id' AS col, s.statistic_id,
               CASE WHEN s.figure_kind = 'derived' THEN 'inputs' ELSE 'evidence' END AS case_
        FROM statistics AS s
        WHERE CASE WHEN s.figure_kind = 'derived'
                   THEN NOT EXISTS (SELECT 1 FROM derivation_inputs AS d WHERE d.statistic_id = s.statistic_id)
                   ELSE NOT EXISTS (SELECT 1 FROM statistic_evidence AS e WHERE e.statistic_id = s.statistic_id) END
        """,
        example=Example(
            (delete("statistic_evidence", {"statistic_id": "S014"}),),
            (("statistics", "S014", "statistic_id"),),
            also=(
                ("basis.document_coverage", "sources", "doc-shafaq-news", "text_sha256"),
                ("span.in_passage", "spans", "W142", "start"),
                ("span.in_passage", "spans", "W143", "start"),
                ("span.in_passage", "spans", "W144", "start"),
                ("span.in_passage", "spans", "W270", "start"),
            ),
        ),
    ),
    Rule(
        "ref.event_has_evidence",
        "Every event has evidence from a document.",
        message="No event_evidence row links this event to a document.",
        values="{event_id}",
        sql="""
        SELECT 'events' AS tbl, e.row_, 'event_id' AS col, e.event_id
        FROM events AS e
        WHERE NOT EXISTS (SELECT 1 FROM event_evidence AS v WHERE v.event_id = e.event_id)
        """,
        example=Example(
            (delete("event_evidence", {"event_id": "E018"}),),
            (("events", "E018", "event_id"),),
            also=(("span.in_passage", "spans", "W207", "start"),),  # the words of its status are in no passage
        ),
    ),
    Rule(
        "ref.evidence_from_document",
        "Quotes come from archived documents (sources with a text_sha256).",
        message="{source} is not an archived document (it has no text_sha256), so its quote cannot be checked.",
        values="{source}",
        sql=union(
            """
        SELECT '{table}' AS tbl, q.row_, '{column}' AS col, q.{column} AS source
        FROM {table} AS q JOIN sources AS s ON s.source_id = q.{column}
        WHERE s.text_sha256 IS NULL""",
            [{"table": q.table, "column": q.document} for q in EVIDENCE],
        ),
        example=Example(
            (edit("statistic_evidence", {"statistic_id": "S015"}, source_id="kurilla-testimony"),),
            (("statistic_evidence", "S015|kurilla-testimony", "source_id"),),
            # the quote no longer counts for its document, and its basis row names a document that does
            # not report the statistic
            also=(
                ("basis.document_coverage", "sources", "doc-shafaq-news", "text_sha256"),
                ("basis.fits_cell", "bases", "B017", "document_id"),
                ("span.in_passage", "spans", "W145", "start"),
                ("span.in_passage", "spans", "W146", "start"),
                ("span.in_passage", "spans", "W147", "start"),
                ("span.in_passage", "spans", "W148", "start"),
                ("span.in_passage", "spans", "W149", "start"),
                ("span.in_passage", "spans", "W150", "start"),
                ("span.in_passage", "spans", "W271", "start"),
                ("span.stated_cell_has_span", "statistic_evidence", "S015|kurilla-testimony", "cited_source_id"),
                ("span.states_cell", "spans", "W150", "field"),
            ),
        ),
    ),
]
