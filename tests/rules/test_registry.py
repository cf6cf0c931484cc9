"""The one registry: every rule has a family module, a test module of the same name, and a corruption case there."""

from __future__ import annotations

import importlib

from conftest import ROOT
from isis_iraq_syria.rules import FAMILIES, RULES
from isis_iraq_syria.rules.model import Rule as Declared
from isis_iraq_syria.schema import Package


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


def test_real_package_passes_every_rule(pristine) -> None:
    with_archive, with_parity = pristine
    assert with_archive.failures == []
    assert with_parity.failures == []
    assert set(with_archive.rules_run) | set(with_parity.rules_run) == {r.id for r in RULES}


def test_rules_declare_only_free_text_columns_they_may_read() -> None:
    prose = {f"{name}.{column}" for name, table in Package.load(ROOT).tables.items() for column in table.prose}
    declared = {column for rule in RULES for column in getattr(rule, "prose", ()) if column != "*"}
    assert declared and declared <= prose
    assert "events.description" in prose and "events.event_id" not in prose and "qualifiers.phrase" not in prose  # a key is not prose
