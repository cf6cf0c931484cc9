"""The README's charts, drawn as plain SVG from the tables (docs/charts/*.svg).

Each chart names only what it shows (indicators and a geography); every value, period, name, unit and source is read
from statistics, indicators, geographies, geography_parts, statistic_evidence, derivation_inputs, sources and actors,
so the charts follow the data. Plain SVG text is the same bytes for the same tables on any machine, which a plotting
library's output is not without care.

How they read: one panel per quantity (an indicator over periods of one length), each with its own scale, so that
a half-year count, a full-year count and a computed pace, or operations and people, never share an axis; a colour
means one geography in every chart, and a figure the package computes (not reported) is drawn pale with a dashed
outline; the legend says both; the source line names the documents the figures come from, and whose words they
report.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pyarrow.parquet as pq

from .schema import Package

WIDTH, LABEL_WIDTH, ROW, GAP, TOP = 760, 300, 24, 12, 76
# a colour per geography, the same in every chart: given in the order of the geographies' ids over all charts
PALETTE = ("#3b6ea5", "#5a9a5a", "#d2892b", "#9b59b6", "#8c564b")
COMPUTED = "computed by this package, not reported (dashed)"
PER = {"year": "year", "half_year": "half year", "quarter": "quarter", "month": "month", "day": "day"}


@dataclass(frozen=True)
class Chart:
    name: str
    title: str  # may use {geography}, the name of the chart's geography
    indicators: tuple[str, ...]
    geography: str
    by_part: bool = False  # one bar per part of the aggregate geography, grouped by indicator


CHARTS = (
    Chart(
        "attacks",
        "ISIS attacks in {geography}, and their annualised pace",
        ("isis_attacks", "isis_attacks_annualised"),
        "IRQ_SYR",
    ),
    Chart(
        "operations_by_country",
        "Defeat-ISIS operations, operatives killed and detained, by country",
        ("defeat_isis_operations", "isis_operatives_killed", "isis_operatives_detained"),
        "IRQ_SYR",
        by_part=True,
    ),
)


@dataclass(frozen=True)
class Bar:
    statistic_id: str
    label: str
    value: float
    geography_id: str
    computed: bool


@dataclass(frozen=True)
class Panel:
    heading: str  # the quantity: indicator, unit and the length of its periods
    bars: tuple[Bar, ...]


def _rows(package: Package, name: str) -> list[dict]:
    return pq.read_table(package.tables[name].parquet_path).to_pylist()


def period_label(row: dict) -> str:
    """A statistic's period as a reader says it: 2023, H1 2024, Q3 2024, March 2024, 2024-07-17."""
    start, precision = row["period_start"], row["period_precision"]
    if start is None:
        return "date not stated"
    if precision == "year":
        return str(start.year)
    if precision == "half_year":
        return f"H{1 if start.month <= 6 else 2} {start.year}"
    if precision == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if precision == "month":
        return start.strftime("%B %Y")
    return start.isoformat() if isinstance(start, dt.date) else str(start)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}".rstrip("0")


def _geographies(chart: Chart, package: Package) -> list[str]:
    if not chart.by_part:
        return [chart.geography]
    return [
        r["part_geography_id"]
        for r in _rows(package, "geography_parts")
        if r["aggregate_geography_id"] == chart.geography
    ]


def colours(package: Package) -> dict[str, str]:
    """The colour of each geography the charts show: one meaning per colour, in every chart."""
    shown = sorted({g for chart in CHARTS for g in _geographies(chart, package)})
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(shown)}


def panels(chart: Chart, package: Package) -> tuple[str, list[Panel]]:
    """The title, and one panel per quantity (indicator and period length), in the order of the chart's indicators
    and then of the periods."""
    stats = _rows(package, "statistics")
    indicators = {r["indicator_id"]: r for r in _rows(package, "indicators")}
    names = {r["geography_id"]: r["name"] for r in _rows(package, "geographies")}
    missing = [i for i in chart.indicators if i not in indicators] + (
        [chart.geography] if chart.geography not in names else []
    )
    if missing:
        raise ValueError(f"chart {chart.name}: no {', '.join(missing)} in the tables")
    title = chart.title.format(geography=names[chart.geography])
    places = _geographies(chart, package)
    chosen = [
        s
        for s in stats
        if s["indicator_id"] in chart.indicators and s["geography_id"] in places and s["value"] is not None
    ]
    if not chosen:
        raise ValueError(f"chart {chart.name}: no statistic of {', '.join(chart.indicators)} for {chart.geography}")
    periods = {period_label(s) for s in chosen}
    if len(periods) == 1:
        title += f", {next(iter(periods))}"
    chosen.sort(
        key=lambda s: (
            chart.indicators.index(s["indicator_id"]),
            s["period_start"] or dt.date.min,
            places.index(s["geography_id"]),
            s["statistic_id"],
        )
    )
    grouped: dict[tuple[str, str], list[Bar]] = {}
    for s in chosen:
        indicator = indicators[s["indicator_id"]]
        words = [names[s["geography_id"]]] if chart.by_part else []
        words += [period_label(s)] if len(periods) > 1 else []
        words += [] if chart.by_part else [s["figure_kind"].replace("_", " ")]
        bar = Bar(s["statistic_id"], ", ".join(words), s["value"], s["geography_id"], s["figure_kind"] == "derived")
        grouped.setdefault((indicator["indicator_id"], s["period_precision"]), []).append(bar)
    out = []
    for (indicator_id, precision), bars in grouped.items():
        indicator = indicators[indicator_id]
        unit = indicator["unit"] if " per " in indicator["unit"] else f"{indicator['unit']} per {PER[precision]}"
        out.append(Panel(f"{indicator['name']}: {unit}", tuple(bars)))
    return title, out


