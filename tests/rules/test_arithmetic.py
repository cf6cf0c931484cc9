"""Arithmetic rules over the whole validator: the failures name the parts, sub-periods and claims they concern.
Each rule's own example is in its declaration (tests/rules/test_declarations.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import append, edit, only
from rules.conftest import Mutation


def _sub_periods(q1: str, q2: str) -> Mutation:
    def mutate(root: Path) -> None:
        quarters = (("S028", "2024-01-01", "2024-03-31", q1), ("S029", "2024-04-01", "2024-06-30", q2))
        for sid, start, end, value in quarters:
            append(
                root,
                "statistics",
                statistic_id=sid,
                indicator_id="isis_attacks",
                value=value,
                qualifier_id="exact",
                lower_bound=value,
                upper_bound=value,
                geography_id="IRQ_SYR",
                period_start=start,
                period_end=end,
                period_precision="quarter",
                figure_kind="claim",
                asserted_by_actor_id="centcom",
            )

    return mutate


def test_rejects_total_that_is_not_sum_of_sub_periods(pkg: Path) -> None:
    _sub_periods("100", "60")(pkg)
    hits = only(pkg, "arith.parts_sum_to_total")
    assert [(f.key, f.values) for f in hits] == [("S001", "153 != 160 (S028+S029)")]


def test_rejects_total_that_is_not_sum_of_its_geographys_parts_and_names_them(pkg: Path) -> None:
    edit(pkg, "statistics", "S004", value="173", lower_bound="173", upper_bound="173")
    hits = only(pkg, "arith.parts_sum_to_total")
    assert [(f.key, f.values) for f in hits] == [("S003", "196 != 232 (S004+S005)")]  # S004 173 (was 137) + S005 59


def test_accepts_sub_periods_that_sum_to_total(pkg: Path) -> None:
    _sub_periods("100", "53")(pkg)
    assert not only(pkg, "arith.parts_sum_to_total")


def test_rejects_claim_in_words_the_numbers_do_not_support(pkg: Path) -> None:
    edit(pkg, "claims", "C001", claimed_value="3")
    hits = only(pkg, "arith.words_match_numbers")
    assert [(f.key, f.values) for f in hits] == [("C001", "S026 = 2.529; at_least 3")]
