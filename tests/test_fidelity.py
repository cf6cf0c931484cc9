"""The data say what the documents say: every number in them is a statistic or a date, and nothing else is."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, read_rows

DOCUMENTS = {"doc-shafaq-news": "000_87913b1bbc2d8bbb.txt", "doc-devdiscourse": "004_f61a0d87d697e0da.txt"}
# Digits that are parts of a date or time, not figures: Devdiscourse's "17-07-2024 21:09 IST".
DATE_PARTS = {"17", "07", "21", "09"}


@pytest.fixture
def seeds() -> Path:
    """The archived documents: not redistributed, so a checkout may lack them; CI has them and must use them."""
    if not SEEDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the archived documents are not at {SEEDS}, and CI must check the data against them")
        pytest.skip(f"the archived documents are not beside this checkout ({SEEDS})")
    return SEEDS


def _digits(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", text) if n not in DATE_PARTS}


def _dated_years() -> set[float]:
    years = set()
    for table, columns in (
        ("statistics", ("period_start", "period_end")),
        ("events", ("date_start", "date_end")),
        ("sources", ("published_start", "published_end")),
    ):
        for row in read_rows(ROOT, table):
            years.update(float(row[c][:4]) for c in columns if row[c])
    return years


@pytest.mark.parametrize("source_id", sorted(DOCUMENTS))
def test_every_number_in_the_document_is_a_statistic_or_a_date(source_id: str, seeds: Path) -> None:
    text = (seeds / DOCUMENTS[source_id]).read_text(encoding="utf-8")
    evidence = {r["statistic_id"] for r in read_rows(ROOT, "statistic_evidence") if r["source_id"] == source_id}
    values = {float(r["value"]) for r in read_rows(ROOT, "statistics") if r["statistic_id"] in evidence and r["value"]}
    unaccounted = _digits(text) - values - _dated_years()
    assert not unaccounted, f"numbers in {source_id} that no statistic or date records: {sorted(unaccounted)}"


def test_every_statistic_value_is_stated_in_its_documents_or_derived(seeds: Path) -> None:
    texts = {sid: (seeds / name).read_text(encoding="utf-8") for sid, name in DOCUMENTS.items()}
    by_stat: dict[str, set[str]] = {}
    for row in read_rows(ROOT, "statistic_evidence"):
        by_stat.setdefault(row["statistic_id"], set()).add(row["source_id"])
    for row in read_rows(ROOT, "statistics"):
        if row["figure_kind"] == "derived" or not row["value"]:
            continue
        assert any(float(row["value"]) in _digits(texts[s]) for s in by_stat[row["statistic_id"]]), row["statistic_id"]


def test_no_url_is_recorded() -> None:
    """The documents give no URLs (README): the column is there, and empty in every row."""
    rows = read_rows(ROOT, "sources")
    assert rows and "url" in rows[0]
    assert [r["source_id"] for r in rows if r["url"]] == []
