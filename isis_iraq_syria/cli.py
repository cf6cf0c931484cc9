"""The `isis-iraq-syria` command and what the scripts in scripts/ do, kept here so that they stay a few lines each.

Only the standard library is imported at the top: where the validator's libraries are missing, the command says
what to install or run instead of ending in a traceback. Every fault of the input or of the environment ends as
exit 2 (could not run) or 1 (invalid) with a one-line message naming the file; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path

# What the validator, the build, the release and the docs import (module names, not distributions).
NEEDS = ("pyarrow", "numpy", "polars", "pandera", "pycountry", "rich", "duckdb", "sqlglot", "frictionless")
EXIT_CANNOT_RUN = 2


def missing_modules(needs: tuple[str, ...] = NEEDS) -> list[str]:
    return [name for name in needs if importlib.util.find_spec(name) is None]


def _what_to_run(prog: str, checkout: Path | None) -> str:
    if checkout is not None and (checkout / "Makefile").is_file():
        venv = checkout / ".venv" / "bin" / "python"
        return (
            f"run `make` in {checkout} (it creates .venv with every library), then `{venv} {prog}`; "
            "or install the package with its validator: pip install 'isis-iraq-syria[validate]'"
        )
    return "install the package with its validator: pip install 'isis-iraq-syria[validate]'"


def require(prog: str, checkout: Path | None = None, needs: tuple[str, ...] = NEEDS) -> int | None:
    """None when the libraries are importable; else print what to do instead, and return exit code 2."""
    missing = missing_modules(needs)
    if not missing:
        return None
    print(
        f"{prog} needs {', '.join(missing)}, which this Python ({sys.executable}) does not have: "
        f"{_what_to_run(prog, checkout)}.",
        file=sys.stderr,
    )
    return EXIT_CANNOT_RUN


def describe(err: BaseException, root: Path | str | None = None) -> str:
    """A fault as one line naming the file it concerns (relative to the package when inside it)."""
    from .schema import CannotRun

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


def script_main(run: Callable, root: Path | str, what: str = "cannot run") -> int:
    """Run a package step (build, release) with a console, turning any fault into exit 2 and a one-line message."""
    from .report import cannot_run, make_console

    console = make_console()
    try:
        return run(root_path(root), console)
    except (Exception, KeyboardInterrupt) as err:  # the last line of defence: a message, not a traceback
        return cannot_run(console, describe(err, root), what)


class JsonArgumentParser(argparse.ArgumentParser):
    """argparse, whose usage errors are JSON too when --json was asked for."""

    def error(self, message: str):
        if "--json" in sys.argv[1:]:
            from .report import cannot_run, make_console

            sys.exit(cannot_run(make_console(), f"usage: {message}", as_json=True))
        super().error(message)


def root_path(value: str | Path) -> Path:
    from .schema import CannotRun

    if str(value) == "":  # Path("") is the current folder: an empty --root must not silently mean "."
        raise CannotRun("--root: empty path; name the package's folder")
    return Path(value)


def archive_path(value: str | Path | None) -> Path | None:
    from .schema import CannotRun

    if value is None:
        return None
    if str(value) == "":  # Path("") is the current folder: an empty --archive must not silently mean "."
        raise CannotRun("--archive: empty path; name the folder of the archived documents")
    return Path(value)


def validate_main(args: argparse.Namespace) -> int:
    """Validate the package that PATH, --root, the current folder or the installed copy is (locate.located)."""
    from .loaders import root
    from .locate import located
    from .report import cannot_run, make_console

    console = make_console()
    try:
        with located(getattr(args, "path", None), args.root, getattr(args, "installed", None) or root()) as where:
            return _validate(args, console, where)
    except (Exception, KeyboardInterrupt) as err:  # the package cannot be found or unpacked
        return cannot_run(console, describe(err, args.root), as_json=args.json)


def _validate(args: argparse.Namespace, console, where) -> int:
    from dataclasses import replace

    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .report import cannot_run, say
    from .schema import CannotRun, Package
    from .validate import validate

    try:
        archive = archive_path(args.archive)
        package = replace(Package.load(where.root), standalone=where.standalone)
        if args.no_parity and where.standalone:  # else a file changed after the release would pass
            raise CannotRun(
                "--no-parity is for a checkout whose build is under way: a release or an installed package is judged "
                "by its files' hashes, which its parity rules check"
            )
        if console.is_terminal and not args.json:
            # progress per table and rule on a terminal only; piped output stays quiet
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
            ) as bar:
                task = bar.add_task("validating")
                report = validate(
                    package,
                    archive,
                    parity=not args.no_parity,
                    on_step=lambda step: bar.update(task, description=escape(f"validating: {step}")),
                )
        else:
            report = validate(package, archive, parity=not args.no_parity)
    except (
        Exception,
        KeyboardInterrupt,
    ) as err:  # CannotRun, and whatever the environment throws (a file vanishing, Ctrl-C)
        return cannot_run(console, describe(err, where.root), as_json=args.json)
    try:
        if args.json:
            report.write_json(sys.stdout)
        else:  # which package was read, then the verdict (a package that cannot be read is named by its message)
            how = "; no build here: its files are checked against the descriptor's hashes" if where.standalone else ""
            say(console, f"validating {where.said}{how}")
            report.render(console)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (| head): the verdict is still the exit code
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return report.exit_code


def codebook_main(root, archive: str | None = None) -> int:
    """Regenerate docs/codebook.md, docs/erd.dot, docs/erd.svg, the charts, README.md's generated sections and the
    metadata for the data hubs; with the archive, annotations.jsonld too."""
    from .codebook import write_docs
    from .report import cannot_run, make_console, say
    from .schema import Package
    from .validate import _archive as read_archive  # the validator's reading of the folder: links refused

    console = make_console()
    try:
        package = Package.load(root_path(root))
        files, changed, drawn = write_docs(package, read_archive(archive_path(archive)))
    except Exception as err:
        return cannot_run(console, describe(err, root), "cannot write the docs")
    if not drawn:
        say(console, "graphviz (dot) is not installed: docs/erd.svg was not updated (apt-get install graphviz)")
    for path in changed:
        say(console, f"wrote {path.relative_to(package.root)}")
    say(console, f"docs: {files} files generated, {len(changed)} changed")
    return 0


def _build(args: argparse.Namespace) -> int:
    from .build import run

    return script_main(run, args.root, "cannot build")


def option_path(option: str, value: str | None, what: str) -> Path | None:
    """The path an option names, None when it is not given; an empty one is refused (Path("") is the current
    folder, where a release would be written or read silently)."""
    from .schema import CannotRun

    if value is None:
        return None
    if value == "":
        raise CannotRun(f"{option}: empty path; name {what}")
    return Path(value)


def _release(args: argparse.Namespace) -> int:
    from .release import run

    def release(root: Path, console) -> int:
        out = option_path("--out", args.out, "the folder to write the release into")
        previous = option_path("--previous", args.previous, "the previous release's zip")
        return run(root, console, out, archive_path(args.archive), previous)

    return script_main(release, args.root, "cannot release")


def diff_main(args: argparse.Namespace) -> int:
    """Compare two versions; exit 0 whatever changed, 2 when a side cannot be read."""
    import json

    from rich.text import Text

    from .diff import SideError, diff, load_side, markdown, render
    from .report import make_console

    console = make_console()
    try:
        if args.repo == "":  # Path("") is the current folder: an empty --repo must not silently mean "."
            raise SideError("--repo: empty path; name the git repository that refs are looked up in")
        # refs are the user's: those of the repository they stand in (or name), never the installed package's
        repo = Path(args.repo) if args.repo is not None else Path.cwd()
        # NEW given as "" stays "", which load_side refuses: only a NEW left out means the package's folder
        result = diff(load_side(args.old, repo), load_side(str(args.root) if args.new is None else args.new, repo))
    except SideError as err:
        if args.json:
            json.dump({"error": str(err)}, sys.stdout)
            sys.stdout.write("\n")
        else:
            console.print(Text(f"cannot diff: {err}"), soft_wrap=True)
        return EXIT_CANNOT_RUN
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.markdown:
        sys.stdout.write(markdown(result))
    else:
        render(result, console)
    return 0


def rules_main(args: argparse.Namespace) -> int:
    """Every declared rule's query, in the SQL of the engine asked for."""
    from .report import cannot_run, make_console

    console = make_console()
    try:
        from .engine import listing
        from .schema import Package

        package = Package.load(root_path(args.root))
        if args.export is not None:
            return _export(package, Path(args.export), console)
        text = listing(package, args.dialect)
    except (Exception, KeyboardInterrupt) as err:
        return cannot_run(console, describe(err, args.root), "cannot list the rules")
    sys.stdout.write(text)
    return 0


