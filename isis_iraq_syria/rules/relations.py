"""Relations that must hold between rows: parts of a whole that do not contain each other, discrepancies that are
discrepancies, claims compared with a figure of what they speak of, attributions with their source, and vocabularies
whose words mean something.
"""

from __future__ import annotations

from .arithmetic import CLAIMED
from .model import Example, Rule, append, edit, words

# Words that say nothing of a kind of figure or of speaking: a vocabulary word that is one of them would make any
# passage "state" its entry.
STOP_WORDS = (
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its", "of", "on",
    "or", "that", "the", "their", "this", "to", "was", "were", "which", "who", "with",
)  # fmt: skip

# (table, column, key, separator or None, group): the vocabulary words the basis and span rules look for in passages;
# a word is one entry's within its group (the words of an event's status are not those of an actor's role); an
# indicator's words may be another's ('killed' operatives, civilians 'killed'): each indicator is its own group
VOCABULARY_WORDS = (
    ("figure_kinds", "words", "figure_kind_id", "|", "''"),
    ("qualifiers", "phrase", "qualifier_id", None, "''"),
    ("attribution_words", "word", "word", None, "''"),
    ("cell_words", "word", "CAST(field AS VARCHAR) || ' ' || value", None, "CAST(field AS VARCHAR)"),
    ("indicators", "words", "indicator_id", "|", "CAST(indicator_id AS VARCHAR)"),
)


def _vocabulary_words() -> str:
    parts = []
    for table, column, key, separator, group in VOCABULARY_WORDS:
        words = f"unnest(string_split({column}, '{separator}'))" if separator else column
        parts.append(
            f"SELECT '{table}' AS tbl, row_, '{column}' AS col, CAST(key_ AS VARCHAR) AS entry, group_, "
            f"lower(trim(word_)) AS word FROM (SELECT row_, {key} AS key_, {group} AS group_, {words} AS word_ "
            f"FROM {table} WHERE {column} IS NOT NULL) AS w"
        )
    return "\n    UNION ALL\n    ".join(parts)


