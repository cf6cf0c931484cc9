"""Hostile input: a zoo of files, schemas, descriptors and command lines, each tried on a temporary copy of the package.

Every case asserts the exit code (2: could not run, 1: invalid), that no traceback appears, that the output names the
file or table at fault, that --json gives JSON, and that nothing inside or outside the package changed. The validator
and the build run in-process (a fresh Python for each of some 300 runs would take minutes); a few cases run the real
scripts as a user would.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, copy_package, edit, read_rows
from isis_iraq_syria import build, cli
from isis_iraq_syria.schema import STAGING

Mutate = Callable[[Path, Path], None]  # (package, a folder outside it)
SAME = -1  # the build exits as the validator does
# the rows the cell cases edit: any row would do, so the first of each table
STATISTIC, OTHER_STATISTIC = (r["statistic_id"] for r in read_rows(ROOT, "statistics")[:2])
EVENT = read_rows(ROOT, "events")[0]["event_id"]
INDICATOR = read_rows(ROOT, "indicators")[0]["indicator_id"]
ACTOR = read_rows(ROOT, "actors")[0]["actor_id"]


def tree(folder: Path) -> dict[str, str]:
    """Every entry below `folder`, links and FIFOs included (never followed), with its type and content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            mode = os.lstat(path).st_mode
            rel = str(path.relative_to(folder))
            if stat.S_ISLNK(mode):
                out[rel] = "link:" + os.readlink(path)
            elif stat.S_ISREG(mode):
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir" if stat.S_ISDIR(mode) else "special"
    return out


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutate
    code: int  # the validator's exit code
    names: str  # what the output must name: the file, or the table and rule
    build: int | None = SAME  # the build's exit code; None: the build is not run on this case
    args: tuple[str, ...] = ()


# --- the mutations ------------------------------------------------------------------------------------------


def cell(table: str, key: str, **changes: str) -> Mutate:
    return lambda pkg, outside: edit(pkg, table, key, **changes)


def raw(relative: str, transform: Callable[[bytes], bytes]) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        path = pkg / relative
        path.write_bytes(transform(path.read_bytes()))

    return mutate


def write(relative: str, data: bytes) -> Mutate:
    return lambda pkg, outside: (pkg / relative).write_bytes(data)


def json_edit(relative: str, change: Callable[[object], object]) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        path = pkg / relative
        data = json.loads(path.read_text(encoding="utf-8"))
        replaced = change(data)
        path.write_text(json.dumps(data if replaced is None else replaced, indent=2), encoding="utf-8")

    return mutate


def field(relative: str, name: str, **changes) -> Mutate:
    def change(schema: dict) -> None:
        next(f for f in schema["fields"] if f["name"] == name).update(changes)

    return json_edit(relative, change)


def replace_with_dir(relative: str) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        (pkg / relative).unlink()
        (pkg / relative).mkdir()

    return mutate


def replace_with_fifo(relative: str) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        (pkg / relative).unlink()
        os.mkfifo(pkg / relative)

    return mutate


def link_outside(relative: str) -> Mutate:
    """The file (or folder) moved outside the package and linked back: the same bytes, through a link."""

    def mutate(pkg: Path, outside: Path) -> None:
        target = outside / Path(relative).name
        shutil.move(pkg / relative, target)
        (pkg / relative).symlink_to(target)

    return mutate


def link_to(relative: str, target: str) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        (pkg / relative).unlink()
        (pkg / relative).symlink_to(target)

    return mutate


def remove(relative: str) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        path = pkg / relative
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()

    return mutate


def both(*mutations: Mutate) -> Mutate:
    def mutate(pkg: Path, outside: Path) -> None:
        for m in mutations:
            m(pkg, outside)

    return mutate


def nothing(pkg: Path, outside: Path) -> None:
    pass


def stale_staging(pkg: Path, outside: Path) -> None:
    (pkg / STAGING / "data").mkdir(parents=True)
    (pkg / STAGING / "data" / "actors.parquet").write_bytes(b"half written")


def staging_with_a_users_file(pkg: Path, outside: Path) -> None:
    stale_staging(pkg, outside)
    (pkg / STAGING / "notes.txt").write_text("a user's file, which the build never wrote")


S, ST, SE, Q = (
    "data/statistics.csv",
    "schemas/statistics.schema.json",
    "schemas/statistic_evidence.schema.json",
    "schemas/qualifiers.schema.json",
)
DESC = "datapackage.json"

