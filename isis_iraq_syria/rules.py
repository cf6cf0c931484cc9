"""The package's rules, each a named record: id, one-line reason, tolerance, and a check.

A check takes the typed frames of the whole package and returns every failure
it finds (never only the first). The relations it checks (which geographies
add up to which, which indicator is part of which, which statistic is derived
from which) are data in the tables, so a new indicator, period or country
needs no change here. Checks are polars expressions and joins: one pass over
the columns, whatever the number of rows.

Rules in the "file" and "schema" stages are carried out while reading the CSVs
and by the Pandera schema derived from each Table Schema (validate.py); they
are listed here so that every rule id has one definition.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry

from .report import Failure, fmt
from .schema import Package, sorts_before_previous
from .tables import NUMBER, row_keys

Row = dict
Text = Callable[[Row], str]
PERIOD = ["period_start", "period_end"]
ROW = "row_"  # the row's position in its table, added to frames a check filters


@dataclass
class Context:
    package: Package
    frames: dict[str, pl.DataFrame]
    archive: dict[str, str] | None = None  # sha256 of a document's bytes -> its text
    control_free: frozenset[str] = frozenset()  # tables whose CSV bytes show that no cell holds a control character

    def __post_init__(self) -> None:
        self._shared: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def release_prose(self, keep: set[str]) -> None:
        """Drop the free-text columns no rule still to run reads (`keep` names those it does): they hold about half
        the memory of a large package."""
        for name, table in self.package.tables.items():
            frame = self.frames[name]
            self.frames[name] = frame.drop([c for c in table.prose if c in frame.columns and f"{name}.{c}" not in keep])

    def shared(self, key: str, compute: Callable[[], object]) -> object:
        """A result several rules use, computed once: rules run two at a time, and the second waits for the first's."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                self._shared[key] = compute()
            return self._shared[key]

    def keys(self, name: str) -> pl.Series:
        """Each row's primary key as text ("E002|IRQ"), for locating failures."""
        return self.shared(f"keys:{name}", lambda: row_keys(self.package.tables[name], self.frames[name]))

    def screened(self, name: str, screen: str) -> dict[str, bool]:
        """For each text column of a table, whether any cell passes the screen."""
        columns = _text_columns(self.package, name)
        return self.shared(f"screen:{name}:{screen}", lambda: self.frames[name].select(
            [SCREENS[screen](pl.col(c)).fill_null(False).any().alias(c) for c in columns]).row(0, named=True) if columns else {})

    def rows(self, name: str, *columns: str) -> pl.DataFrame:
        """The table with each row's position, so that a filtered or joined frame still locates its rows.

        Naming the columns a check needs keeps its joins from copying the others (a million-row join copies
        16 bytes per text cell)."""
        frame = self.frames[name].with_row_index(ROW)
        return frame.select(ROW, *columns) if columns else frame

    def report(self, name: str, bad: pl.DataFrame, column: str, rule: Rule, values: Text, message: Text) -> list[Failure]:
        """A failure for each row of `bad`, a frame derived from ctx.rows(name) that keeps its row_ column."""
        if bad.is_empty():
            return []
        keys = self.keys(name)
        return [Failure(name, keys[row[ROW]], column, int(row[ROW]) + 2, rule.id, values(row), message(row))
                for row in bad.unique(ROW, keep="first", maintain_order=True).iter_rows(named=True)]

    def flag(self, name: str, condition: pl.Expr, column: str, rule: Rule, values: Text, message: Text) -> list[Failure]:
        """A failure for every row of table `name` where `condition` is true."""
        return self.report(name, self.rows(name).filter(condition.fill_null(False)), column, rule, values, message)


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    check: Callable[[Context, Rule], list[Failure]] | None = None
    tolerance: float = 0.0
    stage: str = "rules"  # file | schema | rules | archive | parity
    tables: tuple[str, ...] = ()  # the tables the check reads
    prose: tuple[str, ...] = ()  # the free-text columns (Table.prose) the check reads, as "table.column", or "*" for all

    def run(self, ctx: Context) -> list[Failure]:
        return self.check(ctx, self) if self.check else []


def _in(column: str | pl.Expr, values: pl.Series) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.is_in(values.drop_nulls().implode())


# --- arithmetic ------------------------------------------------------------------------------

def _stats_with_indicators(ctx: Context, *columns: str) -> pl.DataFrame:
    indicators = ctx.frames["indicators"].select("indicator_id", "additive_over_geography", "additive_over_time", "part_of_indicator_id")
    return ctx.rows("statistics", "statistic_id", "indicator_id", "geography_id", *PERIOD, "value", *columns).join(indicators, on="indicator_id", how="left")


