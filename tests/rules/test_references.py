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


@pytest.mark.parametrize("repeat", [False, True], ids=["keys_distinct", "a_key_repeated"])
def test_finds_the_statistic_without_evidence_whether_or_not_a_key_repeats(repeat: bool, pkg: Path) -> None:
    """Distinct keys are matched by the mask of referenced rows, repeated ones by a join: both find the same rows."""
    from conftest import read_rows, rule_hits, run, write_rows

    delete(pkg, "statistic_evidence", statistic_id="S014")
    if repeat:  # S001 twice: a position no longer stands for its key alone
        rows = read_rows(pkg, "statistics")
        write_rows(pkg, "statistics", rows[:1] + rows)
    hits = rule_hits(run(pkg, parity=False), "ref.statistic_has_evidence")
    assert [(f.key, f.column) for f in hits] == [("S014", "statistic_id")]
