"""The durable job ledger on one machine: one SQLite file (WAL) in the state dir.

Every job has a row from the moment it is queued until long after it is done, so that
nothing is processed twice (UNIQUE fingerprint+rule) and nothing is lost across crashes
(a job left 'running' by a dead process is queued again at the next start, with the
engine's last checkpoint).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from daemon.errors import LedgerError
from daemon.ledger.base import Acceptor, JobRecord, JobState, WorkerRecord, utcnow
from daemon.procs import Owner, this_process

LEDGER_FILE = "jobs.db"
# Another process (the CLI, a second daemon) may hold the write lock briefly.
_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    sources     TEXT NOT NULL,          -- JSON list; several when a rule combines clips
    fingerprint TEXT NOT NULL,
    rule        TEXT NOT NULL,
    rule_json   TEXT NOT NULL,          -- the rule as it was when queued: jobs survive edits
    engine      TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    output      TEXT,
    error       TEXT,
    notes       TEXT NOT NULL DEFAULT '[]',
    checkpoint  TEXT NOT NULL DEFAULT '{}',
    progress    REAL NOT NULL DEFAULT 0,
    not_before  TEXT,
    owner_pid   INTEGER,
    owner_start INTEGER,                -- the owner's start time: a reused pid is not it
    intended_output   TEXT,             -- where delivery is about to place the output
    intended_identity TEXT,             -- "dev:inode:size" of the file placed there
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    UNIQUE (fingerprint, rule)
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE TABLE IF NOT EXISTS seen (
    path        TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    fingerprint TEXT NOT NULL
);
"""


def _v1_schema(db: sqlite3.Connection) -> None:
    # One statement at a time (executescript would commit the migration's transaction);
    # the comments go first, as they contain semicolons.
    bare = "\n".join(line.split("--")[0] for line in _SCHEMA.splitlines())
    for statement in bare.split(";"):
        if statement.strip():
            db.execute(statement)


def _v2_owner_start(db: sqlite3.Connection) -> None:
    # Ledgers from before owner start times were recorded (issue 8).
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "owner_start" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN owner_start INTEGER")


def _v3_intended_output(db: sqlite3.Connection) -> None:
    # Ledgers from before delivery recorded its intended output (issue 11).
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    for column in ("intended_output", "intended_identity"):
        if column not in columns:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {column} TEXT")


# Append only: a step's position is its schema version (PRAGMA user_version).
_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_schema,
    _v2_owner_start,
    _v3_intended_output,
)


