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


def test_a_wide_table_is_checked_in_slices_and_reports_each_failure_once_where_it_is(tmp_path) -> None:
    import json

    from conftest import copy_package, read_rows, write_rows
    from isis_iraq_syria.pandera_schema import WIDTH, slices
    from isis_iraq_syria.tables import read_package
    from isis_iraq_syria.validate import _schema_failures_of

    root = copy_package(tmp_path / "pkg")
    path = root / "schemas" / "actors.schema.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    extra = [f"extra_{i}" for i in range(2 * WIDTH + 50)]
    descriptor["fields"] += [{"name": c, "type": "string", "constraints": {"maxLength": 3}} for c in extra]
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    rows = [row | dict.fromkeys(extra, "x") for row in read_rows(root, "actors")]
    rows[4][extra[-1]] = "too long"  # in the last slice of columns
    rows[2]["actor_id"] = rows[1]["actor_id"]  # a repeated key: a check of rows, beside the slices
    write_rows(root, "actors", rows, list(rows[0]))
    package = Package.load(root)
    table = package.tables["actors"]
    frames, _, _ = read_package(package)

    parts = slices(pandera_schema(table)[0])
    assert [len(columns or []) for _, columns in parts] == [WIDTH, WIDTH, len(table.fields) - 2 * WIDTH, 0]
    found = sorted((f.rule, f.column, f.line) for f in _schema_failures_of(table, frames["actors"]))
    assert found == [
        ("schema.length", extra[-1], 6),
        ("schema.unique", "actor_id", 3),
        ("schema.unique", "actor_id", 4),
    ]
