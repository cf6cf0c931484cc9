"""Full validation of the package: the files as they are read, the Pandera schema of each table, then every rule.

Every failure is collected and reported together. The validator only reads; it never writes to the package.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from . import engine
from .pandera_schema import pandera_schema, slices
from .report import Failure, Report, fmt
from .rules import DERIVED, RULES, RULES_BY_ID
from .rules.model import Rule
from .safety import Unsafe, safe_relpath
from .schema import DESCRIPTOR, STAGING, CannotRun, Package, Table
from .tables import TYPE_HINTS, read_package, row_keys

Step = Callable[[str], None]


def run(rule: Rule, table: Table, column: str, value: object, **more: object) -> tuple[str, str]:
    """The values and message of a schema rule's failure, from the rule's templates and the field's constraints."""
    field = table.field(column) if column in table.field_names else None
    c = field.constraints if field else {}
    allowed = [str(v) for v in c.get("enum", [])]
    return rule.describe(
        {
            "column": column,
            "value": value,
            "allowed": ", ".join(allowed[:10]) + (", ..." if len(allowed) > 10 else ""),
            "pattern": c.get("pattern"),
            "length": len(fmt(value)),
            "shortest": c.get("minLength", 0),
            "longest": c.get("maxLength", "any number of"),
            "minimum": c.get("minimum", ""),
            "maximum": c.get("maximum", ""),
            "type": field.type if field else "",
            "hint": TYPE_HINTS.get(field.type, "") if field else "",
            **more,
        }
    )


def schema_failures(
    package: Package, frames: dict[str, pl.DataFrame], workers: int = 2, on_step: Step | None = None
) -> list[Failure]:
    """Failures of the Pandera schemas derived from the Table Schemas, two tables at a time (pandera's polars
    backend releases the GIL)."""

    def check(name: str) -> list[Failure]:
        if on_step:
            on_step(f"schema {name}")
        return _schema_failures_of(package.tables[name], frames[name])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [failure for found in pool.map(check, list(frames)) for failure in found]


def _schema_failures_of(table: Table, frame: pl.DataFrame) -> list[Failure]:
    import pandera.errors

    schema, rule_ids = pandera_schema(table)
    found = []
    for part, columns in slices(schema):
        try:
            part.validate(frame if columns is None else frame.select(columns), lazy=True)
        except pandera.errors.SchemaErrors as err:
            found.append(err.failure_cases)
    if not found:
        return []
    cases = pl.concat(found, how="diagonal_relaxed")
    keys, out = row_keys(table, frame), []
    for case in cases.iter_rows(named=True):
        index, column, check = case["index"], case["column"] or "", str(case["check"])
        key = keys[index] if index is not None else ""
        line = index + 2 if index is not None else None
        value: Any = case["failure_case"]
        if check in ("primary_key", "field_uniqueness") or check.startswith("unique_key:"):
            if check == "primary_key":
                fields, what, value = table.primary_key, "primary key", key
            elif check.startswith("unique_key:"):
                fields, what = check.removeprefix("unique_key:").split(","), "unique key"
            else:
                fields, what = [column], "unique field"
            column = ",".join(fields)
            shown, message = run(
                RULES_BY_ID["schema.unique"], table, column, value, what=what, fields=", ".join(fields)
            )
            out.append(Failure(table.name, key, column, line, "schema.unique", shown, message))
            continue
        if check == "not_nullable":
            rule_id = "schema.required"
        elif case["check_number"] is not None and (column, case["check_number"]) in rule_ids:
            rule_id = rule_ids[(column, case["check_number"])]
        else:
            rule_id = "schema.type"
        shown, message = run(RULES_BY_ID[rule_id], table, column, value)
        out.append(Failure(table.name, key, column, line, rule_id, shown, message))
    return out


def _run_rule(rule: Rule, runner: engine.Engine) -> list[Failure]:
    try:
        return runner.failures(rule)
    except Exception as err:  # a rule meeting data it cannot handle must still not end in a traceback
        return [
            Failure(
                "",
                "",
                "",
                None,
                rule.id,
                "",
                f"The rule could not run on this data ({type(err).__name__}: {err}); fix the other failures first.",
            )
        ]


