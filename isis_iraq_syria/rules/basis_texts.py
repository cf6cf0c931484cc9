"""What each distinct passage text states, found once in Python: the geographies and actors it names (`mentions`),
the figure kinds whose words it has (`kind_words`), and the names as a message shows them (`name_lists`). The basis
rules (basis.py) join their cells' passages to these tables.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl


def _texts(ctx: Any) -> pl.DataFrame:
    """Each distinct passage text once (text): names are searched for in these only."""
    from .cells import PASSAGE_TABLES

    tables = [table for table, _, _ in PASSAGE_TABLES.values()] + ["bases"]
    # unique while categorical (codes, not text), then cast: casting first builds a string per row
    return (
        pl.concat([ctx.frames[t].select(text=pl.col("quote").unique().cast(pl.String)) for t in tables])
        .drop_nulls()
        .unique()
    )


def _word_pattern(words: list[str]) -> str:
    """One regex for all the words, longest first: at each place the longest name wins ('Iraqi Security Forces' is not
    'Iraqi'), and whole words only, with the case as written."""
    alternatives = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        left = r"\b" if word[:1].isalnum() else ""
        right = r"\b" if word[-1:].isalnum() else ""
        alternatives.append(f"{left}{re.escape(word)}{right}")
    return "(?:" + "|".join(alternatives) + ")" if alternatives else "(?!)"


def _names(ctx: Any) -> pl.DataFrame:
    """Every name of a geography or actor (its own name and its declared names): (name, geography_id, actor_id)."""
    f = ctx.frames
    parts = [
        f[t].select(pl.col(key).cast(pl.String), name=pl.col("name").cast(pl.String))
        for key, tables in (
            ("geography_id", ("geographies", "geography_names")),
            ("actor_id", ("actors", "actor_names")),
        )
        for t in tables
    ]
    return pl.concat(parts, how="diagonal").select("name", "geography_id", "actor_id").unique()


def _found(ctx: Any, words: pl.DataFrame, column: str) -> pl.DataFrame:
    """(text, the words' other columns) for every word of `words[column]` found in a distinct passage text."""
    pattern = _word_pattern(words[column].to_list())
    found = (
        _texts(ctx)
        .select("text", **{column: pl.col("text").str.extract_all(pattern)})
        .explode(column)
        .drop_nulls(column)
        .unique()
    )
    return found.join(words, on=column).drop(column).unique()


def mentions(ctx: Any) -> pl.DataFrame:
    """(text, geography_id, actor_id): the geographies and actors each distinct passage names."""
    return _found(ctx, _names(ctx), "name")


def kind_words(ctx: Any) -> pl.DataFrame:
    """(text, figure_kind): the figure kinds whose words each distinct passage has."""
    kinds = (
        ctx.frames["figure_kinds"]
        .select(
            figure_kind=pl.col("figure_kind_id").cast(pl.String), word=pl.col("words").cast(pl.String).str.split("|")
        )
        .explode("word")
        .filter(pl.col("word").str.len_chars() > 0)
    )
    return _found(ctx, kinds, "word")


def name_lists(ctx: Any) -> pl.DataFrame:
    """(kind, id, shown): the names of each geography and actor, and the words of each figure kind, as a message
    shows them (each quoted as Python quotes it)."""
    names = _names(ctx)
    rows = [
        (kind, key, ", ".join(repr(n) for n in sorted(group["name"])))
        for kind, column in (("geography", "geography_id"), ("actor", "actor_id"))
        for (key,), group in names.drop_nulls(column).group_by(column)
    ]
    kinds = ctx.frames["figure_kinds"].select(pl.col("figure_kind_id").cast(pl.String), pl.col("words").cast(pl.String))
    rows += [
        ("figure_kind", key, " | ".join(repr(w) for w in (words or "").split("|"))) for key, words in kinds.iter_rows()
    ]
    return pl.DataFrame(rows, schema={"kind": pl.String, "id": pl.String, "shown": pl.String}, orient="row")