def _export(package, folder: Path, console) -> int:
    """Every table with its row_ column, and every derived table, as Parquet in a new or empty folder."""
    from .engine import export_package
    from .report import cannot_run
    from .schema import CannotRun

    try:
        written = export_package(package, folder)
    except CannotRun as err:
        return cannot_run(console, str(err), "cannot export the tables")
    print(f"{len(written)} tables written to {folder}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    return codebook_main(args.root, args.archive)


def parser(default_root: Path) -> argparse.ArgumentParser:
    parser = JsonArgumentParser(
        prog="isis-iraq-syria", description="The isis-iraq-syria data package: validate, build, release."
    )
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{validate,rules,build,release,diff,docs}",
        parser_class=JsonArgumentParser,
    )

    def command(name: str, help_: str, run: Callable) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        # text, not Path: Path("") is the current folder, and an empty path must be refused, not taken as "."
        sub.add_argument("--root", default=str(default_root), help=f"the package's folder (default: {default_root})")
        sub.set_defaults(run=run)
        return sub

    validate = command(
        "validate",
        "Validate the package: every rule, every failure at once. Exit 0 valid, 1 invalid, 2 could not run.",
        validate_main,
    )
    validate.add_argument(
        "path",
        nargs="?",
        help="a package folder or a release zip (default: this folder if it holds a datapackage.json, else "
        f"{default_root})",
    )
    # --root is then only what the user gave: left out, the current folder or the installed copy is read
    validate.set_defaults(root=None, installed=default_root)
    validate.add_argument("--archive", help="folder of the archived source documents; checks every quote against them")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument("--no-parity", action="store_true", help="skip comparing the Parquet twins with the CSVs")
    rules = command(
        "rules", "Print every rule's query of its failing rows, for DuckDB or another engine (sqlglot).", rules_main
    )
    rules.add_argument(
        "--dialect",
        default="duckdb",
        choices=("duckdb", "spark", "trino", "bigquery"),
        help="the SQL dialect to print (default: duckdb)",
    )
    rules.add_argument(
        "--export",
        metavar="DIR",
        help="write every table the queries read, with its row_ column, "
        "and the derived tables, as Parquet into DIR (new or empty), for another engine",
    )
    command("build", "Validate the CSVs, then regenerate the Parquet twins and the descriptors.", _build)
    release = command(
        "release",
        "Build the release in dist/: the zip, the SQLite database and its Datasette metadata, CHANGES.md, "
        "SHA256SUMS. Refused (exit 1) when the version bump is smaller than the changes since the previous release "
        "need.",
        _release,
    )
    # text, not Path, for the same reason as --root
    release.add_argument("--previous", help="the previous release's zip (default: the latest v* git tag)")
    release.add_argument(
        "--archive", help="folder of the archived source documents; every quote is checked against them"
    )
    release.add_argument(
        "--out",
        help="folder to write the release into (default: dist/ of the package); a folder a release wrote, or a new "
        "or empty one",
    )
    diff = command(
        "diff",
        "What changed between two versions, and the SemVer bump it needs. Exit 0 when both sides were read, 2 when "
        "not.",
        diff_main,
    )
    diff.add_argument("old", help="the earlier version: a release zip, a package folder or a git ref")
    diff.add_argument("new", nargs="?", help="the later version (default: the package's folder, --root)")
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")
    diff.add_argument("--markdown", action="store_true", help="print the diff as a Markdown summary")
    diff.add_argument(
        "--repo", help="the git repository that refs are looked up in (default: the current folder's repository)"
    )
    docs = command(
        "docs",
        "Regenerate the codebook, the diagram, the charts, README.md's generated sections and the metadata files "
        "(croissant.json, dataset.jsonld, .zenodo.json, CITATION.cff).",
        _docs,
    )
    docs.add_argument("--archive", help="folder of the archived source documents; writes annotations.jsonld from them")
    return parser


