"""Each declared rule tested from its own declaration: the real package passes it, and its example (a small
corruption of the real package) makes it report exactly the failures the example lists, no more."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_package, make_archive
from isis_iraq_syria.report import Report
from isis_iraq_syria.rules import RULES
from isis_iraq_syria.rules.model import Rule, apply_changes
from isis_iraq_syria.schema import Package
from isis_iraq_syria.validate import check_rule

DECLARED = [rule for rule in RULES if isinstance(rule, Rule)]
EXAMPLES = [rule for rule in DECLARED if rule.example is not None]


def _run(rule: Rule, root: Path, archive: Path | None) -> list:
    return check_rule(Package.load(root), rule, archive)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path | None]]:
    """The real package as it is, and a copy with an archive rebuilt from its quotes (which records the archive's
    hashes in sources, so that its Parquet twins no longer match)."""
    plain = copy_package(tmp_path_factory.mktemp("real") / "pkg")
    archived = copy_package(tmp_path_factory.mktemp("archived") / "pkg")
    return {"plain": (plain, None), "archived": (archived, make_archive(archived, archived.parent / "archive"))}


@pytest.fixture(scope="module")
def verdict(real: dict[str, tuple[Path, Path | None]]) -> Report:
    """The whole validator on the real package, read once (the archive rules run alone, on the archived copy)."""
    from isis_iraq_syria.validate import validate

    return validate(Package.load(real["plain"][0]))


@pytest.mark.parametrize("rule", DECLARED, ids=lambda rule: rule.id)
def test_real_package_passes_the_rule(rule: Rule, verdict: Report, real: dict[str, tuple[Path, Path | None]]) -> None:
    if rule.stage == "archive":
        assert _run(rule, *real["archived"]) == []
        return
    assert rule.id in verdict.rules_run
    assert [f for f in verdict.failures if f.rule == rule.id] == []


@pytest.mark.parametrize("rule", EXAMPLES, ids=lambda rule: rule.id)
def test_example_fails_the_rule_exactly_where_it_says(rule: Rule, tmp_path: Path) -> None:
    root = copy_package(tmp_path / "pkg")
    archive = make_archive(root, tmp_path / "archive") if rule.example.archive else None
    apply_changes(root, rule.example.changes)
    failures = _run(rule, root, archive)
    assert sorted({(f.resource, f.key, f.column) for f in failures}) == sorted(set(rule.example.fails))
    assert len(failures) == len(set(failures)), "a failure is reported twice"
    for failure in failures:  # one sentence, naming the rule
        assert failure.rule == rule.id and failure.message.endswith(".") and "\n" not in failure.message


def _everything(rule: Rule, tmp_path: Path) -> set[tuple[str, str, str, str]]:
    """Every failure of the whole validator on the rule's example: with an archive of the package's own quotes (so
    the archive rules run), and with the Parquet comparison only for a parity example (the CSVs are edited, their
    twins are not)."""
    from isis_iraq_syria.validate import validate

    root = copy_package(tmp_path / "pkg")
    parity = rule.stage == "parity"
    archive = None if parity else make_archive(root, tmp_path / "archive")
    apply_changes(root, rule.example.changes)
    report = validate(Package.load(root), archive, parity=parity)
    return {(f.rule, f.resource, f.key, f.column) for f in report.failures}


@pytest.mark.slow
@pytest.mark.parametrize("rule", [r for r in EXAMPLES if r.stage != "file"], ids=lambda rule: rule.id)
def test_example_causes_exactly_the_failures_it_declares(rule: Rule, tmp_path: Path) -> None:
    """What synth plants and expects: the rule's own failures, and those of other rules the example declares."""
    found = _everything(rule, tmp_path)
    own = {(rule.id, *where) for where in rule.example.fails}
    also = tuple(sorted(f for f in found if f[0] != rule.id))
    assert found == own | set(rule.example.also), f"also={also!r}"
