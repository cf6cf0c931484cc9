"""Provenance and agreement rules: the real package passes each, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import append, delete, edit, read_rows, rule_hits, run
from isis_iraq_syria.rules import numbers_in
from rules.conftest import assert_caught, assert_caught_with_archive


# rule id -> (mutation, (resource, key, column) the failure must name; "" where a file-level failure has no key)
CASES = {
    "prov.value_in_quote": (lambda r: edit(r, "statistics", "S001", value="135", lower_bound="135", upper_bound="135"), ("statistics", "S001", "value")),
    "prov.qualifier_in_quote": (lambda r: edit(r, "statistics", "S012", qualifier_id="over", upper_bound=""), ("statistics", "S012", "qualifier_id")),
    "agree.cross_source": (lambda r: delete(r, "discrepancies", discrepancy_id="D001"), ("statistics", "S013", "value")),
}

# Rules that need the archive: corrupted after the archive is made from the package's own quotes.
ARCHIVE_CASES = {
    "prov.quote_in_archive": (lambda r: edit(r, "claims", "C002", quote="attacks in Syria and Iraq are set to triple this year compared to last year"), ("claims", "C002", "quote")),
    "prov.document_in_archive": (lambda r: edit(r, "sources", "doc-devdiscourse", text_sha256="0" * 64), ("sources", "doc-devdiscourse", "text_sha256")),
    # a quote's span shifted by one character: the quote is still verbatim somewhere, but not where it says
    "prov.quote_span": (lambda r: edit(r, "claims", "C002", quote_start=str(int(read_rows(r, "claims")[1]["quote_start"]) + 1)), ("claims", "C002", "quote_start")),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    assert_caught(rule_id, *CASES[rule_id], pkg, pristine)


@pytest.mark.parametrize("rule_id", sorted(ARCHIVE_CASES))
def test_archive_rule_reports_a_changed_quote_or_document(rule_id: str, pkg: Path) -> None:
    assert_caught_with_archive(rule_id, *ARCHIVE_CASES[rule_id], pkg)


def test_duplicate_statistic_from_two_documents_must_be_merged(pkg: Path) -> None:
    append(pkg, "statistics", statistic_id="S028", indicator_id="isis_attacks", value="153", qualifier_id="exact",
           lower_bound="153", upper_bound="153", geography_id="IRQ_SYR", period_start="2024-01-01", period_end="2024-06-30",
           period_precision="half_year", period_expression="first half of 2024", figure_kind="claim", asserted_by_actor_id="centcom")
    hits = rule_hits(run(pkg, parity=False), "agree.cross_source")
    assert len(hits) == 1 and "make them one statistic" in hits[0].message


@pytest.mark.parametrize(("text", "expected"), [
    ("around 2,500 US military personnel", {2500.0}),
    ("on track to double in 2024", {2.0, 2024.0}),
    ("the 10th anniversary", {10.0}),
    ("over 10,000 IS fighters, including 2,000 foreigners", {10000.0, 2000.0}),
])
def test_numbers_in_quotes_allow_separators_and_words(text: str, expected: set[float]) -> None:
    assert numbers_in(text) == expected
