"""The claim-bearing cells (a statistic's geography, period, asserting actor, kind and cited source; an event's
dates, places and actors; a source's publication date) and the SQL the basis, date and span rules build on: the
passages a cell may be stated in, and whether it has an inferred basis or evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBJECT = {"statistic": "statistic_id", "event": "event_id", "source": "source_id"}


@dataclass(frozen=True)
class Cell:
    """A kind of claim-bearing cell: its bases.field, the family of its subject, and the bases column of its item."""

    field: str
    family: str
    item: str | None = None  # bases column naming which relation row (a place or actor of an event)


CELLS = [
    Cell("statistics.geography_id", "statistic"),
    Cell("statistics.period", "statistic"),
    Cell("statistics.asserted_by_actor_id", "statistic"),
    Cell("statistics.figure_kind", "statistic"),
    Cell("statistics.indicator_id", "statistic"),
    Cell("statistic_evidence.cited_source_id", "statistic"),
    Cell("event_evidence.cited_source_id", "event"),
    Cell("events.dates", "event"),
    Cell("event_geographies.geography_id", "event", "geography_id"),
    Cell("event_actors.actor_id", "event", "actor_id"),
    Cell("events.status", "event"),
    Cell("event_actors.role", "event", "actor_id"),
    Cell("sources.published", "source"),
]
CELL = {c.field: c for c in CELLS}
# family -> (table, subject column, document column): the evidence quotes a subject's cells are read in
PASSAGE_TABLES = {
    "statistic": ("statistic_evidence", "statistic_id", "source_id"),
    "event": ("event_evidence", "event_id", "source_id"),
    "source": ("citations", "cited_source_id", "citing_source_id"),
}
BASIS_SUBJECT = "coalesce({b}.statistic_id, {b}.event_id, {b}.source_id)"  # a basis row's subject, whatever its family
BASIS_ITEM = "coalesce({b}.geography_id, {b}.actor_id)"


def passages(field: str) -> str:
    """The passages a cell of `field` may be stated in (subject, item, text, start, document_id): its subject's
    evidence quotes, which serve every cell of the subject (no item), and the context quotes kept for it in bases
    (an inferred basis's quote too: the words an inference rests on)."""
    table, subject, document = PASSAGE_TABLES[CELL[field].family]
    return f"""SELECT {subject} AS subject, CAST(NULL AS VARCHAR) AS item, quote AS text, quote_start AS start,
               {document} AS document_id FROM {table}
        UNION ALL
        SELECT {BASIS_SUBJECT.format(b="c")}, {BASIS_ITEM.format(b="c")}, c.quote, c.quote_start, c.document_id
        FROM bases AS c WHERE c.field = '{field}' AND c.quote IS NOT NULL"""


def inferred(field: str, subject: str, item: str | None = None, document: str | None = None) -> str:
    """A condition: the cell has an inferred basis (for its item, or the document of its evidence row). A match in
    the keyed bases rows (IN) rather than a correlated EXISTS: that one first lists every distinct subject."""
    keys = ["subject"] + (["item"] if item else []) + (["document_id"] if document else [])
    cells = [subject] + ([item] if item else []) + ([document] if document else [])
    known = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    keyed = (
        f"SELECT {', '.join(keys)} FROM (SELECT {BASIS_SUBJECT.format(b='i')} AS subject, "
        f"{BASIS_ITEM.format(b='i')} AS item, i.document_id FROM bases AS i "
        f"WHERE i.field = '{field}' AND i.basis = 'inferred') AS i WHERE {known}"
    )
    cell = cells[0] if len(cells) == 1 else f"({', '.join(cells)})"
    return f"coalesce({cell} IN ({keyed}), FALSE)"


def evidenced(family: str, subject: str, own_key: bool = False) -> str:
    """A condition: the subject (a statistic or event that exists) has evidence. One with none already fails
    ref.statistic_has_evidence or ref.event_has_evidence, and its cells have no quote to be stated in. A subject
    that is its row's own key exists; one that references it is looked up."""
    if family == "source":
        return "TRUE"
    table, column, _ = PASSAGE_TABLES[family]
    keys = {"statistic": "statistics", "event": "events"}[family]
    known = "" if own_key else f" JOIN {keys} AS k ON k.{column} = v.{column}"
    return f"coalesce({subject} IN (SELECT v.{column} FROM {table} AS v{known}), FALSE)"
