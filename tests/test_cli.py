"""The scripts as a user runs them: exit codes 0, 1 and 2, JSON output, any working directory, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, edit, read_rows

VALIDATE = ROOT / "scripts" / "validate.py"


def _run(*args: str, cwd: Path = Path("/")) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VALIDATE), *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.slow
def test_valid_package_exits_0_from_any_directory(tmp_path: Path) -> None:
    result = _run(cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # piped, not a terminal: no progress display, only the verdict
    assert re.fullmatch(r"valid: \d+ rules over \d+ rows in \d+ tables\n", result.stdout)


@pytest.mark.slow
def test_archive_of_original_documents_matches_every_quote() -> None:
    # the documents are not redistributed: CI has them beside the checkout, and must check against them
    if not SEEDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the archived documents are not at {SEEDS}, and CI must check every quote against them")
        pytest.skip(f"the archived documents are not beside this checkout ({SEEDS})")
    result = _run("--archive", str(SEEDS), "--json")
    assert result.returncode == 0, result.stdout
    assert "prov.quote_in_archive" in json.loads(result.stdout)["rules_run"]


def test_invalid_package_exits_1_with_json_failures(pkg: Path) -> None:
    statistic = read_rows(pkg, "statistics")[0]["statistic_id"]
    edit(pkg, "statistics", statistic, value="forty")
    result = _run("--root", str(pkg), "--json", "--no-parity")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    hits = [(f["resource"], f["key"], f["column"]) for f in report["failures"] if f["rule"] == "schema.type"]
    assert hits == [("statistics", statistic, "value")], report["failures"]


@pytest.mark.slow
def test_missing_file_exits_2_without_traceback(pkg: Path) -> None:
    (pkg / "data" / "events.csv").unlink()
    result = _run("--root", str(pkg))
    assert result.returncode == 2
    assert "events.csv" in result.stdout and "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_bad_json_exits_2_without_traceback(pkg: Path) -> None:
    (pkg / "datapackage.json").write_text("{")
    result = _run("--root", str(pkg))
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_missing_archive_exits_2(pkg: Path) -> None:
    result = _run("--root", str(pkg), "--archive", str(pkg / "nowhere"))
    assert result.returncode == 2 and "archive" in result.stdout


@pytest.mark.slow
def test_malformed_csv_exits_1_without_traceback(pkg: Path) -> None:
    path = pkg / "data" / "actors.csv"
    path.write_bytes(b"\xff\xfe" + path.read_bytes())
    result = _run("--root", str(pkg))
    assert result.returncode == 1 and "file.encoding" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.slow
def test_validator_never_writes_to_the_package(pkg: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in pkg.rglob("*")}
    _run("--root", str(pkg))
    assert {p: p.stat().st_mtime_ns for p in pkg.rglob("*")} == before


SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))


@pytest.mark.slow
def test_scripts_under_a_python_without_the_libraries_say_what_to_run(tmp_path: Path) -> None:
    for script in SCRIPTS:
        # -S: no site-packages, as a system Python without the project's libraries
        result = subprocess.run(
            [
                sys.executable,
                "-S",
                str(script),
                *({"synth.py": ["1", str(tmp_path)], "diff.py": ["HEAD"]}.get(script.name, [])),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert result.returncode == 2, (script.name, result.stdout, result.stderr)
        assert (
            "Traceback" not in result.stderr and "run `make`" in result.stderr and ".venv/bin/python" in result.stderr
        ), script.name


COMMAND = Path(sys.executable).parent / "isis-iraq-syria"


@pytest.mark.slow
def test_console_command_validates_the_package_from_any_directory(tmp_path: Path) -> None:
    result = subprocess.run([str(COMMAND), "validate"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: ")


def test_console_command_lists_its_subcommands() -> None:
    result = subprocess.run([str(COMMAND), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and all(name in result.stdout for name in ("validate", "build", "release", "docs"))
