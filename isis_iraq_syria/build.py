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
    changed = write_if_changed(files)
    for path in changed:
        console.print(f"wrote {path.relative_to(package.root)}")
    console.print(f"build: {len(files)} files derived, {len(changed)} changed")
    return EXIT_VALID
