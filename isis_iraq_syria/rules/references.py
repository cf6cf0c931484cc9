"""References: every statistic and event has evidence, and evidence comes from archived documents."""

from __future__ import annotations

import polars as pl

from ..report import Failure
from .base import EVIDENCE, Context, Rule, in_, unmatched


def check_statistic_has_evidence(ctx: Context, rule: Rule) -> list[Failure]:
    derived = pl.col("figure_kind") == "derived"
    out = ctx.report("statistics", unmatched(ctx, "statistics", "statistic_id", "statistic_evidence", "figure_kind").filter(~derived),
                     "statistic_id", rule, lambda r: r["statistic_id"], lambda r: "No statistic_evidence row links this statistic to a document.")
    out += ctx.report("statistics", unmatched(ctx, "statistics", "statistic_id", "derivation_inputs", "figure_kind").filter(derived),
                      "statistic_id", rule, lambda r: r["statistic_id"], lambda r: "This derived statistic has no derivation_inputs row.")
    return out


def check_event_has_evidence(ctx: Context, rule: Rule) -> list[Failure]:
    return ctx.report("events", unmatched(ctx, "events", "event_id", "event_evidence"), "event_id", rule, lambda r: r["event_id"],
                      lambda r: "No event_evidence row links this event to a document.")


def _documents(ctx: Context) -> pl.Series:
    return ctx.frames["sources"].filter(pl.col("text_sha256").is_not_null())["source_id"]


def check_evidence_from_document(ctx: Context, rule: Rule) -> list[Failure]:
    known, documents = ctx.frames["sources"]["source_id"], _documents(ctx)
    out = []
    for quoted in EVIDENCE:
        table, column = quoted.table, quoted.document
        out += ctx.flag(table, in_(column, known) & ~in_(column, documents), column, rule, lambda r, c=column: r[c],
                        lambda r, c=column: f"{r[c]} is not an archived document (it has no text_sha256), so its quote cannot be checked.")
    return out


RULES: list[Rule] = [
    Rule("ref.statistic_has_evidence", "Every statistic has evidence from a document, or inputs if it is derived.", check_statistic_has_evidence, tables=("statistics", "statistic_evidence", "derivation_inputs")),
    Rule("ref.event_has_evidence", "Every event has evidence from a document.", check_event_has_evidence, tables=("events", "event_evidence")),
    Rule("ref.evidence_from_document", "Quotes come from archived documents (sources with a text_sha256).", check_evidence_from_document, tables=("sources",) + tuple(q.table for q in EVIDENCE)),
]
