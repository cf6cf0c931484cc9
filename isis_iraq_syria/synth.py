"""A synthetic copy of the package at any size, for benchmarks and the scale smoke test.

The real package is replicated under new ids: the statistics side (statistics,
their evidence, derivation inputs, claims, discrepancies, and the indicators,
so that no two replicas share an indicator) and the events side (events, their
evidence, actors and places). Sources, actors, geographies and qualifiers are
shared. Every rule that holds for the real package holds for the copy, and its
archive is made of the quotes themselves.

With `plant=True` each rule's declared example (but the file rules', which stop
validation before the others run) is planted in a replica of its own, and
`planted.json` lists the (rule, resource, key) each must be reported as: the
example's own failures and those it declares beside them, in its replica's ids.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .build import descriptor_bytes, parquet_twin
from .rules import RULES
from .rules.model import EVIDENCE, TEXT_CHANGES, Change, Rule, apply_changes
from .schema import DESCRIPTOR, PACKAGE_ROOT, CannotRun, Package
from .tables import parquet_bytes, read_csv, to_arrow

# table -> (side, {column: kind of id it holds})
REPLICATED: dict[str, tuple[str, dict[str, str]]] = {
    "statistics": ("stat", {"statistic_id": "num", "indicator_id": "slug"}),
    "statistic_evidence": ("stat", {"statistic_id": "num"}),
    "derivation_inputs": ("stat", {"statistic_id": "num", "input_statistic_id": "num"}),
    "claims": ("stat", {"claim_id": "num", "statistic_id": "num", "indicator_id": "slug"}),
    "discrepancies": (
        "stat",
        {"discrepancy_id": "num", "statistic_id": "num", "other_statistic_id": "num", "claim_id": "num"},
    ),
    "indicators": ("stat", {"indicator_id": "slug", "part_of_indicator_id": "slug", "name": "label"}),
    "events": ("event", {"event_id": "num"}),
    "event_evidence": ("event", {"event_id": "num"}),
    "event_actors": ("event", {"event_id": "num"}),
    "event_geographies": ("event", {"event_id": "num"}),
}
# bases and spans are replicated with the side of their subject (its id column: the side's; a claim's is the
# statistics'); those of sources are shared
SIDED = {"bases": "basis_id", "spans": "span_id"}
SUBJECT_SIDES = {"statistic_id": "stat", "event_id": "event", "claim_id": "stat"}


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


# the id columns of each table that replicas rename, and how (bases rename both subjects' ids)
ID_KINDS = {name: kinds for name, (_, kinds) in REPLICATED.items()} | {
    name: {key: "num", "statistic_id": "num", "event_id": "num", "claim_id": "num"} for name, key in SIDED.items()
}
SIDE_OF = {name: side for name, (side, _) in REPLICATED.items()}


@dataclass
class Plant:
    """A rule's example placed in the synthetic package: in one replica when it changes replicated rows and what it
    breaks lies in them, or once for the whole package when it changes and breaks only shared rows."""

    rule: Rule
    replica: int | None  # None: the change is made as in the real package; EVERY: in every replica


EVERY = -1  # an example that changes replicated rows but breaks only shared ones (a whole document's coverage)


def _map_id(table: str, column: str, value: str, replica: int) -> str:
    kind = ID_KINDS.get(table, {}).get(column)
    return replica_id(kind, value, replica) if kind and value else value


def _map_key(table: str, key: str, columns: list[str], replica: int | None) -> str:
    if replica is None or replica == EVERY:
        return key
    return "|".join(_map_id(table, c, part, replica) for c, part in zip(columns, key.split("|"), strict=True))


def _map_change(change: Change, first_key: str, replica: int | None) -> Change:
    if replica is None or change.table not in ID_KINDS:
        return change
    if change.op in TEXT_CHANGES:
        raise ValueError(f"a change of {change.table}'s text cannot be made in one replica")
    where = {first_key: change.where} if isinstance(change.where, str) else dict(change.where)
    return Change(
        change.table,
        change.op,
        {c: _map_id(change.table, c, v, replica) for c, v in where.items()},
        {c: _map_id(change.table, c, v, replica) for c, v in change.cells.items()},
    )


def _sides(rule: Rule, base: dict[str, pd.DataFrame], package: Package) -> set[str]:
    """The replicated sides an example's changes reach (empty: it changes shared rows only)."""
    sides = set()
    for change in rule.example.changes:
        if change.table in SIDED:
            table = change.table
            where = {SIDED[table]: change.where} if isinstance(change.where, str) else change.where
            rows = base[table][np.logical_and.reduce([base[table][c] == v for c, v in where.items()])]
            sides |= {
                side for subject, side in SUBJECT_SIDES.items() if subject in rows and (rows[subject] != "").any()
            }
        elif change.table in SIDE_OF:
            sides.add(SIDE_OF[change.table])
    return sides