def check_parts_sum_to_total(ctx: Context, rule: Rule) -> list[Failure]:
    stats = _stats_with_indicators(ctx, "figure_kind").filter(pl.col("value").is_not_null() & (pl.col("figure_kind") != "derived"))
    parts_of = ctx.frames["geography_parts"]
    # By geography: the parts of an aggregate, same indicator, period and kind of figure.
    geo = stats.filter(pl.col("additive_over_geography").fill_null(False))
    need = parts_of.group_by("aggregate_geography_id").agg(parts_needed=pl.len())
    by = ["indicator_id", "aggregate_geography_id", *PERIOD, "figure_kind"]
    sums = (geo.join(parts_of, left_on="geography_id", right_on="part_geography_id")
            .group_by(by).agg(parts_sum=pl.col("value").sum(), parts_found=pl.col("geography_id").n_unique(),
                              parts_rows=pl.len(), parts_ids=pl.col("statistic_id").sort().str.join("+"))
            .join(need, on="aggregate_geography_id")
            .filter((pl.col("parts_found") == pl.col("parts_needed")) & (pl.col("parts_rows") == pl.col("parts_needed"))))
    wholes = geo.join(sums, left_on=["indicator_id", "geography_id", *PERIOD, "figure_kind"], right_on=by, nulls_equal=True)
    bad = wholes.filter((pl.col("value") - pl.col("parts_sum")).abs() > rule.tolerance)
    out = ctx.report("statistics", bad, "value", rule,
                     lambda r: f"{fmt(r['value'])} != {fmt(r['parts_sum'])} ({r['parts_ids']})",
                     lambda r: f"The total for {r['geography_id']} is {fmt(r['value'])} but its parts {r['parts_ids']} sum to {fmt(r['parts_sum'])}.")
    # By sub-period: periods that tile the whole's period exactly, same indicator, geography and kind.
    timed = stats.filter(pl.col("additive_over_time").fill_null(False) & pl.col("period_start").is_not_null() & pl.col("period_end").is_not_null())
    timed = timed.select(ROW, "statistic_id", "indicator_id", "geography_id", "figure_kind", "value", *PERIOD)
    pairs = (timed.join(timed, on=["indicator_id", "geography_id", "figure_kind"], suffix="_p", nulls_equal=True)
             .filter((pl.col("period_start_p") >= pl.col("period_start")) & (pl.col("period_end_p") <= pl.col("period_end"))
                     & ~((pl.col("period_start_p") == pl.col("period_start")) & (pl.col("period_end_p") == pl.col("period_end")))))
    tiled = (pairs.sort(["statistic_id", "period_start_p"])
             .group_by("statistic_id", maintain_order=True)
             .agg(pl.col(ROW).first(), pl.col("value").first(), pl.col("period_start").first(), pl.col("period_end").first(),
                  first_start=pl.col("period_start_p").first(), last_end=pl.col("period_end_p").last(),
                  total=pl.col("value_p").sum(), ids=pl.col("statistic_id_p").str.join("+"),
                  gaps=((pl.col("period_start_p").shift(-1) - pl.col("period_end_p")).dt.total_days().drop_nulls() != 1).sum()))
    bad = tiled.filter((pl.col("first_start") == pl.col("period_start")) & (pl.col("last_end") == pl.col("period_end"))
                       & (pl.col("gaps") == 0) & ((pl.col("value") - pl.col("total")).abs() > rule.tolerance))
    return out + ctx.report("statistics", bad, "value", rule,
                            lambda r: f"{fmt(r['value'])} != {fmt(r['total'])} ({r['ids']})",
                            lambda r: f"The total for {fmt(r['period_start'])} to {fmt(r['period_end'])} is {fmt(r['value'])} but its sub-periods {r['ids']} sum to {fmt(r['total'])}.")


def check_part_not_above_whole(ctx: Context, rule: Rule) -> list[Failure]:
    stats = _stats_with_indicators(ctx, "lower_bound", "upper_bound")
    parents = stats["part_of_indicator_id"].drop_nulls().unique()
    wholes = stats.filter(_in("indicator_id", parents)).select(pl.col("statistic_id").alias("whole_id"), pl.col("indicator_id").alias("part_of_indicator_id"),
                          "geography_id", *PERIOD, pl.col("value").fill_null(pl.col("upper_bound")).alias("whole"))
    pairs = (stats.filter(pl.col("part_of_indicator_id").is_not_null())
             .with_columns(part=pl.col("value").fill_null(pl.col("lower_bound")))
             .join(wholes, on=["part_of_indicator_id", "geography_id", *PERIOD], nulls_equal=True))
    bad = pairs.filter(pl.col("part") - pl.col("whole") > rule.tolerance)
    return ctx.report("statistics", bad, "value", rule,
                      lambda r: f"{fmt(r['part'])} > {fmt(r['whole'])} ({r['whole_id']})",
                      lambda r: f"{r['indicator_id']} ({fmt(r['part'])}) exceeds the figure of the indicator it is part of, {r['part_of_indicator_id']} ({fmt(r['whole'])}, {r['whole_id']}).")


def _implied_bounds() -> tuple[pl.Expr, pl.Expr]:
    rule_, band, mag, value = pl.col("bound_rule"), pl.col("band"), pl.col("magnitude").cast(pl.Float64), pl.col("value")
    lower = (pl.when(rule_ == "exact").then(value)
             .when(rule_ == "band").then(value * (1 - band))
             .when(rule_.is_in(["above", "at_least"])).then(value)
             .when(rule_ == "below").then(value * (1 - band))
             .when(rule_ == "magnitude").then(2 * mag))
    upper = (pl.when(rule_ == "exact").then(value)
             .when(rule_ == "band").then(value * (1 + band))
             .when(rule_ == "below").then(value)
             .when(rule_ == "magnitude").then(10 * mag - 1))
    return lower, upper


