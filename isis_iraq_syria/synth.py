"""A synthetic copy of the package at any size, for benchmarks and the scale smoke test.

The real package is replicated under new ids: the statistics side (statistics,
their evidence, derivation inputs, claims, discrepancies, and the indicators,
so that no two replicas share an indicator) and the events side (events, their
evidence, actors and places). Sources, actors, geographies and qualifiers are
shared. Every rule that holds for the real package holds for the copy, and its
archive is made of the quotes themselves.

With `plant=True` one violation of each rule (but the file rules, which stop
validation before the others run) is planted in its own replica, and
`planted.json` lists the (rule, resource, key) each must be reported as.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .build import descriptor_bytes, parquet_twin
from .rules.base import EVIDENCE
from .schema import DESCRIPTOR, PACKAGE_ROOT, Package
from .tables import parquet_bytes, read_csv, to_arrow

# table -> (side, {column: kind of id it holds})
REPLICATED: dict[str, tuple[str, dict[str, str]]] = {
    "statistics": ("stat", {"statistic_id": "num", "indicator_id": "slug"}),
    "statistic_evidence": ("stat", {"statistic_id": "num"}),
    "derivation_inputs": ("stat", {"statistic_id": "num", "input_statistic_id": "num"}),
    "claims": ("stat", {"claim_id": "num", "statistic_id": "num"}),
    "discrepancies": ("stat", {"discrepancy_id": "num", "statistic_id": "num", "other_statistic_id": "num", "claim_id": "num"}),
    "indicators": ("stat", {"indicator_id": "slug", "part_of_indicator_id": "slug", "name": "label"}),
    "events": ("event", {"event_id": "num"}),
    "event_evidence": ("event", {"event_id": "num"}),
    "event_actors": ("event", {"event_id": "num"}),
    "event_geographies": ("event", {"event_id": "num"}),
}
# bases are replicated with the side of their subject; those of sources are shared
BASES_SIDES = {"statistic_id": ("stat", {"basis_id": "num", "statistic_id": "num"}), "event_id": ("event", {"basis_id": "num", "event_id": "num"})}


def _raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


def replica_id(kind: str, original: str, replica: int) -> str:
    """The id of an original row in a replica: S001 -> S0000042001, isis_attacks -> isis_attacks_r0000042."""
    return f"{original[0]}{replica:07d}{original[1:]}" if kind == "num" else f"{original}_r{replica:07d}"


def _replicate(frame: pd.DataFrame, id_columns: dict[str, str], copies: int) -> pd.DataFrame:
    n = len(frame)
    out = frame.iloc[np.tile(np.arange(n), copies)].reset_index(drop=True)
    reps = pd.Series(np.repeat(np.arange(copies), n))
    tags = pd.Series([f"{r:07d}" for r in range(copies)])[reps].reset_index(drop=True)
    for column, kind in id_columns.items():
        original = out[column]
        present = original != ""
        if kind == "num":
            new = original.str[0] + tags + original.str[1:]
        elif kind == "slug":
            new = original + "_r" + tags
        else:  # a label that must stay unique
            new = original + " (replica " + tags + ")"
        out[column] = new.where(present, "")
    return out


@dataclass
class Synth:
    frames: dict[str, pd.DataFrame]
    stat_copies: int
    event_copies: int
    documents: dict[str, list[str]] = field(default_factory=dict)  # document -> its text, as a list of characters
    planted: list[dict[str, str]] = field(default_factory=list)

    def rid(self, kind: str, original: str, replica: int) -> str:
        return replica_id(kind, original, replica)

    def _rows(self, table: str, where: dict[str, str]) -> np.ndarray:
        frame = self.frames[table]
        mask = np.ones(len(frame), dtype=bool)
        for column, value in where.items():
            mask &= (frame[column] == value).to_numpy()
        if not mask.any():
            raise ValueError(f"no row of {table} matches {where}")
        return mask

    def edit(self, table: str, where: dict[str, str], **changes: str) -> None:
        mask = self._rows(table, where)
        for column, value in changes.items():
            self.frames[table].loc[mask, column] = value

    def drop(self, table: str, where: dict[str, str]) -> None:
        mask = self._rows(table, where)
        self.frames[table] = self.frames[table][~mask].reset_index(drop=True)

    def append_text(self, doc: str, text: str) -> tuple[int, int]:
        """Add a passage at the end of a document's archived text; its span."""
        chars = self.documents[doc]
        chars += ["\n"]
        start = len(chars)
        chars += list(text)
        return start, len(chars)

    def expect(self, rule: str, resource: str, key: str) -> None:
        self.planted.append({"rule": rule, "resource": resource, "key": key})