# 1. cells that must not pass as another value, or as nothing
PARSING = [
    Case("arabic_indic_digits_in_a_nullable_number", cell("statistics", STATISTIC, value="٣٠٠"), 1, "schema.type"),
    Case("fullwidth_digits_in_a_bound", cell("statistics", OTHER_STATISTIC, lower_bound="１５３"), 1, "schema.type"),
    Case("devanagari_digits_in_an_integer", cell("qualifiers", "hundreds", magnitude="१००"), 1, "schema.type"),
    Case("superscript_digit", cell("statistics", STATISTIC, value="3²"), 1, "schema.type"),
    Case("integer_beyond_int64", cell("qualifiers", "hundreds", magnitude="99999999999999999999"), 1, "schema.type"),
    Case(
        "integer_just_beyond_int64", cell("qualifiers", "hundreds", magnitude="9223372036854775808"), 1, "schema.type"
    ),
    Case("number_beyond_float64", cell("statistics", STATISTIC, value="1e999"), 1, "schema.type"),
    Case("number_nan_word", cell("statistics", STATISTIC, value="NaN"), 1, "schema.type"),
    Case("number_infinity_word", cell("statistics", STATISTIC, value="Infinity"), 1, "schema.type"),
    Case("number_with_underscore", cell("statistics", STATISTIC, value="1_000"), 1, "schema.type"),
    Case("number_with_spaces", cell("statistics", STATISTIC, value=" 300"), 1, "schema.type"),
    Case("number_hexadecimal", cell("statistics", STATISTIC, value="0x12c"), 1, "schema.type"),
    Case("integer_with_decimal_point", cell("qualifiers", "hundreds", magnitude="100.0"), 1, "schema.type"),
    Case("year_zero", cell("statistics", OTHER_STATISTIC, period_start="0000-01-01"), 1, "schema.type"),
    Case("date_february_30", cell("statistics", OTHER_STATISTIC, period_start="2024-02-30"), 1, "schema.type"),
    Case("date_without_dashes", cell("statistics", OTHER_STATISTIC, period_start="20240101"), 1, "schema.type"),
    Case(
        "date_with_arabic_indic_digits",
        cell("statistics", OTHER_STATISTIC, period_start="٢٠٢٤-٠١-٠١"),
        1,
        "schema.type",
    ),
    Case("date_with_time", cell("statistics", OTHER_STATISTIC, period_start="2024-01-01T00:00"), 1, "schema.type"),
    Case("boolean_word_yes", cell("indicators", INDICATOR, additive_over_time="yes"), 1, "schema.type"),
]
# 2. data that looks like terminal markup or emoji, shown in a failure
MARKUP = [
    Case("markup_closing_tag_in_a_failing_cell", cell("statistics", STATISTIC, value="[/]"), 1, "[/]"),
    Case(
        "markup_words_in_a_failing_cell",
        cell("statistics", STATISTIC, value="[sic] 300 [the group]"),
        1,
        "[sic] 300 [the group]",
    ),
    Case("emoji_code_in_a_failing_cell", cell("statistics", STATISTIC, value=":x:"), 1, ":x:"),
    Case(
        "markup_in_a_header",
        raw("data/actors.csv", lambda b: b.replace(b"actor_kind", b"[bold]kind[/]", 1)),
        1,
        "[bold]kind[/]",
    ),
    Case("markup_in_a_failing_id", cell("events", EVENT, status="[red]occurred[/red]"), 1, "[red]occurred[/red]"),
]
# 3. files that are not what they seem
FILES = [
    Case("csv_is_a_folder", replace_with_dir(S), 2, S),
    Case("csv_is_a_fifo", replace_with_fifo(S), 2, S),
    Case("twin_is_a_fifo", replace_with_fifo("data/actors.parquet"), 1, "data/actors.parquet", build=None),
    Case("csv_missing", remove(S), 2, S),
    Case("csv_is_a_link_outside", link_outside(S), 2, S),
    Case("csv_is_a_link_to_etc_passwd", link_to(S, "/etc/passwd"), 2, S),
    Case("csv_is_a_dangling_link", link_to(S, "/nonexistent/statistics.csv"), 2, S),
    Case("twin_is_a_link_outside", link_outside("data/actors.parquet"), 1, "data/actors.parquet", build=None),
    Case("data_folder_is_a_link", link_outside("data"), 2, "data"),
    Case("schemas_folder_is_a_link", link_outside("schemas"), 2, "schemas"),
    Case("schemas_folder_missing", remove("schemas"), 2, "schemas"),
    # a missing schema is named, not the table that reads it
    Case("schema_missing_of_a_table_derived_from", remove("schemas/events.schema.json"), 2, "events.schema.json: no "),
    Case(
        "schema_missing_of_a_foreign_key",
        remove("schemas/figure_kinds.schema.json"),
        2,
        "figure_kinds.schema.json: no ",
    ),
    Case("schema_is_a_link", link_outside(ST), 2, ST),
    Case("schema_is_a_folder", replace_with_dir(ST), 2, ST),
    Case("descriptor_is_a_link", link_outside(DESC), 2, DESC),
    Case("descriptor_is_a_fifo", replace_with_fifo(DESC), 2, DESC),
    Case("descriptor_missing", remove(DESC), 2, DESC),
    Case("csv_empty", write(S, b""), 1, "file.empty"),
    Case("csv_only_whitespace", write(S, b"\n\n  \n"), 1, "file.empty"),
    Case("csv_binary_garbage", write(S, bytes(range(256)) * 64), 1, "statistics"),
    Case(
        "csv_latin1",
        raw("data/actors.csv", lambda b: b + "zürich,Zürich,person,,,\n".encode("latin-1")),
        1,
        "file.encoding",
    ),
    Case("csv_utf16", raw("data/actors.csv", lambda b: b.decode().encode("utf-16")), 1, "actors"),
    Case("csv_with_bom", raw(S, lambda b: b"\xef\xbb\xbf" + b), 1, "file.encoding"),
    Case("csv_crlf", raw(S, lambda b: b.replace(b"\n", b"\r\n")), 1, "file.line_endings"),
    Case(
        "csv_header_beyond_128_kib",
        raw("data/actors.csv", lambda b: b.replace(b"notes", b"notes" + b"x" * 200_000, 1)),
        1,
        "file.header",
    ),
    Case("csv_header_only_quote", raw("data/actors.csv", lambda b: b'"' + b), 1, "actors"),
    Case("csv_unterminated_quote", raw("data/actors.csv", lambda b: b + b'zz,"never closed,person,,,\n'), 1, "actors"),
    Case(
        "csv_nul_byte_in_a_cell",
        raw("data/actors.csv", lambda b: b.replace(b"Reuters", b"Reu\x00ters", 1)),
        1,
        "hygiene.control_chars",
    ),
    Case(
        "csv_extra_cell",
        raw("data/actors.csv", lambda b: b.replace(b"\nagencies,", b"\nagencies,x,", 1)),
        1,
        "file.ragged_row",
    ),
    Case("csv_blank_line", raw("data/actors.csv", lambda b: b + b"\n"), 1, "actors"),
    # pyarrow decodes a ragged row's text before it hands the row over: not UTF-8, that raised inside pyarrow
    Case("csv_ragged_row_not_utf8", raw("data/qualifiers.csv", lambda b: b + b"x\xff\n"), 1, "file.encoding"),
    Case("csv_long_row_not_utf8", raw("data/qualifiers.csv", lambda b: b + b"a,b,c,d,e,f,\xff\n"), 1, "file.encoding"),
    Case(
        "csv_unterminated_quote_not_utf8", raw("data/qualifiers.csv", lambda b: b + b'"never\xff\n'), 1, "file.encoding"
    ),
]
# 4. Table Schemas this validator cannot apply: they stop the run, naming the schema
SCHEMAS = [
    Case(
        "schema_primary_key_names_a_missing_field",
        json_edit(ST, lambda s: s.update(primaryKey=["no_such_field"])),
        2,
        ST,
    ),
    Case(
        "schema_foreign_key_on_a_missing_local_field",
        json_edit(SE, lambda s: s["foreignKeys"][0].update(fields=["no_such_field"])),
        2,
        SE,
    ),
    Case(
        "schema_foreign_key_to_a_missing_field",
        json_edit(SE, lambda s: s["foreignKeys"][0]["reference"].update(fields=["no_such_field"])),
        2,
        SE,
    ),
    Case(
        "schema_foreign_key_to_a_missing_table",
        json_edit(SE, lambda s: s["foreignKeys"][0]["reference"].update(resource="nowhere")),
        2,
        SE,
    ),
    Case(
        "schema_foreign_key_fields_count_mismatch",
        json_edit(SE, lambda s: s["foreignKeys"][0].update(fields=["statistic_id", "source_id"])),
        2,
        SE,
    ),
    Case("schema_field_without_name", json_edit(ST, lambda s: s["fields"][0].pop("name") and None), 2, ST),
    Case("schema_duplicate_field", json_edit(ST, lambda s: s["fields"].append(dict(s["fields"][0])) and None), 2, ST),
    Case("schema_bad_regex", field(ST, "statistic_id", constraints={"pattern": "^S[0-9"}), 2, ST),
    Case("schema_regex_not_a_string", field(ST, "statistic_id", constraints={"pattern": 7}), 2, ST),
    Case("schema_unsupported_type", field(ST, "notes", type="datetime"), 2, ST),
    Case("schema_minimum_as_text", field(Q, "band", constraints={"minimum": "0"}), 2, Q),
    Case("schema_max_length_on_a_number", field(Q, "band", constraints={"maxLength": 3}), 2, Q),
    Case("schema_enum_not_a_list", field(Q, "bound_rule", constraints={"enum": "exact"}), 2, Q),
    Case("schema_vocabulary_not_a_boolean", json_edit(Q, lambda s: s.update({"x-vocabulary": "yes"})), 2, Q),
    Case("schema_is_a_json_array", write(ST, b"[]"), 2, ST),
    Case("schema_not_json", write(ST, b'{"fields": ['), 2, ST),
    Case("schema_not_utf8", write(ST, b"\xff\xfe{}"), 2, ST),
    Case("schema_deeply_nested", write(ST, b"[" * 100_000), 2, ST),
    Case(
        "schema_file_name_unsafe",
        lambda p, o: shutil.copy(p / ST, p / "schemas" / "Bad Name.schema.json"),
        2,
        "Bad Name",
    ),
    Case(
        "schema_without_csv", lambda p, o: shutil.copy(p / ST, p / "schemas" / "extra.schema.json"), 2, "data/extra.csv"
    ),
    Case("schema_unique_keys_missing_field", json_edit(ST, lambda s: s.update(uniqueKeys=[["nowhere"]])), 2, ST),
]
# 5. foreign keys of several fields: every row must match
COMPOSITE_KEYS = [
    Case(
        "composite_foreign_key_violated",
        json_edit(
            "schemas/event_geographies.schema.json",
            lambda s: (
                s["foreignKeys"].append(
                    {
                        "fields": ["event_id", "geography_id"],
                        "reference": {"resource": "event_actors", "fields": ["event_id", "actor_id"]},
                    }
                )
                and None
            ),
        ),
        1,
        "ref.foreign_key",
        build=None,
    ),
]
# 6. descriptors
DESCRIPTORS = [
    Case("descriptor_is_a_json_array", json_edit(DESC, lambda d: [d]), 1, "descriptor.profile"),
    Case("descriptor_is_a_string", write(DESC, b'"isis"'), 1, "descriptor.profile"),
    Case("descriptor_name_climbs_out", json_edit(DESC, lambda d: d.update(name="../../evil")), 1, "descriptor.profile"),
    Case("descriptor_name_absolute", json_edit(DESC, lambda d: d.update(name="/tmp/evil")), 1, "descriptor.profile"),
    Case(
        "descriptor_version_climbs_out",
        json_edit(DESC, lambda d: d.update(version="../../1.0.0")),
        1,
        "descriptor.profile",
    ),
    Case("descriptor_without_v2_schema", json_edit(DESC, lambda d: d.pop("$schema") and None), 1, "descriptor.profile"),
    Case(
        "descriptor_licenses_not_a_list",
        json_edit(DESC, lambda d: d.update(licenses="CC-BY-4.0")),
        1,
        "descriptor.profile",
    ),
    Case(
        "descriptor_resource_reads_etc_passwd",
        json_edit(DESC, lambda d: d["resources"][0].update(path="../../../../etc/passwd")),
        1,
        "descriptor.resources",
        build=0,
    ),
    Case(
        "descriptor_resource_absolute_path",
        json_edit(DESC, lambda d: d["resources"].append({"name": "passwd", "path": "/etc/passwd"}) and None),
        1,
        "descriptor.resources",
        build=0,
    ),
    Case(
        "descriptor_resource_dropped",
        json_edit(DESC, lambda d: d["resources"].pop() and None),
        1,
        "descriptor.resources",
        build=0,
    ),
    Case(
        "descriptor_resource_wrong_schema",
        json_edit(
            DESC,
            lambda d: next(r for r in d["resources"] if r["name"] == "statistics-parquet").update(
                schema="schemas/actors.schema.json"
            ),
        ),
        1,
        "descriptor.resources",
        build=0,
    ),
    Case("descriptor_not_json", write(DESC, b"{"), 2, DESC),
    Case("descriptor_empty", write(DESC, b""), 2, DESC),
    Case("descriptor_deeply_nested", write(DESC, b"[" * 100_000), 2, DESC),
    Case(
        "stray_temporary_file_in_data",
        write("data/.actors.parquet.abc.tmp", b"torn"),
        1,
        "data/.actors.parquet.abc.tmp",
        build=None,
    ),
]
# 7. the environment and the command line
ENVIRONMENT = [
    Case("stale_staging_folder", stale_staging, 2, STAGING, build=0),
    Case("staging_folder_with_a_users_file", staging_with_a_users_file, 2, STAGING, build=2),
    Case("archive_empty_path", nothing, 2, "--archive", build=None, args=("--archive", "")),
    Case("archive_missing", nothing, 2, "archive", build=None, args=("--archive", "/nonexistent/archive")),
    Case("archive_is_a_file", nothing, 2, "archive", build=None, args=("--archive", "/etc/hostname")),
    Case("root_is_a_file", nothing, 2, "statistics.csv", args=("--root", "{pkg}/data/statistics.csv")),
    Case("root_missing", nothing, 2, "nowhere", args=("--root", "{pkg}/nowhere")),
    Case("root_empty_path", nothing, 2, "--root", args=("--root", "")),
    Case("root_named_like_markup", nothing, 2, "[/]x", args=("--root", "{pkg}/[/]x")),
]
CLASSES = {
    "parsing": PARSING,
    "markup": MARKUP,
    "files": FILES,
    "schemas": SCHEMAS,
    "composite keys": COMPOSITE_KEYS,
    "descriptors": DESCRIPTORS,
    "environment": ENVIRONMENT,
}
CASES = [case for cases in CLASSES.values() for case in cases]
# make test runs, of each class, the first case refused before the rules run (exit 2); the cases only the rules
# refuse (exit 1: a whole validation each, and the rule tests make those mistakes too) run in make check
FIRST_OF_EACH_CLASS = {
    next(c.id for c in cases if c.code == 2) for cases in CLASSES.values() if any(c.code == 2 for c in cases)
}


