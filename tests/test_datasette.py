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


@pytest.mark.slow  # a release is built and served
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


@pytest.mark.slow  # a release is built and served
def test_datasette_footer_names_the_documents_without_escapes(server) -> None:
    base, _ = server
    page = html.unescape(_get(f"{base}/"))
    footer = page[page.index("<footer") :]
    assert "Shafaq News" in footer and "Devdiscourse News Desk" in footer
    assert "\\" not in footer and "'reconstitute'" in footer


def test_datasette_metadata_holds_no_escaped_quote() -> None:
    """The footer shows the metadata's license and sources as they are written: a backslash before a quote there is
    one the descriptor holds, not JSON's escaping."""
    from isis_iraq_syria.sqlite import datasette_metadata

    meta = datasette_metadata(Package.load(ROOT), "db")
    for key in ("title", "description", "license", "source"):
        assert "\\" not in meta[key], (key, meta[key])
    assert meta["source"].count("Shafaq News") == 1 and "Devdiscourse" in meta["source"]
