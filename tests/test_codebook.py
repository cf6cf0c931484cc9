"""Generated documents are current: the codebook, the diagram and README's tables and rules."""

from __future__ import annotations

from conftest import ROOT
from isis_iraq_syria.codebook import dot_digest, erd_dot, generated_files, readme, svg_digest
from isis_iraq_syria.rules import RULES
from isis_iraq_syria.schema import Package


def test_generated_files_are_current() -> None:
    for path, text in generated_files(Package.load(ROOT)).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run scripts/codebook.py"


def test_erd_svg_was_drawn_from_the_current_diagram() -> None:
    svg = (ROOT / "docs" / "erd.svg").read_text(encoding="utf-8")
    assert svg_digest(svg) == dot_digest(erd_dot(Package.load(ROOT)))


def test_readme_lists_every_rule_and_table() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| `{rule.id}` |" in text
    for name in Package.load(ROOT).tables:
        assert f"- `{name}`:" in text


def test_stale_readme_is_detected(pkg) -> None:
    import shutil
    shutil.copy2(ROOT / "README.md", pkg / "README.md")
    schema = pkg / "schemas" / "actors.schema.json"
    schema.write_text(schema.read_text().replace("Organisations, people and groups", "Organisations and people"))
    package = Package.load(pkg)
    assert readme(package, (pkg / "README.md").read_text()) != (pkg / "README.md").read_text()


def test_codebook_describes_every_field() -> None:
    text = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    for name, table in Package.load(ROOT).tables.items():
        assert f"## {name}" in text
        for field in table.fields:
            assert f"| `{field.name}` |" in text
