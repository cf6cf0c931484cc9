"""Provenance: values, qualifiers and quotes are found in their documents, and documents agree or say they differ."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import polars as pl

from ..report import Failure, fmt
from .base import EVIDENCE, PERIOD, ROW, Context, Rule, in_, text_code

NUMBER_WORDS = {"once": 1, "one": 1, "single": 1, "double": 2, "twice": 2, "two": 2, "three": 3, "triple": 3, "four": 4,
                "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "dozen": 12, "hundred": 100, "thousand": 1000}
_THOUSANDS = r"(\d),(\d{3})(\D|$)"


_WORDS = r"(?i)\b(?:" + "|".join(NUMBER_WORDS) + r")\b"


def numbers_expr(text: pl.Expr) -> pl.Expr:
    """Every number a quote states, with thousands separators and number words ('double' is 2), as a list."""
    plain = text.str.replace_all(_THOUSANDS, "${1}${2}${3}").str.replace_all(_THOUSANDS, "${1}${2}${3}")  # twice: 1,000,000
    digits = plain.str.extract_all(r"\d+(?:\.\d+)?").cast(pl.List(pl.Float64))
    words = text.str.extract_all(_WORDS).list.eval(
        pl.element().str.to_lowercase().replace_strict(NUMBER_WORDS, default=None, return_dtype=pl.Float64)).list.drop_nulls()
    return pl.concat_list(digits, words)


def numbers_in(text: str) -> set[float]:
    return set(pl.select(numbers_expr(pl.lit(text))).item().to_list())


def _quoted(ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    """statistic_evidence as numbers: (row_ of the statistic, quote_id), and the distinct quotes (quote_id, quote).
    A quote often states several figures: each distinct quote is examined once, and no join copies its text."""
    def compute() -> tuple[pl.DataFrame, pl.DataFrame]:
        evidence = ctx.frames["statistic_evidence"]
        # a quote's code numbers it, and only the distinct texts are ever read as text
        link = (ctx.join_rows(ctx.rows("statistic_evidence").select(ROW, quote_id=text_code()), "statistic_evidence", "statistic_id",
                              "statistics", "statistic_id", {"statistic_row_": None}, how="inner")
                .select(pl.col("statistic_row_").alias(ROW), "quote_id"))  # the statistic's row, by position
        quotes = evidence.select(pl.col("quote").unique().drop_nulls()).select(quote_id=text_code(), quote=pl.col("quote").cast(pl.String))
        return link, quotes
    return ctx.shared("quoted", compute)


def check_value_in_quote(ctx: Context, rule: Rule) -> list[Failure]:
    link, quotes = _quoted(ctx)
    numbers = quotes.select("quote_id", number=numbers_expr(pl.col("quote"))).explode("number")
    stats = ctx.rows("statistics", "value", "figure_kind")
    stated = (link.join(stats.select(ROW, "value"), on=ROW)
              .join(numbers, left_on=["quote_id", "value"], right_on=["quote_id", "number"], how="semi"))
    bad = stats.filter(pl.col("value").is_not_null() & (pl.col("figure_kind") != "derived")
                       & in_(ROW, link[ROW]) & ~in_(ROW, stated[ROW]))
    return ctx.report("statistics", bad, "value", rule, lambda r: fmt(r["value"]),
                      lambda r: f"The value {fmt(r['value'])} appears in none of the statistic's quotes.")


def check_qualifier_in_quote(ctx: Context, rule: Rule) -> list[Failure]:
    qualifiers = ctx.frames["qualifiers"].filter(pl.col("phrase").is_not_null())
    patterns = qualifiers.select("qualifier_id", "phrase",
                                 pattern=pl.Series([rf"(?i)\b{re.escape(p)}\b" for p in qualifiers["phrase"]], dtype=pl.String))
    link, quotes = _quoted(ctx)
    stats = ctx.rows("statistics", "qualifier_id").join(patterns, on="qualifier_id")
    evidence = link.join(stats.select(ROW, "qualifier_id"), on=ROW)
    # each distinct (quote, words) pair is searched once
    pairs = (evidence.select("quote_id", "qualifier_id").unique().join(quotes, on="quote_id").join(patterns, on="qualifier_id")
             .filter(pl.col("quote").str.contains(pl.col("pattern"))).select("quote_id", "qualifier_id"))
    found = evidence.join(pairs, on=["quote_id", "qualifier_id"], how="semi")
    bad = stats.filter(in_(ROW, evidence[ROW]) & ~in_(ROW, found[ROW]))
    return ctx.report("statistics", bad, "qualifier_id", rule, lambda r: f"{r['qualifier_id']} ({r['phrase']!r})",
                      lambda r: f"The qualifier's words {r['phrase']!r} appear in none of the statistic's quotes.")


def load_archive(folder: Path) -> dict[str, str]:
    """Each file in the archive folder by the sha256 of its bytes."""
    docs = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        raw = path.read_bytes()
        docs[hashlib.sha256(raw).hexdigest()] = raw.decode("utf-8", errors="replace")
    return docs


def check_document_in_archive(ctx: Context, rule: Rule) -> list[Failure]:
    archived = pl.Series(list(ctx.archive or {}), dtype=pl.String)
    return ctx.flag("sources", pl.col("text_sha256").is_not_null() & ~in_("text_sha256", archived), "text_sha256", rule,
                    lambda r: r["text_sha256"], lambda r: "No file in the archive has this sha256: the document is missing or was changed.")


def archived_texts(ctx: Context) -> dict[str, str]:
    """The archived text of each document (source_id -> text), for the documents the archive holds."""
    def compute() -> dict[str, str]:
        rows = ctx.frames["sources"].filter(pl.col("text_sha256").is_not_null()).select("source_id", "text_sha256").iter_rows()
        return {source: (ctx.archive or {})[sha] for source, sha in rows if sha in (ctx.archive or {})}
    return ctx.shared("archived_texts", compute)


def check_quote_in_archive(ctx: Context, rule: Rule) -> list[Failure]:
    texts = archived_texts(ctx)
    out = []
    for q in EVIDENCE:
        table, column, quote = q.table, q.document, q.quote
        # each document's distinct quotes are searched once: quotes repeat across rows (a unique over the
        # (document, quote) pairs would copy every quote into a row encoding first)
        missing = [(document, text) for document, quotes in ctx.frames[table].group_by(column).agg(pl.col(quote).unique()).iter_rows()
                   if document in texts for text in quotes if text is not None and text not in texts[document]]
        if not missing:
            continue
        missing = pl.DataFrame(missing, schema={column: pl.String, quote: pl.String}, orient="row").cast({c: ctx.frames[table].schema[c] for c in (column, quote)})
        bad = ctx.rows(table, column, quote).filter(in_(quote, missing[quote])).join(missing, on=[column, quote])
        out += ctx.report(table, bad, quote, rule, lambda r, q=quote: r[q][:60],
                          lambda r, c=column: f"The quote is not found verbatim in the archived text of {r[c]}.")
    return out


def check_quote_span(ctx: Context, rule: Rule) -> list[Failure]:
    texts = archived_texts(ctx)
    out = []
    for q in EVIDENCE:
        frame = ctx.frames[q.table].select(q.document, q.quote, q.start, q.end)
        # distinct spans, sliced once each: replicated rows share them. A quote found nowhere in its document fails
        # prov.quote_in_archive; this rule is for quotes that are there, but not where their span says.
        spans = frame.filter(pl.col(q.document).is_in(list(texts)) & pl.col(q.quote).is_not_null()).unique()
        wrong = [(d, text, s, e, texts[d][s:e] if s is not None and e is not None else None)
                 for d, text, s, e in spans.iter_rows() if text in texts[d] and (s is None or e is None or texts[d][s:e] != text)]
        if not wrong:
            continue
        wrong = (pl.DataFrame(wrong, schema={q.document: pl.String, q.quote: pl.String, q.start: pl.Int64, q.end: pl.Int64, "found": pl.String}, orient="row")
                 .cast({c: frame.schema[c] for c in (q.document, q.quote)}))
        bad = ctx.rows(q.table, q.document, q.quote, q.start, q.end).join(wrong, on=[q.document, q.quote, q.start, q.end], nulls_equal=True)
        out += ctx.report(q.table, bad, q.start, rule, lambda r, q=q: f"{fmt(r[q.start])}:{fmt(r[q.end])} holds {fmt(r['found'])[:40]!r}",
                          lambda r, q=q: (f"The text at {fmt(r[q.start])}:{fmt(r[q.end])} of {r[q.document]} is not the quote."
                                          if r[q.start] is not None and r[q.end] is not None else "The quote has no span: give its start and end offsets."))
    return out


def check_cross_source(ctx: Context, rule: Rule) -> list[Failure]:
    key = ["indicator_id", "geography_id", *PERIOD]
    figure = ["value", "qualifier_id", "lower_bound", "upper_bound"]
    stats = ctx.rows("statistics", "statistic_id", "figure_kind", *key, *figure).filter(pl.col("figure_kind") != "derived").drop("figure_kind")
    multi = stats.filter(pl.len().over(key) > 1)
    if multi.is_empty():
        return []
    disc = ctx.frames["discrepancies"].select("statistic_id", "other_statistic_id").drop_nulls()
    known = pl.concat([disc, disc.select(pl.col("other_statistic_id").alias("statistic_id"), pl.col("statistic_id").alias("other_statistic_id"))])
    pairs = (multi.join(multi.drop(ROW), on=key, suffix="_a", nulls_equal=True)
             .filter(pl.col("statistic_id_a") < pl.col("statistic_id"))
             .join(known.rename({"statistic_id": "statistic_id_a", "other_statistic_id": "statistic_id"}), on=["statistic_id_a", "statistic_id"], how="anti")
             .with_columns(same=pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_a")) for c in figure])))
    return ctx.report("statistics", pairs, "value", rule,
                      lambda r: f"{r['statistic_id_a']}: {fmt(r['qualifier_id_a'])} {fmt(r['value_a'])}; {r['statistic_id']}: {fmt(r['qualifier_id'])} {fmt(r['value'])}",
                      lambda r: (f"{r['statistic_id_a']} and {r['statistic_id']} state the same figure for the same indicator, geography and period: make them one statistic with two evidence rows."
                                 if r["same"] else
                                 f"{r['statistic_id_a']} and {r['statistic_id']} disagree for the same indicator, geography and period, and no discrepancy records it."))


RULES: list[Rule] = [
    Rule("prov.value_in_quote", "The value of a statistic appears in at least one of its quotes (thousands separators and number words allowed).", check_value_in_quote, tables=("statistics", "statistic_evidence"), prose=("statistic_evidence.quote",)),
    Rule("prov.qualifier_in_quote", "The words of a statistic's qualifier appear in at least one of its quotes.", check_qualifier_in_quote, tables=("statistics", "statistic_evidence", "qualifiers"), prose=("statistic_evidence.quote",)),
    Rule("prov.document_in_archive", "With --archive: every archived document's sha256 matches a file in the archive.", check_document_in_archive, stage="archive", tables=("sources",)),
    Rule("prov.quote_in_archive", "With --archive: every quote is found verbatim in its document's archived text.", check_quote_in_archive, stage="archive", tables=("sources",) + tuple(q.table for q in EVIDENCE), prose=tuple(f"{q.table}.{q.quote}" for q in EVIDENCE)),
    Rule("prov.quote_span", "With --archive: the text at each quote's recorded offsets (start, end) in its document is the quote.", check_quote_span, stage="archive", tables=("sources",) + tuple(q.table for q in EVIDENCE), prose=tuple(f"{q.table}.{q.quote}" for q in EVIDENCE)),
    Rule("agree.cross_source", "Figures for the same indicator, geography and period agree, or a discrepancy records the difference.", check_cross_source, tables=("statistics", "discrepancies")),
]
