"""Latency: from a file's last byte written to its job's started_at in the ledger.

Two ways a file arrives: written elsewhere and renamed into the inbox (what most copy
tools and phone sync apps do), and written in place in a few chunks (a plain `cp`). Run
with the default settle time (5 s) and with 1 s. Baseline: the settle time itself, which
the daemon must wait by design; target: settle + 0.5 s at p95.

    python bench/latency.py [--quick] [--files N]
"""

from __future__ import annotations

import time
from pathlib import Path

import common

# Files arrive this far apart, so one job's render is over before the next file settles
# and the figure is the watcher's latency, not queueing behind a busy encoder.
SPACING = 1.25
WRITE_CHUNKS = 4
CHUNK_PAUSE = 0.05
SLACK = 0.5


def drop_renamed(data: bytes, staging: Path, inbox: Path, name: str) -> float:
    tmp = staging / (name + ".part")
    tmp.write_bytes(data)
    tmp.rename(inbox / name)
    return time.time()


def drop_direct(data: bytes, inbox: Path, name: str) -> float:
    step = max(1, len(data) // WRITE_CHUNKS)
    with (inbox / name).open("wb") as f:
        for i in range(0, len(data), step):
            if i:
                time.sleep(CHUNK_PAUSE)
            f.write(data[i : i + step])
            f.flush()
    return time.time()


def measure(root: Path, settle: float, files: int, clip: bytes) -> dict[str, list[float]]:
    """Drop `files` files per variant into a fresh daemon; return latencies per variant."""
    config = common.write_config(root, settle_seconds=settle, concurrency=2)
    inbox, staging = root / "inbox", root / "staging"
    staging.mkdir(exist_ok=True)
    written: dict[str, tuple[str, float]] = {}
    with common.DaemonProcess(config) as daemon:
        daemon.wait_running()
        for i in range(files * 2):
            kind = "rename" if i % 2 == 0 else "direct"
            name = f"clip-{settle:g}-{i:03d}.mp4"
            data = common.variant(clip, int(settle * 1000) + i)
            at = (
                drop_renamed(data, staging, inbox, name)
                if kind == "rename"
                else drop_direct(data, inbox, name)
            )
            written[name] = (kind, at)
            time.sleep(SPACING)

        def all_started() -> list[dict[str, object]] | None:
            jobs = common.ledger_jobs(root / "state")
            started = [j for j in jobs if j["started_at"]]
            return started if len(started) >= len(written) else None

        jobs = common.wait_for(all_started, settle + 60, "every job to start", daemon)
    out: dict[str, list[float]] = {"rename": [], "direct": []}
    for job in jobs:
        name = Path(str(job["source"])).name
        kind, at = written[name]
        started_at = common.epoch(str(job["started_at"]))
        assert started_at is not None
        out[kind].append(started_at - at)
    return out


def run(args: object) -> common.Report:
    quick = getattr(args, "quick", False)
    files = getattr(args, "files", None) or (3 if quick else 15)
    settles = (1.0,) if quick else (5.0, 1.0)
    report = common.Report("latency", "Latency: last byte written → job started")
    with common.workdir("latency", getattr(args, "keep", False)) as root:
        clip = common.make_clip(root / "src.mp4", duration=0.5).read_bytes()
        for settle in settles:
            sub = root / f"settle-{settle:g}"
            sub.mkdir()
            latencies = measure(sub, settle, files, clip)
            for kind, label in (("rename", "renamed into inbox"), ("direct", "written in inbox")):
                values = latencies[kind]
                p50, p95 = common.percentile(values, 50), common.percentile(values, 95)
                report.add(
                    f"settle {settle:g} s, {label}: p95 (p50)",
                    f"{p95:.2f} s ({p50:.2f} s)",
                    baseline=f"{settle:.2f} s",
                    ratio=common.fmt_ratio(p95, settle),
                    target=f"<= {settle + SLACK:.2f} s",
                    met=p95 <= settle + SLACK,
                )
            over = [v - settle for vs in latencies.values() for v in vs]
            report.notes.append(
                f"settle {settle:g} s: {len(over)} files, time beyond the settle wait "
                f"min {min(over):.2f} / max {max(over):.2f} s"
            )
    report.notes.append(
        f"{files} files per variant, {SPACING:g} s apart, 0.5 s 320x180 clips, concurrency 2"
    )
    return report


def main() -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--files", type=int, help="files per variant (default 15, quick 3)")
    args = p.parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
