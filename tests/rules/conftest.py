"""The harness every rule family's tests share: the real package, and a check that a corrupted copy fails a rule."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from conftest import copy_package, make_archive, rule_hits, run
from isis_iraq_syria.rules import RULES_BY_ID

Mutation = Callable[[Path], None]
Where = tuple[str, str, str]  # (resource, key, column) a failure must name


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory):
    """The real package validated with an archive of its own quotes, and with its Parquet twins."""
    root = copy_package(tmp_path_factory.mktemp("pristine") / "pkg")
    archive = make_archive(root, root.parent / "archive")
    return run(root, archive, parity=False), run(copy_package(tmp_path_factory.mktemp("pristine2") / "pkg"))


def assert_caught(rule_id: str, mutate: Mutation, where: Where, pkg: Path, pristine) -> None:
    """The real package passes the rule; the mutated copy fails it, at `where`, with one-sentence messages."""
    assert not rule_hits(pristine[0], rule_id) and not rule_hits(pristine[1], rule_id)
    mutate(pkg)
    hits = rule_hits(run(pkg, parity=RULES_BY_ID[rule_id].stage == "parity"), rule_id)
    assert hits, f"{rule_id} reported nothing"
    assert where in {(f.resource, f.key, f.column) for f in hits}
    assert all(f.message and f.message.endswith(".") for f in hits)


def assert_caught_with_archive(rule_id: str, mutate: Mutation, where: Where, pkg: Path) -> None:
    archive = make_archive(pkg, pkg.parent / "archive")
    assert not rule_hits(run(pkg, archive, parity=False), rule_id)
    mutate(pkg)
    hits = rule_hits(run(pkg, archive, parity=False), rule_id)
    assert where in {(f.resource, f.key, f.column) for f in hits}
