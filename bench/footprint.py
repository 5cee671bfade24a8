"""Footprint: the daemon's idle RSS and CPU with a big ledger, and its start-up time.

A ledger of 10,000 jobs (months of use) and an inbox still holding 1,000 videos it has
already done. Idle RSS and CPU are sampled from /proc over 60 s, after the start-up scan
has been dealt with; start-up is the time from exec to the "videofree running" log line.
Baseline: a daemon with an empty ledger and an empty inbox, idling in the same window and
started in the same run. Targets: RSS < 80 MB, CPU < 0.5 %, start-up < 3 s.

    python bench/footprint.py [--quick]
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import common

LEDGER_ROWS = 10_000
INBOX_FILES = 1_000
RSS_TARGET_MB = 80.0
CPU_TARGET = 0.5
STARTUP_TARGET = 3.0


def fill(root: Path, rows: int, files: int) -> None:
    """Put `files` already-done videos in the inbox and `rows` jobs in the ledger."""
    import sqlite3

    from daemon.fileio import fingerprint
    from daemon.ledger import Ledger

    state, inbox = root / "state", root / "inbox"
    Ledger.in_state_dir(state).close()  # the daemon's own schema
    rule_json = json.dumps({"name": "clips", "glob": ["*.mp4", "*.mov"], "output": str(root)})
    t0 = datetime.now(UTC) - timedelta(days=120)
    jobs, seen = [], []
    for i in range(rows):
        path = inbox / f"IMG_{i:05d}.mp4"
        if i < files:
            # Unique content per file: the ledger knows files by content, not by name.
            path.write_bytes(f"bench {i}".encode() * 64)
            st = path.stat()
            fp = fingerprint(path)
            seen.append((str(path), st.st_size, st.st_mtime_ns, fp))
        else:
            fp = f"{i:x}-{i:032x}"
        when = (t0 + timedelta(minutes=17 * i)).isoformat(timespec="milliseconds")
        failed = i % 10 == 9
        jobs.append(
            (
                str(path),
                json.dumps([str(path)]),
                fp,
                "clips",
                rule_json,
                "local",
                "failed" if failed else "done",
                1,
                None if failed else str(root / "out" / f"IMG_{i:05d}-edited.mp4"),
                "ffmpeg failed: bench" if failed else None,
                when,
                when,
                when,
                when,
            )
        )
    db = sqlite3.connect(state / "jobs.db")
    with db:
        db.executemany(
            "INSERT INTO jobs (source, sources, fingerprint, rule, rule_json, engine, state,"
            " attempts, output, error, created_at, updated_at, started_at, finished_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            jobs,
        )
        db.executemany("INSERT INTO seen VALUES (?,?,?,?)", seen)
    db.close()


def startup_time(config: Path) -> float:
    with common.DaemonProcess(config) as daemon:
        return daemon.wait_running()


def idle(daemons: list[common.DaemonProcess], seconds: float) -> list[tuple[float, float]]:
    """Sample every daemon for `seconds`; return (peak RSS MB, CPU %) for each."""
    before = [common.cpu_times(d.pid) for d in daemons]
    start = time.monotonic()
    peaks = [0] * len(daemons)
    while time.monotonic() - start < seconds:
        for i, d in enumerate(daemons):
            if not d.running():
                raise common.BenchError(f"a daemon exited while idle:\n{d.log[-2000:]}")
            peaks[i] = max(peaks[i], common.rss_kb(d.pid))
        time.sleep(0.5)
    elapsed = time.monotonic() - start
    after = [common.cpu_times(d.pid) for d in daemons]
    return [
        (peak / 1024, 100 * (a - b).own / elapsed)
        for peak, a, b in zip(peaks, after, before, strict=True)
    ]


def run(args: object) -> common.Report:
    quick = getattr(args, "quick", False)
    window = 10.0 if quick else 60.0
    repeats = 1 if quick else 3
    settle = 1 if quick else 5
    report = common.Report(
        "footprint", f"Footprint: {LEDGER_ROWS:,} ledger rows, {INBOX_FILES:,} inbox files"
    )
    with common.workdir("footprint", getattr(args, "keep", False)) as root:
        empty, full = root / "empty", root / "full"
        empty.mkdir()
        full.mkdir()
        cfg_empty = common.write_config(empty, settle_seconds=settle)
        cfg_full = common.write_config(full, settle_seconds=settle)
        fill(full, LEDGER_ROWS, INBOX_FILES)
        # One unmeasured start each warms the page cache (imports, the ledger file); then
        # alternate, so drift in the machine's load hits both sides alike.
        startup_time(cfg_empty)
        startup_time(cfg_full)
        empty_times, full_times = [], []
        for _ in range(repeats):
            empty_times.append(startup_time(cfg_empty))
            full_times.append(startup_time(cfg_full))
        base, loaded = common.median(empty_times), common.median(full_times)
        report.add(
            "start-up to 'videofree running' (median)",
            f"{loaded:.2f} s",
            baseline=f"{base:.2f} s",
            ratio=common.fmt_ratio(loaded, base),
            target=f"< {STARTUP_TARGET:g} s",
            met=loaded < STARTUP_TARGET,
        )
        with common.DaemonProcess(cfg_empty) as d_empty, common.DaemonProcess(cfg_full) as d_full:
            d_empty.wait_running()
            d_full.wait_running()
            # The start-up scan: every inbox file settles, then is found already done.
            time.sleep(settle + 3)
            (rss_full, cpu_full), (rss_empty, cpu_empty) = idle([d_full, d_empty], window)
            queued = [j for j in common.ledger_jobs(full / "state") if j["state"] == "queued"]
        report.add(
            f"idle RSS, peak over {window:g} s",
            f"{rss_full:.1f} MB",
            baseline=f"{rss_empty:.1f} MB",
            ratio=common.fmt_ratio(rss_full, rss_empty),
            target=f"< {RSS_TARGET_MB:g} MB",
            met=rss_full < RSS_TARGET_MB,
        )
        report.add(
            f"idle CPU over {window:g} s",
            f"{cpu_full:.2f} %",
            baseline=f"{cpu_empty:.2f} %",
            ratio=common.fmt_ratio(cpu_full, cpu_empty),
            target=f"< {CPU_TARGET:g} %",
            met=cpu_full < CPU_TARGET,
        )
        report.notes.append(
            f"start-up runs: loaded {', '.join(f'{t:.2f}' for t in full_times)} s; empty "
            f"{', '.join(f'{t:.2f}' for t in empty_times)} s; CPU % is of one core"
        )
        if queued:
            report.notes.append(f"{len(queued)} inbox files were queued again (expected none)")
        report.notes.append(f"settle {settle} s, rescan 60 s, {os.cpu_count()} cores")
    return report


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