def main(argv: list[str] | None = None, prog: str = "isis-iraq-syria", checkout: Path | None = None) -> int:
    """The console command; the scripts call it with their checkout, so that a missing library names .venv."""
    from .loaders import root

    args = parser(checkout or root()).parse_args(argv)
    # polars' allocator keeps freed memory for reuse for 5 s, then returns it to the system at once (no "muzzy"
    # stage): tables are parsed, typed and freed one after another, and the rules' joins come and go. Measured at a
    # million statistics (medians of 3): 5 s gave 7.93 s and 1,564 MiB, polars' own setting 8.42 s and 1,502 MiB,
    # 200 ms 8.66 s and 1,349 MiB. Set before polars is imported; a value the user set is kept.
    os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:5000,muzzy_decay_ms:0")
    cannot = require(f"{prog} {args.command}" if prog == "isis-iraq-syria" else prog, checkout)
    if cannot is not None:
        return cannot
    return args.run(args)


def entry(argv: list[str] | None = None, prog: str = "isis-iraq-syria", checkout: Path | None = None) -> None:
    """Run main() and end the process with its exit code."""
    try:
        code = main(argv, prog, checkout)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = EXIT_CANNOT_RUN
    sys.stdout.flush()
    sys.stderr.flush()
    # the report is out: end here rather than free a large package's frames one object at a time (0.2-0.4 s at 1M rows)
    os._exit(code)


if __name__ == "__main__":
    entry()
