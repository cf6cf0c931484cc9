"""Releases: reproducible, openable by any tool from the zip itself, and refused (writing nothing) when they should
be."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import frictionless
import pytest
from rich.console import Console

from conftest import ROOT, edit, read_rows
from isis_iraq_syria.release import archive_name, build_release, database_name, run
from isis_iraq_syria.schema import Package
from versions import CASES, VERSION, bumped, changed_copy, correct_value, releasable_copy, set_version

# each test builds a release (a zip and a SQLite database) or serves one
pytestmark = pytest.mark.slow

RELEASE = ROOT / "scripts" / "release.py"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"
NAME = archive_name(Package.load(ROOT))
DB = database_name(Package.load(ROOT))


@pytest.fixture
def full(tmp_path: Path) -> Path:
    return releasable_copy(tmp_path / "pkg")


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """dist/ of a release of the package as it is."""
    root = releasable_copy(tmp_path_factory.mktemp("released") / "pkg")
    assert run(root, Console(file=io.StringIO())) == 0
    return root / "dist"


def _release(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RELEASE), "--root", str(root), *args], capture_output=True, text=True, timeout=300, cwd="/"
    )


def _snapshot(*folders: Path) -> dict[Path, bytes]:
    return {
        p: p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()
    }


def test_two_releases_are_byte_identical_wherever_they_are_built(full: Path, tmp_path: Path) -> None:
    here = build_release(Package.load(full)).files
    other = releasable_copy(tmp_path / "elsewhere" / "deeper")
    os.utime(other / "data" / "events.csv", (0, 0))  # timestamps of the inputs do not matter
    there = build_release(Package.load(other)).files
    assert here == there  # the zip, the SQLite database and its metadata alike
    assert set(here) == {f"{NAME}.zip", f"{DB}.sqlite", f"{DB}.datasette.json", "CHANGES.md", "SHA256SUMS"}


def test_checksum_file_verifies_every_file_of_the_release(released: Path) -> None:
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=released, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # every file of the release but the checksum file itself
    assert result.stdout.count(": OK") == len(
        [p for p in released.iterdir() if p.name[0] != "." and p.name != "SHA256SUMS"]
    )


def test_frictionless_validates_every_resource_of_the_zip_itself(released: Path) -> None:
    zip_path = released / f"{NAME}.zip"
    descriptor = json.loads(zipfile.ZipFile(zip_path).read("datapackage.json"))
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(zip_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=released,
    )
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"]
    checked = sorted(task["name"] for task in report["tasks"])
    assert checked == sorted(r["name"] for r in descriptor["resources"]) and all(
        task["valid"] for task in report["tasks"]
    )


def test_frictionless_package_opens_the_zip_and_reads_its_tables(released: Path) -> None:
    package = frictionless.Package(str(released / f"{NAME}.zip"))
    assert package.name == "isis-iraq-syria" and len(package.resources) == 2 * len(
        Package.load(ROOT).tables | Package.load(ROOT).derived
    )
    rows = package.get_table_resource("statistics").read_rows()
    assert len(rows) == len((ROOT / "data" / "statistics.csv").read_text().splitlines()) - 1


def test_zip_has_the_descriptor_at_its_root_and_every_entry_inside(released: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(released / f"{NAME}.zip") as archive:
        names = archive.namelist()
        assert (
            "datapackage.json" in names and "README.md" in names and "CHANGES.json" in names and "CHANGES.md" in names
        )
        assert all(not n.startswith("/") and ".." not in n.split("/") and "\\" not in n for n in names)
        assert all(((info.external_attr >> 16) & 0o777) == 0o644 for info in archive.infolist())
        archive.extractall(tmp_path / "out")
    descriptor = json.loads((tmp_path / "out" / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        data = (tmp_path / "out" / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource.get("bytes", len(data)) == len(data) and ("bytes" in resource) == (resource["format"] == "csv")


def test_zip_readme_is_for_the_downloader_and_names_only_files_in_the_zip(released: Path) -> None:
    with zipfile.ZipFile(released / f"{NAME}.zip") as archive:
        names = set(archive.namelist())
        readme = archive.read("README.md").decode()
    folders = {n.split("/")[0] + "/" for n in names if "/" in n}
    mentioned = set(
        re.findall(
            r"[\w.-]+(?:/[\w.-]+)*\.(?:csv|parquet|json|md|cff|svg|sqlite|zip|txt|py|toml)\b|LICENSE\b|\b[\w-]+/(?=[`\s:])",
            readme,
        )
    )
    missing = {m for m in mentioned if m not in names and m not in folders and m != f"{NAME}.zip"}
    assert not missing, f"the release README names files the zip does not hold: {missing}"
    for link in re.findall(r"\]\((?!https?://)([^)#]+)\)", readme):
        assert link in names, link
    assert not re.search(r"\bmake\b|scripts/|benchmarks|\.venv", readme)
    for heading in ("## What is inside", "## Loading it", "## Checking it"):
        assert heading in readme
    for table in (*Package.load(ROOT).tables, *Package.load(ROOT).derived):  # every table, the wide ones too
        assert f"`data/{table}.csv`" in readme, table


def test_sqlite_has_types_nulls_and_keys_and_passes_its_checks(released: Path) -> None:
    con = sqlite3.connect(f"file:{released / f'{DB}.sqlite'}?mode=ro", uri=True)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    package = Package.load(ROOT)
    for name, table in package.tables.items():
        columns = {row[1]: (row[2], row[5]) for row in con.execute(f'PRAGMA table_info("{name}")')}
        assert list(columns) == table.field_names
        assert [c for c, (_, pk) in sorted(columns.items(), key=lambda kv: kv[1][1]) if pk] == table.primary_key
        declared = {
            tuple(row[3] for row in con.execute(f'PRAGMA foreign_key_list("{name}")') if row[0] == i) for i in range(20)
        } - {()}
        assert declared == {fk.fields for fk in table.foreign_keys}
    types = {row[1]: row[2] for row in con.execute('PRAGMA table_info("statistics")')}
    assert (types["value"], types["period_start"], types["statistic_id"]) == ("REAL", "TEXT", "TEXT")
    csv_empty = sum(
        1 for line in (ROOT / "data" / "statistics.csv").read_text().splitlines()[1:] if line.split(",")[2] == ""
    )
    assert con.execute("SELECT count(*) FROM statistics WHERE value IS NULL").fetchone()[0] == csv_empty > 0
    assert con.execute("SELECT count(*) FROM statistics WHERE value = '' OR geography_id = ''").fetchone()[0] == 0


def test_datasette_metadata_comes_from_the_descriptor(released: Path) -> None:
    meta = json.loads((released / f"{DB}.datasette.json").read_text())
    package = Package.load(ROOT)
    assert meta["license"] == package.descriptor["licenses"][0]["name"] and meta["source"]
    tables = meta["databases"][DB]["tables"]
    assert set(tables) == set(package.tables | package.derived)
    assert (
        tables["statistics"]["columns"]["value"]
        == package.tables["statistics"].field("value").descriptor["description"]
    )


def test_first_release_needs_no_bump_and_says_so(released: Path) -> None:
    changes = json.loads(zipfile.ZipFile(released / f"{NAME}.zip").read("CHANGES.json"))
    assert changes["old"]["label"] == "no previous release" and set(changes["tables"]) == set(
        Package.load(ROOT).tables | Package.load(ROOT).derived
    )


@pytest.mark.parametrize("case", list(CASES))
def test_release_refuses_a_bump_too_small_for_the_changes(released: Path, tmp_path: Path, case: str) -> None:
    _, bump, _, table, too_small = CASES[case]
    root = changed_copy(tmp_path / "pkg", case)
    if too_small is not None:
        set_version(root, bumped(VERSION, too_small))
    (root / "dist").mkdir()
    (root / "dist" / "isis-iraq-syria-0.0.9.zip").write_bytes(b"a file no release wrote")
    before = _snapshot(root)
    result = _release(root, "--previous", str(released / f"{NAME}.zip"))
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("\n") == 1, result.stdout
    assert (
        result.stdout.startswith("release refused: ")
        and table in result.stdout
        and (bump in result.stdout or "not above" in result.stdout)
    )
    assert _snapshot(root) == before  # nothing new, and the file no release wrote is still there


def test_release_with_the_right_bump_writes_the_diff_and_a_changelog_section(released: Path, tmp_path: Path) -> None:
    root = changed_copy(tmp_path / "pkg", "row_added")
    minor = bumped(VERSION, "minor")
    set_version(root, minor)
    name, db = archive_name(Package.load(root)), database_name(Package.load(root))
    assert minor in name and name != NAME
    result = _release(root, "--previous", str(released / f"{NAME}.zip"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"## [{minor}] - " in result.stdout and "`actors`: 1 row(s) added." in result.stdout
    with zipfile.ZipFile(root / "dist" / f"{name}.zip") as archive:
        changes = json.loads(archive.read("CHANGES.json"))
        assert "zz-new-actor" in archive.read("CHANGES.md").decode()
    assert changes["required_bump"] == "minor" and changes["tables"]["actors"]["rows_added"] == ["zz-new-actor"]
    assert sorted(p.name for p in (root / "dist").iterdir()) == sorted(
        [".release-manifest.json", "CHANGES.md", "SHA256SUMS", f"{name}.zip", f"{db}.sqlite", f"{db}.datasette.json"]
    )


def _refused(root: Path, out_of_package: Path, *needles: str, code: int = 1, prefix: str = "release refused: ") -> None:
    outside = _snapshot(out_of_package)
    before = _snapshot(root)
    result = _release(root)
    text = result.stdout + result.stderr
    assert result.returncode == code and "Traceback" not in text, text
    assert result.stdout.startswith(prefix) and result.stdout.count("\n") == 1, result.stdout
    assert all(n in result.stdout for n in needles), result.stdout
    assert _snapshot(root) == before and not (root / "dist").exists()
    assert _snapshot(out_of_package) == outside


@pytest.mark.parametrize("name", ["../../evil", "/tmp/evil", "Evil Name", ""])
def test_unsafe_package_name_is_refused_and_nothing_written_anywhere(full: Path, name: str) -> None:
    path = full / "datapackage.json"
    path.write_text(path.read_text().replace('"name": "isis-iraq-syria"', f'"name": {json.dumps(name)}', 1))
    _refused(full, full.parent, "is not a safe name")


def test_unsafe_version_is_refused(full: Path) -> None:
    path = full / "datapackage.json"
    path.write_text(path.read_text().replace(f'"version": "{VERSION}"', f'"version": "../{VERSION}"', 1))
    _refused(full, full.parent, "is not MAJOR.MINOR.PATCH")


@pytest.mark.parametrize(
    "path,target",
    [("docs/erd.svg", "/proc/self/environ"), ("LICENSE", "/etc/passwd"), ("data/actors.csv", "/etc/hostname")],
)
def test_symlink_to_outside_is_refused(full: Path, path: str, target: str) -> None:
    (full / path).unlink()
    (full / path).symlink_to(target)
    _refused(full, full.parent, path)


def test_resource_path_leaving_the_package_is_refused(full: Path) -> None:
    descriptor = json.loads((full / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = "../../../../etc/passwd"
    (full / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    _refused(full, full.parent, "../../../../etc/passwd", "leaves the package")


def test_stale_descriptor_is_refused(full: Path) -> None:
    descriptor = json.loads((full / "datapackage.json").read_text())
    dropped = descriptor["resources"].pop()["name"]
    (full / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    _refused(full, full.parent, "descriptor.resources", dropped)  # validation names the stale resource


@pytest.mark.parametrize(
    "path,old,new",
    [
        ("CITATION.cff", f'version: "{VERSION}"', f'version: "{bumped(VERSION, "patch")}"'),
        # a static version that differs
        ("pyproject.toml", None, f'[project]\nname = "isis-iraq-syria"\nversion = "{bumped(VERSION, "minor")}"\n'),
        ("CHANGELOG.md", f"## [{VERSION}]", f"## [{bumped(VERSION, 'major')}]"),
    ],
)
def test_version_differing_between_files_is_refused(full: Path, path: str, old: str | None, new: str) -> None:
    (full / path).write_text(new if old is None else (full / path).read_text().replace(old, new, 1))
    _refused(full, full.parent, path)


def test_release_refused_when_package_invalid(full: Path) -> None:
    edit(full, "statistics", read_rows(full, "statistics")[0]["statistic_id"], value="forty")
    console = Console(record=True, width=200)
    assert run(full, console, full / "dist") == 1
    assert not (full / "dist").exists()
    assert "does not validate" in console.export_text()


def test_citation_is_valid_and_names_the_package_version() -> None:
    text = (ROOT / "CITATION.cff").read_text()
    assert f'version: "{Package.load(ROOT).version}"' in text
    cffconvert = os.environ.get("CFFCONVERT") or shutil.which("cffconvert")
    if cffconvert is None:
        pytest.skip("cffconvert is installed by 'make check' in .venv-cff")
    result = subprocess.run(
        [cffconvert, "--validate", "-i", str(ROOT / "CITATION.cff")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zip_entry_leaving_its_folder_cannot_be_written() -> None:
    from isis_iraq_syria.release import zip_bytes
    from isis_iraq_syria.safety import Unsafe

    for name in ("../evil", "/etc/evil", "data/../../evil", "data\\evil"):
        with pytest.raises(Unsafe):
            zip_bytes({name: b"x"})


def test_dist_that_is_a_symlink_is_refused_and_left_alone(full: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "SHA256SUMS").write_text("not ours\n")
    (full / "dist").symlink_to(elsewhere)
    result = _release(full)
    assert result.returncode == 2 and "dist: not a folder" in result.stdout and "Traceback" not in result.stderr
    assert [p.name for p in elsewhere.iterdir()] == ["SHA256SUMS"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


def test_release_compares_with_the_latest_tag(full: Path) -> None:
    _git(full, "init", "-q")
    _git(full, "add", "-A")
    _git(full, "commit", "-qm", VERSION)
    _git(full, "tag", f"v{VERSION}")
    result = _release(full)  # a rebuild of the tagged release, as the release workflow does
    assert result.returncode == 0, result.stdout
    assert "no bump was checked" not in result.stdout
    shutil.rmtree(full / "dist")
    from versions import add_row

    add_row(full)
    patch, minor = bumped(VERSION, "patch"), bumped(VERSION, "minor")
    set_version(full, patch)
    from isis_iraq_syria.build import run as build

    assert build(full, Console(file=io.StringIO())) == 0
    result = _release(full)
    message = f"{VERSION} -> {patch} is a patch bump, but the changes since v{VERSION} need a minor bump"
    assert result.returncode == 1 and message in result.stdout
    set_version(full, minor)
    result = _release(full)
    assert result.returncode == 0 and f"changes since v{VERSION}: minor bump required, minor made" in result.stdout


def test_changed_package_under_an_already_tagged_version_is_refused(full: Path) -> None:
    _git(full, "init", "-q")
    _git(full, "add", "-A")
    _git(full, "commit", "-qm", VERSION)
    _git(full, "tag", f"v{VERSION}")
    correct_value(full)
    from isis_iraq_syria.build import run as build

    assert build(full, Console(file=io.StringIO())) == 0
    result = _release(full)
    assert result.returncode == 1 and f"already released as tag v{VERSION}" in result.stdout


def test_release_checks_quotes_against_the_archive(full: Path, tmp_path: Path) -> None:
    from conftest import make_archive

    archive = make_archive(full, tmp_path / "archive")
    from isis_iraq_syria.build import run as build

    assert build(full, Console(file=io.StringIO())) == 0
    assert _release(full, "--archive", str(archive)).returncode == 0
    shutil.rmtree(full / "dist")
    document = sorted(archive.iterdir())[0]
    document.write_text("nothing the package quotes")
    result = _release(full, "--archive", str(archive))
    assert result.returncode == 1 and "does not validate" in result.stdout and "--archive" in result.stdout


def test_previous_release_kept_in_dist_is_not_deleted(full: Path, released: Path) -> None:
    # copied there by the user: not a file a release wrote, so no release removes it
    (full / "dist").mkdir()
    previous = full / "dist" / f"{NAME}.zip"
    shutil.copy2(released / f"{NAME}.zip", previous)
    set_version(full, bumped(VERSION, "patch"))
    result = _release(full, "--previous", str(previous))
    assert "Traceback" not in result.stdout + result.stderr
    assert previous.read_bytes() == (released / f"{NAME}.zip").read_bytes()
    # written there by a release: the next release replaces it, so it may not be the previous one
    shutil.rmtree(full / "dist")
    set_version(full, VERSION)
    assert _release(full).returncode == 0
    set_version(full, bumped(VERSION, "patch"))
    result = _release(full, "--previous", str(previous))
    assert result.returncode == 1 and "move it elsewhere" in result.stdout and previous.is_file()


def test_descriptor_that_is_a_symlink_is_refused(full: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    shutil.move(full / "datapackage.json", outside)
    (full / "datapackage.json").symlink_to(outside)
    # the package itself cannot be read (exit 2), before any release check
    _refused(full, tmp_path / "pkg", "datapackage.json", "symbolic link", code=2, prefix="cannot release: ")


# --- dist/: only the release's own files, swapped whole ----------------------------------------------------------

USER_FILES = {"my-thesis-backup.zip": b"years of work", "experiment.sqlite": b"SQLite format 3\0 mine"}


def _sums_verify(folder: Path) -> bool:
    return subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True).returncode == 0


def test_a_refused_release_leaves_dist_as_it_was_user_files_and_previous_release(full: Path) -> None:
    dist = full / "dist"
    dist.mkdir()
    for name, data in USER_FILES.items():
        (dist / name).write_bytes(data)
    assert _release(full).returncode == 0
    manifest = json.loads((dist / ".release-manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in dist.iterdir()} - {*USER_FILES, ".release-manifest.json"}
    assert all(hashlib.sha256((dist / n).read_bytes()).hexdigest() == h for n, h in manifest["files"].items())
    released = {p.name: p.read_bytes() for p in dist.iterdir()}
    edit(full, "statistics", read_rows(full, "statistics")[0]["statistic_id"], value="forty")
    result = _release(full)
    assert result.returncode == 1 and f"nothing was written and {dist} is as it was" in result.stdout, result.stdout
    assert {p.name: p.read_bytes() for p in dist.iterdir()} == released  # the previous release and the user's files


def test_release_replaces_only_the_files_its_manifest_lists_with_their_bytes(full: Path) -> None:
    dist = full / "dist"
    assert _release(full).returncode == 0
    (dist / "CHANGES.md").write_text("my own notes, edited after the release\n")
    before = _snapshot(full.parent)
    result = _release(full)  # CHANGES.md is no longer the file the release wrote: it is not replaced
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith("cannot release: ") and f"{dist / 'CHANGES.md'}: not a file a release wrote" in (
        result.stdout
    )
    assert _snapshot(full.parent) == before


def test_out_must_be_new_empty_or_a_release_folder(full: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.zip").write_bytes(b"not a release")
    before = _snapshot(theirs)
    result = _release(full, "--out", str(theirs))
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert f"--out {theirs}: neither empty nor a folder a release wrote" in result.stdout
    assert _snapshot(theirs) == before
    out = tmp_path / "new" / "release"
    assert _release(full, "--out", str(out)).returncode == 0
    assert _release(full, "--out", str(out)).returncode == 0  # its own folder: replaced
    assert _sums_verify(out) and (out / ".release-manifest.json").is_file()


def _fake_release(tag: str) -> dict[str, bytes]:
    files = {f"isis-iraq-syria-{tag}.zip": f"zip {tag}".encode(), "CHANGES.md": f"notes {tag}\n".encode()}
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())).encode()
    return files


def test_a_swap_failing_after_the_zip_leaves_the_previous_release_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from isis_iraq_syria import release_dist as release
    from isis_iraq_syria.schema import CannotRun

    dist = tmp_path / "dist"
    release.write_dist(dist, _fake_release("1.0.0"), "isis-iraq-syria-1.0.0")
    before = _snapshot(dist)
    real, failed = os.replace, []

    def failing(source, target) -> None:
        if Path(target) == dist / "SHA256SUMS" and not failed:  # the new zip is in place by then
            failed.append(target)
            raise OSError(5, "Input/output error", str(target))
        real(source, target)

    monkeypatch.setattr(release.os, "replace", failing)
    with pytest.raises(CannotRun, match=r"SHA256SUMS: Input/output error; .* holds the previous release, unchanged"):
        release.write_dist(dist, _fake_release("2.0.0"), "isis-iraq-syria-2.0.0")
    assert failed and _snapshot(dist) == before and _sums_verify(dist)
    assert not (dist / ".release-staging").exists()


def test_a_swap_killed_midway_is_finished_by_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from isis_iraq_syria import release_dist as release

    dist = tmp_path / "dist"
    release.write_dist(dist, _fake_release("1.0.0"), "isis-iraq-syria-1.0.0")
    (dist / "my-thesis-backup.zip").write_bytes(b"years of work")
    real, moves = os.replace, []

    def killed(source, target) -> None:
        moves.append(target)
        if Path(target) == dist / "CHANGES.md":
            raise KeyboardInterrupt  # not an error the swap undoes: as if the process were killed here
        real(source, target)

    monkeypatch.setattr(release.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        release.write_dist(dist, _fake_release("2.0.0"), "isis-iraq-syria-2.0.0")
    monkeypatch.setattr(release.os, "replace", real)
    assert (dist / ".release-staging").is_dir()
    assert release.recover(dist) == "finished"
    assert sorted(p.name for p in dist.iterdir()) == sorted(
        [*_fake_release("2.0.0"), ".release-manifest.json", "my-thesis-backup.zip"]
    )
    assert _sums_verify(dist) and release.owned_files(dist) == sorted(_fake_release("2.0.0"))


def test_a_staging_folder_no_release_made_is_left_alone(tmp_path: Path) -> None:
    from isis_iraq_syria import release_dist as release
    from isis_iraq_syria.schema import CannotRun

    dist = tmp_path / "dist"
    (dist / ".release-staging").mkdir(parents=True)
    (dist / ".release-staging" / "mine.txt").write_text("mine")
    with pytest.raises(CannotRun, match="not a folder a release made"):
        release.write_dist(dist, _fake_release("1.0.0"), "isis-iraq-syria-1.0.0")
    assert [p.name for p in dist.iterdir()] == [".release-staging"]
    assert (dist / ".release-staging" / "mine.txt").read_text() == "mine"


# --- versions, CHANGELOG.md and CITATION.cff, parsed --------------------------------------------------------------


def test_a_version_with_a_trailing_newline_is_refused(full: Path) -> None:
    descriptor = json.loads((full / "datapackage.json").read_text())
    descriptor["version"] = VERSION + "\n"
    (full / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    _refused(full, full.parent, "version", repr(VERSION + "\n"))


def test_a_changelog_entry_inside_an_html_comment_does_not_count(full: Path) -> None:
    path = full / "CHANGELOG.md"
    text = path.read_text()
    path.write_text(text.replace(f"## [{VERSION}]", f"<!--\n## [{VERSION}]", 1) + "\n-->\n")
    _refused(full, full.parent, f"CHANGELOG.md has no entry '## [{VERSION}]'")


def test_a_citation_that_is_not_valid_yaml_is_refused(full: Path) -> None:
    path = full / "CITATION.cff"
    path.write_text(path.read_text().replace(f'version: "{VERSION}"', f'version: "{VERSION}', 1))
    _refused(full, full.parent, "CITATION.cff is not valid YAML", "line ")


@pytest.mark.parametrize("written", [f"version: '{VERSION}'", f"version: {VERSION}", f'version:   "{VERSION}"  # x'])
def test_a_citation_version_is_read_as_yaml_reads_it(full: Path, written: str) -> None:
    from isis_iraq_syria.release_versions import version_mismatches

    path = full / "CITATION.cff"
    path.write_text(path.read_text().replace(f'version: "{VERSION}"', written, 1))
    assert version_mismatches(full, VERSION) == []
    path.write_text(path.read_text().replace(written, "version: 0.1", 1))  # a YAML number, not the version
    assert version_mismatches(full, VERSION) == ["CITATION.cff says '0.1'"]


def test_an_unreadable_previous_release_is_exit_2_as_in_the_diff(full: Path, tmp_path: Path) -> None:
    bad = tmp_path / "old.zip"
    bad.write_bytes(b"not a zip")
    before = _snapshot(full)
    result = _release(full, "--previous", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert (
        "previous release cannot be read" in result.stdout + result.stderr
        and "old.zip" in result.stdout + result.stderr
    )
    assert _snapshot(full) == before and not (full / "dist").exists()


def test_a_forged_manifest_naming_a_user_s_file_is_refused_and_the_file_stays(tmp_path: Path) -> None:
    from isis_iraq_syria import release_dist as release
    from isis_iraq_syria.schema import CannotRun

    dist = tmp_path / "dist"
    release.write_dist(dist, _fake_release("1.0.0"), "isis-iraq-syria-1.0.0")
    thesis = dist / "my-thesis-backup.zip"
    thesis.write_bytes(b"years of work")
    manifest = json.loads((dist / ".release-manifest.json").read_text())
    manifest["files"][thesis.name] = hashlib.sha256(b"years of work").hexdigest()  # as if a release had written it
    (dist / ".release-manifest.json").write_text(json.dumps(manifest))
    before = _snapshot(dist)
    with pytest.raises(CannotRun) as raised:
        release.write_dist(dist, _fake_release("2.0.0"), "isis-iraq-syria-2.0.0")
    assert str(raised.value) == (
        f"{dist / '.release-manifest.json'}: lists my-thesis-backup.zip, which is not a file of the release it names: "
        "not a manifest a release wrote; nothing was removed: remove it by hand"
    )
    assert _snapshot(dist) == before and not (dist / ".release-staging").exists()


def test_a_forged_journal_naming_a_user_s_file_is_refused_and_the_file_stays(tmp_path: Path) -> None:
    from isis_iraq_syria import release_dist as release
    from isis_iraq_syria.schema import CannotRun

    dist = tmp_path / "dist"
    release.write_dist(dist, _fake_release("1.0.0"), "isis-iraq-syria-1.0.0")
    (dist / "my-thesis-backup.zip").write_bytes(b"years of work")
    staging = dist / ".release-staging"
    (staging / "new").mkdir(parents=True)
    (staging / "written-by-release").write_bytes(b"")
    journal = {"release": "isis-iraq-syria-2.0.0", "token": "0", "files": {}, "old": ["my-thesis-backup.zip"]}
    (staging / "journal.json").write_text(json.dumps({**journal, "old_release": "isis-iraq-syria-1.0.0"}))
    before = _snapshot(dist)
    with pytest.raises(CannotRun, match=r"journal\.json: lists my-thesis-backup\.zip, which is not a file of the"):
        release.recover(dist)
    assert _snapshot(dist) == before and (dist / "my-thesis-backup.zip").read_bytes() == b"years of work"
