"""A build killed at random points (SIGKILL, as the OOM killer or a power cut would) leaves, once the next run has
recovered, either the old package or the new one, valid, and no stray file.

The old package is valid and complete but its generated files differ in bytes from what the build writes (its twins
written with another compression, its descriptor with another indentation), so the build rewrites all of them: a kill
can fall between any two. The build runs in its own Python, which announces each file operation and waits
a few milliseconds: the test kills it before a randomly chosen one, so that kills spread over the whole write,
commit, swap and clean-up.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, copy_package
from isis_iraq_syria import build
from isis_iraq_syria.schema import STAGING, Package
from isis_iraq_syria.validate import validate
from test_hostile import tree

ITERATIONS = 24
DELAY = 0.02  # seconds each write, rename and removal of the killed build waits once announced

DRIVER = f"""
import os, shutil, sys, time
sys.path.insert(0, {str(ROOT)!r})
from isis_iraq_syria import build
from isis_iraq_syria.cli import script_main

def announced(f):
    # each write, rename and removal is announced, then waits a little: a kill sent on the announcement lands
    # after the operations before it and before this one
    def wrapper(*args, **kwargs):
        print("op", flush=True)
        time.sleep({DELAY})
        return f(*args, **kwargs)
    return wrapper

build._write = announced(build._write)
os.replace = announced(os.replace)
shutil.rmtree = announced(shutil.rmtree)
sys.exit(script_main(build.run, sys.argv[1], "cannot build"))
"""


def _old_package(root: Path) -> None:
    """Valid, but every twin of a curated table and both descriptors differ in bytes from the build's (a derived
    table's twin must be the build's own bytes for the package to be valid)."""
    derived = Package.load(root).derived
    for parquet in (root / "data").glob("*.parquet"):
        if parquet.stem in derived:
            continue
        pq.write_table(pq.read_table(parquet), parquet, compression="snappy")
    for name in ("datapackage.json", "datapackage-v1.json"):
        descriptor = json.loads((root / name).read_text())
        for resource in descriptor["resources"]:  # the twins' new bytes, so that the old package stays valid
            if "hash" in resource:
                resource["hash"] = "sha256:" + hashlib.sha256((root / resource["path"]).read_bytes()).hexdigest()
        (root / name).write_text(json.dumps(descriptor, indent=1))


@pytest.mark.slow
def test_a_killed_build_leaves_the_old_or_the_new_package_and_no_stray_file(tmp_path: Path) -> None:
    old = copy_package(tmp_path / "old")
    _old_package(old)
    assert validate(Package.load(old)).valid
    new = copy_package(tmp_path / "new")
    _old_package(new)
    import io

    from rich.console import Console

    assert build.run(new, Console(file=io.StringIO())) == 0
    old_tree, new_tree = tree(old), tree(new)
    generated = {f"data/{name}.parquet" for name in Package.load(old).tables} | {
        "datapackage.json",
        "datapackage-v1.json",
    }
    assert {p for p in old_tree if old_tree[p] != new_tree.get(p)} == generated  # every twin and both descriptors
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    # a full build's operations: each file written to staging and the manifest, each renamed in, the staging removed
    operations = 2 * (len(generated) + 1) + 1
    rng = random.Random(20261201)
    outcomes = {"old": 0, "new": 0}
    recovered = {None: 0, "discarded": 0, "finished": 0}
    for _ in range(ITERATIONS):
        pkg = tmp_path / "pkg"
        subprocess.run(["rm", "-rf", str(pkg)], check=True)
        subprocess.run(["cp", "-a", str(old), str(pkg)], check=True)
        process = subprocess.Popen(
            [sys.executable, str(driver), str(pkg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        if rng.random() < 0.2:  # somewhere in validation, before anything is written
            time.sleep(rng.uniform(0.3, 1.0))
        else:  # before a random one of the build's file operations (staging, commit, swap, clean-up), or after all
            stop = rng.randint(1, operations + 1)
            for _ in range(stop):
                if process.stdout.readline() != "op\n":
                    break
        process.send_signal(signal.SIGKILL)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        recovered[build.recover(pkg)] += 1  # what the next run does first
        state = tree(pkg)
        assert state in (old_tree, new_tree), sorted(
            p for p in set(state) | set(old_tree) if state.get(p) != old_tree.get(p)
        )
        assert not (pkg / STAGING).exists()
        outcomes["old" if state == old_tree else "new"] += 1
        assert validate(Package.load(pkg)).valid
    print(f"kills: {ITERATIONS}, package after recovery: {outcomes}, recovery: {recovered}")
    # the kills fell on both sides of the commit, and some were recovered each way
    assert outcomes["old"] and outcomes["new"], outcomes
    assert recovered["discarded"] and recovered["finished"], recovered
