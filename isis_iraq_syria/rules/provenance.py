"""Provenance: values, qualifiers and quotes are found in their documents, and documents agree or say they differ."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import polars as pl

from .model import EVIDENCE, Example, Quoted, Rule, delete, edit, union

NUMBER_WORDS = {
    "once": 1,
    "one": 1,
    "single": 1,
    "double": 2,
    "twice": 2,
    "two": 2,
    "three": 3,
    "triple": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "dozen": 12,
    "hundred": 100,
    "thousand": 1000,
}
_THOUSANDS = r"(\d),(\d{3})(\D|$)"
_WORDS = r"(?i)\b(?:" + "|".join(NUMBER_WORDS) + r")\b"


def numbers_expr(text: pl.Expr) -> pl.Expr:
    """Every number a quote states, with thousands separators and number words ('double' is 2), as a list."""
    # twice: 1,000,000 has overlapping separators
    plain = text.str.replace_all(_THOUSANDS, "${1}${2}${3}").str.replace_all(_THOUSANDS, "${1}${2}${3}")
    digits = plain.str.extract_all(r"\d+(?:\.\d+)?").cast(pl.List(pl.Float64))
    words = text.str.extract_all(_WORDS).list.eval(
        pl.element().str.to_lowercase().replace_strict(NUMBER_WORDS, default=None, return_dtype=pl.Float64)
    )
    return pl.concat_list(digits, words.list.drop_nulls())


def numbers_in(text: str) -> set[float]:
    return set(pl.select(numbers_expr(pl.lit(text))).item().to_list())


def archived_texts(ctx: Any) -> dict[str, str]:
    """The archived text of each document (source_id -> text), for the documents the archive holds."""
    archive = ctx.archive or {}
    rows = ctx.frames["sources"].filter(pl.col("text_sha256").is_not_null()).select("source_id", "text_sha256")
    return {source: archive[sha] for source, sha in rows.iter_rows() if sha in archive}


# Tables computed in Python, once per distinct quote of statistic_evidence, that the rules' queries join.


def _quotes(ctx: Any) -> pl.DataFrame:
    return ctx.frames["statistic_evidence"].select(pl.col("quote").unique().drop_nulls().cast(pl.String))


def quote_numbers(ctx: Any) -> pl.DataFrame:
    """(quote, number): every number each distinct quote states."""
    return _quotes(ctx).select("quote", number=numbers_expr(pl.col("quote"))).explode("number").drop_nulls().unique()


def quote_qualifiers(ctx: Any) -> pl.DataFrame:
    """(quote, qualifier_id): the qualifiers whose words (phrase, a whole-word match in any case) each quote has."""
    quotes = _quotes(ctx)
    phrases = ctx.frames["qualifiers"].select(pl.col("qualifier_id").cast(pl.String), "phrase").drop_nulls().unique()
    found = [
        quotes.filter(pl.col("quote").str.contains(rf"(?i)\b{re.escape(phrase)}\b")).with_columns(
            qualifier_id=pl.lit(qualifier)
        )
        for qualifier, phrase in phrases.iter_rows()
    ]
    return pl.concat([quotes.clear().with_columns(qualifier_id=pl.lit(None, pl.String)), *found])


DERIVED = {"quote_numbers": quote_numbers, "quote_qualifiers": quote_qualifiers}


# The archive rules read the documents' texts: each distinct passage (quotes repeat across rows) is examined once,
# and what is found goes with every row holding it.


def _failing(ctx: Any, q: Quoted, columns: list[str], test: Callable[..., dict | None]) -> list[dict]:
    """Rows of q.table whose values in `columns` fail `test` (which returns the failure's values, or None)."""
    frame = ctx.frames[q.table].select(columns)
    found = {values: out for values in frame.unique().iter_rows() if (out := test(*values)) is not None}
    if not found:
        return []
    bad = pl.DataFrame(list(found), schema=frame.schema, orient="row")
    hits = frame.with_row_index("row_").join(bad, on=columns, nulls_equal=True)
    return [{"tbl": q.table, "row_": row, **found[tuple(values)]} for row, *values in hits.iter_rows()]


def documents_not_archived(ctx: Any) -> list[dict]:
    if ctx.archive is None:
        return []
    sources = ctx.frames["sources"].with_row_index("row_").select("row_", "text_sha256")
    missing = sources.filter(pl.col("text_sha256").is_not_null() & ~pl.col("text_sha256").is_in(list(ctx.archive)))
    return [
        {"tbl": "sources", "row_": row, "col": "text_sha256", "text_sha256": sha} for row, sha in missing.iter_rows()
    ]


def quotes_not_archived(ctx: Any) -> list[dict]:
    texts = archived_texts(ctx)

    def missing(document: str | None, quote: str | None) -> dict | None:
        if document in texts and quote is not None and quote not in texts[document]:
            return {"document": document, "quote": quote}
        return None

    return [{**row, "col": q.quote} for q in EVIDENCE for row in _failing(ctx, q, [q.document, q.quote], missing)]


def _span_test(texts: dict[str, str], q: Quoted) -> Callable[..., dict | None]:
    """The test of one table's distinct (document, quote, start, end): the failure's values, or None."""

    def wrong(document: str | None, quote: str | None, start: int | None, end: int | None) -> dict | None:
        text = texts.get(document) if document is not None else None
        if text is None or quote is None or quote not in text:
            return None
        shown = {"document": document, "start": start, "end": end, "col": q.start, "length": len(text)}
        if start is None or end is None:
            return {**shown, "case_": "none", "found": None}
        found = text[max(start, 0) : end][:40]
        if start < 0 or end > len(text):  # a slice would silently stop at the end
            return {**shown, "case_": "outside", "found": found, "col": q.start if start < 0 else q.end}
        return None if text[start:end] == quote else {**shown, "case_": "elsewhere", "found": found}

    return wrong


def spans_not_quotes(ctx: Any) -> list[dict]:
    """A quote found nowhere in its document fails prov.quote_in_archive; this is for quotes that are there, but
    not where their span says, or whose span is missing or runs outside the document."""
    texts = archived_texts(ctx)
    return [
        row for q in EVIDENCE for row in _failing(ctx, q, [q.document, q.quote, q.start, q.end], _span_test(texts, q))
    ]


_SAME = (
    "{statistic_id_a} and {statistic_id} state the same figure for the same indicator, geography and period: "
    "make them one statistic with two evidence rows."
)
_DIFFER = (
    "{statistic_id_a} and {statistic_id} disagree for the same indicator, geography and period, and no "
    "discrepancy records it."
)

RULES: list[Rule] = [
    Rule(
        "prov.value_in_quote",
        "The value of a statistic appears in at least one of its quotes (thousands separators and number words "
        "allowed).",
        message="The value {value} appears in none of the statistic's quotes.",
        values="{value}",
        sql="""
        SELECT 'statistics' AS tbl, s.row_, 'value' AS col, s.value
        FROM statistics AS s
        WHERE s.value IS NOT NULL AND s.figure_kind <> 'derived'
          AND EXISTS (SELECT 1 FROM statistic_evidence AS e WHERE e.statistic_id = s.statistic_id)
          AND NOT EXISTS (SELECT 1 FROM statistic_evidence AS e JOIN quote_numbers AS n ON n.quote = e.quote
                          WHERE e.statistic_id = s.statistic_id AND n.number = s.value)
        """,
        example=Example(
            (edit("statistics", "S001", value="135", lower_bound="135", upper_bound="135"),),
            (("statistics", "S001", "value"),),
            # S025 is computed from S001; the documents' 153 is now recorded nowhere
            also=(
                ("arith.derivation_recomputes", "statistics", "S025", "value"),
                ("basis.document_coverage", "sources", "doc-devdiscourse", "text_sha256"),
                ("basis.document_coverage", "sources", "doc-shafaq-news", "text_sha256"),
                ("span.states_cell", "statistics", "S001", "value"),
            ),
        ),
    ),
    Rule(
        "prov.qualifier_in_quote",
        "The words of a statistic's qualifier appear in at least one of its quotes.",
        message="The qualifier's words {phrase!r} appear in none of the statistic's quotes.",
        values="{qualifier_id} ({phrase!r})",
        sql="""
        SELECT 'statistics' AS tbl, s.row_, 'qualifier_id' AS col, s.qualifier_id, q.phrase
        FROM statistics AS s JOIN qualifiers AS q ON q.qualifier_id = s.qualifier_id
        WHERE q.phrase IS NOT NULL
          AND EXISTS (SELECT 1 FROM statistic_evidence AS e WHERE e.statistic_id = s.statistic_id)
          AND NOT EXISTS (SELECT 1 FROM statistic_evidence AS e JOIN quote_qualifiers AS f ON f.quote = e.quote
                          WHERE e.statistic_id = s.statistic_id AND f.qualifier_id = s.qualifier_id)
        """,
        example=Example(
            (edit("statistics", "S012", qualifier_id="over", upper_bound=""),),
            (("statistics", "S012", "qualifier_id"),),
            also=(
                ("rel.discrepancy_holds", "discrepancies", "D001", "other_statistic_id"),
                ("span.stated_cell_has_span", "statistics", "S012", "qualifier_id"),
            ),
        ),
    ),
    Rule(
        "prov.document_in_archive",
        "With --archive: every archived document's sha256 matches a file in the archive.",
        message="No file in the archive has this sha256: the document is missing or was changed.",
        values="{text_sha256}",
        check=documents_not_archived,
        stage="archive",
        # a source that is no document given a hash, as if archived: no file of the archive has it
        example=Example(
            (edit("sources", "sudani-remarks", text_sha256="0" * 64),),
            (("sources", "sudani-remarks", "text_sha256"),),
            archive=True,
        ),
    ),
    Rule(
        "prov.quote_in_archive",
        "With --archive: every quote is found verbatim in its document's archived text.",
        message="The quote is not found verbatim in the archived text of {document}.",
        values="{quote:.60}",
        check=quotes_not_archived,
        stage="archive",
        example=Example(
            (
                edit(
                    "claims",
                    "C002",
                    quote="attacks in Syria and Iraq are set to triple this year compared to last year",
                ),
            ),
            (("claims", "C002", "quote"),),
            archive=True,
            also=(("span.in_passage", "spans", "W281", "start"),),  # its comparison's words are no longer there
        ),
    ),
    Rule(
        "prov.quote_span_length",
        "A quote's span is as long as the quote: its end is its start plus its length (the text at the span is the "
        "quote, whether or not the archive is at hand).",
        message="The span {start}:{end} holds {span} characters but the quote has {length}.",
        values="{start}:{end}",
        sql=union(
            """
        SELECT '{table}' AS tbl, row_, '{end}' AS col, "{start}" AS "start", "{end}" AS "end",
               "{end}" - "{start}" AS span, length("{quote}") AS length
        FROM {table} WHERE "{end}" - "{start}" <> length("{quote}")""",
            [{"table": q.table, "quote": q.quote, "start": q.start, "end": q.end} for q in EVIDENCE],
        ),
        example=Example(
            (edit("claims", "C002", quote_end="999999"),),
            (("claims", "C002", "quote_end"),),
            also=(("prov.quote_span", "claims", "C002", "quote_end"),),  # with the archive: outside the text
        ),
    ),
    Rule(
        "prov.quote_span",
        "With --archive: the text at each quote's recorded offsets (start, end) in its document is the quote.",
        message={
            "elsewhere": "The text at {start}:{end} of {document} is not the quote.",
            "none": "The quote has no span: give its start and end offsets.",
            "outside": "The span {start}:{end} lies outside the archived text of {document}, which has {length} "
            "characters.",
        },
        values="{start}:{end} holds {found!r}",
        check=spans_not_quotes,
        stage="archive",
        # a quote's span shifted by one character: the quote is still verbatim, but not where its span says
        example=Example(
            (edit("claims", "C002", quote_start="806", quote_end="881"),),
            (("claims", "C002", "quote_start"),),
            archive=True,
            also=(("span.in_passage", "spans", "W281", "start"),),  # its comparison's words are no longer there
        ),
    ),
    Rule(
        "agree.cross_source",
        "Figures for the same indicator, geography and period agree, or a discrepancy records the difference.",
        message={"same": _SAME, "differ": _DIFFER},
        values="{statistic_id_a}: {qualifier_id_a} {value_a}; {statistic_id}: {qualifier_id} {value}",
        # each statistic is reported once, beside the first earlier statistic it meets
        sql="""
        WITH figures AS (SELECT * FROM statistics WHERE figure_kind <> 'derived'),
        pairs AS (
          SELECT s.row_, s.statistic_id, s.value, s.qualifier_id,
                 a.statistic_id AS statistic_id_a, a.value AS value_a, a.qualifier_id AS qualifier_id_a,
                 CASE WHEN s.value IS NOT DISTINCT FROM a.value AND s.qualifier_id IS NOT DISTINCT FROM a.qualifier_id
                       AND s.lower_bound IS NOT DISTINCT FROM a.lower_bound
                       AND s.upper_bound IS NOT DISTINCT FROM a.upper_bound THEN 'same' ELSE 'differ' END AS case_,
                 ROW_NUMBER() OVER (PARTITION BY s.row_ ORDER BY a.row_) AS n_
          FROM figures AS s JOIN figures AS a
            ON a.indicator_id IS NOT DISTINCT FROM s.indicator_id AND a.geography_id IS NOT DISTINCT FROM s.geography_id
           AND a.period_start IS NOT DISTINCT FROM s.period_start AND a.period_end IS NOT DISTINCT FROM s.period_end
           AND a.statistic_id < s.statistic_id
          WHERE NOT EXISTS (SELECT 1 FROM discrepancies AS d
                            WHERE d.statistic_id = a.statistic_id AND d.other_statistic_id = s.statistic_id)
            AND NOT EXISTS (SELECT 1 FROM discrepancies AS d
                            WHERE d.statistic_id = s.statistic_id AND d.other_statistic_id = a.statistic_id))
        SELECT 'statistics' AS tbl, row_, 'value' AS col, statistic_id, value, qualifier_id,
               statistic_id_a, value_a, qualifier_id_a, case_
        FROM pairs WHERE n_ = 1
        """,
        example=Example((delete("discrepancies", "D001"),), (("statistics", "S013", "value"),)),
    ),
]
