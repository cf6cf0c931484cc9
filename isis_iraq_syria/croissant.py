"""croissant.json: the package in Croissant 1.1, as the ML dataset hubs read it.

Every CSV resource of datapackage.json is a FileObject with its sha256 and a record set with typed fields and its
key; the responsible-AI fields are written from the sources, actors and statistics tables (the documents, the
people they name, who asserts the figures) and say only what the package records.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .metadata import (
    creators,
    csv_resources,
    document_citation,
    documents,
    license_of,
    ni_uri,
    release_date,
    rows,
    schema_of,
    sha256_of,
)
from .schema import Package

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
        "rai:dataCollectionType": ["Manual Human Curation"],
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
            **({"contentSize": f"{r['bytes']} B"} if "bytes" in r else {}),
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