def _day(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def source_line(package: Package, statistic_ids: set[str]) -> str:
    """The documents the statistics (and the inputs of those computed) come from, and whose words they report:
    the cited sources as the documents name them, then the documents by byline, title and date."""
    inputs = _rows(package, "derivation_inputs")
    ids = set(statistic_ids)
    while True:  # a computed figure's inputs, and theirs
        more = {r["input_statistic_id"] for r in inputs if r["statistic_id"] in ids} - ids
        if not more:
            break
        ids |= more
    evidence = [r for r in _rows(package, "statistic_evidence") if r["statistic_id"] in ids]
    sources = {r["source_id"]: r for r in _rows(package, "sources")}
    actors = {r["actor_id"]: r["name"] for r in _rows(package, "actors")}

    def cited(source_id: str) -> str:
        s = sources[source_id]
        said = f"{s['source_kind'].replace('official_', '').replace('_', ' ')} of {actors[s['issuer_actor_id']]}"
        return said + (f" of {_day(s['published_start'])}" if s["published_start"] else "")

    def document(source_id: str) -> str:
        s = sources[source_id]
        title = (s["title"] or "").replace('"', "'")  # quotes inside the quoted title become single
        byline = s["byline"] or actors.get(s["publisher_actor_id"] or "", source_id)
        return f'{byline}, "{title}"' + (f", {_day(s['published_start'])}" if s["published_start"] else "")

    said = sorted({cited(r["cited_source_id"]) for r in evidence if r["cited_source_id"]})
    documents = sorted({document(r["source_id"]) for r in evidence})
    line = "Source: " + "; ".join(said) + (", as reported by " if said else "") + " and ".join(documents) + "."
    return line + f" Data: {package.name} {package.version}."


def nice_top(value: float) -> float:
    """The end of a panel's axis: the value rounded up to 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, so
    that a panel of one bar still shows its length against a scale of its own."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if step * power >= value)


def _style(colour: str, computed: bool) -> str:
    """A reported figure's bar is filled; a computed one's pale with a dashed outline, in its geography's colour."""
    return f'fill="{colour}"' + (f' fill-opacity="0.35" stroke="{colour}" stroke-dasharray="4 2"' if computed else "")


def svg(chart: Chart, package: Package) -> str:
    title, shown = panels(chart, package)
    palette = colours(package)
    names = {r["geography_id"]: r["name"] for r in _rows(package, "geographies")}
    bars = [b for p in shown for b in p.bars]
    legend = [(palette[g], names[g], False) for g in palette if any(b.geography_id == g for b in bars)]
    legend += [("#777777", COMPUTED, True)] if any(b.computed for b in bars) else []
    out, x = [], 12.0
    for colour, meaning, computed in legend:
        out.append(f'<rect x="{x:.1f}" y="44" width="14" height="14" {_style(colour, computed)}/>')
        out.append(f'<text x="{x + 20:.1f}" y="56" font-size="12">{escape(meaning)}</text>')
        x += 34 + 7 * len(meaning)
    y = TOP
    for panel in shown:
        out.append(f'<text x="12" y="{y + 16}" font-weight="bold">{escape(panel.heading)}</text>')
        y += ROW
        top = nice_top(max(b.value for b in panel.bars))
        scale = (WIDTH - LABEL_WIDTH - 70) / top  # the panel's own scale
        first = y
        for bar in panel.bars:
            width = max(1.0, bar.value * scale)
            out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{escape(bar.label)}</text>')
            style = _style(palette[bar.geography_id], bar.computed)
            out.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" {style}/>')
            out.append(f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 16}">{_number(bar.value)}</text>')
            y += ROW
        end = LABEL_WIDTH + top * scale
        out.append(f'<line x1="{LABEL_WIDTH}" y1="{first}" x2="{LABEL_WIDTH}" y2="{y}" stroke="#444444"/>')
        out.append(f'<line x1="{LABEL_WIDTH}" y1="{y}" x2="{end:.1f}" y2="{y}" stroke="#444444"/>')
        for tick in (0, top / 2, top):  # the scale's ticks, smaller than the values (and told apart from them)
            at = LABEL_WIDTH + tick * scale
            out.append(f'<line x1="{at:.1f}" y1="{y}" x2="{at:.1f}" y2="{y + 4}" stroke="#444444"/>')
            out.append(
                f'<text x="{at:.1f}" y="{y + 15}" font-size="10" fill="#555555" text-anchor="middle">'
                f"{_number(tick)}</text>"
            )
        y += GAP + 16
    lines = textwrap.wrap(source_line(package, {b.statistic_id for b in bars}), 118)
    height = y + 22 + 15 * len(lines)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="13" role="img" aria-label="{escape(title)}">',
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            f'<text x="12" y="28" font-size="16" font-weight="bold">{escape(title)}</text>',
            *out,
            *(
                f'<text x="12" y="{y + 14 + 15 * i}" font-size="11" fill="#555555">{escape(line)}</text>'
                for i, line in enumerate(lines, start=1)
            ),
            "</svg>",
            "",
        ]
    )


def generated_charts(package: Package) -> dict[Path, str]:
    return {package.root / "docs" / "charts" / f"{chart.name}.svg": svg(chart, package) for chart in CHARTS}