def check_qualifier_bounds(ctx: Context, rule: Rule) -> list[Failure]:
    lower, upper = _implied_bounds()
    frame = (ctx.rows("statistics", "qualifier_id", "value", "lower_bound", "upper_bound").join(ctx.frames["qualifiers"].select("qualifier_id", "bound_rule", "band", "magnitude"), on="qualifier_id", how="left")
             .with_columns(implied_lower=lower, implied_upper=upper))
    known = pl.col("bound_rule").is_not_null()
    no_value = known & pl.col("value").is_null() & (pl.col("bound_rule") != "magnitude")
    has_value = known & pl.col("value").is_not_null() & (pl.col("bound_rule") == "magnitude")

    def differs(stored: str, implied: str) -> pl.Expr:
        s, i = pl.col(stored), pl.col(implied)
        return (s.is_null() != i.is_null()) | (s - i).abs().gt(rule.tolerance * pl.max_horizontal(i.abs(), pl.lit(1.0))).fill_null(False)

    checks = [
        (no_value, "value", lambda r: "", lambda r: f"Qualifier {r['qualifier_id']!r} qualifies a number, but value is empty."),
        (has_value, "value", lambda r: fmt(r["value"]), lambda r: f"Qualifier {r['qualifier_id']!r} is a magnitude word with no number, but value is {fmt(r['value'])}."),
        (known & ~no_value & ~has_value & differs("lower_bound", "implied_lower"), "lower_bound",
         lambda r: f"{fmt(r['lower_bound'])} (implied {fmt(r['implied_lower'])})",
         lambda r: f"'{r['qualifier_id']}' {fmt(r['value'])} implies lower_bound {fmt(r['implied_lower']) or 'empty'}, not {fmt(r['lower_bound']) or 'empty'}."),
        (known & ~no_value & ~has_value & differs("upper_bound", "implied_upper"), "upper_bound",
         lambda r: f"{fmt(r['upper_bound'])} (implied {fmt(r['implied_upper'])})",
         lambda r: f"'{r['qualifier_id']}' {fmt(r['value'])} implies upper_bound {fmt(r['implied_upper']) or 'empty'}, not {fmt(r['upper_bound']) or 'empty'}."),
        ((pl.col("lower_bound") > pl.col("value")) | (pl.col("value") > pl.col("upper_bound")), "value",
         lambda r: f"{fmt(r['lower_bound'])} <= {fmt(r['value'])} <= {fmt(r['upper_bound'])}",
         lambda r: "The value lies outside its own lower and upper bounds."),
    ]
    out = []
    for condition, column, values, message in checks:
        out += ctx.report("statistics", frame.filter(condition.fill_null(False)), column, rule, values, message)
    return out


def _input(role: str, column: str) -> pl.Expr:
    return pl.col(f"{column}__{role}")


def _months(role: str) -> pl.Expr:
    start, end = _input(role, "period_start"), _input(role, "period_end")
    return (end.dt.year() - start.dt.year()) * 12 + end.dt.month().cast(pl.Int32) - start.dt.month().cast(pl.Int32) + 1


FORMULAS: dict[str, tuple[tuple[str, ...], pl.Expr]] = {
    # derivation -> (input roles, value computed from the inputs' columns)
    "annualise": (("part_period",), _input("part_period", "value") * 12 / _months("part_period")),
    "ratio": (("numerator", "denominator"), (_input("numerator", "value") / _input("denominator", "value")).round(3)),
    "difference": (("minuend", "subtrahend"), _input("minuend", "value") - _input("subtrahend", "value")),
    "anniversary_year": (("anniversary",), _input("anniversary", "period_end").dt.year().cast(pl.Float64) - _input("anniversary", "value")),
}


def check_derivations(ctx: Context, rule: Rule) -> list[Failure]:
    derived = pl.col("figure_kind") == "derived"
    out = ctx.flag("statistics", derived & pl.col("derivation").is_null(), "derivation", rule, lambda r: "",
                   lambda r: "A derived statistic needs a derivation formula.")
    out += ctx.flag("statistics", ~derived & pl.col("derivation").is_not_null(), "derivation", rule, lambda r: r["derivation"],
                    lambda r: f"Only derived statistics have a derivation; this one's figure_kind is {r['figure_kind']}.")
    stats = ctx.frames["statistics"]
    inputs = ctx.frames["derivation_inputs"].join(
        stats.select(pl.col("statistic_id").alias("input_statistic_id"), "value", *PERIOD), on="input_statistic_id", how="left")
    frame = ctx.rows("statistics").filter(pl.col("derivation").is_not_null())
    for role in sorted({r for roles, _ in FORMULAS.values() for r in roles}):
        frame = frame.join(inputs.filter(pl.col("input_role") == role)
                           .select("statistic_id", *[pl.col(c).alias(f"{c}__{role}") for c in ("value", *PERIOD)]),
                           on="statistic_id", how="left")
    for formula, (roles, compute) in FORMULAS.items():
        rows = frame.filter(pl.col("derivation") == formula)
        if rows.is_empty():
            continue
        missing = pl.any_horizontal([_input(role, "value").is_null() for role in roles])
        out += ctx.report("statistics", rows.filter(missing), "derivation", rule, lambda r, f=formula: f,
                          lambda r, f=formula, roles=roles: f"Formula {f} needs inputs with roles {', '.join(roles)} and a value for each in derivation_inputs.")
        checked = rows.filter(~missing).with_columns(computed=compute)
        bad = checked.filter(((pl.col("value") - pl.col("computed")).abs() > rule.tolerance).fill_null(True))
        out += ctx.report("statistics", bad, "value", rule,
                          lambda r: f"{fmt(r['value'])} != {fmt(round(r['computed'], 6))}",
                          lambda r, f=formula: f"Recomputing {f} from its inputs gives {fmt(round(r['computed'], 6))}, not {fmt(r['value'])}.")
    return out