def _plants(s: Synth) -> None:
    """One violation of each rule, each in its own replica so that it triggers its rule alone."""
    S = lambda orig, r: s.rid("num", orig, r)  # noqa: E731
    E = S
    sh, dd = "doc-shafaq-news", "doc-devdiscourse"

    def with_quote(doc: str, table: str, where: dict, quote: str) -> None:
        """A changed quote, added to the document where its span says, with an omission that accounts for its numbers."""
        start, end = s.append_text(doc, quote)
        s.edit(table, where, quote=quote, quote_start=str(start), quote_end=str(end))
        s.frames["omissions"] = pd.concat([s.frames["omissions"], pd.DataFrame([{
            "document_id": doc, "start": str(start), "end": str(end), "text": quote, "reason": "repetition", "note": "A planted passage of the synthetic package."}])])

    # arithmetic
    s.edit("statistics", {"statistic_id": S("S004", 1)}, value="173", lower_bound="173", upper_bound="173")
    with_quote(sh, "statistic_evidence", {"statistic_id": S("S004", 1)}, "In Iraq, 173 partnered operations resulted in 30 ISIS operatives killed and 74 ISIS operatives detained.")
    s.expect("arith.parts_sum_to_total", "statistics", S("S003", 1))
    s.edit("statistics", {"statistic_id": S("S017", 2)}, value="20000", lower_bound="20000", upper_bound="20000")
    with_quote(dd, "statistic_evidence", {"statistic_id": S("S017", 2)}, "The SDF holds over 10,000 IS fighters, including 20,000 foreigners whose home countries refuse to repatriate them.")
    s.expect("arith.part_not_above_whole", "statistics", S("S017", 2))
    s.edit("statistics", {"statistic_id": S("S014", 3)}, upper_bound="2700")
    s.expect("arith.qualifier_bounds", "statistics", S("S014", 3))
    s.edit("statistics", {"statistic_id": S("S027", 4)}, value="186", lower_bound="186", upper_bound="186")
    s.expect("arith.derivation_recomputes", "statistics", S("S027", 4))
    s.edit("claims", {"claim_id": S("C001", 5)}, claimed_value="3")
    s.expect("arith.words_match_numbers", "claims", S("C001", 5))
    # referential
    s.drop("statistic_evidence", {"statistic_id": S("S014", 6)})
    s.expect("ref.statistic_has_evidence", "statistics", S("S014", 6))
    s.drop("event_evidence", {"event_id": E("E018", 1)})
    s.expect("ref.event_has_evidence", "events", E("E018", 1))
    s.edit("statistic_evidence", {"statistic_id": S("S015", 7)}, source_id="kurilla-testimony")
    s.expect("ref.evidence_from_document", "statistic_evidence", f"{S('S015', 7)}|kurilla-testimony")
    # its basis row now names a document that no longer reports it
    s.expect("basis.fits_cell", "bases", _basis_id(s, "statistics.period", statistic_id=S("S015", 7)))
    s.edit("event_actors", {"event_id": E("E011", 2)}, actor_id="isiss")
    s.expect("ref.foreign_key", "event_actors", f"{E('E011', 2)}|isiss|announcer")
    # temporal
    # (a date moved is also a date its words no longer give: basis.dates_stated reports it too)
    s.edit("statistics", {"statistic_id": S("S002", 8)}, period_start="2024-01-01")
    s.expect("time.period_order", "statistics", S("S002", 8))
    s.expect("basis.dates_stated", "statistics", S("S002", 8))
    s.edit("events", {"event_id": E("E009", 3)}, date_end="2024-09-29")
    s.expect("time.precision_matches_dates", "events", E("E009", 3))
    s.expect("basis.dates_stated", "events", E("E009", 3))
    s.edit("statistics", {"statistic_id": S("S015", 9)}, period_start="2024-08-01", period_end="2024-08-31")
    s.expect("time.period_before_report", "statistic_evidence", f"{S('S015', 9)}|{sh}")
    s.expect("basis.dates_stated", "statistics", S("S015", 9))
    s.edit("events", {"event_id": E("E013", 4)}, date_start="2024-07-18", date_end="2024-07-18")
    s.expect("time.event_before_report", "event_evidence", f"{E('E013', 4)}|{dd}")
    s.expect("basis.dates_stated", "events", E("E013", 4))
    s.edit("sources", {"source_id": "centcom-statement"}, published_start="2024-07-18", published_end="2024-07-18")
    s.expect("time.citation_order", "citations", f"{dd}|centcom-statement")
    s.expect("basis.dates_stated", "sources", "centcom-statement")
    # provenance
    s.edit("statistics", {"statistic_id": S("S019", 10)}, value="650", lower_bound="585", upper_bound="715")
    s.expect("prov.value_in_quote", "statistics", S("S019", 10))
    s.edit("statistics", {"statistic_id": S("S012", 11)}, qualifier_id="over", upper_bound="")
    s.expect("prov.qualifier_in_quote", "statistics", S("S012", 11))
    s.edit("event_evidence", {"event_id": E("E006", 5)}, quote="The two countries began a dialog on the issue late last year.")
    s.expect("prov.quote_in_archive", "event_evidence", f"{E('E006', 5)}|{sh}")
    # agreement
    s.drop("discrepancies", {"discrepancy_id": S("D001", 12)})
    s.expect("agree.cross_source", "statistics", S("S013", 12))
    # hygiene
    s.edit("events", {"event_id": E("E001", 6)}, description="=HYPERLINK(\"x\")")
    s.expect("hygiene.formula_injection", "events", E("E001", 6))
    s.edit("events", {"event_id": E("E002", 7)}, description="US Central Command and its partners conducted Defeat ISIS missions. ")
    s.expect("hygiene.whitespace", "events", E("E002", 7))
    s.edit("events", {"event_id": E("E003", 8)}, notes="a\tb")
    s.expect("hygiene.control_chars", "events", E("E003", 8))
    s.edit("events", {"event_id": E("E004", 9)}, notes="Cafe\u0301")
    s.expect("hygiene.unicode_nfc", "events", E("E004", 9))
    s.edit("geographies", {"geography_id": "IQ-KI"}, iso3166_2="IQ-KX")
    s.expect("hygiene.iso3166", "geographies", "IQ-KI")
    s.frames["geography_parts"] = pd.concat([s.frames["geography_parts"], pd.DataFrame([{"aggregate_geography_id": "IRQ", "part_geography_id": "IQ-DI"}])])
    s.expect("hygiene.aggregate_parts", "geography_parts", "IRQ|IQ-DI")
    # schema
    s.edit("indicators", {"indicator_id": s.rid("slug", "isis_fighters_at_large", 13)}, additive_over_time="yes")
    s.expect("schema.type", "indicators", s.rid("slug", "isis_fighters_at_large", 13))
    s.edit("events", {"event_id": E("E007", 10)}, description="")
    s.expect("schema.required", "events", E("E007", 10))
    s.edit("events", {"event_id": E("E008", 11)}, status="occured")
    s.expect("schema.enum", "events", E("E008", 11))
    s.edit("sources", {"source_id": "agencies-inputs"}, url="not a url")
    s.expect("schema.pattern", "sources", "agencies-inputs")
    long_quote = "ISIS killed thousands of civilians when it swept through northern Iraq in 2014 and particularly targeted ethnic and religious minority groups. " + "x" * 200
    with_quote(sh, "event_evidence", {"event_id": E("E010", 12)}, long_quote)
    s.expect("schema.length", "event_evidence", f"{E('E010', 12)}|{sh}")
    s.edit("qualifiers", {"qualifier_id": "nearly"}, band="1.5")
    s.expect("schema.range", "qualifiers", "nearly")
    geo = s.frames["event_geographies"]
    s.frames["event_geographies"] = pd.concat([geo, geo[geo["event_id"] == E("E014", 13)].head(1)])
    s.expect("schema.unique", "event_geographies", f"{E('E014', 13)}|IRQ")
    # basis
    s.edit("statistics", {"statistic_id": S("S014", 15)}, geography_id="SYR")
    s.expect("basis.geography_stated", "statistics", S("S014", 15))
    s.edit("statistics", {"statistic_id": S("S015", 16)}, asserted_by_actor_id="reuters")
    s.expect("basis.actor_stated", "statistics", S("S015", 16))
    s.edit("statistics", {"statistic_id": S("S001", 17)}, figure_kind="official_count")
    s.expect("basis.figure_kind_stated", "statistics", S("S001", 17))
    s.edit("statistic_evidence", {"statistic_id": S("S001", 18), "source_id": sh}, cited_source_id="khaled-jabr-comment")
    s.expect("basis.cited_source_stated", "statistic_evidence", f"{S('S001', 18)}|{sh}")
    s.edit("statistics", {"statistic_id": S("S022", 19)}, period_start="2015-01-01", period_end="2015-12-31")
    s.expect("basis.dates_stated", "statistics", S("S022", 19))
    note = _basis_id(s, "statistics.geography_id", statistic_id=S("S002", 20))
    s.edit("bases", {"basis_id": note}, note="")
    s.expect("basis.inferred_has_note", "bases", note)
    shape = _basis_id(s, "statistics.geography_id", statistic_id=S("S002", 21))
    s.edit("bases", {"basis_id": shape}, event_id=E("E001", 0))
    s.expect("basis.fits_cell", "bases", shape)
    s.append_text(sh, "A synthetic passage of 9999 attacks that no statistic records.")
    s.expect("basis.document_coverage", "sources", sh)
    claim = s.frames["claims"].loc[s.frames["claims"]["claim_id"] == S("C001", 22)]
    s.edit("claims", {"claim_id": S("C001", 22)}, quote_start=str(int(claim["quote_start"].iloc[0]) + 1), quote_end=str(int(claim["quote_end"].iloc[0]) + 1))
    s.expect("prov.quote_span", "claims", S("C001", 22))
    # order: the second row of a replica's events moved before the first
    s.expect("hygiene.key_order", "events", E("E001", 14))
    s.expect("prov.document_in_archive", "sources", dd)
    s.expect("parity.parquet_matches_csv", "actors", "reuters")


