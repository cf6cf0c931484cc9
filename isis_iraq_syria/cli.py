"""What the scripts in scripts/ do, kept here so that they stay a few lines each.

Every fault of the input or of the environment ends as exit 2 (could not run) or 1 (invalid) with a one-line
message naming the file; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .report import cannot_run, make_console, say
from .schema import CannotRun, Package
from .validate import validate


def describe(err: BaseException, root: Path | None = None) -> str:
    """A fault as one line naming the file it concerns (relative to the package when inside it)."""
    if isinstance(err, CannotRun):
        return str(err)
    if isinstance(err, OSError):
        name = err.filename
        if name is not None and root is not None:
            try:
                name = Path(name).resolve().relative_to(Path(root).resolve())
            except (ValueError, OSError):
                pass
        reason = err.strerror or type(err).__name__
        return f"{name}: {reason}" if name is not None else f"{reason} ({err})"
    if isinstance(err, MemoryError):
        return "out of memory"
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    return f"unexpected {type(err).__name__}: {err}"


def script_main(run: Callable[[Path, Console], int], root: Path, what: str = "cannot run") -> int:
    """Run a package step (build, release) with a console, turning any fault into exit 2 and a one-line message."""
    console = make_console()
    try:
        return run(root, console)
    except (Exception, KeyboardInterrupt) as err:  # the last line of defence: a message, not a traceback
        return cannot_run(console, describe(err, root), what)


class JsonArgumentParser(argparse.ArgumentParser):
    """argparse, whose usage errors are JSON too when --json was asked for."""

    def error(self, message: str):
        if "--json" in sys.argv[1:]:
            sys.exit(cannot_run(make_console(), f"usage: {message}", as_json=True))
        super().error(message)


def archive_path(value: str | Path | None) -> Path | None:
    if value is None:
        return None
    if str(value) == "":  # Path("") is the current folder: an empty --archive must not silently mean "."
        raise CannotRun("--archive: empty path; name the folder of the archived documents")
    return Path(value)


def validate_main(args: argparse.Namespace) -> int:
    console = make_console()
    try:
        archive = archive_path(args.archive)
        package = Package.load(args.root)
        if console.is_terminal and not args.json:
            # progress per table and rule on a terminal only; piped output stays quiet
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
                task = bar.add_task("validating")
                report = validate(package, archive, parity=not args.no_parity,
                                  on_step=lambda step: bar.update(task, description=escape(f"validating: {step}")))
        else:
            report = validate(package, archive, parity=not args.no_parity)
    except (Exception, KeyboardInterrupt) as err:  # CannotRun, and whatever the environment throws (a file vanishing, Ctrl-C)
        return cannot_run(console, describe(err, args.root), as_json=args.json)
    try:
        if args.json:
            report.write_json(sys.stdout)
        else:
            report.render(console)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (| head): the verdict is still the exit code
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return report.exit_code


def codebook_main(root) -> int:
    """Regenerate docs/codebook.md, docs/erd.dot, docs/erd.svg and README.md's generated sections."""
    from .build import write_if_changed
    from .codebook import erd_dot, generated_files, render_svg

    console = make_console()
    try:
        package = Package.load(root)
        (package.root / "docs").mkdir(exist_ok=True)
        files = {path: text.encode() for path, text in generated_files(package).items()}
        svg = render_svg(erd_dot(package))
        if svg is None:
            say(console, "graphviz (dot) is not installed: docs/erd.svg was not updated (apt-get install graphviz)")
        else:
            files[package.root / "docs" / "erd.svg"] = svg.encode()
        changed = write_if_changed(files)
    except Exception as err:
        return cannot_run(console, describe(err, root), "cannot write the docs")
    for path in changed:
        say(console, f"wrote {path.relative_to(package.root)}")
    say(console, f"docs: {len(files)} files generated, {len(changed)} changed")
    return 0
