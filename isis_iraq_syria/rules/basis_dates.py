"""Basis of the dates: dates are recorded with the words that state them (an expression found in a quote of the row's
evidence or basis) and, for a relative expression, the document whose date it is resolved against. Each distinct
expression and anchor is resolved once (`date_resolutions`) and each distinct expression found in each distinct passage
once (`date_places`), both in date_texts.py; the rule compares them with the recorded dates. With --archive, every
number and date expression of each document must be accounted for (basis.document_coverage).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from .cells import evidenced, inferred, passages
from .date_texts import DATED, Dated, as_text, date_expression_spans, date_places, date_resolutions
from .model import Example, Rule, delete, edit
from .provenance import NUMBER_WORDS, archived_texts

DERIVED = {"date_places": date_places, "date_resolutions": date_resolutions}


# --- the rule ------------------------------------------------------------------------------------------------------


def _dated(d: Dated) -> str:
    """The rows the rule checks (as _dated_rows), their columns under common names and their own names beside."""
    derived = "AND x.figure_kind <> 'derived'" if d.table == "statistics" else ""
    future = "coalesce(x.status IN ('planned', 'announced'), FALSE)" if d.table == "events" else "FALSE"
    return f"""
        SELECT '{d.table}' AS tbl, x.row_, '{d.field}' AS field, x.{d.subject} AS subject, x.{d.start} AS d_start,
               x.{d.end} AS d_end, CAST(x.{d.precision} AS VARCHAR) AS precision, x.{d.expression} AS expression,
               x.{d.anchor} AS anchor, {future} AS future, {inferred(d.field, "x." + d.subject)} AS inferred,
               (x.{d.start} IS NOT NULL OR x.{d.end} IS NOT NULL) AS dated,
               '{d.expression}' AS expression_col, '{d.anchor}' AS anchor_col, '{d.start}' AS start_col
        FROM {d.table} AS x
        WHERE (x.{d.anchor} IS NULL OR EXISTS (SELECT 1 FROM sources AS k WHERE k.source_id = x.{d.anchor})) {derived}
          AND {evidenced(d.family, "x." + d.subject, True)}"""


SHOWN = "coalesce(strftime(z.resolved_{0}, '%Y-%m-%d'), 'no {0}')"
# the columns of `dated`, which every case returns first
COLUMNS = (
    "tbl, row_, field, subject, d_start, d_end, precision, expression, anchor, future, inferred, dated, "
    "expression_col, anchor_col, start_col"
)
DATES_SQL = f"""
WITH dated AS ({" UNION ALL ".join(_dated(d) for d in DATED)}),
passages AS ({" UNION ALL ".join(f"SELECT '{d.field}' AS field, p.* FROM ({passages(d.field)}) AS p" for d in DATED)}),
-- each row with each of its passages that holds its expression; a semi-join, so that no row meets every passage
-- that holds its expression, whoever's it is
placed AS (SELECT d.tbl, d.row_, d.anchor, d.expression, p.text, p.document_id FROM dated AS d
           JOIN passages AS p ON p.field = d.field AND p.subject = d.subject
           WHERE d.expression IS NOT NULL
             AND EXISTS (SELECT 1 FROM date_places AS x WHERE x.text = p.text AND x.expression = d.expression)),
-- per row: whether the anchor's own document holds it, and the bounding word before it, if any
hits AS (SELECT h.tbl, h.row_, max(CASE WHEN h.document_id = h.anchor THEN 1 ELSE 0 END) AS anchored,
                min(x.bound) AS word
         FROM placed AS h LEFT JOIN date_places AS x
           ON x.text = h.text AND x.expression = h.expression AND x.bound IS NOT NULL
         GROUP BY h.tbl, h.row_),
checked AS (SELECT d.*, h.row_ IS NOT NULL AS quoted, coalesce(h.anchored, 0) = 1 AS anchored, h.word AS bound
            FROM dated AS d LEFT JOIN hits AS h ON h.tbl = d.tbl AND h.row_ = d.row_),
