"""Span rules beyond their examples (rules/spans.py): a span's length, numbers as written, a speaker named as an
object, a span of a cell that is not there."""

from __future__ import annotations

from pathlib import Path

from conftest import edit, only, read_rows, write_rows


def _set(pkg: Path, span: dict[str, str], **cells: str) -> None:
    rows = read_rows(pkg, "spans")
    for row in rows:
        if row["span_id"] == span["span_id"]:
            row.update(cells)
    write_rows(pkg, "spans", rows)


def _set_statistic(pkg: Path, statistic_id: str, **cells: str) -> None:
    rows = read_rows(pkg, "statistics")
    for row in rows:
        if row["statistic_id"] == statistic_id:
            row.update(cells)
    write_rows(pkg, "statistics", rows)


def _evidence(pkg: Path, span: dict[str, str]) -> dict[str, str]:
    """The evidence row of a statistic's span: its statistic's quote from the span's document."""
    return next(
        r
        for r in read_rows(pkg, "statistic_evidence")
        if r["statistic_id"] == span["statistic_id"] and r["source_id"] == span["document_id"]
    )


def _spans(pkg: Path, field: str) -> list[dict[str, str]]:
    return [r for r in read_rows(pkg, "spans") if r["field"] == field]


def test_rejects_a_span_longer_than_its_words(pkg: Path) -> None:
    span = _spans(pkg, "statistics.value")[0]
    _set(pkg, span, end=str(int(span["end"]) + 1))
    hits = only(pkg, "span.in_passage")
    assert [(f.resource, f.key, f.column) for f in hits] == [("spans", span["span_id"], "start")]
    assert "characters but its text has" in hits[0].message


def test_a_number_with_a_thousands_separator_reads_as_its_value_and_no_other(pkg: Path) -> None:
    span = next(s for s in _spans(pkg, "statistics.value") if "," in s["text"])
    assert not only(pkg, "span.states_cell")
    _set_statistic(pkg, span["statistic_id"], value=str(float(span["text"].replace(",", "")) + 1))
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.states_cell")] == [
        ("statistics", span["statistic_id"], "value")
    ]


def test_rejects_a_speaker_named_as_the_one_spoken_to(pkg: Path) -> None:
    # '... a US defense official told The Associated Press.': the agency is told, it does not speak
    span = next(s for s in _spans(pkg, "statistics.asserted_by_actor_id") if "told" in _passage_after(pkg, s))
    evidence = _evidence(pkg, span)
    document, start = evidence["quote"], int(evidence["quote_start"])
    at = document.index("The Associated Press")
    _set(pkg, span, start=str(start + at), end=str(start + at + 20), text="The Associated Press")
    _set_statistic(pkg, span["statistic_id"], asserted_by_actor_id="associated-press")
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.speaker_speaks")] == [
        ("statistics", span["statistic_id"], "asserted_by_actor_id")
    ]


def _passage_after(pkg: Path, span: dict[str, str]) -> str:
    evidence = _evidence(pkg, span)
    offset = int(span["end"]) - int(evidence["quote_start"])
    return evidence["quote"][offset:] if 0 <= offset <= len(evidence["quote"]) else ""


def test_a_span_of_a_place_the_event_does_not_have_is_reported_at_the_span(pkg: Path) -> None:
    span = _spans(pkg, "event_geographies.geography_id")[0]
    places = {r["geography_id"] for r in read_rows(pkg, "event_geographies") if r["event_id"] == span["event_id"]}
    other = next(g["geography_id"] for g in read_rows(pkg, "geographies") if g["geography_id"] not in places)
    _set(pkg, span, geography_id=other)
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.states_cell")] == [
        ("spans", span["span_id"], "field")
    ]


