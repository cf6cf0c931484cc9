"""Time: periods and dates are ordered, match their precision, and come before the reports of them."""

from __future__ import annotations

from .model import Example, Rule, edit, union

DATED = [  # the tables with a date range, and its columns
    {"table": "statistics", "start": "period_start", "end": "period_end", "precision": "period_precision"},
    {"table": "events", "start": "date_start", "end": "date_end", "precision": "date_precision"},
    {"table": "sources", "start": "published_start", "end": "published_end", "precision": "date_precision"},
]

# precision -> the unit's length in months (units start in January); a day is always a whole unit
UNIT_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def starts_unit(date: str, precision: str) -> str:
    """SQL: whether the date is the first day of a unit of its precision (false for a precision that is no unit):
    the first day of a month that many months after a January. Calendar fields, as every engine has them."""
    months = " ".join(f"WHEN '{unit}' THEN {n}" for unit, n in UNIT_MONTHS.items())
    return (
        f"({precision} = 'day' OR COALESCE(EXTRACT(day FROM {date}) = 1 "
        f"AND (EXTRACT(month FROM {date}) - 1) % (CASE {precision} {months} END) = 0, FALSE))"
    )


def ends_unit(date: str, precision: str) -> str:
    """SQL: whether the date is the last day of a unit of its precision: the next day starts one."""
    return starts_unit(f"({date} + INTERVAL 1 DAY)", precision)


def _precision(table: str, start: str, end: str, precision: str) -> str:
    # an open start is a bound ('by 2019'), an open end a start only ('since 2017'): one of them is enough
    p, s, e = f"t.{precision}", f"t.{start}", f"t.{end}"
    return f"""
    SELECT '{table}' AS tbl, t.row_, '{precision}' AS col, CASE WHEN {p} = 'unknown' THEN 'unknown' ELSE 'unit' END
           AS case_, '{start}' AS start_name, '{end}' AS end_name, {s} AS start_value, {e} AS end_value,
           {p} AS precision
    FROM {table} AS t
    WHERE {p} IS NOT NULL AND CASE WHEN {p} = 'unknown' THEN {s} IS NOT NULL OR {e} IS NOT NULL
               ELSE ({s} IS NULL AND {e} IS NULL) OR ({s} IS NOT NULL AND NOT {starts_unit(s, p)})
                    OR ({e} IS NOT NULL AND NOT {ends_unit(e, p)}) END"""


def _after_report(table: str, subject: str, subject_table: str, dated: str, exempt: str = "FALSE") -> str:
    """The rows of an evidence table whose subject is dated after a source they name (either column) was published,
    unless `exempt` (over the subject's row `x`)."""
    return union(
        f"""
    SELECT '{table}' AS tbl, v.row_, '{{column}}' AS col, v.{subject} AS subject, v.{{column}} AS source,
           x.{dated} AS dated, s.published_end AS reported
    FROM {table} AS v JOIN {subject_table} AS x ON x.{subject} = v.{subject}
    JOIN sources AS s ON s.source_id = v.{{column}}
    WHERE x.{dated} > s.published_end AND NOT COALESCE({exempt}, FALSE)""",
        [{"column": "source_id"}, {"column": "cited_source_id"}],
    )


AFTER_REPORT = "{subject} is dated {dated}, after {source} was published ({reported})."

RULES: list[Rule] = [
    Rule(
        "time.period_order",
        "A period or date range does not end before it starts.",
        message="{end_name} {end_value} is before {start_name} {start_value}.",
        values="{start_value} > {end_value}",
        sql=union(
            """
        SELECT '{table}' AS tbl, row_, '{end}' AS col, '{start}' AS start_name, '{end}' AS end_name,
               {start} AS start_value, {end} AS end_value
        FROM {table} WHERE {start} > {end}""",
            DATED,
        ),
        example=Example(
            (edit("statistics", "S002", period_start="2024-01-01"),),
            (("statistics", "S002", "period_end"),),
            also=(("basis.dates_stated", "statistics", "S002", "period_start"),),
        ),
    ),
    Rule(
        "time.precision_matches_dates",
        "Start and end fall on the first and last day of a unit of the stated precision; unknown precision means no "
        "dates.",
        message={
            "unit": "{start_name} must be the first day and {end_name} the last day of a {precision}, and at "
            "least one of them is given.",
            "unknown": "with precision unknown, {start_name} and {end_name} must be empty.",
        },
        values="{start_value}..{end_value} {precision}",
        sql="\nUNION ALL\n".join(_precision(**dated) for dated in DATED),
        example=Example(
            (edit("events", "E009", date_end="2024-09-29"),),
            (("events", "E009", "date_precision"),),
            also=(("basis.dates_stated", "events", "E009", "date_start"),),
        ),
    ),
    Rule(
        "time.period_before_report",
        "A reported period ends on or before the publication of each source that reports it.",
        message=AFTER_REPORT,
        values="{dated} > {reported}",
        sql=_after_report("statistic_evidence", "statistic_id", "statistics", "period_end"),
        example=Example(
            (edit("statistics", "S015", period_start="2024-08-01", period_end="2024-08-31"),),
            (("statistic_evidence", "S015|doc-shafaq-news", "cited_source_id"),),
            also=(("basis.dates_stated", "statistics", "S015", "period_start"),),
        ),
    ),
    Rule(
        "time.event_before_report",
        "An event starts on or before the publication of each source that reports it, unless planned or announced.",
        message=AFTER_REPORT,
        values="{dated} > {reported}",
        sql=_after_report(
            "event_evidence", "event_id", "events", "date_start", exempt="x.status IN ('planned', 'announced')"
        ),
        example=Example(
            (edit("events", "E017", date_start="2024-07-18", date_end="2024-07-18"),),
            (
                ("event_evidence", "E017|doc-devdiscourse", "source_id"),
                ("event_evidence", "E017|doc-devdiscourse", "cited_source_id"),
            ),
        ),
    ),
    Rule(
        "time.citation_order",
        "No document cites a source published after it.",
        message="{citing_source_id} cites {cited_source_id}, published after it ({cited}).",
        values="{cited} > {citing}",
        sql="""
        SELECT 'citations' AS tbl, c.row_, 'cited_source_id' AS col, c.citing_source_id, c.cited_source_id,
               cited.published_start AS cited, citing.published_end AS citing
        FROM citations AS c
        JOIN sources AS cited ON cited.source_id = c.cited_source_id
        JOIN sources AS citing ON citing.source_id = c.citing_source_id
        WHERE cited.published_start > citing.published_end
        """,
        example=Example(
            (edit("sources", "centcom-statement", published_start="2024-07-18", published_end="2024-07-18"),),
            (("citations", "doc-devdiscourse|centcom-statement", "cited_source_id"),),
            also=(("basis.dates_stated", "sources", "centcom-statement", "published_start"),),
        ),
    ),
]
