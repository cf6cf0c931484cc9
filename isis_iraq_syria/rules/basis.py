"""Basis: every claim-bearing cell (a statistic's geography, period, asserting actor, kind and cited source; an
event's dates, places and actors; a source's publication date) is stated by the words of its quotes, or inferred
with a note, or empty.

A cell is stated when its words are in a quote of the row's evidence (no bases row is needed), or in a context
quote of the same document kept for it in `bases`. The words are data: the names of geographies and actors
(geography_names, actor_names), the words of each figure kind (figure_kinds), and the date expression recorded
with the dates, which the validator resolves (dates.py) and compares with the recorded dates. With --archive,
every number and date expression of each document must be accounted for (basis.document_coverage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ..dates import YEAR, DateError, bounded_before, resolve
from ..report import Failure, fmt
from .base import ROW, Context, Rule, in_, row_mask, text_code
from .provenance import NUMBER_WORDS, archived_texts

SUBJECT = {"statistic": "statistic_id", "event": "event_id", "source": "source_id"}
CAT = pl.Categorical  # items and documents are joined as categoricals: codes, not text (see Context.categorical)
KEYS = {"statistic": ("statistics", "statistic_id"), "event": ("events", "event_id"), "source": ("sources", "source_id")}
FAMILY_OF = {column: family for family, column in SUBJECT.items()} | {"cited_source_id": "source"}  # a subject column's family


def _subject(ctx: Context, table: str, column: str, family: str) -> pl.Series:
    """A column of subject ids as codes: the position of each id among its family's keys (null for an id that is not
    one), shared with the foreign-key check (Context.positions). Polars' global categories would keep a million ids
    each for good (230 MB for statistics and events), and an Enum of a million keys is slow to cast to; a join on the
    keys' positions is neither. Codes are compared within a family only."""
    return ctx.positions(table, column, *KEYS[family])


@dataclass(frozen=True)
class Cell:
    """A kind of claim-bearing cell: its bases.field, the family of its subject, and the bases column of its item."""
    field: str
    family: str
    item: str | None = None  # bases column naming which relation row (a place or actor of an event)


CELLS = [
    Cell("statistics.geography_id", "statistic"),
    Cell("statistics.period", "statistic"),
    Cell("statistics.asserted_by_actor_id", "statistic"),
    Cell("statistics.figure_kind", "statistic"),
    Cell("statistic_evidence.cited_source_id", "statistic"),
    Cell("event_evidence.cited_source_id", "event"),
    Cell("events.dates", "event"),
    Cell("event_geographies.geography_id", "event", "geography_id"),
    Cell("event_actors.actor_id", "event", "actor_id"),
    Cell("sources.published", "source"),
]
CELL = {c.field: c for c in CELLS}

PASSAGE_TABLES = [  # (family, table, subject column, document column): the evidence quotes a subject's cells are read in
    ("statistic", "statistic_evidence", "statistic_id", "source_id"),
    ("event", "event_evidence", "event_id", "source_id"),
    ("source", "citations", "cited_source_id", "citing_source_id"),
]
QUOTES = ("statistic_evidence.quote", "event_evidence.quote", "citations.quote", "bases.quote")
NAMES = ("geographies.name", "actors.name", "figure_kinds.words")  # the names and words quotes are searched for
EXPRESSIONS = ("statistics.period_expression", "events.date_expression", "sources.date_expression")


def _bases(ctx: Context) -> pl.DataFrame:
    """bases with its subject in one column, and its item (a place or actor) in another."""
    return ctx.shared("bases", lambda: ctx.rows("bases").with_columns(
        family=pl.col("field").replace_strict({c.field: c.family for c in CELLS}).cast(CAT),
        subject=pl.coalesce(*[_subject(ctx, "bases", SUBJECT[family], family) for family in SUBJECT]),
        item=pl.coalesce("geography_id", "actor_id").cast(CAT), document_id=ctx.categorical("bases", "document_id")))


def _evidenced(ctx: Context, frame: pl.DataFrame, family: str, table: str) -> pl.DataFrame:
    """The rows (of `table`, located by row_) whose subject has evidence: one with none already fails
    ref.statistic_has_evidence or ref.event_has_evidence, and its cells have no quote to be stated in. Which rows of
    a table have evidence is worked out once, as a mask, and shared."""
    evidence = {"statistic": "statistic_evidence", "event": "event_evidence"}.get(family)
    if evidence is None:
        return frame

    def mask() -> pl.Series:
        subjects = _bases(ctx)["subject"] if table == "bases" else _subject(ctx, table, SUBJECT[family], family)
        return subjects.is_in(_subject(ctx, evidence, SUBJECT[family], family).implode())
    return frame.filter(ctx.shared(f"evidenced:{table}:{family}", mask).gather(frame[ROW]))


def _known(ctx: Context, frame: pl.DataFrame, column: str, table: str, key: str) -> pl.DataFrame:
    """The rows whose reference in `column` resolves: a dangling one already fails ref.foreign_key, and one mistake
    gets one failure."""
    return frame.filter(pl.col(column).is_null() | in_(column, ctx.frames[table][key].cast(frame.schema[column])))


def _inferred(ctx: Context, field: str, *keys: str) -> pl.DataFrame:
    """The subjects (and items or documents) whose cell `field` has an inferred basis."""
    inferred = ctx.shared("inferred", lambda: _bases(ctx).select("field", "basis", "subject", "item", "document_id")
                        .filter(pl.col("basis") == "inferred").drop("basis"))  # selected first: a filter copies every column it keeps
    return inferred.filter(pl.col("field") == field).select(*keys)


PASSAGE = ["subject", "item", "text_id", "start", "document_id"]
TEXT_ID = text_code().alias("text_id")


