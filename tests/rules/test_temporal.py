"""Time rules beyond their declared examples (tests/rules/test_declarations.py)."""

from __future__ import annotations

import pytest


def test_unit_starts_and_ends_agree_with_calendar_truncation() -> None:
    """The calendar-field test of a unit's first and last day (SQL, run by DuckDB) gives what truncating to the unit
    gives, for every day of three years (a leap year among them) and every precision."""
    import datetime

    import duckdb
    import polars as pl

    from isis_iraq_syria.rules.temporal import ends_unit, starts_unit

    every = {"day": "1d", "month": "1mo", "quarter": "3mo", "half_year": "6mo", "year": "1y"}
    days = pl.date_range(datetime.date(2023, 1, 1), datetime.date(2025, 12, 31), eager=True)
    frame = pl.DataFrame({"d": days}).join(pl.DataFrame({"p": list(every)}), how="cross")
    con = duckdb.connect()
    con.register("frame", frame.to_arrow())
    for name, unit in every.items():
        rows = frame.filter(pl.col("p") == name)
        truncated = rows.select(
            start=pl.col("d") == pl.col("d").dt.truncate(unit),
            end=pl.col("d") == pl.col("d").dt.truncate(unit).dt.offset_by(unit).dt.offset_by("-1d"),
        )
        ours = pl.from_arrow(
            con.sql(
                f"SELECT {starts_unit('d', 'p')} AS start, {ends_unit('d', 'p')} AS end "
                f"FROM frame WHERE p = '{name}' ORDER BY d"
            ).to_arrow_table()
        )
        assert ours.equals(truncated), name
        assert ours["start"].sum() == {"day": 1096, "month": 36, "quarter": 12, "half_year": 6, "year": 3}[name]


@pytest.mark.slow
def test_a_repeated_statistic_is_checked_in_each_of_its_rows(pkg) -> None:
    """An evidence row is joined to every row of the statistic it names: with the id repeated, the mistakes of its
    second row are found too."""
    from conftest import read_rows, run, write_rows

    rows = read_rows(pkg, "statistics")
    copy = {
        **rows[0],
        "period_start": "2025-01-01",
        "period_end": "2025-06-30",
        "value": "999",
        "lower_bound": "999",
        "upper_bound": "999",
    }
    write_rows(pkg, "statistics", [*rows[:1], copy, *rows[1:]])
    failures = run(pkg, parity=False).failures
    hits = {(f.rule, f.key, f.line) for f in failures}
    assert {("schema.unique", "S001", 2), ("schema.unique", "S001", 3), ("prov.value_in_quote", "S001", 3)} <= hits
    # only the copy's period is after the reports (the first row's is not): a failure shows the copy was reached
    late = [f for f in failures if f.rule == "time.period_before_report"]
    assert late and {f.key.split("|")[0] for f in late} == {"S001"}
