"""Standard metadata for the data hubs, generated from the descriptor, the schemas and the tables.

- croissant.json: Croissant 1.1 (croissant.py), for the ML dataset hubs.
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
from pathlib import Path
from typing import Any

from .schema import Package

CROISSANT, DATASET, ZENODO, CITATION = "croissant.json", "dataset.jsonld", ".zenodo.json", "CITATION.cff"


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
            "identifier": ni_uri(doc["text_sha256"]),  # sha256 is a MediaObject's property, not an article's
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
    from .croissant import croissant  # which reads the package through this module

    root = package.root
    return {
        root / CROISSANT: _json(croissant(package)),
        root / DATASET: _json(schema_org(package)),
        root / ZENODO: _json(zenodo(package)),
        root / CITATION: citation_cff(package),
    }
