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
    assert re.fullmatch(
        rf"validating the installed package \({re.escape(str(ROOT))}\)\n"
        r"valid: \d+ rules over \d+ rows in \d+ tables \(4 archive rules skipped: no --archive\)\n",
        result.stdout,
    )


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


@pytest.mark.slow
def test_invalid_package_exits_1_with_json_failures(pkg: Path) -> None:
    statistic = read_rows(pkg, "statistics")[0]["statistic_id"]
    edit(pkg, "statistics", statistic, value="forty")
    result = _run("--root", str(pkg), "--json")  # the twin and the descriptor's hash now differ too: other rules'
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
    # where no datapackage.json is, the installed package (here the checkout, installed editable) is read
    assert result.stdout.startswith("validating the installed package (") and "\nvalid: " in result.stdout


def test_console_command_lists_its_subcommands() -> None:
    result = subprocess.run([str(COMMAND), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and all(name in result.stdout for name in ("validate", "build", "release", "docs"))


# --- hostile paths: the descriptor's, the archive's, a schema's field names, the scripts' arguments ------------


def _snapshot(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file() and not p.is_symlink()}


def _leaving(pkg: Path, target: str = "../../../etc/passwd") -> None:
    descriptor = json.loads((pkg / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = target
    (pkg / "datapackage.json").write_text(json.dumps(descriptor, indent=2))


def test_a_resource_path_leaving_the_package_is_a_failure_without_parity_too(pkg: Path) -> None:
    from isis_iraq_syria.schema import Package
    from isis_iraq_syria.validate import _unsafe_paths

    _leaving(pkg)
    failures = _unsafe_paths(Package.load(pkg))
    assert [(f.resource, f.key, f.rule) for f in failures] == [
        ("datapackage.json", "actor_names", "descriptor.resources")
    ]
    assert "'../../../etc/passwd' leaves the package" in failures[0].message


@pytest.mark.slow
def test_validate_no_parity_is_refused_where_no_build_is_beside_the_package(pkg: Path) -> None:
    # a package without its build is judged by its files' hashes, which --no-parity would skip (the unsafe path is
    # then the validator's own to refuse: the test above)
    _leaving(pkg)
    before = _snapshot(pkg)
    result = _run("--root", str(pkg), "--no-parity", "--json")
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert "--no-parity is for a checkout whose build is under way" in json.loads(result.stdout)["message"]
    assert _snapshot(pkg) == before


@pytest.mark.parametrize("as_json", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_archive_holding_a_symlink_is_refused_naming_it(pkg: Path, tmp_path: Path, as_json: bool) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "a-document.txt").write_text("a quote")
    secret = tmp_path / "secret"
    secret.write_text("not a document of the archive")
    (archive / "b-link.txt").symlink_to(secret)
    result = _run("--root", str(pkg), "--archive", str(archive), *(["--json"] if as_json else []))
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    message = json.loads(result.stdout)["message"] if as_json else result.stdout
    assert f"{archive / 'b-link.txt'}: is a symbolic link" in message and message.count("\n") <= 1


def test_archive_reads_only_regular_files(tmp_path: Path) -> None:
    from isis_iraq_syria.validate import _archive

    (tmp_path / "doc.txt").write_bytes(b"caf\xc3\xa9 text")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")  # opened without O_NONBLOCK, this would hang the validator
    assert list(_archive(tmp_path).values()) == ["café text"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow)
        for n in ("na\x00me", "line\nbreak", "bidi\u202eeman", "zero\u200bwidth", "sep\u2028arator")
    ],
)
def test_a_control_character_in_a_field_name_is_refused_before_reading(pkg: Path, name: str) -> None:
    path = pkg / "schemas" / "actors.schema.json"
    schema = json.loads(path.read_text())
    schema["fields"][1]["name"] = name
    path.write_text(json.dumps(schema))
    before = _snapshot(pkg)
    for script in ("validate.py", "build.py"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / script), "--root", str(pkg)],
            capture_output=True,
            text=True,
            cwd="/",
        )
        assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr, result.stdout
        assert "schemas/actors.schema.json: field 2 name" in result.stdout
        assert "control, format or separator character" in result.stdout
    assert _snapshot(pkg) == before