def check_words_match_numbers(ctx: Context, rule: Rule) -> list[Failure]:
    # comparison is an enum, held as a categorical: the key it joins on takes the same type
    bands = ctx.frames["qualifiers"].select(pl.col("qualifier_id").cast(ctx.frames["claims"].schema["comparison"]).alias("comparison"), "band")
    frame = (ctx.rows("claims")
             .join(ctx.frames["statistics"].select("statistic_id", pl.col("value").alias("stat_value")), on="statistic_id", how="left")
             .join(bands, on="comparison", how="left")
             .with_columns(pl.col("band").fill_null(0.0)))
    value, claimed, band, tol, comparison = pl.col("stat_value"), pl.col("claimed_value"), pl.col("band"), rule.tolerance, pl.col("comparison")
    holds = (pl.when(comparison == "at_least").then(value >= claimed - tol)
             .when(comparison == "nearly").then((value >= claimed * (1 - band) - tol) & (value < claimed))
             .when(comparison == "around").then((value - claimed).abs() <= claimed * band + tol)
             .otherwise(True))
    known = _in("claim_id", ctx.frames["discrepancies"]["claim_id"])
    bad = frame.filter(~holds.fill_null(False) & ~known)
    return ctx.report("claims", bad, "claimed_value", rule,
                      lambda r: f"{r['statistic_id']} = {fmt(r['stat_value'])}; {r['comparison']} {fmt(r['claimed_value'])}",
                      lambda r: f"The words claim {r['comparison']} {fmt(r['claimed_value'])} but {r['statistic_id']} is {fmt(r['stat_value'])}, and no discrepancy records it.")


# --- referential -----------------------------------------------------------------------------

def _unmatched(ctx: Context, name: str, column: str, other: str, *columns: str) -> pl.DataFrame:
    """Rows of table `name` whose `column` value appears nowhere in the same column of table `other` (an anti-join:
    several times faster than `is_in` against a million keys)."""
    return ctx.rows(name, column, *columns).join(ctx.frames[other].select(column), on=column, how="anti")


def check_statistic_has_evidence(ctx: Context, rule: Rule) -> list[Failure]:
    derived = pl.col("figure_kind") == "derived"
    out = ctx.report("statistics", _unmatched(ctx, "statistics", "statistic_id", "statistic_evidence", "figure_kind").filter(~derived),
                     "statistic_id", rule, lambda r: r["statistic_id"], lambda r: "No statistic_evidence row links this statistic to a document.")
    out += ctx.report("statistics", _unmatched(ctx, "statistics", "statistic_id", "derivation_inputs", "figure_kind").filter(derived),
                      "statistic_id", rule, lambda r: r["statistic_id"], lambda r: "This derived statistic has no derivation_inputs row.")
    return out


def check_event_has_evidence(ctx: Context, rule: Rule) -> list[Failure]:
    return ctx.report("events", _unmatched(ctx, "events", "event_id", "event_evidence"), "event_id", rule, lambda r: r["event_id"],
                      lambda r: "No event_evidence row links this event to a document.")


EVIDENCE = [  # (table, column naming the archived document, quote column)
    ("statistic_evidence", "source_id", "quote"),
    ("event_evidence", "source_id", "quote"),
    ("claims", "source_id", "quote"),
    ("citations", "citing_source_id", "quote"),
]


def _documents(ctx: Context) -> pl.Series:
    return ctx.frames["sources"].filter(pl.col("text_sha256").is_not_null())["source_id"]


def check_evidence_from_document(ctx: Context, rule: Rule) -> list[Failure]:
    known, documents = ctx.frames["sources"]["source_id"], _documents(ctx)
    out = []
    for table, column, _ in EVIDENCE:
        out += ctx.flag(table, _in(column, known) & ~_in(column, documents), column, rule, lambda r, c=column: r[c],
                        lambda r, c=column: f"{r[c]} is not an archived document (it has no text_sha256), so its quote cannot be checked.")
    return out


# --- temporal --------------------------------------------------------------------------------

DATED = [  # (table, start column, end column, precision column, basis column)
    ("statistics", "period_start", "period_end", "period_precision", "period_basis"),
    ("events", "date_start", "date_end", "date_precision", "date_basis"),
    ("sources", "published_start", "published_end", "date_precision", "date_basis"),
]