def _evidence_passages(ctx: Context, family: str) -> pl.DataFrame:
    """The evidence quotes of a family's subjects as passages (subject, item, text_id, start, document_id); item is
    null: an evidence quote serves every cell of its subject."""
    def compute() -> pl.DataFrame:
        _, table, subject, document = next(p for p in PASSAGE_TABLES if p[0] == family)
        return ctx.frames[table].select(subject=_subject(ctx, table, subject, family), item=pl.lit(None, CAT), text_id=TEXT_ID,
                                        start=pl.col("quote_start"), document_id=ctx.categorical(table, document))
    return ctx.shared(f"evidence_passages:{family}", compute)


def _context_passages(ctx: Context) -> pl.DataFrame:
    """The context quotes of bases as passages, with the family and field of the cell each is for. An inferred
    basis's quote is a passage too: the words an inference rests on (its expression, say)."""
    return ctx.shared("context_passages", lambda: _bases(ctx)
                      .select("family", "field", *PASSAGE[:2], TEXT_ID, start=pl.col("quote_start"), document_id=pl.col("document_id"))
                      .filter(pl.col("text_id").is_not_null()))  # selected first: a filter copies every column it keeps


def _distinct_texts(ctx: Context) -> pl.DataFrame:
    """Each distinct passage text once (text_id, text): names and expressions are searched for in these only."""
    def compute() -> pl.DataFrame:
        tables = [table for _, table, _, _ in PASSAGE_TABLES] + ["bases"]
        parts = [ctx.frames[table].select(pl.col("quote").unique().drop_nulls()) for table in tables]
        return pl.concat(parts).unique().select(TEXT_ID, text=pl.col("quote").cast(pl.String))
    return ctx.shared("distinct_texts", compute)


def _word_pattern(words: list[str]) -> str:
    """One regex for all the words, longest first: at each place the longest name wins ('Iraqi Security Forces' is not
    'Iraqi'), and whole words only, with the case as written."""
    alternatives = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        left = r"\b" if word[:1].isalnum() else ""
        right = r"\b" if word[-1:].isalnum() else ""
        alternatives.append(f"{left}{re.escape(word)}{right}")
    return "(?:" + "|".join(alternatives) + ")" if alternatives else "(?!)"


def _names(ctx: Context) -> pl.DataFrame:
    """Every name of a geography or actor (its own name and its declared names): (name, geography_id, actor_id)."""
    def compute() -> pl.DataFrame:
        f = ctx.frames
        name = pl.col("name").cast(pl.String)  # a table's own name is free text (a categorical), a declared name a key
        geo = pl.concat([f[t].select(pl.col("geography_id").cast(CAT), name) for t in ("geographies", "geography_names")])
        actors = pl.concat([f[t].select(pl.col("actor_id").cast(CAT), name) for t in ("actors", "actor_names")])
        return pl.concat([geo.with_columns(actor_id=pl.lit(None, CAT)), actors.select(pl.lit(None, CAT).alias("geography_id"), "actor_id", "name")],
                         how="diagonal").unique()
    return ctx.shared("names", compute)


def _mentions(ctx: Context) -> pl.DataFrame:
    """(text_id, geography_id, actor_id) for every name found in a distinct passage."""
    def compute() -> pl.DataFrame:
        names = _names(ctx)
        texts = _distinct_texts(ctx)
        found = (texts.select("text_id", name=pl.col("text").str.extract_all(_word_pattern(names["name"].to_list())))
                 .explode("name").drop_nulls("name").unique())
        return found.join(names, on="name").select("text_id", pl.col("geography_id").cast(CAT), pl.col("actor_id").cast(CAT))
    return ctx.shared("mentions", compute)


def _kind_words(ctx: Context) -> pl.DataFrame:
    """(text_id, figure_kind) for every figure kind whose words are found in a distinct passage."""
    def compute() -> pl.DataFrame:
        kinds = (ctx.frames["figure_kinds"].select("figure_kind_id", word=pl.col("words").cast(pl.String).str.split("|"))
                 .explode("word").filter(pl.col("word").str.len_chars() > 0))
        texts = _distinct_texts(ctx)
        found = (texts.select("text_id", word=pl.col("text").str.extract_all(_word_pattern(kinds["word"].to_list())))
                 .explode("word").drop_nulls("word").unique())
        return found.join(kinds, on="word").select("text_id", figure_kind=pl.col("figure_kind_id").cast(CAT)).unique()
    return ctx.shared("kind_words", compute)


def _texts_for(ctx: Context, cell: Cell) -> pl.DataFrame:
    """The passages a cell of this kind may be stated in: its subject's evidence quotes and its own context quotes.
    The evidence passages of a family are selected once and shared; the context quotes are few."""
    context = _context_passages(ctx).filter(pl.col("field") == cell.field).select(PASSAGE)
    return pl.concat([_evidence_passages(ctx, cell.family), context], rechunk=False)


def _cells_not_stated(cells: pl.DataFrame, found: pl.Series, inferred: pl.DataFrame, inferred_on: list[str]) -> pl.DataFrame:
    """The cells (rows with row_) that are not among the `found` rows and have no inferred basis. The found rows are
    marked in a mask indexed by row (a scatter and a gather, no hashing)."""
    stated = row_mask(found, int(cells[ROW].max() or 0) + 1 if cells.height else 0)
    return cells.filter(~stated.gather(cells[ROW])).join(inferred, on=inferred_on, how="anti")


def _named(ctx: Context, cell: Cell, cells: pl.DataFrame, entity: str, value: str, parts: bool = False) -> pl.DataFrame:
    """The cells (their row_) one of whose passages names their value; a context quote counts only for its own
    item. With `parts`, naming an aggregate geography names each of its parts too: an event 'in Iraq and Syria'
    took place in each, while a figure for both is not a figure for either."""
    mentions = _mentions(ctx).select("text_id", entity).drop_nulls()
    if parts:
        split = ctx.frames["geography_parts"].select(geography_id=pl.col("aggregate_geography_id").cast(CAT), part=pl.col("part_geography_id").cast(CAT))
        mentions = pl.concat([mentions, mentions.join(split, on="geography_id").select("text_id", geography_id="part")]).unique()
    return _in_passages(cells, value, _texts_for(ctx, cell), mentions, entity)


