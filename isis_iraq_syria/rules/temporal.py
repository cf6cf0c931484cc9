"""Time: periods and dates are ordered, match their precision, and come before the reports of them."""

from __future__ import annotations

import polars as pl

from ..report import Failure, fmt
from .base import Context, Rule

DATED = [  # (table, start column, end column, precision column)
    ("statistics", "period_start", "period_end", "period_precision"),
    ("events", "date_start", "date_end", "date_precision"),
    ("sources", "published_start", "published_end", "date_precision"),
]


def check_period_order(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for table, start, end, _ in DATED:
        out += ctx.flag(table, pl.col(start) > pl.col(end), end, rule, lambda r, s=start, e=end: f"{fmt(r[s])} > {fmt(r[e])}",
                        lambda r, s=start, e=end: f"{e} {fmt(r[e])} is before {s} {fmt(r[s])}.")
    return out


# unit -> its length in months (units start in January): a date starts a unit when it is the first day of a month
# that many months after a January; it ends one when the next day starts one. Calendar fields, not truncation to
# each unit in turn: a few passes instead of twenty at a million rows.
UNIT_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def starts_unit(date: pl.Expr, precision: str) -> pl.Expr:
    """Whether the date is the first day of a day, month, quarter, half-year or year, as its precision says (false for
    a precision that is none of these)."""
    months = pl.col(precision).replace_strict(UNIT_MONTHS, default=None, return_dtype=pl.Int8)
    return (pl.col(precision) == "day") | ((date.dt.day() == 1) & ((date.dt.month() - 1) % months == 0)).fill_null(False)


def ends_unit(date: pl.Expr, precision: str) -> pl.Expr:
    """Whether the date is the last day of a unit of its precision: the next day starts one."""
    return starts_unit((date.to_physical() + 1).cast(pl.Date), precision)  # days since 1970: the next day is one more


def check_precision_matches_dates(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for table, start, end, precision in DATED:
        unknown = pl.col(precision) == "unknown"
        # an open start is a bound ('by 2019'), an open end a start only ('since 2017'): one of them is enough
        bad = (
            (unknown & (pl.col(start).is_not_null() | pl.col(end).is_not_null()))
            | (~unknown & pl.col(start).is_null() & pl.col(end).is_null())
            | (~unknown & pl.col(start).is_not_null() & ~starts_unit(pl.col(start), precision))
            | (~unknown & pl.col(end).is_not_null() & ~ends_unit(pl.col(end), precision))
        )
        out += ctx.flag(table, bad, precision, rule,
                        lambda r, s=start, e=end, p=precision: f"{fmt(r[s])}..{fmt(r[e])} {r[p]}",
                        lambda r, s=start, e=end, p=precision: (
                            f"{s} must be the first day and {e} the last day of a {r[p]}, and at least one of them is given"
                            if r[p] != "unknown" else f"with precision unknown, {s} and {e} must be empty") + ".")
    return out


def _after_report(ctx: Context, rule: Rule, table: str, subject: str, subject_table: str, date_column: str, exempt: pl.Expr | None) -> list[Failure]:
    published = ctx.frames["sources"].select("source_id", "published_end")
    frame = ctx.join_rows(ctx.rows(table, subject, "source_id", "cited_source_id"), table, subject, subject_table, subject,
                          {"dated": date_column} | ({"status": "status"} if exempt is not None else {}))
    out = []
    for column in ("source_id", "cited_source_id"):
        joined = frame.join(published.rename({"source_id": column, "published_end": "reported"}), on=column, how="left")
        condition = pl.col("dated") > pl.col("reported")
        if exempt is not None:
            condition &= ~exempt.fill_null(False)
        out += ctx.report(table, joined.filter(condition.fill_null(False)), column, rule,
                          lambda r: f"{fmt(r['dated'])} > {fmt(r['reported'])}",
                          lambda r, c=column: f"{r[subject]} is dated {fmt(r['dated'])}, after {r[c]} was published ({fmt(r['reported'])}).")
    return out


def check_period_before_report(ctx: Context, rule: Rule) -> list[Failure]:
    return _after_report(ctx, rule, "statistic_evidence", "statistic_id", "statistics", "period_end", None)


def check_event_before_report(ctx: Context, rule: Rule) -> list[Failure]:
    return _after_report(ctx, rule, "event_evidence", "event_id", "events", "date_start", pl.col("status").is_in(["planned", "announced"]))


def check_citation_order(ctx: Context, rule: Rule) -> list[Failure]:
    sources = ctx.frames["sources"]
    frame = (ctx.rows("citations")
             .join(sources.select(pl.col("source_id").alias("cited_source_id"), pl.col("published_start").alias("cited")), on="cited_source_id", how="left")
             .join(sources.select(pl.col("source_id").alias("citing_source_id"), pl.col("published_end").alias("citing")), on="citing_source_id", how="left"))
    return ctx.report("citations", frame.filter((pl.col("cited") > pl.col("citing")).fill_null(False)), "cited_source_id", rule,
                      lambda r: f"{fmt(r['cited'])} > {fmt(r['citing'])}",
                      lambda r: f"{r['citing_source_id']} cites {r['cited_source_id']}, published after it ({fmt(r['cited'])}).")


RULES: list[Rule] = [
    Rule("time.period_order", "A period or date range does not end before it starts.", check_period_order, tables=("statistics", "events", "sources")),
    Rule("time.precision_matches_dates", "Start and end fall on the first and last day of a unit of the stated precision; unknown precision means no dates.", check_precision_matches_dates, tables=("statistics", "events", "sources")),
    Rule("time.period_before_report", "A reported period ends on or before the publication of each source that reports it.", check_period_before_report, tables=("statistic_evidence", "statistics", "sources")),
    Rule("time.event_before_report", "An event starts on or before the publication of each source that reports it, unless planned or announced.", check_event_before_report, tables=("event_evidence", "events", "sources")),
    Rule("time.citation_order", "No document cites a source published after it.", check_citation_order, tables=("citations", "sources")),
]