def _basis_id(s: Synth, field: str, **subject: str) -> str:
    bases = s.frames["bases"]
    mask = bases["field"] == field
    for column, value in subject.items():
        mask &= bases[column] == value
    return str(bases.loc[mask, "basis_id"].iloc[0])


def _swap_rows(frame: pd.DataFrame, first: str, second: str, column: str) -> pd.DataFrame:
    i = int(np.flatnonzero(frame[column].to_numpy() == first)[0])
    j = int(np.flatnonzero(frame[column].to_numpy() == second)[0])
    order = np.arange(len(frame))
    order[i], order[j] = j, i
    return frame.iloc[order].reset_index(drop=True)


def write(out: Path, n: int, plant: bool = False, source: Path = PACKAGE_ROOT) -> dict[str, int]:
    """Write a synthetic package with about `n` rows in statistics and in events; returns the row counts."""
    real = Package.load(source)
    base = {name: _raw(table.csv_path) for name, table in real.tables.items()}
    stat_copies = max(1, math.ceil(n / len(base["statistics"])))
    event_copies = max(1, math.ceil(n / len(base["events"])))
    if plant and min(stat_copies, event_copies) < 23:
        raise ValueError("planting needs at least 23 replicas of each side: use n >= 650")
    copies = {"stat": stat_copies, "event": event_copies}
    frames = {}
    for name, frame in base.items():
        if name in REPLICATED:
            side, columns = REPLICATED[name]
            frames[name] = _replicate(frame, columns, copies[side])
        elif name == "bases":
            parts = [_replicate(frame[frame[subject] != ""], columns, copies[side]) for subject, (side, columns) in BASES_SIDES.items()]
            frames[name] = pd.concat(parts + [frame[(frame["statistic_id"] == "") & (frame["event_id"] == "")]], ignore_index=True)
        else:
            frames[name] = frame.copy()
    # The archive: each document rebuilt from its passages, each at its span in a text of spaces (before any is
    # corrupted), so that spans, quotes and the coverage of every number hold as against the original.
    documents: dict[str, list[str]] = {}
    for q in EVIDENCE:
        frame = frames[q.table]
        spans = frame.loc[frame[q.quote] != "", [q.document, q.start, q.quote]].drop_duplicates()
        for doc, start, quote in spans.itertuples(index=False):
            if start == "":
                continue
            chars = documents.setdefault(doc, [])
            start = int(start)
            if len(chars) < start + len(quote):
                chars += [" "] * (start + len(quote) - len(chars))
            chars[start:start + len(quote)] = list(quote)
    synth = Synth(frames, stat_copies, event_copies, documents)
    if plant:
        _plants(synth)
    for name, table in real.tables.items():
        numeric = {f.name for f in table.fields if f.type == "integer"}
        synth.frames[name] = synth.frames[name].sort_values(
            table.primary_key, kind="stable", key=lambda c: c.astype("int64") if c.name in numeric else c).reset_index(drop=True)
    if plant:
        e1, e2 = replica_id("num", "E001", 14), replica_id("num", "E002", 14)
        synth.frames["events"] = _swap_rows(synth.frames["events"], e1, e2, "event_id")

    archive = out / "archive"
    if out.exists():
        shutil.rmtree(out)
    archive.mkdir(parents=True)
    sources = synth.frames["sources"]
    for doc, chars in synth.documents.items():
        text = "".join(chars).encode("utf-8")
        (archive / f"{doc}.txt").write_bytes(text)
        sources.loc[sources["source_id"] == doc, "text_sha256"] = hashlib.sha256(text).hexdigest()
    if plant:
        sources.loc[sources["source_id"] == "doc-devdiscourse", "text_sha256"] = "0" * 64

    (out / "data").mkdir()
    shutil.copytree(real.root / "schemas", out / "schemas")
    shutil.copy2(real.root / DESCRIPTOR, out / DESCRIPTOR)
    for name, frame in synth.frames.items():
        frame.to_csv(out / "data" / f"{name}.csv", index=False, lineterminator="\n")
    package = Package.load(out)
    for table in package.tables.values():
        typed, _ = read_csv(table)
        try:
            data = parquet_twin(table, typed)
        except pa.ArrowInvalid:  # a planted null in a required column: the twin still mirrors the CSV
            arrow = to_arrow(table, typed)
            data = parquet_bytes(arrow.cast(pa.schema([f.with_nullable(True) for f in arrow.schema], metadata=arrow.schema.metadata)))
        table.parquet_path.write_bytes(data)
    (out / DESCRIPTOR).write_bytes(descriptor_bytes(package))
    if plant:  # after the twins are written, so that only this edit breaks parity
        actors = out / "data" / "actors.csv"
        actors.write_text(actors.read_text(encoding="utf-8").replace("\nreuters,Reuters,news_organization,,,\n", "\nreuters,Reuters,news_organization,,,A wire service.\n"), encoding="utf-8")
    (out / "planted.json").write_text(json.dumps(sorted(synth.planted, key=lambda p: (p["rule"], p["resource"], p["key"])), indent=2) + "\n")
    return {name: len(frame) for name, frame in synth.frames.items()}
