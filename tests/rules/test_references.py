"""Reference rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import delete, edit
from rules.conftest import assert_caught


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "ref.statistic_has_evidence": (lambda r: delete(r, "statistic_evidence", statistic_id="S014"), ("statistics", "S014", "statistic_id")),
    "ref.event_has_evidence": (lambda r: delete(r, "event_evidence", event_id="E018"), ("events", "E018", "event_id")),
    "ref.evidence_from_document": (lambda r: edit(r, "statistic_evidence", "S015", source_id="kurilla-testimony"), ("statistic_evidence", "S015|kurilla-testimony", "source_id")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)
