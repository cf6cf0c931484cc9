#!/usr/bin/env python3
"""Regenerate the Parquet twins and the descriptor's resources from the CSVs, after validating them."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.build import run  # noqa: E402
from isis_iraq_syria.cli import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main(run, ROOT, "cannot build"))
