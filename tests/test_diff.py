"""The diff on real pairs of versions: it names each change, and the bump it requires follows the README's rules."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from conftest import ROOT, copy_package, edit, read_rows
from isis_iraq_syria.diff import SideError, diff, load_side, markdown, render, version_bump
from versions import CASES, CORRECTED, CORRECTION, REUSED, changed_copy, releasable_copy

DIFF = ROOT / "scripts" / "diff.py"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return releasable_copy(tmp_path_factory.mktemp("base") / "pkg")


def _cases(cases: dict, fast: set[str]) -> list:
    """Every case; make test runs those named fast, make check all of them."""
    return [pytest.param(case, id=case, marks=() if case in fast else pytest.mark.slow) for case in cases]


@pytest.mark.parametrize("case", _cases(CASES, set()))
def test_diff_names_the_change_and_requires_the_readme_bump(base: Path, tmp_path: Path, case: str) -> None:
    _, bump, kind, table, _ = CASES[case]
    changed = changed_copy(tmp_path / "pkg", case)
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    assert result.bump == bump
    assert (kind, table) in {(c.kind, c.table) for c in result.changes if c.bump == bump}
    # trading two ids also moves their evidence rows, in other tables; a cell removed takes its spans and bases, and
    # the wide table derived from it changes
    others = {"id_reused": None, "row_removed": {"spans", "bases", "events_wide"}}
    if case in others and others[case] is None:
        return
    assert all(c.table in {table} | (others.get(case) or set()) for c in result.changes), [
        vars(c) for c in result.changes
    ]


def test_corrected_value_is_listed_old_to_new(base: Path, tmp_path: Path) -> None:
    changed = changed_copy(tmp_path / "pkg", "value_corrected")
    rows = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT)).rows["actors"]
    old = {column: CORRECTED[column] for column in CORRECTION}
    assert rows.changed == [
        {"key": CORRECTED["actor_id"], "columns": {c: [old[c], new] for c, new in CORRECTION.items()}}
    ]
    assert not rows.reused and not rows.added and not rows.removed


@pytest.mark.slow
def test_reused_id_is_flagged_not_counted_as_a_correction(base: Path, tmp_path: Path) -> None:
    changed = changed_copy(tmp_path / "pkg", "id_reused")
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    rows = result.rows["statistics"]
    assert [e["key"] for e in rows.reused] == sorted(REUSED) and rows.changed == []
    assert {c.kind for c in result.changes if c.table == "statistics"} == {"id_reused"}
    reused = [c for c in result.changes if c.kind == "id_reused" and c.table == "statistics"]
    assert all("geography_id" in c.column.split(",") for c in reused)
    # the evidence rows of the two statistics traded their keys too: each key now holds the row the other held
    evidence = {c.key for c in result.changes if c.kind == "id_reused" and c.table == "statistic_evidence"}
    assert evidence and all(key.split("|")[0] in REUSED for key in evidence)


def test_same_number_written_differently_is_no_change(base: Path, tmp_path: Path) -> None:
    changed = releasable_copy(tmp_path / "pkg")
    whole = next(r for r in read_rows(changed, "statistics") if r["value"] and "." not in r["value"])
    edit(changed, "statistics", whole["statistic_id"], value=whole["value"] + ".0")
    assert diff(load_side(str(base), ROOT), load_side(str(changed), ROOT)).changes == []


def test_renamed_column_is_a_rename_and_major(base: Path, tmp_path: Path) -> None:
    changed = releasable_copy(tmp_path / "pkg")
    path = changed / "schemas" / "actors.schema.json"
    path.write_text(path.read_text().replace('"role_as_stated"', '"stated_role"'))
    csv_path = changed / "data" / "actors.csv"
    csv_path.write_text(csv_path.read_text().replace("role_as_stated", "stated_role", 1))
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    assert [(c.kind, c.old, c.new) for c in result.changes] == [("column_renamed", "role_as_stated", "stated_role")]
    assert result.bump == "major"


def test_a_header_changed_without_its_schema_is_major(base: Path, tmp_path: Path) -> None:
    """A column renamed in the CSV alone (here with a NUL, which a terminal does not show) is no silent pass."""
    changed = releasable_copy(tmp_path / "pkg")
    path = changed / "data" / "actors.csv"
    header, rest = path.read_bytes().split(b"\n", 1)
    path.write_bytes(header.replace(b"name", b"na\x00me", 1) + b"\n" + rest)
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    assert [(c.kind, c.table, c.bump) for c in result.changes] == [("header_changed", "actors", "major")]


def test_diff_reads_release_zips_and_git_refs(base: Path, tmp_path: Path) -> None:
    zip_path = tmp_path / "old.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:  # the 0.1.0 layout: one top folder
        for path in sorted(base.rglob("*")):
            if path.is_file():
                archive.write(path, f"isis-iraq-syria-0.1.0/{path.relative_to(base)}")
    assert diff(load_side(str(zip_path), ROOT), load_side(str(base), ROOT)).changes == []
    repo = releasable_copy(tmp_path / "repo")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "first"], ["tag", "v0.1.0"]):
        subprocess.run(git + args, check=True, capture_output=True)
    edit(repo, "actors", "alina-romanowski", role_as_stated="United States Ambassador to Iraq")
    result = diff(load_side("v0.1.0", repo), load_side(str(repo), repo))
    assert result.old.label == "v0.1.0" and [c.kind for c in result.changes] == ["values_corrected"]


def test_terminal_report_shows_data_as_text_never_as_markup(base: Path, tmp_path: Path) -> None:
    changed = releasable_copy(tmp_path / "pkg")
    edit(changed, "actors", "alina-romanowski", role_as_stated="[bold]Ambassador[/] [sic] :x:")
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    console = Console(record=True, width=300)
    render(result, console)
    assert "[bold]Ambassador[/] [sic] :x:" in console.export_text()
    assert "`[bold]Ambassador[/] [sic] :x:`" in markdown(result)


@pytest.mark.slow
def test_script_prints_json_and_exits_2_on_an_unreadable_side(base: Path, tmp_path: Path) -> None:
    changed = changed_copy(tmp_path / "pkg", "row_added")
    result = subprocess.run(
        [sys.executable, str(DIFF), str(base), str(changed), "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["required_bump"] == "minor" and report["tables"]["actors"]["rows_added"] == ["zz-new-actor"]
    bad = subprocess.run(
        [sys.executable, str(DIFF), str(tmp_path / "nowhere"), str(changed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stdout + bad.stderr
    assert bad.stdout.count("\n") == 1 and "not a zip, a package folder or a git ref" in bad.stdout


@pytest.mark.parametrize(
    "old,new,bump",
    [
        ("0.1.0", "0.1.1", "patch"),
        ("0.1.9", "0.2.0", "minor"),
        ("0.9.9", "1.0.0", "major"),
        ("1.2.3", "1.2.3", "none"),
        ("1.2.3", "1.2.2", None),
        ("1.2", "1.3.0", None),
    ],
)
def test_version_bump_between_two_versions(old: str, new: str, bump: str | None) -> None:
    assert version_bump(old, new) == bump


def test_malformed_schema_on_one_side_is_a_message_not_a_traceback(base: Path, tmp_path: Path) -> None:
    changed = releasable_copy(tmp_path / "pkg")
    path = changed / "schemas" / "actors.schema.json"
    schema = json.loads(path.read_text())
    schema["fields"][1]["constraints"] = ["not", "an", "object"]
    path.write_text(json.dumps(schema))
    result = subprocess.run(
        [sys.executable, str(DIFF), str(base), str(changed), "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "malformed" in json.loads(result.stdout)["error"]


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def _field(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


def _enum(schema: dict) -> list:
    """The allowed values of the schema's first field that has some."""
    return next(f["constraints"]["enum"] for f in schema["fields"] if "enum" in f.get("constraints", {}))


