"""The package's metadata, read once from schemas/*.json and datapackage.json.

Every column's type, constraints and keys are written in the Table Schemas;
the Arrow schema, the Pandera schema and the polars dtypes are derived here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from .loaders import DESCRIPTOR
from .loaders import root as _package_root
from .safety import CannotRun, Unsafe, inside
from .schema_shape import check_table_schema
from .types import arrow_type, polars_type

# The checkout, or the copy of the package inside an installed wheel.
PACKAGE_ROOT = _package_root()
# A build's staging folder (build.py); a package holding one is mid-build and is not validated.
STAGING = ".build-staging"

# Names taken from files and descriptors become paths: only these shapes are ever used.
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def package_path(root: Path, relative: str, folder: bool = False) -> Path:
    """The path of one of the package's own files (safety.inside); what it refuses makes validation unable to run."""
    try:
        return inside(root, relative, folder=folder)
    except Unsafe as err:
        raise CannotRun(str(err)) from None


def _load_json(root: Path, relative: str) -> Any:
    path = package_path(root, relative)
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except OSError as err:
        raise CannotRun(f"{relative}: cannot be read ({err.strerror})") from err
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise CannotRun(
            f"{relative}: not valid JSON ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
        ) from err


@dataclass(frozen=True)
class Field:
    descriptor: dict[str, Any]

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @property
    def type(self) -> str:
        return self.descriptor.get("type", "string")

    @property
    def constraints(self) -> dict[str, Any]:
        return self.descriptor.get("constraints", {})

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required", False))

    @property
    def enum(self) -> list[Any] | None:
        return self.constraints.get("enum")

    def missing_values(self, table_default: list[str]) -> list[str]:
        values = self.descriptor.get("missingValues")
        if values is None:
            return table_default
        return [v["value"] if isinstance(v, dict) else v for v in values]

    def to_pyarrow(self) -> pa.Field:
        return pa.field(self.name, arrow_type(self.type), nullable=not self.required)


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # the referenced table's name; self-references name the table itself
    ref_fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One table: its CSV, its Parquet twin and the Table Schema they share."""

    name: str
    root: Path
    descriptor: dict[str, Any]
    categorical: frozenset[tuple[str, str]] | None = (
        None  # the package's (table, column) held as categoricals (Package.load)
    )

    @classmethod
    def load(cls, root: Path, name: str) -> Table:
        relative = f"schemas/{name}.schema.json"
        descriptor = _load_json(root, relative)
        check_table_schema(relative, descriptor)
        return cls(name, root, descriptor)

    @property
    def vocabulary(self) -> bool:
        """Whether the table is a vocabulary (Table Schema property x-vocabulary): a short list of named things
        (documents, actors, places, qualifiers, kinds) that the records refer to by key, and that does not grow
        with them."""
        return self.descriptor.get("x-vocabulary") is True

    @property
    def derived_from(self) -> list[str] | None:
        """The tables a derived table is computed from (Table Schema property x-derived-from); None for a curated
        table."""
        value = self.descriptor.get("x-derived-from")
        return None if value is None else list(value)

    @cached_property
    def fields(self) -> list[Field]:
        return [Field(f) for f in self.descriptor["fields"]]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @cached_property
    def _fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}  # a look-up per column, not a search: thousands of columns stay fast

    def field(self, name: str) -> Field:
        return self._fields_by_name[name]

    @property
    def title(self) -> str:
        return self.descriptor.get("title", self.name)

    @property
    def description(self) -> str:
        return self.descriptor.get("description", "")

    @property
    def primary_key(self) -> list[str]:
        pk = self.descriptor.get("primaryKey", [])
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def unique_keys(self) -> list[list[str]]:
        return [list(k) for k in self.descriptor.get("uniqueKeys", [])]

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        out = []
        for fk in self.descriptor.get("foreignKeys", []):
            ref = fk["reference"]
            fields = fk["fields"]
            ref_fields = ref["fields"]
            out.append(
                ForeignKey(
                    tuple([fields] if isinstance(fields, str) else fields),
                    ref.get("resource") or self.name,
                    tuple([ref_fields] if isinstance(ref_fields, str) else ref_fields),
                )
            )
        return out

    @property
    def foreign_key_of(self) -> dict[str, ForeignKey]:
        """The single-field foreign keys, by the field that holds them."""
        return {fk.fields[0]: fk for fk in self.foreign_keys if len(fk.fields) == 1}

    @cached_property
    def prose(self) -> list[str]:
        """Free-text columns (quotes, descriptions, notes): strings that no key, enum or pattern constrains."""
        keyed = (
            set(self.primary_key)
            | {f for key in self.unique_keys for f in key}
            | {f for fk in self.foreign_keys for f in fk.fields}
        )
        return [
            f.name
            for f in self.fields
            if f.type == "string" and f.enum is None and "pattern" not in f.constraints and f.name not in keyed
        ]

    def held_as_categorical(self, name: str) -> bool:
        """Whether a text column is a categorical by its own kind: an enum, free text, or a vocabulary's key."""
        field = self.field(name)
        return field.type == "string" and (
            field.enum is not None or name in self.prose or (self.vocabulary and self.primary_key == [name])
        )

    def polars_dtype(self, field: Field) -> pl.DataType:
        """The type a field's column has in the validator's frames. An enum, free text and the keys of a vocabulary
        are held as categoricals: codes of 4 bytes a cell into one dictionary of the distinct texts, so a quote or an
        actor's id that many rows repeat is stored once (a string cell costs a 16-byte view and its bytes), and a
        join on them compares codes. A reference is held as the key it references (Package.load works it out), so
        that the two compare without a cast. The keys of the records (statistics, events) stay strings: a million
        distinct ids would stay in polars' global dictionary for good."""
        if field.type != "string":
            return polars_type(field.type)
        categorical = (
            (self.name, field.name) in self.categorical
            if self.categorical is not None
            else self.held_as_categorical(field.name)
        )
        return pl.Categorical if categorical else pl.String

    @property
    def missing_values(self) -> list[str]:
        values = self.descriptor.get("missingValues", [""])
        return [v["value"] if isinstance(v, dict) else v for v in values]

    @property
    def schema_path(self) -> str:
        return f"schemas/{self.name}.schema.json"

    @property
    def csv_path(self) -> Path:
        return self.root / "data" / f"{self.name}.csv"

    @property
    def parquet_path(self) -> Path:
        return self.root / "data" / f"{self.name}.parquet"

    def schema_bytes(self) -> bytes:
        """The Table Schema as stored in the Parquet file's key-value metadata."""
        return json.dumps(self.descriptor, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def to_pyarrow(self) -> pa.Schema:
        return pa.schema([f.to_pyarrow() for f in self.fields], metadata={b"table_schema": self.schema_bytes()})


def _categorical_columns(tables: dict[str, Table]) -> frozenset[tuple[str, str]]:
    """The (table, column) pairs held as categoricals: those that are by their own kind, and each single-field
    reference whose key is, followed from reference to reference (a cycle ends where it closes)."""

    def categorical(name: str, column: str, seen: frozenset[tuple[str, str]]) -> bool:
        fk = tables[name].foreign_key_of.get(column)
        if fk is None or (name, column) in seen:
            return tables[name].held_as_categorical(column)
        return categorical(fk.resource, fk.ref_fields[0], seen | {(name, column)})

    return frozenset(
        (name, f.name)
        for name, table in tables.items()
        for f in table.fields
        if f.type == "string" and categorical(name, f.name, frozenset())
    )


def _missing(name: str, found: list[str], by: str) -> None:
    """A table that another names but whose schema file is missing: the missing file is the one at fault."""
    if name not in found and TABLE_NAME.match(name):
        raise CannotRun(f"schemas/{name}.schema.json: no such file, though {by} names the table {name}")


@dataclass(frozen=True)
class Package:
    """The data package rooted at `root`: its descriptor and its tables."""

    root: Path
    descriptor: dict[str, Any]
    tables: dict[str, Table]
    # a copy without the build beside it (a release, the installed package): its descriptor's resources are judged
    # by what its files fix (paths, schemas, hashes, sizes), not by what this version's build would write
    standalone: bool = False
    # the tables the build derives from the others (Table Schema property x-derived-from): the rules judge the
    # curated tables, and the derived ones only by comparing them with what the build derives
    derived: dict[str, Table] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, root: Path | str = PACKAGE_ROOT) -> Package:
        """The package at `root`. The descriptor may be any JSON: the descriptor rules judge it (exit 1)."""
        if str(root) == "":
            raise CannotRun("--root: empty path; name the package's folder")
        root = Path(root).resolve()
        if not root.is_dir():
            raise CannotRun(f"{root}: not a folder (--root names the package's folder)")
        descriptor = _load_json(root, DESCRIPTOR)
        package_path(root, "schemas", folder=True)
        package_path(root, "data", folder=True)
        found = sorted(p.name.removesuffix(".schema.json") for p in (root / "schemas").glob("*.schema.json"))
        if not found:
            raise CannotRun(f"schemas/: no *.schema.json in {root}")
        for name in found:
            if not TABLE_NAME.match(name):
                raise CannotRun(
                    f"schemas/{name}.schema.json: a table name is lower-case letters, digits and _, starting with a "
                    "letter"
                )
        tables = {name: Table.load(root, name) for name in found}
        derived = {name: table for name, table in tables.items() if table.derived_from is not None}
        tables = {name: table for name, table in tables.items() if name not in derived}
        for table in derived.values():
            for name in table.derived_from or []:
                _missing(name, found, f"{table.schema_path}'s x-derived-from")
            unknown = [name for name in table.derived_from or [] if name not in tables]
            if unknown:
                raise CannotRun(f"{table.schema_path}: x-derived-from names no curated table {', '.join(unknown)}")
        for table in tables.values():
            for fk in table.foreign_keys:
                _missing(fk.resource, found, f"a foreign key of {table.schema_path}")
                if fk.resource not in tables:
                    raise CannotRun(f"{table.schema_path}: foreign key to unknown table {fk.resource!r}")
                unknown = [f for f in fk.ref_fields if f not in tables[fk.resource].field_names]
                if unknown:
                    raise CannotRun(
                        f"{table.schema_path}: foreign key {list(fk.fields)} references field(s) "
                        f"{', '.join(unknown)} that {fk.resource} does not have"
                    )
        categorical = _categorical_columns(tables)
        return cls(
            root,
            descriptor,
            {name: replace(table, categorical=categorical) for name, table in tables.items()},
            derived={name: replace(table, categorical=frozenset()) for name, table in derived.items()},
        )

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", "")) if isinstance(self.descriptor, dict) else ""

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", "")) if isinstance(self.descriptor, dict) else ""