def package_files(pkg: Path) -> set[str]:
    return {p.name.removesuffix(".schema.json") for p in (pkg / "schemas").glob("*.schema.json")} | {DESC}


@pytest.fixture
def zoo(tmp_path: Path) -> tuple[Path, Path]:
    """A package two folders down (so that "../../evil" still lands inside tmp_path) and a folder outside it."""
    pkg = copy_package(tmp_path / "a" / "b" / "pkg")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the package\n")
    return pkg, outside


def _args(case: Case, pkg: Path) -> list[str]:
    args = [a.replace("{pkg}", str(pkg)) for a in case.args]
    return args if "--root" in args else ["--root", str(pkg), *args]


def _pairs_of(args: list[str]) -> dict[str, str]:
    """["--root", "x", "--archive", "y"] as {"--root": "x", "--archive": "y"}."""
    return dict(zip(args[::2], args[1::2], strict=True))


def run_validate(case: Case, pkg: Path, as_json: bool, capsys) -> tuple[int, str]:
    args = _pairs_of(_args(case, pkg))
    namespace = argparse.Namespace(root=args["--root"], archive=args.get("--archive"), json=as_json, no_parity=False)
    code = cli.validate_main(namespace)
    out = capsys.readouterr()
    return code, out.out + out.err


def run_build(case: Case, pkg: Path, capsys) -> tuple[int, str]:
    args = _pairs_of(_args(case, pkg))
    code = cli.script_main(build.run, args["--root"], "cannot build")
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=() if c.id in FIRST_OF_EACH_CLASS else pytest.mark.slow) for c in CASES]
)
def test_hostile_input_is_refused_with_a_message_and_changes_nothing(case: Case, zoo, tmp_path: Path, capsys) -> None:
    pkg, outside = zoo
    case.mutate(pkg, outside)
    before = tree(tmp_path)

    code, output = run_validate(case, pkg, False, capsys)
    assert code == case.code, output
    assert "Traceback" not in output
    assert case.names in output, output
    if code == 2:  # could not run: one line, naming the file
        assert output.count("\n") == 1 and output.startswith("cannot validate: "), output

    code, output = run_validate(case, pkg, True, capsys)
    assert code == case.code
    report = json.loads(output)
    assert report["valid"] is False
    assert case.names in json.dumps(report, ensure_ascii=False)
    for failure in report["failures"]:  # invalid: each failure names the table (data/<table>.csv) or the descriptor
        assert failure["resource"] in package_files(pkg), failure
    assert tree(tmp_path) == before, "validation changed a file"

    if case.build is None:
        return
    expected = case.code if case.build == SAME else case.build
    code, output = run_build(case, pkg, capsys)
    assert code == expected, output
    assert "Traceback" not in output
    if expected != 0:  # the build's message, or the failures it shows, name the same file or rule, as typed
        assert case.names in output, output
        assert tree(tmp_path) == before, "a refused build changed a file"
    else:  # the build repaired what it derives: only the package's generated files changed, nothing outside
        after = tree(tmp_path)
        changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        assert all(p.startswith("a/b/pkg/") for p in changed), changed
        assert {p.removeprefix("a/b/pkg/") for p in changed} <= {
            "datapackage.json",
            STAGING,
            f"{STAGING}/data",
            f"{STAGING}/data/actors.parquet",
        }
        assert not (pkg / STAGING).exists()