SCHEMA_CASES = {
    # name: (file, change, bump, kind)
    "allowed_value_added": (
        "schemas/statistics.schema.json",
        lambda s: _enum(s).append("a_new_value"),
        "minor",
        "allowed_values_added",
    ),
    "allowed_value_removed": (
        "schemas/statistics.schema.json",
        lambda s: _enum(s).pop(),
        "major",
        "allowed_values_removed",
    ),
    "constraint_loosened": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "statistic_id")["constraints"].pop("pattern"),
        "minor",
        "constraint_changed",
    ),
    # no general test tells whether one pattern admits more than another: a changed one may restrict
    "pattern_changed": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "statistic_id")["constraints"].update(pattern="^S\\d+$"),
        "major",
        "constraint_changed",
    ),
    "primary_key_changed": (
        "schemas/event_actors.schema.json",
        lambda s: s.update(primaryKey=["event_id", "actor_id"]),
        "major",
        "primary_key_changed",
    ),
    "foreign_key_removed": (
        "schemas/statistics.schema.json",
        lambda s: s["foreignKeys"].pop(),
        "major",
        "foreign_key_removed",
    ),
    # the same field now refers to another table: the recipe's "update a reference to another data resource"
    "reference_updated": (
        "schemas/statistics.schema.json",
        lambda s: s["foreignKeys"][0]["reference"].update(resource="indicators_v2"),
        "minor",
        "foreign_key_changed",
    ),
    "description_reworded": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "notes").update(description="A curator's remark."),
        "patch",
        "field_metadata_changed",
    ),
    "license_changed": (
        "datapackage.json",
        lambda d: d["licenses"][0].update(name="CC0-1.0"),
        "major",
        "descriptor_changed",
    ),
    "title_reworded": ("datapackage.json", lambda d: d.update(title="Another title"), "patch", "descriptor_changed"),
    # the order of allowed values is the order of a categorical's categories, which sorting follows
    "allowed_values_reversed": (
        "schemas/statistics.schema.json",
        lambda s: _enum(s).reverse(),
        "major",
        "allowed_values_reordered",
    ),
    # "1,5" no longer reads as the text it was
    "decimal_char_added": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "value").update(decimalChar=","),
        "major",
        "reading_changed",
    ),
    "unit_changed": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "value").update(unit="thousands"),
        "major",
        "meaning_changed",
    ),
    "required_added": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "notes").setdefault("constraints", {}).update(required=True),
        "major",
        "constraint_changed",
    ),
    "max_length_raised": (
        "schemas/statistic_evidence.schema.json",
        lambda s: _field(s, "quote")["constraints"].update(
            maxLength=_field(s, "quote")["constraints"]["maxLength"] + 1
        ),
        "minor",
        "constraint_changed",
    ),
    "unique_key_added": (
        "schemas/actors.schema.json",
        lambda s: s.update(uniqueKeys=[["name"]]),
        "major",
        "unique_key_added",
    ),
    "unknown_property_added": (
        "schemas/actors.schema.json",
        lambda s: _field(s, "name").update(sortKey="name"),
        "major",
        "property_changed",
    ),
    # a unit kept as an extension is still a unit: the same values now mean another quantity
    "extension_unit_changed": (
        "schemas/statistics.schema.json",
        lambda s: _field(s, "value").update({"x-unit": "thousands"}),
        "major",
        "meaning_changed",
    ),
    "package_id_added": (
        "datapackage.json",
        lambda d: d.update(id="isis-iraq-syria-test"),
        "major",
        "descriptor_changed",
    ),
    # how the file is read, not what it holds: the CSV is the same, a reader of the descriptor reads it otherwise
    "resource_encoding_changed": (
        "datapackage.json",
        lambda d: next(r for r in d["resources"] if r["name"] == "statistics").update(encoding="latin-1"),
        "major",
        "resource_changed",
    ),
    "resource_description_reworded": (
        "datapackage.json",
        lambda d: next(r for r in d["resources"] if r["name"] == "statistics").update(description="Figures."),
        "patch",
        "resource_metadata_changed",
    ),
    "extension_added": (
        "schemas/actors.schema.json",
        lambda s: _field(s, "name").update({"x-note": "as the documents spell it"}),
        "patch",
        "field_metadata_changed",
    ),
}


