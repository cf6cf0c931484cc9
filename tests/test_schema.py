"""The descriptor and Table Schemas: they load, match the files, pass frictionless, and map to Arrow and Pandera."""

from __future__ import annotations

import json
import re

import frictionless
import pytest

from conftest import ROOT, copy_package
from isis_iraq_syria.schema import CannotRun, Package

PACKAGE = Package.load(ROOT)


def test_descriptor_is_data_package_v2_with_required_metadata() -> None:
    d = json.loads((ROOT / "datapackage.json").read_text())
    assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    # the one place the version is written (pyproject.toml and CITATION.cff read or repeat it)
    assert d["name"] == "isis-iraq-syria" and re.fullmatch(r"\d+\.\d+\.\d+", d["version"])
    assert d["licenses"][0]["name"] == "CC-BY-4.0"
    for key in ("title", "description", "contributors", "sources", "keywords", "created"):
        assert d[key]


def test_descriptor_lists_every_table_as_csv_and_parquet() -> None:
    d = json.loads((ROOT / "datapackage.json").read_text())
    by_path = {r["path"]: r for r in d["resources"]}
    tables = PACKAGE.tables | PACKAGE.derived
    assert len(by_path) == 2 * len(tables) and set(PACKAGE.derived) == {"figures_wide", "events_wide"}
    for name, table in tables.items():
        assert by_path[f"data/{name}.csv"]["schema"] == by_path[f"data/{name}.parquet"]["schema"] == table.schema_path
        assert (ROOT / f"data/{name}.csv").is_file() and (ROOT / f"data/{name}.parquet").is_file()
    assert {p.name for p in (ROOT / "data").iterdir()} == {p.split("/")[1] for p in by_path}


@pytest.mark.slow
def test_frictionless_reports_every_resource_valid() -> None:
    report = frictionless.validate(str(ROOT / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "message"])[:10]
    assert len(report.tasks) == 2 * len(PACKAGE.tables | PACKAGE.derived)


def test_every_enum_is_also_a_categories_list() -> None:
    for table in PACKAGE.tables.values():
        for field in table.fields:
            if field.enum:
                assert field.descriptor["categories"] == field.enum


@pytest.mark.parametrize("name", sorted(PACKAGE.tables))
def test_schema_declares_why_a_cell_may_be_empty(name: str) -> None:
    table = PACKAGE.tables[name]
    assert table.descriptor["missingValues"][0]["label"]
    for field in table.fields:
        if not field.required:
            assert field.descriptor["description"].strip()


def _enum_of_every_id(table: str, column: str, source: tuple[str, str]):
    def edit_schema(root) -> None:
        import csv

        with open(root / "data" / f"{source[0]}.csv", newline="", encoding="utf-8") as handle:
            ids = sorted({row[source[1]] for row in csv.DictReader(handle)})
        path = root / "schemas" / f"{table}.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        next(f for f in schema["fields"] if f["name"] == column).setdefault("constraints", {})["enum"] = ids
        path.write_text(json.dumps(schema, indent=2), encoding="utf-8")

    return edit_schema


def _without_foreign_key(table: str, column: str):
    def edit_schema(root) -> None:
        path = root / "schemas" / f"{table}.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema["foreignKeys"] = [fk for fk in schema["foreignKeys"] if fk["fields"] not in ([column], column)]
        path.write_text(json.dumps(schema, indent=2), encoding="utf-8")

    return edit_schema


SCHEMA_EDITS = {
    # an enum makes a column a categorical: its references, and the key it references, must still join with it
    "enum_on_indicator_references": _enum_of_every_id("statistics", "indicator_id", ("indicators", "indicator_id")),
    "enum_on_statistic_keys": _enum_of_every_id("statistics", "statistic_id", ("statistics", "statistic_id")),
    "enum_on_evidence_event_ids": _enum_of_every_id("event_evidence", "event_id", ("events", "event_id")),
    # without its foreign key a reference is free text: still there for every rule, and still joined on
    "no_foreign_key_qualifier": _without_foreign_key("statistics", "qualifier_id"),
    "no_foreign_key_basis_document": _without_foreign_key("bases", "document_id"),
    "no_foreign_key_claim_statistic": _without_foreign_key("claims", "statistic_id"),
}


@pytest.mark.parametrize(
    "edit_schema",
    # make check: every edit (a whole validation each, twice)
    [pytest.param(name, marks=pytest.mark.slow) for name in sorted(SCHEMA_EDITS)],
)
def test_every_rule_runs_whatever_columns_are_categoricals(edit_schema: str, pkg) -> None:
    """Which columns are categoricals follows from the schemas (enums, free text, vocabularies, references): a schema
    edit changes them, and the rules must still run and still find a mistake."""
    from conftest import edit, run

    SCHEMA_EDITS[edit_schema](pkg)
    assert [(f.rule, f.message) for f in run(pkg, parity=False).failures] == []
    edit(pkg, "statistics", "S004", geography_id="SYR")
    failures = run(pkg, parity=False).failures
    assert not [f for f in failures if "could not run" in f.message]
    assert ("basis.geography_stated", "statistics", "S004", "geography_id") in {
        (f.rule, f.resource, f.key, f.column) for f in failures
    }


@pytest.mark.parametrize(
    "missing,by",
    [
        ("events", "schemas/events_wide.schema.json's x-derived-from"),
        ("figure_kinds", "a foreign key of schemas/statistics.schema.json"),
    ],
)
def test_a_missing_schema_file_is_named_not_the_table_that_reads_it(tmp_path, missing: str, by: str) -> None:
    root = copy_package(tmp_path / "pkg")
    (root / "schemas" / f"{missing}.schema.json").unlink()
    with pytest.raises(CannotRun) as raised:
        Package.load(root)
    assert str(raised.value) == f"schemas/{missing}.schema.json: no such file, though {by} names the table {missing}"
