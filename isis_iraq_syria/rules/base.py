"""What every rule is made of: the Rule record and the Context a check reads the package through.

A check takes the typed frames of the whole package and returns every failure
it finds (never only the first). The relations it checks (which geographies
add up to which, which indicator is part of which, which statistic is derived
from which) are data in the tables, so a new indicator, period or country
needs no change here. Checks are polars expressions and joins: one pass over
the columns, whatever the number of rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import polars as pl

from ..report import Failure
from ..schema import Package
from ..tables import row_keys

Row = dict
Text = Callable[[Row], str]
PERIOD = ["period_start", "period_end"]
ROW = "row_"  # the row's position in its table, added to frames a check filters
REF, KEY = "ref_row_", "ref_key_"  # a referenced row's position, and the key it is reached by (Context.join_rows)


@dataclass
class Context:
    package: Package
    frames: dict[str, pl.DataFrame]
    archive: dict[str, str] | None = None  # sha256 of a document's bytes -> its text
    control_free: frozenset[str] = frozenset()  # tables whose CSV bytes show that no cell holds a control character

    def __post_init__(self) -> None:
        self._shared: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def forget_shared(self) -> None:
        """Drop the shared results: a wave of rules is done with them, and the basis rules' passages and codes hold
        hundreds of megabytes at a million rows. A later rule that asks again computes them again. The positions
        of references are kept: 4 bytes a row, and costly to find again."""
        with self._lock:
            self._shared = {k: v for k, v in self._shared.items() if k.startswith(("positions:", "key_positions:"))}
            self._locks = {k: v for k, v in self._locks.items() if k in self._shared}

    def shared(self, key: str, compute: Callable[[], object]) -> object:
        """A result several rules use, computed once: rules run two at a time, and the second waits for the first's."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                self._shared[key] = compute()
            return self._shared[key]

    def categorical(self, name: str, column: str) -> pl.Series:
        """A text column as a categorical, cast once and shared. Categories are global, so equal ids are equal codes
        in every table, and a join on them compares 4-byte codes (3 times faster than comparing the text). The keys
        of the vocabularies are read as categoricals already (no cast); the rules ask for the type they join on all
        the same, so that a schema without x-vocabulary still validates."""
        return self.shared(f"categorical:{name}.{column}", lambda: self.frames[name][column].cast(pl.Categorical))

    def positions(self, name: str, column: str, table: str, key: str) -> pl.Series:
        """Each row's reference in `column` as a code: the row of `table` whose `key` holds the value (the first, were
        a key repeated), null where the row names none or one that is not there. Computed once and shared: the
        foreign-key check reads it (a value without a position is dangling), the basis rules join on it (4-byte
        codes, not the ids' text), and a rule gathers the referenced row by it, so each column of ids is hashed once."""
        def compute() -> pl.Series:
            codes = self._key_rows(table, key)
            if (name, column) == (table, key) and codes.height == self.frames[table].height:  # the keys themselves, all distinct
                return pl.int_range(0, codes.height, dtype=pl.UInt32, eager=True).alias("code_")
            ids = self.frames[name].select(key_=pl.col(column)).with_row_index(ROW)
            if ids.schema["key_"] != codes.schema["key_"]:  # a reference is read as its key is; text where they differ
                ids, codes = ids.with_columns(pl.col("key_").cast(pl.String)), codes.with_columns(pl.col("key_").cast(pl.String))
            found = ids.filter(pl.col("key_").is_not_null()).join(codes, on="key_")  # only the rows that name one
            return pl.repeat(None, ids.height, dtype=pl.UInt32, eager=True).alias("code_").scatter(found[ROW], found["code_"])
        return self.shared(f"positions:{name}.{column}->{table}.{key}", compute)

    def _key_rows(self, table: str, key: str) -> pl.DataFrame:
        """(code_, key_): each distinct key of `table` with its first row."""
        def compute() -> pl.DataFrame:
            keys = self.frames[table].select(key_=pl.col(key)).with_row_index("code_")
            # keys in key order (hygiene.key_order), each greater than the last, are distinct already: no hashing
            increasing = keys.select(pl.col("key_").is_not_null().all() & (pl.col("key_") > pl.col("key_").shift(1)).all()).item()
            return keys if increasing else keys.drop_nulls("key_").unique("key_", keep="first", maintain_order=True)
        return self.shared(f"key_positions:{table}.{key}", compute)

    def referenced(self, name: str, column: str, table: str, key: str) -> pl.Series | None:
        """For each row of `table`, whether a row of `name` names its key in `column`: a mask built from the
        positions, without hashing. None when the keys are not all present and distinct, so that a position does
        not stand for its key alone (a duplicated key's second row)."""
        if not self._keys_distinct(table, key):
            return None
        return row_mask(self.positions(name, column, table, key).drop_nulls(), self.frames[table].height)

    def _keys_distinct(self, table: str, key: str) -> bool:
        """Whether every row of `table` has a key of its own in `key`, so that a row's position stands for its key."""
        return self._key_rows(table, key).height == self.frames[table].height

    def join_rows(self, frame: pl.DataFrame, name: str, column: str, table: str, key: str, columns: dict[str, str | None],
                  how: str = "left") -> pl.DataFrame:
        """`frame` (rows of table `name`, with row_) with the `columns` of the rows of `table` whose `key` is the
        row's `column`: new name -> column of `table`, or None for the referenced row's position. Gathered by
        position where `table`'s keys are distinct (no join on the ids' text); joined where a key repeats, so that
        each of its rows is reached, as a join reaches them. how="inner" drops the rows that reference none."""
        referenced = self.frames[table].with_row_index(REF).select(
            [(pl.col(REF) if source is None else pl.col(source)).alias(new) for new, source in columns.items()] + [pl.col(key).alias(KEY)])
        if self._keys_distinct(table, key):
            position = self.positions(name, column, table, key).gather(frame[ROW])
            out = frame.hstack(referenced.drop(KEY)[position])
            return out.filter(position.is_not_null()) if how == "inner" else out
        ids = self.frames[name][column].gather(frame[ROW]).alias(KEY)
        if ids.dtype != referenced.schema[KEY]:
            ids, referenced = ids.cast(pl.String), referenced.with_columns(pl.col(KEY).cast(pl.String))
        return frame.with_columns(ids).join(referenced, on=KEY, how=how, maintain_order="left").drop(KEY)

    def keys(self, name: str) -> pl.Series:
        """Each row's primary key as text ("E002|IRQ"), for locating failures."""
        return self.shared(f"keys:{name}", lambda: row_keys(self.package.tables[name], self.frames[name]))

    def screened(self, name: str, screen: str, columns: list[str], test: Callable[[pl.Expr], pl.Expr]) -> dict[str, bool]:
        """For each of a table's `columns`, whether any cell passes the screen `test`, computed once per screen name."""
        frame = self.frames[name]
        # text held as a categorical is screened once per distinct value
        text = {c: pl.col(c).unique().cast(pl.String) if frame[c].dtype == pl.Categorical else pl.col(c) for c in columns}
        return self.shared(f"screen:{name}:{screen}", lambda: frame.select(
            [test(text[c]).fill_null(False).any().alias(c) for c in columns]).row(0, named=True) if columns else {})

    def rows(self, name: str, *columns: str) -> pl.DataFrame:
        """The table with each row's position, so that a filtered or joined frame still locates its rows.

        Naming the columns a check needs keeps its joins from copying the others (a million-row join copies
        16 bytes per text cell)."""
        frame = self.frames[name].with_row_index(ROW)
        return frame.select(ROW, *columns) if columns else frame

    def report(self, name: str, bad: pl.DataFrame, column: str, rule: Rule, values: Text, message: Text) -> list[Failure]:
        """A failure for each row of `bad`, a frame derived from ctx.rows(name) that keeps its row_ column."""
        if bad.is_empty():
            return []
        keys = self.keys(name)
        return [Failure(name, keys[row[ROW]], column, int(row[ROW]) + 2, rule.id, values(row), message(row))
                for row in bad.unique(ROW, keep="first", maintain_order=True).iter_rows(named=True)]

    def flag(self, name: str, condition: pl.Expr, column: str, rule: Rule, values: Text, message: Text) -> list[Failure]:
        """A failure for every row of table `name` where `condition` is true."""
        return self.report(name, self.rows(name).filter(condition.fill_null(False)), column, rule, values, message)


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    check: Callable[[Context, Rule], list[Failure]] | None = None
    tolerance: float = 0.0
    stage: str = "rules"  # file | schema | rules | archive | parity
    tables: tuple[str, ...] = ()  # the tables the check reads
    prose: tuple[str, ...] = ()  # the free-text columns (Table.prose) the check reads, as "table.column", or "*" for all

    def run(self, ctx: Context) -> list[Failure]:
        return self.check(ctx, self) if self.check else []


