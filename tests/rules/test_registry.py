"""The one registry: every rule has a family module, a test module of the same name, and a corruption case there."""

from __future__ import annotations

import importlib

import pytest

from isis_iraq_syria.rules import FAMILIES, RULES
from isis_iraq_syria.rules.model import Rule as Declared


def _family_tests(family) -> object:
    return importlib.import_module(f"rules.test_{family.__name__.rsplit('.', 1)[-1]}")


def test_every_rule_has_an_example_or_a_corruption_case_in_its_familys_tests() -> None:
    for family in FAMILIES:
        tests = _family_tests(family)
        cases = set(getattr(tests, "CASES", {})) | set(getattr(tests, "ARCHIVE_CASES", {}))
        declared = {r.id for r in family.RULES if isinstance(r, Declared) and r.example is not None}
        assert cases | declared == {r.id for r in family.RULES} and not cases & declared, family.__name__


def test_rule_ids_are_unique() -> None:
    assert len({r.id for r in RULES}) == len(RULES)


@pytest.mark.slow  # each rule alone on the real package: tests/rules/test_declarations.py
def test_real_package_passes_every_rule(pristine) -> None:
    with_archive, with_parity = pristine
    assert with_archive.failures == []
    assert with_parity.failures == []
    assert set(with_archive.rules_run) | set(with_parity.rules_run) == {r.id for r in RULES}
