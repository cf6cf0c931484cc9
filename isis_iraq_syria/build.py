"""Build: the Parquet twins and the descriptor's resource list, derived from the CSVs and schemas.

run() reads as its steps: load, check, derive, save. Nothing is written unless
the CSVs pass validation, and a file is rewritten only when its bytes change.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rich.console import Console

from .report import EXIT_INVALID, EXIT_VALID
from .schema import DESCRIPTOR, Package, Table
from .tables import parquet_bytes, to_arrow
from .validate import validate


def resources(package: Package) -> list[dict]:
    """One resource per CSV and one per Parquet twin, sharing the Table Schema by path."""
    out = []
    for name, table in package.tables.items():
        out.append({
            "name": name, "type": "table", "title": table.title, "description": table.description,
            "path": f"data/{name}.csv", "scheme": "file", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": {"header": True, "delimiter": ",", "quoteChar": "\""},
            "schema": table.schema_path,
        })
        out.append({
            "name": f"{name}-parquet", "type": "table", "title": f"{table.title} (Parquet)",
            "description": f"Typed Parquet twin of data/{name}.csv, generated from it.",
            "path": f"data/{name}.parquet", "scheme": "file", "format": "parquet", "mediatype": "application/vnd.apache.parquet",
            "schema": table.schema_path,
        })
    return out


def descriptor_bytes(package: Package) -> bytes:
    descriptor = {**package.descriptor, "resources": resources(package)}
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


V1_DESCRIPTOR = "datapackage-v1.json"


def _v1_missing(values: list) -> list[str]:
    return [v["value"] if isinstance(v, dict) else v for v in values]


def v1_schema(table: Table) -> dict:
    """A Table Schema as Data Package v1 readers understand it: plain missing values, self-references named "".

    v1 has no labelled missing values, no per-field missing values and no uniqueKeys. The per-field "nan" exists
    for the Parquet twin only (the CSVs never hold it), so the CSV reads the same without it; the readers test
    proves that on every table."""
    descriptor = {k: v for k, v in table.descriptor.items() if k not in ("$schema", "uniqueKeys")}
    descriptor["missingValues"] = _v1_missing(table.descriptor.get("missingValues", [""]))
    descriptor["fields"] = [{k: v for k, v in f.items() if k != "missingValues"} for f in table.descriptor["fields"]]
    keys = []
    for fk in table.descriptor.get("foreignKeys", []):
        keys.append({**fk, "reference": {"resource": fk["reference"].get("resource", ""), **{k: v for k, v in fk["reference"].items() if k != "resource"}}})
    if keys:
        descriptor["foreignKeys"] = keys
    return descriptor


def v1_descriptor_bytes(package: Package) -> bytes:
    """datapackage-v1.json: the CSV resources with inline v1 Table Schemas, for Data Package v1 readers."""
    descriptor = {k: v for k, v in package.descriptor.items() if k not in ("$schema", "resources")}
    descriptor["profile"] = "tabular-data-package"
    descriptor["resources"] = [
        {**{k: v for k, v in r.items() if k not in ("type", "schema")}, "profile": "tabular-data-resource", "schema": v1_schema(package.tables[r["name"]])}
        for r in resources(package) if r["format"] == "csv"
    ]
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()


def parquet_twin(table: Table, frame) -> bytes:
    return parquet_bytes(to_arrow(table, frame))


def write_if_changed(files: dict[Path, bytes]) -> list[Path]:
    """Write each file whose bytes differ, through a temporary file and an atomic rename."""
    changed = []
    for path, data in files.items():
        if path.exists() and path.read_bytes() == data:
            continue
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        changed.append(path)
    return changed


def run(root: Path, console: Console) -> int:
    package = Package.load(root)
    report = validate(package, parity=False, keep_frames=True)
    if not report.valid:
        report.render(console)
        console.print("[red]build stopped[/]: no file was written; fix the failures above (file data/<resource>.csv, the line and column given).")
        return EXIT_INVALID
    files = {table.parquet_path: parquet_twin(table, report.frames[name]) for name, table in package.tables.items()}
    files[package.root / DESCRIPTOR] = descriptor_bytes(package)
    files[package.root / V1_DESCRIPTOR] = v1_descriptor_bytes(package)
    changed = write_if_changed(files)
    for path in changed:
        console.print(f"wrote {path.relative_to(package.root)}")
    console.print(f"build: {len(files)} files derived, {len(changed)} changed")
    return EXIT_VALID
