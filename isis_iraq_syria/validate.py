"""Full validation of the package: files, then the schema-derived Pandera checks, then every rule.

Lazy throughout: every failure is collected and reported together. The
validator only reads; it never writes to the package.
"""

from __future__ import annotations

import importlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import polars as pl

from . import engine
from .report import Failure, Report, fmt
from .rules import DERIVED, RULES, Context, Rule, load_archive
from .rules.model import Rule as Declared
from .schema import STAGING, CannotRun, Package, Table
from .tables import read_package, row_keys

Step = Callable[[str], None]


def _message(table: Table, rule_id: str, column: str, value: object) -> str:
    field = table.field(column) if column in table.field_names else None
    c = field.constraints if field else {}
    shown = fmt(value)
    if rule_id == "schema.required":
        return f"{column} is required but empty."
    if rule_id == "schema.enum":
        allowed = ", ".join(map(str, c.get("enum", [])[:10]))
        return f"{shown!r} is not an allowed value of {column} ({allowed}{', ...' if len(c.get('enum', [])) > 10 else ''})."
    if rule_id == "schema.pattern":
        return f"{shown!r} does not match the pattern of {column}, {c.get('pattern')}."
    if rule_id == "schema.length":
        return f"{column} has {len(shown)} characters; it must have {c.get('minLength', 0)} to {c.get('maxLength', 'any number of')}."
    if rule_id == "schema.range":
        return f"{shown} is outside the range of {column} ({c.get('minimum', '')}..{c.get('maximum', '')})."
    if rule_id == "ref.foreign_key":
        fk = next(fk for fk in table.foreign_keys if fk.fields == (column,))
        return f"{shown!r} is not a {fk.ref_fields[0]} in {fk.resource}: no such row."
    return f"{column} fails {rule_id}."


def schema_failures(ctx: Context, on_step: Step | None = None, workers: int = 2) -> list[Failure]:
    """Failures of the Pandera schemas derived from the Table Schemas, and of the foreign keys.

    The foreign keys are checked here as joins rather than inside Pandera (Table.to_pandera(references) can hold
    them): the same joins cost half the time outside it, 0.5 s at a million rows."""
    def check(name: str) -> list[Failure]:
        if on_step:
            on_step(f"schema {name}")
        table = ctx.package.tables[name]
        return _schema_failures_of(table, ctx.frames[name]) + foreign_key_failures(table, ctx)

    with ThreadPoolExecutor(max_workers=workers) as pool:  # tables two at a time: pandera's polars backend releases the GIL
        return [failure for found in pool.map(check, list(ctx.frames)) for failure in found]


def foreign_key_failures(table: Table, ctx: Context) -> list[Failure]:
    """Foreign keys, as frictionless checks them: a row whose key fields are all empty is skipped, any other must
    match a row of the referenced table on every field (empty matching empty)."""
    out, frames = [], ctx.frames
    for fk in table.foreign_keys:
        if table.name not in frames or fk.resource not in frames:
            continue
        fields = list(fk.fields)
        rows = (frames[table.name].select(fields).with_row_index("row_")
                .filter(pl.any_horizontal([pl.col(f).is_not_null() for f in fields])))
        reference = frames[fk.resource].select([pl.col(r).alias(f) for f, r in zip(fields, fk.ref_fields)])
        if len(fields) == 1 and rows.schema[fields[0]] == reference.schema[fields[0]] == pl.String:
            # ids of the records (a statistic's, an event's): the row's position in the referenced table, which the
            # basis rules join on too, so each column of ids is hashed once; a dangling id has none
            found = ctx.positions(table.name, fields[0], fk.resource, fk.ref_fields[0])
            missing = rows.filter(found.gather(rows["row_"]).is_null())
        else:
            # compared as text where the types differ: an enum (categorical) may reference a plain string column
            differ = [f for f in fields if rows.schema[f] != reference.schema[f]]
            if differ:
                rows, reference = rows.with_columns(pl.col(differ).cast(pl.String)), reference.with_columns(pl.col(differ).cast(pl.String))
            missing = rows.join(reference, on=fields, how="anti", nulls_equal=True)
        if missing.is_empty():
            continue
        keys = row_keys(table, frames[table.name])
        for row in missing.sort("row_").iter_rows(named=True):
            i = row["row_"]
            if len(fields) == 1:
                out.append(Failure(table.name, keys[i], fields[0], i + 2, "ref.foreign_key", fmt(row[fields[0]]),
                                   _message(table, "ref.foreign_key", fields[0], row[fields[0]])))
                continue
            shown = "|".join(fmt(row[f]) for f in fields)
            out.append(Failure(table.name, keys[i], ",".join(fields), i + 2, "ref.foreign_key", shown,
                               f"({', '.join(fields)}) = ({shown.replace('|', ', ')}) is not a ({', '.join(fk.ref_fields)}) of a row in {fk.resource}: no such row."))
    return out


