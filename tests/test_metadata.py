"""The metadata for the data hubs: croissant.json, dataset.jsonld, .zenodo.json and CITATION.cff follow the
descriptor and the tables, and Croissant's own library reads the package through croissant.json."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_package, read_rows
from isis_iraq_syria import croissant as croissants
from isis_iraq_syria import metadata
from isis_iraq_syria.schema import Package

PACKAGE = Package.load(ROOT)
DESCRIPTOR = PACKAGE.descriptor
CSV_RESOURCES = [r for r in DESCRIPTOR["resources"] if r["format"] == "csv"]


def _load(name: str) -> dict:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


def test_metadata_files_are_current() -> None:
    """What `make` writes is what the descriptor, the tables and CHANGELOG.md give (they cannot drift)."""
    stale = [
        str(path.relative_to(ROOT))
        for path, text in metadata.generated_files(PACKAGE).items()
        if path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"stale metadata files (run make): {stale}"


def test_croissant_describes_every_csv_with_its_hash_and_typed_fields() -> None:
    croissant = _load("croissant.json")
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    files = {f["@id"]: f for f in croissant["distribution"]}
    assert sorted(files) == sorted(r["path"] for r in CSV_RESOURCES)
    for path, entry in files.items():
        assert entry["sha256"] == hashlib.sha256((ROOT / path).read_bytes()).hexdigest(), path
        assert entry["@type"] == "cr:FileObject" and entry["encodingFormat"] == "text/csv"
    sets = {s["@id"]: s for s in croissant["recordSet"]}
    for name, table in PACKAGE.tables.items():
        fields = sets[name]["field"]
        assert [f["name"] for f in fields] == table.field_names
        assert [f["dataType"] for f in fields] == [
            croissants.CROISSANT_TYPES.get(f.type, "sc:Text") for f in table.fields
        ]
        assert [k["@id"] for k in sets[name]["key"]] == [f"{name}/{k}" for k in table.primary_key]
        assert {f["source"]["fileObject"]["@id"] for f in fields} == {f"data/{name}.csv"}


def test_croissant_responsible_ai_fields_come_from_the_package() -> None:
    croissant = _load("croissant.json")
    documents = [r for r in read_rows(ROOT, "sources") if r["text_sha256"]]
    for doc in documents:
        assert doc["title"] in croissant["rai:dataCollection"]
        assert metadata.ni_uri(doc["text_sha256"]) in [e["@id"] for e in croissant["prov:wasDerivedFrom"]]
    for key in ("rai:dataCollection", "rai:dataAnnotationProtocol", "rai:dataLimitations", "rai:dataUseCases"):
        assert croissant[key].strip(), key
    statistics = read_rows(ROOT, "statistics")
    assert f"of {len(statistics)} statistics" in croissant["rai:dataLimitations"]
    assert croissant["creator"] == [{"@type": "sc:Organization", "name": "isis-iraq-syria maintainers"}]


def test_ni_uri_is_rfc_6920() -> None:
    # RFC 6920's own example: the sha-256 of "Hello World!"
    digest = hashlib.sha256(b"Hello World!").hexdigest()
    assert metadata.ni_uri(digest) == "ni:///sha-256;f4OxZX_x_FO5LcGBSKHWXfwtSx-j1ncoSt3SABJtkGk"


def test_metadata_follows_the_descriptor(tmp_path: Path) -> None:
    """A resource the descriptor gains (the build adding a table) appears in every file without a change here."""
    root = copy_package(tmp_path / "pkg")
    shutil.copy2(ROOT / "CHANGELOG.md", root / "CHANGELOG.md")
    shutil.copy2(root / "data" / "indicators.csv", root / "data" / "indicators_copy.csv")
    descriptor = json.loads((root / "datapackage.json").read_text())
    added = {**next(r for r in descriptor["resources"] if r["name"] == "indicators"), "name": "indicators_copy"}
    added["path"] = "data/indicators_copy.csv"
    descriptor["resources"].append(added)
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    package = Package.load(root)
    croissant = croissants.croissant(package)
    assert "indicators_copy" in [s["@id"] for s in croissant["recordSet"]]
    assert "data/indicators_copy.csv" in [f["@id"] for f in croissant["distribution"]]
    assert "data/indicators_copy.csv" in [d["contentUrl"] for d in metadata.schema_org(package)["distribution"]]


def _typed(cell: str, kind: str) -> object:
    if cell == "":
        return None
    return {"integer": int, "number": float, "boolean": lambda c: c == "true"}.get(kind, str)(cell)


def _plain(value: object) -> object:
    """A value as mlcroissant gives it, as the CSV's text would be typed: text is bytes, a date a Timestamp."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):  # a pandas Timestamp is one
        return value.date().isoformat()
    return value


