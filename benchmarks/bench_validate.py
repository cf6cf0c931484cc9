#!/usr/bin/env python3
"""Benchmark: the package's full validation against `frictionless validate`, on synthetic packages.

For each size N, scripts/synth.py writes a package with about N rows in statistics and in events
(and their evidence, actors and places); both validators run on it several times under
/usr/bin/time -v, and the medians of wall time and peak memory go to docs/benchmarks.md, the raw
runs to benchmarks/results.json. frictionless validates the CSV resources only ("the same CSVs").
A planted copy at the largest size frictionless runs checks that every planted violation is
reported and none invented.

usage: bench_validate.py [--sizes 10000 100000 1000000 5000000] [--runs 3] [--frictionless-max 1000000] [--work DIR]
                        [--reuse-frictionless] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))


def timed(command: list[str], cwd: Path | None = None) -> dict:
    """Wall seconds, peak resident memory and exit code of a command, read from /usr/bin/time -v."""
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, cwd=cwd)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return {"wall_s": hours * 3600 + minutes * 60 + seconds, "peak_mib": rss / 1024, "exit": result.returncode,
            "stdout_tail": result.stdout[-2000:]}


def synth(n: int, out: Path, plant: bool = False) -> int:
    """Write the synthetic package; return its total number of data rows over all tables."""
    args = [PYTHON, str(ROOT / "scripts" / "synth.py"), str(n), str(out)] + (["--plant"] if plant else [])
    counts = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    descriptor = json.loads((out / "datapackage.json").read_text())
    descriptor["resources"] = [r for r in descriptor["resources"] if r["format"] == "csv"]
    (out / "datapackage-csv.json").write_text(json.dumps(descriptor))
    # flushed to disk before any run: the kernel writes a fresh 1.5 GB package back for a minute or more, and runs
    # timed during it were up to 1 s slower (8.45 and 8.33 s dirty, 7.53 to 7.91 s once synced)
    os.sync()
    return sum(int(c.split("=")[1]) for c in counts)


def ours(package: Path) -> list[str]:
    return [PYTHON, str(ROOT / "scripts" / "validate.py"), "--root", str(package), "--archive", str(package / "archive"), "--json"]


def planted_check(package: Path) -> dict:
    result = subprocess.run(ours(package), capture_output=True, text=True)
    report = json.loads(result.stdout)
    got = {(f["rule"], f["resource"], f["key"]) for f in report["failures"]}
    expected = {(p["rule"], p["resource"], p["key"]) for p in json.loads((package / "planted.json").read_text())}
    return {"planted": len(expected), "reported": len(expected & got), "missed": sorted(expected - got), "invented": sorted(got - expected)[:20],
            "invented_count": len(got - expected), "exit": result.returncode}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def targets(rows: list[dict], fixed: float) -> list[str]:
    """The scale targets, each with the measured value and whether it is met (only for the sizes that were run)."""
    by_n = {r["n"]: r for r in rows}
    out = ["Targets (2 cores):", ""]
    if 1_000_000 in by_n:
        r = by_n[1_000_000]
        wall, peak = median(r["ours"], "wall_s"), median(r["ours"], "peak_mib")
        walls = ", ".join(f"{run['wall_s']:.2f}" for run in r["ours"])
        peaks = ", ".join(f"{run['peak_mib']:,.0f}" for run in r["ours"])
        out.append(f"- every rule at N = 1,000,000 in at most 10 s: median {wall:.2f} s (runs {walls}), {'met' if wall <= 10 else 'not met'};")
        out.append(f"- in at most 2 GiB peak memory: median {peak:,.0f} MiB (runs {peaks}), {'met' if peak <= 2048 else 'not met'};")
        if r.get("frictionless"):
            ratio = median(r["frictionless"], "wall_s") / wall
            out.append(f"- at least 20 times the rows per second of `frictionless validate`: {ratio:.1f}x, {'met' if ratio >= 20 else 'not met'};")
    span = [r for r in rows if r["n"] >= 100_000]
    if len(span) > 1:
        raw = [median(r["ours"], "wall_s") / r["rows"] for r in span]
        beyond = [(median(r["ours"], "wall_s") - fixed) / r["rows"] for r in span]
        out.append(f"- cost per row flat within 1.5x from N = {span[0]['n']:,} to {span[-1]['n']:,}: largest over smallest "
                   f"{max(raw) / min(raw):.2f}x on the whole wall time ({'met' if max(raw) / min(raw) <= 1.5 else 'not met'}), "
                   f"{max(beyond) / min(beyond):.2f}x beyond the fixed cost ({'met' if max(beyond) / min(beyond) <= 1.5 else 'not met'}).")
    return out


def rule_count() -> int:
    """The number of rules in the registry, as the validator under test counts them."""
    out = subprocess.run([PYTHON, "-c", "from isis_iraq_syria.rules import RULES; print(len(RULES))"], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout)


def write_markdown(results: dict, path: Path) -> None:
    rows = results["sizes"]
    base = next((r for r in rows if r["n"] == 100_000), rows[0])
    base_cost = median(base["ours"], "wall_s") / base["rows"]
    fixed = median(results["fixed"]["ours"], "wall_s")
    base_marginal = (median(base["ours"], "wall_s") - fixed) / base["rows"]
    lines = [
        "# Benchmarks", "",
        "Generated by `benchmarks/bench_validate.py`; do not edit by hand.", "",
        f"Machine: {results['machine']}. Medians of {results['runs']} runs each, wall time and peak resident memory from `/usr/bin/time -v`. "
        "Each synthetic package is flushed to disk (`sync`) before its runs, so that the kernel's write-back of the new files is not timed.",
        f"N is the number of rows in `statistics` and in `events`; *rows* counts the data rows of all {results.get('tables', 'the')} tables of the synthetic package",
        "(each evidence table has about N rows, `bases` about 1.8 N, `event_actors` about 1.7 N, `indicators` 0.7 N).", "",
        "The synthetic package copies the real rows' texts: every quote, note and description is one of the few dozen texts",
        "of the real package. The validator holds free text as categoricals (one dictionary of the distinct texts) and reads",
        "and tests each distinct text once, so these figures are what repeated text costs; a package of a million distinct",
        "quotes would need more memory and time than they show.", "",
        f"Ours: `scripts/validate.py --archive` (all {results.get('rules', 'the')} rules: files, Pandera schemas, foreign keys, arithmetic, references,",
        "dates, provenance and basis against the archive, agreement, hygiene, and Parquet parity). frictionless: `frictionless validate`",
        "(5.21) on the same CSV resources.", "",
        f"Fixed cost: {fixed:.2f} s, the same command on the smallest synthetic package (N = 27, {results['fixed']['rows']:,} rows): starting Python,",
        "importing polars, Pandera (which imports pandas) and pyarrow, and reading the schemas and the archive. *µs/row* divides the",
        "whole wall time by the rows; *beyond fixed* divides the wall time less the fixed cost, the part that grows with the data.", "",
        "| N | rows | ours: wall s | ours: rows/s | ours: peak MiB | ours: µs/row (vs 100k) | ours: µs/row beyond fixed (vs 100k) | frictionless: wall s | frictionless: rows/s | frictionless: peak MiB | speed-up |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        wall = median(r["ours"], "wall_s")
        cost, marginal = wall / r["rows"], (wall - fixed) / r["rows"]
        fr = r.get("frictionless")
        fwall = median(fr, "wall_s") if fr else None
        lines.append(
            f"| {r['n']:,} | {r['rows']:,} | {wall:.2f} | {r['rows'] / wall:,.0f} | {median(r['ours'], 'peak_mib'):,.0f} | "
            f"{cost * 1e6:.2f} ({cost / base_cost:.2f}x) | {marginal * 1e6:.2f} ({marginal / base_marginal:.2f}x) | "
            + (f"{fwall:.1f} | {r['rows'] / fwall:,.0f} | {median(fr, 'peak_mib'):,.0f} | {fwall / wall:.1f}x |" if fr else "not run | | | |"))
    lines += ["", *targets(rows, fixed)]
    p = results.get("planted")
    if p:
        lines += ["", f"Planted violations at N = {p['n']:,}: {p['planted']} planted (one per rule but the file rules), "
                  f"{p['reported']} reported, {p['invented_count']} invented; exit code {p['exit']}."]
    if any(r.get("frictionless_reused") for r in rows):
        lines += ["", "frictionless's runs were taken from the previous benchmark of the same synthetic packages (same row counts; "
                  "synth is deterministic), with `--reuse-frictionless`, to re-measure only this package's validator."]
    lines += ["", ("Every run of both validators on a clean synthetic package exited 0 (valid)." if results["all_valid"]
                   else "Some runs on a clean synthetic package did not exit 0: see benchmarks/results.json."),
              "", "Raw runs: `benchmarks/results.json`.", ""]
    path.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 5_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frictionless-max", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/isis-iraq-syria-bench"))
    parser.add_argument("--reuse-frictionless", action="store_true",
                        help="take frictionless's runs from the previous benchmarks/results.json where the synthetic package has the same rows "
                             "(synth is deterministic), to re-measure only this package's validator")
    parser.add_argument("--report-only", action="store_true", help="rewrite docs/benchmarks.md from benchmarks/results.json without running anything")
    args = parser.parse_args()
    if args.report_only:
        write_markdown(json.loads((ROOT / "benchmarks" / "results.json").read_text()), ROOT / "docs" / "benchmarks.md")
        return 0
    previous = {}
    if args.reuse_frictionless and (ROOT / "benchmarks" / "results.json").exists():
        previous = {(e["n"], e["rows"]): e["frictionless"] for e in json.loads((ROOT / "benchmarks" / "results.json").read_text())["sizes"] if "frictionless" in e}
    results = {"machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
               "runs": args.runs, "sizes": [], "all_valid": True,
               "tables": len(list((ROOT / "schemas").glob("*.schema.json"))), "rules": rule_count()}
    smallest = args.work / "fixed"
    results["fixed"] = {"n": 27, "rows": synth(27, smallest), "ours": [timed(ours(smallest)) for _ in range(args.runs)]}
    for run in results["fixed"]["ours"]:
        run.pop("stdout_tail", None)
    shutil.rmtree(smallest)
    for n in args.sizes:
        package = args.work / f"n{n}"
        rows = synth(n, package)
        entry = {"n": n, "rows": rows, "ours": [timed(ours(package)) for _ in range(args.runs)]}
        if (n, rows) in previous:
            entry["frictionless"], entry["frictionless_reused"] = previous[(n, rows)], True
        elif n <= args.frictionless_max:
            entry["frictionless"] = [timed([FRICTIONLESS, "validate", "datapackage-csv.json"], cwd=package) for _ in range(args.runs)]
        results["all_valid"] &= all(r["exit"] == 0 for r in entry["ours"] + entry.get("frictionless", []) + results["fixed"]["ours"])
        for run in entry["ours"] + entry.get("frictionless", []):
            run.pop("stdout_tail", None)
        results["sizes"].append(entry)
        print(f"N={n}: rows={rows} ours={median(entry['ours'], 'wall_s'):.2f}s", flush=True)
        shutil.rmtree(package)
    planted_n = max(n for n in args.sizes if n <= args.frictionless_max)
    planted = args.work / "planted"
    synth(planted_n, planted, plant=True)
    results["planted"] = {"n": planted_n, **planted_check(planted)}
    shutil.rmtree(planted)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, ROOT / "docs" / "benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
