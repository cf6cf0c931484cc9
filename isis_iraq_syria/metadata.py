"""Standard metadata for the data hubs, generated from the descriptor, the schemas and the tables.

- croissant.json: Croissant 1.1 (the ML dataset hubs): every CSV resource of datapackage.json as a FileObject with
  its sha256, one record set per CSV with typed fields and keys, and the responsible-AI fields.
- dataset.jsonld: a schema.org Dataset for search engines, to embed in a landing page as it is.
- .zenodo.json: the Zenodo deposit's metadata; CITATION.cff: how to cite the package.

Everything here is read from the package: the creators are the descriptor's contributors (the project's own
name), the two documents are the sources with an archived text (sources.text_sha256), and a release date is the
date of CHANGELOG.md's entry for the descriptor's version, left out when that entry has none.
"""

from __future__ import annotations

import base64
import csv
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .schema import Package

CROISSANT, DATASET, ZENODO, CITATION = "croissant.json", "dataset.jsonld", ".zenodo.json", "CITATION.cff"
# Croissant's data types for the Table Schema's; a type without one (an array, an object) is read as its text
CROISSANT_TYPES = {
    "string": "sc:Text",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
}
# Croissant 1.1's context as mlcroissant writes it (a context without one of its terms draws a warning), and PROV
CROISSANT_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "prov": "http://www.w3.org/ns/prov#",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


# --- what the package knows ----------------------------------------------------------------------------------------


def rows(package: Package, resource: str) -> list[dict[str, str]]:
    """A CSV resource's rows as text (an empty cell is ""), by the path the descriptor gives it."""
    path = next(r["path"] for r in package.descriptor["resources"] if r.get("name") == resource)
    with open(package.root / path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def csv_resources(package: Package) -> list[dict[str, Any]]:
    """The descriptor's CSV resources, in its order: a resource the build adds appears here by itself."""
    return [r for r in package.descriptor.get("resources", []) if r.get("format") == "csv"]


def schema_of(package: Package, resource: dict[str, Any]) -> dict[str, Any]:
    schema = resource["schema"]
    return schema if isinstance(schema, dict) else json.loads((package.root / schema).read_text(encoding="utf-8"))


def sha256_of(resource: dict[str, Any]) -> str:
    return str(resource["hash"]).removeprefix("sha256:")


def ni_uri(sha256_hex: str) -> str:
    """The document's name by its hash, as RFC 6920 writes it (ni:///sha-256;<base64url, no padding>): the
    documents have no URL, and a hash names exactly the text the quotes were checked against."""
    return "ni:///sha-256;" + base64.urlsafe_b64encode(bytes.fromhex(sha256_hex)).decode().rstrip("=")


def documents(package: Package) -> list[dict[str, str]]:
    """The archived documents (sources with a text_sha256), each with its outlet's name beside its row."""
    actors = {a["actor_id"]: a["name"] for a in rows(package, "actors")}
    return [
        {**row, "publisher": actors.get(row["publisher_actor_id"], "")}
        for row in rows(package, "sources")
        if row["text_sha256"]
    ]


def document_citation(doc: dict[str, str]) -> str:
    """A document as a reader cites it: byline, title in quotes, place and date as the document prints them."""
    when = doc["date_expression"] if doc["published_start"] else "no date stated"
    parts = [doc["byline"] or doc["publisher"], f'"{doc["title"]}"', doc["dateline"], when]
    return ", ".join(p for p in parts if p)


def release_date(package: Package) -> str | None:
    """The date of CHANGELOG.md's entry for the descriptor's version ('## [0.1.0] - 2026-11-21'), as a Markdown
    parser reads its level-2 headings; None when there is no such entry or it has no date."""
    from markdown_it import MarkdownIt  # rich's Markdown parser, installed with it

    path = package.root / "CHANGELOG.md"
    if not path.is_file():
        return None
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    entry = re.compile(rf"\[{re.escape(package.version)}\]\s+-\s+(\d{{4}}-\d{{2}}-\d{{2}})\s*$")
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open" and opening.tag == "h2" and (found := entry.match(inline.content)):
            return found.group(1)
    return None


def creators(package: Package) -> list[str]:
    """The descriptor's contributors with the role creator: the project's own name, no invented people."""
    return [
        str(c["title"])
        for c in package.descriptor.get("contributors", [])
        if isinstance(c, dict) and c.get("title") and "creator" in c.get("roles", [])
    ]


def license_of(package: Package) -> dict[str, str]:
    licenses = package.descriptor.get("licenses") or [{}]
    return licenses[0]


# --- Croissant ----------------------------------------------------------------------------------------------------


def _record_set(package: Package, resource: dict[str, Any]) -> dict[str, Any]:
    name, schema = resource["name"], schema_of(package, resource)
    # No cr:references for the foreign keys: mlcroissant 1.1.1 reads one as a join to run before the record set,
    # and the self-references (sources.date_anchor_id) and mutual ones make cycles it cannot run. The Table
    # Schemas keep them.
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"{name}/{field['name']}",
            "name": field["name"],
            "description": field.get("description", ""),
            "dataType": CROISSANT_TYPES.get(field["type"], "sc:Text"),
            "source": {"fileObject": {"@id": resource["path"]}, "extract": {"column": field["name"]}},
        }
        for field in schema["fields"]
    ]
    out: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": resource.get("description", ""),
        "field": fields,
    }
    if schema.get("primaryKey"):
        out["key"] = [{"@id": f"{name}/{key}"} for key in schema["primaryKey"]]
    return out


