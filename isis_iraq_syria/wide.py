"""The wide tables for analysis: figures_wide and events_wide, derived from the curated tables by one SQL query each.

A derived table's Table Schema names its inputs (`x-derived-from`); its query is written here once, over the
curated tables by their names, so that DuckDB runs it on the build's typed tables (and any engine that has the
tables can read it). The build writes each result as a CSV and a Parquet twin; the rule
parity.derived_matches_build derives them again and compares, so that a hand edit fails by name.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from .schema import CannotRun, Package, Table
from .tables import parquet_bytes

# each subject's evidence with its document's short name (n: its order), and the documents reporting it
EVIDENCE = """
WITH evidence AS (
    SELECT e.{subject}, e.source_id, CAST(e.quote AS VARCHAR) AS quote, CAST(s.short_name AS VARCHAR) AS short_name,
           row_number() OVER (PARTITION BY e.{subject} ORDER BY e.source_id) AS n
    FROM {table} AS e JOIN sources AS s ON s.source_id = e.source_id
),
reports AS (
    SELECT {subject}, count(DISTINCT source_id) AS documents,
           string_agg(DISTINCT short_name, '; ' ORDER BY short_name) AS document_names
    FROM evidence GROUP BY {subject}
),"""

FIGURES_WIDE = (
    EVIDENCE.format(subject="statistic_id", table="statistic_evidence")
    + """
-- a part: the same indicator and period in a part of an aggregate geography, or an indicator declared part of
-- another with the same geography and period
part_of AS (
    SELECT p.statistic_id, w.statistic_id AS whole_id
    FROM statistics AS p
    JOIN geography_parts AS g ON g.part_geography_id = p.geography_id
    JOIN statistics AS w ON w.geography_id = g.aggregate_geography_id AND w.indicator_id = p.indicator_id
        AND w.period_start IS NOT DISTINCT FROM p.period_start AND w.period_end IS NOT DISTINCT FROM p.period_end
    UNION
    SELECT p.statistic_id, w.statistic_id AS whole_id
    FROM statistics AS p
    JOIN indicators AS i ON i.indicator_id = p.indicator_id
    JOIN statistics AS w ON w.indicator_id = i.part_of_indicator_id
        AND w.geography_id IS NOT DISTINCT FROM p.geography_id
        AND w.period_start IS NOT DISTINCT FROM p.period_start AND w.period_end IS NOT DISTINCT FROM p.period_end
),
wholes AS (
    SELECT statistic_id, string_agg(CAST(whole_id AS VARCHAR), '; ' ORDER BY whole_id) AS part_of
    FROM part_of GROUP BY statistic_id
),
parts AS (
    SELECT whole_id AS statistic_id, string_agg(CAST(statistic_id AS VARCHAR), '; ' ORDER BY statistic_id) AS parts
    FROM part_of GROUP BY whole_id
),
inputs AS (
    SELECT statistic_id, string_agg(CAST(input_statistic_id AS VARCHAR), '; ' ORDER BY input_statistic_id) AS inputs
    FROM derivation_inputs GROUP BY statistic_id
)
SELECT
    CAST(s.statistic_id AS VARCHAR) AS statistic_id,
    CAST(s.indicator_id AS VARCHAR) AS indicator_id,
    CAST(i.name AS VARCHAR) AS indicator,
    CAST(i.unit AS VARCHAR) AS unit,
    s.value,
    CASE WHEN CAST(i.measure_type AS VARCHAR) IN ('flow', 'stock') AND s.value = trunc(s.value)
        THEN CAST(s.value AS BIGINT) END AS count,
    CAST(s.qualifier_id AS VARCHAR) AS qualifier_id,
    CAST(q.phrase AS VARCHAR) AS qualifier,
    s.lower_bound,
    s.upper_bound,
    CAST(s.geography_id AS VARCHAR) AS geography_id,
    CAST(g.name AS VARCHAR) AS geography,
    CAST(coalesce(g.iso3166_2, g.iso3166_1_alpha3) AS VARCHAR) AS iso_code,
    CASE
        WHEN parts.parts IS NOT NULL AND wholes.part_of IS NOT NULL THEN 'total and part'
        WHEN parts.parts IS NOT NULL THEN 'total'
        WHEN wholes.part_of IS NOT NULL THEN 'part'
    END AS total_or_part,
    wholes.part_of,
    parts.parts,
    s.period_start,
    s.period_end,
    CAST(s.period_precision AS VARCHAR) AS period_precision,
    CAST(s.figure_kind AS VARCHAR) AS figure_kind,
    CAST(s.asserted_by_actor_id AS VARCHAR) AS asserted_by_actor_id,
    CAST(a.name AS VARCHAR) AS asserted_by,
    CAST(s.figure_kind AS VARCHAR) = 'derived' AS computed,
    inputs.inputs,
    coalesce(reports.documents, 0) AS documents,
    reports.document_names,
    first.quote,
    first.short_name AS quote_document
