"""Hygiene rules beyond their examples (rules/hygiene.py): each character class, look-alike ids, clean non-ASCII
text."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import edit, only, read_rows, run, write_rows
from isis_iraq_syria.rules import RULES_BY_ID
from isis_iraq_syria.schema import Package


@pytest.mark.parametrize(
    ("change", "rule_id"),
    [
        (dict(notes="\u2066isolated\u2069"), "hygiene.bidi_controls"),
        pytest.param(dict(notes="a\u200fb"), "hygiene.bidi_controls", marks=pytest.mark.slow),
        (dict(notes="soft\u00adhyphen"), "hygiene.invisible_chars"),
        pytest.param(dict(notes="word\u2060joiner"), "hygiene.invisible_chars", marks=pytest.mark.slow),
        pytest.param(dict(notes="bom\ufeffinside"), "hygiene.invisible_chars", marks=pytest.mark.slow),
        pytest.param(dict(notes="tag\U000e0041"), "hygiene.invisible_chars", marks=pytest.mark.slow),
        (dict(notes="\uff1dHYPERLINK(1)"), "hygiene.formula_injection"),  # full-width =
        (dict(notes="line\u2028separator"), "hygiene.control_chars"),
        pytest.param(dict(notes="khmer\u17b4vowel"), "hygiene.invisible_chars", marks=pytest.mark.slow),
        pytest.param(dict(notes="\u2800braille blank"), "hygiene.invisible_chars", marks=pytest.mark.slow),
    ],
)
def test_each_unicode_class_is_caught_in_free_text(change: dict, rule_id: str, pkg: Path) -> None:
    edit(pkg, "actors", "reuters", **change)
    assert [(f.key, f.column) for f in only(pkg, rule_id)] == [("reuters", "notes")]


# full-width digits, Cyrillic De, math bold zero
@pytest.mark.parametrize("new_id", ["D\uff10\uff101", "\u0414001", "D\U0001d7ce01"])
def test_ids_with_look_alike_characters_are_caught(new_id: str, pkg: Path) -> None:
    edit(pkg, "discrepancies", "D001", discrepancy_id=new_id)
    assert [f.key for f in only(pkg, "hygiene.ascii_ids")] == [new_id]


@pytest.mark.slow
def test_non_ascii_free_text_that_is_clean_passes_the_unicode_rules(pkg: Path) -> None:
    edit(pkg, "actors", "reuters", notes="Agence de presse, «Reuters» — Londres (رويترز)")
    report = run(pkg, parity=False)
    assert not [f for f in report.failures if f.rule.startswith("hygiene.")]


def test_character_classes_written_as_code_points_are_what_unicode_regexes_mean() -> None:
    """Every code point: the classes the queries use (RE2 in DuckDB) hold exactly the characters that a Unicode regex
    (polars') means by White_Space, Cf and the rest, so that the rules find what they say."""
    import duckdb
    import polars as pl

    from isis_iraq_syria.rules import characters as h

    blank = "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
    bidi = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    unicode = {  # the class in a Unicode regex -> the class the rules generate from code point ranges
        "^[=+\\-@\uff1d\uff0b\uff0d\uff20]": "^" + h.char_class(h.FORMULA_START),
        r"\s": h.char_class(h.WHITESPACE),
        "[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029]": h.char_class(h.CONTROL),
        f"[{bidi}]": h.char_class(h.BIDI),
        f"[[\\p{{Cf}}{blank}]--[{bidi}]]": h.char_class(h.INVISIBLE),
        r"[^\x00-\x7f]": h.char_class(h.ASCII, negate=True),
    }
    text = pl.DataFrame({"x": [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]}).with_row_index("i")
    con = duckdb.connect()
    con.register("t", text.to_arrow())
    for expected, generated in unicode.items():
        found = con.sql(f"SELECT regexp_matches(x, '{generated}') AS m FROM t ORDER BY i").pl()["m"]
        assert found.equals(text["x"].str.contains(expected)), expected


def test_greek_or_cyrillic_text_of_its_own_is_not_a_look_alike(pkg: Path) -> None:
    # whole words in one script, beside Latin ones, are text in another language, not a look-alike
    edit(pkg, "actors", "reuters", notes="Reuters (Рейтер; Ρόιτερς)")
    assert only(pkg, "hygiene.mixed_script") == []


def _widen(pkg: Path, count: int) -> list[str]:
    """`count` more free-text columns in actors, each cell a plain text."""
    schema_path = pkg / "schemas" / "actors.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    extra = [f"extra_{i:04d}" for i in range(count)]
    schema["fields"] += [{"name": name, "type": "string"} for name in extra]
    schema_path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    rows = read_rows(pkg, "actors")
    write_rows(pkg, "actors", [row | {name: f"text {i}" for name in extra} for i, row in enumerate(rows)])
    return extra


def test_a_text_rule_reads_each_table_once_whatever_its_number_of_columns(pkg: Path) -> None:
    # one query per column made the cost grow with the square of the columns (44 s a rule at 300 columns)
    rule = RULES_BY_ID["hygiene.formula_injection"]
    scans = rule.query(Package.load(pkg)).count('FROM "actors"')
    extra = _widen(pkg, 300)
    assert rule.query(Package.load(pkg)).count('FROM "actors"') == scans
    edit(pkg, "actors", "reuters", **{extra[-1]: "=1+1x"})
    started = time.perf_counter()
    assert [(f.key, f.column, f.values) for f in only(pkg, rule.id)] == [("reuters", extra[-1], "'=1+1x'")]
    assert time.perf_counter() - started < 10  # about 1 s; the query of a union of 300 took 30 s


SLOW = pytest.mark.slow


# Syria and ISIS in Cyrillic look-alikes, ABA in Greek capitals; Syria and Reuters in Russian (i, ya, short i and te
# look like no Latin letter); Reuters in Arabic
@pytest.mark.parametrize(
    ("notes", "caught"),
    [
        ("Based in \u0405\u0443\u0440\u0456\u0430", True),
        pytest.param("Fought \u0406\u0405\u0406\u0405 in Iraq", True, marks=SLOW),
        pytest.param("\u0391\u0392\u0391 member", True, marks=SLOW),
        pytest.param("Based in \u0421\u0438\u0440\u0438\u044f", False, marks=SLOW),
        ("Reuters (\u0420\u0435\u0439\u0442\u0435\u0440)", False),
        pytest.param("Agence de presse (\u0631\u0648\u064a\u062a\u0631\u0632)", False, marks=SLOW),
    ],
)
def test_a_whole_word_of_latin_look_alikes_is_caught_in_latin_text(notes: str, caught: bool, pkg: Path) -> None:
    edit(pkg, "actors", "reuters", notes=notes)
    assert [(f.key, f.column) for f in only(pkg, "hygiene.look_alike_words")] == ([("reuters", "notes")] * caught)


def test_latin_look_alikes_are_those_unicode_s_confusables_give() -> None:
    """Every Greek or Cyrillic letter that Unicode's confusables (confusable-homoglyphs) map to an ASCII letter."""
    import string
    import unicodedata

    from confusable_homoglyphs import confusables

    from isis_iraq_syria.rules.characters import LATIN_LOOK_ALIKE, LOOK_ALIKE, code_points

    def looks_latin(c: str) -> bool:
        found = confusables.is_confusable(c, greedy=True, preferred_aliases=["latin"]) or []
        return any(h["c"] in string.ascii_letters for x in found for h in x["homoglyphs"])

    letters = [chr(c) for c in sorted(code_points(LOOK_ALIKE)) if unicodedata.category(chr(c)).startswith("L")]
    assert code_points(LATIN_LOOK_ALIKE) == {ord(c) for c in letters if looks_latin(c)}