@pytest.mark.parametrize(
    "case", _cases(SCHEMA_CASES, {next(iter(SCHEMA_CASES)), "allowed_values_reversed", "extension_unit_changed"})
)
def test_schema_and_descriptor_changes_need_the_readme_bump(base: Path, tmp_path: Path, case: str) -> None:
    path, change, bump, kind = SCHEMA_CASES[case]
    changed = releasable_copy(tmp_path / "pkg")
    _edit_json(changed / path, change)
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    assert [(c.kind, c.bump) for c in result.changes] == [(kind, bump)]
    assert result.bump == bump


def test_table_added_is_minor_and_table_removed_is_major(base: Path, tmp_path: Path) -> None:
    fewer = releasable_copy(tmp_path / "fewer")
    _edit_json(
        fewer / "datapackage.json",
        lambda d: d.update(resources=[r for r in d["resources"] if not r["name"].startswith("claims")]),
    )
    removed = diff(load_side(str(base), ROOT), load_side(str(fewer), ROOT))
    assert [(c.kind, c.table, c.bump) for c in removed.changes] == [("table_removed", "claims", "major")]
    added = diff(load_side(str(fewer), ROOT), load_side(str(base), ROOT))
    assert [(c.kind, c.table, c.bump) for c in added.changes] == [("table_added", "claims", "minor")]
    assert added.rows["claims"].added == sorted(
        r.split(",")[0] for r in (base / "data" / "claims.csv").read_text().splitlines()[1:]
    )


