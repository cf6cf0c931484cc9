"""Documents generated from the schemas and the rule registry, so that they cannot drift.

docs/codebook.md, docs/erd.dot and docs/erd.svg, and the generated sections of
README.md (the list of tables, the counts of stated and inferred cells, and the list of rules).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from .rules import RULES
from .rules.basis import basis_counts
from .schema import Package, Table
from .tables import read_package

BEGIN, END = "<!-- BEGIN GENERATED: {} -->", "<!-- END GENERATED: {} -->"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _constraints(field) -> str:
    c = field.constraints
    parts = []
    if c.get("required"):
        parts.append("required")
    if c.get("unique"):
        parts.append("unique")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    if "minimum" in c or "maximum" in c:
        parts.append(f"range {c.get('minimum', '')}..{c.get('maximum', '')}")
    if "minLength" in c or "maxLength" in c:
        parts.append(f"length {c.get('minLength', 0)}..{c.get('maxLength', '')}")
    return "; ".join(parts)


def _keys(table: Table) -> list[str]:
    lines = [f"- Primary key: `{', '.join(table.primary_key)}`"]
    lines += [f"- Unique key: `{', '.join(key)}`" for key in table.unique_keys]
    lines += [
        f"- Foreign key: `{', '.join(fk.fields)}` → `{fk.resource}.{', '.join(fk.ref_fields)}`"
        for fk in table.foreign_keys
    ]
    if table.vocabulary:
        lines.append(
            "- Vocabulary (`x-vocabulary`): a short list of named things that the records refer to by key, which does "
            "not grow with them; the validator holds its keys, and every column that references them, as categoricals"
        )
    identity = table.descriptor.get("x-identity")
    if identity:
        lines.append(
            f"- Identity (`x-identity`): `{', '.join(identity)}`; under the same primary key a change to one of them "
            "is a reused id, not a correction"
        )
    return lines


def codebook(package: Package) -> str:
    out = [
        f"# Codebook of {package.name} {package.version}",
        "",
        "Generated from `schemas/*.schema.json` by `scripts/codebook.py`; do not edit by hand.",
        "",
        "An empty cell is the only missing value; each field's description says when a cell may be empty.",
        "",
    ]
    for name, table in package.tables.items():
        out += [
            f"## {name}",
            "",
            table.description,
            "",
            f"Files: `data/{name}.csv`, `data/{name}.parquet`; schema `{table.schema_path}`.",
            "",
        ]
        out += [*_keys(table), ""]
        out += ["| field | type | unit | constraints | allowed values | description |", "|---|---|---|---|---|---|"]
        for field in table.fields:
            allowed = ", ".join(f"`{v}`" for v in field.enum) if field.enum else ""
            out.append(
                f"| `{field.name}` | {field.type} | {_cell(field.descriptor.get('unit', ''))} "
                f"| {_cell(_constraints(field))} | {allowed} | {_cell(field.descriptor.get('description', ''))} |"
            )
        out.append("")
    return "\n".join(out)


def tables_list(package: Package) -> str:
    return "\n".join(f"- `{name}`: {table.description}" for name, table in package.tables.items())


def rules_list() -> str:
    lines = ["| rule | stage | what it checks | tables it reads |", "|---|---|---|---|"]
    lines += [
        f"| `{r.id}` | {r.stage} | {_cell(r.reason)} | {', '.join(f'`{t}`' for t in r.tables) or 'every table'} |"
        for r in RULES
    ]
    return "\n".join(lines)


def bases_table(package: Package) -> str:
    """How many claim-bearing cells are stated, inferred and empty, counted on the tables."""
    frames, failures, _ = read_package(package)
    if failures or len(frames) < len(package.tables):
        raise ValueError("the tables cannot be read: run scripts/validate.py")
    counts = basis_counts(frames)
    lines = ["| cell | stated | inferred | empty |", "|---|---:|---:|---:|"]
    lines += [f"| `{field}` | {stated} | {inferred} | {empty} |" for field, stated, inferred, empty in counts]
    total = [sum(c[i] for c in counts) for i in (1, 2, 3)]
    lines.append(f"| all | {total[0]} | {total[1]} | {total[2]} |")
    return "\n".join(lines)


def erd_dot(package: Package) -> str:
    lines = [
        "digraph erd {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=10];',
        '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, color="#555555"];',
    ]
    for name, table in package.tables.items():
        rows = "".join(
            f'<tr><td align="left" port="{f.name}">{"<b>" if f.name in table.primary_key else ""}{f.name}'
            f"{'</b>' if f.name in table.primary_key else ''}</td>"
            f'<td align="left"><font color="#666666">{f.type}</font></td></tr>'
            for f in table.fields
        )
        lines.append(
            f'  {name} [label=<<table border="0" cellborder="1" cellspacing="0">'
            f'<tr><td bgcolor="#dde8f0" colspan="2"><b>{name}</b></td></tr>{rows}</table>>];'
        )
    for name, table in package.tables.items():
        for fk in table.foreign_keys:
            lines.append(f"  {name}:{fk.fields[0]}:e -> {fk.resource}:{fk.ref_fields[0]}:w;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_digest(dot: str) -> str:
    return hashlib.sha256(dot.encode()).hexdigest()


def render_svg(dot: str) -> str | None:
    """The diagram as SVG, stamped with the digest of its DOT source; None when Graphviz is not installed."""
    if shutil.which("dot") is None:
        return None
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    return svg.replace("<svg ", f"<!-- dot-sha256: {dot_digest(dot)} -->\n<svg ", 1)


def svg_digest(svg: str) -> str | None:
    found = re.search(r"<!-- dot-sha256: ([0-9a-f]{64}) -->", svg)
    return found.group(1) if found else None


def replace_section(text: str, name: str, body: str) -> str:
    begin, end = BEGIN.format(name), END.format(name)
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"README.md has no {begin} ... {end} section")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


def readme(package: Package, current: str) -> str:
    text = replace_section(current, "tables", tables_list(package))
    text = replace_section(text, "bases", bases_table(package))
    return replace_section(text, "rules", rules_list())


def generated_files(package: Package) -> dict[Path, str]:
    """Every generated text file and its content, the charts included, but the diagram's SVG, which needs Graphviz."""
    from .charts import generated_charts

    root = package.root
    return {
        root / "docs" / "codebook.md": codebook(package),
        root / "docs" / "erd.dot": erd_dot(package),
        **generated_charts(package),
        root / "README.md": readme(package, (root / "README.md").read_text(encoding="utf-8")),
    }
