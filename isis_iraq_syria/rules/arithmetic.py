"""Arithmetic: totals, parts, bounds, derived figures and claims in words, recomputed from the tables."""

from __future__ import annotations

import polars as pl

from ..report import Failure, fmt
from .base import PERIOD, ROW, Context, Rule, in_

def _stats_with_indicators(ctx: Context, *columns: str) -> pl.DataFrame:
    """statistics with what their indicator says of adding up, for both rules that need it. The indicator's row is
    found by its position (shared with the foreign-key check), and `indicator` is that position: the rules group and
    join on it, a 4-byte code, rather than on the indicator's id."""
    def compute() -> pl.DataFrame:
        stats = ctx.rows("statistics", "statistic_id", "indicator_id", "geography_id", *PERIOD, "value", "figure_kind", "lower_bound", "upper_bound")
        return ctx.join_rows(stats, "statistics", "indicator_id", "indicators", "indicator_id",
                             {"indicator": None} | {c: c for c in ("additive_over_geography", "additive_over_time", "part_of_indicator_id")})
    return ctx.shared("stats_with_indicators", compute).drop([c for c in ("figure_kind", "lower_bound", "upper_bound") if c not in columns])


def check_parts_sum_to_total(ctx: Context, rule: Rule) -> list[Failure]:
    stats = _stats_with_indicators(ctx, "figure_kind").filter(pl.col("value").is_not_null() & (pl.col("figure_kind") != "derived"))
    parts_of = ctx.frames["geography_parts"]
    # By geography: the parts of an aggregate, same indicator, period and kind of figure.
    geo = stats.filter(pl.col("additive_over_geography").fill_null(False))
    need = parts_of.group_by("aggregate_geography_id").agg(parts_needed=pl.len())
    by = ["indicator", "aggregate_geography_id", *PERIOD, "figure_kind"]
    parts = geo.join(parts_of, left_on="geography_id", right_on="part_geography_id")
    sums = (parts.group_by(by).agg(parts_sum=pl.col("value").sum(), parts_found=pl.col("geography_id").n_unique(), parts_rows=pl.len())
            .join(need, on="aggregate_geography_id")
            .filter((pl.col("parts_found") == pl.col("parts_needed")) & (pl.col("parts_rows") == pl.col("parts_needed"))))
    whole = ["indicator", "geography_id", *PERIOD, "figure_kind"]
    bad = (geo.join(sums, left_on=whole, right_on=by, nulls_equal=True)
           .filter((pl.col("value") - pl.col("parts_sum")).abs() > rule.tolerance))
    # the parts' ids, for the message: joined into text only for the totals that fail (0.2 s for every total at 1M)
    ids = parts.join(bad.select(pl.col(whole).name.suffix("_w")), left_on=by, right_on=[f"{c}_w" for c in whole], nulls_equal=True, how="semi")
    bad = bad.join(ids.group_by(by).agg(parts_ids=pl.col("statistic_id").sort().str.join("+")), left_on=whole, right_on=by, nulls_equal=True, how="left")
    out = ctx.report("statistics", bad, "value", rule,
                     lambda r: f"{fmt(r['value'])} != {fmt(r['parts_sum'])} ({r['parts_ids']})",
                     lambda r: f"The total for {r['geography_id']} is {fmt(r['value'])} but its parts {r['parts_ids']} sum to {fmt(r['parts_sum'])}.")
    # By sub-period: periods that tile the whole's period exactly, same indicator, geography and kind.
    timed = stats.filter(pl.col("additive_over_time").fill_null(False) & pl.col("period_start").is_not_null() & pl.col("period_end").is_not_null())
    timed = timed.select(ROW, "statistic_id", "indicator", "geography_id", "figure_kind", "value", *PERIOD)
    pairs = (timed.join(timed, on=["indicator", "geography_id", "figure_kind"], suffix="_p", nulls_equal=True)
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
    wholes = stats.filter(in_("indicator_id", parents)).select(pl.col("statistic_id").alias("whole_id"), pl.col("indicator_id").alias("part_of_indicator_id"),
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


def _computed(row: dict) -> str:
    # nothing when an input's value or period is empty (or failed to parse)
    return "nothing" if row["computed"] is None else fmt(round(row["computed"], 6))


def check_derivations(ctx: Context, rule: Rule) -> list[Failure]:
    derived = pl.col("figure_kind") == "derived"
    out = ctx.flag("statistics", derived & pl.col("derivation").is_null(), "derivation", rule, lambda r: "",
                   lambda r: "A derived statistic needs a derivation formula.")
    out += ctx.flag("statistics", ~derived & pl.col("derivation").is_not_null(), "derivation", rule, lambda r: r["derivation"],
                    lambda r: f"Only derived statistics have a derivation; this one's figure_kind is {r['figure_kind']}.")
    # each input with its input statistic's figure, reached by position rather than by a join on the ids' text
    inputs = ctx.join_rows(ctx.rows("derivation_inputs", "statistic_id", "input_role"), "derivation_inputs", "input_statistic_id",
                           "statistics", "statistic_id", {c: c for c in ("value", *PERIOD)})
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
                          lambda r: f"{fmt(r['value'])} != {_computed(r)}",
                          lambda r, f=formula: f"Recomputing {f} from its inputs gives {_computed(r)}, not {fmt(r['value'])}.")
    return out


def check_words_match_numbers(ctx: Context, rule: Rule) -> list[Failure]:
    # comparison is an enum, held as a categorical: the key it joins on takes the same type
    bands = ctx.frames["qualifiers"].select(pl.col("qualifier_id").cast(ctx.frames["claims"].schema["comparison"]).alias("comparison"), "band")
    frame = (ctx.join_rows(ctx.rows("claims"), "claims", "statistic_id", "statistics", "statistic_id", {"stat_value": "value"})
             .join(bands, on="comparison", how="left")
             .with_columns(pl.col("band").fill_null(0.0)))
    value, claimed, band, tol, comparison = pl.col("stat_value"), pl.col("claimed_value"), pl.col("band"), rule.tolerance, pl.col("comparison")
    holds = (pl.when(comparison == "at_least").then(value >= claimed - tol)
             .when(comparison == "nearly").then((value >= claimed * (1 - band) - tol) & (value < claimed))
             .when(comparison == "around").then((value - claimed).abs() <= claimed * band + tol)
             .otherwise(True))
    known = in_("claim_id", ctx.frames["discrepancies"]["claim_id"])
    bad = frame.filter(~holds.fill_null(False) & ~known)
    return ctx.report("claims", bad, "claimed_value", rule,
                      lambda r: f"{r['statistic_id']} = {fmt(r['stat_value'])}; {r['comparison']} {fmt(r['claimed_value'])}",
                      lambda r: f"The words claim {r['comparison']} {fmt(r['claimed_value'])} but {r['statistic_id']} is {fmt(r['stat_value'])}, and no discrepancy records it.")


RULES: list[Rule] = [
    Rule("arith.parts_sum_to_total", "The parts of an aggregate geography, or sub-periods tiling a period, sum to the total.", check_parts_sum_to_total, 0.0, tables=("statistics", "indicators", "geography_parts")),
    Rule("arith.part_not_above_whole", "A figure never exceeds the figure of the indicator it is part of, for the same geography and period.", check_part_not_above_whole, 0.0, tables=("statistics", "indicators")),
    Rule("arith.qualifier_bounds", "Bounds are those the qualifier implies ('around' a band, 'over' a lower bound) and lower <= value <= upper.", check_qualifier_bounds, 1e-9, tables=("statistics", "qualifiers")),
    Rule("arith.derivation_recomputes", "A derived figure equals its declared formula recomputed from its inputs.", check_derivations, 0.0005, tables=("statistics", "derivation_inputs")),
    Rule("arith.words_match_numbers", "A claim in words ('on pace to double') holds for its statistic, or a discrepancy records that it does not.", check_words_match_numbers, 1e-9, tables=("claims", "statistics", "qualifiers", "discrepancies")),
]