@pytest.mark.slow
def test_mlcroissant_validates_and_reads_every_table_as_its_csv() -> None:
    """Croissant's own library accepts croissant.json with no error or warning, and each record set gives its CSV's
    rows, typed as the Table Schema types them (the statistics, and every table the descriptor adds)."""
    import mlcroissant as mlc

    dataset = mlc.Dataset(str(ROOT / "croissant.json"))
    assert dataset.metadata.ctx.issues.errors == set()
    assert dataset.metadata.ctx.issues.warnings == set()
    for resource in CSV_RESOURCES:
        fields = metadata.schema_of(PACKAGE, resource)["fields"]
        records = [{k.split("/", 1)[1]: _plain(v) for k, v in r.items()} for r in dataset.records(resource["name"])]
        with open(ROOT / resource["path"], encoding="utf-8", newline="") as handle:
            rows = [{f["name"]: _typed(row[f["name"]], f["type"]) for f in fields} for row in csv.DictReader(handle)]
        assert records == rows, resource["name"]
        assert rows, resource["name"]


def test_schema_org_dataset_carries_what_a_search_engine_reads() -> None:
    dataset = _load("dataset.jsonld")
    assert dataset["@context"] == "https://schema.org/" and dataset["@type"] == "Dataset"
    assert dataset["name"] == DESCRIPTOR["title"] and dataset["description"] == DESCRIPTOR["description"]
    assert dataset["version"] == PACKAGE.version
    assert dataset["license"] == DESCRIPTOR["licenses"][0]["path"]
    assert dataset["creator"] == [{"@type": "Organization", "name": c["title"]} for c in DESCRIPTOR["contributors"]]
    downloads = {d["contentUrl"]: d for d in dataset["distribution"]}
    assert sorted(downloads) == sorted(r["path"] for r in DESCRIPTOR["resources"])
    for resource in DESCRIPTOR["resources"]:
        assert downloads[resource["path"]]["sha256"] == resource["hash"].removeprefix("sha256:")
    based_on = {(d["headline"], d["identifier"]) for d in dataset["isBasedOn"]}
    documents = [r for r in read_rows(ROOT, "sources") if r["text_sha256"]]
    assert based_on == {(r["title"], metadata.ni_uri(r["text_sha256"])) for r in documents}


def test_zenodo_and_citation_name_the_project_and_its_version() -> None:
    zenodo = _load(".zenodo.json")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    names = [c["title"] for c in DESCRIPTOR["contributors"] if "creator" in c["roles"]]
    assert [c["name"] for c in zenodo["creators"]] == [a["name"] for a in citation["authors"]] == names
    assert zenodo["version"] == citation["version"] == PACKAGE.version
    assert zenodo["license"] == "cc-by-4.0" and citation["license"] == "CC-BY-4.0"
    assert zenodo["upload_type"] == "dataset" and citation["type"] == "dataset"
    assert citation["title"] == zenodo["title"] == f"{PACKAGE.name}: {DESCRIPTOR['title']}"
    # CHANGELOG.md dates the version's entry: that is the release date
    assert str(citation["date-released"]) == zenodo["publication_date"] == metadata.release_date(PACKAGE)
    assert f"## [{PACKAGE.version}] - {zenodo['publication_date']}" in (ROOT / "CHANGELOG.md").read_text()
    assert len(citation["references"]) == 2


@pytest.mark.parametrize(
    ("heading", "date"),
    [
        ("## [{v}] - 2026-12-01", "2026-12-01"),
        # not released yet: no date is invented
        pytest.param("## [{v}]", None, marks=pytest.mark.slow),
        # another version's date is not this one's
        pytest.param("## [9.9.9] - 2026-12-01", None, marks=pytest.mark.slow),
        # a heading in a comment is not one
        pytest.param("<!-- ## [{v}] - 2026-12-01 -->", None, marks=pytest.mark.slow),
    ],
)
def test_release_date_is_the_changelog_entry_of_the_version(tmp_path: Path, heading: str, date: str | None) -> None:
    root = copy_package(tmp_path / "pkg")
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n{heading.format(v=PACKAGE.version)}\n\n- Something.\n")
    package = Package.load(root)
    assert metadata.release_date(package) == date
    cff = yaml.safe_load(metadata.citation_cff(package))
    assert cff.get("date-released") == (dt.date.fromisoformat(date).isoformat() if date else None)
    assert ("publication_date" in metadata.zenodo(package)) == (date is not None)
