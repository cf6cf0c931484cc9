#!/usr/bin/env python3
"""Build dist/isis-iraq-syria-<version>.zip and dist/SHA256SUMS from the package that contains this script."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.release import run  # noqa: E402
from isis_iraq_syria.cli import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main(run, ROOT))
