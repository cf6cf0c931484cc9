"""Arithmetic: totals, parts, bounds, derived figures and claims in words, recomputed from the tables.

The tolerances are literals in the queries: none for sums and parts (counts add up exactly), 1e-9 for bounds and
claims (relative to the bound, or absolute), 0.0005 for a derived figure (a ratio is kept to 3 decimals).
"""

from __future__ import annotations

from .model import Example, Rule, delete, edit

# each claim with its statistic's value and whether the words hold for it (a claim of no statistic does not hold)
CLAIMED = """
    claimed AS (
        SELECT c.row_, c.claim_id, c.statistic_id, c.comparison, c.claimed_value, s.value AS stat_value,
               COALESCE(CASE c.comparison
                   WHEN 'at_least' THEN s.value >= c.claimed_value - 1e-9
                   WHEN 'nearly' THEN s.value >= c.claimed_value * (1 - COALESCE(q.band, 0.0)) - 1e-9
                                      AND s.value < c.claimed_value
                   WHEN 'around' THEN ABS(s.value - c.claimed_value) <= c.claimed_value * COALESCE(q.band, 0.0) + 1e-9
                   ELSE TRUE END, FALSE) AS holds
        FROM claims AS c LEFT JOIN statistics AS s ON s.statistic_id = c.statistic_id
        LEFT JOIN qualifiers AS q ON q.qualifier_id = c.comparison)"""

# statistics that may add up, with what their indicator says of adding up: a derived figure is recomputed instead
ADDITIVE = """
    additive AS (
        SELECT s.row_, s.statistic_id, s.indicator_id, s.geography_id, s.period_start, s.period_end, s.figure_kind,
               s.value, i.additive_over_geography AS by_geography, i.additive_over_time AS by_time
        FROM statistics AS s JOIN indicators AS i ON i.indicator_id = s.indicator_id
        WHERE s.value IS NOT NULL AND s.figure_kind <> 'derived'
          AND (i.additive_over_geography OR i.additive_over_time))"""

# the figures of an aggregate geography's parts, same indicator, period and kind of figure: their sum, where there
# are as many as the aggregate has parts (whether each part has its own is asked of the few sums that differ)
GEOGRAPHY_PARTS = """
    parts AS (
        SELECT g.indicator_id, p.aggregate_geography_id, g.period_start, g.period_end, g.figure_kind,
               SUM(g.value) AS total, COUNT(*) AS found
        FROM additive AS g JOIN geography_parts AS p ON p.part_geography_id = g.geography_id
        WHERE g.by_geography
        GROUP BY g.indicator_id, p.aggregate_geography_id, g.period_start, g.period_end, g.figure_kind),
    needed AS (SELECT aggregate_geography_id, COUNT(*) AS n FROM geography_parts GROUP BY aggregate_geography_id),
    unequal AS (
        SELECT w.row_, w.indicator_id, w.geography_id, w.period_start, w.period_end, w.figure_kind, w.value,
               t.total, n.n
        FROM additive AS w
        JOIN parts AS t ON t.indicator_id = w.indicator_id AND t.aggregate_geography_id = w.geography_id
         AND t.period_start IS NOT DISTINCT FROM w.period_start AND t.period_end IS NOT DISTINCT FROM w.period_end
         AND t.figure_kind = w.figure_kind
        JOIN needed AS n ON n.aggregate_geography_id = w.geography_id AND t.found = n.n
        WHERE w.by_geography AND ABS(w.value - t.total) > 0.0)"""

# the periods inside a figure's period, same indicator, geography and kind; they tile it when the first starts it,
# the last ends it, and each starts the day after the one before ends
SUB_PERIODS = """
    inside AS (
        SELECT w.row_, w.value, w.period_start, w.period_end, p.statistic_id AS part_id, p.value AS part_value,
               p.period_start AS part_start, p.period_end AS part_end,
               LEAD(p.period_start) OVER (PARTITION BY w.row_ ORDER BY p.period_start) AS next_start
        FROM additive AS w JOIN additive AS p
          ON p.indicator_id = w.indicator_id AND p.geography_id IS NOT DISTINCT FROM w.geography_id
         AND p.figure_kind = w.figure_kind AND p.period_start >= w.period_start AND p.period_end <= w.period_end
         AND NOT (p.period_start = w.period_start AND p.period_end = w.period_end)
        WHERE w.by_time AND p.by_time),
    tiled AS (
        SELECT row_, MIN(value) AS value, MIN(period_start) AS period_start, MIN(period_end) AS period_end,
               SUM(part_value) AS total, STRING_AGG(part_id, '+' ORDER BY part_start) AS ids
        FROM inside GROUP BY row_
        HAVING MIN(part_start) = MIN(period_start)
           AND MAX(CASE WHEN next_start IS NULL THEN part_end END) = MIN(period_end)
           AND COUNT(CASE WHEN DATE_DIFF('day', part_end, next_start) <> 1 THEN 1 END) = 0)"""

