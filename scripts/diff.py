#!/usr/bin/env python3
"""What changed between two versions of the package, and the SemVer bump it needs.

OLD and NEW are each a release zip, a package folder or a git ref (a tag such as v0.1.0, a branch, a commit).
Exit 0 when both sides were read (whatever changed), 2 when one could not be.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import diff_main  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", help="the earlier version: a release zip, a package folder or a git ref")
    parser.add_argument("new", nargs="?", default=str(ROOT), help="the later version (default: this package folder)")
    parser.add_argument("--json", action="store_true", help="print the diff as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the diff as a Markdown summary")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git repository that refs are looked up in (default: this one)")
    sys.exit(diff_main(parser.parse_args()))