def _schema_failures_of(table: Table, frame: pl.DataFrame) -> list[Failure]:
    name = table.name
    out: list[Failure] = []
    import pandera.errors

    schema, rule_ids = table.to_pandera()
    try:
        schema.validate(frame, lazy=True)
        return out
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
    keys = row_keys(table, frame)
    for case in cases.iter_rows(named=True):
        index = case["index"]
        key = keys[index] if index is not None else ""
        line = index + 2 if index is not None else None
        column = case["column"] or ""
        check = str(case["check"])
        if check in ("primary_key", "field_uniqueness") or check.startswith("unique_key:"):
            if check == "primary_key":
                fields, what, values = table.primary_key, "primary key", key
            elif check.startswith("unique_key:"):
                fields, what, values = check.removeprefix("unique_key:").split(","), "unique key", fmt(case["failure_case"])
            else:
                fields, what, values = [column], "unique field", fmt(case["failure_case"])
            out.append(Failure(name, key, ",".join(fields), line, "schema.unique", values, f"The {what} ({', '.join(fields)}) is duplicated."))
            continue
        if check == "not_nullable":
            rule_id = "schema.required"
        elif case["check_number"] is not None and (column, case["check_number"]) in rule_ids:
            rule_id = rule_ids[(column, case["check_number"])]
        else:
            rule_id = "schema.type"
        out.append(Failure(name, key, column, line, rule_id, fmt(case["failure_case"]), _message(table, rule_id, column, case["failure_case"])))
    return out


def _run_rule(rule: Rule | Declared, ctx: Context | engine.Engine) -> list[Failure]:
    try:
        return ctx.failures(rule) if isinstance(ctx, engine.Engine) else rule.run(ctx)  # type: ignore[union-attr, arg-type]
    except Exception as err:  # a rule meeting data it cannot handle must still not end in a traceback
        return [Failure("", "", "", None, rule.id, "", f"The rule could not run on this data ({type(err).__name__}: {err}); fix the other failures first.")]


def validate(package: Package, archive: Path | None = None, parity: bool = True, on_step: Step | None = None, workers: int = 2,
             keep_frames: bool = False) -> Report:
    """Validate the package; raises CannotRun when a file or the archive is missing or unreadable as a whole.

    With keep_frames, the report keeps every typed frame (the build writes them)."""
    documents = None
    if os.path.lexists(package.root / STAGING):
        raise CannotRun(f"{STAGING}/: a build was interrupted and left its staging folder; run make (scripts/build.py) to finish or undo it")
    if archive is not None:
        if str(archive) == "":
            raise CannotRun("--archive: empty path; name the folder of the archived documents")
        if not Path(archive).is_dir():
            raise CannotRun(f"archive folder not found: {archive}")
        documents = load_archive(Path(archive))
    report = Report()
    # Pandera is imported once a reading thread is free, while the last table is read: its import is 0.36 s of
    # Python holding the GIL, and beside the whole reading it slowed the reading's own Python more than it saved
    # (1M statistics: reading and import 3.3 s side by side, 3.15 s one after the other)
    frames, failures, control_free = read_package(package, on_step=on_step, then=lambda: importlib.import_module("pandera.polars"))
    report.frames = frames if keep_frames else {}
    report.rows_checked = {name: len(frame) for name, frame in frames.items()}
    report.failures += failures
    report.rules_run += [r.id for r in RULES if r.stage == "file"]
    if len(frames) < len(package.tables):  # a file could not be parsed: fix it before anything else
        return report
    typed = {(f.resource, f.line, f.column) for f in failures}  # a cell that failed to parse is not also "required"
    ctx = Context(package, frames, documents, control_free)
    del frames
    report.failures += [f for f in schema_failures(ctx, on_step, workers)
                        if not (f.rule == "schema.required" and (f.resource, f.line, f.column) in typed)]
    report.rules_run += [r.id for r in RULES if r.stage == "schema"]
    rules = [r for r in RULES if r.stage == "rules" or (r.stage == "archive" and documents is not None) or (r.stage == "parity" and parity)]

    def run(rule: Rule) -> list[Failure]:
        if on_step:
            on_step(rule.id)
        return _run_rule(rule, ctx)

    # Rules reading free text first, then the rest; after the first wave the results the rules shared are dropped.
    # The Parquet comparison reads files for a second or more on one thread: it starts first, and the other rules
    # share the second thread. (The free text is no longer dropped after its wave: held as categoricals it is 4
    # bytes a cell, 46 MiB of peak at 1M statistics, and a column a schema change made free text, such as a
    # reference whose foreign key was removed, was then missing for the rules after it.)
    declared = [r for r in rules if isinstance(r, Declared)]
    rules_ = [r for r in rules if not isinstance(r, Declared)]
    reading = sorted([r for r in rules_ if r.prose], key=lambda r: r.stage != "parity")
    waves = [reading, [r for r in rules_ if not r.prose]]
    found: dict[str, list[Failure]] = {}
    # polars releases the GIL: two rules at a time use both cores
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for wave in waves:
            found.update(zip([r.id for r in wave], pool.map(run, wave)))
            ctx.forget_shared()
    runner = engine.Engine(engine.Context(package, ctx.frames, documents, DERIVED))
    for rule in declared:
        if on_step:
            on_step(rule.id)
        found[rule.id] = _run_rule(rule, runner)
    for rule in rules:  # in the rules' order, whichever finished first
        report.failures += found[rule.id]
        report.rules_run.append(rule.id)
    return report


def check_rule(package: Package, rule: Declared, archive: Path | None = None) -> list[Failure]:
    """One declared rule on the package: its failing rows as failures, and nothing else (no file, schema or other
    rule's checks). Raises CannotRun when a table it reads cannot be parsed."""
    frames, failures, _ = read_package(package)
    if len(frames) < len(package.tables):
        raise CannotRun(f"{len(package.tables) - len(frames)} tables cannot be read: {failures[0].message}")
    documents = load_archive(Path(archive)) if archive is not None else None
    return engine.Engine(engine.Context(package, frames, documents, DERIVED)).failures(rule)