def _ts(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds") if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _path_value(path: Path) -> str | bytes:
    """A path as SQLite stores it: text, or its raw bytes (a BLOB) when the name is not
    valid UTF-8 (a camera or an old Samba share wrote it in Latin-1)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return text


def _path_of(value: str | bytes | None) -> Path | None:
    if not value:
        return None
    return Path(os.fsdecode(value) if isinstance(value, bytes) else value)


class Ledger:
    """Thread-safe access to the jobs database. One connection, one lock."""

    busy: tuple[type[Exception], ...] = (sqlite3.OperationalError,)  # "database is locked"

    def __init__(
        self, path: Path, clock: Callable[[], datetime] = utcnow, owner: Owner | None = None
    ) -> None:
        _private_dir(path.parent)
        self.path = path
        self._clock = clock
        self._owner = owner or this_process()
        self._lock = threading.RLock()
        _refuse_empty(path)
        _private_file(path)
        self._db = sqlite3.connect(
            path,
            check_same_thread=False,
            isolation_level=None,
            timeout=_BUSY_TIMEOUT_MS / 1000,
        )
        try:
            self._setup()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _open_error(path, exc) from None

    def _setup(self) -> None:
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable in WAL mode across application crashes (only an OS crash can
        # lose the last commits), at a fraction of FULL's fsyncs.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()
        if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")

    def _migrate(self) -> None:
        """Bring a ledger written by an older videofree up to this schema.

        The schema version lives in `PRAGMA user_version`; each step in `_MIGRATIONS` runs
        once, in order, in one transaction with the version bump. Ledgers from before
        versioning (version 0) get every step, and each step tolerates what they have.
        """
        with self._tx() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for number, step in enumerate(_MIGRATIONS[version:], start=version + 1):
                step(db)
                db.execute(f"PRAGMA user_version={number}")

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def shared(self) -> bool:
        return False

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> Ledger:
        return cls(state_dir / LEDGER_FILE)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- jobs -----------------------------------------------------------------------

    def add_job(
        self, sources: Sequence[Path], fingerprint: str, rule: str, rule_json: str, engine: str
    ) -> JobRecord | None:
        """Queue a job. Return None if this content was already queued for this rule."""
        now = _ts(self._clock())
        with self._tx() as db:
            # Look first: a conflicting INSERT OR IGNORE would still use up a job id.
            if db.execute(
                "SELECT 1 FROM jobs WHERE fingerprint=? AND rule=?", (fingerprint, rule)
            ).fetchone():
                return None
            cur = db.execute(
                "INSERT OR IGNORE INTO jobs (source, sources, fingerprint, rule, rule_json,"
                " engine, state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    _path_value(sources[0]),
                    # ensure_ascii (the default) writes an undecodable byte as \\udcXX,
                    # which reads back to the same path.
                    json.dumps([str(s) for s in sources]),
                    fingerprint,
                    rule,
                    rule_json,
                    engine,
                    JobState.QUEUED,
                    now,
                    now,
                ),
            )
            if cur.rowcount == 0:
                return None
            job_id = cur.lastrowid
        return self.get(int(job_id or 0))

    def find(self, fingerprint: str, rule: str) -> JobRecord | None:
        return self._one("SELECT * FROM jobs WHERE fingerprint=? AND rule=?", (fingerprint, rule))

    def get(self, job_id: int) -> JobRecord | None:
        return self._one("SELECT * FROM jobs WHERE id=?", (job_id,))

    def jobs(
        self, *, states: Sequence[JobState] = (), limit: int | None = None, offset: int = 0
    ) -> list[JobRecord]:
        """Jobs newest first; `limit` and `offset` page through them (the status page)."""
        sql = "SELECT * FROM jobs"
        args: list[Any] = []
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            args += [str(s) for s in states]
        sql += " ORDER BY id DESC"
        if limit or offset:
            sql += " LIMIT ? OFFSET ?"
            args += [limit or -1, max(0, offset)]
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_record(r) for r in rows]

    def count(self, state: JobState, finished_since: datetime | None = None) -> int:
        """How many jobs are in `state` (finished at or after `finished_since`, if given)."""
        sql, args = "SELECT COUNT(*) FROM jobs WHERE state=?", [str(state)]
        if finished_since is not None:
            sql += " AND finished_at >= ?"
            # Stored as UTC text: compare in UTC, whatever zone the caller's day is in.
            args.append(_ts(finished_since.astimezone(UTC)) or "")
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def queued_ids(self) -> list[int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM jobs WHERE state=? ORDER BY id", (JobState.QUEUED,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def claim(self, job_id: int, engine: str) -> JobRecord | None:
        """Mark a queued job running (by this process). Return None if another took it."""
        now = _ts(self._clock())
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET state=?, attempts=attempts+1, engine=?, owner_pid=?,"
                " owner_start=?, started_at=?, updated_at=?, error=NULL, not_before=NULL"
                " WHERE id=? AND state=?",
                (
                    JobState.RUNNING,
                    engine,
                    self._owner.pid,
                    self._owner.start,
                    now,
                    now,
                    job_id,
                    JobState.QUEUED,
                ),
            )
            if cur.rowcount == 0:
                return None
        return self.get(job_id)

    def save_checkpoint(self, job_id: int, checkpoint: dict[str, Any]) -> None:
        self._update(job_id, checkpoint=json.dumps(checkpoint, sort_keys=True))

    def set_progress(self, job_id: int, progress: float) -> None:
        self._update(job_id, progress=progress)

    def set_engine(self, job_id: int, engine: str) -> None:
        self._update(job_id, engine=engine)

    def finish(self, job_id: int, output: Path, engine: str, notes: Sequence[str]) -> None:
        self._update(
            job_id,
            state=JobState.DONE,
            output=_path_value(output),
            engine=engine,
            notes=json.dumps(list(notes)),
            progress=100.0,
            error=None,
            finished_at=_ts(self._clock()),
            owner_pid=None,
            owner_start=None,
        )

    def intend(self, job_id: int, output: Path, identity: str, notes: Sequence[str]) -> None:
        """Record, before delivery renames it there, where the output is about to go and
        what it is, so a crash between the rename and `finish` is recognised afterwards."""
        self._update(
            job_id,
            intended_output=_path_value(output),
            intended_identity=identity,
            notes=json.dumps(list(notes)),
        )

    def fail(self, job_id: int, error: str, notes: Sequence[str] = ()) -> None:
        self._update(
            job_id,
            state=JobState.FAILED,
            error=error,
            notes=json.dumps(list(notes)),
            finished_at=_ts(self._clock()),
            owner_pid=None,
            owner_start=None,
        )

    def requeue(
        self,
        job_id: int,
        *,
        not_before: datetime | None = None,
        error: str | None = None,
        count_attempt: bool = True,
    ) -> None:
        """Put a job back in the queue (retry later, or resume after a shutdown)."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET state=?, not_before=?, error=?,"
                " owner_pid=NULL, owner_start=NULL, attempts=attempts - ?, updated_at=? WHERE id=?",
                (
                    JobState.QUEUED,
                    _ts(not_before),
                    error,
                    0 if count_attempt else 1,
                    _ts(self._clock()),
                    job_id,
                ),
            )

    def postpone(self, job_id: int, *, not_before: datetime, error: str) -> None:
        """Leave a queued job queued until `not_before`, saying why; attempts unchanged."""
        self._update(job_id, not_before=_ts(not_before), error=error)

    def retry(self, job_id: int) -> JobRecord | None:
        """Queue a failed (or done) job again from scratch. Return None if unknown/active."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET state=?, attempts=0, error=NULL, not_before=NULL, progress=0,"
                " checkpoint='{}', finished_at=NULL, updated_at=?,"
                # A done job is made again on purpose; a failed one may have been delivered
                # just before a crash, and its recorded output then finishes it.
                " intended_output=CASE WHEN state=? THEN NULL ELSE intended_output END,"
                " intended_identity=CASE WHEN state=? THEN NULL ELSE intended_identity END"
                " WHERE id=? AND state IN (?,?)",
                (
                    JobState.QUEUED,
                    _ts(self._clock()),
                    JobState.DONE,
                    JobState.DONE,
                    job_id,
                    JobState.FAILED,
                    JobState.DONE,
                ),
            )
            if cur.rowcount == 0:
                return None
        return self.get(job_id)

    def recover(self, alive: Callable[[Owner], bool]) -> list[JobRecord]:
        """Queue again every job left 'running' by a process that is gone (crash, kill -9).

        Return the recovered jobs, so the caller can stop their orphaned child processes.
        """
        running = self.jobs(states=[JobState.RUNNING])
        recovered = [
            j
            for j in running
            if j.owner_pid is None or not alive(Owner(j.owner_pid, j.owner_start))
        ]
        for job in recovered:
            # A crash is not the job's fault: the attempt it was on does not count.
            self.requeue(job.id, count_attempt=False)
        return recovered

    # --- files already looked at ---------------------------------------------------------

    def seen_fingerprint(self, path: Path, size: int, mtime_ns: int) -> str | None:
        """The fingerprint remembered for this exact file version, so it is hashed once."""
        with self._lock:
            row = self._db.execute(
                "SELECT fingerprint FROM seen WHERE path=? AND size=? AND mtime_ns=?",
                (_path_value(path), size, mtime_ns),
            ).fetchone()
        return str(row[0]) if row else None

    def remember(self, path: Path, size: int, mtime_ns: int, fingerprint: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO seen (path, size, mtime_ns, fingerprint) VALUES (?,?,?,?)",
                (_path_value(path), size, mtime_ns, fingerprint),
            )

    # --- workers and leases: one machine has neither --------------------------------------

    def claim_next(self, limit: int, accept: Acceptor) -> list[JobRecord]:
        """Claim up to `limit` due queued jobs that `accept` gives an engine, oldest first."""
        now = self._clock()
        claimed: list[JobRecord] = []
        for job_id in self.queued_ids():
            if len(claimed) >= limit:
                break
            record = self.get(job_id)
            if record is None or (record.not_before and record.not_before > now):
                continue
            engine = accept(record)
            got = self.claim(job_id, engine) if engine else None
            if got is not None:
                claimed.append(got)
        return claimed

    def heartbeat(self) -> list[int]:
        return []

    def holds(self, job_id: int) -> bool:
        return True

    def take_over_expired(self) -> list[JobRecord]:
        return []

    def workers(self) -> list[WorkerRecord]:
        return []

    # --- helpers -------------------------------------------------------------------------

    def _one(self, sql: str, args: Sequence[Any]) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return _record(row) if row else None

    def _update(self, job_id: int, **fields: Any) -> None:
        fields["updated_at"] = _ts(self._clock())
        names = ", ".join(f"{k}=?" for k in fields)
        with self._tx() as db:
            db.execute(f"UPDATE jobs SET {names} WHERE id=?", (*fields.values(), job_id))  # noqa: S608 - names are ours


def _record(row: sqlite3.Row) -> JobRecord:
    created = datetime.fromisoformat(row["created_at"])
    updated = datetime.fromisoformat(row["updated_at"])
    return JobRecord(
        id=int(row["id"]),
        source=_path_of(row["source"]) or Path(),
        sources=tuple(Path(s) for s in json.loads(row["sources"])),
        fingerprint=row["fingerprint"],
        rule=row["rule"],
        rule_json=row["rule_json"],
        engine=row["engine"],
        state=JobState(row["state"]),
        attempts=int(row["attempts"]),
        output=_path_of(row["output"]),
        error=row["error"],
        notes=tuple(json.loads(row["notes"] or "[]")),
        checkpoint=json.loads(row["checkpoint"] or "{}"),
        progress=float(row["progress"]),
        not_before=_dt(row["not_before"]),
        owner_pid=row["owner_pid"],
        owner_start=row["owner_start"],
        intended_output=_path_of(row["intended_output"]),
        intended_identity=row["intended_identity"],
        created_at=created,
        updated_at=updated,
        started_at=_dt(row["started_at"]),
        finished_at=_dt(row["finished_at"]),
    )


def _private_dir(folder: Path) -> None:
    """Create the state dir 0700 (or tighten one we made earlier at 0755)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError:
        pass  # not ours to change (a shared state dir): the files themselves are 0600


