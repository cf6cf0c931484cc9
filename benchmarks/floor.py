#!/usr/bin/env python3
"""The floor the validator is measured against: a typed polars read of every CSV of a package, and nothing else.

usage: floor.py PACKAGE_DIR   (prints the number of rows read)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

from isis_iraq_syria.types import polars_type


def main(root: Path) -> int:
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    rows = 0
    for resource in descriptor["resources"]:
        if resource.get("format") != "csv":
            continue
        schema = json.loads((root / resource["schema"]).read_text(encoding="utf-8"))
        types = {f["name"]: polars_type(f["type"]) for f in schema["fields"]}
        frame = pl.read_csv(root / resource["path"], schema=types, null_values=[""])
        rows += frame.height
    print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
