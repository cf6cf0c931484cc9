"""The package's rules, each a named record: id, one-line reason, tolerance, and a check; one module per family.

`RULES` is the one registry: every rule the validator runs or the reading carries out, in the order reports list them.
"""

from __future__ import annotations

from . import arithmetic, basis, hygiene, parity, provenance, references, structure, temporal
from .base import Context, Rule
from .provenance import load_archive, numbers_in

FAMILIES = (structure, arithmetic, references, temporal, provenance, basis, hygiene, parity)
RULES: list[Rule] = [rule for family in FAMILIES for rule in family.RULES]
RULES_BY_ID = {rule.id: rule for rule in RULES}

__all__ = ["FAMILIES", "RULES", "RULES_BY_ID", "Context", "Rule", "load_archive", "numbers_in"]
