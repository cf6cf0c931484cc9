"""The tables that carry dates, and what the date rules join, found once in Python: where each recorded
expression stands in each passage that may state it (`date_places`), and what each distinct expression resolves to
against its anchor (`date_resolutions`, by dates.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..dates import DateError, bounded_before, resolve
from .cells import CELL, PASSAGE_TABLES, SUBJECT


@dataclass(frozen=True)
class Dated:
    """A table whose rows carry dates with the words that state them."""

    table: str
    field: str
    start: str
    end: str
    precision: str
    expression: str
    anchor: str

    @property
    def family(self) -> str:
        return CELL[self.field].family

    @property
    def subject(self) -> str:
        return SUBJECT[self.family]

    @property
    def future(self) -> pl.Expr:
        """Whether the subject lies ahead of its anchor (a planned event): a bare month is then the next one."""
        if self.table != "events":
            return pl.lit(False)
        return pl.col("status").cast(pl.String).is_in(["planned", "announced"]).fill_null(False)


DATED = [
    Dated(
        "statistics",
        "statistics.period",
        "period_start",
        "period_end",
        "period_precision",
        "period_expression",
        "period_anchor_id",
    ),
    Dated("events", "events.dates", "date_start", "date_end", "date_precision", "date_expression", "date_anchor_id"),
    Dated(
        "sources",
        "sources.published",
        "published_start",
        "published_end",
        "date_precision",
        "date_expression",
        "date_anchor_id",
    ),
]


def as_text(column: str) -> pl.Expr:
    """A column as text: ids and expressions are held as categoricals."""
    return pl.col(column).cast(pl.String)


def _dated_rows(ctx: Any, d: Dated) -> pl.DataFrame:
    """The rows with an expression that the dates rule checks (subject, expression): their anchor is a source (a
    dangling one fails ref.foreign_key), they are not derived (a derived period is the derivation's), and they have
    evidence. The expression stays categorical: its codes are compared, not its text."""
    f = ctx.frames
    rows = f[d.table].select(
        subject=as_text(d.subject),
        expression=d.expression,
        anchor=d.anchor,
        derived=(pl.col("figure_kind") == "derived") if d.table == "statistics" else pl.lit(False),
    )
    known = pl.col("anchor").is_null() | pl.col("anchor").is_in(f["sources"]["source_id"].implode())
    rows = rows.filter(pl.col("expression").is_not_null() & known & ~pl.col("derived").fill_null(False))
    if d.family in ("statistic", "event"):
        table, column, _ = PASSAGE_TABLES[d.family]
        rows = rows.join(f[table].select(subject=as_text(column)), on="subject", how="semi")
    return rows.select("subject", "expression")


def _passages(ctx: Any, d: Dated) -> pl.DataFrame:
    """(subject, text, start, document_id): the passages a row's dates may be stated in (as basis.passages)."""
    table, subject, document = PASSAGE_TABLES[d.family]
    evidence = ctx.frames[table].select(
        subject=as_text(subject), text="quote", start="quote_start", document_id=document
    )
    context = (
        ctx.frames["bases"]
        .filter((pl.col("field") == d.field) & pl.col("quote").is_not_null())
        .select(
            subject=pl.coalesce(*[as_text(c) for c in SUBJECT.values()]),
            text="quote",
            start="quote_start",
            document_id="document_id",
        )
    )
    return pl.concat([evidence, context])


def _expression_passages(ctx: Any) -> pl.DataFrame:
    """(expression, text, start, document_id): each distinct expression of a row with each distinct passage of it.
    Distinct while categorical, then cast: a string per row of the join is what took the time."""
    found = pl.concat(
        [
            _dated_rows(ctx, d)
            .join(_passages(ctx, d), on="subject")
            .select("expression", "text", "start", "document_id")
            .unique()
            for d in DATED
        ]
    ).unique()
    return found.select(as_text("expression"), as_text("text"), "start", as_text("document_id"))


def _places(pairs: pl.DataFrame) -> pl.DataFrame:
    """date_places of the distinct (text, expression) pairs."""
    found = [
        (text, e, m.start(), w if (w := bounded_before(text, m.start())) and not e.lower().startswith(w) else None)
        for text, e in pairs.select("text", "expression").unique().iter_rows()
        for m in re.finditer(re.escape(e), text)
    ]
    return pl.DataFrame(
        found,
        orient="row",
        schema={"text": pl.String, "expression": pl.String, "position": pl.Int64, "bound": pl.String},
    )


def date_places(ctx: Any) -> pl.DataFrame:
    """(text, expression, position, bound): every place in a passage that holds an expression recorded for a row
    the passage may state, with the bounding word before it that the expression leaves out ('by' before a year
    recorded as '2019'), if any."""
    return _places(_expression_passages(ctx))


def date_resolutions(ctx: Any) -> pl.DataFrame:
    """(expression, anchor, future, resolved_start, resolved_end, resolved_precision, error): each distinct
    expression, anchor and direction of the dated tables resolved (dates.py) against the anchor's publication dates,
    or the reason it cannot be."""
    sources = ctx.frames["sources"].select(
        anchor=as_text("source_id"), a_start="published_start", a_end="published_end"
    )
    keys = pl.concat(
        [
            ctx.frames[d.table].select(expression=as_text(d.expression), anchor=as_text(d.anchor), future=d.future)
            for d in DATED
        ]
    ).unique()
    out = []
    for expression, anchor, future, a_start, a_end in keys.join(
        sources.unique("anchor", keep="first"), on="anchor", how="left"
    ).iter_rows():
        try:
            got = resolve(expression, (a_start, a_end) if a_end is not None else None, future)
            out.append((expression, anchor, future, got.start, got.end, got.precision, None))
        except DateError as err:
            out.append((expression, anchor, future, None, None, None, str(err)))
    schema = {
        "expression": pl.String,
        "anchor": pl.String,
        "future": pl.Boolean,
        "resolved_start": pl.Date,
        "resolved_end": pl.Date,
        "resolved_precision": pl.String,
        "error": pl.String,
    }
    return pl.DataFrame(out, orient="row", schema=schema)


def date_expression_spans(ctx: Any) -> pl.DataFrame:
    """Where in each document a recorded date expression stands: (document_id, start, end)."""
    passages = _expression_passages(ctx)
    found = passages.join(_places(passages).select("text", "expression", "position"), on=["text", "expression"])
    start = pl.col("start") + pl.col("position")
    end = start + pl.col("expression").str.len_chars()
    return found.select("document_id", start=start, end=end).drop_nulls().unique()