failing AS (
    SELECT {COLUMNS}, expression_col AS col, 'no_words' AS case_, NULL AS word FROM checked
    WHERE dated AND expression IS NULL AND NOT inferred
    UNION ALL
    SELECT {COLUMNS}, expression_col, 'no_dates', NULL FROM checked WHERE NOT dated AND expression IS NOT NULL
    UNION ALL
    SELECT {COLUMNS}, expression_col, 'not_quoted', NULL FROM checked WHERE expression IS NOT NULL AND NOT quoted
    UNION ALL
    -- a stated relative expression is resolved against the date of the document that states it
    SELECT {COLUMNS}, anchor_col, 'relative', NULL FROM checked
    WHERE expression IS NOT NULL AND NOT inferred AND NOT regexp_matches(expression, '[0-9]{{4}}')
      AND quoted AND NOT anchored
    UNION ALL
    SELECT {COLUMNS}, expression_col, 'bound', bound FROM checked WHERE bound IS NOT NULL)
SELECT f.*, NULL AS error, NULL AS want_start, NULL AS want_end, NULL AS want_precision,
       NULL AS shown_start, NULL AS shown_end FROM failing AS f
UNION ALL
SELECT {", ".join("d." + c for c in COLUMNS.split(", "))},
       CASE WHEN z.error IS NULL THEN d.start_col ELSE d.expression_col END,
       CASE WHEN z.error IS NOT NULL THEN 'unresolvable' WHEN d.expression IS NULL THEN 'wrong_as_of'
            WHEN d.anchor IS NULL THEN 'wrong' ELSE 'wrong_against' END,
       NULL, z.error, z.resolved_start, z.resolved_end, z.resolved_precision, {SHOWN.format("start")},
       {SHOWN.format("end")}
FROM dated AS d JOIN date_resolutions AS z
  ON z.expression IS NOT DISTINCT FROM d.expression AND z.anchor IS NOT DISTINCT FROM d.anchor AND z.future = d.future
WHERE d.dated AND (d.expression IS NOT NULL OR d.anchor IS NOT NULL)
  AND (z.error IS NOT NULL OR d.d_start IS DISTINCT FROM z.resolved_start OR d.d_end IS DISTINCT FROM z.resolved_end
       OR d.precision IS DISTINCT FROM z.resolved_precision)