def test_hostile_cases_are_distinct_and_every_class_has_some() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(CLASSES.values()) and len(CASES) >= 80
    print(", ".join(f"{name}: {len(cases)}" for name, cases in CLASSES.items()), f"(in all {len(CASES)})")


# --- faults of the environment, simulated (the tests may run as root, who can write to read-only folders) ------


@pytest.mark.slow
def test_full_disk_during_a_build_leaves_the_old_package_and_no_temporary_file(pkg: Path, monkeypatch, capsys) -> None:
    edit(pkg, "actors", ACTOR, notes="A news agency.")
    json_edit(DESC, lambda d: d["resources"].pop() and None)(pkg, pkg)  # the descriptor is rewritten too
    before = tree(pkg)
    real_write = build._write

    def full(path: Path, data: bytes) -> None:
        if path.name == "datapackage.json":  # after some twins were staged
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, data)

    monkeypatch.setattr(build, "_write", full)
    code = cli.script_main(build.run, pkg, "cannot build")
    output = capsys.readouterr().out
    assert (
        code == 2 and "No space left on device" in output and "datapackage.json" in output and "Traceback" not in output
    )
    assert output.count("\n") == 1
    assert tree(pkg) == before


@pytest.mark.slow
def test_read_only_data_folder_refuses_the_build_before_writing(pkg: Path, monkeypatch, capsys) -> None:
    edit(pkg, "actors", ACTOR, notes="A news agency.")
    before = tree(pkg)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: False if Path(path).name == "data" else real_access(path, mode, **kw)
    )
    code = cli.script_main(build.run, pkg, "cannot build")
    output = capsys.readouterr().out
    assert code == 2 and "data/: not writable" in output and "Traceback" not in output
    assert tree(pkg) == before


