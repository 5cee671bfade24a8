"""Workers on one PostgreSQL ledger: jobs/min for 1, 2 and 3 worker daemons, claims per
second, the time from a lease expiring to its job restarting on another worker, and the
claim latency with 10,000 jobs queued.

This machine's cores are shared by every worker, so more workers do not mean more speed
here: the figures show what coordination costs. Baseline: the same clips through one
daemon on the default SQLite ledger; claims against SQLite's claim loop; the claim latency
against a queue of 10.

Needs the distribution's PostgreSQL binaries (a throwaway cluster is started in a temp
dir, tests/pgcluster.py) and psycopg (`pip install -e '.[postgres]'`).

    python bench/workers.py [--quick]
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import common

from tests import pgcluster

LEASE = 3.0  # the smallest lease config allows, so the expiry figure is quick to take


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise common.BenchError("psycopg missing: pip install -e '.[postgres]'") from exc
    return psycopg


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with _psycopg().connect(url) as db:
        return list(db.execute(sql))


def jobs_per_min(root: Path, clips: list[bytes], workers: int, url: str | None) -> float:
    """Drop the clips into one inbox watched by `workers` daemons (concurrency 1 each)."""
    inbox, out = root / "inbox", root / "out"
    inbox.mkdir(parents=True)
    daemons = []
    for i in range(workers):
        folder = root / f"w{i}"
        folder.mkdir()
        extra = {"ledger": url, "lease_seconds": LEASE} if url else {}
        config = common.write_config(
            folder, settle_seconds=1, concurrency=1, watch=[str(inbox)], **extra
        )
        text = config.read_text().replace(str(folder / "out"), str(out))
        config.write_text(text)
        daemons.append(common.DaemonProcess(config).start())
    try:
        for d in daemons:
            d.wait_running()
        for i, data in enumerate(clips):
            tmp = root / f".clip-{i:04d}.mp4"
            tmp.write_bytes(data)
            tmp.rename(inbox / tmp.name[1:])

        def finished() -> list[tuple[float, float]] | None:
            if url:
                got = _rows(
                    url,
                    "SELECT extract(epoch FROM started_at), extract(epoch FROM finished_at)"
                    " FROM jobs WHERE state IN ('done', 'failed')",
                )
                spans = [(float(a), float(b)) for a, b in got]
            else:
                jobs = common.ledger_jobs(root / "w0" / "state")
                spans = [
                    (
                        common.epoch(str(j["started_at"])) or 0.0,
                        common.epoch(str(j["finished_at"])) or 0.0,
                    )
                    for j in jobs
                    if j["state"] in ("done", "failed")
                ]
            return spans if len(spans) >= len(clips) else None

        spans = common.wait_for(finished, 60 + 10 * len(clips), "every job", daemons[0], 0.5)
    finally:
        for d in daemons:
            d.stop()
    busy = max(b for _, b in spans) - min(a for a, _ in spans)
    return 60 * len(spans) / busy


def claims_per_second(ledgers: list[Any], jobs: int) -> float:
    """`ledgers` claim and finish every queued job, each in its own thread."""

    def drain(led: Any) -> None:
        while batch := led.claim_next(1, lambda _r: "local"):
            led.finish(batch[0].id, Path("/dev/null"), "local", [])

    threads = [threading.Thread(target=drain, args=(led,)) for led in ledgers]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return jobs / (time.monotonic() - started)


def queue(led: Any, count: int, offset: int = 0) -> None:
    for i in range(count):
        led.add_job(
            [Path(f"/share/in/{offset + i}.mp4")], f"fp-{offset + i}", "clips", "{}", "local"
        )


def bulk_queue(url: str, count: int, tag: str = "bulk") -> None:
    with _psycopg().connect(url) as db:
        db.execute(
            "INSERT INTO jobs (source, sources, fingerprint, rule, rule_json, engine, state,"
            " created_at, updated_at) SELECT '/share/in/' || g || '.mp4', '[\"/x\"]',"
            " %s || g, 'clips', '{}', 'local', 'queued', now(), now()"
            " FROM generate_series(1, %s) g",
            (f"{tag}-", count),
        )


def claim_latency_ms(led: Any, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        (got,) = led.claim_next(1, lambda _r: "local")
        times.append(1000 * (time.perf_counter() - started))
        led.finish(got.id, Path("/dev/null"), "local", [])
    return times


def expiry_to_restart(root: Path, clip: bytes, url: str) -> tuple[float, float]:
    """Two workers; SIGKILL the one running the job. Return (kill → restart, lease expiry
    → restart) in seconds, from the database's own timestamps."""
    inbox, out = root / "inbox", root / "out"
    inbox.mkdir(parents=True)
    daemons = []
    for i in range(2):
        folder = root / f"w{i}"
        folder.mkdir()
        config = common.write_config(
            folder,
            settle_seconds=1,
            concurrency=1,
            watch=[str(inbox)],
            ledger=url,
            lease_seconds=LEASE,
        )
        config.write_text(config.read_text().replace(str(folder / "out"), str(out)))
        daemons.append(common.DaemonProcess(config).start())
    try:
        for d in daemons:
            d.wait_running()
        (inbox / "long.mp4").write_bytes(clip)
        by_id = {f"{socket.gethostname()}:{d.pid}": d for d in daemons}

        def running() -> tuple[str, float] | None:
            got = _rows(
                url,
                "SELECT worker, extract(epoch FROM lease_until) FROM jobs WHERE state='running'",
            )
            return (str(got[0][0]), float(got[0][1])) if got else None

        holder, _ = common.wait_for(running, 60, "the job to start")
        victim = by_id[holder]
        os.kill(victim.pid, signal.SIGKILL)
        killed = time.time()
        _, lease_until = running() or (holder, killed)

        def restarted() -> float | None:
            got = _rows(
                url,
                "SELECT worker, extract(epoch FROM started_at) FROM jobs"
                " WHERE state IN ('running', 'done')",
            )
            return float(got[0][1]) if got and got[0][0] != holder else None

        again = common.wait_for(restarted, 60, "the job to restart elsewhere")
    finally:
        for d in daemons:
            d.stop()
    return again - killed, again - lease_until


