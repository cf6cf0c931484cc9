"""What the rule families' tests share: the real package validated whole, and the type of a corruption."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import copy_package, make_archive, run

Mutation = Callable[[Path], None]


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory):
    """The real package validated with an archive of its own quotes, and with its Parquet twins."""
    root = copy_package(tmp_path_factory.mktemp("pristine") / "pkg")
    archive = make_archive(root, root.parent / "archive")
    return run(root, archive, parity=False), run(copy_package(tmp_path_factory.mktemp("pristine2") / "pkg"))
