"""annotations.jsonld: every evidence quote as a W3C Web Annotation, valid against the model's JSON-LD context and
anchored in the archived documents."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pyld import jsonld

from conftest import ROOT, SEEDS, copy_package, make_archive, read_rows
from isis_iraq_syria import annotations
from isis_iraq_syria.cli import codebook_main
from isis_iraq_syria.schema import CannotRun, Package
from isis_iraq_syria.validate import _archive as read_archive

# the W3C's context, vendored (tests/vendor/README.md names its source): the tests have no network
ANNO = json.loads((ROOT / "tests" / "vendor" / "anno.jsonld").read_text(encoding="utf-8"))
TERMS = ANNO["@context"]
NAMESPACES = tuple(v for v in TERMS.values() if isinstance(v, str) and v.startswith("http"))
ROWS = sum(len(read_rows(ROOT, table)) for table, _, _ in annotations.EVIDENCE)


def _loader(url: str, options: dict | None = None) -> dict:
    if url.rstrip("/") not in (annotations.CONTEXT, annotations.CONTEXT.replace("http:", "https:")):
        raise jsonld.JsonLdError(f"no network in the tests: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": ANNO}


def _keys(node: object) -> set[str]:
    if isinstance(node, dict):
        return {k for k in node if k != "@context"} | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def _expanded_iris(node: object) -> set[str]:
    """Every property IRI and @type of an expanded document."""
    if isinstance(node, list):
        return {iri for v in node for iri in _expanded_iris(v)}
    if not isinstance(node, dict):
        return set()
    types = node.get("@type", [])  # a node's classes, or a literal's datatype
    found = {k for k in node if not k.startswith("@")} | set([types] if isinstance(types, str) else types)
    return found | {iri for k, v in node.items() if k != "@type" for iri in _expanded_iris(v)}


def _committed() -> dict:
    return json.loads((ROOT / annotations.ANNOTATIONS).read_text(encoding="utf-8"))


def test_annotations_expand_to_the_web_annotation_vocabulary() -> None:
    document = _committed()
    unknown = sorted(k for k in _keys(document) if k not in TERMS and not k.startswith("@"))
    assert unknown == [], f"terms the Web Annotation context does not define (JSON-LD would drop them): {unknown}"
    expanded = jsonld.expand(document, {"documentLoader": _loader, "base": "file:///package/annotations.jsonld"})
    iris = _expanded_iris(expanded)
    assert iris and all(iri.startswith(NAMESPACES) for iri in iris), sorted(iris)
    page = expanded[0]["http://www.w3.org/ns/activitystreams#first"][0]
    items = page["http://www.w3.org/ns/activitystreams#items"][0]["@list"]
    assert len(items) == ROWS == document["total"]
    assert all(item["@type"] == ["http://www.w3.org/ns/oa#Annotation"] for item in items)
    selectors = {
        t
        for item in items
        for target in item["http://www.w3.org/ns/oa#hasTarget"]
        for s in target["http://www.w3.org/ns/oa#hasSelector"]
        for t in s["@type"]
    }
    assert selectors == {"http://www.w3.org/ns/oa#TextQuoteSelector", "http://www.w3.org/ns/oa#TextPositionSelector"}


def test_every_evidence_row_is_annotated_on_its_document() -> None:
    items = _committed()["first"]["items"]
    sources = {r["source_id"]: r["text_sha256"] for r in read_rows(ROOT, "sources")}
    from isis_iraq_syria.metadata import ni_uri

    expected = [
        (f"#{table}/{row[key]}/{row['source_id']}", row["quote"], ni_uri(sources[row["source_id"]]))
        for table, key, _ in annotations.EVIDENCE
        for row in read_rows(ROOT, table)
    ]
    found = [(a["id"], a["target"]["selector"][0]["exact"], a["target"]["source"]["id"]) for a in items]
    assert found == expected


def _archive_or_skip() -> Path:
    # the documents are not redistributed: CI has them beside the checkout, and must check against them
    if not SEEDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the archived documents are not at {SEEDS}, and CI must check the annotations against them")
        pytest.skip(f"the archived documents are not beside this checkout ({SEEDS})")
    return SEEDS


def test_annotations_are_current_and_anchor_in_the_archive() -> None:
    archive = read_archive(_archive_or_skip())
    assert archive is not None
    package = Package.load(ROOT)
    for path, text in annotations.generated_file(package, archive).items():
        assert path.read_text(encoding="utf-8") == text, "annotations.jsonld is stale: run make"
    texts = {annotations.ni_uri(sha): text for sha, text in archive.items()}
    for item in _committed()["first"]["items"]:
        text = texts[item["target"]["source"]["id"]]
        quote, position = item["target"]["selector"]
        assert quote["prefix"] + quote["exact"] + quote["suffix"] in text
        # a JavaScript tool slices the document's UTF-16 units
        units = text.encode("utf-16-le")
        assert units[2 * position["start"] : 2 * position["end"]].decode("utf-16-le") == quote["exact"]


def test_positions_count_utf16_units_past_the_basic_multilingual_plane() -> None:
    text = "A \U0001f600 then the quoted words, and after."  # the emoji is one code point, two UTF-16 units
    start = text.index("the quoted")
    row = {"quote": "the quoted words", "quote_start": str(start), "quote_end": str(start + 16)}
    row |= {"statistic_id": "S001", "source_id": "doc", "cited_source_id": ""}
    doc = {"text_sha256": "0" * 64, "title": "A document"}
    quote, position = annotations.annotation(row, "statistic_id", "statistic", "statistic_evidence", doc, text)[
        "target"
    ]["selector"]
    assert (position["start"], position["end"]) == (start + 1, start + 17)
    assert text.encode("utf-16-le")[2 * position["start"] : 2 * position["end"]].decode("utf-16-le") == row["quote"]
    assert quote["prefix"] == text[:start] and quote["suffix"] == text[start + 16 :][:32]
    with pytest.raises(CannotRun, match="not at its offsets"):
        annotations.annotation(
            {**row, "quote_start": "0"}, "statistic_id", "statistic", "statistic_evidence", doc, text
        )


@pytest.mark.slow
def test_docs_write_annotations_only_with_the_archive(tmp_path: Path) -> None:
    root = copy_package(tmp_path / "pkg")
    for name in ("README.md", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, root / name)
    assert codebook_main(root) == 0
    assert not (root / annotations.ANNOTATIONS).exists()
    archive = make_archive(root, tmp_path / "archive")
    assert codebook_main(root, str(archive)) == 0
    written = json.loads((root / annotations.ANNOTATIONS).read_text(encoding="utf-8"))
    assert written["total"] == ROWS
    assert codebook_main(root, str(tmp_path / "nowhere")) == 2
