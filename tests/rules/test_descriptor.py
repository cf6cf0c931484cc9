"""Descriptor rules: the real datapackage.json passes each, and a copy corrupted as an attacker or a careless
contributor might fails it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import only
from rules.conftest import Mutation


def descriptor_edit(change: Callable[[dict], object]) -> Mutation:
    """A mutation of datapackage.json: `change` edits the parsed descriptor in place, or returns a replacement."""

    def mutate(root: Path) -> None:
        path = root / "datapackage.json"
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        replaced = change(descriptor)
        path.write_text(json.dumps(descriptor if replaced is None else replaced, indent=2), encoding="utf-8")

    return mutate


def _resource(name: str, **changes) -> Callable[[dict], None]:
    def change(descriptor: dict) -> None:
        next(r for r in descriptor["resources"] if r["name"] == name).update(changes)

    return change


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda d: [d], ""),  # a JSON array, which frictionless would read as nothing to check
        (lambda d: d.pop("$schema") and None, "$schema"),  # without $schema v2, frictionless reads the package as v1
        (lambda d: d.update(name="/etc/evil"), "name"),
        (lambda d: d.update(version="../1.0"), "version"),
        (lambda d: d.update(licenses="CC-BY-4.0"), ""),
        (lambda d: d.update(created="yesterday"), ""),
    ],
)
def test_descriptor_outside_the_v2_profile_or_with_unsafe_names_is_invalid(change, column: str, pkg: Path) -> None:
    descriptor_edit(change)(pkg)
    hits = only(pkg, "descriptor.profile")
    assert column in {f.column for f in hits}, hits


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["resources"].pop(0) and None,  # a CSV not described
        lambda d: d["resources"].append(dict(d["resources"][0])),  # described twice
        lambda d: d["resources"].append({**d["resources"][0], "name": "passwd", "path": "/etc/passwd"}),
        _resource("statistics-parquet", schema="schemas/actors.schema.json"),  # a wrong schema
        lambda d: d.update(resources={}),
    ],
)
def test_descriptor_resources_that_are_not_the_packages_files_are_invalid(change, pkg: Path) -> None:
    descriptor_edit(change)(pkg)
    assert only(pkg, "descriptor.resources")


def test_a_stray_file_in_data_is_reported(pkg: Path) -> None:
    (pkg / "data" / ".actors.parquet.x1y2.tmp").write_bytes(b"left by a torn write")
    hits = only(pkg, "descriptor.resources")
    assert [f.values for f in hits] == ["data/.actors.parquet.x1y2.tmp"]


@pytest.mark.parametrize(
    ("version", "valid"),
    [
        ("0.2.0-alpha.1", True),
        ("1.0.0-rc.0", True),
        ("0.1.0\n", False),  # a regular expression's $ matches before a final newline
        ("1.0.0+build.5", False),  # build metadata: SemVer ignores it in ordering, PEP 440 reads a local version
        ("1.0.0-preview", False),  # a pre-release the release and the diff cannot order
        ("1.0.0-rc1", False),
        ("01.0.0", False),
    ],
)
def test_the_version_is_judged_by_the_package_s_one_version_rule(version: str, valid: bool, pkg: Path) -> None:
    """The rule and the release (safety.parse_version) accept the same versions."""
    from isis_iraq_syria.safety import Unsafe, parse_version

    descriptor_edit(lambda d: d.update(version=version))(pkg)
    hits = [f for f in only(pkg, "descriptor.profile") if f.column == "version"]
    assert (hits == []) is valid, hits
    if valid:
        parse_version(version)
    else:
        with pytest.raises(Unsafe):
            parse_version(version)


@pytest.mark.parametrize("resources", [5, "data/actors.csv", {"name": "actors"}, None, [{"name": "actors"}, 3]])
def test_resources_that_are_not_an_array_of_objects_fail_the_profile_itself(resources, pkg: Path) -> None:
    descriptor_edit(lambda d: d.update(resources=resources))(pkg)
    hits = [(f.values, f.message) for f in only(pkg, "descriptor.profile") if f.column == "resources"]
    assert hits == [(repr(resources), "resources must be a JSON array of resource objects.")]