def _rai(package: Package) -> dict[str, Any]:
    """The responsible-AI fields, from the sources, actors and statistics tables and the descriptor."""
    docs = documents(package)
    stats = rows(package, "statistics")
    actors = {a["actor_id"]: a for a in rows(package, "actors")}
    asserted = Counter(s["asserted_by_actor_id"] for s in stats if s["asserted_by_actor_id"])
    top, top_count = asserted.most_common(1)[0] if asserted else ("", 0)
    by_speaker = ", ".join(f"{actors[a]['name'] if a in actors else a} {n}" for a, n in asserted.most_common())
    by_speaker += f", none (computed) {len(stats) - asserted.total()}" if len(stats) > asserted.total() else ""
    undated = [d for d in docs if not d["published_start"]]
    people = sorted(
        f"{a['name']}, {a['role_as_stated']}" if a["role_as_stated"] else a["name"]
        for a in actors.values()
        if a["actor_kind"] == "person"
    )
    cited = [s for s in rows(package, "sources") if not s["text_sha256"]]
    names = "; ".join(document_citation(d) for d in docs)
    return {
        "rai:dataCollection": (
            f"Curated by hand from {len(docs)} archived news documents and nothing else: {names}. Every figure "
            "and event is linked to each document that reports it by a verbatim quote and its offsets in the "
            f"document; the {len(cited)} sources the documents cite or quote are rows of sources, not documents "
            "read. The documents' full text is not redistributed: sources.text_sha256 names each by its sha256."
        ),
        "rai:dataCollectionType": ["Manual Human Curator", "Document Analysis"],
        "rai:dataAnnotationProtocol": (
            "Figures are kept as stated, with the qualifier's words ('around', 'over') and the bounds they imply; "
            "dates are recorded with the words that state them and resolved from them. Each claim-bearing cell "
            "(a figure's place, period, kind and speaker; an event's dates, places and actors) is stated (the "
            "words that state it are in a quote, and spans point at them), inferred (a row of bases says from "
            "what) or empty. Figures the package computes are marked derived, with their formula and inputs. The "
            "package's validator checks sums, bounds, derivations, dates, quotes against the archived documents "
            "and every stated cell against its words on every build."
        ),
        "rai:dataLimitations": (
            f"The data are what {len(docs)} news reports of one US Central Command statement say, not a count of "
            "events: figures are as reported, not verified against other sources, and what the documents do not "
            f"state is empty, never guessed. The documents give no URLs, so none is recorded; the publication date "
            f"is not stated in {len(undated)} of them. {top_count} of {len(stats)} statistics are asserted by "
            f"{actors[top]['name'] if top in actors else top}."
        ),
        "rai:dataBiases": (
            "The figures are those of the parties the documents quote, as two outlets report them. Statistics by "
            f"who asserts them: {by_speaker}. Which source each quote cites is recorded (cited_source_id), and the "
            "documents' disagreements are rows of discrepancies."
        ),
        "rai:dataUseCases": (
            "Research and reporting on Islamic State activity in Iraq and Syria and the response to it, in the "
            "words of the documents: each figure with who asserts it and the quote that states it. A test set "
            "for checking claims and provenance against their sources. Not for estimating the true number of "
            "attacks or casualties, nor for any decision about a person."
        ),
        "rai:personalSensitiveInformation": (
            f"The {len(people)} people the documents name or describe, with the role they give them: "
            f"{'; '.join(people)}. No other personal data."
        ),
    }


def croissant(package: Package) -> dict[str, Any]:
    d = package.descriptor
    released = release_date(package)
    docs = documents(package)
    out: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.1",
        "name": package.name,
        "alternateName": d.get("title", package.name),
        "description": d.get("description", ""),
        "version": package.version,
        "license": license_of(package).get("path", license_of(package).get("name", "")),
        "keywords": d.get("keywords", []),
        "creator": [{"@type": "sc:Organization", "name": name} for name in creators(package)],
        "citeAs": cite_as(package),
        "isLiveDataset": False,
    }
    if released:
        out["datePublished"] = released
    out["prov:wasDerivedFrom"] = [
        {
            "@type": "prov:Entity",
            "@id": ni_uri(doc["text_sha256"]),
            "name": doc["title"],
            "publisher": doc["publisher"],
            "description": document_citation(doc),
        }
        for doc in docs
    ]
    out |= _rai(package)
    out["distribution"] = [
        {
            "@type": "cr:FileObject",
            "@id": r["path"],
            "name": r["path"],
            "description": r.get("description", ""),
            "contentUrl": r["path"],
            "contentSize": f"{r['bytes']} B",
            "encodingFormat": r.get("mediatype", "text/csv"),
            "sha256": sha256_of(r),
        }
        for r in csv_resources(package)
    ]
    out["recordSet"] = [_record_set(package, r) for r in csv_resources(package)]
    return out