RULES: list[Rule] = [
    Rule(
        "rel.parts_not_nested",
        "The parts of an aggregate geography do not contain one another: a sum over them would count a place twice.",
        message="{part} lies inside {other}, another part of {whole}: its figures would be counted twice.",
        values="{whole}: {part} in {other}",
        # what contains a geography: its parent and an aggregate it is a part of, up to three steps up
        sql="""
        WITH up AS (
            SELECT CAST(geography_id AS VARCHAR) AS inner_, CAST(parent_geography_id AS VARCHAR) AS outer_
            FROM geographies WHERE parent_geography_id IS NOT NULL
            UNION ALL
            SELECT CAST(part_geography_id AS VARCHAR), CAST(aggregate_geography_id AS VARCHAR) FROM geography_parts),
        inside AS (
            SELECT inner_, outer_ FROM up
            UNION SELECT a.inner_, b.outer_ FROM up AS a JOIN up AS b ON b.inner_ = a.outer_
            UNION SELECT a.inner_, c.outer_ FROM up AS a JOIN up AS b ON b.inner_ = a.outer_
                                             JOIN up AS c ON c.inner_ = b.outer_),
        parts AS (
            SELECT row_, CAST(aggregate_geography_id AS VARCHAR) AS whole, CAST(part_geography_id AS VARCHAR) AS part
            FROM geography_parts)
        SELECT 'geography_parts' AS tbl, p.row_, 'part_geography_id' AS col, p.whole, p.part, MIN(o.part) AS other
        FROM parts AS p JOIN parts AS o ON o.whole = p.whole AND o.part <> p.part
        JOIN inside AS i ON i.inner_ = p.part AND i.outer_ = o.part
        GROUP BY p.row_, p.whole, p.part
        """,
        # an aggregate of Iraq and its own north: a sum over its parts would count the north twice (a new whole,
        # so that the figures of Iraq and Syria still add up as they did)
        example=Example(
            (
                append("geographies", geography_id="SYR_IRQ", name="Iraq with northern Iraq", level="aggregate"),
                append("geography_parts", aggregate_geography_id="SYR_IRQ", part_geography_id="IRQ"),
                append("geography_parts", aggregate_geography_id="SYR_IRQ", part_geography_id="IRQ-NORTH"),
            ),
            (("geography_parts", "SYR_IRQ|IRQ-NORTH", "part_geography_id"),),
        ),
    ),
    Rule(
        "rel.discrepancy_holds",
        "A discrepancy is one: two figures of the same indicator, place and period that differ as its kind says, or "
        "a claim that its figure does not support.",
        message={
            "measure": "{statistic_id} and {other_statistic_id} do not measure the same thing (indicator, place or "
            "period differ): their difference is no discrepancy.",
            "value": "{statistic_id} and {other_statistic_id} have the same value: they do not differ in value.",
            "qualifier": "{statistic_id} and {other_statistic_id} have the same qualifier: they do not differ in it.",
            "claim": "The claim {claim_id} holds for its statistic: it is supported, not a discrepancy.",
        },
        values="{kind}",
        sql=f"""
        WITH {CLAIMED},
        pairs AS (
            SELECT d.row_, CAST(d.kind AS VARCHAR) AS kind, d.statistic_id, d.other_statistic_id,
                   a.indicator_id IS NOT DISTINCT FROM b.indicator_id
                   AND a.geography_id IS NOT DISTINCT FROM b.geography_id
                   AND a.period_start IS NOT DISTINCT FROM b.period_start
                   AND a.period_end IS NOT DISTINCT FROM b.period_end AS same_measure,
                   a.value IS NOT DISTINCT FROM b.value AS same_value,
                   a.qualifier_id IS NOT DISTINCT FROM b.qualifier_id AS same_qualifier
            FROM discrepancies AS d JOIN statistics AS a ON a.statistic_id = d.statistic_id
            JOIN statistics AS b ON b.statistic_id = d.other_statistic_id)
        SELECT 'discrepancies' AS tbl, row_, 'other_statistic_id' AS col, kind, statistic_id, other_statistic_id,
               NULL AS claim_id,
               CASE WHEN NOT same_measure THEN 'measure' WHEN kind = 'value_differs' THEN 'value'
                    ELSE 'qualifier' END AS case_
        FROM pairs
        WHERE NOT same_measure OR (kind = 'value_differs' AND same_value)
           OR (kind = 'qualifier_differs' AND same_qualifier)
        UNION ALL
        SELECT 'discrepancies', d.row_, 'claim_id', CAST(d.kind AS VARCHAR), NULL, NULL, d.claim_id, 'claim'
        FROM discrepancies AS d JOIN claimed AS c ON c.claim_id = d.claim_id
        WHERE d.kind = 'claim_not_supported' AND c.holds
        """,
        example=Example(
            (
                append(
                    "discrepancies",
                    discrepancy_id="D003",
                    kind="claim_not_supported",
                    claim_id="C001",
                    description="The claim does not hold.",
                ),
                append(
                    "discrepancies",
                    discrepancy_id="D004",
                    kind="value_differs",
                    statistic_id="S004",
                    other_statistic_id="S010",
                    description="The figures differ.",
                ),
            ),
            (("discrepancies", "D003", "claim_id"), ("discrepancies", "D004", "other_statistic_id")),
        ),
    ),
    Rule(
        "rel.claim_of_its_indicator",
        "A claim in words is compared with a figure of the indicator it speaks of.",
        message="The claim speaks of {indicator_id} but its statistic {statistic_id} is of {stat_indicator}.",
        values="{statistic_id}: {stat_indicator}",
        sql="""
        SELECT 'claims' AS tbl, c.row_, 'statistic_id' AS col, c.statistic_id, c.indicator_id,
               s.indicator_id AS stat_indicator
        FROM claims AS c JOIN statistics AS s ON s.statistic_id = c.statistic_id
        WHERE CAST(s.indicator_id AS VARCHAR) <> CAST(c.indicator_id AS VARCHAR)
        """,
        example=Example((edit("claims", "C001", statistic_id="S025"),), (("claims", "C001", "statistic_id"),)),
    ),
    Rule(
        "rel.attribution_has_source",
        "A quote that attributes its words ('according to', 'said', 'told') names the source it cites.",
        message="The quote attributes its words ({word!r}) but cited_source_id is empty: name the source it cites.",
        values="{word!r}",
        # each distinct quote read once: one sentence is often the evidence of several figures
        sql=f"""
        WITH unattributed AS (
            SELECT 'statistic_evidence' AS tbl, row_, quote FROM statistic_evidence WHERE cited_source_id IS NULL
            UNION ALL
            SELECT 'event_evidence', row_, quote FROM event_evidence WHERE cited_source_id IS NULL),
        quotes AS (SELECT quote, {words("quote")} AS words FROM (SELECT DISTINCT quote FROM unattributed) AS d),
        attributing AS (
            SELECT q.quote, MIN(w.word) AS word
            FROM quotes AS q JOIN attribution_words AS w ON strpos(q.words, {words("w.word")}) > 0
            GROUP BY q.quote)
        SELECT u.tbl, u.row_, 'cited_source_id' AS col, a.word
        FROM unattributed AS u JOIN attributing AS a ON a.quote = u.quote
        """,
        example=Example(
            (edit("statistic_evidence", {"statistic_id": "S001"}, cited_source_id=""),),
            (
                ("statistic_evidence", "S001|doc-devdiscourse", "cited_source_id"),
                ("statistic_evidence", "S001|doc-shafaq-news", "cited_source_id"),
            ),
        ),
    ),
    Rule(
        "rel.vocabulary_words_mean",
        "A vocabulary's words say what its entry is: no stop word ('the'), and no word shared by two entries.",
        message={
            "stop": "{word!r} is a stop word: every passage would state {entry} by it.",
            "shared": "{word!r} is a word of {entry} and of {other}: a passage with it would state both.",
        },
        values="{entry}: {word!r}",
        sql=f"""
        WITH words AS (
    {_vocabulary_words()})
        SELECT tbl, row_, col, entry, word, NULL AS other, 'stop' AS case_ FROM words
        WHERE word IN ({", ".join(f"'{w}'" for w in STOP_WORDS)})
        UNION ALL
        SELECT a.tbl, a.row_, a.col, a.entry, a.word, MIN(b.entry), 'shared'
        FROM words AS a JOIN words AS b
          ON b.tbl = a.tbl AND b.group_ = a.group_ AND b.word = a.word AND b.entry <> a.entry
        WHERE a.word <> '' GROUP BY a.tbl, a.row_, a.col, a.entry, a.word
        """,
        example=Example(
            (edit("figure_kinds", "official_count", words="reported|noted|conducted|resulted in|resulting in|was"),),
            (("figure_kinds", "official_count", "words"),),
        ),
    ),
]
