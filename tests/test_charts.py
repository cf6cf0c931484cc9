"""The README's charts are drawn from the tables: every bar is a statistic's value, and an edit shows in the chart."""

from __future__ import annotations

import re

import pytest

import isis_iraq_syria as d
from conftest import ROOT, edit
from isis_iraq_syria.build import parquet_twin
from isis_iraq_syria.charts import CHARTS, svg
from isis_iraq_syria.schema import Package
from isis_iraq_syria.tables import read_csv


def _values(text: str) -> list[str]:
    return re.findall(r'<text x="[\d.]+" y="\d+">([\d,.]+)</text>', text)


def _shown(chart) -> list[dict]:
    """The statistics a chart should show: its indicators, for its geography or each of its parts, with a value."""
    geographies = {chart.geography}
    if chart.by_part:
        geographies = {
            r["part_geography_id"]
            for r in d.load("geography_parts", "arrow").to_pylist()
            if r["aggregate_geography_id"] == chart.geography
        }
    return [
        s
        for s in d.load("statistics", "arrow").to_pylist()
        if s["indicator_id"] in chart.indicators and s["geography_id"] in geographies and s["value"] is not None
    ]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_chart_shows_each_statistic_of_its_indicators_and_geography(chart) -> None:
    shown = _shown(chart)
    text = (ROOT / "docs" / "charts" / f"{chart.name}.svg").read_text()
    assert shown and sorted(float(v.replace(",", "")) for v in _values(text)) == sorted(s["value"] for s in shown)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_chart_follows_an_edited_value(pkg, chart) -> None:
    statistic = _shown(chart)[0]
    before = svg(chart, Package.load(pkg))
    value = statistic["value"]
    bounds = (
        {"lower_bound": "7777", "upper_bound": "7777"}
        if statistic["lower_bound"] == statistic["upper_bound"] == value
        else {}
    )
    edit(pkg, "statistics", statistic["statistic_id"], value="7777", **bounds)
    # the chart reads the Parquet twin: write it from the edited CSV, past the validator, which refuses the broken sums
    table = Package.load(pkg).tables["statistics"]
    frame, _ = read_csv(table)
    table.parquet_path.write_bytes(parquet_twin(table, frame))
    after = svg(chart, Package.load(pkg))
    assert "7,777" in after and after != before


def test_a_chart_of_an_indicator_the_tables_lack_fails_loudly() -> None:
    from isis_iraq_syria.charts import Chart

    with pytest.raises(ValueError, match="no_such_indicator"):
        svg(Chart("x", "x", ("no_such_indicator",), CHARTS[0].geography), Package.load(ROOT))
