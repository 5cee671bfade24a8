"""Run jobs: bounded concurrency on APScheduler, retries with backoff, fallback, delivery.

One job, start to finish (`run_job`): claim it in the ledger, give the engine its last
checkpoint, deliver the result atomically, record the outcome. TransientError → queued
again with backoff; PermanentError → failed with its reason; a JobError that allows a
fallback → the rule's fallback engine makes the output instead. Nothing here knows HTTP
or ffmpeg.

`Runner` is this module's job run plus two parts kept in modules of their own:
daemon.claims (claims, leases and fencing on a shared ledger) and daemon.delivery
(verify, intended output, place, record done).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from daemon import diskguard
from daemon.claims import HEARTBEATS_PER_LEASE, JOBS_EXECUTOR, LEASES_EXECUTOR, Claims
from daemon.config import Config, Rule
from daemon.delivery import Delivery, Verifier
from daemon.engines.base import Engine, EngineResult, JobContext, JobSpec
from daemon.engines.registry import Engines
from daemon.errors import (
    Cancelled,
    JobError,
    TransientError,
    from_os_error,
    internal_error,
)
from daemon.events import EventBus, EventKind, JobEvent, credit_link, outcome_events
from daemon.ledger import JobRecord, JobState, LedgerBackend, utcnow
from daemon.outage import Outage
from daemon.pathmap import PathMap
from daemon.placement import remove_scratch, scratch_path

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

# First retry after 30 s, doubling, at most 15 min apart: long enough for a network blip
# or a 5xx storm to pass, short enough that a video is not a day late.
BACKOFF_FIRST = 30.0
BACKOFF_MAX = 15 * 60.0
# An engine that cannot take jobs now (out of credits) is asked again this often.
UNAVAILABLE_RECHECK = 5 * 60.0
_PROGRESS_SAVE_EVERY = 2.0
# A job whose watch folder is offline looks again this often (a share remounting, a
# folder moved back).
OFFLINE_RECHECK = 5.0


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`."""
    if retry_after is not None:
        return retry_after
    return float(min(BACKOFF_FIRST * 2 ** max(0, attempt - 1), BACKOFF_MAX))


def spec_rule(record: JobRecord) -> Rule:
    """The rule a job was queued with (a snapshot, so later edits don't change it)."""
    return Rule.model_validate_json(record.rule_json)


