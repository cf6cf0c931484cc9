"""The README's charts are drawn from the tables: every bar is a statistic's value, and an edit shows in the chart."""

from __future__ import annotations

import html
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


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_each_panel_shows_one_quantity_on_a_scale_of_its_own(chart) -> None:
    """A half-year count, a full-year count and a computed pace, or operations and people, never share an axis."""
    from isis_iraq_syria.charts import panels

    stats = {s["statistic_id"]: s for s in d.load("statistics", "arrow").to_pylist()}
    _, shown = panels(chart, Package.load(ROOT))
    quantities = [
        {(stats[b.statistic_id]["indicator_id"], stats[b.statistic_id]["period_precision"]) for b in p.bars}
        for p in shown
    ]
    assert all(len(q) == 1 for q in quantities) and len({q.pop() for q in quantities}) == len(shown)
    text = (ROOT / "docs" / "charts" / f"{chart.name}.svg").read_text()
    assert len(re.findall(r'<line x1="[\d.]+" y1="\d+" x2="[\d.]+" y2="\d+" stroke="#444444"/>\n<text', text)) >= len(
        shown
    )


LEGEND = re.compile(r'<rect x="[\d.]+" y="44" width="14" height="14" fill="(#\w+)"[^>]*/>\n<text [^>]*>([^<]+)</text>')


def test_a_colour_means_one_thing_in_every_chart_and_the_legend_says_what() -> None:
    meanings: dict[str, set[str]] = {}
    for chart in CHARTS:
        text = (ROOT / "docs" / "charts" / f"{chart.name}.svg").read_text()
        legend = dict(LEGEND.findall(text))
        assert legend, f"{chart.name}: no legend"
        bars = set(re.findall(r'<rect x="300" y="\d+" width="[\d.]+" height="\d+" fill="(#\w+)"', text))
        assert bars and bars <= set(legend), f"{chart.name}: a bar's colour is not in the legend"
        for colour, meaning in legend.items():
            meanings.setdefault(colour, set()).add(meaning)
    assert all(len(m) == 1 for m in meanings.values()), meanings


def test_the_source_line_names_the_documents_and_whose_words_they_report() -> None:
    for chart in CHARTS:
        text = (ROOT / "docs" / "charts" / f"{chart.name}.svg").read_text()
        lines = re.findall(r'<text x="12" y="\d+" font-size="11" fill="#555555">([^<]+)</text>', text)
        source = html.unescape(" ".join(lines))
        assert source.startswith("Source: ") and "tables" not in source
        said, documents = source.split(", as reported by ")
        assert "statement of US Central Command (CENTCOM) of 17 July 2024" in said
        assert 'Shafaq News, "US military says ISIS attacks' in documents and "'reconstitute'" in documents
