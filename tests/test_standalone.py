"""A release stands on its own: `isis-iraq-syria validate` checks the unzipped folder or the zip where the user
stands, with no build to re-derive its files, and every code block of the zip's README runs as it stands."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from conftest import ROOT
from isis_iraq_syria.locate import unpack
from isis_iraq_syria.release import archive_name, database_name, run
from isis_iraq_syria.release_readme import release_readme
from isis_iraq_syria.schema import CannotRun, Package
from versions import releasable_copy

PACKAGE = Package.load(ROOT)
NAME, DB = archive_name(PACKAGE), database_name(PACKAGE)
FENCE = re.compile(r"(?:<!-- readme-test: (?P<context>[\w-]+) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.DOTALL)
# the zip's README as a release of this package writes it: its blocks are known before any release is built
BLOCKS = [
    (m.group("lang"), m.group("context"), m.group("code"))
    for m in FENCE.finditer(release_readme(PACKAGE, NAME, DB, has_previous=False))
]
BIN = Path(sys.executable).parent  # frictionless and isis-iraq-syria, as the user installs them


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release's files as downloaded, with the zip unpacked beside them into a folder of its name."""
    root = releasable_copy(tmp_path_factory.mktemp("released") / "pkg")
    out = tmp_path_factory.mktemp("download")
    assert run(root, Console(file=io.StringIO()), out_dir=out) == 0
    with zipfile.ZipFile(out / f"{NAME}.zip") as archive:
        archive.extractall(out / NAME)
    return out


def _validate(*args: str, cwd: Path, tmp: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TMPDIR": str(tmp)} if tmp else None
    return subprocess.run(
        [BIN / "isis-iraq-syria", "validate", *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env
    )


@pytest.mark.slow
def test_validate_in_the_unzipped_release_folder_checks_that_folder(download: Path) -> None:
    result = _validate(cwd=download / NAME)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"validating the package in this folder ({download / NAME}); no build here")
    assert re.search(
        r"^valid: \d+ rules over \d+ rows in \d+ tables \(4 archive rules skipped: no --archive\)$",
        result.stdout,
        re.MULTILINE,
    )


@pytest.mark.slow
def test_validate_reads_the_zip_itself_and_leaves_nothing_behind(download: Path, tmp_path: Path) -> None:
    # a temporary folder of its own: other tests running beside it make theirs in the machine's
    (tmp_path / "tmp").mkdir()
    (tmp_path / "here").mkdir()
    result = _validate(str(download / f"{NAME}.zip"), cwd=tmp_path / "here", tmp=tmp_path / "tmp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"validating the release zip {download / NAME}.zip; no build here")
    assert list((tmp_path / "tmp").iterdir()) == [] and list((tmp_path / "here").iterdir()) == []


@pytest.mark.slow
def test_a_file_changed_after_the_release_fails_against_the_descriptor(download: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(download / NAME, tmp_path / "copy")
    csv = folder / "data" / "actors.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Agencies (unnamed)", b"Agencies (not named)"))
    result = _validate(str(folder), "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"message": "Resource actors differs from its files (bytes, hash): the file changed after the release."' in (
        result.stdout
    )
    # --no-parity, which skips the hashes with the twins, is for a checkout whose build is under way: refused here
    refused = _validate(str(folder), "--no-parity", cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--no-parity is for a checkout" in refused.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "context", "code"),
    BLOCKS,
    ids=[f"{i}-{lang}-{context or 'folder'}" for i, (lang, context, _) in enumerate(BLOCKS)],
)
def test_zip_readme_code_block_runs(download: Path, monkeypatch, lang: str, context: str | None, code: str) -> None:
    folder = download if context == "download" else download / NAME
    monkeypatch.chdir(folder)
    if lang == "python":
        exec(compile(code, "README.md", "exec"), {"__name__": "__main__"})
    elif lang == "sql":
        import duckdb

        assert duckdb.connect().sql(code).fetchall()
    elif lang == "r":
        result = subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, cwd=folder)
        assert result.returncode == 0, result.stderr
    else:
        env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code], capture_output=True, text=True, cwd=folder, env=env, timeout=600
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_zip_readme_has_a_block_for_each_reader_and_no_arrow_for_r() -> None:
    assert {lang for lang, _, _ in BLOCKS} == {"python", "sql", "r", "sh"}
    readme = release_readme(PACKAGE, NAME, DB, has_previous=False)
    assert "arrow::" not in readme and 'source("R/read_package.R")' in readme