def _in_passages(cells: pl.DataFrame, value: str, passages: pl.DataFrame, words: pl.DataFrame, entity: str) -> pl.Series:
    """The cells (their row_) whose `value` is among the `words` (text_id, entity) found in one of their subject's
    passages; a context quote counts only for its own item. The (subject, word) pairs the passages state are built
    first, each passage reaching its text's few words through the small table of words, and the cells are matched
    to them on one 8-byte code: joining the cells to their passages first made two rows a cell."""
    stated = (passages.select("subject", "item", "text_id").join(words, on="text_id")
              .filter(pl.col("item").is_null() | (pl.col("item") == pl.col(entity)))
              .select(pair=_pair("subject", entity)))
    return cells.select(ROW, pair=_pair("subject", value)).join(stated, on="pair", how="semi")[ROW]


def _pair(first: str, second: str) -> pl.Expr:
    """Two 4-byte codes (subject codes, categoricals) as one 8-byte code: a join on it hashes one integer, where a
    join on both columns encodes each row first. Null when either is."""
    return pl.col(first).to_physical().cast(pl.UInt64) * (1 << 32) + pl.col(second).to_physical().cast(pl.UInt64)


def _names_of(ctx: Context, entity: str) -> dict[str, str]:
    names = _names(ctx).drop_nulls(entity).group_by(entity).agg(pl.col("name").sort())
    return {k: ", ".join(repr(n) for n in v) for k, v in names.iter_rows()}


def check_geography_stated(ctx: Context, rule: Rule) -> list[Failure]:
    names = _names_of(ctx, "geography_id")
    stats = (ctx.rows("statistics", "figure_kind").with_columns(subject=_subject(ctx, "statistics", "statistic_id", "statistic"), geography_id=ctx.categorical("statistics", "geography_id"))
             .filter(pl.col("geography_id").is_not_null() & (pl.col("figure_kind") != "derived")))
    stats = _known(ctx, _evidenced(ctx, stats, "statistic", "statistics"), "geography_id", "geographies", "geography_id")
    bad = _cells_not_stated(stats, _named(ctx, CELL["statistics.geography_id"], stats, "geography_id", "geography_id"),
                            _inferred(ctx, "statistics.geography_id", "subject"), ["subject"])
    message = "No quote of the row's evidence or basis names {g} ({n}): give a context quote that does, or an inferred basis with a note, or leave it empty."
    out = ctx.report("statistics", bad, "geography_id", rule, lambda r: r["geography_id"],
                     lambda r: message.format(g=r["geography_id"], n=names.get(r["geography_id"], "no names")))
    places = ctx.rows("event_geographies").select(ROW, subject=_subject(ctx, "event_geographies", "event_id", "event"), geography_id=ctx.categorical("event_geographies", "geography_id"))
    places = _known(ctx, _evidenced(ctx, places, "event", "event_geographies"), "geography_id", "geographies", "geography_id")
    bad = _cells_not_stated(places, _named(ctx, CELL["event_geographies.geography_id"], places, "geography_id", "geography_id", parts=True),
                            _inferred(ctx, "event_geographies.geography_id", "subject", "item").rename({"item": "geography_id"}), ["subject", "geography_id"])
    return out + ctx.report("event_geographies", bad, "geography_id", rule, lambda r: r["geography_id"],
                            lambda r: message.format(g=r["geography_id"], n=names.get(r["geography_id"], "no names")))


def _own_voice(ctx: Context) -> pl.DataFrame:
    """(subject, actor) where a document reports the statistic in its own voice (no cited source) and the actor is
    its publisher."""
    return ctx.shared("own_voice", lambda: (
        ctx.frames["statistic_evidence"].select("cited_source_id", "source_id", subject=_subject(ctx, "statistic_evidence", "statistic_id", "statistic"))
        .filter(pl.col("cited_source_id").is_null())
        .join(ctx.frames["sources"].select("source_id", "publisher_actor_id"), on="source_id")
        .select("subject", actor=pl.col("publisher_actor_id").cast(CAT)).drop_nulls()))


def _own_voiced(ctx: Context, stats: pl.DataFrame) -> pl.Series:
    """The statistics (their row_) reported in its own voice by a document their asserting actor publishes."""
    voices = _own_voice(ctx).select(pair=_pair("subject", "actor"))
    return stats.select(ROW, pair=_pair("subject", "actor")).join(voices, on="pair", how="semi")[ROW]


def check_actor_stated(ctx: Context, rule: Rule) -> list[Failure]:
    names = _names_of(ctx, "actor_id")
    stats = (ctx.rows("statistics", "figure_kind").with_columns(subject=_subject(ctx, "statistics", "statistic_id", "statistic"), actor=ctx.categorical("statistics", "asserted_by_actor_id"))
             .filter(pl.col("actor").is_not_null() & (pl.col("figure_kind") != "derived")))
    stats = _known(ctx, _evidenced(ctx, stats, "statistic", "statistics"), "actor", "actors", "actor_id")
    voiced = _own_voiced(ctx, stats)
    found = pl.concat([_named(ctx, CELL["statistics.asserted_by_actor_id"], stats, "actor_id", "actor"), voiced])
    bad = _cells_not_stated(stats, found, _inferred(ctx, "statistics.asserted_by_actor_id", "subject"), ["subject"])
    out = ctx.report("statistics", bad, "asserted_by_actor_id", rule, lambda r: r["actor"],
                     lambda r: (f"No quote of the row's evidence or basis names {r['actor']} ({names.get(r['actor'], 'no names')}), and no document "
                                "reporting it in its own voice is published by it: give a context quote, or an inferred basis with a note."))
    actors = ctx.rows("event_actors").select(ROW, subject=_subject(ctx, "event_actors", "event_id", "event"), actor_id=ctx.categorical("event_actors", "actor_id"))
    actors = _known(ctx, _evidenced(ctx, actors, "event", "event_actors"), "actor_id", "actors", "actor_id")
    bad = _cells_not_stated(actors, _named(ctx, CELL["event_actors.actor_id"], actors, "actor_id", "actor_id"),
                            _inferred(ctx, "event_actors.actor_id", "subject", "item").rename({"item": "actor_id"}), ["subject", "actor_id"])
    return out + ctx.report("event_actors", bad, "actor_id", rule, lambda r: r["actor_id"],
                            lambda r: f"No quote of the event's evidence or basis names {r['actor_id']} ({names.get(r['actor_id'], 'no names')}): give a context quote, or an inferred basis with a note.")


