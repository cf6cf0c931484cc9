"""The one registry: every rule has a family module, a test module of the same name, and a corruption case there."""

from __future__ import annotations

import importlib

import pytest

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


@pytest.mark.slow  # each rule alone on the real package: tests/rules/test_declarations.py
def test_real_package_passes_every_rule(pristine) -> None:
    with_archive, with_parity = pristine
    assert with_archive.failures == []
    assert with_parity.failures == []
    assert set(with_archive.rules_run) | set(with_parity.rules_run) == {r.id for r in RULES}


def _regex_patterns_from_columns(sql: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    kinds = (exp.RegexpLike, exp.RegexpILike, exp.RegexpExtract, exp.RegexpReplace, exp.RegexpSplit, exp.SimilarTo)
    tree = sqlglot.parse_one(sql, read="duckdb")
    return [node.sql("duckdb") for node in tree.find_all(*kinds) if not isinstance(node.expression, exp.Literal)]


def test_rejects_a_regular_expression_built_from_a_column() -> None:
    # a pattern built from each row is compiled once per row (minutes at a million rows): a vocabulary is matched
    # as words (rules.model.words) instead
    assert _regex_patterns_from_columns("SELECT regexp_matches(q.quote, '\\b' || w.word) FROM q, w")
    assert not _regex_patterns_from_columns("SELECT regexp_matches(q.quote, '[0-9]+') FROM q")


def test_no_rule_compiles_a_regular_expression_per_row() -> None:
    package = Package.load()
    found = {r.id: bad for r in RULES if (sql := r.query(package)) and (bad := _regex_patterns_from_columns(sql))}
    assert found == {}
