"""Claims and leases on a shared ledger (PostgreSQL: several workers, one queue).

A worker claims what it has free slots for (`poll_shared`), keeps its claims alive with
heartbeats (`renew_leases`, or `lease_keeper` without the scheduler), stops a job whose
lease another worker took over, and queues again the jobs of workers that stopped
answering. A run whose lease is lost is fenced (`_fenced`): it neither records an
outcome nor tells anyone. On a ledger that is not shared (SQLite) none of this acts.

`Claims` is a part of `daemon.scheduler.Runner`, split out by concern; it uses the
runner's state and its job run, named below.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from loguru import logger

from daemon.errors import internal_error
from daemon.ledger import JobRecord, LeaseLost

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from daemon.config import Config, Rule
    from daemon.ledger import LedgerBackend
    from daemon.outage import Outage

# The runner's pool (built in daemon.scheduler): jobs run on one executor, claimed or not.
JOBS_EXECUTOR = "jobs"
# Heartbeats get a thread of their own: a long tick or scan must never delay them past
# a lease (the other workers would take over jobs this one is still running).
LEASES_EXECUTOR = "leases"
# Heartbeats per lease: a few may be lost (a slow network) before a lease runs out.
HEARTBEATS_PER_LEASE = 5


class Claims:
    """A worker's claims and leases on a shared ledger (a part of Runner)."""

    # The runner's, used here (daemon.scheduler.Runner sets them up).
    config: Config
    ledger: LedgerBackend
    cancel: threading.Event
    reach: Outage
    _lock: threading.Lock
    _poll_lock: threading.Lock
    _active: set[int]
    _cancels: dict[int, threading.Event]

    if TYPE_CHECKING:

        @property
        def scheduler(self) -> BackgroundScheduler: ...
        def _localize(self, record: JobRecord) -> tuple[JobRecord, Rule]: ...
        def _pick_engine(self, record: JobRecord, rule: Rule, log: Any) -> str | None: ...
        def _run_claimed(self, claimed: JobRecord, engine_name: str) -> JobRecord | None: ...

    def poll_shared(self) -> None:
        """Claim as many due queued jobs as this worker has free slots for, and run them."""
        if self.cancel.is_set() or not self._poll_lock.acquire(blocking=False):
            return  # another poll is claiming for this worker right now
        try:
            self._poll()
        finally:
            self._poll_lock.release()

    def _poll(self) -> None:
        with self._lock:
            free = self.config.concurrency - len(self._active)
        if free <= 0:
            return
        engines: dict[int, str] = {}

        def accept(record: JobRecord) -> str | None:
            engine = self._accept(record)
            if engine is not None:
                engines[record.id] = engine
            return engine

        try:
            claimed = self.ledger.claim_next(free, accept)
        except self.ledger.busy as exc:
            self.reach.failed("claiming jobs", exc)
            return
        self.reach.ok()
        for record in claimed:
            with self._lock:
                self._active.add(record.id)
            self.scheduler.add_job(
                self._run_shared,
                args=[record, engines[record.id]],
                # One id per claim: a claim must never be mistaken for a run still going.
                id=f"claim-{record.id}-{record.lease_gen}",
                executor=JOBS_EXECUTOR,
            )

    def _accept(self, record: JobRecord) -> str | None:
        """The engine this worker runs `record` on, or None to leave it to another worker:
        a source it cannot see, or no engine of the rule's available here."""
        with self._lock:
            if record.id in self._active:
                return None  # an earlier, fenced run of it has not ended here yet
        try:
            local, rule = self._localize(record)
        except ValueError:
            return None  # an unreadable rule snapshot: a worker that can read it fails it
        if not all(os.path.exists(s) for s in local.sources):
            return None
        return self._pick_engine(local, rule, logger.bind(job=record.id))

    def _run_shared(self, record: JobRecord, engine_name: str) -> None:
        try:
            log = logger.bind(job=record.id)
            log.info("claimed by worker {} (lease {})", record.worker, record.lease_gen)
            self._run_claimed(record, engine_name)
        except Exception as exc:  # one bad job must never stop the daemon
            logger.bind(job=record.id).exception("crashed unexpectedly")
            self.ledger.fail(record.id, internal_error(exc))
        finally:
            with self._lock:
                self._active.discard(record.id)
        self.poll_shared()  # fill the slot at once rather than at the next tick

    def renew_leases(self) -> None:
        """Heartbeat: renew our leases, stop jobs whose lease is lost, and queue again the
        jobs of workers whose leases expired."""
        if not self._heartbeat():
            return
        try:
            taken = self.ledger.take_over_expired()
        except Exception as exc:  # a heartbeat must never stop: say it and try next time
            self.reach.failed("checking for expired leases", exc)
            return
        for record in taken:
            logger.bind(job=record.id).warning(
                "lease takeover: worker {} stopped answering; the job is queued again",
                record.worker,
            )
        if taken:
            self.poll_shared()

    def _heartbeat(self) -> bool:
        """Renew our leases and stop the jobs whose lease is lost. Return False when the
        database could not be reached (the leases still run for a while)."""
        try:
            lost = self.ledger.heartbeat()
        except Exception as exc:  # a heartbeat must never stop: say it and try next time
            self.reach.failed("renewing leases", exc)
            return False
        self.reach.ok()
        for job_id in lost:
            logger.bind(job=job_id).warning(
                "lease lost (another worker has the job now); stopping its render"
            )
            with self._lock:
                event = self._cancels.get(job_id)
            if event is not None:
                event.set()
        return True

    @contextmanager
    def lease_keeper(self) -> Iterator[None]:
        """Heartbeats on a thread of their own for as long as the block runs, for a job
        run without the scheduler (`videofree process`). Nothing on a ledger not shared."""
        if not self.ledger.shared:
            yield
            return
        stop = threading.Event()
        every = self.config.lease_seconds / HEARTBEATS_PER_LEASE

        def beat() -> None:
            while not stop.wait(every):
                self._heartbeat()

        thread = threading.Thread(target=beat, name="videofree-leases", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _fenced(self, record: JobRecord, exc: BaseException, log: Any) -> bool:
        """True (and logged) when another worker has this job now: this one must neither
        write its outcome nor tell anyone — the worker that has it will."""
        if not self.ledger.shared or self.cancel.is_set():
            return False
        if isinstance(exc, LeaseLost) or not self.ledger.holds(record.id):
            log.warning("stopped without delivering: the lease was lost to another worker")
            return True
        return False
