"""The classes of characters the hygiene rules look for, written once as code point ranges, and made into regular
expression classes that RE2 (DuckDB, BigQuery) and Java (Spark) read alike: each character as \\x{...}.
"""

from __future__ import annotations

Ranges = tuple[tuple[int, int], ...]  # inclusive code point ranges

# Formula starts, with their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), which some spreadsheets fold to ASCII.
FORMULA_START: Ranges = (
    (0x2B, 0x2B),
    (0x2D, 0x2D),
    (0x3D, 0x3D),
    (0x40, 0x40),
    (0xFF0B, 0xFF0B),
    (0xFF0D, 0xFF0D),
    (0xFF1D, 0xFF1D),
    (0xFF20, 0xFF20),
)
# Unicode White_Space (what \s means in Unicode regex engines; RE2's and Java's \s are ASCII only)
WHITESPACE: Ranges = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)
# C0, DEL and C1, and the line and paragraph separators, which break a line as a newline does
CONTROL: Ranges = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029))
ASCII: Ranges = ((0x00, 0x7F),)
# Greek and Cyrillic letters, many of which look like Latin ones
LOOK_ALIKE: Ranges = ((0x0370, 0x03FF), (0x0400, 0x04FF))
# Bidirectional controls: marks, embeddings, overrides and isolates (U+202E shows "txt.exe" as "exe.txt").
BIDI: Ranges = ((0x061C, 0x061C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069))
# Format characters (general category Cf, Unicode 15): zero-width space and joiners, word joiner, soft hyphen, BOM, tags
FORMAT: Ranges = (
    (0xAD, 0xAD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
# Fillers, selectors and blanks that show nothing (Khmer's inherent vowels, the braille blank)
BLANK: Ranges = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
)


def code_points(ranges: Ranges) -> set[int]:
    return {c for low, high in ranges for c in range(low, high + 1)}


def as_ranges(points: set[int]) -> Ranges:
    out: list[tuple[int, int]] = []
    for c in sorted(points):
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return tuple(out)


# Invisible: format characters, fillers and selectors; the bidirectional controls are left to their own rule.
INVISIBLE: Ranges = as_ranges((code_points(FORMAT) | code_points(BLANK)) - code_points(BIDI))


# The Greek and Cyrillic letters that Unicode's confusables (UTS #39, as the library confusable-homoglyphs reads them)
# give as confusable with an ASCII letter; tests/rules/test_hygiene.py derives them again from the library.
LATIN_LOOK_ALIKE: Ranges = as_ranges(
    {
        int(c, 16)
        for c in (
            "037A 037F 0391 0392 0395 0396 0397 0399 039A 039C 039D 039F 03A1 03A4 03A5 03A7 03B1 03B3 03B9 03BD 03BF "
            "03C1 03C3 03C5 03D2 03DC 03F1 03F2 03F3 03F9 03FA 0405 0406 0408 0410 0412 0415 041A 041C 041D 041E 0420 "
            "0421 0422 0423 0425 042C 0430 0433 0435 043E 0440 0441 0443 0445 0455 0456 0458 0461 0474 0475 04AE 04AF "
            "04BB 04BD 04C0 04CF"
        ).split()
    }
)
# The Greek and Cyrillic letters that do not look Latin: a text holding one is written in that script
OWN_LOOK: Ranges = as_ranges(code_points(LOOK_ALIKE) - code_points(LATIN_LOOK_ALIKE))


def char_class(ranges: Ranges, negate: bool = False) -> str:
    """A regex character class of the ranges, each character as \\x{...} (RE2 and Java alike)."""
    parts = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{parts}]"