def check_figure_kind_stated(ctx: Context, rule: Rule) -> list[Failure]:
    kinds = ctx.frames["figure_kinds"].select(figure_kind=pl.col("figure_kind_id").cast(CAT), words=pl.col("words").cast(pl.String), own_voice="own_voice")
    stats = (ctx.rows("statistics", "figure_kind").with_columns(pl.col("figure_kind").cast(CAT), subject=_subject(ctx, "statistics", "statistic_id", "statistic"),
                                                                actor=ctx.categorical("statistics", "asserted_by_actor_id"))
             .join(kinds, on="figure_kind", how="left")
             .filter(pl.col("words").is_not_null() | pl.col("own_voice").fill_null(False)))
    stats = _evidenced(ctx, stats, "statistic", "statistics")
    texts = _texts_for(ctx, CELL["statistics.figure_kind"])
    worded = _in_passages(stats, "figure_kind", texts, _kind_words(ctx), "figure_kind")
    voiced = _own_voiced(ctx, stats.filter(pl.col("own_voice").fill_null(False)))
    bad = _cells_not_stated(stats, pl.concat([worded, voiced]), _inferred(ctx, "statistics.figure_kind", "subject"), ["subject"])
    return ctx.report("statistics", bad, "figure_kind", rule, lambda r: r["figure_kind"],
                      lambda r: (f"The kind {r['figure_kind']} is the document's own voice, but no evidence row reports it without a cited source from a document its asserting actor publishes."
                                 if r["own_voice"] else
                                 f"No quote of the row's evidence or basis has the words of a {r['figure_kind']} ({' | '.join(repr(w) for w in (r['words'] or '').split('|'))}): give a context quote, or an inferred basis with a note."))


def _own_text(ctx: Context, table: str) -> pl.Series:
    """The text number of each row's own quote, in the table's row order (the numbers of _distinct_texts)."""
    return ctx.shared(f"own_text:{table}", lambda: ctx.frames[table].select(TEXT_ID).to_series())


def check_cited_source_stated(ctx: Context, rule: Rule) -> list[Failure]:
    sources = ctx.frames["sources"].select(cited_source_id="source_id", issuer=pl.col("issuer_actor_id").cast(CAT), publisher=pl.col("publisher_actor_id").cast(CAT))
    mentions = _mentions(ctx).select("text_id", "actor_id").drop_nulls()

    def named(rows: pl.DataFrame) -> pl.DataFrame:
        """The rows (with a text_id) whose text names the cited source's issuer or publisher."""
        return pl.concat([rows.join(mentions, left_on=["text_id", who], right_on=["text_id", "actor_id"], how="semi") for who in ("issuer", "publisher")])

    out = []
    for table, cell in (("statistic_evidence", CELL["statistic_evidence.cited_source_id"]), ("event_evidence", CELL["event_evidence.cited_source_id"])):
        subject = SUBJECT[cell.family]
        rows = (ctx.rows(table, "cited_source_id").with_columns(_own_text(ctx, table), subject=_subject(ctx, table, subject, cell.family), document_id=ctx.categorical(table, "source_id"))
                .filter(pl.col("cited_source_id").is_not_null()).join(sources, on="cited_source_id"))
        # the row's own quote, or a context quote kept for this cell (few: joined through the rows they are for)
        context = _context_passages(ctx).filter(pl.col("field") == cell.field).select("subject", "document_id", "text_id")
        found = pl.concat([named(rows).select(ROW), named(rows.drop("text_id").join(context, on=["subject", "document_id"])).select(ROW)])
        bad = rows.join(found, on=ROW, how="anti").join(_inferred(ctx, cell.field, "subject", "document_id"), on=["subject", "document_id"], how="anti")
        out += ctx.report(table, bad, "cited_source_id", rule, lambda r: r["cited_source_id"],
                          lambda r: (f"The quote does not name {r['cited_source_id']}'s issuer ({fmt(r['issuer'])}) or publisher ({fmt(r['publisher'])}): "
                                     "a sentence in the document's own voice has no cited source."))
    citations = ctx.rows("citations", "citing_source_id", "cited_source_id").with_columns(_own_text(ctx, "citations")).join(sources, on="cited_source_id")
    bad = citations.join(named(citations).select(ROW), on=ROW, how="anti")
    return out + ctx.report("citations", bad, "cited_source_id", rule, lambda r: r["cited_source_id"],
                            lambda r: f"The citing passage does not name {r['cited_source_id']}'s issuer ({fmt(r['issuer'])}) or publisher ({fmt(r['publisher'])}).")


@dataclass(frozen=True)
class Dated:
    """A table whose rows carry dates with the words that state them."""
    table: str
    cell: Cell
    start: str
    end: str
    precision: str
    expression: str
    anchor: str


DATED = [
    Dated("statistics", CELL["statistics.period"], "period_start", "period_end", "period_precision", "period_expression", "period_anchor_id"),
    Dated("events", CELL["events.dates"], "date_start", "date_end", "date_precision", "date_expression", "date_anchor_id"),
    Dated("sources", CELL["sources.published"], "published_start", "published_end", "date_precision", "date_expression", "date_anchor_id"),
]


