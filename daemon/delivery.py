"""Deliver a job's output: check it, record where it goes, place it, record it done.

    _deliver            output name → verify → capture metadata (daemon.retag) → still
                        ours? → the intended output recorded → placed under a free name
                        (daemon.placement) → ledger 'done' → listeners told → originals moved
    _already_delivered  a crash after the rename: the recorded intended output is there,
                        so the job finishes with it instead of making a second copy

The file operations themselves (scratch names, no-overwrite placement, moving originals)
are daemon.placement's, which knows nothing of the ledger.

`Delivery` is a part of `daemon.scheduler.Runner`, split out by concern; it uses the
runner's state and its events, named below.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.engines.base import EngineResult
from daemon.errors import JobError, PermanentError, TransientError, from_os_error
from daemon.ledger import JobRecord, LeaseLost, file_identity
from daemon.placement import move_original, place, remove_scratch
from daemon.retag import stamp_output
from daemon.rules import NameFields, lands_in_watch, output_path

if TYPE_CHECKING:
    from daemon.config import Config, Rule
    from daemon.engines.registry import Engines
    from daemon.ledger import LedgerBackend
    from daemon.pathmap import PathMap

# Given a finished result and the cancel flag, return notes; raise JobError if unfit.
Verifier = Callable[[EngineResult, threading.Event], tuple[str, ...]]

# Once the output is in place its ledger write must not be lost to a passing lock (the
# CLI, a backup): tried this many times, a second apart, on top of SQLite's busy wait.
LEDGER_WRITE_TRIES = 5


class Delivery:
    """A finished job's output placed and recorded (a part of Runner)."""

    # The runner's, used here (daemon.scheduler.Runner sets them up).
    config: Config
    ledger: LedgerBackend
    engines: Engines
    paths: PathMap
    cancel: threading.Event
    verify: Verifier | None

    if TYPE_CHECKING:

        def _publish_done(
            self, record: JobRecord, rule: Rule, result: EngineResult, final: Path
        ) -> None: ...

    def _deliver(
        self, record: JobRecord, rule: Rule, result: EngineResult, log: Any, started: float
    ) -> None:
        fields = NameFields(
            source=record.source,
            rule=rule.name,
            engine=result.engine,
            job=record.id,
            when=record.created_at.astimezone(),
        )
        try:
            target = output_path(rule.output, rule.output_name, fields)
        except ValueError as exc:
            result.path.unlink(missing_ok=True)
            raise PermanentError(str(exc)) from None
        watched = lands_in_watch(self.config.watch, target)
        if watched is not None:  # checked at config time too; the rule may predate it
            result.path.unlink(missing_ok=True)
            raise PermanentError(
                f"the output {target.name} would land in the watched folder {watched.path}"
            )
        if self.verify is not None:
            try:
                checked = self.verify(result, self.cancel)
            except JobError:
                result.path.unlink(missing_ok=True)
                raise
            for note in checked:
                log.warning("{}", note)
            result = replace(result, notes=(*result.notes, *checked))
        result = self._stamp(record, rule, result, log)
        if not self.ledger.holds(record.id):
            # Fenced: another worker has this job now; it delivers, we do not.
            result.path.unlink(missing_ok=True)
            raise LeaseLost(record.id)
        stamped = result

        def intend(candidate: Path) -> None:
            # As every worker names it; the identity is the file about to be placed.
            shared = self.paths.to_shared(candidate)
            self.ledger.intend(record.id, shared, file_identity(stamped.path), stamped.notes)

        try:
            final = place(result.path, target, intend)
        except OSError as exc:
            result.path.unlink(missing_ok=True)
            raise from_os_error(exc, f"cannot deliver to {target.parent}") from exc
        try:
            shared = self.paths.to_shared(final)  # as every worker names it
            self._record_done(record.id, shared, result.engine, result.notes)
        except LeaseLost:
            log.error("lease lost between the check and the end of delivery: {}", final)
            raise
        log.info("done → {} ({:.0f} s, {})", final, time.monotonic() - started, result.engine)
        self._publish_done(record, rule, result, final)
        self._move_originals(record, rule, log)

    def _move_originals(self, record: JobRecord, rule: Rule, log: Any) -> None:
        if rule.original is not None:
            watched = lands_in_watch(self.config.watch, rule.original.move_to / "x")
            if watched is not None:
                log.warning(
                    "original left in place: move_to is in the watched folder {}", watched.path
                )
                return
            for source in record.sources:
                try:
                    moved = move_original(source, rule.original.move_to)
                    log.info("original moved → {}", moved)
                except OSError as exc:
                    # The output is delivered: the job is done whatever happens here.
                    reason = from_os_error(exc, f"could not move the original {source.name}")
                    log.warning("{}", reason.reason)

    def _stamp(self, record: JobRecord, rule: Rule, result: EngineResult, log: Any) -> EngineResult:
        """Capture time, place and device into the output, and its mtime (daemon.retag)."""
        notes = stamp_output(
            result.path,
            record.sources,
            rule,
            engine=result.engine,
            # Engines that write the tags in their own pass say so (LocalEngine).
            writes_metadata=getattr(self.engines.get(result.engine), "writes_metadata", False),
            ffmpeg=self.config.ffmpeg,
            cancel=self.cancel,
            log=log,
        )
        return replace(result, notes=(*result.notes, *notes)) if notes else result

    def _already_delivered(self, record: JobRecord, rule: Rule, log: Any) -> bool:
        """A crash (or a lost ledger write) after the output was renamed into place: the
        file recorded as the intended output is there, with the recorded identity. Finish
        the job with it instead of making a second copy."""
        path, identity = record.intended_output, record.intended_identity
        if path is None or identity is None:
            return False
        path = self.paths.to_local(path)
        try:
            if file_identity(path) != identity:
                return False
        except OSError:
            return False
        remove_scratch(rule.output, record.id)
        self._record_done(record.id, path, record.engine, record.notes)
        log.info("done → {} (delivered before an interruption; not made again)", path)
        result = EngineResult(path, record.engine, record.notes)
        self._publish_done(record, rule, result, path)
        self._move_originals(record, rule, log)
        return True

    def _record_done(self, job_id: int, output: Path, engine: str, notes: Sequence[str]) -> None:
        """ledger.finish, retried through a passing lock. Raise TransientError if the
        ledger stays locked: the job is then queued again, and its intended output
        (recorded before the rename) finishes it without a second copy."""
        for attempt in range(LEDGER_WRITE_TRIES):
            try:
                self.ledger.finish(job_id, output, engine, notes)
                return
            except self.ledger.busy as exc:
                if attempt + 1 == LEDGER_WRITE_TRIES:
                    raise TransientError(f"the job ledger stayed busy ({exc})") from exc
                self.cancel.wait(1.0)
