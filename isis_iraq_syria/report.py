"""Validation failures and how they are shown: a rich table on a terminal, JSON for machines."""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import asdict, dataclass, field
from typing import IO

from rich.console import Console
from rich.table import Table as RichTable

EXIT_VALID, EXIT_INVALID, EXIT_CANNOT_RUN = 0, 1, 2


def fmt(value: object) -> str:
    """A cell value as a curator would type it: 2500 not 2500.0, dates as YYYY-MM-DD, empty for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Failure:
    """One failed check: where it is (resource, line of its CSV, primary key, column), which rule, and why."""

    resource: str
    key: str
    column: str
    line: int | None
    rule: str
    values: str
    message: str


@dataclass
class Report:
    failures: list[Failure] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    rows_checked: dict[str, int] = field(default_factory=dict)
    frames: dict = field(default_factory=dict, repr=False)  # the typed tables, for the build to reuse

    @property
    def valid(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return EXIT_VALID if self.valid else EXIT_INVALID

    def sorted_failures(self) -> list[Failure]:
        return sorted(set(self.failures), key=lambda f: (f.resource, f.line or 0, f.key, f.column, f.rule, f.values, f.message))

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "failure_count": len(self.sorted_failures()),
            "rules_run": self.rules_run,
            "rows_checked": self.rows_checked,
            "failures": [asdict(f) for f in self.sorted_failures()],
        }

    def write_json(self, out: IO[str]) -> None:
        json.dump(self.to_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")

    def render(self, console: Console) -> None:
        rows = sum(self.rows_checked.values())
        if self.valid:
            console.print(f"[green]valid[/]: {len(self.rules_run)} rules over {rows} rows in {len(self.rows_checked)} tables")
            return
        failures = self.sorted_failures()
        table = RichTable(title=f"{len(failures)} failures", show_lines=False)
        for column in ("resource", "line", "key", "column", "rule", "values", "message"):
            table.add_column(column, overflow="fold")
        for f in failures:
            table.add_row(f.resource, "" if f.line is None else str(f.line), f.key, f.column, f.rule, f.values, f.message)
        console.print(table)
        console.print(f"[red]invalid[/]: {len(failures)} failures; {len(self.rules_run)} rules over {rows} rows")


def make_console() -> Console:
    """Rich output for a terminal; a wide plain table when piped (CI logs)."""
    console = Console()
    return console if console.is_terminal else Console(width=200, no_color=True)


def cannot_run(console: Console, message: str) -> int:
    console.print(f"[red]cannot validate[/]: {message}")
    return EXIT_CANNOT_RUN