@pytest.mark.slow
def test_pandas_recipe_gives_the_same_typed_frame_from_parquet_and_csv_for_every_table(
    download: Path, monkeypatch
) -> None:
    """The zip README's pandas block, run for every table: dates as datetime64[ms], an all-empty column typed as its
    schema says, and the Parquet and CSV recipes equal, cell for cell and type for type."""
    import pandas as pd

    code = next(code for lang, _, code in BLOCKS if lang == "python" and "read_csv" in code)
    shown = re.search(r"schemas/(\w+)\.schema\.json", code).group(1)
    monkeypatch.chdir(download / NAME)
    empty_columns = 0
    for table in PACKAGE.tables.values():
        found: dict = {"__name__": "__main__"}
        exec(code.replace(shown, table.name), found)
        pd.testing.assert_frame_equal(found["from_parquet"], found["from_csv"])
        for field in table.fields:
            dtype = str(found["from_csv"][field.name].dtype)
            want = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
            assert dtype == want.get(field.type, "datetime64[ms]"), (table.name, field.name, dtype)
            empty_columns += found["from_csv"][field.name].isna().all()
    assert empty_columns, "no table has an empty column: the check of its type checks nothing"


@pytest.mark.slow
def test_zip_carries_the_r_reader_the_v1_descriptor_and_the_hub_metadata(download: Path) -> None:
    hubs = ("croissant.json", "dataset.jsonld", "annotations.jsonld")
    for path in ("R/read_package.R", "datapackage-v1.json", *hubs):
        assert (download / NAME / path).read_bytes() == (ROOT / path).read_bytes()


def _zip(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16  # a symbolic link
            archive.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    ("members", "link", "said"),
    [
        ({"../evil": b"x", "datapackage.json": b"{}"}, None, "'../evil'"),
        ({"datapackage.json": b"{}"}, "data/actors.csv", "symbolic link"),
        ({"data/actors.csv": b"x"}, None, "no datapackage.json at its root"),
        ({"a/datapackage.json": b"{}", "b/x": b""}, None, "no datapackage.json at its root"),
    ],
)
def test_a_hostile_zip_is_refused_before_anything_leaves_its_folder(
    tmp_path: Path, members: dict[str, bytes], link: str | None, said: str
) -> None:
    into = tmp_path / "into"
    into.mkdir()
    with pytest.raises(CannotRun, match=re.escape(said)):
        unpack(_zip(tmp_path / "x.zip", members, link), into)
    assert not (tmp_path / "evil").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["into", "x.zip"]


def test_a_zip_with_its_package_in_one_top_folder_is_read_there(tmp_path: Path) -> None:
    into = tmp_path / "into"
    into.mkdir()
    assert unpack(_zip(tmp_path / "x.zip", {"pkg/datapackage.json": b"{}"}), into) == into / "pkg"


@pytest.mark.parametrize(
    ("bound", "value", "said"),
    [
        ("MAX_MEMBERS", 3, "4 members, more than the 3 a package may hold"),
        ("MAX_PACKAGE_BYTES", 10, "declares more than the 10 bytes a package may hold"),
        ("MAX_MEMBER_BYTES", 9, "data/actors.csv declares more than the 9 bytes a file may"),
    ],
)
def test_validate_counts_and_sizes_a_zip_s_members_before_reading_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bound: str,
    value: int,
    said: str,
) -> None:
    """The bounds are the diff's (safety.py); a smaller one stands for a zip of a million members or a zip bomb."""
    from isis_iraq_syria import locate
    from isis_iraq_syria.cli import main

    members = {"datapackage.json": b"{}", "data/actors.csv": b"id\n" + b"x\n" * 5, "a": b"", "b": b""}
    path = _zip(tmp_path / "x.zip", members)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k)
    )
    monkeypatch.setattr(locate, bound, value)
    monkeypatch.setattr(locate.tempfile, "tempdir", str(tmp_path))  # where the unpacked copy would be
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().out == f"cannot validate: {path}: {said}\n"
    assert opened == [] and sorted(p.name for p in tmp_path.iterdir()) == ["x.zip"]