def cite_as(package: Package) -> str:
    """A BibTeX entry, as Croissant's citeAs asks; the year only when a release date is known."""
    released = release_date(package)
    year = f", year = {{{released[:4]}}}" if released else ""
    return (
        f"@misc{{{package.name}-{package.version}, title = {{{package.name}: {package.descriptor.get('title', '')}}}, "
        f"author = {{{' and '.join(creators(package))}}}, version = {{{package.version}}}{year}}}"
    )


# --- schema.org, Zenodo, CITATION.cff ------------------------------------------------------------------------------


def schema_org(package: Package) -> dict[str, Any]:
    """A schema.org Dataset, as a landing page embeds it in <script type="application/ld+json">."""
    d = package.descriptor
    released = release_date(package)
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": d.get("title", package.name),
        "alternateName": package.name,
        "description": d.get("description", ""),
        "version": package.version,
        "license": license_of(package).get("path", ""),
        "keywords": d.get("keywords", []),
        "creator": [{"@type": "Organization", "name": name} for name in creators(package)],
        "isAccessibleForFree": True,
    }
    if released:
        out["datePublished"] = released
    out["isBasedOn"] = [
        {
            "@type": "NewsArticle",
            "headline": doc["title"],
            "author": {"@type": "Organization", "name": doc["byline"] or doc["publisher"]},
            "publisher": {"@type": "Organization", "name": doc["publisher"]},
            "sha256": doc["text_sha256"],
            **({"datePublished": doc["published_start"]} if doc["date_precision"] == "day" else {}),
        }
        for doc in documents(package)
    ]
    out["distribution"] = [
        {
            "@type": "DataDownload",
            "name": r["name"],
            "description": r.get("description", ""),
            "contentUrl": r["path"],
            "encodingFormat": r.get("mediatype", ""),
            "sha256": sha256_of(r),
            **({"contentSize": f"{r['bytes']} B"} if "bytes" in r else {}),
        }
        for r in package.descriptor.get("resources", [])
    ]
    return out


def zenodo(package: Package) -> dict[str, Any]:
    """The Zenodo deposit's metadata (.zenodo.json): Zenodo reads it when a release is archived there."""
    d = package.descriptor
    out: dict[str, Any] = {
        "upload_type": "dataset",
        "title": f"{package.name}: {d.get('title', '')}",
        "description": d.get("description", ""),
        "version": package.version,
        "creators": [{"name": name} for name in creators(package)],
        "license": str(license_of(package).get("name", "")).lower(),  # Zenodo's ids are SPDX ids in lower case
        "access_right": "open",
        "keywords": d.get("keywords", []),
        "references": [document_citation(doc) for doc in documents(package)],
    }
    released = release_date(package)
    if released:
        out["publication_date"] = released
    return out


def _yaml(value: str) -> str:
    """A YAML scalar: JSON's double-quoted strings are YAML's too."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(package: Package) -> str:
    d = package.descriptor
    lines = [
        "# Generated from datapackage.json and CHANGELOG.md by make (isis_iraq_syria/metadata.py); do not edit.",
        "cff-version: 1.2.0",
        'message: "If you use this data package, please cite it as below."',
        "type: dataset",
        f"title: {_yaml(f'{package.name}: ' + str(d.get('title', '')))}",
        f"abstract: {_yaml(str(d.get('description', '')))}",
        "authors:",
        *(f"  - name: {_yaml(name)}" for name in creators(package)),
        f"version: {_yaml(package.version)}",
    ]
    released = release_date(package)
    if released:
        lines.append(f"date-released: {_yaml(released)}")
    lines.append(f"license: {license_of(package).get('name', '')}")
    lines += ["keywords:", *(f"  - {_yaml(k)}" for k in d.get("keywords", []))]
    lines.append("references:")
    for doc in documents(package):
        lines += [
            "  - type: newspaper-article",
            f"    title: {_yaml(doc['title'])}",
            "    authors:",
            f"      - name: {_yaml(doc['byline'] or doc['publisher'])}",
        ]
        if doc["publisher"]:
            lines += ["    publisher:", f"      name: {_yaml(doc['publisher'])}"]
        if doc["date_precision"] == "day":
            lines.append(f"    date-published: {_yaml(doc['published_start'])}")
        lines.append(f"    notes: {_yaml('sha256 of the archived text: ' + doc['text_sha256'])}")
    return "\n".join(lines) + "\n"


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generated_files(package: Package) -> dict[Path, str]:
    root = package.root
    return {
        root / CROISSANT: _json(croissant(package)),
        root / DATASET: _json(schema_org(package)),
        root / ZENODO: _json(zenodo(package)),
        root / CITATION: citation_cff(package),
    }
