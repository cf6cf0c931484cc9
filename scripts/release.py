#!/usr/bin/env python3
"""Build the release into dist/: the zip, the SQLite database and its Datasette metadata, CHANGES.md, SHA256SUMS.

The package is compared with the previous release (the latest v* git tag below its version, or the zip given with
--previous); the release is refused when the version bump is smaller than the changes need.
Exit 0 when released, 1 when refused, 2 when the package cannot be read.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import release_main  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--previous", type=Path, help="the previous release's zip (default: the latest v* git tag)")
    parser.add_argument("--archive", type=Path, help="folder of the archived source documents; every quote is checked against them")
    parser.add_argument("--root", type=Path, default=ROOT, help="package to release (default: the one containing this script)")
    parser.add_argument("--out", type=Path, help="folder to write the release into (default: dist/ of the package)")
    sys.exit(release_main(parser.parse_args()))
