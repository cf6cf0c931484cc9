"""Structure: the rules carried out while reading the CSVs (file) and by the Pandera schema derived from each Table
Schema (schema). The reading and the schema carry them out (tables.py, validate.py); they are declared here so that
every rule id has one definition."""

from __future__ import annotations

from .base import Rule

RULES: list[Rule] = [
    Rule("file.empty", "A CSV has at least its header row.", stage="file"),
    Rule("file.encoding", "A CSV is UTF-8 without a byte-order mark.", stage="file"),
    Rule("file.line_endings", "A CSV uses LF line endings.", stage="file"),
    Rule("file.header", "A CSV's header names its schema's fields, in order.", stage="file"),
    Rule("file.ragged_row", "Every row has as many cells as the header.", stage="file"),
    Rule("schema.type", "Every cell parses as its field's type (integer, number, boolean, YYYY-MM-DD date).", stage="schema"),
    Rule("schema.required", "Required fields are not empty.", stage="schema"),
    Rule("schema.enum", "A field with allowed values holds one of them.", stage="schema"),
    Rule("schema.pattern", "A field with a pattern matches it.", stage="schema"),
    Rule("schema.length", "Text respects its field's minimum and maximum length (quotes at most 300 characters).", stage="schema"),
    Rule("schema.range", "Numbers respect their field's minimum and maximum.", stage="schema"),
    Rule("schema.unique", "Primary keys, unique keys and unique fields have no duplicates.", stage="schema"),
    Rule("ref.foreign_key", "Every foreign key resolves to a row of the table it references.", stage="schema"),
]