def plan_plants(rules: list[Rule], base: dict[str, pd.DataFrame], package: Package) -> list[Plant]:
    """Every rule's example but the file rules' (which stop validation before the others run), each in a replica of
    its own on the side it changes; replica 0 is left whole."""
    counters = {"stat": 0, "event": 0}
    plants = []
    for rule in rules:
        if rule.example is None or rule.stage == "file":
            continue
        sides = _sides(rule, base, package)
        if not sides:
            plants.append(Plant(rule, None))
            continue
        broken = {table for table, _, _ in rule.example.fails} | {table for _, table, _, _ in rule.example.also}
        if not broken & set(ID_KINDS):
            plants.append(Plant(rule, EVERY))
            continue
        replica = max(counters[side] for side in sides) + 1
        for side in sides:
            counters[side] = replica
        plants.append(Plant(rule, replica))
    _shared_rows(plants)
    return plants


def _shared_rows(plants: list[Plant]) -> None:
    """Two examples changing the same shared row would undo each other: refused."""
    seen: dict[tuple, str] = {}
    for p in plants:
        if p.replica is not None:
            continue
        for change in p.rule.example.changes:
            for column in change.cells if change.op == "edit" else ["*"] if change.op == "delete" else []:
                where = (change.table, repr(change.where), column)
                if where in seen and seen[where] != p.rule.id:
                    raise ValueError(
                        f"the examples of {seen[where]} and {p.rule.id} both change {change.table} "
                        f"{change.where!r}: give one of them another row"
                    )
                seen[where] = p.rule.id


def replicas_needed(plants: list[Plant]) -> int:
    return max([p.replica or 0 for p in plants], default=0) + 1  # EVERY is -1


def expected(plant: Plant, package: Package, copies: dict[str, int], base: dict[str, pd.DataFrame]) -> list[dict]:
    """What the validator must report for a plant: its rule's failures and those its example declares beside them,
    with the ids of its replica; a change of shared rows breaks the replicated rows it reaches in every replica."""
    example = plant.rule.example
    found = [(plant.rule.id, *where) for where in example.fails] + list(example.also)
    out = []
    for rule_id, table, key, _ in found:
        if plant.replica not in (None, EVERY) and rule_id == "basis.document_coverage" and table not in ID_KINDS:
            continue  # every replica quotes the same documents: a number one replica no longer records, others do
        if plant.replica not in (None, EVERY) and table not in ID_KINDS:
            raise ValueError(
                f"{plant.rule.id}'s example breaks shared rows of {table}: it cannot be planted in one replica"
            )
        columns = package.tables[table].primary_key if table in package.tables else []
        replicas = [plant.replica]
        if plant.replica is None and table in ID_KINDS:
            side = SIDE_OF.get(table) or (
                "stat" if key in set(base[table].loc[base[table]["statistic_id"] != "", SIDED[table]]) else "event"
            )
            replicas = list(range(copies[side]))
        out += [{"rule": rule_id, "resource": table, "key": _map_key(table, key, columns, r)} for r in replicas]
    return out


def _apply_rows(frames: dict[str, pd.DataFrame], change: Change, package: Package) -> None:
    table = package.tables[change.table]
    frame = frames[change.table]
    rows = frame.to_dict("records")
    frames[change.table] = pd.DataFrame(
        change.apply(rows, table.field_names, table.primary_key[0]), columns=frame.columns, dtype=str
    )


MARKER = ".synth-package"


