"""The daemon's wiring: watcher → intake → ledger → scheduler, plus reloads and shutdown.

Threads: watchdog observers only enqueue paths; one APScheduler "tick" (every
TICK_SECONDS, never overlapping itself) gathers file facts and carries out what intake
(pure, in intake.py) decides, so intake's state needs no locks; jobs run on the
scheduler's bounded "jobs" pool.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger

from daemon.config import Config, load_config
from daemon.engines.registry import Engines
from daemon.errors import ConfigError
from daemon.events import EventBus
from daemon.facts import SourceFacts, read_facts
from daemon.fileio import file_facts, files_open_for_writing, fingerprint
from daemon.hooks import HookRunner
from daemon.intake import Decision, Examine, Fingerprint, Intake, Queue, Skip, SkipWhy, Wait
from daemon.ledger import JobState, open_ledger
from daemon.media.tools import find_ffmpeg
from daemon.metadata import tagged_capture_time
from daemon.notify import Notifier
from daemon.placement import scratch_marker
from daemon.procs import kill_orphans, videofree_alive
from daemon.queue import queue_job
from daemon.scheduler import Runner, spec_rule
from daemon.sdnotify import Heartbeat, SdNotify, status_text
from daemon.verify import output_check
from daemon.watcher import FolderWatcher

if TYPE_CHECKING:
    from daemon.web.server import WebServer

# The settle check runs this often: the delay between "settled" and "queued" is at most this.
TICK_SECONDS = 0.25
# Files up to this size are hashed on the tick itself (a fraction of a second); larger
# ones in the background, so a 4 GB file on a share does not hold up everything else.
INLINE_HASH_BYTES = 64 * 1024 * 1024
# `videofree retry` from another process is noticed within this.
LEDGER_POLL_SECONDS = 2.0


class Daemon:
    """One running videofree: builds the parts, starts and stops them, carries out what
    intake decides."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.ffmpeg = find_ffmpeg(config.ffmpeg)
        self.ledger = open_ledger(
            config.ledger,
            config.state_dir,
            engines=tuple(sorted({config.engine_for(r) for r in config.rules})),
            concurrency=config.concurrency,
            lease_seconds=config.lease_seconds,
            worker=True,
        )
        self.engines = Engines(config, self.ffmpeg)
        # Issue 14: job events go to notifications and hooks; systemd hears how we are.
        self.events = EventBus()
        self.notifier = Notifier(lambda: self.config)
        self.hooks = HookRunner()
        self.events.subscribe(self.notifier)
        self.events.subscribe(self.hooks)
        self.systemd = SdNotify()
        self._last_tick = time.monotonic()
        self.heartbeat = Heartbeat(
            self.systemd, lambda: self._last_tick, self._job_counts, time.monotonic
        )
        self.runner = Runner(
            config, self.ledger, self.engines, events=self.events, verify=output_check(self.ffmpeg)
        )
        # Issue 15: the status page, another listener of job events (None with `web: off`).
        self.web = self._web_server() if config.web.enabled else None
        self.intake = Intake(config.rules, config.watch, config.settle_seconds)
        self.watcher = FolderWatcher(config.watch, self._enqueue)
        self.runner.offline_folder = self._offline_folder
        self.stop_event = threading.Event()
        self._incoming: set[Path] = set()
        self._incoming_lock = threading.Lock()
        self._hasher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="videofree-hash")
        self._hashed: list[tuple[Fingerprint, str | None]] = []
        # Media facts read off the tick (a PyAV header read of a file on a slow share must
        # not hold up every other file); handed back to the tick like hashes.
        self._examined: list[tuple[Examine, SourceFacts | None]] = []
        self._tick_lock = threading.Lock()
        self._config_stamp = self._stamp()
        self._reload_requested = threading.Event()
        self._last_ledger_poll = 0.0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        recovered = self.ledger.recover(videofree_alive)
        if recovered:
            killed = kill_orphans(scratch_marker(spec_rule(j).output, j.id) for j in recovered)
            logger.info(
                "resuming {} interrupted job(s){}",
                len(recovered),
                f"; stopped {len(killed)} orphaned process(es)" if killed else "",
            )
        self.runner.start()
        self.runner.submit_queued()
        self.watcher.start()
        self.scan()
        scheduler = self.runner.scheduler
        scheduler.add_job(self.tick, "interval", seconds=TICK_SECONDS, id="tick")
        scheduler.add_job(self.scan, "interval", seconds=self.config.rescan_seconds, id="rescan")
        logger.info(
            "videofree running: {} rule(s), settle {:g} s, concurrency {}, ledger {}",
            len(self.config.rules),
            self.config.settle_seconds,
            self.config.concurrency,
            self.ledger.location,
        )
        if self.web is not None:
            self.web.start()
        self.systemd.ready(status_text(*self._job_counts()))

    def stop(self) -> None:
        logger.info("stopping: running jobs are left to resume at the next start")
        self.systemd.stopping()
        self.watcher.stop()
        self._hasher.shutdown(wait=True, cancel_futures=True)
        self.runner.shutdown()
        if self.web is not None:
            self.web.stop()  # after the runner: the last jobs' events still get pictures
        self.hooks.close()
        self.notifier.close()
        self.systemd.close()
        self.engines.close()
        self.ledger.close()

    def _web_server(self) -> WebServer:
        # Imported here: with `web: off` the page's libraries are never loaded.
        from daemon.web.server import WebServer, nemo_credits  # noqa: PLC0415

        return WebServer(
            lambda: self.config,
            self.ledger,
            lambda: self.ffmpeg,
            self.events,
            requeued=self.runner.submit,
            credits=lambda: nemo_credits(self.engines),
        )

    def run_forever(self) -> None:
        self.start()
        try:
            # The main loop: each beat refreshes STATUS= and pings the watchdog if healthy.
            while not self.stop_event.wait(self.heartbeat.interval):
                self.heartbeat.beat()
        finally:
            self.stop()

    def request_reload(self) -> None:
        self._reload_requested.set()

    def _job_counts(self) -> tuple[int, int, int]:
        """(running, queued, done today) for the systemd status line."""
        midnight = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return (
            self.ledger.count(JobState.RUNNING),
            self.ledger.count(JobState.QUEUED),
            self.ledger.count(JobState.DONE, finished_since=midnight),
        )

    # --- input ---------------------------------------------------------------------------

    def _enqueue(self, path: Path) -> None:
        with self._incoming_lock:
            self._incoming.add(path)

    def scan(self) -> None:
        """Look at every file in the watch folders (start-up and periodic rescan)."""
        for path in self.watcher.scan():
            self._enqueue(path)

    def tick(self) -> None:
        """Settle checks, combine groups, config reloads: the daemon's heartbeat.
        Never runs twice at once (the scheduler's tick and a finished background hash)."""
        try:
            with self._tick_lock:
                self._tick()
            self._last_tick = time.monotonic()
        except Exception:
            logger.exception("internal error in the watcher tick (the daemon keeps running)")

    def _offline_folder(self, path: Path) -> Path | None:
        folder = self.watcher.offline_folder_of(path)
        return folder.path if folder is not None else None

    def _tick(self) -> None:
        self._maybe_reload()
        back = self.watcher.check_online()
        for folder in back:
            for path in self.watcher.scan_folder(folder):
                self._enqueue(path)
        if back:
            self.runner.submit_queued()
        with self._incoming_lock:
            incoming, self._incoming = self._incoming, set()
        for path in incoming | set(self.intake.pending()):
            self.intake.observe(file_facts(path))
        due = self.intake.due()
        writers = files_open_for_writing() if due else set()
        for path in due:
            self._carry_out(self.intake.settled(file_facts(path, writers), self.ledger))
        with self._incoming_lock:
            hashed, self._hashed = self._hashed, []
            examined, self._examined = self._examined, []
        for looked, media in examined:
            self._carry_out(self.intake.examined(looked, media, self.ledger))
        for need, fp in hashed:
            if fp is None:
                self.intake.unreadable(need.path)
            else:
                self._carry_out(self.intake.fingerprinted(need.path, need.rule, fp, self.ledger))
        for decision in self.intake.flush(self.ledger, _capture_order):
            self._carry_out(decision)
        now = time.monotonic()
        if now - self._last_ledger_poll >= LEDGER_POLL_SECONDS:
            self._last_ledger_poll = now
            self.runner.submit_queued()

    def _carry_out(self, decision: Decision) -> None:
        match decision:
            case Queue():
                self._queue(decision)
            case Examine():
                self._hasher.submit(self._examine_in_background, decision)
            case Fingerprint(path=path, size=size) if size <= INLINE_HASH_BYTES and (
                not self._on_a_share(path)
            ):
                fp = self._hash(decision)
                if fp is None:
                    self.intake.unreadable(path)
                else:
                    self._carry_out(self.intake.fingerprinted(path, decision.rule, fp, self.ledger))
            case Fingerprint():
                # Hashing a large file, or any file on a network share (which may crawl or
                # stall), takes a while: do it off the tick, which must keep settling others.
                self._hasher.submit(self._hash_in_background, decision)
            case Skip(why=SkipWhy.DUPLICATE, news=True):
                logger.info("{}: same content as {}; skipped", decision.path.name, decision.detail)
            case Skip(why=SkipWhy.CONDITION, news=True):
                logger.info("{}: skipped by {}", decision.path.name, decision.detail)
            case Skip(news=True):
                logger.info("{}: {}", decision.path.name, decision.why)
            case Wait(news=True):
                logger.info("{} {}", decision.path.name, decision.why)
            case _:
                pass

    def _hash(self, need: Fingerprint) -> str | None:
        """Fingerprint a file and remember it; None if it cannot be read now.
        Raise InterruptedError at shutdown."""
        try:
            fp = fingerprint(need.path, self.stop_event)
        except OSError as exc:
            logger.warning("{}: cannot read it ({}); will look again", need.path.name, exc)
            return None
        try:
            self.ledger.remember(need.path, need.size, need.mtime_ns, fp)
        except self.ledger.busy as exc:  # a cache: hashed again next time
            logger.warning("{}: the ledger is busy ({}); carrying on", need.path.name, exc)
        return fp

    def _hash_in_background(self, need: Fingerprint) -> None:
        try:
            fp = self._hash(need)
        except InterruptedError:
            return
        with self._incoming_lock:
            self._hashed.append((need, fp))
        self.tick()  # admit it now rather than at the next scheduled tick

    def _on_a_share(self, path: Path) -> bool:
        folder = self.watcher.folder_of(path)
        return folder is not None and folder.polling

    def _examine_in_background(self, need: Examine) -> None:
        try:
            media = read_facts(need.path)
        except OSError:
            media = None
        with self._incoming_lock:
            self._examined.append((need, media))
        self.tick()

    def _queue(self, decision: Queue) -> None:
        rule, sources = decision.rule, decision.sources
        names = ", ".join(s.name for s in sources)
        try:
            record, earlier = queue_job(
                self.ledger, self.config, rule, sources, decision.fingerprint
            )
        except self.ledger.busy as exc:
            # Locked longer than the busy timeout (a backup, the CLI): not handled yet, so
            # look at the files again rather than dropping them until the next start.
            logger.warning("{}: the ledger is busy ({}); will try again", names, exc)
            for source in sources:
                self.intake.unreadable(source)
                self._enqueue(source)
            return
        if record is not None:
            logger.bind(job=record.id).info("queued {} → rule {}", names, rule.name)
            self.runner.submit(record.id)
        elif earlier is not None and earlier.sources != sources:
            # Queued by another process between intake's look and the insert.
            logger.info("{}: same content as job {}; skipped", names, earlier.id)

    # --- config reloads ------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int] | None:
        source = self.config.source
        try:
            st = source.stat() if source else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size) if st else None

    def _maybe_reload(self) -> None:
        stamp = self._stamp()
        forced = self._reload_requested.is_set()
        if not forced and stamp == self._config_stamp:
            return
        self._reload_requested.clear()
        self._config_stamp = stamp
        source = self.config.source
        if source is None or stamp is None:
            return
        try:
            new = load_config(source)
            self.ffmpeg = find_ffmpeg(new.ffmpeg)
        except ConfigError as exc:
            logger.error("{} is invalid; keeping the last good rules:\n{}", source, exc)
            return
        self._apply(new)

    def _apply(self, new: Config) -> None:
        old = self.config
        self.config = new
        self.runner.config = new
        self.intake.reconfigure(new.rules, new.watch, new.settle_seconds)
        retired, self.engines = self.engines, Engines(new, self.ffmpeg)
        self.runner.engines = self.engines
        self.runner.verify = output_check(self.ffmpeg)  # with the ffmpeg: the reload named
        retired.retire()  # closed once the jobs still running on them finish
        if new.watch != old.watch:
            self.watcher.stop()
            self.watcher = FolderWatcher(new.watch, self._enqueue)
            self.watcher.start()
        if new.rescan_seconds != old.rescan_seconds:
            self.runner.scheduler.reschedule_job(
                "rescan", trigger="interval", seconds=new.rescan_seconds
            )
        if (new.concurrency, new.state_dir, new.web) != (old.concurrency, old.state_dir, old.web):
            logger.warning("concurrency, state_dir and web changes take effect after a restart")
        logger.info("rules reloaded from {}: {} rule(s)", new.source, len(new.rules))
        self.scan()


def _capture_order(path: Path) -> tuple[float, str]:
    """Capture time from the file's tags (the same reading the output's metadata takes),
    else none (then the name decides). A header read, nothing decoded."""
    try:
        created = tagged_capture_time(read_facts(path))
    except OSError:
        created = None
    return (created.timestamp() if created else float("inf")), path.name
