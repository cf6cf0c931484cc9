#!/usr/bin/env python3
"""Validate the package that contains this script: every rule, every failure at once.

Exit 0 when valid, 1 when invalid, 2 when validation could not run. The same as `isis-iraq-syria validate`;
under a Python without the libraries it says what to run instead. Options: --archive DIR, --json, --root DIR,
--no-parity (see --help).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import entry  # noqa: E402  (imports only the standard library)

if __name__ == "__main__":
    entry(["validate", *sys.argv[1:]], prog=f"scripts/{Path(__file__).name}", checkout=ROOT)
