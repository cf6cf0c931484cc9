"""The README's charts, drawn as plain SVG from the tables (docs/charts/*.svg).

Each chart names only what it shows (indicators and a geography); every value, period, name and unit is read from
statistics, indicators, geographies and geography_parts, so the charts follow the data. Plain SVG text is the same
bytes for the same tables on any machine, which a plotting library's output is not without care.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pyarrow.parquet as pq

from .schema import Package

WIDTH, LABEL_WIDTH, ROW, GAP, TOP = 760, 330, 24, 14, 58
COLOURS = ("#3b6ea5", "#d2892b", "#5a9a5a", "#9b59b6", "#7f8c8d")


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


def _bars(chart: Chart, package: Package) -> tuple[str, list[tuple[str | None, str, float, int]]]:
    """The title, and (group, label, value, colour number) for each bar."""
    stats = _rows(package, "statistics")
    indicators = {r["indicator_id"]: r for r in _rows(package, "indicators")}
    geographies = {r["geography_id"]: r for r in _rows(package, "geographies")}
    missing = [i for i in chart.indicators if i not in indicators] + (
        [chart.geography] if chart.geography not in geographies else []
    )
    if missing:
        raise ValueError(f"chart {chart.name}: no {', '.join(missing)} in the tables")
    title = chart.title.format(geography=geographies[chart.geography]["name"])
    bars: list[tuple[str | None, str, float, int]] = []
    if chart.by_part:
        parts = [
            r["part_geography_id"]
            for r in _rows(package, "geography_parts")
            if r["aggregate_geography_id"] == chart.geography
        ]
        chosen = [
            s
            for s in stats
            if s["indicator_id"] in chart.indicators and s["geography_id"] in parts and s["value"] is not None
        ]
        periods = sorted({period_label(s) for s in chosen})
        if len(periods) == 1:
            title += f", {periods[0]}"
        for indicator in chart.indicators:
            for s in sorted(
                (s for s in chosen if s["indicator_id"] == indicator),
                key=lambda s: (parts.index(s["geography_id"]), s["period_start"] or dt.date.min),
            ):
                label = geographies[s["geography_id"]]["name"] + ("" if len(periods) == 1 else f", {period_label(s)}")
                bars.append(
                    (
                        f"{indicators[indicator]['name']} ({indicators[indicator]['unit']})",
                        label,
                        s["value"],
                        parts.index(s["geography_id"]),
                    )
                )
    else:
        chosen = [
            s
            for s in stats
            if s["indicator_id"] in chart.indicators and s["geography_id"] == chart.geography and s["value"] is not None
        ]
        for s in sorted(
            chosen,
            key=lambda s: (
                s["period_start"] or dt.date.min,
                chart.indicators.index(s["indicator_id"]),
                s["statistic_id"],
            ),
        ):
            indicator = indicators[s["indicator_id"]]
            kind = s["figure_kind"].replace("_", " ")
            bars.append(
                (
                    None,
                    f"{period_label(s)}: {indicator['name']} ({kind})",
                    s["value"],
                    chart.indicators.index(s["indicator_id"]),
                )
            )
    if not bars:
        raise ValueError(f"chart {chart.name}: no statistic of {', '.join(chart.indicators)} for {chart.geography}")
    return title, bars


def svg(chart: Chart, package: Package) -> str:
    title, bars = _bars(chart, package)
    top = max(b[2] for b in bars) or 1
    scale = (WIDTH - LABEL_WIDTH - 70) / top
    out, y, groups = [], TOP, []
    for bar_group, label, value, colour in bars:
        if bar_group is not None and bar_group not in groups:
            y += GAP if groups else 0
            out.append(f'<text x="12" y="{y + 16}" font-weight="bold">{escape(bar_group)}</text>')
            y += ROW
            groups.append(bar_group)
        width = max(1.0, value * scale)
        out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>')
        out.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" '
            f'fill="{COLOURS[colour % len(COLOURS)]}"/>'
        )
        out.append(f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 16}">{_number(value)}</text>')
        y += ROW
    height = y + 34
    source = f"Source: {package.name} {package.version}, tables statistics, indicators, geographies."
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="13" role="img" aria-label="{escape(title)}">',
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            f'<text x="12" y="28" font-size="16" font-weight="bold">{escape(title)}</text>',
            *out,
            f'<line x1="{LABEL_WIDTH}" y1="{TOP}" x2="{LABEL_WIDTH}" y2="{y}" stroke="#444444"/>',
            f'<text x="12" y="{height - 12}" font-size="11" fill="#555555">{escape(source)}</text>',
            "</svg>",
            "",
        ]
    )


def generated_charts(package: Package) -> dict[Path, str]:
    return {package.root / "docs" / "charts" / f"{chart.name}.svg": svg(chart, package) for chart in CHARTS}
