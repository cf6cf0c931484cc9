#!/usr/bin/env python3
"""Regenerate the codebook, the entity-relationship diagram and README.md's generated sections from the schemas."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import codebook_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(codebook_main(ROOT))
