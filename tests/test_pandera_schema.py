"""The Pandera schema derived from each Table Schema: its types, its checks and the rule each check reports as."""

from __future__ import annotations

import pandera.polars as pdr
import polars as pl

from conftest import ROOT
from isis_iraq_syria.pandera_schema import pandera_schema, sorts_before_previous
from isis_iraq_syria.schema import Package

PACKAGE = Package.load(ROOT)


def _pandera(name: str) -> pdr.DataFrameSchema:
    return pandera_schema(PACKAGE.tables[name], {"indicators.indicator_id": pl.Series(["isis_attacks"])})[0]


def test_pandera_schema_types_dates_as_dates_and_counts_as_nullable_numbers() -> None:
    columns = _pandera("statistics").columns
    assert str(columns["period_start"].dtype) == "Date"
    assert str(columns["value"].dtype) == "Float64" and columns["value"].nullable
    assert str(pandera_schema(PACKAGE.tables["qualifiers"])[0].columns["magnitude"].dtype) == "Int64"
    assert not columns["statistic_id"].nullable


def test_pandera_schema_carries_enum_pattern_keys_and_foreign_keys() -> None:
    schema, rule_ids = pandera_schema(
        PACKAGE.tables["statistics"], {"indicators.indicator_id": pl.Series(["isis_attacks"])}
    )
    assert [c.name for c in schema.checks] == ["primary_key"]
    assert rule_ids[("period_precision", 0)] == "schema.enum"
    assert rule_ids[("statistic_id", 0)] == "schema.pattern"
    assert [rule_ids[k] for k in sorted(rule_ids) if k[0] == "indicator_id"] == ["schema.length", "ref.foreign_key"]


def test_unique_keys_become_frame_checks() -> None:
    schema = pandera_schema(PACKAGE.tables["indicators"])[0]
    assert [c.name for c in schema.checks] == ["primary_key", "unique_key:name"]


def test_key_order_compares_categoricals_by_their_text_not_their_codes() -> None:
    # "zz" is seen before "aa", so where codes follow first appearance its code is the smaller one; either way
    # ("aa", "zz") is in order and its reverse is not
    pl.Series(["key-order-zz", "key-order-aa"]).cast(pl.Categorical)
    frame = pl.DataFrame({"k": ["key-order-aa", "key-order-zz"]}, schema={"k": pl.Categorical})
    assert frame.select(sorts_before_previous(["k"]).fill_null(False)).to_series().to_list() == [False, False]
    assert frame.reverse().select(sorts_before_previous(["k"]).fill_null(False)).to_series().to_list() == [False, True]
