"""Every rule, by its id: the real package passes it, and a copy corrupted as a curator might fails it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, append, delete, edit, make_archive, read_rows, rule_hits, run, write_rows
from isis_iraq_syria.rules import RULES, numbers_in
from isis_iraq_syria.schema import Package

Mutation = Callable[[Path], None]


def _raw(table: str, transform: Callable[[bytes], bytes]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / "data" / f"{table}.csv"
        path.write_bytes(transform(path.read_bytes()))
    return mutate


def _swap_first_rows(root: Path) -> None:
    rows = read_rows(root, "actors")
    rows[0], rows[1] = rows[1], rows[0]
    write_rows(root, "actors", rows)


def _sub_periods(q1: str, q2: str) -> Mutation:
    def mutate(root: Path) -> None:
        for sid, start, end, value in (("S028", "2024-01-01", "2024-03-31", q1), ("S029", "2024-04-01", "2024-06-30", q2)):
            append(root, "statistics", statistic_id=sid, indicator_id="isis_attacks", value=value, qualifier_id="exact",
                   lower_bound=value, upper_bound=value, geography_id="IRQ_SYR", period_start=start, period_end=end,
                   period_precision="quarter", period_basis="stated", figure_kind="claim", asserted_by_actor_id="centcom")
    return mutate


# rule id -> (mutation, (resource, key, column) the failure must name; None where a file-level failure has no key)
CASES: dict[str, tuple[Mutation, tuple[str, str, str] | None]] = {
    "file.empty": (_raw("claims", lambda b: b""), ("claims", "", "")),
    "file.encoding": (_raw("statistics", lambda b: b"\xef\xbb\xbf" + b), ("statistics", "", "")),
    "file.line_endings": (_raw("events", lambda b: b.replace(b"\n", b"\r\n")), ("events", "", "")),
    "file.header": (_raw("actors", lambda b: b.replace(b"actor_kind", b"kind", 1)), ("actors", "", "")),
    "file.ragged_row": (_raw("geographies", lambda b: b.replace(b"\nIRQ,Iraq,country,IRQ,,,", b"\nIRQ,Iraq,country,IRQ,,,,", 1)), ("geographies", "", "")),
    "schema.type": (lambda r: edit(r, "statistics", "S003", value="19b6"), ("statistics", "S003", "value")),
    "schema.required": (lambda r: edit(r, "events", "E001", description=""), ("events", "E001", "description")),
    "schema.enum": (lambda r: edit(r, "events", "E001", status="occured"), ("events", "E001", "status")),
    "schema.pattern": (lambda r: edit(r, "geographies", "IRQ", iso3166_1_alpha3="Iraq"), ("geographies", "IRQ", "iso3166_1_alpha3")),
    "schema.length": (lambda r: edit(r, "claims", "C001", quote="x" * 301), ("claims", "C001", "quote")),
    "schema.range": (lambda r: edit(r, "qualifiers", "around", band="1.5"), ("qualifiers", "around", "band")),
    "schema.unique": (lambda r: write_rows(r, "event_geographies", read_rows(r, "event_geographies") + read_rows(r, "event_geographies")[-1:]), ("event_geographies", "E018|IRQ", "event_id,geography_id")),
    "ref.foreign_key": (lambda r: edit(r, "statistics", "S001", indicator_id="isis_attack"), ("statistics", "S001", "indicator_id")),
    "arith.parts_sum_to_total": (lambda r: edit(r, "statistics", "S004", value="173", lower_bound="173", upper_bound="173"), ("statistics", "S003", "value")),
    "arith.part_not_above_whole": (lambda r: edit(r, "statistics", "S017", value="20000", lower_bound="20000", upper_bound="20000"), ("statistics", "S017", "value")),
    "arith.qualifier_bounds": (lambda r: edit(r, "statistics", "S014", upper_bound="2700"), ("statistics", "S014", "upper_bound")),
    "arith.derivation_recomputes": (lambda r: edit(r, "statistics", "S025", value="300", lower_bound="300", upper_bound="300"), ("statistics", "S025", "value")),
    "arith.words_match_numbers": (lambda r: delete(r, "discrepancies", discrepancy_id="D002"), ("claims", "C003", "claimed_value")),
    "ref.statistic_has_evidence": (lambda r: delete(r, "statistic_evidence", statistic_id="S014"), ("statistics", "S014", "statistic_id")),
    "ref.event_has_evidence": (lambda r: delete(r, "event_evidence", event_id="E018"), ("events", "E018", "event_id")),
    "ref.evidence_from_document": (lambda r: edit(r, "statistic_evidence", "S015", source_id="kurilla-testimony"), ("statistic_evidence", "S015|kurilla-testimony", "source_id")),
    "time.period_order": (lambda r: edit(r, "statistics", "S002", period_start="2024-01-01"), ("statistics", "S002", "period_end")),
    "time.precision_matches_dates": (lambda r: edit(r, "events", "E009", date_end="2024-09-29"), ("events", "E009", "date_precision")),
    "time.period_before_report": (lambda r: edit(r, "statistics", "S015", period_start="2024-08-01", period_end="2024-08-31"), ("statistic_evidence", "S015|doc-shafaq-news", "cited_source_id")),
    "time.event_before_report": (lambda r: edit(r, "events", "E017", date_start="2024-07-18", date_end="2024-07-18"), ("event_evidence", "E017|doc-devdiscourse", "source_id")),
    "time.citation_order": (lambda r: edit(r, "sources", "centcom-statement", published_start="2024-07-18", published_end="2024-07-18"), ("citations", "doc-devdiscourse|centcom-statement", "cited_source_id")),
    "prov.value_in_quote": (lambda r: edit(r, "statistics", "S001", value="135", lower_bound="135", upper_bound="135"), ("statistics", "S001", "value")),
    "prov.qualifier_in_quote": (lambda r: edit(r, "statistics", "S012", qualifier_id="over", upper_bound=""), ("statistics", "S012", "qualifier_id")),
    "agree.cross_source": (lambda r: delete(r, "discrepancies", discrepancy_id="D001"), ("statistics", "S013", "value")),
    "hygiene.formula_injection": (lambda r: edit(r, "events", "E001", description="=HYPERLINK(\"x\")"), ("events", "E001", "description")),
    "hygiene.whitespace": (lambda r: edit(r, "actors", "reuters", name="Reuters "), ("actors", "reuters", "name")),
    "hygiene.control_chars": (lambda r: edit(r, "actors", "reuters", notes="wire\tservice"), ("actors", "reuters", "notes")),
    "hygiene.unicode_nfc": (lambda r: edit(r, "geographies", "IQ-SD", notes="Sala\u0301h ad Din"), ("geographies", "IQ-SD", "notes")),
    "hygiene.iso3166": (lambda r: edit(r, "geographies", "IQ-KI", iso3166_2="IQ-KX"), ("geographies", "IQ-KI", "iso3166_2")),
    "hygiene.aggregate_parts": (lambda r: delete(r, "geography_parts", part_geography_id="SYR"), ("geographies", "IRQ_SYR", "geography_id")),
    "hygiene.key_order": (_swap_first_rows, ("actors", "agencies", "actor_id")),
    "parity.parquet_matches_csv": (lambda r: edit(r, "actors", "reuters", notes="a wire service"), ("actors", "reuters", "notes")),
}

# Rules that need the archive: corrupted after the archive is made from the package's own quotes.
ARCHIVE_CASES: dict[str, tuple[Mutation, tuple[str, str, str]]] = {
    "prov.quote_in_archive": (lambda r: edit(r, "claims", "C002", quote="attacks in Syria and Iraq are set to triple this year compared to last year"), ("claims", "C002", "quote")),
    "prov.document_in_archive": (lambda r: edit(r, "sources", "doc-devdiscourse", text_sha256="0" * 64), ("sources", "doc-devdiscourse", "text_sha256")),
}


def test_every_rule_has_a_corruption_case() -> None:
    assert {r.id for r in RULES} == set(CASES) | set(ARCHIVE_CASES)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory):
    from conftest import copy_package
    root = copy_package(tmp_path_factory.mktemp("pristine") / "pkg")
    archive = make_archive(root, root.parent / "archive")
    return run(root, archive, parity=False), run(copy_package(tmp_path_factory.mktemp("pristine2") / "pkg"))


def test_real_package_passes_every_rule(pristine) -> None:
    with_archive, with_parity = pristine
    assert with_archive.failures == []
    assert with_parity.failures == []
    assert set(with_archive.rules_run) | set(with_parity.rules_run) == {r.id for r in RULES}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_a_curators_mistake(rule_id: str, pkg: Path, pristine) -> None:
    mutate, where = CASES[rule_id]
    assert not rule_hits(pristine[0], rule_id) and not rule_hits(pristine[1], rule_id)
    mutate(pkg)
    hits = rule_hits(run(pkg, parity=rule_id == "parity.parquet_matches_csv"), rule_id)
    assert hits, f"{rule_id} reported nothing"
    assert where in {(f.resource, f.key, f.column) for f in hits}
    assert all(f.message and f.message.endswith(".") for f in hits)


@pytest.mark.parametrize("rule_id", sorted(ARCHIVE_CASES))
def test_archive_rule_reports_a_changed_quote_or_document(rule_id: str, pkg: Path) -> None:
    archive = make_archive(pkg, pkg.parent / "archive")
    assert not rule_hits(run(pkg, archive, parity=False), rule_id)
    mutate, where = ARCHIVE_CASES[rule_id]
    mutate(pkg)
    hits = rule_hits(run(pkg, archive, parity=False), rule_id)
    assert where in {(f.resource, f.key, f.column) for f in hits}


def test_rules_declare_only_free_text_columns_they_may_read() -> None:
    prose = {f"{name}.{column}" for name, table in Package.load(ROOT).tables.items() for column in table.prose}
    declared = {column for rule in RULES for column in rule.prose if column != "*"}
    assert declared and declared <= prose
    assert "events.description" in prose and "events.event_id" not in prose and "qualifiers.phrase" not in prose  # a key is not prose


def test_finds_duplicate_primary_key_in_a_table_out_of_key_order(pkg: Path) -> None:
    rows = read_rows(pkg, "events")
    write_rows(pkg, "events", rows[1:] + rows[:2])  # E002 ... E018, E001, E002: the two E002 rows are far apart
    report = run(pkg, parity=False)
    assert {(f.key, f.line) for f in rule_hits(report, "schema.unique")} == {("E002", 2), ("E002", 20)}
    assert rule_hits(report, "hygiene.key_order")


def test_a_stray_space_in_an_enum_or_foreign_key_is_reported_once(pkg: Path) -> None:
    edit(pkg, "events", "E001", status="occurred ")
    edit(pkg, "statistics", "S001", asserted_by_actor_id="centcom ")
    report = run(pkg, parity=False)
    assert [(f.rule, f.resource, f.key, f.column) for f in report.failures] == [
        ("schema.enum", "events", "E001", "status"), ("ref.foreign_key", "statistics", "S001", "asserted_by_actor_id")]


def test_rejects_total_that_is_not_sum_of_sub_periods(pkg: Path) -> None:
    _sub_periods("100", "60")(pkg)
    hits = rule_hits(run(pkg, parity=False), "arith.parts_sum_to_total")
    assert [(f.key, f.values) for f in hits] == [("S001", "153 != 160 (S028+S029)")]


def test_accepts_sub_periods_that_sum_to_total(pkg: Path) -> None:
    _sub_periods("100", "53")(pkg)
    assert not rule_hits(run(pkg, parity=False), "arith.parts_sum_to_total")


def test_rejects_claim_in_words_the_numbers_do_not_support(pkg: Path) -> None:
    edit(pkg, "claims", "C001", claimed_value="3")
    hits = rule_hits(run(pkg, parity=False), "arith.words_match_numbers")
    assert [(f.key, f.values) for f in hits] == [("C001", "S026 = 2.529; at_least 3")]


def test_duplicate_statistic_from_two_documents_must_be_merged(pkg: Path) -> None:
    append(pkg, "statistics", statistic_id="S028", indicator_id="isis_attacks", value="153", qualifier_id="exact",
           lower_bound="153", upper_bound="153", geography_id="IRQ_SYR", period_start="2024-01-01", period_end="2024-06-30",
           period_precision="half_year", period_basis="stated", figure_kind="claim", asserted_by_actor_id="centcom")
    hits = rule_hits(run(pkg, parity=False), "agree.cross_source")
    assert len(hits) == 1 and "make them one statistic" in hits[0].message


def test_every_failure_is_reported_not_only_the_first(pkg: Path) -> None:
    edit(pkg, "events", "E001", status="occured")
    edit(pkg, "events", "E002", status="happened")
    edit(pkg, "statistics", "S001", indicator_id="isis_attack")
    report = run(pkg, parity=False)
    assert {(f.rule, f.key) for f in report.failures} >= {("schema.enum", "E001"), ("schema.enum", "E002"), ("ref.foreign_key", "S001")}


@pytest.mark.parametrize(("text", "expected"), [
    ("around 2,500 US military personnel", {2500.0}),
    ("on track to double in 2024", {2.0, 2024.0}),
    ("the 10th anniversary", {10.0}),
    ("over 10,000 IS fighters, including 2,000 foreigners", {10000.0, 2000.0}),
])
def test_numbers_in_quotes_allow_separators_and_words(text: str, expected: set[float]) -> None:
    assert numbers_in(text) == expected