def _copy_without_identity(base: Path, dest: Path) -> Path:
    copy = releasable_copy(dest)
    _edit_json(copy / "schemas" / "statistics.schema.json", lambda s: s.pop("x-identity"))
    return copy


@pytest.mark.parametrize("dropped", ["x-identity", pytest.param("primaryKey", marks=pytest.mark.slow)])
def test_a_reused_id_is_major_when_the_new_side_drops_what_declared_it(
    base: Path, tmp_path: Path, dropped: str
) -> None:
    """The old side's x-identity (and primary key) still say what a row was: dropping them does not make a row that
    now stands for another place a correction."""
    changed = releasable_copy(tmp_path / "pkg")
    rows = read_rows(changed, "statistics")
    other = next(r["geography_id"] for r in rows if r["geography_id"] != rows[0]["geography_id"])
    edit(changed, "statistics", rows[0]["statistic_id"], geography_id=other)
    _edit_json(
        changed / "schemas" / "statistics.schema.json",
        lambda s: [s.pop(p) for p in dict.fromkeys(["x-identity", dropped])],
    )
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    assert [(c.kind, c.key, c.bump) for c in result.changes if c.key] == [
        ("id_reused", rows[0]["statistic_id"], "major")
    ]
    assert result.rows["statistics"].changed == [] and result.bump == "major"


@pytest.mark.slow
def test_traded_ids_are_major_without_x_identity(base: Path, tmp_path: Path) -> None:
    old = _copy_without_identity(base, tmp_path / "old")
    new = changed_copy(tmp_path / "new", "id_reused")
    _edit_json(new / "schemas" / "statistics.schema.json", lambda s: s.pop("x-identity"))
    result = diff(load_side(str(old), ROOT), load_side(str(new), ROOT))
    assert result.bump == "major"
    assert sorted(c.key for c in result.changes if c.kind == "id_reused" and c.table == "statistics") == sorted(REUSED)
    assert result.rows["statistics"].changed == []


def test_a_changed_unique_key_is_a_reused_id(base: Path, tmp_path: Path) -> None:
    changed = releasable_copy(tmp_path / "pkg")
    indicator = read_rows(changed, "indicators")[0]
    edit(changed, "indicators", indicator["indicator_id"], name=indicator["name"] + " in Iraq")  # uniqueKeys: name
    result = diff(load_side(str(base), ROOT), load_side(str(changed), ROOT))
    assert [(c.kind, c.key, c.bump) for c in result.changes] == [("id_reused", indicator["indicator_id"], "major")]


