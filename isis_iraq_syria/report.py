"""Validation failures and how they are shown: a rich table on a terminal, JSON for machines."""

from __future__ import annotations

import codecs
import datetime
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

EXIT_VALID, EXIT_INVALID, EXIT_CANNOT_RUN = 0, 1, 2
# why the rules of a stage did not run
SKIPPED_BECAUSE = {"archive": "no --archive", "parity": "--no-parity"}


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
    rules_skipped: dict[str, str] = field(default_factory=dict)  # rule id -> its stage, which did not run
    rows_checked: dict[str, int] = field(default_factory=dict)
    frames: dict = field(default_factory=dict, repr=False)  # the typed tables, for the build to reuse

    @property
    def valid(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return EXIT_VALID if self.valid else EXIT_INVALID

    def sorted_failures(self) -> list[Failure]:
        return sorted(
            set(self.failures), key=lambda f: (f.resource, f.line or 0, f.key, f.column, f.rule, f.values, f.message)
        )

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "failure_count": len(self.sorted_failures()),
            "rules_run": self.rules_run,
            "rules_skipped": {rule: SKIPPED_BECAUSE.get(stage, stage) for rule, stage in self.rules_skipped.items()},
            "rows_checked": self.rows_checked,
            "failures": [asdict(f) for f in self.sorted_failures()],
        }

    def write_json(self, out: IO[str]) -> None:
        json.dump(self.to_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")

    def skipped(self) -> str:
        """The rules that did not run and why, as ' (4 archive rules skipped: no --archive)', or ''."""
        stages: dict[str, int] = {}
        for stage in self.rules_skipped.values():
            stages[stage] = stages.get(stage, 0) + 1
        parts = [
            f"{n} {stage} rule{'s' * (n != 1)} skipped: {SKIPPED_BECAUSE.get(stage, stage)}"
            for stage, n in stages.items()
        ]
        return f" ({'; '.join(parts)})" if parts else ""

    def render(self, console: Console) -> None:
        rows = sum(self.rows_checked.values())
        if self.valid:
            console.print(
                f"[green]valid[/]: {len(self.rules_run)} rules over {rows} rows in {len(self.rows_checked)} tables"
                + escape(self.skipped())
            )
            return
        failures = self.sorted_failures()
        table = RichTable(title=f"{len(failures)} failures", show_lines=False)
        for column in ("resource", "line", "key", "column", "rule", "values", "message"):
            table.add_column(column, overflow="fold")
        for f in failures:
            # Text, never markup: a cell holding "[/]" or ":x:" is shown as typed
            table.add_row(
                *(
                    Text(v)
                    for v in (
                        f.resource,
                        "" if f.line is None else str(f.line),
                        f.key,
                        f.column,
                        f.rule,
                        f.values,
                        f.message,
                    )
                )
            )
        console.print(table)
        console.print(
            f"[red]invalid[/]: {len(failures)} failures; {len(self.rules_run)} rules over {rows} rows"
            + escape(self.skipped())
        )


def _escape_unencodable(err: UnicodeError) -> tuple[str, int]:
    """What an output encoding cannot hold, as JSON's \\uXXXX escapes: still valid JSON inside a string, and
    still readable in text."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    escaped = []
    for char in err.object[err.start : err.end]:
        code = ord(char)
        if code > 0xFFFF:  # as a surrogate pair, as JSON writes it
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), err.end


codecs.register_error("isis_iraq_syria.escape", _escape_unencodable)


class _Output:
    """Standard output that survives its reader: when the pipe closes (`| head`) the rest is dropped and the
    command still ends with its own exit code; what the encoding cannot hold (PYTHONIOENCODING=ascii) is escaped."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._gone = False

    def _lost(self) -> None:
        # the reader is gone: later writes, and the interpreter's last flush, go nowhere
        self._gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        if self._gone:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._lost()
            return len(text)

    def flush(self) -> None:
        if self._gone:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._lost()

    def __getattr__(self, name: str) -> object:  # encoding, isatty, fileno, ...: the stream's own
        return getattr(self._stream, name)


def guard_stdout() -> None:
    """Make standard output safe to print to, once per process: a closed standard output (`>&-`) ends the command
    with exit 2 and a message on standard error; a broken pipe and an encoding that cannot print are handled."""
    if isinstance(sys.stdout, _Output):
        return
    if sys.stdout is None or getattr(sys.stdout, "closed", False):
        if sys.stderr is not None:
            print("cannot run: standard output is closed; nothing could be reported", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_RUN)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="isis_iraq_syria.escape")
    sys.stdout = _Output(sys.stdout)  # type: ignore[assignment]


def make_console() -> Console:
    """Rich output for a terminal; a wide plain table when piped (CI logs). Emoji codes are never replaced.
    Standard output is guarded first (guard_stdout)."""
    guard_stdout()
    console = Console(emoji=False)
    return console if console.is_terminal else Console(width=200, no_color=True, emoji=False)


def one_line(message: str) -> str:
    """A message on one line, whatever an exception or a file name held."""
    return " ".join(str(message).split())


def cannot_run(console: Console, message: str, what: str = "cannot validate", as_json: bool = False) -> int:
    """Exit 2 with a one-line message naming the file; as JSON when the caller asked for JSON."""
    if as_json:
        json.dump(
            {"valid": False, "could_not_run": True, "message": one_line(message), "failure_count": 0, "failures": []},
            console.file,
            ensure_ascii=False,
        )
        console.file.write("\n")
    else:
        console.print(Text.assemble((what, "red"), ": ", one_line(message)), soft_wrap=True)
    return EXIT_CANNOT_RUN


def say(console: Console, *parts: str | tuple[str, str]) -> None:
    """Print text that may hold names from the package: never as markup, never wrapped."""
    console.print(Text.assemble(*parts), soft_wrap=True)