def _archive(archive: Path | None) -> dict[str, str] | None:
    """Each document of the archive folder by the sha256 of its bytes. Only the folder's own regular files are read:
    a symbolic link in it is refused (it could name any file of the machine), a subfolder or a FIFO is not a
    document."""
    if archive is None:
        return None
    if str(archive) == "":
        raise CannotRun("--archive: empty path; name the folder of the archived documents")
    folder = Path(archive)
    if not folder.is_dir():
        raise CannotRun(f"archive folder not found: {archive}")
    documents = {}
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        for entry in entries:
            if entry.is_symlink():
                raise CannotRun(
                    f"{folder / entry.name}: is a symbolic link; the archive is read only from its own files"
                )
            if not entry.is_file(follow_symlinks=False):
                continue
            # O_NOFOLLOW: a link swapped in after the listing is not followed; O_NONBLOCK: nor does a FIFO block
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with open(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    continue
                raw = handle.read()
            documents[hashlib.sha256(raw).hexdigest()] = raw.decode("utf-8", errors="replace")
    except OSError as err:
        raise CannotRun(f"{err.filename or folder}: cannot be read ({err.strerror or err})") from err
    return documents


def _unsafe_paths(package: Package) -> list[Failure]:
    """The descriptor's resource and schema paths that leave the package, by the package's one path check. The
    parity stage's descriptor.resources rule checks them with the rest of each resource; without parity they are
    still refused."""
    resources = package.descriptor.get("resources") if isinstance(package.descriptor, dict) else None
    out = []
    for number, resource in enumerate(resources if isinstance(resources, list) else []):
        for key in ("path", "schema"):
            if not isinstance(resource, dict) or key not in resource:
                continue
            try:
                safe_relpath(resource[key])
            except Unsafe as err:
                name = str(resource.get("name", f"#{number}"))
                out.append(
                    Failure(DESCRIPTOR, name, "resources", None, "descriptor.resources", repr(resource[key]), f"{err}.")
                )
    return out


def validate(
    package: Package,
    archive: Path | None = None,
    parity: bool = True,
    on_step: Step | None = None,
    workers: int = 2,
    keep_frames: bool = False,
    descriptor: bool = True,
) -> Report:
    """Validate the package; raises CannotRun when a file or the archive is missing or unreadable as a whole.

    With keep_frames, the report keeps every typed frame (the build writes them). Without descriptor, the
    descriptor's resource paths are not judged: the build, which writes a new descriptor from the schemas, reads
    none of them."""
    if os.path.lexists(package.root / STAGING):
        raise CannotRun(
            f"{STAGING}/: a build was interrupted and left its staging folder; run make (scripts/build.py) "
            "to finish or undo it"
        )
    documents = _archive(archive)
    report = Report()
    if not parity and descriptor:
        report.failures += _unsafe_paths(package)
    frames, failures, _ = read_package(package, on_step=on_step)
    report.frames = frames if keep_frames else {}
    report.rows_checked = {name: len(frame) for name, frame in frames.items()}
    report.failures += failures
    report.rules_run += [r.id for r in RULES if r.stage == "file"]
    if len(frames) < len(package.tables):  # a file could not be parsed: fix it before anything else
        return report
    typed = {(f.resource, f.line, f.column) for f in failures}  # a cell that failed to parse is not also "required"
    report.failures += [
        f
        for f in schema_failures(package, frames, workers, on_step)
        if not (f.rule == "schema.required" and (f.resource, f.line, f.column) in typed)
    ]
    runner = engine.Engine(engine.Context(package, frames, documents, DERIVED))
    wanted = {"file": False, "schema": True, "rules": True, "archive": documents is not None, "parity": parity}
    for rule in RULES:
        if not wanted[rule.stage]:
            if rule.stage != "file":  # the file rules ran with the reading
                report.rules_skipped[rule.id] = rule.stage
            continue
        if rule.stage == "schema" and rule.query(package) is None:
            report.rules_run.append(rule.id)  # carried out by the Pandera schemas above
            continue
        if on_step:
            on_step(rule.id)
        report.failures += _run_rule(rule, runner)
        report.rules_run.append(rule.id)
    return report


def check_rule(package: Package, rule: Rule, archive: Path | None = None) -> list[Failure]:
    """One declared rule on the package: its failures and nothing else. The file and schema rules, which the reading
    and the Pandera schemas carry out, are the failures of those steps that bear the rule's id."""
    frames, failures, _ = read_package(package)
    if rule.stage == "file":
        return [f for f in failures if f.rule == rule.id]
    if len(frames) < len(package.tables):
        raise CannotRun(f"{len(package.tables) - len(frames)} tables cannot be read: {failures[0].message}")
    if rule.stage == "schema" and rule.query(package) is None:
        return [f for f in failures + schema_failures(package, frames) if f.rule == rule.id]
    return engine.Engine(engine.Context(package, frames, _archive(archive), DERIVED)).failures(rule)