@pytest.mark.slow
def test_a_rename_refused_before_any_file_moved_undoes_the_build(pkg: Path, monkeypatch, capsys) -> None:
    edit(pkg, "actors", ACTOR, notes="A news agency.")
    before = tree(pkg)

    def refuse(src, dst):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))

    monkeypatch.setattr(build.os, "replace", refuse)
    code = cli.script_main(build.run, pkg, "cannot build")
    output = capsys.readouterr().out
    assert code == 2 and "Read-only file system" in output and "nothing was written" in output
    assert tree(pkg) == before


def test_unreadable_csv_exits_2_naming_it(pkg: Path, monkeypatch, capsys) -> None:
    real_open = os.open

    def denied(path, flags, *args, **kwargs):
        if str(path).endswith("statistics.csv"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    code = cli.validate_main(argparse.Namespace(root=str(pkg), archive=None, json=True, no_parity=False))
    report = json.loads(capsys.readouterr().out)
    assert (
        code == 2
        and report["could_not_run"]
        and "data/statistics.csv" in report["message"]
        and "Permission denied" in report["message"]
    )


def test_an_unexpected_error_is_a_message_not_a_traceback(pkg: Path, monkeypatch, capsys) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("something no one foresaw")

    import isis_iraq_syria.validate as validating

    monkeypatch.setattr(
        validating, "validate", boom
    )  # cli imports it when it runs, so the module's name is the one used
    code = cli.validate_main(argparse.Namespace(root=str(pkg), archive=None, json=False, no_parity=False))
    output = capsys.readouterr().out
    assert code == 2 and output == "cannot validate: unexpected RuntimeError: something no one foresaw\n"


def test_ctrl_c_is_a_message_not_a_traceback(pkg: Path, monkeypatch, capsys) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "validate", interrupted)
    assert cli.script_main(build.run, pkg, "cannot build") == 2
    assert capsys.readouterr().out == "cannot build: interrupted\n"


@pytest.mark.slow
def test_build_replaces_a_linked_twin_without_writing_through_the_link(zoo, tmp_path: Path, capsys) -> None:
    pkg, outside = zoo
    link_outside("data/actors.parquet")(pkg, outside)
    edit(pkg, "actors", ACTOR, notes="A news agency.")
    target = (outside / "actors.parquet").read_bytes()
    assert cli.script_main(build.run, pkg, "cannot build") == 0
    assert (outside / "actors.parquet").read_bytes() == target
    assert not (pkg / "data" / "actors.parquet").is_symlink()


# --- the real scripts, as a user runs them ------------------------------------------------------------------


def _script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.mark.slow
def test_scripts_exit_with_a_message_on_hostile_input(zoo, tmp_path: Path) -> None:
    pkg, outside = zoo
    replace_with_fifo(S)(pkg, outside)  # would hang a reader that opens it
    before = tree(tmp_path)
    for script in ("validate.py", "build.py"):
        result = _script(script, "--root", str(pkg), cwd=outside)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr == "" and S in result.stdout and result.stdout.count("\n") == 1
    result = _script("validate.py", "--root", str(pkg), "--json", cwd=outside)
    assert result.returncode == 2 and json.loads(result.stdout)["could_not_run"] is True
    result = _script("validate.py", "--root", str(pkg), "--archive", "", "--json", cwd=outside)
    assert result.returncode == 2 and "--archive" in json.loads(result.stdout)["message"]
    result = _script("validate.py", "--no-such-option", "--json", cwd=outside)
    assert result.returncode == 2 and "usage" in json.loads(result.stdout)["message"]
    assert tree(tmp_path) == before


