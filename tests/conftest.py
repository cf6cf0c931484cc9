"""Shared helpers: copies of the real package that a test may corrupt as a curator might."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from isis_iraq_syria.report import Report
from isis_iraq_syria.schema import Package
from isis_iraq_syria.validate import validate

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


def copy_package(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("data", "schemas"):
        shutil.copytree(ROOT / name, dest / name)
    for name in ("datapackage.json", "datapackage-v1.json"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


def read_rows(root: Path, table: str) -> list[dict[str, str]]:
    with open(root / "data" / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(root: Path, table: str, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or Package.load(root).tables[table].field_names
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (root / "data" / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")


def edit(root: Path, table: str, key: str, **changes: str) -> None:
    """Change cells of the row whose first primary-key column is `key`."""
    pk = Package.load(root).tables[table].primary_key[0]
    rows = read_rows(root, table)
    hits = [r for r in rows if r[pk] == key]
    assert hits, f"no row {key} in {table}"
    for row in hits:
        row.update(changes)
    write_rows(root, table, rows)


def delete(root: Path, table: str, **match: str) -> None:
    rows = read_rows(root, table)
    kept = [r for r in rows if not all(r[k] == v for k, v in match.items())]
    assert len(kept) < len(rows), f"no row matching {match} in {table}"
    write_rows(root, table, kept)


def append(root: Path, table: str, **row: str) -> None:
    rows = read_rows(root, table)
    rows.append({name: row.get(name, "") for name in rows[0]})
    write_rows(root, table, rows)


def make_archive(root: Path, dest: Path) -> Path:
    """An archive rebuilt from the package's own passages, with the sha256 of each file written into sources.

    Each quote (and each omitted text) is put back at its recorded span in a text of spaces, so that the spans, the
    quotes and the coverage of every number hold as they do against the original documents, which the tests need
    not have at hand.
    """
    dest.mkdir(parents=True, exist_ok=True)
    placed: dict[str, set[tuple[int, str]]] = {}
    from isis_iraq_syria.rules.model import EVIDENCE  # the validator's own list of the tables that quote documents

    for q in EVIDENCE:
        table, column, quote, start = q.table, q.document, q.quote, q.start
        for row in read_rows(root, table):
            if row[quote] and row[start]:
                placed.setdefault(row[column], set()).add((int(row[start]), row[quote]))
    for source_id, passages in sorted(placed.items()):
        text = [" "] * max(s + len(q) for s, q in passages)
        for s, q in sorted(passages):
            text[s : s + len(q)] = q
        data = "".join(text).encode()
        (dest / f"{source_id}.txt").write_bytes(data)
        edit(root, "sources", source_id, text_sha256=hashlib.sha256(data).hexdigest())
    return dest


def run(root: Path, archive: Path | None = None, parity: bool = True) -> Report:
    return validate(Package.load(root), archive, parity=parity)


def rule_hits(report: Report, rule: str) -> list:
    return [f for f in report.failures if f.rule == rule]


def only(root: Path, rule: str, archive: Path | None = None) -> list:
    """The failures of one rule alone on the package at `root` (a test of a rule need not run the other 52)."""
    from isis_iraq_syria.rules import RULES_BY_ID
    from isis_iraq_syria.validate import check_rule

    return check_rule(Package.load(root), RULES_BY_ID[rule], archive)


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    return copy_package(tmp_path / "pkg")
