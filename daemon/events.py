"""Job events: what happened to a job, published once by the scheduler to its listeners.

    scheduler ── publish(JobEvent) ──► EventBus ──► notifications (notify.py)
                                                ├─► on_done hook (hooks.py)
                                                ├─► pictures, metrics (web/server.py)
                                                └─► the status page reads the ledger

A listener must return quickly (the job's thread calls it) and its errors are logged,
never raised: telling the user about a job can never fail or delay that job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from loguru import logger

from daemon.config import Rule

# The local engine records each phrase it could not use as a note with this prefix.
IGNORED_NOTE_PREFIX = "ignored: "


class EventKind(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PAUSED = "paused"
    NOT_UNDERSTOOD = "not-understood"


@dataclass(frozen=True)
class JobEvent:
    """One outcome of one job, with everything a listener may want to say about it."""

    kind: EventKind
    job_id: int
    rule: Rule
    engine: str
    sources: tuple[Path, ...]
    when: datetime  # the job's creation time (the output-name fields' date and time)
    output: Path | None = None
    size: int | None = None
    error: str | None = None
    ignored: tuple[str, ...] = ()
    link: str | None = None

    @property
    def source(self) -> Path:
        return self.sources[0]


class Listener(Protocol):
    def __call__(self, event: JobEvent) -> None: ...


@dataclass
class EventBus:
    """Hands every published event to every listener; a failing listener is logged."""

    listeners: list[Callable[[JobEvent], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self, listener: Callable[[JobEvent], None]) -> None:
        with self._lock:
            self.listeners.append(listener)

    def publish(self, event: JobEvent) -> None:
        with self._lock:
            listeners = list(self.listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                logger.bind(job=event.job_id).exception("a {} listener failed", event.kind)


def ignored_words(notes: Sequence[str]) -> tuple[str, ...]:
    """The prompt phrases an engine noted as not understood, without their quotes."""
    return tuple(
        n.removeprefix(IGNORED_NOTE_PREFIX).strip('"')
        for n in notes
        if n.startswith(IGNORED_NOTE_PREFIX)
    )


def outcome_events(
    *,
    job_id: int,
    rule: Rule,
    engine: str,
    sources: tuple[Path, ...],
    when: datetime,
    output: Path,
    size: int | None,
    notes: Sequence[str],
) -> list[JobEvent]:
    """A delivered job's events: done, and not-understood when words were ignored."""
    ignored = ignored_words(notes)
    done = JobEvent(
        EventKind.DONE, job_id, rule, engine, sources, when, output, size, ignored=ignored
    )
    if not ignored:
        return [done]
    return [
        done,
        JobEvent(
            EventKind.NOT_UNDERSTOOD,
            job_id,
            rule,
            engine,
            sources,
            when,
            output,
            size,
            ignored=ignored,
        ),
    ]


def credit_link(engine: str) -> str | None:
    """Where a user gets more credits when `engine` pauses for lack of them."""
    if engine == "nemo":
        # Here, not at the top: importing the NemoVideo package brings httpx (~50 ms of
        # every `process`), and only a paused cloud engine needs the link.
        from daemon.engines.nemo.constants import REGISTER_URL  # noqa: PLC0415

        return REGISTER_URL
    return None