@pytest.mark.slow
def test_markup_in_a_cell_is_shown_verbatim_by_the_scripts(zoo) -> None:
    pkg, outside = zoo
    edit(pkg, "statistics", STATISTIC, value="[/] [sic] :x:")
    result = _script("validate.py", "--root", str(pkg), cwd=outside)
    assert result.returncode == 1 and "[/] [sic] :x:" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "make"),
    [
        (".", None),
        ("data", None),
        ("schemas", None),
        ("nonempty", lambda p: (p.mkdir(), (p / "mine.txt").write_text("keep me"))),
        ("a_file", lambda p: p.write_text("keep me")),
        ("a_link", lambda p: p.symlink_to(p.parent / "outside")),
    ],
)
def test_synth_refuses_a_folder_it_did_not_make_and_deletes_nothing(target: str, make, zoo, tmp_path: Path) -> None:
    pkg, _ = zoo
    _with_code(pkg)  # synth replicates the package that holds it
    out = tmp_path / target if make else pkg / target
    if make:
        make(out)
    before = tree(tmp_path)
    result = subprocess.run(
        [sys.executable, str(pkg / "scripts" / "synth.py"), "30", str(out)],
        capture_output=True,
        text=True,
        cwd=pkg,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout.startswith("cannot write the synthetic package: ")
    assert tree(tmp_path) == before


@pytest.mark.slow
def test_synth_replaces_its_own_folder_but_not_a_file_a_user_added_to_it(zoo, tmp_path: Path) -> None:
    pkg, _ = zoo
    _with_code(pkg)
    out = tmp_path / "synthetic"

    def synth() -> subprocess.CompletedProcess:
        command = [sys.executable, str(pkg / "scripts" / "synth.py"), "30", str(out)]
        return subprocess.run(command, capture_output=True, text=True, cwd=pkg, timeout=120)

    assert synth().returncode == 0 and synth().returncode == 0  # its own folder, replaced
    (out / "mydir").mkdir()
    (out / "mydir" / "notes.txt").write_text("keep me")
    before = tree(tmp_path)
    result = synth()
    assert result.returncode == 2 and "mydir/notes.txt, which synth.py did not write" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr and tree(tmp_path) == before


# --- foreign keys of several fields, against frictionless ------------------------------------------------------

PAIRS = {
    "fields": [
        {"name": "pair_id", "type": "string", "constraints": {"required": True}},
        {"name": "event_id", "type": "string"},
        {"name": "source_id", "type": "string"},
    ],
    "primaryKey": ["pair_id"],
    "foreignKeys": [
        {
            "fields": ["event_id", "source_id"],
            "reference": {"resource": "event_evidence", "fields": ["event_id", "source_id"]},
        }
    ],
}


def _pairs(pkg: Path, pairs: list[tuple[str, str]]) -> None:
    (pkg / "schemas" / "pairs.schema.json").write_text(json.dumps(PAIRS))
    lines = ["pair_id,event_id,source_id"] + [f"P{i:03d},{e},{s}" for i, (e, s) in enumerate(pairs)]
    (pkg / "data" / "pairs.csv").write_text("\n".join(lines) + "\n")


def _frictionless_fk_rows(pkg: Path) -> set[int]:
    from frictionless import Package as FrictionlessPackage

    from isis_iraq_syria.build import resources
    from isis_iraq_syria.schema import Package

    package = Package.load(pkg)
    csv_only = [r for r in resources(package) if r["format"] == "csv"]
    report = FrictionlessPackage({**package.descriptor, "resources": csv_only}, basepath=str(pkg)).validate()
    return {
        task_error.row_number
        for task in report.tasks
        if task.name == "pairs"
        for task_error in task.errors
        if task_error.type == "foreign-key"
    }


@pytest.mark.slow
def test_composite_foreign_keys_fail_exactly_where_frictionless_fails(pkg: Path) -> None:
    from conftest import read_rows, rule_hits, run

    evidence = [(r["event_id"], r["source_id"]) for r in read_rows(pkg, "event_evidence")]
    wrong = [(evidence[0][0], "centcom-statement"), ("E999", evidence[0][1]), ("", ""), (evidence[2][0], "")]
    _pairs(pkg, evidence + wrong)
    hits = rule_hits(run(pkg, parity=False), "ref.foreign_key")
    ours = {f.line for f in hits if f.resource == "pairs"}
    n = len(evidence)
    # the first two wrong rows and the half-empty one fail; the all-empty row is skipped, as frictionless skips it
    assert ours == {n + 2, n + 3, n + 5}, hits
    assert ours == _frictionless_fk_rows(pkg)
    assert all(f.column == "event_id,source_id" for f in hits)


# --- the diff: hostile zips, folders, git refs and command lines ------------------------------------------------
# Each case makes the old side from a copy of the package; the new side is the copy itself. The diff must exit 2 with
# one line naming the side and the file (JSON with --json), and change nothing.

DIFF = ROOT / "scripts" / "diff.py"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "advice.detachedHead=false"]
Side = Callable[[Path, Path], str]  # (package, a folder outside it) -> the old side's name on the command line


def _zip_of(pkg: Path, dest: Path, extra: dict[str, bytes] | None = None, skip: set[str] = frozenset()) -> Path:
    """The package's descriptor, schemas and CSVs as a zip (what the diff reads), with `extra` members added."""
    import warnings
    import zipfile

    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name is what some cases are about
        for path in sorted([pkg / DESC, *pkg.glob("schemas/*.json"), *pkg.glob("data/*.csv")]):
            if str(path.relative_to(pkg)) not in skip:
                archive.write(path, str(path.relative_to(pkg)))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return dest


def _patched(zip_path: Path, member: str, offset: int, value: int, size: int = 4) -> Path:
    """The zip with one field of `member`'s central directory entry overwritten (offsets as the zip format gives
    them: 8 flags, 10 method, 16 CRC-32, 24 uncompressed size)."""
    data = bytearray(zip_path.read_bytes())
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        name_length = int.from_bytes(data[start + 28 : start + 30], "little")
        if data[start + 46 : start + 46 + name_length] == member.encode():
            data[start + offset : start + offset + size] = value.to_bytes(size, "little")
            zip_path.write_bytes(bytes(data))
            return zip_path
        start += 4
    raise AssertionError(f"no {member} in {zip_path}")


def _field_of(zip_path: Path, member: str, offset: int) -> int:
    import zipfile

    info = zipfile.ZipFile(zip_path).getinfo(member)
    return {8: info.flag_bits, 10: info.compress_type, 16: info.CRC, 24: info.file_size}[offset]


def zip_patched(member: str, offset: int, change: Callable[[int], int], size: int = 4) -> Side:
    def side(pkg: Path, outside: Path) -> str:
        path = _zip_of(pkg, outside / "old.zip")
        return str(_patched(path, member, offset, change(_field_of(path, member, offset)), size))

    return side


def zip_with(extra: dict[str, bytes] | None = None, skip: set[str] = frozenset()) -> Side:
    return lambda pkg, outside: str(_zip_of(pkg, outside / "old.zip", extra, skip))


def zip_truncated_central_directory(pkg: Path, outside: Path) -> str:
    path = _zip_of(pkg, outside / "old.zip")
    data = path.read_bytes()
    directory = data.find(b"PK\x01\x02")
    path.write_bytes(data[: directory + 30] + data[-22:])  # the end record still points at the whole directory
    return str(path)


def zip_not_a_zip(pkg: Path, outside: Path) -> str:
    (outside / "old.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return str(outside / "old.zip")


def folder_with(mutate: Mutate) -> Side:
    def side(pkg: Path, outside: Path) -> str:
        old = copy_package(outside / "old")
        mutate(old, outside)
        return str(old)

    return side


def git_ref_with(mutate: Mutate) -> Side:
    """The package committed and tagged v0.0.1 after `mutate`, then restored: the ref is the hostile side."""

    def side(pkg: Path, outside: Path) -> str:
        repo = copy_package(outside / "repo")
        mutate(repo, outside)
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "hostile"], ["tag", "v0.0.1"]):
            subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)
        return "v0.0.1"

    return side


def text(name: str) -> Side:
    return lambda pkg, outside: name


@dataclass(frozen=True)
class DiffCase:
    id: str
    old: Side
    names: str  # what the one-line message must name


