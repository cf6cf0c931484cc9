"""The build: deterministic Parquet twins and descriptor, and nothing written when validation fails."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rich.console import Console

from conftest import ROOT, copy_package, edit, read_rows
from isis_iraq_syria.build import run
from isis_iraq_syria.schema import Package


def _snapshot(root: Path) -> dict[str, str]:
    files = [*sorted((root / "data").iterdir()), root / "datapackage.json", root / "datapackage-v1.json"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _console() -> Console:
    return Console(record=True, width=200)


def test_build_from_the_csvs_alone_writes_every_twin_and_both_descriptors(tmp_path: Path) -> None:
    """Whether the committed files are current is test_codebook's test_generated_files_are_current; here, a
    package without twins, v1 descriptor or resources gets them all, the same as a package that had them."""
    root = copy_package(tmp_path / "pkg")
    for parquet in (root / "data").glob("*.parquet"):
        parquet.unlink()
    (root / "datapackage-v1.json").unlink()
    (root / "datapackage.json").write_text(
        json.dumps({**json.loads((ROOT / "datapackage.json").read_text()), "resources": []})
    )
    assert run(root, _console()) == 0
    rebuilt = copy_package(tmp_path / "rebuilt")
    assert run(rebuilt, _console()) == 0
    assert _snapshot(root) == _snapshot(rebuilt)
    assert {f"{name}.parquet" for name in Package.load(root).tables} <= set(_snapshot(root))


def test_second_build_changes_nothing(pkg: Path) -> None:
    console = _console()
    assert run(pkg, console) == 0
    before = _snapshot(pkg)
    assert run(pkg, console) == 0
    assert _snapshot(pkg) == before
    assert "0 changed" in console.export_text()


def test_build_from_broken_csv_changes_nothing_and_says_where(pkg: Path) -> None:
    statistic = read_rows(pkg, "statistics")[0]["statistic_id"]
    edit(pkg, "statistics", statistic, value="3O")  # letter O for zero
    before = _snapshot(pkg)
    console = _console()
    assert run(pkg, console) == 1
    assert _snapshot(pkg) == before
    text = console.export_text()
    assert "statistics" in text and statistic in text and "value" in text and "schema.type" in text
    assert "no file was written" in text


def test_build_of_edited_csv_rewrites_its_twin_only(pkg: Path) -> None:
    edit(pkg, "actors", read_rows(pkg, "actors")[0]["actor_id"], notes="A news agency.")
    before = _snapshot(pkg)
    assert run(pkg, _console()) == 0
    after = _snapshot(pkg)
    assert {name for name in after if after[name] != before[name]} == {"actors.parquet"}