def check_period_order(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for table, start, end, _, _ in DATED:
        out += ctx.flag(table, pl.col(start) > pl.col(end), end, rule, lambda r, s=start, e=end: f"{fmt(r[s])} > {fmt(r[e])}",
                        lambda r, s=start, e=end: f"{e} {fmt(r[e])} is before {s} {fmt(r[s])}.")
    return out


UNITS = {"day": "1d", "month": "1mo", "quarter": "3mo", "half_year": "6mo", "year": "1y"}


def _unit_start(date: str, precision: str) -> pl.Expr:
    """First day of the day, month, quarter, half-year or year that contains the date (unit windows start in January)."""
    expr = pl.lit(None, dtype=pl.Date)
    for name, every in UNITS.items():
        expr = pl.when(pl.col(precision) == name).then(pl.col(date).dt.truncate(every)).otherwise(expr)
    return expr


def _unit_end(date: str, precision: str) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.Date)
    for name, every in UNITS.items():
        expr = pl.when(pl.col(precision) == name).then(pl.col(date).dt.truncate(every).dt.offset_by(every).dt.offset_by("-1d")).otherwise(expr)
    return expr


def check_precision_matches_dates(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for table, start, end, precision, basis in DATED:
        frame = ctx.frames[table]
        unknown = pl.col(precision) == "unknown"
        open_end = (pl.col(end).is_null() & (pl.col("status") == "ongoing")) if "status" in frame.columns else pl.lit(False)
        bad = (
            (unknown != (pl.col(basis) == "not_stated"))
            | (unknown & (pl.col(start).is_not_null() | pl.col(end).is_not_null()))
            | (~unknown & pl.col(start).is_null())
            | (~unknown & pl.col(start).is_not_null() & pl.col(start).ne_missing(_unit_start(start, precision)))
            | (~unknown & ~open_end & pl.col(end).ne_missing(_unit_end(end, precision)))
        )
        out += ctx.flag(table, bad, precision, rule,
                        lambda r, s=start, e=end, p=precision, b=basis: f"{fmt(r[s])}..{fmt(r[e])} {r[p]} {r[b]}",
                        lambda r, s=start, e=end, p=precision, b=basis: (
                            f"{s} must be the first day and {e} the last day of a {r[p]}" if r[p] != "unknown" else f"with precision unknown, {s} and {e} must be empty"
                        ) + f", and precision is unknown exactly when {b} is not_stated.")
    return out


def _after_report(ctx: Context, rule: Rule, table: str, subject: str, subject_table: str, date_column: str, exempt: pl.Expr | None) -> list[Failure]:
    subjects = ctx.frames[subject_table].select(subject, pl.col(date_column).alias("dated"), *([pl.col("status")] if exempt is not None else []))
    published = ctx.frames["sources"].select("source_id", "published_end")
    frame = ctx.rows(table, subject, "source_id", "cited_source_id").join(subjects, on=subject, how="left")
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


# --- provenance ------------------------------------------------------------------------------

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
        quotes = evidence.select(pl.col("quote").unique()).with_row_index("quote_id")
        link = (evidence.select("statistic_id", "quote").join(quotes, on="quote").select("statistic_id", "quote_id")
                .join(ctx.rows("statistics", "statistic_id"), on="statistic_id").select(ROW, "quote_id"))
        return link, quotes
    return ctx.shared("quoted", compute)


def check_value_in_quote(ctx: Context, rule: Rule) -> list[Failure]:
    link, quotes = _quoted(ctx)
    numbers = quotes.select("quote_id", number=numbers_expr(pl.col("quote"))).explode("number")
    stats = ctx.rows("statistics", "value", "figure_kind")
    stated = (link.join(stats.select(ROW, "value"), on=ROW)
              .join(numbers, left_on=["quote_id", "value"], right_on=["quote_id", "number"], how="semi"))
    bad = stats.filter(pl.col("value").is_not_null() & (pl.col("figure_kind") != "derived")
                       & _in(ROW, link[ROW]) & ~_in(ROW, stated[ROW]))
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
    bad = stats.filter(_in(ROW, evidence[ROW]) & ~_in(ROW, found[ROW]))
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
    return ctx.flag("sources", pl.col("text_sha256").is_not_null() & ~_in("text_sha256", archived), "text_sha256", rule,
                    lambda r: r["text_sha256"], lambda r: "No file in the archive has this sha256: the document is missing or was changed.")


def check_quote_in_archive(ctx: Context, rule: Rule) -> list[Failure]:
    texts = {row["source_id"]: (ctx.archive or {}).get(row["text_sha256"])
             for row in ctx.frames["sources"].filter(pl.col("text_sha256").is_not_null()).iter_rows(named=True)}
    out = []
    for table, column, quote in EVIDENCE:
        # each document's distinct quotes are searched once: quotes repeat across rows (a unique over the
        # (document, quote) pairs would copy every quote into a row encoding first)
        missing = [(document, q) for document, quotes in ctx.frames[table].group_by(column).agg(pl.col(quote).unique()).iter_rows()
                   if isinstance(texts.get(document), str) for q in quotes if q is not None and q not in texts[document]]
        if not missing:
            continue
        missing = pl.DataFrame(missing, schema={column: pl.String, quote: pl.String}, orient="row")
        bad = ctx.rows(table, column, quote).filter(_in(quote, missing[quote])).join(missing, on=[column, quote])
        out += ctx.report(table, bad, quote, rule, lambda r, q=quote: r[q][:60],
                          lambda r, c=column: f"The quote is not found verbatim in the archived text of {r[c]}.")
    return out


# --- agreement -------------------------------------------------------------------------------

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


# --- hygiene ---------------------------------------------------------------------------------

def _text_columns(package: Package, name: str) -> list[str]:
    """The text columns the hygiene rules read. A column whose valid values all come from elsewhere (an enum, or the
    key column a foreign key references, itself checked here) is left out: a stray space or control character there
    already fails schema.enum or ref.foreign_key, and one mistake gets one failure."""
    table = package.tables[name]
    return [f.name for f in table.fields if f.type == "string" and f.enum is None and f.name not in table.foreign_key_of]


SCREENS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    # cheap tests that every text cell passes through once, shared by the rules that look only at their hits
    "edges": lambda s: s.str.contains(r"^[\s=+\-@]") | s.str.contains(r"\s$"),  # two anchored searches: one unanchored costs 5x
    "non_ascii": lambda s: s.str.len_bytes() != s.str.len_chars(),  # ASCII text is always NFC
}


