"""The build: deterministic Parquet twins and descriptor, and nothing written when validation fails."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
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


@pytest.mark.slow
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


def _resources(root: Path, descriptor: str = "datapackage.json") -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((root / descriptor).read_text())["resources"]}


@pytest.mark.slow
def test_build_of_edited_csv_rewrites_its_twin_and_its_checksums_only(pkg: Path) -> None:
    edit(pkg, "actors", read_rows(pkg, "actors")[0]["actor_id"], notes="A news agency.")
    before, resources = _snapshot(pkg), _resources(pkg)
    assert run(pkg, _console()) == 0
    after, rebuilt = _snapshot(pkg), _resources(pkg)
    assert {name for name in after if after[name] != before[name]} == {
        "actors.parquet",
        "datapackage.json",
        "datapackage-v1.json",
    }
    changed = {
        (n, k) for n, r in rebuilt.items() for k in r.keys() | resources[n].keys() if r.get(k) != resources[n].get(k)
    }
    assert changed == {("actors", "bytes"), ("actors", "hash"), ("actors-parquet", "hash")}


def test_every_resource_carries_the_sha256_of_its_file_and_each_csv_its_bytes(pkg: Path) -> None:
    """The loaders and frictionless check them; a Parquet resource has no `bytes`, which frictionless 5.21 cannot
    count (its byte-count check fails on every Parquet file)."""
    for descriptor in ("datapackage.json", "datapackage-v1.json"):
        for name, resource in _resources(pkg, descriptor).items():
            data = (pkg / resource["path"]).read_bytes()
            assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}", (descriptor, name)
            assert resource.get("bytes") == (None if resource["path"].endswith(".parquet") else len(data))
    assert len(_resources(pkg, "datapackage-v1.json")) == len(_resources(pkg)) / 2  # the CSVs only