NESTED = b"[" * 100_000
DIFF_CLASSES = {
    "zip": [
        DiffCase(
            "zip_member_declares_4_gib", zip_patched("data/actors.csv", 24, lambda _: 2**32 - 1), "data/actors.csv"
        ),
        DiffCase("zip_bad_crc", zip_patched("data/actors.csv", 16, lambda crc: crc ^ 1), "data/actors.csv"),
        DiffCase(
            "zip_encrypted_flag", zip_patched("data/actors.csv", 8, lambda flags: flags | 1, 2), "data/actors.csv"
        ),
        DiffCase("zip_compression_method_99", zip_patched("data/actors.csv", 10, lambda _: 99, 2), "data/actors.csv"),
        DiffCase("zip_truncated_central_directory", zip_truncated_central_directory, "old.zip"),
        DiffCase("zip_descriptor_deeply_nested", zip_with({DESC: NESTED}, {DESC}), DESC),
        DiffCase(
            "zip_resources_an_object",
            zip_with({DESC: json.dumps({"name": "x", "resources": {"actors": {}}}).encode()}, {DESC}),
            "resources",
        ),
        DiffCase(
            "zip_header_repeats_a_column",
            zip_with({"data/actors.csv": b"actor_id,name,name\na,b,c\n"}, {"data/actors.csv"}),
            "data/actors.csv",
        ),
        DiffCase("zip_two_descriptors", zip_with({DESC: (ROOT / DESC).read_bytes()}), DESC),
        DiffCase("zip_not_a_zip", zip_not_a_zip, "old.zip"),
    ],
    "folder": [
        DiffCase("folder_descriptor_a_symlink", folder_with(link_outside(DESC)), DESC),
        DiffCase("folder_descriptor_a_fifo", folder_with(replace_with_fifo(DESC)), DESC),
        DiffCase("folder_descriptor_a_folder", folder_with(replace_with_dir(DESC)), DESC),
        DiffCase("folder_descriptor_deeply_nested", folder_with(write(DESC, NESTED)), DESC),
        DiffCase("folder_schema_links_outside", folder_with(link_outside(ST)), ST),
        DiffCase(
            "folder_header_repeats_a_column",
            folder_with(write(S, b"statistic_id,statistic_id\nS001,S001\n")),
            S,
        ),
    ],
    "git ref": [
        DiffCase("git_descriptor_deeply_nested", git_ref_with(write(DESC, NESTED)), DESC),
        DiffCase("git_schema_a_symlink", git_ref_with(link_to(ST, "../datapackage.json")), ST),
        DiffCase(
            "git_resources_an_object", git_ref_with(json_edit(DESC, lambda d: {**d, "resources": {}})), "resources"
        ),
    ],
    "command line": [
        DiffCase("empty_name", text(""), "empty name"),
        DiffCase("ref_with_dots", text("v1..2"), "v1..2"),
        DiffCase("ref_like_an_option", text("--output=/tmp/x"), "--output=/tmp/x"),
        DiffCase("ref_with_shell_syntax", text("v9;touch${IFS}PWNED;#"), "v9;touch${IFS}PWNED;#"),
        DiffCase("ref_with_a_revision_suffix", text("HEAD@{0}"), "HEAD@{0}"),
    ],
}
DIFF_CASES = [case for cases in DIFF_CLASSES.values() for case in cases]
FIRST_DIFF_CASES = {cases[0].id for cases in DIFF_CLASSES.values()}


def run_diff(old: str, pkg: Path, as_json: bool, capsys, repo: Path | None = None) -> tuple[int, str]:
    namespace = argparse.Namespace(old=old, new=str(pkg), json=as_json, markdown=False, repo=repo, root=str(pkg))
    code = cli.diff_main(namespace)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=() if c.id in FIRST_DIFF_CASES else pytest.mark.slow) for c in DIFF_CASES]
)
def test_diff_refuses_a_hostile_side_with_one_line_and_changes_nothing(
    case: DiffCase, zoo, tmp_path: Path, capsys, monkeypatch
) -> None:
    pkg, outside = zoo
    old = case.old(pkg, outside)
    monkeypatch.chdir(outside)  # a relative side, or a ref, is looked up from here and in the package's repository
    repo = outside / "repo" if (outside / "repo").exists() else None  # where the git cases commit their side
    before = tree(tmp_path)
    code, output = run_diff(old, pkg, False, capsys, repo)
    assert code == 2, output
    assert "Traceback" not in output
    assert output.startswith("cannot diff: ") and output.count("\n") == 1, output
    assert case.names in output, output
    code, output = run_diff(old, pkg, True, capsys, repo)
    assert code == 2 and case.names in json.loads(output)["error"], output
    assert tree(tmp_path) == before
    assert not (outside / "PWNED").exists() and not Path("/tmp/x").exists()


MIB = 1 << 20


