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