FORMULAS = """
    formulas AS (  -- derivation -> the roles of its inputs, as derivation_inputs names them
        SELECT 'ratio' AS derivation, 'numerator' AS first_role, 'denominator' AS second_role,
               'numerator, denominator' AS roles
        UNION ALL SELECT 'difference', 'minuend', 'subtrahend', 'minuend, subtrahend'
        UNION ALL SELECT 'annualise', 'part_period', NULL, 'part_period'
        UNION ALL SELECT 'anniversary_year', 'anniversary', NULL, 'anniversary'),
    inputs AS (
        SELECT d.statistic_id, d.input_role, s.value, s.period_start, s.period_end
        FROM derivation_inputs AS d LEFT JOIN statistics AS s ON s.statistic_id = d.input_statistic_id),
    recomputed AS (
        SELECT s.row_, s.derivation, s.value, f.roles,
               a.value IS NULL OR (f.second_role IS NOT NULL AND b.value IS NULL) AS missing,
               CASE s.derivation
                 WHEN 'annualise' THEN a.value * 12 / ((YEAR(a.period_end) - YEAR(a.period_start)) * 12
                                                       + MONTH(a.period_end) - MONTH(a.period_start) + 1)
                 WHEN 'ratio' THEN ROUND(a.value / b.value, 3)
                 WHEN 'difference' THEN a.value - b.value
                 WHEN 'anniversary_year' THEN YEAR(a.period_end) - a.value END AS computed
        FROM statistics AS s JOIN formulas AS f ON f.derivation = s.derivation
        LEFT JOIN inputs AS a ON a.statistic_id = s.statistic_id AND a.input_role = f.first_role
        LEFT JOIN inputs AS b ON b.statistic_id = s.statistic_id AND b.input_role = f.second_role)"""

# lower and upper bounds implied by the qualifier's rule (band, magnitude) and the value
IMPLIED = """
    implied AS (
        SELECT s.row_, s.qualifier_id, s.value, s.lower_bound, s.upper_bound, q.bound_rule,
               CASE q.bound_rule WHEN 'exact' THEN s.value WHEN 'band' THEN s.value * (1 - q.band)
                    WHEN 'above' THEN s.value WHEN 'at_least' THEN s.value WHEN 'below' THEN s.value * (1 - q.band)
                    WHEN 'magnitude' THEN 2 * q.magnitude END AS implied_lower,
               CASE q.bound_rule WHEN 'exact' THEN s.value WHEN 'band' THEN s.value * (1 + q.band)
                    WHEN 'below' THEN s.value WHEN 'magnitude' THEN 10 * q.magnitude - 1 END AS implied_upper,
               -- a magnitude word ('hundreds') stands for no number; every other qualifier qualifies one
               CASE WHEN q.bound_rule = 'magnitude' THEN s.value IS NOT NULL
                    WHEN q.bound_rule IS NOT NULL THEN s.value IS NULL ELSE FALSE END AS misfit
        FROM statistics AS s LEFT JOIN qualifiers AS q ON q.qualifier_id = s.qualifier_id)"""


def _bound(column: str, implied: str) -> str:
    """The rows whose stored bound is not the implied one (relative tolerance for large bounds)."""
    return f"""
    SELECT 'statistics' AS tbl, row_, '{column}' AS col, 'bound' AS case_, qualifier_id, value,
           {column} AS bound, {implied} AS implied, lower_bound, upper_bound
    FROM implied AS i
    WHERE i.bound_rule IS NOT NULL AND NOT i.misfit
      AND ((i.{column} IS NULL) <> (i.{implied} IS NULL)
           OR COALESCE(ABS(i.{column} - i.{implied}) > 1e-9 * GREATEST(ABS(i.{implied}), 1.0), FALSE))"""