def test_an_inferred_place_changed_at_will_no_longer_reads_as_its_words(pkg: Path) -> None:
    # an inferred cell keeps the words it rests on ('in both countries' of the sentence before): a curator who moves
    # the figure to another place must change those words too
    inferred = {
        r["statistic_id"]
        for r in read_rows(pkg, "bases")
        if r["field"] == "statistics.geography_id" and r["basis"] == "inferred"
    }
    span = next(s for s in _spans(pkg, "statistics.geography_id") if s["statistic_id"] in inferred)
    current = next(r["geography_id"] for r in read_rows(pkg, "statistics") if r["statistic_id"] == span["statistic_id"])
    other = next(g["geography_id"] for g in read_rows(pkg, "geographies") if g["geography_id"] != current)
    _set_statistic(pkg, span["statistic_id"], geography_id=other)
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.states_cell")] == [
        ("statistics", span["statistic_id"], "geography_id")
    ]


def test_rejects_a_cited_source_named_in_an_aside(pkg: Path) -> None:
    # '..., who heads US Central Command, told Congress': the command is his employer, not the source he is
    evidence = next(r for r in read_rows(pkg, "statistic_evidence") if "who heads US Central Command" in r["quote"])
    span = next(
        s
        for s in _spans(pkg, "statistic_evidence.cited_source_id")
        if s["statistic_id"] == evidence["statistic_id"] and s["document_id"] == evidence["source_id"]
    )
    at = int(evidence["quote_start"]) + evidence["quote"].index("US Central Command")
    _set(pkg, span, start=str(at), end=str(at + 18), text="US Central Command")
    rows = read_rows(pkg, "statistic_evidence")
    for row in rows:
        if row == evidence:
            row["cited_source_id"] = "centcom-statement"
    write_rows(pkg, "statistic_evidence", rows)
    key = f"{evidence['statistic_id']}|{evidence['source_id']}"
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.speaker_speaks")] == [
        ("statistic_evidence", key, "cited_source_id")
    ]


def test_rejects_a_qualified_figure_made_exact(pkg: Path) -> None:
    span = _spans(pkg, "statistics.qualifier_id")[0]
    _set_statistic(pkg, span["statistic_id"], qualifier_id="exact")
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.states_cell")] == [
        ("statistics", span["statistic_id"], "qualifier_id")
    ]


def _where(pkg: Path, rule: str) -> list[tuple[str, str, str]]:
    return sorted((f.resource, f.key, f.column) for f in only(pkg, rule))


def _move(pkg: Path, field: str, subject: dict[str, str], to: dict[str, str]) -> None:
    """The span of a cell moved onto the words of another span (its start, end and text)."""
    rows = read_rows(pkg, "spans")
    for row in rows:
        if row["field"] == field and all(row[k] == v for k, v in subject.items()):
            row.update({k: to[k] for k in ("start", "end", "text")})
    write_rows(pkg, "spans", rows)


def _span(pkg: Path, field: str, **subject: str) -> dict[str, str]:
    return next(r for r in _spans(pkg, field) if all(r[k] == v for k, v in subject.items()))


def test_rejects_an_event_that_occurred_made_planned(pkg: Path) -> None:
    # 'when it swept through northern Iraq in 2014': a verb in the past tense, not a word of what is planned
    edit(pkg, "events", "E010", status="planned")
    assert _where(pkg, "span.states_cell") == [("events", "E010", "status")]


def test_rejects_an_announcer_made_a_perpetrator(pkg: Path) -> None:
    # 'The US Central Command announced', '(CENTCOM) on Wednesday said': each span of the role is reported
    rows = read_rows(pkg, "event_actors")
    for row in rows:
        if (row["event_id"], row["actor_id"]) == ("E001", "centcom"):
            row["role"] = "perpetrator"
    write_rows(pkg, "event_actors", rows)
    assert [(f.resource, f.key, f.column) for f in only(pkg, "span.states_cell")] == [
        ("event_actors", "E001|centcom|perpetrator", "role")
    ] * 2


