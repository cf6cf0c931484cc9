#!/usr/bin/env python3
"""Build dist/isis-iraq-syria-<version>.zip and dist/SHA256SUMS from the package that contains this script.

The same as `isis-iraq-syria release`; under a Python without the libraries it says what to run instead.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import entry  # noqa: E402  (imports only the standard library)

if __name__ == "__main__":
    entry(["release", *sys.argv[1:]], prog=f"scripts/{Path(__file__).name}", checkout=ROOT)
