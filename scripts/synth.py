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


def rows(text: str) -> int:
    """N as argparse reads it: a positive whole number ("-5" would otherwise make a whole replica of the package)."""
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number of rows")
    return int(text)


def folder(text: str) -> Path:
    if text == "":  # Path("") is the current folder, which would be written into silently
        raise argparse.ArgumentTypeError("empty path; name the folder to write")
    return Path(text)


if __name__ == "__main__":
    # the arguments first (the standard library only): a wrong one is refused at once, with or without the libraries
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=rows, help="rows in statistics and in events (a positive whole number)")
    parser.add_argument(
        "out", type=folder, help="folder to write: new, empty, or one synth.py wrote before (then replaced)"
    )
    parser.add_argument("--plant", action="store_true", help="plant one violation of each rule (but the file rules)")
    args = parser.parse_args()
    if (cannot := require(f"scripts/{Path(__file__).name}", ROOT, (*NEEDS, "numpy", "pandas"))) is not None:
        sys.exit(cannot)
    from isis_iraq_syria.report import cannot_run, make_console
    from isis_iraq_syria.synth import write

    try:
        counts = write(args.out, args.n, plant=args.plant)
    except Exception as err:  # a refused folder, a full disk: a message, not a traceback
        sys.exit(cannot_run(make_console(), describe(err), "cannot write the synthetic package"))
    print(" ".join(f"{name}={count}" for name, count in sorted(counts.items())))
