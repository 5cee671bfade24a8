"""Throughput: jobs per minute for many short clips through the real daemon, concurrency
1 and 2, and the daemon's own share of the CPU (its utime+stime against its ffmpeg
children's cutime+cstime, from /proc).

Baseline: the local engine's own ffmpeg command for the same clips, run back to back by
a plain pool of the same size (no watcher, no ledger, no Python per job). Targets: the
daemon's CPU share < 2 %; jobs/min is reported against the baseline.

    python bench/throughput.py [--quick] [--clips N]
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import common

PROMPT = "export as a 1080p MP4"
CPU_SHARE_TARGET = 2.0
# The baseline's rate is steady after a few dozen clips; more only lengthens the run.
BASELINE_MAX_CLIPS = 30


def through_daemon(root: Path, clips: list[bytes], concurrency: int) -> dict[str, float]:
    config = common.write_config(root, settle_seconds=1, concurrency=concurrency, prompt=PROMPT)
    inbox, staging = root / "inbox", root / "staging"
    staging.mkdir(exist_ok=True)
    with common.DaemonProcess(config) as daemon:
        daemon.wait_running()
        before = common.cpu_times(daemon.pid)
        dropped = time.time()
        for i, data in enumerate(clips):
            tmp = staging / f"clip-{i:04d}.mp4"
            tmp.write_bytes(data)
            tmp.rename(inbox / tmp.name)

        def all_finished() -> list[dict[str, object]] | None:
            jobs = common.ledger_jobs(root / "state")
            done = [j for j in jobs if j["state"] in ("done", "failed")]
            return done if len(done) >= len(clips) else None

        jobs = common.wait_for(all_finished, 30 + 10 * len(clips), "every job to finish", daemon)
        after = common.cpu_times(daemon.pid)
    used = after - before
    started = [common.epoch(str(j["started_at"])) or 0.0 for j in jobs]
    finished = [common.epoch(str(j["finished_at"])) or 0.0 for j in jobs]
    busy = max(finished) - min(started)
    return {
        "jobs_per_min": 60 * len(jobs) / busy,
        "from_drop_per_min": 60 * len(jobs) / (max(finished) - dropped),
        "failed": sum(1 for j in jobs if j["state"] == "failed"),
        "own_cpu": used.own,
        "children_cpu": used.children,
    }


def baseline(root: Path, clips: list[bytes], concurrency: int) -> tuple[float, str]:
    """Jobs/min of the engine's ffmpeg command run by a plain pool; and how it was built."""
    folder = root / f"baseline-{concurrency}"
    folder.mkdir()
    sources = []
    for i, data in enumerate(clips):
        src = folder / f"clip-{i:04d}.mp4"
        src.write_bytes(data)
        sources.append(src)
    commands = []
    how = ""
    for src in sources:
        argv, how = common.engine_argv([src], src.with_suffix(".out.mp4"), PROMPT)
        if argv is None:
            raise common.BenchError(how)
        commands.append(argv)
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(common.run_quiet, commands))
    return 60 * len(commands) / (time.monotonic() - started), how


def run(args: object) -> common.Report:
    quick = getattr(args, "quick", False)
    count = getattr(args, "clips", None) or (10 if quick else 100)
    report = common.Report("throughput", f"Throughput: {count} clips of 1 s, 320x180 → 1080p")
    with common.workdir("throughput", getattr(args, "keep", False)) as root:
        clip = common.make_clip(root / "src.mp4", duration=1.0).read_bytes()
        clips = [common.variant(clip, i) for i in range(count)]
        base_clips = clips[: min(count, BASELINE_MAX_CLIPS)]
        for concurrency in (1, 2):
            sub = root / f"c{concurrency}"
            sub.mkdir()
            got = through_daemon(sub, clips, concurrency)
            base, how = baseline(root, base_clips, concurrency)
            report.add(
                f"concurrency {concurrency}: jobs/min",
                f"{got['jobs_per_min']:.1f}",
                baseline=f"{base:.1f}",
                ratio=common.fmt_ratio(got["jobs_per_min"], base),
            )
            total = got["own_cpu"] + got["children_cpu"]
            share = 100 * got["own_cpu"] / total if total else float("nan")
            report.add(
                f"concurrency {concurrency}: daemon CPU share",
                f"{share:.2f} %",
                baseline=f"{got['children_cpu']:.1f} s ffmpeg",
                ratio=f"{got['own_cpu']:.2f} s own",
                target=f"< {CPU_SHARE_TARGET:g} %",
                met=share < CPU_SHARE_TARGET,
            )
            report.notes.append(
                f"concurrency {concurrency}: {got['from_drop_per_min']:.1f} jobs/min counting "
                f"from the drop (1 s settle included); {got['failed']:.0f} failed"
            )
        report.notes.append(
            f"jobs/min = jobs / (last finished_at - first started_at); baseline: the engine's "
            f"own ffmpeg argv on {len(base_clips)} of the clips, plain thread pool ({how})"
        )
    return report


def main() -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, help="number of clips (default 100, quick 10)")
    args = p.parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