def test_rejects_killed_and_detained_traded_with_their_words(pkg: Path) -> None:
    # the totals of the first half of 2024 trade indicators, and each its indicator's span for the other's words:
    # '44 ISIS operatives killed and 166 detained' then reads 44 'detained', 166 'killed'
    killed = _span(pkg, "statistics.indicator_id", statistic_id="S006")
    detained = _span(pkg, "statistics.indicator_id", statistic_id="S009")
    edit(pkg, "statistics", "S006", indicator_id="isis_operatives_detained")
    edit(pkg, "statistics", "S009", indicator_id="isis_operatives_killed")
    _move(pkg, "statistics.indicator_id", {"statistic_id": "S006"}, detained)
    _move(pkg, "statistics.indicator_id", {"statistic_id": "S009"}, killed)
    assert not only(pkg, "span.states_cell")
    assert _where(pkg, "span.indicator_by_value") == [
        ("statistics", "S006", "indicator_id"),
        ("statistics", "S009", "indicator_id"),
    ]


def test_rejects_two_figures_of_one_quote_swapped_with_their_spans(pkg: Path) -> None:
    # '... reduce life sentences to 15 years for certain detainees and release those over 75': the sentence's 75
    # and the release threshold's 15, each value's span moved with it
    fifteen = _span(pkg, "statistics.value", statistic_id="S020")
    seventy_five = _span(pkg, "statistics.value", statistic_id="S021")
    edit(pkg, "statistics", "S020", value="75", lower_bound="75", upper_bound="75")
    edit(pkg, "statistics", "S021", value="15", lower_bound="15", upper_bound="15")
    _move(pkg, "statistics.value", {"statistic_id": "S020"}, seventy_five)
    _move(pkg, "statistics.value", {"statistic_id": "S021"}, fifteen)
    assert not only(pkg, "span.states_cell")
    hits = only(pkg, "span.indicator_by_value")
    assert sorted((f.resource, f.key, f.column) for f in hits) == [
        ("statistics", "S020", "indicator_id"),
        ("statistics", "S021", "indicator_id"),
    ]
    assert all("'and'" not in f.message and " and release " in f.message for f in hits)


def test_rejects_a_claim_whose_comparison_is_changed(pkg: Path) -> None:
    # 'nearing double': close to but under double, not at least double
    edit(pkg, "claims", "C003", comparison="at_least")
    assert _where(pkg, "span.states_cell") == [("claims", "C003", "comparison")]


def test_every_status_role_indicator_and_comparison_needs_a_span_or_an_inferred_basis(pkg: Path) -> None:
    for field, subject in (
        ("events.status", {"event_id": "E010"}),
        ("event_actors.role", {"event_id": "E010", "actor_id": "isis"}),
        ("statistics.indicator_id", {"statistic_id": "S020"}),
        ("claims.comparison", {"claim_id": "C003"}),
    ):
        rows = read_rows(pkg, "spans")
        write_rows(pkg, "spans", [r for r in rows if not (r["field"] == field and _has(r, subject))])
    assert _where(pkg, "span.stated_cell_has_span") == [
        ("claims", "C003", "comparison"),
        ("event_actors", "E010|isis|perpetrator", "role"),
        ("events", "E010", "status"),
        ("statistics", "S020", "indicator_id"),
    ]


def _has(row: dict[str, str], subject: dict[str, str]) -> bool:
    return all(row[k] == v for k, v in subject.items())


def test_rejects_an_indicator_whose_words_are_in_another_passage_than_its_number(pkg: Path) -> None:
    # the term of 15 years pointed at 'amnesty' in the sentence that places the amnesty (a context quote of S020)
    basis = next(
        r for r in read_rows(pkg, "bases") if r["statistic_id"] == "S020" and r["field"] == "statistics.geography_id"
    )
    at = int(basis["quote_start"]) + basis["quote"].index("amnesty")
    _move(
        pkg,
        "statistics.indicator_id",
        {"statistic_id": "S020"},
        {"start": str(at), "end": str(at + 7), "text": "amnesty"},
    )
    hits = only(pkg, "span.indicator_by_value")
    assert [(f.resource, f.key, f.column) for f in hits] == [("statistics", "S020", "indicator_id")]
    assert "in no one passage" in hits[0].message
