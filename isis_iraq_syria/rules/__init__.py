"""The package's rules, each a named declaration (rules/model.py): id, reason, message, the query of its failing
rows and a failing example; one module per family.

`RULES` is the one registry: every rule the validator runs or the reading carries out, in the order reports list them.
`DERIVED` names the tables the queries join that are computed from the package in Python (dates resolved, ISO codes).
"""

from __future__ import annotations

from . import (
    arithmetic,
    basis,
    basis_dates,
    descriptor,
    hygiene,
    parity,
    provenance,
    references,
    relations,
    spans,
    structure,
    temporal,
)
from .model import Rule
from .provenance import numbers_in

FAMILIES = (
    structure,
    descriptor,
    arithmetic,
    references,
    relations,
    temporal,
    provenance,
    basis,
    basis_dates,
    spans,
    hygiene,
    parity,
)
RULES: list[Rule] = [rule for family in FAMILIES for rule in family.RULES]
RULES_BY_ID = {rule.id: rule for rule in RULES}
DERIVED: dict = {name: make for family in FAMILIES for name, make in getattr(family, "DERIVED", {}).items()}

__all__ = ["DERIVED", "FAMILIES", "RULES", "RULES_BY_ID", "Rule", "numbers_in"]
