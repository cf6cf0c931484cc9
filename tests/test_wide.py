"""The wide tables: what they derive from, what they hold, and the question they answer in one filter in every
engine (R's is a README block, run by tests/test_readme.py)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pyarrow as pa
import pytest

import isis_iraq_syria as d
from conftest import ROOT
from isis_iraq_syria import wide
from isis_iraq_syria.rules.model import tables_read
from isis_iraq_syria.schema import Package
from isis_iraq_syria.sqlite import datasette_metadata, sqlite_bytes

PACKAGE = Package.load(ROOT)
KILLED_DETAINED = ["isis_operatives_killed", "isis_operatives_detained"]
# (indicator_id, iso_code) -> count, as CENTCOM's statement gives them for the first half of 2024
ANSWER = {
    ("isis_operatives_killed", "IRQ"): 30,
    ("isis_operatives_killed", "SYR"): 14,
    ("isis_operatives_detained", "IRQ"): 74,
    ("isis_operatives_detained", "SYR"): 92,
}
QUOTE_WORDS = {"IRQ": "In Iraq, 137 partnered operations", "SYR": "In Syria, 59 operations"}


def test_each_derived_table_names_the_tables_its_query_reads() -> None:
    assert set(PACKAGE.derived) == set(wide.QUERIES) == {"figures_wide", "events_wide"}
    for name, table in PACKAGE.derived.items():
        assert sorted(table.derived_from or []) == list(tables_read(wide.QUERIES[name]))
    resources = {r["name"]: r for r in d.descriptor()["resources"]}
    assert resources["figures_wide"]["x-derived-from"] == PACKAGE.derived["figures_wide"].derived_from
    assert "Derived by the build" in resources["events_wide"]["description"]


def test_events_wide_has_a_column_for_every_role_of_event_actors() -> None:
    roles = json.loads((ROOT / "schemas" / "event_actors.schema.json").read_text())["fields"][2]
    plural = {"party": "parties"}
    columns = {plural.get(role, f"{role}s") for role in roles["constraints"]["enum"]}
    assert columns <= set(PACKAGE.derived["events_wide"].field_names)


def test_the_question_is_one_filter_in_pandas_with_integers_documents_and_quotes() -> None:
    f = d.load("figures_wide")
    answer = f[
        f.indicator_id.isin(KILLED_DETAINED)
        & f.iso_code.isin(["IRQ", "SYR"])
        & (f.period_start >= "2024-01-01")
        & (f.period_end <= "2024-06-30")
    ]
    assert {(r.indicator_id, r.iso_code): r.count for r in answer.itertuples()} == ANSWER
    assert str(answer["count"].dtype) == "Int64" and str(answer["period_start"].dtype) == "datetime64[ms]"
    assert set(answer.document_names) == {"Shafaq News"} and set(answer.asserted_by) == {"US Central Command (CENTCOM)"}
    assert all(QUOTE_WORDS[r.iso_code] in r.quote for r in answer.itertuples())


def test_the_question_is_one_filter_in_polars_arrow_and_duckdb() -> None:
    f = d.load("figures_wide", engine="polars")
    answer = f.filter(
        pl.col("indicator_id").is_in(KILLED_DETAINED)
        & pl.col("iso_code").is_in(["IRQ", "SYR"])
        & (pl.col("period_start") >= dt.date(2024, 1, 1))
        & (pl.col("period_end") <= dt.date(2024, 6, 30))
    )
    assert {(r["indicator_id"], r["iso_code"]): r["count"] for r in answer.iter_rows(named=True)} == ANSWER
    assert answer.schema["count"] == pl.Int64 and answer.schema["period_start"] == pl.Date
    arrow = d.load("figures_wide", engine="arrow")
    assert arrow.schema.field("count").type == pa.int64() and arrow.schema.field("period_end").type == pa.date32()
    rows = (
        d.connect()
        .sql(
            "SELECT indicator_id, iso_code, count, typeof(count), typeof(period_start), quote FROM figures_wide "
            "WHERE indicator_id IN ('isis_operatives_killed', 'isis_operatives_detained') "
            "AND iso_code IN ('IRQ', 'SYR') AND period_start >= DATE '2024-01-01' AND period_end <= DATE '2024-06-30'"
        )
        .fetchall()
    )
    assert {(i, c): n for i, c, n, *_ in rows} == ANSWER
    assert {(t, u) for *_, t, u, _ in rows} == {("BIGINT", "DATE")}


def test_totals_and_parts_say_what_a_sum_counts_twice() -> None:
    f = d.load("figures_wide", engine="polars")
    killed = f.filter(pl.col("indicator_id") == "isis_operatives_killed")
    assert killed["count"].sum() == 88  # the trap: the total and its two parts
    assert killed.filter(pl.col("total_or_part") != "total")["count"].sum() == 44
    totals = f.filter(pl.col("total_or_part") == "total")
    for total in totals.iter_rows(named=True):
        parts = f.filter(pl.col("statistic_id").is_in(total["parts"].split("; ")))
        assert set(parts["part_of"]) == {total["statistic_id"]}
        if total["indicator_id"] == parts["indicator_id"][0]:  # parts by place: they sum to the total
            assert parts["count"].sum() == total["count"]
    assert f.filter(pl.col("statistic_id") == "S017")["part_of"].item() == "S016"  # an indicator that is a part


def test_computed_figures_name_their_inputs_and_no_document() -> None:
    f = d.load("figures_wide", engine="polars")
    computed = f.filter(pl.col("computed"))
    assert set(computed["figure_kind"]) == {"derived"} and set(computed["documents"]) == {0}
    assert computed["document_names"].null_count() == computed["quote"].null_count() == computed.height
    assert f.filter(pl.col("statistic_id") == "S025")["inputs"].item() == "S001"
    ratio = f.filter(pl.col("statistic_id") == "S026").row(0, named=True)
    assert ratio["value"] == 2.529 and ratio["count"] is None  # a ratio counts nothing


def test_events_wide_lists_places_actors_and_documents() -> None:
    e = d.load("events_wide", engine="polars").filter(pl.col("event_id") == "E002").row(0, named=True)
    assert (e["places"], e["place_ids"]) == ("Iraq; Syria", "IRQ; SYR")
    assert "US Central Command (CENTCOM)" in e["participants"].split("; ")
    assert e["documents"] == 1 and e["document_names"] == e["quote_document"] == "Shafaq News"
    both = d.load("events_wide").query("event_id == 'E001'").iloc[0]
    assert both.document_names == "Devdiscourse; Shafaq News" and both.date_start == dt.datetime(2024, 7, 17)


def test_sqlite_and_datasette_carry_the_wide_tables() -> None:
    import sqlite3

    parquet = {name: (ROOT / "data" / f"{name}.parquet").read_bytes() for name in PACKAGE.tables | PACKAGE.derived}
    con = sqlite3.connect(":memory:")
    con.deserialize(sqlite_bytes(PACKAGE, parquet))
    assert con.execute("SELECT count(*) FROM figures_wide").fetchone()[0] == len(d.load("statistics", "arrow"))
    assert con.execute("SELECT count FROM figures_wide WHERE statistic_id = 'S006'").fetchone() == (44,)
    tables = datasette_metadata(PACKAGE, "db")["databases"]["db"]["tables"]
    assert "Derived from" in tables["events_wide"]["description"] and tables["figures_wide"]["columns"]["count"]


def test_every_document_has_a_short_name_and_the_cited_sources_none() -> None:
    sources = d.load("sources", engine="polars")
    documents = sources.filter(pl.col("text_sha256").is_not_null())
    assert dict(documents.select("source_id", "short_name").iter_rows()) == {
        "doc-devdiscourse": "Devdiscourse",
        "doc-shafaq-news": "Shafaq News",
    }
    assert sources.filter(pl.col("text_sha256").is_null())["short_name"].null_count() == sources.height - 2


def test_a_derived_table_must_name_curated_tables_it_is_derived_from(tmp_path) -> None:
    from conftest import copy_package
    from isis_iraq_syria.schema import CannotRun

    root = copy_package(tmp_path / "pkg")
    path = root / "schemas" / "figures_wide.schema.json"
    schema = json.loads(path.read_text())
    for wrong, message in (("statistics", "must be a non-empty list"), (["events_wide"], "names no curated table")):
        path.write_text(json.dumps({**schema, "x-derived-from": wrong}))
        with pytest.raises(CannotRun, match=message):
            Package.load(root)


@pytest.mark.slow
def test_the_build_writes_a_hand_edited_derived_table_back_as_it_derives_it(tmp_path) -> None:
    import io

    from rich.console import Console

    from conftest import copy_package
    from isis_iraq_syria import build

    root = copy_package(tmp_path / "pkg")
    before = {p.name: p.read_bytes() for p in (root / "data").glob("*_wide.*")}
    (root / "data" / "events_wide.csv").write_text("event_id\nE001\n", encoding="utf-8")
    (root / "data" / "figures_wide.parquet").unlink()
    assert build.run(root, Console(file=io.StringIO())) == 0
    assert {p.name: p.read_bytes() for p in (root / "data").glob("*_wide.*")} == before
