"""Reference rules beyond their declared examples (tests/rules/test_declarations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import delete, only


@pytest.mark.parametrize("repeat", [False, True], ids=["keys_distinct", "a_key_repeated"])
def test_finds_the_statistic_without_evidence_whether_or_not_a_key_repeats(repeat: bool, pkg: Path) -> None:
    """Distinct keys are matched by the mask of referenced rows, repeated ones by a join: both find the same rows."""
    from conftest import read_rows, write_rows

    delete(pkg, "statistic_evidence", statistic_id="S014")
    if repeat:  # S001 twice: a position no longer stands for its key alone
        rows = read_rows(pkg, "statistics")
        write_rows(pkg, "statistics", rows[:1] + rows)
    hits = only(pkg, "ref.statistic_has_evidence")
    assert [(f.key, f.column) for f in hits] == [("S014", "statistic_id")]