@pytest.mark.parametrize(
    "table,column,old,new,same",
    [
        ("qualifiers", "magnitude", "9007199254740992", "9007199254740993", False),  # one apart beyond 2^53
        pytest.param(  # a number written as an integer
            "statistics", "value", "9007199254740992", "9007199254740993", False, marks=pytest.mark.slow
        ),
        pytest.param("qualifiers", "magnitude", "100", "0100", True, marks=pytest.mark.slow),
        pytest.param("statistics", "value", "2500", "2500.0", True, marks=pytest.mark.slow),
    ],
)
def test_integers_are_compared_exactly(
    base: Path, tmp_path: Path, table: str, column: str, old: str, new: str, same: bool
) -> None:
    before, after = releasable_copy(tmp_path / "old"), releasable_copy(tmp_path / "new")
    key = read_rows(base, table)[0]
    pk = next(iter(key))
    edit(before, table, key[pk], **{column: old})
    edit(after, table, key[pk], **{column: new})
    result = diff(load_side(str(before), ROOT), load_side(str(after), ROOT))
    # a value corrected: patch, as the recipe rates corrections, and never an unseen change
    assert [(c.kind, c.bump) for c in result.changes] == ([] if same else [("values_corrected", "patch")])


@pytest.mark.parametrize(
    "old,new,bump",
    [
        ("0.1.0", "0.2.0-rc.1", "minor"),
        ("0.2.0-rc.1", "0.2.0-rc.2", "minor"),  # a pre-release previews the bump to its own version
        ("0.2.0-rc.1", "0.2.0", "minor"),
        ("0.2.0-alpha.1", "0.2.0-beta.1", "minor"),
        ("0.2.0", "0.2.0-rc.1", None),
        ("0.1.0\n", "0.1.1", None),
        ("0.1.0", "0.1.1+build", None),
        ("0.1.0", "0.02.0", None),
    ],
)
def test_pre_releases_order_as_semver_orders_them(old: str, new: str, bump: str | None) -> None:
    assert version_bump(old, new) == bump


def test_one_version_rule_for_the_diff_and_the_release() -> None:
    from isis_iraq_syria.diff import next_version
    from isis_iraq_syria.safety import Unsafe, parse_version, safe_version

    assert parse_version("0.2.0-rc.1") < parse_version("0.2.0") < parse_version("0.10.0")
    assert safe_version("0.2.0-rc.1") == "0.2.0-rc.1"
    for bad in ("0.1.0\n", " 0.1.0", "v0.1.0", "0.1", "0.1.0.0", "\u0661.0.0", "0.1.0-pre.1", "0.1.0-rc1", 1):
        with pytest.raises(Unsafe):
            parse_version(bad)
    assert next_version("0.2.0-rc.1", "minor") == "0.2.0" and next_version("0.2.0-rc.1", "major") == "1.0.0"
    assert next_version("0.1.0", "patch") == "0.1.1"


def test_a_path_leaving_the_package_names_the_side_once(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path / "pkg")
    _edit_json(pkg / "datapackage.json", lambda d: d["resources"][0].update(path="../evil.csv"))
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        for path in sorted(p for p in pkg.rglob("*") if p.is_file()):
            archive.write(path, f"pkg/{path.relative_to(pkg).as_posix()}")
    git = ["git", "-C", str(pkg), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "evil"], ["tag", "v9.0.0"]):
        subprocess.run([*git, *args], check=True)
    sides = [(str(pkg), ROOT, str(pkg)), (str(tmp_path / "evil.zip"), ROOT, "evil.zip"), ("v9.0.0", pkg, "v9.0.0")]
    for spec, repo, label in sides:
        with pytest.raises(SideError) as raised:
            load_side(spec, repo)
        assert str(raised.value) == (
            f"{label}: datapackage.json: path '../evil.csv' leaves the package or is not a plain relative path"
        )