def _dated_rows(ctx: Context, d: Dated) -> pl.DataFrame:
    subject = SUBJECT[d.cell.family]
    columns = [d.start, d.end, d.precision, d.expression, d.anchor] + (["status"] if d.table == "events" else []) + (["figure_kind"] if d.table == "statistics" else [])
    # the expression stays a categorical: the few distinct expressions are searched for and resolved, and the rows
    # are joined to them by code
    rows = _known(ctx, ctx.rows(d.table, *columns).with_columns(subject=_subject(ctx, d.table, subject, d.cell.family)), d.anchor, "sources", "source_id")
    if d.table == "statistics":
        rows = rows.filter(pl.col("figure_kind") != "derived")  # a derived period is the derivation's, checked there
    future = pl.col("status").is_in(["planned", "announced"]) if d.table == "events" else pl.lit(False)
    return _evidenced(ctx, rows, d.cell.family, d.table).with_columns(future=future, dated=pl.col(d.start).is_not_null() | pl.col(d.end).is_not_null())


def _expression_hits(ctx: Context, d: Dated) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each place in a row's passages that holds its expression: (subject, expression, document_id, text_id, start,
    position), with position in characters; and the distinct places with their passage's text (text_id, expression,
    position, text). Each distinct (passage, expression) pair is searched once; the dates rule and the coverage rule
    share the result."""
    return ctx.shared(f"expression_hits:{d.table}", lambda: _search_expressions(ctx, d, _dated_rows(ctx, d)))


def _search_expressions(ctx: Context, d: Dated, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    texts = _texts_for(ctx, d.cell)
    distinct = _distinct_texts(ctx)
    pairs = rows.filter(pl.col(d.expression).is_not_null()).select("subject", expression=pl.col(d.expression)).join(texts, on="subject")
    searched = pairs.select("text_id", "expression").unique().join(distinct, on="text_id")
    found = [(text_id, expression, m.start(), text) for text_id, expression, text in searched.iter_rows()
             for m in re.finditer(re.escape(expression), text)]
    found = pl.DataFrame(found, orient="row", schema={"text_id": pl.UInt32, "expression": CAT, "position": pl.Int64, "text": pl.String})
    # the passage's text stays with the distinct places: a row for each subject would copy it
    hits = pairs.join(found.drop("text"), on=["text_id", "expression"]).select("subject", "expression", "document_id", "text_id", "start", "position")
    return hits, found


def date_expression_spans(ctx: Context) -> pl.DataFrame:
    """Where in each document a recorded date expression stands: (document_id, start, end), for the coverage rule."""
    def compute() -> pl.DataFrame:
        parts = [_expression_hits(ctx, d)[0].select(
                     "document_id", start=pl.col("start") + pl.col("position"),
                     end=pl.col("start") + pl.col("position") + pl.col("expression").cat.len_chars())
                 for d in DATED]
        return pl.concat(parts).drop_nulls().unique()
    return ctx.shared("date_spans", compute)


def check_dates_stated(ctx: Context, rule: Rule) -> list[Failure]:
    sources = ctx.frames["sources"].select(anchor_id="source_id", anchor_start="published_start", anchor_end="published_end")
    out = []
    for d in DATED:
        rows = _dated_rows(ctx, d)
        rows = rows.with_columns(inferred=in_("subject", _inferred(ctx, d.cell.field, "subject")["subject"]))
        # no words: allowed only for an inferred basis (as of its anchor's date, when it names one)
        bad = rows.filter(pl.col("dated") & pl.col(d.expression).is_null() & ~pl.col("inferred"))
        out += ctx.report(d.table, bad, d.expression, rule, lambda r: "",
                          lambda r: "Dates are recorded without the words that state them: give the expression, or leave the dates empty.")
        bad = rows.filter(~pl.col("dated") & pl.col(d.expression).is_not_null())
        out += ctx.report(d.table, bad, d.expression, rule, lambda r, d=d: r[d.expression],
                          lambda r: "An expression is recorded but the dates are empty: resolve it, or leave both empty.")
        hits, places_found = _expression_hits(ctx, d)
        bad = rows.filter(pl.col(d.expression).is_not_null()).join(hits.select("subject"), on="subject", how="anti")
        out += ctx.report(d.table, bad, d.expression, rule, lambda r, d=d: r[d.expression],
                          lambda r, d=d: f"The expression {r[d.expression]!r} is in no quote of the row's evidence or basis.")
        # a stated relative expression is resolved against the date of the document that states it
        expressions = rows[d.expression].unique().drop_nulls()
        absolute = expressions.filter(expressions.cast(pl.String).str.contains(YEAR))  # matched once per distinct expression
        relative = rows.filter(pl.col(d.expression).is_not_null() & ~pl.col("inferred") & ~in_(d.expression, absolute))
        own = hits.select("subject", anchor_=pl.col("document_id"))
        bad = (relative.join(hits.select("subject"), on="subject", how="semi").with_columns(anchor_=pl.col(d.anchor).cast(CAT))
               .join(own, on=["subject", "anchor_"], how="anti"))
        out += ctx.report(d.table, bad, d.anchor, rule, lambda r, d=d: fmt(r[d.anchor]),
                          lambda r, d=d: (f"{r[d.expression]!r} is relative: stated, it is resolved against the date of the document whose quote holds it; "
                                          "resolved against another source's date it is an inference (record an inferred basis with a note)."))
        # '... by 2019' cut as '2019'
        places = ["text_id", "expression", "position"]  # each distinct place is read once, whatever shares it
        bounded = [(i, e, pos, w) for i, e, pos, text in places_found.select(*places, "text").iter_rows()
                   if (w := bounded_before(text, pos)) and not e.lower().startswith(w)]
        if bounded:
            frame = pl.DataFrame(bounded, schema={"text_id": pl.UInt32, "expression": CAT, "position": pl.Int64, "word": pl.String}, orient="row")
            bad = rows.join(hits.join(frame, on=places).select("subject", "word").unique("subject"), on="subject")
            out += ctx.report(d.table, bad, d.expression, rule, lambda r, d=d: r[d.expression],
                              lambda r, d=d: f"The quote says {r['word']!r} {r[d.expression]!r}: the word makes the date a bound, so it belongs in the expression.")
        recomputable = pl.col("dated") & (pl.col(d.expression).is_not_null() | pl.col(d.anchor).is_not_null())
        out += _recomputed(ctx, rule, d, rows.filter(recomputable).join(sources, left_on=d.anchor, right_on="anchor_id", how="left"))
    return out


def _recomputed(ctx: Context, rule: Rule, d: Dated, rows: pl.DataFrame) -> list[Failure]:
    """Resolve each distinct (expression, anchor dates, direction) once, and compare with the recorded dates."""
    keys = ["expression", "anchor_start", "anchor_end", "future"]
    rows = rows.with_columns(expression=pl.col(d.expression))
    resolved = []
    for expression, a_start, a_end, future in rows.select(keys).unique().iter_rows():
        anchor = (a_start, a_end) if a_end is not None else None
        try:
            got = resolve(expression, anchor, future)
            resolved.append((expression, a_start, a_end, future, got.start, got.end, got.precision, None))
        except DateError as err:
            resolved.append((expression, a_start, a_end, future, None, None, None, str(err)))
    table = pl.DataFrame(resolved, orient="row", schema={"expression": CAT, "anchor_start": pl.Date, "anchor_end": pl.Date, "future": pl.Boolean,
                                                         "want_start": pl.Date, "want_end": pl.Date, "want_precision": pl.String, "error": pl.String})
    checked = rows.join(table, on=keys, how="left", nulls_equal=True)
    out = ctx.report(d.table, checked.filter(pl.col("error").is_not_null()), d.expression, rule, lambda r, d=d: fmt(r[d.expression]),
                     lambda r: f"The dates cannot be recomputed: {r['error']}.")
    wrong = checked.filter(pl.col("error").is_null() & (pl.col(d.start).ne_missing(pl.col("want_start")) | pl.col(d.end).ne_missing(pl.col("want_end"))
                                                        | pl.col(d.precision).cast(pl.String).ne_missing(pl.col("want_precision"))))
    return out + ctx.report(d.table, wrong, d.start, rule,
                            lambda r, d=d: f"{fmt(r[d.start])}..{fmt(r[d.end])} {r[d.precision]} != {fmt(r['want_start'])}..{fmt(r['want_end'])} {r['want_precision']}",
                            lambda r, d=d: (f"{r[d.expression]!r}" if r[d.expression] else "As of the anchor's date") + (f" resolved against {r[d.anchor]}" if r[d.anchor] else "")
                            + f" gives {fmt(r['want_start']) or 'no start'} to {fmt(r['want_end']) or 'no end'} ({r['want_precision']}), not the recorded dates.")


def check_inferred_has_note(ctx: Context, rule: Rule) -> list[Failure]:
    return ctx.flag("bases", (pl.col("basis") == "inferred") & pl.col("note").is_null(), "note", rule, lambda r: r["field"],
                    lambda r: "An inferred basis needs a note that says what it is inferred from.")


# bases.field -> the subject column it needs and the item column, if any; every other subject or item column is empty
_SHAPE = {c.field: (SUBJECT[c.family], c.item) for c in CELLS}
_SUBJECT_COLUMNS = ["statistic_id", "event_id", "source_id", "geography_id", "actor_id"]


def _as_text(ctx: Context, bad: pl.DataFrame) -> pl.DataFrame:
    """Failing rows of bases with their subject, item and document as text, for the message (the checks join codes)."""
    if bad.is_empty():
        return bad
    return (ctx.rows("bases", "field", "document_id", *_SUBJECT_COLUMNS).join(bad.select(ROW), on=ROW)
            .with_columns(subject=pl.coalesce(*SUBJECT.values()), item=pl.coalesce("geography_id", "actor_id")))


def check_basis_fits_cell(ctx: Context, rule: Rule) -> list[Failure]:
    rows = _bases(ctx)
    # which subject and item columns are filled, as bits, against those the field needs: one pass over the rows
    bits = {c: 1 << i for i, c in enumerate(_SUBJECT_COLUMNS)}
    needed = {field: {subject} | ({item} if item else set()) for field, (subject, item) in _SHAPE.items()}
    filled_bits = pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) * bit for c, bit in bits.items()])
    want = pl.col("field").replace_strict({f: sum(bits[c] for c in cs) for f, cs in needed.items()}, return_dtype=pl.Int32)
    out = ctx.report("bases", rows.filter(filled_bits != want), "field", rule, lambda r: r["field"],
                     lambda r: f"A basis for {r['field']} names {' and '.join(sorted(needed[r['field']]))}, and no other subject or item.")
    quote = pl.col("quote").is_not_null()
    out += ctx.flag("bases", (quote != pl.col("quote_start").is_not_null()) | (quote != pl.col("quote_end").is_not_null()), "quote_start", rule,
                    lambda r: f"{fmt(r['quote_start'])}:{fmt(r['quote_end'])}", lambda r: "A context quote and its span are given together or not at all.")
    out += ctx.flag("bases", (pl.col("basis") == "stated") & ~quote, "quote", rule, lambda r: "",
                    lambda r: "A stated basis gives the context quote that states the cell; a cell its evidence quote states needs no basis row.")
    # the document reports the subject, and the cell is not empty
    f = ctx.frames

    def cells(table: str, condition: pl.Expr | None = None, **columns: str) -> pl.DataFrame:
        """The named columns of a table's rows where `condition` holds: the subject as its code, the others as
        categoricals."""
        frame = pl.DataFrame({name: _subject(ctx, table, column, FAMILY_OF[column]) if name == "subject" else ctx.categorical(table, column)
                              for name, column in columns.items()})
        return frame if condition is None else frame.filter(f[table].select(condition.fill_null(False)).to_series())

    keyed = rows.select(ROW, "field", "family", "subject", "item", "document_id")  # filtered without copying the text columns
    # split once by family and by field: 13 filters over every basis row took half the rule's time
    by_family = keyed.partition_by("family", as_dict=True)
    by_field = keyed.partition_by("field", as_dict=True)
    # each kind's cells are built when its turn comes, not all at once: at a million rows they are 60 MB together
    reported = {
        "statistic": lambda: cells("statistic_evidence", subject="statistic_id", document_id="source_id"),
        "event": lambda: cells("event_evidence", subject="event_id", document_id="source_id"),
        "source": lambda: pl.concat([cells("citations", subject="cited_source_id", document_id="citing_source_id"),
                                     cells("sources", pl.col("text_sha256").is_not_null(), subject="source_id", document_id="source_id")]),
    }
    for family, pairs in reported.items():
        bad = _evidenced(ctx, by_family.get((family,), keyed.clear()), family, "bases")
        bad = bad.filter(~_pair("subject", "document_id").is_in(pairs().select(_pair("subject", "document_id")).to_series().implode()).fill_null(False))
        out += ctx.report("bases", _as_text(ctx, bad), "document_id", rule, lambda r: r["document_id"],
                          lambda r: f"{r['document_id']} does not report {r['subject']} (no evidence or citation links them), so its words cannot be the basis.")
    dated = lambda start, end: pl.col(start).is_not_null() | pl.col(end).is_not_null()  # noqa: E731
    filled = {
        "statistics.geography_id": lambda: cells("statistics", pl.col("geography_id").is_not_null(), subject="statistic_id"),
        "statistics.period": lambda: cells("statistics", dated("period_start", "period_end"), subject="statistic_id"),
        "statistics.asserted_by_actor_id": lambda: cells("statistics", pl.col("asserted_by_actor_id").is_not_null(), subject="statistic_id"),
        "statistics.figure_kind": lambda: cells("statistics", subject="statistic_id"),
        "statistic_evidence.cited_source_id": lambda: cells("statistic_evidence", pl.col("cited_source_id").is_not_null(), subject="statistic_id", document_id="source_id"),
        "event_evidence.cited_source_id": lambda: cells("event_evidence", pl.col("cited_source_id").is_not_null(), subject="event_id", document_id="source_id"),
        "events.dates": lambda: cells("events", dated("date_start", "date_end"), subject="event_id"),
        "event_geographies.geography_id": lambda: cells("event_geographies", subject="event_id", item="geography_id"),
        "event_actors.actor_id": lambda: cells("event_actors", subject="event_id", item="actor_id"),
        "sources.published": lambda: cells("sources", dated("published_start", "published_end"), subject="source_id"),
    }
    for field, of_field in filled.items():
        found = of_field()
        key = _pair(*found.columns) if len(found.columns) == 2 else pl.col(found.columns[0])  # one integer to hash
        bad = by_field.get((field,), keyed.clear())
        bad = bad.filter(~key.is_in(found.select(key).to_series().implode()).fill_null(False))  # as an anti-join: an empty key matches nothing
        out += ctx.report("bases", _as_text(ctx, bad), "field", rule, lambda r: f"{r['field']} of {r['subject']}" + (f" ({r['item']})" if r["item"] else ""),
                          lambda r: "The cell this basis is for is empty or does not exist: an empty cell is not stated and needs no basis.")
    return out


# --- coverage of each document ----------------------------------------------------------------

ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
PLURAL_WORDS = {"dozens": None, "hundreds": None, "thousands": None, "millions": None}
_NUMBER_TOKEN = re.compile(r"(?<![0-9A-Za-z])([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)(?:st|nd|rd|th)?(?![0-9A-Za-z])")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(sorted({*NUMBER_WORDS, *ORDINAL_WORDS, *PLURAL_WORDS, "million"}, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_DATE_WORDS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|(?:this|last|next|previous|same|coming|past) (?:year|month|week|decade)"
    r"|years? (?:ago|past)|several (?:more )?(?:years|months|weeks|days)|today|yesterday|tomorrow)\b")


def document_tokens(text: str) -> list[tuple[int, int, str, float | None]]:
    """Every number (digits, number words) and date expression in a text: (start, end, text, value or None)."""
    out = [(m.start(1), m.end(), m[0], float(m[1].replace(",", ""))) for m in _NUMBER_TOKEN.finditer(text)]
    for m in _NUMBER_WORD.finditer(text):
        word = m[1].lower()
        out.append((m.start(), m.end(), m[0], NUMBER_WORDS.get(word, ORDINAL_WORDS.get(word))))
    out += [(m.start(), m.end(), m[0], None) for m in _DATE_WORDS.finditer(text)]
    return sorted(out)


def check_document_coverage(ctx: Context, rule: Rule) -> list[Failure]:
    texts = archived_texts(ctx)
    f = ctx.frames
    phrases = f["qualifiers"].select("qualifier_id", "phrase")
    # each evidence row with its statistic's value and qualifier, reached by position
    figures = (ctx.join_rows(ctx.rows("statistic_evidence", "source_id", "quote_start", "quote_end"), "statistic_evidence", "statistic_id",
                             "statistics", "statistic_id", {"value": "value", "qualifier_id": "qualifier_id"}, how="inner")
               .join(phrases, on="qualifier_id", how="left"))
    claims = f["claims"].select("source_id", "quote_start", "quote_end", value="claimed_value", phrase=pl.lit(None, pl.String))
    spans = pl.concat([figures.select("source_id", "quote_start", "quote_end", "value", "phrase"), claims]).unique()
    dates = date_expression_spans(ctx)
    omitted = f["omissions"].select("document_id", "start", "end")
    documents = f["sources"].filter(pl.col("source_id").is_in(list(texts))).select("source_id", "text_sha256")
    keys = dict(zip(documents["source_id"].to_list(), range(len(documents))))
    out = []
    for document, text in sorted(texts.items()):
        valued = [(s, e, v, p) for s, e, v, p in spans.filter(pl.col("source_id") == document).select("quote_start", "quote_end", "value", "phrase").iter_rows()]
        plain = [(s, e) for s, e in dates.filter(pl.col("document_id") == document).select("start", "end").iter_rows()]
        plain += [(s, e) for s, e in omitted.filter(pl.col("document_id") == document).select("start", "end").iter_rows()]
        for start, end, token, value in document_tokens(text):
            if any(s <= start and end <= e for s, e in plain):
                continue
            if any(s is not None and s <= start and end <= e and ((value is not None and v is not None and abs(v - value) < 1e-9) or (p and p.lower() == token.lower()))
                   for s, e, v, p in valued):
                continue
            out.append(Failure("sources", document, "text_sha256", keys[document] + 2, rule.id, f"{token!r} at {start}",
                               f"{token!r} at {start}:{end} of {document} is in no quote of a statistic or claim with that value, in no recorded date expression, and in no omission."))
    return out


RULES: list[Rule] = [
    Rule("basis.geography_stated", "A statistic's geography and each place of an event is named in its quotes (by a name or declared name), or inferred with a note.", check_geography_stated,
         tables=("statistics", "event_geographies", "geographies", "geography_names", "actors", "actor_names", "bases", *[t for _, t, _, _ in PASSAGE_TABLES]), prose=QUOTES + NAMES),
    Rule("basis.actor_stated", "A statistic's asserting actor and each actor of an event is named in its quotes, or is the publisher speaking in its own voice, or is inferred with a note.", check_actor_stated,
         tables=("statistics", "event_actors", "actors", "actor_names", "geographies", "geography_names", "bases", "sources", *[t for _, t, _, _ in PASSAGE_TABLES]), prose=QUOTES + NAMES),
    Rule("basis.figure_kind_stated", "A statistic's kind (claim, official count, estimate, ...) has its declared words in its quotes, or is the document's own voice, or is inferred with a note.", check_figure_kind_stated,
         tables=("statistics", "figure_kinds", "bases", "sources", *[t for _, t, _, _ in PASSAGE_TABLES]), prose=QUOTES + NAMES),
    Rule("basis.cited_source_stated", "An evidence quote or citation that attributes its words to a source names that source's issuer or publisher.", check_cited_source_stated,
         tables=("statistic_evidence", "event_evidence", "citations", "sources", "actors", "actor_names", "bases"), prose=QUOTES + NAMES),
    Rule("basis.dates_stated", "Dates are stated by an expression in their quotes that resolves to them (relative ones against the stating document's date), or inferred with a note.", check_dates_stated,
         tables=("statistics", "events", "sources", "bases", *[t for _, t, _, _ in PASSAGE_TABLES]), prose=QUOTES + EXPRESSIONS),
    Rule("basis.inferred_has_note", "An inferred basis says what it is inferred from.", check_inferred_has_note, tables=("bases",), prose=("bases.note",)),
    Rule("basis.fits_cell", "A basis row names exactly the cell it is for, from a document that reports it, and that cell is not empty.", check_basis_fits_cell,
         tables=("bases", "statistics", "statistic_evidence", "event_evidence", "events", "event_geographies", "event_actors", "citations", "sources"), prose=("bases.quote",)),
    Rule("basis.document_coverage", "With --archive: every number and date expression of each document is in a quote of a statistic or claim with that value, in a recorded date expression, or in an omission.", check_document_coverage,
         stage="archive", tables=("sources", "statistics", "statistic_evidence", "claims", "qualifiers", "omissions", "bases", "events", "event_evidence", "citations"), prose=QUOTES + EXPRESSIONS),
]


def basis_counts(frames: dict[str, pl.DataFrame]) -> list[tuple[str, int, int, int]]:
    """For each kind of claim-bearing cell: how many are stated, inferred (with a note) and empty. Derived
    statistics are left out: their cells come from their derivation."""
    f = frames
    bases = f["bases"].with_columns(pl.col("field").cast(pl.String))
    stats = f["statistics"].filter(pl.col("figure_kind").cast(pl.String) != "derived")
    dated = lambda frame, start, end: frame.filter(pl.col(start).is_not_null() | pl.col(end).is_not_null())  # noqa: E731
    filled = {  # field -> (subject keys of the non-empty cells, number of empty cells)
        "statistics.geography_id": (stats.filter(pl.col("geography_id").is_not_null()).select(statistic_id="statistic_id"), stats["geography_id"].null_count()),
        "statistics.period": (dated(stats, "period_start", "period_end").select("statistic_id"), stats.height - dated(stats, "period_start", "period_end").height),
        "statistics.asserted_by_actor_id": (stats.filter(pl.col("asserted_by_actor_id").is_not_null()).select("statistic_id"), stats["asserted_by_actor_id"].null_count()),
        "statistics.figure_kind": (stats.select("statistic_id"), 0),
        "statistic_evidence.cited_source_id": (f["statistic_evidence"].filter(pl.col("cited_source_id").is_not_null()).select("statistic_id", document_id="source_id"),
                                               f["statistic_evidence"]["cited_source_id"].null_count()),
        "event_evidence.cited_source_id": (f["event_evidence"].filter(pl.col("cited_source_id").is_not_null()).select("event_id", document_id="source_id"),
                                           f["event_evidence"]["cited_source_id"].null_count()),
        "events.dates": (dated(f["events"], "date_start", "date_end").select("event_id"), f["events"].height - dated(f["events"], "date_start", "date_end").height),
        "event_geographies.geography_id": (f["event_geographies"].select("event_id", "geography_id"), f["events"].join(f["event_geographies"], on="event_id", how="anti").height),
        "event_actors.actor_id": (f["event_actors"].select("event_id", "actor_id").unique(), f["events"].join(f["event_actors"], on="event_id", how="anti").height),
        "sources.published": (dated(f["sources"], "published_start", "published_end").select("source_id"),
                              f["sources"].height - dated(f["sources"], "published_start", "published_end").height),
    }
    out = []
    for field, (cells, empty) in filled.items():
        inferred = bases.filter((pl.col("field") == field) & (pl.col("basis") == "inferred")).select(cells.columns).unique()
        n_inferred = cells.join(inferred, on=cells.columns, how="semi").height
        out.append((field, cells.height - n_inferred, n_inferred, empty))
    return out
