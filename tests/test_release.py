"""Releases: reproducible, self-contained, refused when the package is invalid or the version undocumented."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import frictionless
import pytest
from rich.console import Console

from conftest import ROOT, copy_package, edit
from isis_iraq_syria.release import DOC_FILES, TOP_FILES, build_release, run
from isis_iraq_syria.schema import Package


@pytest.fixture
def full(tmp_path: Path) -> Path:
    root = copy_package(tmp_path / "pkg")
    for path in TOP_FILES + DOC_FILES:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, root / path)
    return root


def test_two_releases_are_byte_identical_wherever_they_are_built(full: Path) -> None:
    here = build_release(Package.load(ROOT))
    os.utime(full / "data" / "events.csv", (0, 0))  # timestamps of the inputs do not matter
    there = build_release(Package.load(full))
    assert here == there
    assert set(here) == {"isis-iraq-syria-0.1.0.zip", "SHA256SUMS"}


def test_checksum_file_verifies_the_zip(full: Path, tmp_path: Path) -> None:
    assert run(full, Console(record=True), tmp_path / "dist") == 0
    line = (tmp_path / "dist" / "SHA256SUMS").read_text()
    digest, name = line.split()
    assert hashlib.sha256((tmp_path / "dist" / name).read_bytes()).hexdigest() == digest


def test_unzipped_release_validates_and_points_nowhere_outside(tmp_path: Path) -> None:
    files = build_release(Package.load(ROOT))
    zip_path = tmp_path / "release.zip"
    zip_path.write_bytes(files["isis-iraq-syria-0.1.0.zip"])
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert all(n.startswith("isis-iraq-syria-0.1.0/") for n in names)
        assert all(((info.external_attr >> 16) & 0o777) == 0o644 for info in archive.infolist())
        archive.extractall(tmp_path / "out")
    inside = tmp_path / "out" / "isis-iraq-syria-0.1.0"
    for required in ("datapackage.json", "README.md", "LICENSE", "LICENSE-DATA.md", "CHANGELOG.md", "CITATION.cff"):
        assert (inside / required).is_file()
    descriptor = json.loads((inside / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        for path in (resource["path"], resource["schema"]):
            assert not path.startswith("/") and ".." not in path and (inside / path).is_file()
        data = (inside / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource.get("bytes", len(data)) == len(data) and ("bytes" in resource) == (resource["format"] == "csv")
    for link in re.findall(r"\]\((?!https?://)([^)#]+)\)", (inside / "README.md").read_text()):
        assert (inside / link).is_file(), f"README links to {link}, which the release does not hold"
    report = frictionless.validate(str(inside / "datapackage.json"))
    assert report.valid and len(report.tasks) == len(descriptor["resources"])


def test_release_refused_when_package_invalid(full: Path) -> None:
    edit(full, "statistics", "S003", value="197", lower_bound="197", upper_bound="197")
    console = Console(record=True, width=200)
    assert run(full, console, full / "dist") == 1
    assert not (full / "dist").exists()
    assert "does not validate" in console.export_text()


def test_release_refused_when_version_has_no_changelog_entry(full: Path) -> None:
    path = full / "datapackage.json"
    path.write_text(path.read_text().replace('"version": "0.1.0"', '"version": "0.2.0"'))
    console = Console(record=True, width=200)
    assert run(full, console, full / "dist") == 1
    assert not (full / "dist").exists()
    assert "CHANGELOG.md has no entry '## [0.2.0]'" in console.export_text()


def test_citation_is_valid_and_names_the_package_version() -> None:
    text = (ROOT / "CITATION.cff").read_text()
    assert f'version: "{Package.load(ROOT).version}"' in text
    cffconvert = os.environ.get("CFFCONVERT") or shutil.which("cffconvert")
    if cffconvert is None:
        pytest.skip("cffconvert is installed by 'make test' in .venv-cff")
    result = subprocess.run([cffconvert, "--validate", "-i", str(ROOT / "CITATION.cff")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