class Runner(Claims, Delivery):
    """Executes ledger jobs through engines, on a bounded thread pool."""

    def __init__(
        self,
        config: Config,
        ledger: LedgerBackend,
        engines: Engines,
        scheduler: BackgroundScheduler | None = None,
        events: EventBus | None = None,
        *,
        verify: Verifier | None = None,
    ) -> None:
        self.config = config
        # Checks an output before it is placed (daemon.verify); None in tests whose fake
        # engines write placeholder bytes.
        self.verify = verify
        self.events = events if events is not None else EventBus()
        self.ledger = ledger
        self.engines = engines
        self.cancel = threading.Event()
        self._scheduler = scheduler
        self._scheduled: set[int] = set()
        self._lock = threading.Lock()
        self.paths = PathMap.of(config.path_map)
        # The shared ledger out of reach: said once, not on every poll and heartbeat.
        self.reach = Outage(f"the job ledger ({ledger.location})")
        # Per job: set on shutdown, or when another worker took the job over (lost lease).
        self._cancels: dict[int, threading.Event] = {}
        # Jobs this worker has claimed and whose run has not ended: its concurrency on a
        # shared ledger, and never claimed again while a run of them is still here (a
        # fenced run still winding down must not be mistaken for the new claim).
        self._active: set[int] = set()
        # One poll at a time (tick, heartbeat, a finished job): two would both see the
        # same free slots and claim twice as many jobs.
        self._poll_lock = threading.Lock()
        # Given a source path, the folder path if its watch folder is offline now (the
        # daemon hands in its watcher's live check).
        self.offline_folder: Callable[[Path], Path | None] = lambda _path: None
        # Free bytes in a folder (daemon.diskguard; tests hand in a fake disk).
        self.free_bytes: Callable[[Path], int] = diskguard.free_bytes

    # --- scheduling ----------------------------------------------------------------------

    @property
    def scheduler(self) -> BackgroundScheduler:
        """The job pool, made on first use: `videofree process` runs its one job on its own
        thread and never needs it (APScheduler costs ~20 ms of its start)."""
        if self._scheduler is None:
            from apscheduler.executors.pool import ThreadPoolExecutor  # noqa: PLC0415
            from apscheduler.schedulers.background import BackgroundScheduler  # noqa: PLC0415

            self._scheduler = BackgroundScheduler(
                executors={
                    "default": ThreadPoolExecutor(2),
                    JOBS_EXECUTOR: ThreadPoolExecutor(self.config.concurrency),
                    LEASES_EXECUTOR: ThreadPoolExecutor(1),
                },
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
                timezone="UTC",
            )
        return self._scheduler

    def start(self) -> None:
        self.scheduler.start()
        if self.ledger.shared:
            self.scheduler.add_job(
                self.renew_leases,
                "interval",
                seconds=self.config.lease_seconds / HEARTBEATS_PER_LEASE,
                id="leases",
                executor=LEASES_EXECUTOR,
            )

    def submit(self, job_id: int, delay: float = 0.0) -> None:
        """Run the job on the pool, now or after `delay` seconds (once, however often called)."""
        with self._lock:
            if job_id in self._scheduled:
                return
            self._scheduled.add(job_id)
        self.scheduler.add_job(
            self._run_scheduled,
            "date",
            run_date=utcnow() + timedelta(seconds=delay),
            args=[job_id],
            id=f"job-{job_id}",
            replace_existing=True,
            executor=JOBS_EXECUTOR,
        )

    def submit_queued(self) -> None:
        """Schedule every queued job not scheduled yet (startup, `videofree retry`).

        On a shared ledger, claim what this worker has room for instead (`poll_shared`)."""
        if self.ledger.shared:
            self.poll_shared()
            return
        now = utcnow()
        for record in self.ledger.jobs(states=[JobState.QUEUED]):
            if record.id in self._scheduled:
                continue
            delay = (record.not_before - now).total_seconds() if record.not_before else 0.0
            self.submit(record.id, max(0.0, delay))

    def shutdown(self) -> None:
        """Stop: running engines are cancelled and their jobs left queued to resume."""
        self.cancel.set()
        with self._lock:
            for event in self._cancels.values():
                event.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _run_scheduled(self, job_id: int) -> None:
        with self._lock:
            self._scheduled.discard(job_id)
        try:
            self.run_job(job_id)
        except Exception as exc:  # one bad job must never stop the daemon
            logger.bind(job=job_id).exception("crashed unexpectedly")
            # Failed, not queued: a job that crashes the runner would otherwise loop forever.
            self.ledger.fail(job_id, internal_error(exc))
            self._publish_failed(self.ledger.get(job_id))

    # --- one job -------------------------------------------------------------------------

    def run_job(self, job_id: int) -> JobRecord | None:
        """Run one queued job to an outcome. Return its final record (None if not runnable)."""
        record = self.ledger.get(job_id)
        if record is None or record.state is not JobState.QUEUED or self.cancel.is_set():
            return record
        log = logger.bind(job=job_id)
        rule = spec_rule(record)
        if self._wait_for_folder(record, count_attempt=None) or self._wait_for_space(
            record, rule, log
        ):
            return self.ledger.get(job_id)
        engine_name = self._pick_engine(record, rule, log)
        if engine_name is None:
            # Never claimed, so no attempt was spent: only the wait is recorded.
            self.ledger.postpone(
                job_id,
                not_before=utcnow() + timedelta(seconds=UNAVAILABLE_RECHECK),
                error=f"engine {rule.engine} unavailable; waiting",
            )
            self.submit(job_id, UNAVAILABLE_RECHECK)
            return self.ledger.get(job_id)
        claimed = self.ledger.claim(job_id, engine_name)
        if claimed is None:
            return self.ledger.get(job_id)
        return self._run_claimed(claimed, engine_name)

    def _run_claimed(self, claimed: JobRecord, engine_name: str) -> JobRecord | None:
        """Run a job this worker has claimed to an outcome; return its final record."""
        job_id = claimed.id
        log = logger.bind(job=job_id)
        claimed, rule = self._localize(claimed)
        with self._lock:
            self._active.add(job_id)
            if self.ledger.shared:  # one machine needs only the runner's own cancel
                self._cancels[job_id] = threading.Event()
                if self.cancel.is_set():
                    self._cancels[job_id].set()
        try:
            self._run_to_outcome(claimed, rule, engine_name, log)
        finally:
            with self._lock:
                self._cancels.pop(job_id, None)
                self._active.discard(job_id)
        return self.ledger.get(job_id)

    def _localize(self, record: JobRecord) -> tuple[JobRecord, Rule]:
        """The job and its rule with paths as this machine sees them (`path_map:`)."""
        rule = spec_rule(record)
        if not self.paths.pairs:
            return record, rule
        sources = tuple(self.paths.to_local(s) for s in record.sources)
        rule = rule.model_copy(update={"output": self.paths.to_local(rule.output)})
        if rule.original is not None:
            moved = self.paths.to_local(rule.original.move_to)
            rule = rule.model_copy(
                update={"original": rule.original.model_copy(update={"move_to": moved})}
            )
        return replace(record, source=sources[0], sources=sources), rule

    def _run_to_outcome(self, claimed: JobRecord, rule: Rule, engine_name: str, log: Any) -> None:
        job_id = claimed.id
        started = time.monotonic()
        if self._already_delivered(claimed, rule, log):
            return
        log.info(
            "started on {} (attempt {}): {}",
            engine_name,
            claimed.attempts,
            ", ".join(s.name for s in claimed.sources),
        )
        try:
            with self.engines.using() as engines:
                result = self._run_engine(claimed, rule, engine_name, log, engines)
            self._deliver(claimed, rule, result, log, started)
        except JobError as exc:
            self._failed(claimed, rule, exc, log)
        except Exception as exc:
            log.exception("failed with an internal error")  # the traceback, for a bug report
            if self._fenced(claimed, exc, log):
                return
            self.ledger.fail(job_id, internal_error(exc))
            self._publish_failed(self.ledger.get(job_id))

    def _wait_for_folder(self, record: JobRecord, count_attempt: bool | None) -> bool:
        """If a source is missing because its watch folder is offline, leave the job
        queued (not failed: the file is not gone, only out of reach) and look again later.
        `count_attempt` None: the job was never claimed; else requeue a claimed job."""
        folder = next(
            (f for s in record.sources if not s.exists() and (f := self.offline_folder(s))),
            None,
        )
        if folder is None:
            return False
        not_before = utcnow() + timedelta(seconds=OFFLINE_RECHECK)
        error = f"waiting: the watch folder {folder} is offline"
        if count_attempt is None:
            self.ledger.postpone(record.id, not_before=not_before, error=error)
        else:
            self.ledger.requeue(record.id, not_before=not_before, error=error, count_attempt=False)
        self.submit(record.id, OFFLINE_RECHECK)
        return True

    def _wait_for_space(self, record: JobRecord, rule: Rule, log: Any) -> bool:
        """Too little free space in the output folder (where the scratch file grows too):
        leave the job queued, saying why, instead of failing it on ENOSPC mid-render."""
        sizes = []
        for source in record.sources:
            try:
                sizes.append(source.stat().st_size)
            except OSError:
                continue  # the engine reports a missing source
        need = diskguard.needed(sizes)
        try:
            free = self.free_bytes(rule.output)
        except OSError:
            return False  # cannot tell: let the render try
        why = diskguard.shortfall(rule.output, free, need)
        if why is None:
            return False
        if not (record.error or "").startswith(diskguard.WAITING):
            log.warning("{}", why)  # once per shortfall, not at every recheck
        self.ledger.postpone(
            record.id,
            not_before=utcnow() + timedelta(seconds=diskguard.RECHECK_SECONDS),
            error=why,
        )
        self.submit(record.id, diskguard.RECHECK_SECONDS)
        return True

    def _pick_engine(self, record: JobRecord, rule: Rule, log: Any) -> str | None:
        primary = rule.engine or self.config.engine
        if self.engines.get(primary).available():
            return primary
        if rule.fallback:
            log.warning("engine {} is paused; this job runs on {}", primary, rule.fallback)
            return rule.fallback
        return None

    def _run_engine(
        self, record: JobRecord, rule: Rule, engine_name: str, log: Any, engines: Engines
    ) -> EngineResult:
        # One dict for the whole run: a fallback attempt must not erase what the primary
        # engine saved (a started cloud render) earlier in this same run.
        checkpoints: dict[str, Any] = dict(record.checkpoint)
        try:
            return self._attempt(record, rule, engines.get(engine_name), log, checkpoints)
        except JobError as exc:
            if exc.pause_engine:
                self._publish_paused(record, rule, engine_name, exc)
            fallback = rule.fallback
            exhausted = (
                isinstance(exc, TransientError) and record.attempts >= self.config.max_attempts
            )
            if (
                fallback
                and engine_name != fallback
                and not self.cancel.is_set()
                and (exc.fallback_ok or exhausted)
            ):
                if exc.pause_engine:
                    log.warning("{} paused: {}", engine_name, exc.reason)
                log.warning(
                    "{} could not make it ({}); falling back to {}",
                    engine_name,
                    exc.reason,
                    fallback,
                )
                self.ledger.set_engine(record.id, fallback)
                result = self._attempt(record, rule, engines.get(fallback), log, checkpoints)
                note = f"made by {fallback} (fallback: {engine_name}: {exc.reason})"
                return EngineResult(result.path, result.engine, (*result.notes, note))
            raise

    def _attempt(
        self,
        record: JobRecord,
        rule: Rule,
        engine: Engine,
        log: Any,
        checkpoints: dict[str, Any],
    ) -> EngineResult:
        engine_name = engine.name
        try:
            remove_scratch(rule.output, record.id)
            scratch = scratch_path(rule.output, record.id)
        except OSError as exc:
            raise from_os_error(exc, f"cannot write in the output folder {rule.output}") from exc

        def save(checkpoint: dict[str, Any]) -> None:
            checkpoints[engine_name] = checkpoint
            self.ledger.save_checkpoint(record.id, checkpoints)

        ctx = JobContext(
            scratch=scratch,
            log=log,
            checkpoint=dict(checkpoints.get(engine_name, {})),
            save_checkpoint=save,
            progress=self._progress_reporter(record.id, log),
            cancel=self._cancel_of(record.id),
        )
        spec = JobSpec(job_id=record.id, sources=record.sources, rule=rule)
        try:
            return engine.run(spec, ctx)
        except OSError as exc:
            ctx.scratch.unlink(missing_ok=True)
            raise from_os_error(exc, f"{engine_name} could not read or write a file") from exc
        except BaseException:
            ctx.scratch.unlink(missing_ok=True)
            raise

    def _cancel_of(self, job_id: int) -> threading.Event:
        with self._lock:
            return self._cancels.get(job_id, self.cancel)

    def _progress_reporter(self, job_id: int, log: Any) -> Callable[[float], None]:
        state = {"step": -1, "saved": 0.0}

        def report(pct: float) -> None:
            step = int(pct // 10)
            if step > state["step"]:
                state["step"] = step
                log.info("render {} %", step * 10)
            now = time.monotonic()
            if now - state["saved"] >= _PROGRESS_SAVE_EVERY or pct >= 100:
                state["saved"] = now
                self.ledger.set_progress(job_id, pct)

        return report

    def _failed(self, record: JobRecord, rule: Rule, exc: JobError, log: Any) -> None:
        if self._fenced(record, exc, log):
            return
        if self.cancel.is_set() or isinstance(exc, Cancelled):
            log.info("interrupted by shutdown; it will resume at the next start")
            self.ledger.requeue(record.id, count_attempt=False)
            return
        if self._wait_for_folder(record, count_attempt=False):
            log.warning("its watch folder went offline ({}); it waits", exc.reason)
            return
        if isinstance(exc, TransientError) and record.attempts < self.config.max_attempts:
            delay = backoff(record.attempts, exc.retry_after)
            log.warning(
                "attempt {} failed ({}); retrying in {:.0f} s", record.attempts, exc.reason, delay
            )
            self.ledger.requeue(
                record.id, not_before=utcnow() + timedelta(seconds=delay), error=exc.reason
            )
            if not self.ledger.shared:  # on a shared ledger, whichever worker is free takes it
                self.submit(record.id, delay)
            return
        log.error("failed: {}", exc.reason)
        self.ledger.fail(record.id, exc.reason)
        self._publish_failed(self.ledger.get(record.id), rule)

    # --- events (issue 14): every outcome goes to the listeners -----------------------------

    def _publish(self, event: JobEvent) -> None:
        self.events.publish(event)

    def _publish_done(
        self, record: JobRecord, rule: Rule, result: EngineResult, final: Path
    ) -> None:
        for event in outcome_events(
            job_id=record.id,
            rule=rule,
            engine=result.engine,
            sources=record.sources,
            when=record.created_at.astimezone(),
            output=final,
            size=_size(final),
            notes=result.notes,
        ):
            self._publish(event)

    def _publish_paused(self, record: JobRecord, rule: Rule, engine: str, exc: JobError) -> None:
        when = record.created_at.astimezone()
        link = credit_link(engine)
        event = JobEvent(
            EventKind.PAUSED,
            record.id,
            rule,
            engine,
            record.sources,
            when,
            error=exc.reason,
            link=link,
        )
        self._publish(event)

    def _publish_failed(self, record: JobRecord | None, rule: Rule | None = None) -> None:
        if record is None:
            return
        try:
            rule = rule or spec_rule(record)
        except ValueError:  # a snapshot that cannot be read has no one to tell
            return
        when = record.created_at.astimezone()
        self._publish(
            JobEvent(
                EventKind.FAILED,
                record.id,
                rule,
                record.engine,
                record.sources,
                when,
                error=record.error,
            )
        )


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