def _private_file(path: Path) -> None:
    """The job history is the user's own: jobs.db 0600. SQLite gives its -wal and -shm
    files the database file's mode, so this covers them too (no process-wide umask
    change, which other threads would feel)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
    except OSError:
        return  # sqlite3.connect reports it
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        pass  # not ours to change
    finally:
        os.close(fd)


def _refuse_empty(path: Path) -> None:
    """A zero-byte jobs.db is a truncated ledger, not a new one: SQLite would quietly make
    it empty and every file in the inbox would be edited again. Move it aside and stop."""
    try:
        empty = path.stat().st_size == 0
    except OSError:
        return
    if empty:
        raise LedgerError(_moved_aside(path, "is empty (0 bytes)"))


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> LedgerError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return LedgerError(
            f"{path} is locked by another program ({text}); stop it, or give this "
            "videofree its own state_dir"
        )
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        return LedgerError(f"cannot open {path} ({text}); check its folder and permissions")
    return LedgerError(_moved_aside(path, f"is damaged ({text})"))


def _moved_aside(path: Path, what: str) -> str:
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    try:
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
    except OSError as exc:
        return f"{path} {what}, and could not be moved aside ({exc}); move it away by hand"
    return (
        f"{path} {what}; moved it to {aside.name}. The next start begins a new ledger, and "
        "files still in the watch folders are edited again: restore a backup to "
        f"{path.name} first if you have one"
    )