def _text_rule(test: Callable[[pl.Expr], pl.Expr], message: str, screen: str | None = None) -> Callable[[Context, Rule], list[Failure]]:
    """A rule over every text cell; `screen` names a cheap test that narrows the columns and rows the rule's own test sees."""
    def check(ctx: Context, rule: Rule) -> list[Failure]:
        out = []
        for name in ctx.package.tables:
            if screen is None and name in ctx.control_free:
                continue
            columns = _text_columns(ctx.package, name)
            hits = ctx.screened(name, screen) if screen else dict.fromkeys(columns, True)
            for column in [c for c in columns if hits[c]]:
                rows = ctx.rows(name, column)
                if screen is not None:
                    rows = rows.filter(SCREENS[screen](pl.col(column)).fill_null(False))
                bad = rows.filter(test(pl.col(column)).fill_null(False))
                out += ctx.report(name, bad, column, rule, lambda r, c=column: repr(r[c][:60]), lambda r: message)
        return out
    return check


check_formula_injection = _text_rule(lambda s: s.str.contains(r"^[=+\-@]") & ~s.str.contains(NUMBER.pattern),
                                     "The text starts with =, +, - or @ and is not a number: a spreadsheet would run it as a formula.", "edges")
check_whitespace = _text_rule(lambda s: s.str.contains(r"^\s") | s.str.contains(r"\s$"), "The text has leading or trailing whitespace.", "edges")
# without a screen: every cell of a table whose file holds a control character other than its row-ending line breaks
check_control_chars = _text_rule(lambda s: s.str.contains(r"[\x00-\x1f\x7f-\x9f]"), "The text holds a control character (tab, newline or other).")
check_nfc = _text_rule(lambda s: s != s.str.normalize("NFC"), "The text is not in Unicode normal form NFC.", "non_ascii")


def check_iso3166(ctx: Context, rule: Rule) -> list[Failure]:
    geo = ctx.frames["geographies"]

    def country(code):
        return pycountry.countries.get(alpha_3=code) if isinstance(code, str) else None

    def subdivision(code):
        return pycountry.subdivisions.get(code=code) if isinstance(code, str) else None

    alpha3_by_id = dict(zip(geo["geography_id"].to_list(), geo["iso3166_1_alpha3"].to_list()))
    valid_alpha3 = [country(c) is not None for c in geo["iso3166_1_alpha3"].to_list()]
    sub_country = [subdivision(c).country_code if subdivision(c) else None for c in geo["iso3166_2"].to_list()]
    parent_alpha2 = [country(alpha3_by_id.get(p)).alpha_2 if country(alpha3_by_id.get(p)) else None for p in geo["parent_geography_id"].to_list()]
    frame = ctx.rows("geographies").with_columns(
        valid_alpha3=pl.Series(valid_alpha3, dtype=pl.Boolean),
        sub_ok=pl.Series([s is not None and s == p for s, p in zip(sub_country, parent_alpha2)], dtype=pl.Boolean))
    alpha3, sub, level, gid = pl.col("iso3166_1_alpha3"), pl.col("iso3166_2"), pl.col("level"), pl.col("geography_id")
    bad_level = (((level == "country") & (alpha3.is_null() | alpha3.ne_missing(gid) | sub.is_not_null()))
                 | ((level == "province") & (sub.is_null() | sub.ne_missing(gid) | alpha3.is_not_null()))
                 | (level.is_in(["region", "site", "aggregate"]) & (alpha3.is_not_null() | sub.is_not_null())))
    out = ctx.report("geographies", frame.filter(alpha3.is_not_null() & ~pl.col("valid_alpha3")), "iso3166_1_alpha3", rule,
                     lambda r: r["iso3166_1_alpha3"], lambda r: f"{r['iso3166_1_alpha3']} is not an ISO 3166-1 alpha-3 code.")
    out += ctx.report("geographies", frame.filter(sub.is_not_null() & ~pl.col("sub_ok")), "iso3166_2", rule,
                      lambda r: r["iso3166_2"], lambda r: f"{r['iso3166_2']} is not an ISO 3166-2 code of the parent country {fmt(r['parent_geography_id'])}.")
    out += ctx.report("geographies", frame.filter(bad_level.fill_null(False)), "level", rule, lambda r: r["level"],
                      lambda r: "A country's id is its ISO 3166-1 alpha-3 code, a province's its ISO 3166-2 code; other levels carry neither.")
    return out


