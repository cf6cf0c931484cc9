"""Time rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit
from rules.conftest import assert_caught


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "time.period_order": (lambda r: edit(r, "statistics", "S002", period_start="2024-01-01"), ("statistics", "S002", "period_end")),
    "time.precision_matches_dates": (lambda r: edit(r, "events", "E009", date_end="2024-09-29"), ("events", "E009", "date_precision")),
    "time.period_before_report": (lambda r: edit(r, "statistics", "S015", period_start="2024-08-01", period_end="2024-08-31"), ("statistic_evidence", "S015|doc-shafaq-news", "cited_source_id")),
    "time.event_before_report": (lambda r: edit(r, "events", "E017", date_start="2024-07-18", date_end="2024-07-18"), ("event_evidence", "E017|doc-devdiscourse", "source_id")),
    "time.citation_order": (lambda r: edit(r, "sources", "centcom-statement", published_start="2024-07-18", published_end="2024-07-18"), ("citations", "doc-devdiscourse|centcom-statement", "cited_source_id")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)


def test_unit_starts_and_ends_agree_with_calendar_truncation() -> None:
    """The calendar-field test of a unit's first and last day gives what truncating to the unit gives, for every day
    of three years (a leap year among them) and every precision."""
    import datetime

    import polars as pl

    from isis_iraq_syria.rules.temporal import ends_unit, starts_unit

    every = {"day": "1d", "month": "1mo", "quarter": "3mo", "half_year": "6mo", "year": "1y"}
    days = pl.date_range(datetime.date(2023, 1, 1), datetime.date(2025, 12, 31), eager=True)
    frame = pl.DataFrame({"d": days}).join(pl.DataFrame({"p": list(every)}), how="cross")
    for name, unit in every.items():
        rows = frame.filter(pl.col("p") == name)
        truncated = rows.select(start=pl.col("d") == pl.col("d").dt.truncate(unit),
                                end=pl.col("d") == pl.col("d").dt.truncate(unit).dt.offset_by(unit).dt.offset_by("-1d"))
        ours = rows.select(start=starts_unit(pl.col("d"), "p"), end=ends_unit(pl.col("d"), "p"))
        assert ours.equals(truncated), name
        assert ours["start"].sum() == {"day": 1096, "month": 36, "quarter": 12, "half_year": 6, "year": 3}[name]


def test_a_repeated_statistic_is_checked_in_each_of_its_rows(pkg) -> None:
    """Rules reach the statistic an evidence row names by position only while ids are distinct: a repeated id is
    joined, so that the mistakes of its second row are found too."""
    from conftest import read_rows, run, write_rows

    rows = read_rows(pkg, "statistics")
    copy = {**rows[0], "period_start": "2025-01-01", "period_end": "2025-06-30", "value": "999", "lower_bound": "999", "upper_bound": "999"}
    write_rows(pkg, "statistics", rows[:1] + [copy] + rows[1:])
    failures = run(pkg, parity=False).failures
    hits = {(f.rule, f.key, f.line) for f in failures}
    assert {("schema.unique", "S001", 2), ("schema.unique", "S001", 3), ("prov.value_in_quote", "S001", 3)} <= hits
    # only the copy's period is after the reports (the first row's is not): a failure shows the copy was reached
    late = [f for f in failures if f.rule == "time.period_before_report"]
    assert late and {f.key.split("|")[0] for f in late} == {"S001"}
