"""The release's SQLite database served by Datasette on a free local port: a table page and a foreign-key link."""

from __future__ import annotations

import html
import io
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rich.console import Console

from conftest import ROOT
from isis_iraq_syria.release import database_name, run
from isis_iraq_syria.schema import Package
from versions import releasable_copy

# each test builds a release (a zip and a SQLite database) or serves one
pytestmark = pytest.mark.slow

DATASETTE = Path(sys.executable).parent / "datasette"
START_TIMEOUT, FETCH_TIMEOUT, STOP_TIMEOUT = 60, 10, 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
        assert response.status == 200
        return response.read().decode()


@pytest.fixture
def server(tmp_path: Path):
    if not DATASETTE.exists():
        pytest.skip("datasette is installed by make into .venv")
    root = releasable_copy(tmp_path / "pkg")
    assert run(root, Console(file=io.StringIO())) == 0
    name = database_name(Package.load(root))
    port = _free_port()
    process = subprocess.Popen(
        [
            str(DATASETTE),
            "serve",
            "--immutable",
            str(root / "dist" / f"{name}.sqlite"),
            "--metadata",
            str(root / "dist" / f"{name}.datasette.json"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                _get(f"{base}/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "datasette did not answer in time"
                time.sleep(0.2)
        yield base, name
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def test_datasette_serves_a_table_and_follows_a_foreign_key(server) -> None:
    base, name = server
    databases = _get(f"{base}/.json")
    path = re.search(r'"path":\s*"(/[^"]+)"', databases).group(1)  # Datasette's own spelling of the database's name
    page = _get(f"{base}{path}/statistics")
    assert Package.load(ROOT).tables["statistics"].description in html.unescape(page)  # from the metadata
    assert path == f"/{name}"  # no dot in the name, so no tilde-encoding in the links
    link = re.search(rf'href="({re.escape(path)}/indicators/[^"]+)"', page)
    assert link, "no foreign-key link from statistics to indicators"
    row = _get(base + link.group(1).replace("&amp;", "&"))
    assert "indicator_id" in row