"""
GIVES = " gives {shown_start} to {shown_end} ({want_precision}), not the recorded dates."
RECOMPUTED = "{d_start}..{d_end} {precision} != {want_start}..{want_end} {want_precision}"


# --- coverage of each document -------------------------------------------------------------------------------------

ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
PLURAL_WORDS = {"dozens": None, "hundreds": None, "thousands": None, "millions": None}
_NUMBER_TOKEN = re.compile(r"(?<![0-9A-Za-z])([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)(?:st|nd|rd|th)?(?![0-9A-Za-z])")
_NUMBER_WORD = re.compile(
    r"\b("
    + "|".join(sorted({*NUMBER_WORDS, *ORDINAL_WORDS, *PLURAL_WORDS, "million"}, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|(?:this|last|next|previous|same|coming|past) (?:year|month|week|decade)"
    r"|years? (?:ago|past)|several (?:more )?(?:years|months|weeks|days)|today|yesterday|tomorrow"
    r"|[Rr]ecent(?:ly)?|[Aa]t (?:its|their|the) (?:peak|height))\b"
)


def document_tokens(text: str) -> list[tuple[int, int, str, float | None]]:
    """Every number (digits, number words) and date expression in a text: (start, end, text, value or None)."""
    out = [(m.start(1), m.end(), m[0], float(m[1].replace(",", ""))) for m in _NUMBER_TOKEN.finditer(text)]
    for m in _NUMBER_WORD.finditer(text):
        word = m[1].lower()
        out.append((m.start(), m.end(), m[0], NUMBER_WORDS.get(word, ORDINAL_WORDS.get(word))))
    out += [(m.start(), m.end(), m[0], None) for m in _DATE_WORDS.finditer(text)]
    return sorted(out)


def _valued_spans(ctx: Any) -> pl.DataFrame:
    """(source_id, quote_start, quote_end, value, phrase): the quotes of statistics and claims, with their value and
    the words of their qualifier."""
    f = ctx.frames
    figures = (
        f["statistic_evidence"]
        .select(as_text("statistic_id"), as_text("source_id"), "quote_start", "quote_end")
        .join(f["statistics"].select(as_text("statistic_id"), "value", as_text("qualifier_id")), on="statistic_id")
        .join(f["qualifiers"].select(as_text("qualifier_id"), as_text("phrase")), on="qualifier_id", how="left")
    )
    claims = f["claims"].select(
        as_text("source_id"), "quote_start", "quote_end", value="claimed_value", phrase=pl.lit(None, pl.String)
    )
    return pl.concat([figures.select("source_id", "quote_start", "quote_end", "value", "phrase"), claims]).unique()


def uncovered_tokens(ctx: Any) -> list[dict]:
    """Each number or date expression of an archived document that no valued quote, date expression or omission
    accounts for."""
    texts = archived_texts(ctx)
    spans, dates = _valued_spans(ctx), date_expression_spans(ctx)
    omitted = ctx.frames["omissions"].select(document_id=as_text("document_id"), start="start", end="end")
    rows = dict(ctx.frames["sources"].with_row_index("row_").select(as_text("source_id"), "row_").iter_rows())
    out = []
    for document, text in sorted(texts.items()):
        valued = spans.filter(pl.col("source_id") == document).drop("source_id").rows()
        plain = pl.concat([dates, omitted]).filter(pl.col("document_id") == document).select("start", "end").rows()
        for start, end, token, value in document_tokens(text):
            if any(s <= start and end <= e for s, e in plain):
                continue
            if any(
                s is not None
                and s <= start
                and end <= e
                and (
                    (value is not None and v is not None and abs(v - value) < 1e-9)
                    or (p and p.lower() == token.lower())
                )
                for s, e, v, p in valued
            ):
                continue
            out.append(
                {
                    "tbl": "sources",
                    "row_": rows[document],
                    "col": "text_sha256",
                    "token": token,
                    "start": start,
                    "end": end,
                    "document": document,
                }
            )
    return out


RULES: list[Rule] = [
    Rule(
        "basis.dates_stated",
        "Dates are stated by an expression in their quotes that resolves to them (relative ones against the stating "
        "document's date), or inferred with a note.",
        message={
            "no_words": "Dates are recorded without the words that state them: give the expression, or leave the "
            "dates empty.",
            "no_dates": "An expression is recorded but the dates are empty: resolve it, or leave both empty.",
            "not_quoted": "The expression {expression!r} is in no quote of the row's evidence or basis.",
            "relative": "{expression!r} is relative: stated, it is resolved against the date of the document whose "
            "quote holds it; resolved against another source's date it is an inference (record an "
            "inferred basis with a note).",
            "bound": "The quote says {word!r} {expression!r}: the word makes the date a bound, so it belongs in the "
            "expression.",
            "unresolvable": "The dates cannot be recomputed: {error}.",
            "wrong": "{expression!r}" + GIVES,
            "wrong_against": "{expression!r} resolved against {anchor}" + GIVES,
            "wrong_as_of": "As of the anchor's date resolved against {anchor}" + GIVES,
        },
        values={
            "no_words": "",
            "no_dates": "{expression}",
            "not_quoted": "{expression}",
            "relative": "{anchor}",
            "bound": "{expression}",
            "unresolvable": "{expression}",
            "wrong": RECOMPUTED,
            "wrong_against": RECOMPUTED,
            "wrong_as_of": RECOMPUTED,
        },
        sql=DATES_SQL,
        example=Example(
            (edit("statistics", "S001", period_start="2024-07-01", period_end="2024-12-31"),),
            (("statistics", "S001", "period_start"),),
            also=tuple(
                ("time.period_before_report", "statistic_evidence", key, column)
                for key, column in (
                    ("S001|doc-devdiscourse", "cited_source_id"),
                    ("S001|doc-devdiscourse", "source_id"),
                    ("S001|doc-shafaq-news", "cited_source_id"),
                )
            ),
        ),
    ),
    Rule(
        "basis.document_coverage",
        "With --archive: every number and date expression of each document is in a quote of a statistic or claim "
        "with that value, in a recorded date expression, or in an omission.",
        message="{token!r} at {start}:{end} of {document} is in no quote of a statistic or claim with that value, in "
        "no recorded date expression, and in no omission.",
        values="{token!r} at {start}",
        check=uncovered_tokens,
        stage="archive",
        # an omission removed: the clock time it accounted for is now recorded nowhere
        example=Example(
            (delete("omissions", {"document_id": "doc-devdiscourse", "start": "507"}),),
            (("sources", "doc-devdiscourse", "text_sha256"),),
            archive=True,
        ),
    ),
]
