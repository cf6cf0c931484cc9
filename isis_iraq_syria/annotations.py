"""Every evidence quote as a W3C Web Annotation (annotations.jsonld), for annotation tools to open.

Each annotation targets the archived document it quotes, named by its sha256 (an RFC 6920 `ni:` URI: the documents
have no URL), with two selectors: a TextQuoteSelector (the quote, and up to 32 characters of the document on each
side as prefix and suffix: what tools re-anchor by) and a TextPositionSelector. The package's offsets count Unicode
code points; the TextPositionSelector counts UTF-16 code units instead, as the JavaScript tools that read these
files index text (Hypothesis, Apache Annotator): the two differ only past a character outside the Basic
Multilingual Plane. Written only from the archive, whose text gives the prefix, suffix and UTF-16 offsets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .metadata import creators, documents, ni_uri, rows
from .schema import CannotRun, Package

ANNOTATIONS = "annotations.jsonld"
CONTEXT = "http://www.w3.org/ns/anno.jsonld"
AFFIX = 32  # characters of prefix and suffix, as Hypothesis keeps
# the evidence tables and the column naming the row each quote is evidence of, and how the row is named
EVIDENCE = (("statistic_evidence", "statistic_id", "statistic"), ("event_evidence", "event_id", "event"))


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 code units before code point `index` of `text`: a character past U+FFFF takes two."""
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


def annotation(row: dict[str, str], key: str, kind: str, table: str, doc: dict[str, str], text: str) -> dict:
    start, end = int(row["quote_start"]), int(row["quote_end"])
    quote = row["quote"]
    if text[start:end] != quote:  # the validator's prov.quote_span: an export must not anchor a quote elsewhere
        raise CannotRun(f"{table} {row[key]} {row['source_id']}: the quote is not at its offsets in the archive")
    cited = f", citing {row['cited_source_id']}" if row["cited_source_id"] else ""
    return {
        "id": f"#{table}/{row[key]}/{row['source_id']}",
        "type": "Annotation",
        "motivation": "identifying",
        "body": {
            "type": "TextualBody",
            "purpose": "identifying",
            "format": "text/plain",
            "value": f"{kind} {row[key]} ({table}: {row['source_id']}{cited})",
        },
        "target": {
            "type": "SpecificResource",
            "source": {"id": ni_uri(doc["text_sha256"]), "type": "Text", "format": "text/plain", "label": doc["title"]},
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": quote,
                    "prefix": text[max(0, start - AFFIX) : start],
                    "suffix": text[end : end + AFFIX],
                },
                {"type": "TextPositionSelector", "start": utf16_offset(text, start), "end": utf16_offset(text, end)},
            ],
        },
    }


def collection(package: Package, archive: dict[str, str]) -> dict[str, Any]:
    """Every row of the evidence tables as an annotation, in table and primary-key order. `archive` maps each
    document's sha256 to its text (validate's reading of the archive folder)."""
    docs = {doc["source_id"]: doc for doc in documents(package)}
    missing = [doc["source_id"] for doc in docs.values() if doc["text_sha256"] not in archive]
    if missing:
        raise CannotRun(f"the archive holds no document with the sha256 that sources gives {', '.join(missing)}")
    items = [
        annotation(row, key, kind, table, docs[row["source_id"]], archive[docs[row["source_id"]]["text_sha256"]])
        for table, key, kind in EVIDENCE
        for row in rows(package, table)
    ]
    return {
        "@context": CONTEXT,
        "id": "",
        "type": "AnnotationCollection",
        "label": (
            f"{package.name} {package.version}: every evidence quote of {', '.join(t for t, _, _ in EVIDENCE)}. "
            "TextPositionSelector offsets count UTF-16 code units (the package's quote_start and quote_end count "
            "Unicode code points)."
        ),
        "creator": [{"type": "Organization", "name": name} for name in creators(package)],
        "total": len(items),
        "first": {"type": "AnnotationPage", "items": items},
    }


def generated_file(package: Package, archive: dict[str, str]) -> dict[Path, str]:
    data = collection(package, archive)
    return {package.root / ANNOTATIONS: json.dumps(data, indent=2, ensure_ascii=False) + "\n"}