def run(args: object) -> common.Report:
    quick = getattr(args, "quick", False)
    count = 6 if quick else 30
    report = common.Report("workers", f"Workers on one PostgreSQL: {count} clips of 1 s")
    if pgcluster.bin_dir() is None:
        raise common.BenchError(pgcluster.NO_POSTGRES)
    from daemon.ledger import Ledger
    from daemon.ledger.postgres import PostgresLedger

    with (
        common.workdir("workers", getattr(args, "keep", False)) as root,
        pgcluster.cluster() as server,
    ):
        clip = common.make_clip(root / "src.mp4", duration=1.0).read_bytes()
        clips = [common.variant(clip, i) for i in range(count)]
        base = jobs_per_min(root / "sqlite", clips, 1, None)
        for n in (1, 2, 3):
            url = pgcluster.fresh_database(server, f"jpm{n}")
            got = jobs_per_min(root / f"pg{n}", clips, n, url)
            report.add(
                f"{n} worker(s): jobs/min",
                f"{got:.1f}",
                baseline=f"{base:.1f}",
                ratio=common.fmt_ratio(got, base),
            )
        report.notes.append(
            "jobs/min = jobs / (last finished_at - first started_at); "
            "workers have concurrency 1; baseline: one daemon on SQLite"
        )

        claims = 300 if quick else 2000
        sqlite = Ledger(root / "claims.db")
        queue(sqlite, claims)
        sqlite_rate = claims_per_second([sqlite], claims)
        sqlite.close()
        for n in (1, 3):
            url = pgcluster.fresh_database(server, f"claims{n}")
            leds = [PostgresLedger(url, worker_id=f"bench-{i}") for i in range(n)]
            bulk_queue(url, claims)
            rate = claims_per_second(leds, claims)
            for led in leds:
                led.close()
            report.add(
                f"claims/s, {n} claimer(s) (claim + finish)",
                f"{rate:.0f}",
                baseline=f"{sqlite_rate:.0f} (SQLite, 1)",
                ratio=common.fmt_ratio(rate, sqlite_rate),
            )

        queued = 1000 if quick else 10_000
        samples = 50 if quick else 200
        url = pgcluster.fresh_database(server, "latency")
        led = PostgresLedger(url, worker_id="bench")
        bulk_queue(url, 10, "few")
        small = claim_latency_ms(led, 10)
        bulk_queue(url, queued, "many")
        with _psycopg().connect(url, autocommit=True) as db:
            db.execute("ANALYZE jobs")
        big = claim_latency_ms(led, samples)
        led.close()
        report.add(
            f"claim latency p50, {queued} queued",
            f"{common.median(big):.2f} ms",
            baseline=f"{common.median(small):.2f} ms (10 queued)",
            ratio=common.fmt_ratio(common.median(big), common.median(small)),
        )
        report.add(
            f"claim latency p95, {queued} queued",
            f"{common.percentile(big, 95):.2f} ms",
            target="< 50 ms",
            met=common.percentile(big, 95) < 50,
        )

        url = pgcluster.fresh_database(server, "expiry")
        long_clip = common.make_clip(root / "long.mp4", duration=8.0).read_bytes()
        kill_to_restart, expiry_to = expiry_to_restart(root / "expiry", long_clip, url)
        report.add(
            "SIGKILL → job restarted elsewhere",
            f"{kill_to_restart:.1f} s",
            baseline=f"lease {LEASE:g} s",
            target=f"< lease + {LEASE:g} s",
            met=kill_to_restart < 2 * LEASE,
        )
        report.add(
            "lease expiry → job restarted",
            f"{expiry_to:.1f} s",
            baseline=f"heartbeat every {LEASE / 5:g} s",
            target="< 2 heartbeats",
            met=expiry_to < 2 * LEASE / 5 + 0.5,
        )
    return report


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
