"""Every code block of README.md that a user would paste is run, so that the documentation cannot drift.

python and sql blocks run from the checkout's top folder in the test's own Python (each in a fresh namespace,
which spares starting Python and importing pandas for each); R blocks with
Rscript; sh blocks in bash, with `pip` and `python` those of a fresh virtual environment (pip there is `uv pip`, the
same command line, to keep the tests fast). A comment `<!-- readme-test: CONTEXT -->` on the line before a block
says where it runs instead: `release` in a folder holding the release's two files, `dry-run` with make's dry run
(`make -n`: the quick start's `make test` is what runs this test).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from conftest import ROOT

RUNNABLE = {"python", "sql", "sh", "r"}
FENCE = re.compile(r"(?:<!-- readme-test: (?P<context>[\w-]+) -->\n)?```(?P<lang>[\w-]*)\n(?P<code>.*?)```", re.DOTALL)
BLOCKS = [
    (
        m.group("lang").lower(),
        m.group("context"),
        m.group("code"),
        ROOT.joinpath("README.md").read_text()[: m.start()].count("\n") + 1,
    )
    for m in FENCE.finditer((ROOT / "README.md").read_text(encoding="utf-8"))
]
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def _run(args, **kwargs) -> None:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def _shell_env(tmp: Path) -> dict[str, str]:
    venv = tmp / "venv"
    subprocess.run([UV, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    bin_ = tmp / "bin"
    bin_.mkdir()
    (bin_ / "pip").write_text(f'#!/bin/sh\nexec "{UV}" pip "$@" --quiet --python "{venv}/bin/python"\n')
    (bin_ / "pip").chmod(0o755)
    return {**os.environ, "PATH": f"{bin_}:{venv}/bin:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}


def _release_folder(tmp: Path) -> Path:
    from isis_iraq_syria.release import run

    folder = tmp / "download"
    assert run(ROOT, Console(quiet=True), out_dir=folder) == 0
    return folder


def test_every_code_block_has_a_language() -> None:
    assert BLOCKS and all(lang for lang, *_ in BLOCKS), (
        "a code block without a language cannot be run: add one (text if it is output)"
    )


def _block(lang: str, context: str | None, code: str, line: int):
    # a shell block runs in a fresh virtual environment and may install the package or build a release: make check
    slow = lang == "sh" and context != "dry-run"
    return pytest.param(lang, context, code, line, id=f"line{line}-{lang}", marks=pytest.mark.slow if slow else ())


@pytest.mark.parametrize(("lang", "context", "code", "line"), [_block(*b) for b in BLOCKS if b[0] in RUNNABLE])
def test_readme_code_block_runs(
    tmp_path: Path, monkeypatch, lang: str, context: str | None, code: str, line: int
) -> None:
    monkeypatch.chdir(ROOT)
    if lang == "python":
        exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__main__"})
    elif lang == "sql":
        import duckdb

        duckdb.connect().sql(code).fetchall()
    elif lang == "r":
        rscript = shutil.which("Rscript")
        if rscript is None:
            if os.environ.get("CI") == "true":
                pytest.fail("Rscript is not installed, and CI must run the README's R (.ci/run installs it)")
            pytest.skip("Rscript is not installed (apt-get install r-base-core r-cran-readr r-cran-jsonlite)")
        _run([rscript, "--vanilla", "-e", code], cwd=ROOT)
    elif context == "dry-run":
        _run(["bash", "-euo", "pipefail", "-c", 'make() { command make -n "$@" >/dev/null; }\n' + code], cwd=ROOT)
    else:
        if UV is None:
            pytest.skip("uv is not installed: run make")
        cwd = _release_folder(tmp_path) if context == "release" else ROOT
        _run(["bash", "-euo", "pipefail", "-c", code], cwd=cwd, env=_shell_env(tmp_path))
