"""The diff for people: a terminal report, a Markdown summary and a drafted CHANGELOG.md section."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

if TYPE_CHECKING:
    from .diff import Diff
    from .diff_read import Side

SHOWN_PER_TABLE = 50  # rows listed per table in the terminal report; the JSON lists them all

# --- showing --------------------------------------------------------------------------------------------------


def _cell(value: str | None) -> str:
    return "(empty)" if value in (None, "") else value


def render(d: Diff, console: Console) -> None:
    """The terminal report. Every piece of data goes through Text, never through markup."""
    head = Text()
    head.append(f"{d.old.label} ({d.old.version or 'no version'}) -> {d.new.label} ({d.new.version or 'no version'}): ")
    head.append(f"{d.bump} bump required", style="bold red" if d.bump == "major" else "bold")
    console.print(head)
    if not d.changes:
        console.print(Text("no change to data, schemas or descriptor"))
        return
    summary = RichTable(title="changes", show_lines=False)
    for column in ("bump", "kind", "table", "column", "what"):
        summary.add_column(column, overflow="fold")
    for c in d.changes:
        summary.add_row(Text(c.bump), Text(c.kind), Text(c.table), Text(c.column), Text(c.message))
    console.print(summary)
    for name, r in sorted(d.rows.items()):
        if not (r.added or r.removed or r.changed or r.reused):
            continue
        table = RichTable(title=Text(f"rows of {name}"), show_lines=False)
        for column in ("", "key", "column", "old", "new"):
            table.add_column(column, overflow="fold")
        lines = [("+", k, "", "", "") for k in r.added] + [("-", k, "", "", "") for k in r.removed]
        for mark, entries in (("reused", r.reused), ("~", r.changed)):
            for e in entries:
                lines += [(mark, e["key"], c, _cell(o), _cell(n)) for c, (o, n) in e["columns"].items()]
        for line in lines[:SHOWN_PER_TABLE]:
            table.add_row(*(Text(x) for x in line))
        console.print(table)
        if len(lines) > SHOWN_PER_TABLE:
            console.print(Text(f"... and {len(lines) - SHOWN_PER_TABLE} more lines for {name} (see --json)"))


def _md(value: str | None) -> str:
    return "(empty)" if value in (None, "") else "`" + str(value).replace("`", "'").replace("\n", " ") + "`"


def markdown(d: Diff) -> str:
    """A summary for people: the bump, then each change, then the rows by table."""

    def name(side: Side) -> str:
        return side.version if side.label == side.version else f"{side.version or 'no version'} ({side.label})"

    lines = [
        f"# Changes from {name(d.old)} to {name(d.new)}",
        "",
        f"Required version bump: **{d.bump}** (major: a user's code can break; minor: new data, tables or columns; "
        "patch: corrections of values).",
        "",
    ]
    if not d.changes:
        lines += ["No change to the data, the schemas or the descriptor.", ""]
        return "\n".join(lines)
    lines += ["| bump | change | table | column | what |", "|---|---|---|---|---|"]
    for c in d.changes:
        lines.append(f"| {c.bump} | {c.kind} | {c.table} | {c.column} | {c.message.replace('|', '/')} |")
    lines.append("")
    for name, r in sorted(d.rows.items()):
        if not (r.added or r.removed or r.changed or r.reused):
            continue
        lines += [f"## {name}", ""]
        if r.added:
            lines.append(f"- added ({len(r.added)}): " + ", ".join(_md(k) for k in r.added))
        if r.removed:
            lines.append(f"- removed ({len(r.removed)}): " + ", ".join(_md(k) for k in r.removed))
        for mark, entries in (("reused id", r.reused), ("changed", r.changed)):
            for e in entries:
                cols = "; ".join(f"{c} {_md(o)} → {_md(n)}" for c, (o, n) in e["columns"].items())
                lines.append(f"- {mark} {_md(e['key'])}: {cols}")
        lines.append("")
    return "\n".join(lines)


def changelog_section(d: Diff, version: str, date: str) -> str:
    """A Keep a Changelog section drafted from the diff, for the curator to edit and paste."""
    groups: dict[str, list[str]] = {"Added": [], "Changed": [], "Removed": [], "Fixed": []}
    for c in d.changes:
        where = f"`{c.table}`: " if c.table else ""
        group = (
            "Added"
            if c.kind.endswith("_added")
            else "Removed"
            if c.kind.endswith("_removed")
            else "Fixed"
            if c.kind == "values_corrected"
            else "Changed"
        )
        groups[group].append(f"- {where}{c.message}.")
    lines = [f"## [{version}] - {date}", ""]
    for group, items in groups.items():
        if items:
            lines += [f"### {group}", *items, ""]
    if len(lines) == 2:
        lines += ["### Changed", "- No change to the data, the schemas or the descriptor.", ""]
    return "\n".join(lines)
