"""Arithmetic rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import append, delete, edit, rule_hits, run
from rules.conftest import Mutation, assert_caught

def _sub_periods(q1: str, q2: str) -> Mutation:
    def mutate(root: Path) -> None:
        for sid, start, end, value in (("S028", "2024-01-01", "2024-03-31", q1), ("S029", "2024-04-01", "2024-06-30", q2)):
            append(root, "statistics", statistic_id=sid, indicator_id="isis_attacks", value=value, qualifier_id="exact",
                   lower_bound=value, upper_bound=value, geography_id="IRQ_SYR", period_start=start, period_end=end,
                   period_precision="quarter", figure_kind="claim", asserted_by_actor_id="centcom")
    return mutate


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "arith.parts_sum_to_total": (lambda r: edit(r, "statistics", "S004", value="173", lower_bound="173", upper_bound="173"), ("statistics", "S003", "value")),
    "arith.part_not_above_whole": (lambda r: edit(r, "statistics", "S017", value="20000", lower_bound="20000", upper_bound="20000"), ("statistics", "S017", "value")),
    "arith.qualifier_bounds": (lambda r: edit(r, "statistics", "S014", upper_bound="2700"), ("statistics", "S014", "upper_bound")),
    "arith.derivation_recomputes": (lambda r: edit(r, "statistics", "S025", value="300", lower_bound="300", upper_bound="300"), ("statistics", "S025", "value")),
    "arith.words_match_numbers": (lambda r: delete(r, "discrepancies", discrepancy_id="D002"), ("claims", "C003", "claimed_value")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)


def test_rejects_total_that_is_not_sum_of_sub_periods(pkg: Path) -> None:
    _sub_periods("100", "60")(pkg)
    hits = rule_hits(run(pkg, parity=False), "arith.parts_sum_to_total")
    assert [(f.key, f.values) for f in hits] == [("S001", "153 != 160 (S028+S029)")]


def test_rejects_total_that_is_not_sum_of_its_geographys_parts_and_names_them(pkg: Path) -> None:
    CASES["arith.parts_sum_to_total"][0](pkg)
    hits = rule_hits(run(pkg, parity=False), "arith.parts_sum_to_total")
    assert [(f.key, f.values) for f in hits] == [("S003", "196 != 232 (S004+S005)")]  # S004 173 (was 137) + S005 59


def test_accepts_sub_periods_that_sum_to_total(pkg: Path) -> None:
    _sub_periods("100", "53")(pkg)
    assert not rule_hits(run(pkg, parity=False), "arith.parts_sum_to_total")


def test_rejects_claim_in_words_the_numbers_do_not_support(pkg: Path) -> None:
    edit(pkg, "claims", "C001", claimed_value="3")
    hits = rule_hits(run(pkg, parity=False), "arith.words_match_numbers")
    assert [(f.key, f.values) for f in hits] == [("C001", "S026 = 2.529; at_least 3")]