@pytest.mark.parametrize(
    "args,message",
    [
        (["-5", "OUT"], "'-5' is not a positive whole number of rows"),
        (["0", "OUT"], "'0' is not a positive whole number of rows"),
        (["1e3", "OUT"], "'1e3' is not a positive whole number of rows"),
        (["\u0661\u0662", "OUT"], "is not a positive whole number of rows"),  # Arabic-Indic digits
        (["5", ""], "empty path; name the folder to write"),
    ],
)
def test_synth_refuses_a_bad_argument_before_writing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "synth.py"), *(str(out) if a == "OUT" else a for a in args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "option", [pytest.param(o, marks=pytest.mark.slow) for o in ("--out", "--previous", "--archive")]
)
def test_release_refuses_an_empty_path_option(tmp_path: Path, option: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "release.py"), option, ""],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith(f"cannot release: {option}: empty path") and not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args,message",
    [
        (["HEAD", ""], "cannot diff: empty name: give a release zip, a package folder or a git ref"),
        (["HEAD", "--repo", ""], "cannot diff: --repo: empty path; name the git repository"),
        (["HEAD", "HEAD", "--repo", "", "--json"], '{"error": "--repo: empty path; name the git repository'),
    ],
)
def test_diff_refuses_an_empty_new_or_repo_rather_than_reading_the_current_folder(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from the checkout, where "" read as "." would find the package and its git repository and exit 0."""
    from isis_iraq_syria.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["diff", *args], checkout=ROOT) == 2
    assert capsys.readouterr().out.startswith(message)


@pytest.mark.parametrize("n", [0, -3, True, 2.5])
def test_synth_write_refuses_fewer_than_one_row_before_writing(tmp_path: Path, n: object) -> None:
    from isis_iraq_syria.synth import write

    with pytest.raises(ValueError, match=r"^n=.*: a synthetic package has at least 1 row in statistics and in events"):
        write(tmp_path / "out", n)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # each file name imports the release module (about 3 s)
def test_make_serve_opens_the_release_s_database_not_another_sqlite_file_in_dist(tmp_path: Path) -> None:
    """The file names come from dist/.release-manifest.json: experiment.sqlite beside the release is not served, and
    a release file changed since is no release's (Datasette is replaced by a script printing its arguments)."""
    import hashlib
    import shutil

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    datasette = tmp_path / "venv" / "bin" / "datasette"
    datasette.write_text('#!/bin/sh\nprintf "<%s>" "$@"\n')
    datasette.chmod(0o755)
    dist = tmp_path / "dist"
    dist.mkdir()
    released = {"isis-iraq-syria-0_1_0.sqlite": b"database", "isis-iraq-syria-0_1_0.datasette.json": b"{}"}
    for name, data in {**released, "experiment.sqlite": b"mine"}.items():
        (dist / name).write_bytes(data)
    files = {name: hashlib.sha256(data).hexdigest() for name, data in released.items()}
    (dist / ".release-manifest.json").write_text(json.dumps({"release": "isis-iraq-syria-0.1.0", "files": files}))

    def serve() -> subprocess.CompletedProcess:
        command = ["make", "-s", "-o", "release", "serve", f"VENV={tmp_path / 'venv'}", f"PY={sys.executable}"]
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)

    result = serve()
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "<serve><--immutable><dist/isis-iraq-syria-0_1_0.sqlite>"
        "<--metadata><dist/isis-iraq-syria-0_1_0.datasette.json><--host><127.0.0.1><--port><8001>"
    )
    (dist / "isis-iraq-syria-0_1_0.sqlite").write_bytes(b"edited")
    result = serve()
    assert result.returncode == 2 and result.stdout == ""
    assert "make serve: dist/ holds no .sqlite file of a release" in result.stderr


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """make with the repository's Makefile in `folder`, its venv taken as installed (.venv/.installed not remade)."""
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", *args], capture_output=True, text=True, cwd=folder, timeout=120
    )


def test_make_diff_without_a_tag_says_what_to_compare_with_and_is_no_error(tmp_path: Path) -> None:
    import shutil

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)  # a repository without any v* tag
    result = _make(tmp_path, "diff", "PY=false")  # the diff itself is not run
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("make diff: no v* tag yet, so no release to compare with.")
    assert "OLD=isis-iraq-syria-0.1.0.zip" in result.stdout and "OLD=main" in result.stdout


@pytest.mark.parametrize(("exit_code", "verbose", "shown"), [(0, False, False), (0, True, True), (1, False, True)])
def test_make_validate_shows_frictionless_s_table_only_on_failure_or_with_v(
    tmp_path: Path, exit_code: int, verbose: bool, shown: bool
) -> None:
    """frictionless is replaced by a script printing a table and exiting as asked; the package's validator by true."""
    import shutil

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "datapackage.json").write_text("{}")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    frictionless = tmp_path / ".venv" / "bin" / "frictionless"
    frictionless.write_text(f"#!/bin/sh\necho '| name | path | status |'\nexit {exit_code}\n")
    frictionless.chmod(0o755)
    result = _make(tmp_path, "-o", "datapackage.json", "validate", "PY=true", "ARCHIVE=", *(["V=1"] * verbose))
    assert result.returncode == (0 if exit_code == 0 else 2), result.stderr
    assert ("| name | path | status |" in result.stdout) == shown
    assert ("frictionless: datapackage.json valid" in result.stdout) == (exit_code == 0)


def test_diff_looks_refs_up_in_the_user_s_repository_not_the_package_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The package (as installed, or a checkout) sits in a repository tagged v9.0.0; the user stands elsewhere."""
    from conftest import copy_package
    from isis_iraq_syria.cli import main

    pkg = copy_package(tmp_path / "installed" / "pkg")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "installed"], ["tag", "v9.0.0"]):
        subprocess.run([*git, *args], cwd=pkg, check=True)
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.chdir(user)
    assert main(["diff", "v9.0.0", "--root", str(pkg)]) == 2
    assert capsys.readouterr().out == (
        f"cannot diff: v9.0.0: not a zip or a package folder, and {user} is in no git repository to look a ref up "
        "in (--repo names one)\n"
    )
    assert main(["diff", "v9.0.0", "--root", str(pkg), "--repo", str(pkg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["old"]["label"] == "v9.0.0"