def text_code(column: str = "quote") -> pl.Expr:
    """A text column's codes as a categorical (a no-op cast for free text, which is read as one). Categories are
    global: equal texts have equal codes in every table, so a code numbers a distinct text."""
    return pl.col(column).cast(pl.Categorical).to_physical()


def row_mask(rows: pl.Series, height: int) -> pl.Series:
    """A mask of `height` rows, true at the positions in `rows`: a scatter, no hashing."""
    return pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(rows, True)


def in_(column: str | pl.Expr, values: pl.Series) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.is_in(values.drop_nulls().implode())


def unmatched(ctx: Context, name: str, column: str, other: str, *columns: str) -> pl.DataFrame:
    """Rows of table `name` whose key `column` appears nowhere in the same column of table `other`, which references
    it: by the mask of referenced rows, or by an anti-join where keys repeat (several times faster than `is_in`
    against a million keys)."""
    referenced = ctx.referenced(other, column, name, column)
    if referenced is not None:
        return ctx.rows(name, column, *columns).filter(~referenced)
    return ctx.rows(name, column, *columns).join(ctx.frames[other].select(column), on=column, how="anti")


@dataclass(frozen=True)
class Quoted:
    """A table of passages copied from archived documents: which column names the document, which holds the text,
    and which hold its span (the text is document[start:end])."""
    table: str
    document: str
    quote: str = "quote"
    start: str = "quote_start"
    end: str = "quote_end"


EVIDENCE = [
    Quoted("statistic_evidence", "source_id"),
    Quoted("event_evidence", "source_id"),
    Quoted("claims", "source_id"),
    Quoted("citations", "citing_source_id"),
    Quoted("bases", "document_id"),
    Quoted("omissions", "document_id", "text", "start", "end"),
]
ALL_TEXT = ("*",)
