"""Generated files are current (the one test that says so), and the generators document every table, field and rule."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT
from isis_iraq_syria.build import descriptor_bytes, parquet_twin, v1_descriptor_bytes
from isis_iraq_syria.codebook import codebook, dot_digest, erd_dot, generated_files, readme, svg_digest
from isis_iraq_syria.rules import RULES
from isis_iraq_syria.schema import Package
from isis_iraq_syria.tables import read_csv


def generated(package: Package) -> dict[Path, bytes]:
    """Every file that `make` derives from the CSVs and Table Schemas, with the bytes it writes: the Parquet twins,
    both descriptors, the codebook, the diagram's source, the charts and README's generated sections."""
    files = {path: text.encode() for path, text in generated_files(package).items()}
    files[package.root / "datapackage.json"] = descriptor_bytes(package)
    files[package.root / "datapackage-v1.json"] = v1_descriptor_bytes(package)
    for table in package.tables.values():
        frame, failures = read_csv(table)
        assert failures == [], failures
        files[table.parquet_path] = parquet_twin(table, frame)
    return files


def test_generated_files_are_current() -> None:
    """The one check that the committed generated files are those the sources give (CI's `git diff` after `make`
    checks the same of a fresh clone's build, the diagram's SVG drawn by Graphviz included)."""
    package = Package.load(ROOT)
    files = generated(package)
    stale = sorted(str(path.relative_to(ROOT)) for path, data in files.items() if path.read_bytes() != data)
    assert stale == [], f"stale generated files (run make): {stale}"
    # the SVG needs Graphviz to draw: it records the digest of the diagram it was drawn from
    svg = (ROOT / "docs" / "erd.svg").read_text(encoding="utf-8")
    assert svg_digest(svg) == dot_digest(erd_dot(package)), "docs/erd.svg is stale: run make with Graphviz installed"


def test_readme_lists_every_rule_and_table() -> None:
    package = Package.load(ROOT)
    text = readme(package, (ROOT / "README.md").read_text(encoding="utf-8"))
    for rule in RULES:
        assert f"| `{rule.id}` |" in text
    for name in package.tables:
        assert f"- `{name}`:" in text


def test_stale_readme_is_detected(pkg) -> None:
    shutil.copy2(ROOT / "README.md", pkg / "README.md")
    schema = pkg / "schemas" / "actors.schema.json"
    schema.write_text(schema.read_text().replace("Organisations, people and groups", "Organisations and people"))
    package = Package.load(pkg)
    assert readme(package, (pkg / "README.md").read_text()) != (pkg / "README.md").read_text()


def test_codebook_describes_every_field() -> None:
    package = Package.load(ROOT)
    text = codebook(package)
    for name, table in package.tables.items():
        assert f"## {name}" in text
        for field in table.fields:
            assert f"| `{field.name}` |" in text