FROM statistics AS s
LEFT JOIN indicators AS i ON i.indicator_id = s.indicator_id
LEFT JOIN qualifiers AS q ON q.qualifier_id = s.qualifier_id
LEFT JOIN geographies AS g ON g.geography_id = s.geography_id
LEFT JOIN actors AS a ON a.actor_id = s.asserted_by_actor_id
LEFT JOIN wholes ON wholes.statistic_id = s.statistic_id
LEFT JOIN parts ON parts.statistic_id = s.statistic_id
LEFT JOIN inputs ON inputs.statistic_id = s.statistic_id
LEFT JOIN reports ON reports.statistic_id = s.statistic_id
LEFT JOIN evidence AS first ON first.statistic_id = s.statistic_id AND first.n = 1
ORDER BY statistic_id
"""
)

EVENTS_WIDE = (
    EVIDENCE.format(subject="event_id", table="event_evidence")
    + """
places AS (
    SELECT p.event_id,
           string_agg(CAST(g.name AS VARCHAR), '; ' ORDER BY CAST(g.name AS VARCHAR)) AS places,
           string_agg(CAST(p.geography_id AS VARCHAR), '; ' ORDER BY p.geography_id) AS place_ids
    FROM event_geographies AS p JOIN geographies AS g ON g.geography_id = p.geography_id
    GROUP BY p.event_id
),
named AS (
    SELECT r.event_id, CAST(r.role AS VARCHAR) AS role, CAST(a.name AS VARCHAR) AS name
    FROM event_actors AS r JOIN actors AS a ON a.actor_id = r.actor_id
),
roles AS (
    SELECT event_id,
        string_agg(name, '; ' ORDER BY name) FILTER (WHERE role = 'announcer') AS announcers,
        string_agg(name, '; ' ORDER BY name) FILTER (WHERE role = 'participant') AS participants,
        string_agg(name, '; ' ORDER BY name) FILTER (WHERE role = 'party') AS parties,
        string_agg(name, '; ' ORDER BY name) FILTER (WHERE role = 'perpetrator') AS perpetrators,
        string_agg(name, '; ' ORDER BY name) FILTER (WHERE role = 'subject') AS subjects,
        string_agg(name, '; ' ORDER BY name) FILTER (WHERE role = 'target') AS targets
    FROM named GROUP BY event_id
)
SELECT
    CAST(e.event_id AS VARCHAR) AS event_id,
    CAST(e.event_type AS VARCHAR) AS event_type,
    e.date_start,
    e.date_end,
    CAST(e.date_precision AS VARCHAR) AS date_precision,
    CAST(e.status AS VARCHAR) AS status,
    CAST(e.description AS VARCHAR) AS description,
    places.places,
    places.place_ids,
    roles.announcers,
    roles.participants,
    roles.parties,
    roles.perpetrators,
    roles.subjects,
    roles.targets,
    coalesce(reports.documents, 0) AS documents,
    reports.document_names,
    first.quote,
    first.short_name AS quote_document
FROM events AS e
LEFT JOIN places ON places.event_id = e.event_id
LEFT JOIN roles ON roles.event_id = e.event_id
LEFT JOIN reports ON reports.event_id = e.event_id
LEFT JOIN evidence AS first ON first.event_id = e.event_id AND first.n = 1
ORDER BY event_id
"""
)

QUERIES = {"figures_wide": FIGURES_WIDE, "events_wide": EVENTS_WIDE}


def query(table: Table) -> str:
    """The query that derives a derived table."""
    if table.name not in QUERIES:
        raise CannotRun(f"{table.schema_path}: a derived table (x-derived-from) that the build has no query for")
    return QUERIES[table.name]


def derive(table: Table, sql: Callable[[str], pa.Table]) -> pa.Table:
    """A derived table's rows, typed as its Table Schema says (`sql` runs a query over the curated tables)."""
    try:
        result = sql(query(table))
        schema = table.to_pyarrow()
        return pa.Table.from_arrays([result.column(f.name).cast(f.type) for f in schema], schema=schema)
    except (pa.ArrowException, KeyError) as err:  # a required cell left empty, a column the query does not give
        raise CannotRun(f"{table.name}: the derivation does not give its Table Schema's columns ({err})") from err
    except Exception as err:  # DuckDB meeting tables it cannot join (a column missing from a curated table)
        if type(err).__module__.startswith("duckdb"):
            raise CannotRun(f"{table.name}: the derivation cannot run ({str(err).splitlines()[0]})") from err
        raise


def _text(value: Any) -> str:
    """A cell as the curated CSVs write it: empty for missing, true/false, ISO dates, numbers without a needless .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_bytes(rows: pa.Table) -> bytes:
    """The CSV of a derived table, in the curated CSVs' dialect (header, comma, quotes only where needed, LF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows.column_names)
    for row in rows.to_pylist():
        writer.writerow([_text(v) for v in row.values()])
    return out.getvalue().encode("utf-8")


def files(package: Package, sql: Callable[[str], pa.Table]) -> dict[str, bytes]:
    """Every derived table's CSV and Parquet twin, by path relative to the package's root."""
    out = {}
    for name, table in package.derived.items():
        rows = derive(table, sql)
        out[f"data/{name}.csv"] = csv_bytes(rows)
        out[f"data/{name}.parquet"] = parquet_bytes(rows)
    return out