RULES: list[Rule] = [
    Rule(
        "arith.parts_sum_to_total",
        "The parts of an aggregate geography, or sub-periods tiling a period, sum to the total.",
        message={
            "geography": "The total for {geography_id} is {value} but its parts {ids} sum to {total}.",
            "period": "The total for {period_start} to {period_end} is {value} but its sub-periods {ids} sum to "
            "{total}.",
        },
        values="{value} != {total} ({ids})",
        sql=f"""
        WITH {ADDITIVE}, {GEOGRAPHY_PARTS}, {SUB_PERIODS}
        SELECT 'statistics' AS tbl, u.row_, 'value' AS col, 'geography' AS case_, u.geography_id,
               u.period_start, u.period_end, u.value, u.total,
               STRING_AGG(g.statistic_id, '+' ORDER BY g.statistic_id) AS ids
        FROM unequal AS u JOIN geography_parts AS p ON p.aggregate_geography_id = u.geography_id
        JOIN additive AS g ON g.geography_id = p.part_geography_id AND g.by_geography
         AND g.indicator_id = u.indicator_id AND g.figure_kind = u.figure_kind
         AND g.period_start IS NOT DISTINCT FROM u.period_start AND g.period_end IS NOT DISTINCT FROM u.period_end
        GROUP BY u.row_, u.geography_id, u.period_start, u.period_end, u.value, u.total
        HAVING COUNT(DISTINCT g.geography_id) = MIN(u.n)  -- each part has a figure of its own
        UNION ALL
        SELECT 'statistics', row_, 'value', 'period', NULL, period_start, period_end, value, total, ids
        FROM tiled WHERE ABS(value - total) > 0.0
        """,
        # Iraq's operations and operatives killed swapped: neither IRQ_SYR total is the sum of its parts (a changed
        # value would also leave its document's number unaccounted for, a failure on a row synth does not replicate)
        example=Example(
            (
                edit("statistics", "S004", indicator_id="isis_operatives_killed"),
                edit("statistics", "S007", indicator_id="defeat_isis_operations"),
            ),
            (("statistics", "S003", "value"), ("statistics", "S006", "value")),
            # each indicator's span now reads the other's words ('partnered operations', 'killed')
            also=(
                ("span.states_cell", "statistics", "S004", "indicator_id"),
                ("span.states_cell", "statistics", "S007", "indicator_id"),
            ),
        ),
    ),
    Rule(
        "arith.part_not_above_whole",
        "A figure never exceeds the figure of the indicator it is part of, for the same geography and period.",
        message="{indicator_id} ({part}) exceeds the figure of the indicator it is part of, {part_of_indicator_id} "
        "({whole}, {whole_id}).",
        values="{part} > {whole} ({whole_id})",
        sql="""
        WITH parts AS (  -- the figures of indicators that are part of another, each at its least
            SELECT s.row_, s.indicator_id, i.part_of_indicator_id, s.geography_id, s.period_start, s.period_end,
                   COALESCE(s.value, s.lower_bound) AS part
            FROM statistics AS s JOIN indicators AS i ON i.indicator_id = s.indicator_id
            WHERE i.part_of_indicator_id IS NOT NULL)
        SELECT 'statistics' AS tbl, p.row_, 'value' AS col, p.indicator_id, p.part, p.part_of_indicator_id,
               COALESCE(w.value, w.upper_bound) AS whole, w.statistic_id AS whole_id  -- a whole at its most
        FROM parts AS p JOIN statistics AS w
          ON w.indicator_id = p.part_of_indicator_id AND w.geography_id IS NOT DISTINCT FROM p.geography_id
         AND w.period_start IS NOT DISTINCT FROM p.period_start AND w.period_end IS NOT DISTINCT FROM p.period_end
        WHERE p.part - COALESCE(w.value, w.upper_bound) > 0.0
        """,
        # the SDF's detainees and its foreign detainees swapped: the part (10,000) exceeds the whole (2,000)
        example=Example(
            (
                edit("statistics", "S016", indicator_id="sdf_held_foreign_is_fighters"),
                edit("statistics", "S017", indicator_id="sdf_held_is_fighters"),
            ),
            (("statistics", "S016", "value"),),
            # each indicator's span now reads the other's words ('IS fighters', 'foreigners')
            also=(
                ("span.states_cell", "statistics", "S016", "indicator_id"),
                ("span.states_cell", "statistics", "S017", "indicator_id"),
            ),
        ),
    ),
    Rule(
        "arith.qualifier_bounds",
        "Bounds are those the qualifier implies ('around' a band, 'over' a lower bound) and lower <= value <= upper.",
        message={
            "no_value": "Qualifier {qualifier_id!r} qualifies a number, but value is empty.",
            "magnitude": "Qualifier {qualifier_id!r} is a magnitude word with no number, but value is {value}.",
            "bound": "'{qualifier_id}' {value} implies {col} {implied:empty}, not {bound:empty}.",
            "outside": "The value lies outside its own lower and upper bounds.",
        },
        values={
            "no_value": "",
            "magnitude": "{value}",
            "bound": "{bound} (implied {implied})",
            "outside": "{lower_bound} <= {value} <= {upper_bound}",
        },
        sql=f"""
        WITH {IMPLIED}
        SELECT 'statistics' AS tbl, row_, 'value' AS col,
               CASE WHEN bound_rule = 'magnitude' THEN 'magnitude' ELSE 'no_value' END AS case_, qualifier_id, value,
               NULL AS bound, NULL AS implied, lower_bound, upper_bound
        FROM implied WHERE misfit
        UNION ALL {_bound("lower_bound", "implied_lower")}
        UNION ALL {_bound("upper_bound", "implied_upper")}
        UNION ALL
        SELECT 'statistics', row_, 'value', 'outside', qualifier_id, value, NULL, NULL, lower_bound, upper_bound
        FROM statistics WHERE lower_bound > value OR value > upper_bound
        """,
        example=Example((edit("statistics", "S014", upper_bound="2700"),), (("statistics", "S014", "upper_bound"),)),
    ),
    Rule(
        "arith.derivation_recomputes",
        "A derived figure equals its declared formula recomputed from its inputs.",
        message={
            "no_formula": "A derived statistic needs a derivation formula.",
            "not_derived": "Only derived statistics have a derivation; this one's figure_kind is {figure_kind}.",
            "missing": "Formula {derivation} needs inputs with roles {roles} and a value for each in "
            "derivation_inputs.",
            "differs": "Recomputing {derivation} from its inputs gives {computed}, not {value}.",
            "nothing": "Recomputing {derivation} from its inputs gives nothing, not {value}.",
        },
        values={
            "no_formula": "",
            "not_derived": "{derivation}",
            "missing": "{derivation}",
            "differs": "{value} != {computed}",
            "nothing": "{value} != nothing",
        },
        sql=f"""
        WITH {FORMULAS}
        SELECT 'statistics' AS tbl, row_, 'derivation' AS col,
               CASE WHEN derivation IS NULL THEN 'no_formula' ELSE 'not_derived' END AS case_,
               derivation, figure_kind, NULL AS roles, value, NULL AS computed
        FROM statistics WHERE (figure_kind = 'derived') = (derivation IS NULL)
        UNION ALL
        SELECT DISTINCT 'statistics', row_, 'derivation', 'missing', derivation, NULL, roles, NULL, NULL
        FROM recomputed WHERE missing
        UNION ALL
        SELECT 'statistics', row_, 'value', CASE WHEN computed IS NULL THEN 'nothing' ELSE 'differs' END,
               derivation, NULL, NULL, value, ROUND(computed, 6)
        FROM recomputed WHERE NOT missing AND COALESCE(ABS(value - computed) > 0.0005, TRUE)
        """,
        # S026 (a ratio) and S027 (a difference) are computed from S025: they no longer recompute either
        example=Example(
            (edit("statistics", "S025", value="300", lower_bound="300", upper_bound="300"),),
            (("statistics", "S025", "value"), ("statistics", "S026", "value"), ("statistics", "S027", "value")),
        ),
    ),
    Rule(
        "arith.words_match_numbers",
        "A claim in words ('on pace to double') holds for its statistic, or a discrepancy records that it does not.",
        message="The words claim {comparison} {claimed_value} but {statistic_id} is {stat_value}, and no discrepancy "
        "records it.",
        values="{statistic_id} = {stat_value}; {comparison} {claimed_value}",
        sql=f"""
        WITH {CLAIMED}
        SELECT 'claims' AS tbl, c.row_, 'claimed_value' AS col, c.statistic_id, c.stat_value, c.comparison,
               c.claimed_value
        FROM claimed AS c
        WHERE NOT c.holds AND NOT EXISTS (SELECT 1 FROM discrepancies AS d WHERE d.claim_id = c.claim_id)
        """,
        example=Example((delete("discrepancies", {"discrepancy_id": "D002"}),), (("claims", "C003", "claimed_value"),)),
    ),
]
