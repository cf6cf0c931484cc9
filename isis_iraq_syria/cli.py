"""What the scripts in scripts/ do, kept here so that they stay a few lines each."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.text import Text

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .report import cannot_run, make_console
from .schema import CannotRun, Package
from .validate import validate


def script_main(run: Callable[[Path, Console], int], root: Path) -> int:
    """Run a package step (build, release) with a console, turning CannotRun into exit 2 and a clear message."""
    console = make_console()
    try:
        return run(root, console)
    except CannotRun as err:
        return cannot_run(console, str(err))


def validate_main(args: argparse.Namespace) -> int:
    console = make_console()
    err_console = make_console() if not args.json else None
    try:
        package = Package.load(args.root)
        if console.is_terminal and not args.json:
            # progress per table and rule on a terminal only; piped output stays quiet
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
                task = bar.add_task("validating")
                report = validate(package, args.archive, parity=not args.no_parity,
                                  on_step=lambda step: bar.update(task, description=f"validating: {step}"))
        else:
            report = validate(package, args.archive, parity=not args.no_parity)
    except CannotRun as err:
        return cannot_run(err_console or make_console(), str(err))
    if args.json:
        report.write_json(sys.stdout)
    else:
        report.render(console)
    return report.exit_code


def codebook_main(root) -> int:
    """Regenerate docs/codebook.md, docs/erd.dot, docs/erd.svg and README.md's generated sections."""
    from .build import write_if_changed
    from .codebook import erd_dot, generated_files, render_svg

    console = make_console()
    try:
        package = Package.load(root)
    except CannotRun as err:
        return cannot_run(console, str(err))
    (package.root / "docs").mkdir(exist_ok=True)
    files = {path: text.encode() for path, text in generated_files(package).items()}
    svg = render_svg(erd_dot(package))
    if svg is None:
        console.print("graphviz (dot) is not installed: docs/erd.svg was not updated (apt-get install graphviz)")
    else:
        files[package.root / "docs" / "erd.svg"] = svg.encode()
    changed = write_if_changed(files)
    for path in changed:
        console.print(f"wrote {path.relative_to(package.root)}")
    console.print(f"docs: {len(files)} files generated, {len(changed)} changed")
    return 0


def diff_main(args: argparse.Namespace) -> int:
    """Compare two versions; exit 0 whatever changed, 2 when a side cannot be read."""
    from .diff import SideError, diff, load_side, markdown, render

    console = make_console()
    try:
        result = diff(load_side(args.old, args.repo), load_side(args.new, args.repo))
    except SideError as err:
        if args.json:
            json.dump({"error": str(err)}, sys.stdout)
            sys.stdout.write("\n")
        else:
            console.print(Text(f"cannot diff: {err}"), soft_wrap=True)
        return 2
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.markdown:
        sys.stdout.write(markdown(result))
    else:
        render(result, console)
    return 0


def release_main(args: argparse.Namespace) -> int:
    from .release import run

    return script_main(lambda root, console: run(root, console, args.out, args.archive, args.previous), args.root)
