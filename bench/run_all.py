"""Run every benchmark, print one combined table, and write bench/results/<date>.md
with the date, the machine and the commit.

    python bench/run_all.py [--quick] [--rev REV] [--only latency,upload]

Each script runs as its own process (a crash in one does not stop the rest). Exit code
1 when any of them could not run; missed targets are results, not failures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import common

SCRIPTS = ("latency", "render_overhead", "hdr", "startup", "throughput", "footprint", "upload")


def commit(rev: str | None) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(common.REPO), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    sha = git("rev-parse", "--short", rev or "HEAD")
    if rev:
        return f"{sha} (--rev {rev})"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "daemon")
    return f"{sha}{' + uncommitted changes in daemon/' if dirty else ''}"


def load() -> str:
    """The 1-minute load average: other work on the machine makes every figure noisier."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def markdown(
    reports: list[common.Report],
    failed: list[str],
    args: argparse.Namespace,
    seconds: float,
    loads: tuple[str, str],
) -> str:
    info = common.machine()
    now = datetime.now().astimezone()
    lines = [
        f"# videofree benchmarks, {now:%Y-%m-%d %H:%M %Z}{' (quick)' if args.quick else ''}",
        "",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}",
        f"- Python {info['python']}, {info['ffmpeg']}",
        f"- commit: {commit(args.rev)}",
        f"- command: `python bench/run_all.py{' --quick' if args.quick else ''}`, "
        f"{seconds / 60:.1f} min; load average {loads[0]} before, {loads[1]} after",
        "",
        common.render_markdown(common.HEADERS, cells(reports)),
        "",
    ]
    for report in reports:
        lines.append(f"**{report.title}** ({report.seconds:.0f} s)")
        lines.append("")
        lines += [f"- {note}" for note in report.notes]
        lines.append("")
    if failed:
        lines.append(f"Could not run: {', '.join(failed)}")
    return "\n".join(lines).rstrip() + "\n"


def cells(reports: list[common.Report]) -> list[list[str]]:
    rows = []
    for report in reports:
        rows += common.table(report.rows, prefix=f"{report.name}: ")
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: seconds per script")
    p.add_argument("--rev", metavar="REV", help="benchmark a git revision, not the working tree")
    p.add_argument("--only", metavar="NAMES", help=f"comma-separated subset of {SCRIPTS}")
    args = p.parse_args()
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SCRIPTS)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}")
    started = time.monotonic()
    load_before = load()
    reports, failed = [], []
    for name in names:
        result = common.RESULTS / f"{name}.json"
        result.unlink(missing_ok=True)
        argv = [sys.executable, str(common.BENCH_DIR / f"{name}.py")]
        argv += ["--quick"] if args.quick else []
        argv += ["--rev", args.rev] if args.rev else []
        print(f"== {name}", flush=True)
        code = subprocess.run(argv, check=False).returncode
        if code != 0 or not result.exists():
            failed.append(name)
            continue
        reports.append(common.Report.from_json(json.loads(result.read_text())))
    seconds = time.monotonic() - started
    print()
    print(f"All benchmarks ({seconds / 60:.1f} min{', quick' if args.quick else ''})")
    print(common.render_text(common.HEADERS, cells(reports)))
    if failed:
        print(f"could not run: {', '.join(failed)}")
    common.RESULTS.mkdir(exist_ok=True)
    out = (
        common.RESULTS
        / f"{datetime.now().astimezone():%Y-%m-%d}{'-quick' if args.quick else ''}.md"
    )
    out.write_text(
        markdown(reports, failed, args, seconds, (load_before, load())), encoding="utf-8"
    )
    print(f"written: {out.relative_to(common.REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