def check_aggregate_parts(ctx: Context, rule: Rule) -> list[Failure]:
    geo = ctx.frames["geographies"]
    counts = ctx.frames["geography_parts"].group_by("aggregate_geography_id").agg(parts=pl.len()).rename({"aggregate_geography_id": "geography_id"})
    frame = ctx.rows("geographies").join(counts, on="geography_id", how="left")
    out = ctx.report("geographies", frame.filter((pl.col("level") == "aggregate") & (pl.col("parts").fill_null(0) < 2)), "geography_id", rule,
                     lambda r: r["geography_id"], lambda r: "An aggregate needs at least two parts in geography_parts.")
    aggregates = geo.filter(pl.col("level") == "aggregate")["geography_id"]
    out += ctx.flag("geography_parts", _in("aggregate_geography_id", geo["geography_id"]) & ~_in("aggregate_geography_id", aggregates),
                    "aggregate_geography_id", rule, lambda r: r["aggregate_geography_id"],
                    lambda r: f"{r['aggregate_geography_id']} is not a geography of level aggregate.")
    return out


def check_key_order(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for name, table in ctx.package.tables.items():
        if ctx.frames[name].height < 2 or not table.primary_key:
            continue
        out += ctx.flag(name, sorts_before_previous(table.primary_key), table.primary_key[0], rule, lambda r: "",
                        lambda r: "This row's primary key sorts before the previous row's: keep rows in primary-key order.")
    return out


# --- parity ----------------------------------------------------------------------------------

def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def check_parity(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for name, table in ctx.package.tables.items():
        def fail(message: str, key: str = "", column: str = "", line: int | None = None, values: str = "", name: str = name) -> None:
            out.append(Failure(name, key, column, line, rule.id, values, message))
        try:
            parquet = pq.ParquetFile(table.parquet_path)
            got_schema = parquet.schema_arrow
        except FileNotFoundError:
            fail(f"data/{name}.parquet is missing: run make to build it.")
            continue
        except (OSError, pa.ArrowException) as err:
            fail(f"data/{name}.parquet cannot be read ({err}).")
            continue
        want_schema = table.to_pyarrow()
        if got_schema.metadata != want_schema.metadata:
            fail(f"data/{name}.parquet stores a different Table Schema than {table.schema_path}: run make.")
        # nullability is not compared: a twin of a CSV with an empty required cell cannot be non-nullable
        if not _nullable(got_schema).equals(_nullable(want_schema)):
            diff = [f"{f.name}: {f.type}" for f in got_schema if f.name not in want_schema.names or want_schema.field(f.name).type != f.type]
            missing = [n for n in want_schema.names if n not in got_schema.names]
            fail(f"data/{name}.parquet has other columns or types than its schema ({'; '.join(diff + [m + ': missing' for m in missing])}): run make.")
            continue
        if parquet.metadata.num_rows != ctx.frames[name].height:
            fail(f"data/{name}.parquet has {parquet.metadata.num_rows} rows, the CSV {ctx.frames[name].height}: run make.")
            continue
        want = ctx.frames[name]
        for column in want.columns:  # a column at a time: a whole second copy of a large table is not needed
            got = pl.read_parquet(table.parquet_path, columns=[column]).to_series().cast(want[column].dtype)
            if got.equals(want[column]):
                continue
            differs = ~got.eq_missing(want[column])
            keys = ctx.keys(name)
            for i in differs.arg_true().head(20).to_list():
                fail("The Parquet cell differs from the CSV cell: run make.", keys[i], column, i + 2, f"{got[i]!r} != {want[column][i]!r}")
    return out


ALL_TEXT = ("*",)

RULES: list[Rule] = [
    Rule("file.empty", "A CSV has at least its header row.", stage="file"),
    Rule("file.encoding", "A CSV is UTF-8 without a byte-order mark.", stage="file"),
    Rule("file.line_endings", "A CSV uses LF line endings.", stage="file"),
    Rule("file.header", "A CSV's header names its schema's fields, in order.", stage="file"),
    Rule("file.ragged_row", "Every row has as many cells as the header.", stage="file"),
    Rule("schema.type", "Every cell parses as its field's type (integer, number, boolean, YYYY-MM-DD date).", stage="schema"),
    Rule("schema.required", "Required fields are not empty.", stage="schema"),
    Rule("schema.enum", "A field with allowed values holds one of them.", stage="schema"),
    Rule("schema.pattern", "A field with a pattern matches it.", stage="schema"),
    Rule("schema.length", "Text respects its field's minimum and maximum length (quotes at most 300 characters).", stage="schema"),
    Rule("schema.range", "Numbers respect their field's minimum and maximum.", stage="schema"),
    Rule("schema.unique", "Primary keys, unique keys and unique fields have no duplicates.", stage="schema"),
    Rule("ref.foreign_key", "Every foreign key resolves to a row of the table it references.", stage="schema"),
    Rule("arith.parts_sum_to_total", "The parts of an aggregate geography, or sub-periods tiling a period, sum to the total.", check_parts_sum_to_total, 0.0, tables=("statistics", "indicators", "geography_parts")),
    Rule("arith.part_not_above_whole", "A figure never exceeds the figure of the indicator it is part of, for the same geography and period.", check_part_not_above_whole, 0.0, tables=("statistics", "indicators")),
    Rule("arith.qualifier_bounds", "Bounds are those the qualifier implies ('around' a band, 'over' a lower bound) and lower <= value <= upper.", check_qualifier_bounds, 1e-9, tables=("statistics", "qualifiers")),
    Rule("arith.derivation_recomputes", "A derived figure equals its declared formula recomputed from its inputs.", check_derivations, 0.0005, tables=("statistics", "derivation_inputs")),
    Rule("arith.words_match_numbers", "A claim in words ('on pace to double') holds for its statistic, or a discrepancy records that it does not.", check_words_match_numbers, 1e-9, tables=("claims", "statistics", "qualifiers", "discrepancies")),
    Rule("ref.statistic_has_evidence", "Every statistic has evidence from a document, or inputs if it is derived.", check_statistic_has_evidence, tables=("statistics", "statistic_evidence", "derivation_inputs")),
    Rule("ref.event_has_evidence", "Every event has evidence from a document.", check_event_has_evidence, tables=("events", "event_evidence")),
    Rule("ref.evidence_from_document", "Quotes come from archived documents (sources with a text_sha256).", check_evidence_from_document, tables=("sources",) + tuple(t for t, _, _ in EVIDENCE)),
    Rule("time.period_order", "A period or date range does not end before it starts.", check_period_order, tables=("statistics", "events", "sources")),
    Rule("time.precision_matches_dates", "Start and end span exactly one unit of the stated precision; unknown precision means no dates and basis not_stated.", check_precision_matches_dates, tables=("statistics", "events", "sources")),
    Rule("time.period_before_report", "A reported period ends on or before the publication of each source that reports it.", check_period_before_report, tables=("statistic_evidence", "statistics", "sources")),
    Rule("time.event_before_report", "An event starts on or before the publication of each source that reports it, unless planned or announced.", check_event_before_report, tables=("event_evidence", "events", "sources")),
    Rule("time.citation_order", "No document cites a source published after it.", check_citation_order, tables=("citations", "sources")),
    Rule("prov.value_in_quote", "The value of a statistic appears in at least one of its quotes (thousands separators and number words allowed).", check_value_in_quote, tables=("statistics", "statistic_evidence"), prose=("statistic_evidence.quote",)),
    Rule("prov.qualifier_in_quote", "The words of a statistic's qualifier appear in at least one of its quotes.", check_qualifier_in_quote, tables=("statistics", "statistic_evidence", "qualifiers"), prose=("statistic_evidence.quote",)),
    Rule("prov.document_in_archive", "With --archive: every archived document's sha256 matches a file in the archive.", check_document_in_archive, stage="archive", tables=("sources",)),
    Rule("prov.quote_in_archive", "With --archive: every quote is found verbatim in its document's archived text.", check_quote_in_archive, stage="archive", tables=("sources",) + tuple(t for t, _, _ in EVIDENCE), prose=tuple(f"{t}.{q}" for t, _, q in EVIDENCE)),
    Rule("agree.cross_source", "Figures for the same indicator, geography and period agree, or a discrepancy records the difference.", check_cross_source, tables=("statistics", "discrepancies")),
    Rule("hygiene.formula_injection", "No text starts with =, +, - or @ unless it is a number.", check_formula_injection, prose=ALL_TEXT),
    Rule("hygiene.whitespace", "No text has leading or trailing whitespace.", check_whitespace, prose=ALL_TEXT),
    Rule("hygiene.control_chars", "No text holds control characters.", check_control_chars, prose=ALL_TEXT),
    Rule("hygiene.unicode_nfc", "All text is in Unicode NFC.", check_nfc, prose=ALL_TEXT),
    Rule("hygiene.iso3166", "Country and province codes exist in ISO 3166 (pycountry) and match their level and parent.", check_iso3166, tables=("geographies",)),
    Rule("hygiene.aggregate_parts", "An aggregate geography has at least two parts, and only aggregates have parts.", check_aggregate_parts, tables=("geographies", "geography_parts")),
    Rule("hygiene.key_order", "Rows are in primary-key order.", check_key_order),
    Rule("parity.parquet_matches_csv", "Each Parquet twin holds exactly its CSV's rows, types and Table Schema.", check_parity, stage="parity", prose=ALL_TEXT),
]

RULES_BY_ID = {rule.id: rule for rule in RULES}