def _zip_with_large_member(pkg: Path, dest: Path, member: str, size: int, last_line: bytes) -> Path:
    """The package as a zip whose `member` is its header, then its rows under new keys until `size` bytes, then
    `last_line`: a table of the package's own shape, a few hundred MiB long (it deflates to a few percent)."""
    import zipfile

    _zip_of(pkg, dest, skip={member})
    header, *rows = (pkg / member).read_bytes().splitlines(keepends=True)
    with zipfile.ZipFile(dest, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(member, "w", force_zip64=True) as out:
            out.write(header)
            written, n = len(header), 0
            while written < size:
                chunk = b"".join(b"zz%09d" % (n + i) + row[row.index(b",") :] for i, row in enumerate(rows))
                out.write(chunk)
                written, n = written + len(chunk), n + len(rows)
            out.write(last_line)
    return dest


@pytest.mark.slow
def test_diff_streams_a_large_member_and_names_it(zoo, tmp_path: Path) -> None:
    """A 500 MiB table whose last line is not UTF-8: the diff copies it in chunks and polars reads it in batches,
    so that its peak memory stays under twice the member's size (about 0.8 times with 2 threads, 1.6 with 8; read
    whole and parsed at once, it took 3 times, and 9 when its rows were compared); the file is named."""
    pkg, outside = zoo
    size, member = 500 * MIB, "data/statistics.csv"
    old = _zip_with_large_member(pkg, outside / "old.zip", member, size, b"zz-last,not \xff UTF-8\n")
    before, temp = tree(pkg), outside / "tmp"
    temp.mkdir()
    command, env = [sys.executable, str(DIFF), str(old), str(pkg)], {**os.environ, "TMPDIR": str(temp)}
    with open(outside / "out", "wb") as out, open(outside / "err", "wb") as err:
        diff = subprocess.Popen(command, stdout=out, stderr=err, cwd=outside, env=env)
        _, status, usage = os.wait4(diff.pid, 0)  # the peak memory of this process alone
    output = (outside / "out").read_text() + (outside / "err").read_text()
    assert os.waitstatus_to_exitcode(status) == 2, output
    assert "Traceback" not in output and output.count("\n") == 1, output
    assert output.startswith("cannot diff: old.zip: data/statistics.csv: not a readable CSV"), output
    assert usage.ru_maxrss * 1024 < 2 * size, f"{usage.ru_maxrss / 1024:.0f} MiB at its peak"  # ru_maxrss is in KiB
    assert tree(pkg) == before and not list(temp.iterdir())  # its copy of the member is removed
    diff.returncode = os.waitstatus_to_exitcode(status)  # reaped above: Popen must not wait for it again


def test_diff_cases_are_distinct_and_every_class_has_some() -> None:
    assert len({c.id for c in DIFF_CASES}) == len(DIFF_CASES) and all(DIFF_CLASSES.values())


def _with_code(pkg: Path, makefile: bool = False) -> None:
    """The copy gets the scripts and the package's code (and the Makefile): commands run from it act on it."""
    for name in ("scripts", "isis_iraq_syria"):
        shutil.copytree(ROOT / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    if makefile:
        shutil.copy2(ROOT / "Makefile", pkg / "Makefile")


def _shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    "output",
    ["closed_pipe", pytest.param("ascii", marks=pytest.mark.slow), pytest.param("closed", marks=pytest.mark.slow)],
)
def test_diff_output_survives_a_closed_pipe_an_ascii_encoding_and_a_closed_output(
    output: str, zoo, tmp_path: Path
) -> None:
    pkg, outside = zoo
    old = _zip_of(pkg, outside / "old.zip")
    rows = "".join(f"zz-café-{i:05d},Café {i} – “quoted”,person,,,\n" for i in range(5000))  # about 100 kB of JSON
    with open(pkg / "data" / "actors.csv", "a", encoding="utf-8") as handle:
        handle.write(rows)
    before = tree(tmp_path)
    command = f"{sys.executable} {DIFF} {old} {pkg}"
    if output == "closed_pipe":
        piped = _shell(f"{command} --json | head -c 100 >/dev/null", outside)
        assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    elif output == "ascii":
        for flag in ("--json", ""):
            result = _shell(f"{command} {flag}", outside, PYTHONIOENCODING="ascii")
            assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
            assert result.stdout.isascii()
            if flag:  # escaped as JSON escapes them: the same rows once parsed
                assert "zz-café-00042" in json.loads(result.stdout)["tables"]["actors"]["rows_added"]
            else:
                assert "zz-caf\\u00e9-00042" in result.stdout
    else:
        closed = _shell(f"{command} --json >&-", outside)
        assert closed.returncode == 2 and "standard output is closed" in closed.stderr, closed.stderr
        assert "Traceback" not in closed.stderr
    assert tree(tmp_path) == before


@pytest.mark.slow
def test_validate_output_survives_an_ascii_encoding_and_a_closed_output(zoo, tmp_path: Path) -> None:
    pkg, outside = zoo
    edit(pkg, "statistics", STATISTIC, value="٣٠٠")
    before = tree(tmp_path)
    for flag in ("--json", ""):
        result = _shell(
            f"{sys.executable} {ROOT / 'scripts' / 'validate.py'} --root {pkg} {flag}",
            outside,
            PYTHONIOENCODING="ascii",
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stdout.isascii()
        if flag:
            assert any(f["values"].find("٣٠٠") >= 0 for f in json.loads(result.stdout)["failures"])
    closed = _shell(f"{sys.executable} {ROOT / 'scripts' / 'validate.py'} --root {pkg} --json >&-", outside)
    assert closed.returncode == 2 and "standard output is closed" in closed.stderr and "Traceback" not in closed.stderr
    assert tree(tmp_path) == before


@pytest.mark.slow
def test_make_diff_passes_no_tag_or_name_to_the_shell(zoo, tmp_path: Path) -> None:
    pkg, _ = zoo
    _with_code(pkg, makefile=True)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "first"], ["tag", "v9.9.9;touch${IFS}PWNED;#"]):
        subprocess.run([*GIT, "-C", str(pkg), *args], check=True, capture_output=True)
    make = f"make -s -o .venv/.installed diff PY={sys.executable}"  # -o: the venv is taken as made
    before = tree(tmp_path)
    tagged = _shell(make, pkg)  # the latest v* tag is the hostile one: it is a ref, so it is compared
    assert tagged.returncode == 0 and "no change" in tagged.stdout, tagged.stdout + tagged.stderr
    named = _shell(make, pkg, OLD="nothing;touch PWNED", NEW="$(touch PWNED)")
    assert named.returncode == 2 and "nothing;touch PWNED: not a zip" in named.stdout, named.stdout + named.stderr
    assert tree(tmp_path) == before and not list(tmp_path.rglob("PWNED"))


@pytest.mark.slow
def test_make_release_passes_no_previous_or_archive_to_the_shell(zoo, tmp_path: Path) -> None:
    pkg, _ = zoo
    _with_code(pkg, makefile=True)
    built = " ".join(f"-o {p.relative_to(pkg)}" for p in [pkg / "datapackage.json", *pkg.glob("data/*.parquet")])
    make = f"make -s -o .venv/.installed {built} release PY={sys.executable}"  # -o: the venv and the build as made
    before = tree(tmp_path)
    for hostile in ({"PREVIOUS": "nothing;touch PWNED"}, {"ARCHIVE": "$(touch PWNED)", "PREVIOUS": "a b"}):
        result = _shell(make + "".join(f" {k}='{v}'" for k, v in hostile.items()), pkg)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
        assert not list(tmp_path.rglob("PWNED")), hostile
    assert tree(tmp_path) == before
