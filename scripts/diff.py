#!/usr/bin/env python3
"""What changed between two versions of the package, and the SemVer bump it needs: scripts/diff.py OLD [NEW].

OLD and NEW are each a release zip, a package folder or a git ref (a tag such as v0.1.0, a branch, a commit);
NEW defaults to this package. The same as `isis-iraq-syria diff`.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import entry  # noqa: E402  (imports only the standard library)

if __name__ == "__main__":
    entry(["diff", *sys.argv[1:]], prog=f"scripts/{Path(__file__).name}", checkout=ROOT)