def prepare_output(out: Path, source: Path = PACKAGE_ROOT) -> None:
    """Make `out` an empty folder marked as synth's own. Only a new or empty folder, or one synth made (it holds the
    marker), is accepted: anything else is refused, never deleted (`synth.py 10 .` once deleted a checkout)."""
    out, source = Path(out), Path(source).resolve()
    if out.is_symlink():
        raise CannotRun(f"{out}: is a symbolic link; give synth a new or empty folder")
    resolved = out.resolve()
    if resolved == source or source.is_relative_to(resolved) or resolved.is_relative_to(source):
        raise CannotRun(f"{out}: is or holds or lies in the package itself ({source}); give synth a folder outside it")
    if out.exists():
        if not out.is_dir():
            raise CannotRun(f"{out}: exists and is not a folder; give synth a new or empty folder")
        if any(out.iterdir()):
            marker = out / MARKER
            if marker.is_symlink() or not marker.is_file():
                raise CannotRun(
                    f"{out}: is not empty and was not made by synth.py (no {MARKER}); give synth a new or empty folder"
                )
            _only_synths(out, marker)
            shutil.rmtree(out)  # rmtree removes links, never what they point to
    out.mkdir(parents=True, exist_ok=True)
    _mark(out, None)


def _mark(out: Path, files: list[str] | None) -> None:
    """The marker: synth's own folder, and the files it wrote there (None while it writes them)."""
    (out / MARKER).write_text(json.dumps({"written by": "scripts/synth.py", "files": files}) + "\n", encoding="utf-8")


def _only_synths(out: Path, marker: Path) -> None:
    """Refuse to replace a folder holding a file synth did not write (a user's file added since): the marker lists
    synth's files. A marker without the list is a run that was interrupted (or an earlier synth's): its folder is
    synth's alone."""
    try:
        files = json.loads(marker.read_text(encoding="utf-8"))["files"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        files = None  # the plain marker of an earlier synth.py, which listed nothing
    if files is None:
        return
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir() or p.is_symlink())
    others = [name for name in found if name not in set(files) | {MARKER}]
    if others:
        raise CannotRun(f"{out}: holds {others[0]}, which synth.py did not write; give synth a new or empty folder")


def _replicas(base: dict[str, pd.DataFrame], copies: dict[str, int]) -> dict[str, pd.DataFrame]:
    frames = {}
    for name, frame in base.items():
        if name in REPLICATED:
            side, columns = REPLICATED[name]
            frames[name] = _replicate(frame, columns, copies[side])
        elif name in SIDED:
            parts = [
                _replicate(frame[frame[subject] != ""], {SIDED[name]: "num", subject: "num"}, copies[side])
                for subject, side in SUBJECT_SIDES.items()
                if subject in frame
            ]
            shared = frame[np.logical_and.reduce([frame[c] == "" for c in SUBJECT_SIDES if c in frame])]
            frames[name] = pd.concat([*parts, shared], ignore_index=True)
        else:
            frames[name] = frame.copy()
    return frames


