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

import polars as pl

from .rules import RULES
from .rules.model import Rule, tables_read
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
    for name, table in (package.tables | package.derived).items():
        inputs = ", ".join(f"`{t}`" for t in table.derived_from or [])
        derived = [f"Derived by the build from {inputs} (`isis_iraq_syria/wide.py`).", ""] if inputs else []
        out += [
            f"## {name}",
            "",
            table.description,
            "",
            *derived,
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
    tables = package.tables | package.derived
    return "\n".join(f"- `{name}`: {table.description}" for name, table in tables.items())


def rules_list(package: Package) -> str:
    """Every rule with the tables its query reads: a query built from the package (over every text column or every
    foreign key) is read as this package builds it; a rule without a query (the reading, Pandera, the checks of
    files and documents) may read every table."""

    def read(rule: Rule) -> tuple[str, ...]:
        sql = rule.query(package) if rule.build_sql is not None else None
        return tables_read(sql) if sql else rule.tables

    lines = ["| rule | stage | what it checks | tables it reads |", "|---|---|---|---|"]
    lines += [
        f"| `{r.id}` | {r.stage} | {_cell(r.reason)} | {', '.join(f'`{t}`' for t in read(r)) or 'every table'} |"
        for r in RULES
    ]
    return "\n".join(lines)


def basis_counts(frames: dict[str, pl.DataFrame]) -> list[tuple[str, int, int, int, int, int, int]]:
    """For each kind of claim-bearing cell: how many are stated with a span (the words that state them), stated in
    the document's own voice (no words to point at), stated without a span (which the rule span.stated_cell_has_span
    refuses), inferred with a span of the words the inference rests on, inferred from its note alone, and empty.
    Derived statistics are left out: their cells come from their derivation."""
    f = frames
    bases = f["bases"].with_columns(pl.all().exclude("quote_start", "quote_end").cast(pl.String))
    spans = f["spans"].with_columns(pl.all().exclude("start", "end").cast(pl.String))
    stats = f["statistics"].filter(pl.col("figure_kind").cast(pl.String) != "derived")

    def dated(prefix: str) -> pl.Expr:
        return pl.col(f"{prefix}_start").is_not_null() | pl.col(f"{prefix}_end").is_not_null()

    def scalar(frame: pl.DataFrame, filled: pl.Expr, **keys: str) -> tuple[pl.DataFrame, int]:
        """The keys of the non-empty cells (named as in bases), and the number of empty ones."""
        cells = frame.filter(filled).select(**{k: pl.col(v).cast(pl.String) for k, v in keys.items()})
        return cells, frame.height - cells.height

    def relation(table: str, item: str) -> tuple[pl.DataFrame, int]:
        """Each relation row, and the number of events without one."""
        rows = f[table].select(pl.col("event_id", item).cast(pl.String))
        return rows, f["events"].join(f[table], on="event_id", how="anti").height

    stat = {"statistic_id": "statistic_id"}
    actors, no_actors = relation("event_actors", "actor_id")
    filled = {  # field -> (subject keys of the non-empty cells, number of empty cells)
        "statistics.value": scalar(stats, pl.col("value").is_not_null(), **stat),
        "statistics.qualifier_id": scalar(stats, pl.col("qualifier_id").cast(pl.String) != "exact", **stat),
        "statistics.geography_id": scalar(stats, pl.col("geography_id").is_not_null(), **stat),
        "statistics.period": scalar(stats, dated("period"), **stat),
        "statistics.asserted_by_actor_id": scalar(stats, pl.col("asserted_by_actor_id").is_not_null(), **stat),
        "statistics.figure_kind": scalar(stats, pl.lit(True), **stat),
        "statistic_evidence.cited_source_id": scalar(
            f["statistic_evidence"], pl.col("cited_source_id").is_not_null(), **stat, document_id="source_id"
        ),
        "event_evidence.cited_source_id": scalar(
            f["event_evidence"], pl.col("cited_source_id").is_not_null(), event_id="event_id", document_id="source_id"
        ),
        "events.dates": scalar(f["events"], dated("date"), event_id="event_id"),
        "event_geographies.geography_id": relation("event_geographies", "geography_id"),
        "event_actors.actor_id": (actors.unique(), no_actors),
        "sources.published": scalar(f["sources"], dated("published"), source_id="source_id"),
        "statistics.indicator_id": scalar(stats, pl.col("indicator_id").is_not_null(), **stat),
        "events.status": scalar(f["events"], pl.col("status").is_not_null(), event_id="event_id"),
        "event_actors.role": (actors.unique(), no_actors),  # a role for each actor of an event
        "claims.comparison": scalar(f["claims"], pl.col("comparison").is_not_null(), claim_id="claim_id"),
    }
    # the document's own voice: a figure kind without words (reported), and its publisher as the asserting actor of
    # a figure it reports uncited: stated, with no words to point at
    kinds = f["figure_kinds"].with_columns(pl.col("figure_kind_id").cast(pl.String))
    wordless = kinds.filter(pl.col("words").is_null() | pl.col("own_voice"))["figure_kind_id"]
    publishers = (
        f["statistic_evidence"]
        .filter(pl.col("cited_source_id").is_null())
        .join(f["sources"], on="source_id")
        .select(pl.col("statistic_id", "publisher_actor_id").cast(pl.String))
    )
    spoken = stats.with_columns(pl.all().cast(pl.String)).filter(
        pl.col("figure_kind").is_in(wordless.implode())
        | pl.struct("statistic_id", "asserted_by_actor_id").is_in(
            publishers.select(pl.struct("statistic_id", asserted_by_actor_id="publisher_actor_id"))
            .to_series()
            .implode()
        )
    )
    own_voice = {
        "statistics.figure_kind": stats.filter(pl.col("figure_kind").cast(pl.String).is_in(wordless.implode())),
        "statistics.asserted_by_actor_id": spoken,
    }
    out = []
    for field, (cells, empty) in filled.items():
        inferred = (
            bases.filter((pl.col("field") == field) & (pl.col("basis") == "inferred")).select(cells.columns).unique()
            if set(cells.columns) <= set(bases.columns)
            else cells.clear()  # a claim is stated in its own quote: bases has no claim_id
        )
        stated = cells.join(inferred, on=cells.columns, how="anti")
        spanned = spans.filter(pl.col("field") == field).select(cells.columns).unique()
        with_span = stated.join(spanned, on=cells.columns, how="semi").height
        voiced = own_voice[field].height if field in own_voice else 0
        inferred_cells = cells.join(inferred, on=cells.columns, how="semi")
        resting = inferred_cells.join(spanned, on=cells.columns, how="semi").height
        out.append(
            (
                field,
                with_span,
                voiced,
                stated.height - with_span - voiced,
                resting,
                inferred_cells.height - resting,
                empty,
            )
        )
    return out


def bases_table(package: Package) -> str:
    """How many claim-bearing cells are stated (with a span, or in the document's own voice), inferred and empty,
    counted on the tables."""
    frames, failures, _ = read_package(package)
    if failures or len(frames) < len(package.tables):
        raise ValueError("the tables cannot be read: run scripts/validate.py")
    counts = basis_counts(frames)
    lines = [
        "| cell | stated, with a span | stated in the document's own voice | stated, no span "
        "| inferred, with a span of the words it rests on | inferred, from its note alone | empty |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| `{field}` | {' | '.join(str(n) for n in numbers)} |" for field, *numbers in counts]
    lines.append("| all | " + " | ".join(str(sum(c[i] for c in counts)) for i in range(1, 7)) + " |")
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
    return replace_section(text, "rules", rules_list(package))


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


def write_docs(package: Package, documents: dict[str, str] | None) -> tuple[int, list[Path], bool]:
    """Write every generated file that changed: the codebook, the diagram, the charts, README.md's generated sections,
    the hub metadata and, with the archived documents, the annotations. Returns the number of files generated, those
    written, and whether graphviz drew the diagram."""
    from . import annotations, metadata
    from .build import write_if_changed

    (package.root / "docs").mkdir(exist_ok=True)
    files = {path: text.encode() for path, text in generated_files(package).items()}
    files |= {path: text.encode() for path, text in metadata.generated_files(package).items()}
    if documents is not None:
        files |= {path: text.encode() for path, text in annotations.generated_file(package, documents).items()}
    svg = render_svg(erd_dot(package))
    if svg is not None:
        files[package.root / "docs" / "erd.svg"] = svg.encode()
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
    return len(files), write_if_changed(files), svg is not None
