"""Provenance and agreement rules beyond their declared examples (tests/rules/test_declarations.py runs those)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import append, edit, make_archive, only, read_rows
from isis_iraq_syria.rules import RULES_BY_ID, numbers_in
from isis_iraq_syria.schema import Package
from isis_iraq_syria.validate import check_rule


def test_a_span_past_the_end_of_its_document_is_not_the_quote(pkg: Path) -> None:
    """A slice stops at the end of the text: a span whose end is past it must fail, even where the quote runs to the
    end of the document, as E021's does in the archive rebuilt from the package's quotes."""
    archive = make_archive(pkg, pkg.parent / "archive")
    text = (archive / "doc-shafaq-news.txt").read_text(encoding="utf-8")
    quote = next(row["quote"] for row in read_rows(pkg, "event_evidence") if row["event_id"] == "E021")
    assert text.endswith(quote) and text[:999999][len(text) - len(quote) :] == quote
    edit(pkg, "event_evidence", "E021", quote_end="999999")
    package = Package.load(pkg)
    hits = check_rule(package, RULES_BY_ID["prov.quote_span"], archive)
    assert [(f.resource, f.key, f.column, f.values) for f in hits] == [
        ("event_evidence", "E021|doc-shafaq-news", "quote_end", f"{len(text) - len(quote)}:999999 holds {quote[:40]!r}")
    ]
    assert hits[0].message == (
        f"The span {len(text) - len(quote)}:999999 lies outside the archived text of "
        f"doc-shafaq-news, which has {len(text)} characters."
    )
    assert check_rule(package, RULES_BY_ID["prov.quote_in_archive"], archive) == []


def test_duplicate_statistic_from_two_documents_must_be_merged(pkg: Path) -> None:
    append(
        pkg,
        "statistics",
        statistic_id="S028",
        indicator_id="isis_attacks",
        value="153",
        qualifier_id="exact",
        lower_bound="153",
        upper_bound="153",
        geography_id="IRQ_SYR",
        period_start="2024-01-01",
        period_end="2024-06-30",
        period_precision="half_year",
        period_expression="first half of 2024",
        figure_kind="claim",
        asserted_by_actor_id="centcom",
    )
    hits = only(pkg, "agree.cross_source")
    assert len(hits) == 1 and "make them one statistic" in hits[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("around 2,500 US military personnel", {2500.0}),
        ("on track to double in 2024", {2.0, 2024.0}),
        ("the 10th anniversary", {10.0}),
        ("over 10,000 IS fighters, including 2,000 foreigners", {10000.0, 2000.0}),
    ],
)
def test_numbers_in_quotes_allow_separators_and_words(text: str, expected: set[float]) -> None:
    assert numbers_in(text) == expected
