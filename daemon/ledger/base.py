"""What every ledger backend offers: the job record, its states, and the `LedgerBackend`
Protocol the daemon, the CLI and intake talk to.

Two backends implement it: `sqlite.Ledger` (one machine, the default) and
`postgres.PostgresLedger` (several workers on one PostgreSQL). The Protocol is small and
explicit on purpose: a method added to one backend is added here and to the other.

Leases (shared backends only). A claim on a shared ledger is a lease: the worker id, a
generation number bumped by every claim, and an expiry the worker renews with `heartbeat`.
A worker that stops renewing (dead, cut off) has its jobs queued again by whichever worker
next calls `take_over_expired`. Every write a worker makes to a job it ran is fenced by the
generation it claimed: once another claim has bumped it, the old worker's writes change
nothing, `finish` raises `LeaseLost`, and `holds` says False — so it never delivers.
On SQLite there is one machine, leases do not exist, `holds` is always True.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from daemon.errors import Cancelled
from daemon.procs import Owner

# The env file (EnvironmentFile= of the unit) holds a PostgreSQL ledger's password.
LEDGER_PASSWORD_ENV = "VIDEOFREE_LEDGER_PASSWORD"  # noqa: S105 - a variable's name
LEDGER_SCHEMES = ("postgresql://", "postgres://")
# A lease lives this long without a heartbeat (rules.yaml `lease_seconds:`); heartbeats
# come several times a lease, so a few lost ones (a busy NAS, slow Wi-Fi) cost no job.
DEFAULT_LEASE_SECONDS = 15.0


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class LeaseLost(Cancelled):
    """Another worker took this job over (our lease expired): stop, write nothing, deliver
    nothing. It is a Cancelled, so the scheduler spends no attempt on it."""

    def __init__(self, job_id: int) -> None:
        super().__init__()
        self.reason = f"lease on job {job_id} lost to another worker; stopped without delivering"
        self.args = (self.reason,)


@dataclass(frozen=True)
class JobRecord:
    """One row of the ledger."""

    id: int
    source: Path
    sources: tuple[Path, ...]
    fingerprint: str
    rule: str
    rule_json: str
    engine: str
    state: JobState
    attempts: int
    output: Path | None
    error: str | None
    notes: tuple[str, ...]
    checkpoint: dict[str, Any]
    progress: float
    not_before: datetime | None
    owner_pid: int | None
    owner_start: int | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # Shared ledgers only: who has (or last had) the job, and its lease generation.
    worker: str | None = None
    lease_gen: int = 0
    # Written just before delivery renames the output into place: after a crash in that
    # window, a file there with this identity is the job's output (issue 11).
    intended_output: Path | None = None
    intended_identity: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The `status --json` shape."""
        return {
            "id": self.id,
            "source": str(self.source),
            "sources": [str(s) for s in self.sources],
            "rule": self.rule,
            "engine": self.engine,
            "state": str(self.state),
            "attempts": self.attempts,
            "progress": round(self.progress, 1),
            "output": str(self.output) if self.output else None,
            "error": self.error,
            "notes": list(self.notes),
            "worker": self.worker,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class WorkerRecord:
    """One worker on a shared ledger, as `videofree workers` shows it."""

    id: str
    host: str
    pid: int
    engines: tuple[str, ...]
    concurrency: int
    started_at: datetime
    heartbeat_at: datetime
    running: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "engines": list(self.engines),
            "concurrency": self.concurrency,
            "started_at": self.started_at.isoformat(),
            "heartbeat_at": self.heartbeat_at.isoformat(),
            "running": list(self.running),
        }


def utcnow() -> datetime:
    return datetime.now(UTC)


def file_identity(path: Path) -> str:
    """What makes a placed output recognisable after a crash: the hard link (or rename)
    that puts it in place keeps its device, inode and size. Raise OSError."""
    st = path.stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}"


# Given a queued job, return the engine this worker would run it on, or None to leave it
# for another worker (its source is not visible here, its engine is paused here).
Acceptor = Callable[[JobRecord], str | None]


class LedgerBackend(Protocol):
    """The ledger as the daemon, the CLI and the status page use it."""

    @property
    def location(self) -> str:
        """Where the ledger lives, for log lines (a file path, or a URL without password)."""
        ...

    @property
    def shared(self) -> bool:
        """True when several workers may use this ledger at once (leases apply)."""
        ...

    # What a write raises while the ledger cannot take it for now (a lock held by another
    # process; a database server restarting or out of reach): callers wait and try again
    # rather than failing a job, whichever backend it is.
    busy: tuple[type[Exception], ...]

    def close(self) -> None: ...

    # --- jobs
    def add_job(
        self, sources: Sequence[Path], fingerprint: str, rule: str, rule_json: str, engine: str
    ) -> JobRecord | None: ...
    def find(self, fingerprint: str, rule: str) -> JobRecord | None: ...
    def get(self, job_id: int) -> JobRecord | None: ...
    def jobs(
        self, *, states: Sequence[JobState] = (), limit: int | None = None, offset: int = 0
    ) -> list[JobRecord]: ...
    def count(self, state: JobState, finished_since: datetime | None = None) -> int: ...
    def queued_ids(self) -> list[int]: ...
    def claim(self, job_id: int, engine: str) -> JobRecord | None: ...
    def save_checkpoint(self, job_id: int, checkpoint: dict[str, Any]) -> None: ...
    def set_progress(self, job_id: int, progress: float) -> None: ...
    def set_engine(self, job_id: int, engine: str) -> None: ...
    def finish(self, job_id: int, output: Path, engine: str, notes: Sequence[str]) -> None: ...
    def intend(self, job_id: int, output: Path, identity: str, notes: Sequence[str]) -> None: ...
    def fail(self, job_id: int, error: str, notes: Sequence[str] = ()) -> None: ...
    def requeue(
        self,
        job_id: int,
        *,
        not_before: datetime | None = None,
        error: str | None = None,
        count_attempt: bool = True,
    ) -> None: ...
    def postpone(self, job_id: int, *, not_before: datetime, error: str) -> None: ...
    def retry(self, job_id: int) -> JobRecord | None: ...
    def recover(self, alive: Callable[[Owner], bool]) -> list[JobRecord]: ...

    # --- files already looked at
    def seen_fingerprint(self, path: Path, size: int, mtime_ns: int) -> str | None: ...
    def remember(self, path: Path, size: int, mtime_ns: int, fingerprint: str) -> None: ...

    # --- workers and leases (no-ops on a ledger that is not shared)
    def claim_next(self, limit: int, accept: Acceptor) -> list[JobRecord]: ...
    def heartbeat(self) -> list[int]: ...
    def holds(self, job_id: int) -> bool: ...
    def take_over_expired(self) -> list[JobRecord]: ...
    def workers(self) -> list[WorkerRecord]: ...
