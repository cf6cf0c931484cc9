#!/usr/bin/env python3
"""Regenerate the Parquet twins and the descriptor's resources from the CSVs, after validating them."""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.build import run  # noqa: E402
from isis_iraq_syria.cli import script_main  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=str(ROOT), help="package to build (default: the one containing this script)")
    sys.exit(script_main(run, parser.parse_args().root, "cannot build"))