def _documents(frames: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The archive: each document rebuilt from its passages, each at its span in a text of spaces (before any is
    corrupted), so that spans, quotes and the coverage of every number hold as against the original."""
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
            chars[start : start + len(quote)] = list(quote)
    return {doc: "".join(chars) for doc, chars in documents.items()}


def _apply_rows(frames: dict[str, pd.DataFrame], change: Change, package: Package) -> None:
    """A change of rows, made on the synthetic frames (a mask, not a Python loop over a million rows)."""
    frame = frames[change.table]
    if change.op == "append":
        row = pd.DataFrame([{c: change.cells.get(c, "") for c in frame.columns}], dtype=str)
        # at the end of a shared table, as in the real package; in a replicated one, among its replica's rows in key
        # order (the real package's end is its last replica's)
        at = _position(frame, package.tables[change.table], row.iloc[0]) if change.table in ID_KINDS else len(frame)
        frames[change.table] = pd.concat([frame.iloc[:at], row, frame.iloc[at:]], ignore_index=True)
        return
    first = package.tables[change.table].primary_key[0]
    where = {first: change.where} if isinstance(change.where, str) else change.where
    mask = np.logical_and.reduce([(frame[c] == v).to_numpy() for c, v in where.items()])
    if not mask.any():
        raise ValueError(f"no row of {change.table} matches {where}")
    if change.op == "delete":
        frames[change.table] = frame[~mask].reset_index(drop=True)
        return
    for column, value in change.cells.items():
        frame.loc[mask, column] = value


def _late(plant: Plant, change: Change) -> bool:
    """Whether a change is made on the written files: the descriptor's, and a parity rule's (a twin that no longer
    matches its CSV)."""
    return change.table == DESCRIPTOR or plant.rule.stage == "parity"


def _first_key(package: Package, table: str) -> str:
    return package.tables[table].primary_key[0] if table in package.tables else ""


def _position(frame: pd.DataFrame, table: Any, row: pd.Series) -> int:
    """Where a row goes in a frame in key order: after every row whose key is not greater."""
    keys = zip(*(frame[c] for c in table.primary_key), strict=True)
    new = tuple(row[c] for c in table.primary_key)
    return sum(k <= new for k in keys)  # the frame is in key order: the rows not greater come first


def _twins(out: Path) -> Package:
    package = Package.load(out)
    for table in package.tables.values():
        typed, _ = read_csv(table)
        try:
            data = parquet_twin(table, typed)
        except pa.ArrowInvalid:  # a planted null in a required column: the twin still mirrors the CSV
            arrow = to_arrow(table, typed)
            nullable = pa.schema([f.with_nullable(True) for f in arrow.schema], metadata=arrow.schema.metadata)
            data = parquet_bytes(arrow.cast(nullable))
        table.parquet_path.write_bytes(data)
    (out / DESCRIPTOR).write_bytes(descriptor_bytes(package))
    return package


def write(out: Path, n: int, plant: bool = False, source: Path = PACKAGE_ROOT) -> dict[str, int]:
    """Write a synthetic package with about `n` rows in statistics and in events; returns the row counts. With
    `plant`, every rule's example is planted (plan_plants) and planted.json lists what each must be reported as."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:  # max(1, ...) below would make one replica of 0 rows
        raise ValueError(f"n={n!r}: a synthetic package has at least 1 row in statistics and in events")
    real = Package.load(source)
    base = {name: _raw(table.csv_path) for name, table in real.tables.items()}
    copies = {
        "stat": max(1, math.ceil(n / len(base["statistics"]))),
        "event": max(1, math.ceil(n / len(base["events"]))),
    }
    plants = plan_plants(RULES, base, real) if plant else []
    if min(copies.values()) < replicas_needed(plants):
        rows = max(len(base["statistics"]), len(base["events"])) * replicas_needed(plants)
        raise ValueError(f"planting needs {replicas_needed(plants)} replicas of each side: use n >= {rows}")
    frames = _replicas(base, copies)
    documents = _documents(frames)
    sources = frames["sources"]
    for doc, text in documents.items():
        sources.loc[sources["source_id"] == doc, "text_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for name, table in real.tables.items():  # replicas in key order; shared tables keep the real order
        if name in ID_KINDS:
            numeric = {f.name for f in table.fields if f.type == "integer"}
            frames[name] = (
                frames[name]
                .sort_values(
                    table.primary_key, kind="stable", key=lambda c: c.astype("int64") if c.name in numeric else c
                )
                .reset_index(drop=True)
            )
    for p in plants:  # after the sort, so that a row an example moves out of order stays there
        for change in p.rule.example.changes:
            if _late(p, change):
                continue
            first = real.tables[change.table].primary_key[0]
            for replica in range(min(copies.values())) if p.replica == EVERY else [p.replica]:
                _apply_rows(frames, _map_change(change, first, replica), real)

    prepare_output(out, real.root)
    (out / "archive").mkdir()
    for doc, text in documents.items():
        (out / "archive" / f"{doc}.txt").write_bytes(text.encode("utf-8"))
    (out / "data").mkdir()
    # the derived tables are left out: the rules the benchmark measures judge the curated ones
    derived = {f"{name}.schema.json" for name in real.derived}
    shutil.copytree(real.root / "schemas", out / "schemas", ignore=lambda _, names: [n for n in names if n in derived])
    shutil.copy2(real.root / DESCRIPTOR, out / DESCRIPTOR)
    for name, frame in frames.items():
        frame.to_csv(out / "data" / f"{name}.csv", index=False, lineterminator="\n")
    _twins(out)
    for p in plants:  # after the twins and the descriptor are written, so that only these edits break parity
        apply_changes(
            out,
            tuple(_map_change(c, _first_key(real, c.table), p.replica) for c in p.rule.example.changes if _late(p, c)),
        )
    planted = [e for p in plants for e in expected(p, real, copies, base)]
    (out / "planted.json").write_text(
        json.dumps(sorted(planted, key=lambda e: (e["rule"], e["resource"], e["key"])), indent=2) + "\n"
    )
    _mark(out, sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MARKER))
    return {name: len(frame) for name, frame in frames.items()}
