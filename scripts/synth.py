#!/usr/bin/env python3
"""Write a synthetic copy of the package with about N rows in statistics and in events (and their evidence).

usage: synth.py N OUT_DIR [--plant]
The copy's archive is OUT_DIR/archive; with --plant, OUT_DIR/planted.json lists the violations planted.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from isis_iraq_syria.cli import NEEDS, describe, require  # noqa: E402  (imports only the standard library)

if __name__ == "__main__":
    if (cannot := require(f"scripts/{Path(__file__).name}", ROOT, (*NEEDS, "numpy", "pandas"))) is not None:
        sys.exit(cannot)
    from isis_iraq_syria.report import cannot_run, make_console
    from isis_iraq_syria.synth import write

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="rows in statistics and in events")
    parser.add_argument(
        "out", type=Path, help="folder to write: new, empty, or one synth.py wrote before (then replaced)"
    )
    parser.add_argument("--plant", action="store_true", help="plant one violation of each rule (but the file rules)")
    args = parser.parse_args()
    try:
        counts = write(args.out, args.n, plant=args.plant)
    except Exception as err:  # a refused folder, a full disk: a message, not a traceback
        sys.exit(cannot_run(make_console(), describe(err), "cannot write the synthetic package"))
    print(" ".join(f"{name}={count}" for name, count in sorted(counts.items())))
