"""The shared job ledger: one PostgreSQL database that several workers use at once.

Set `ledger: postgresql://user@host/db` in rules.yaml; the password comes from the env file
(base.LEDGER_PASSWORD_ENV), or from libpq's own PGPASSWORD / ~/.pgpass — never the URL.

How workers share it (the contract, see base.py for the lease words):
  * queueing is `INSERT … ON CONFLICT DO NOTHING` on UNIQUE (fingerprint, rule): two
    machines watching one share make one job, whoever saw the file first;
  * `claim_next` takes due queued rows with `FOR UPDATE SKIP LOCKED`, so workers never wait
    on each other's candidates, and claims only the ones this worker can run (`accept`);
  * a claim bumps `lease_gen` and sets `lease_until` from the *database's* clock, so the
    machines' clocks need not agree; `heartbeat` renews every lease this worker holds;
  * every later write to a job is fenced: `… WHERE worker = me AND lease_gen = the one I
    claimed`. Lost leases change nothing; `finish` raises LeaseLost instead;
  * a worker that cannot reach the database stops trusting its leases once they would have
    expired (`holds` is False, `heartbeat` reports them lost), whatever the database says.

One connection behind one lock per process, like the SQLite backend; a broken connection
is reopened at the next call.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from daemon.ledger.base import (
    DEFAULT_LEASE_SECONDS,
    LEDGER_PASSWORD_ENV,
    Acceptor,
    JobRecord,
    JobState,
    LeaseLost,
    WorkerRecord,
    utcnow,
)
from daemon.procs import Owner, this_process

# `holds` wants at least this much lease left: longer than an atomic rename plus the
# `finish` write that follows it, so a lease cannot run out between the check and the end.
# At most a fifth of the lease, so a short lease is not lost to the margin alone.
DELIVERY_MARGIN_SECONDS = 2.0
_MARGIN_SHARE = 0.2
# Serializes migrations when several workers start at once (any constant key will do).
_MIGRATION_LOCK = 0x766964656F66

_V1 = """
CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT NOT NULL,
    sources     TEXT NOT NULL,            -- JSON list, as in SQLite
    fingerprint TEXT NOT NULL,
    rule        TEXT NOT NULL,
    rule_json   TEXT NOT NULL,
    engine      TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    output      TEXT,
    error       TEXT,
    notes       TEXT NOT NULL DEFAULT '[]',
    checkpoint  TEXT NOT NULL DEFAULT '{}',
    progress    DOUBLE PRECISION NOT NULL DEFAULT 0,
    not_before  TIMESTAMPTZ,
    owner_pid   INTEGER,
    owner_start BIGINT,
    worker      TEXT,                     -- who has (or last had) the lease
    lease_gen   BIGINT NOT NULL DEFAULT 0, -- bumped by every claim: the fencing token
    lease_until TIMESTAMPTZ,              -- database time; renewed by heartbeats
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    UNIQUE (fingerprint, rule)
);
CREATE INDEX jobs_state ON jobs (state);
-- claim_next walks queued rows in id order: a partial index keeps that cheap at 10,000.
CREATE INDEX jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'running';
CREATE TABLE seen (
    path        TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    mtime_ns    BIGINT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE TABLE workers (
    id           TEXT PRIMARY KEY,        -- host:pid
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    engines      TEXT NOT NULL,           -- JSON list
    concurrency  INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
)
"""

# Delivery records the output it is about to place, so a crash (or a lost lease check)
# between the rename and `finish` is finished from the file, not rendered twice (issue 11).
_V2 = """
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS intended_output TEXT;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS intended_identity TEXT
"""

# Append only: a step's position is its schema version (table videofree_schema).
MIGRATIONS: tuple[str, ...] = (_V1, _V2)


def redact(url: str) -> str:
    """The URL without a password, fit for a log line."""
    params = conninfo_to_dict(url)
    params.pop("password", None)
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


class PostgresLedger:
    """The ledger on PostgreSQL, for several workers. Implements LedgerBackend."""

    # Connection lost or refused, server shutting down, serialization failures and
    # deadlocks (SQLSTATE class 40): all OperationalError in psycopg.
    busy: tuple[type[Exception], ...] = (psycopg.OperationalError,)

    def __init__(
        self,
        url: str,
        *,
        engines: tuple[str, ...] = (),
        concurrency: int = 0,
        clock: Callable[[], datetime] = utcnow,
        owner: Owner | None = None,
        worker_id: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        register: bool = True,
    ) -> None:
        """`register`: list this process in `workers` (a daemon, `process`); the CLI's
        status and retry look without taking part."""
        self._url = url
        self._clock = clock
        self._owner = owner or this_process()
        self.host = socket.gethostname()
        self.worker_id = worker_id or f"{self.host}:{self._owner.pid}"
        self.lease = timedelta(seconds=lease_seconds)
        self._monotonic = monotonic
        self._lock = threading.RLock()
        # job id → the generation of our claim, until our run of it ends: every write to
        # the job is fenced by it. `_lost`: those whose lease we know is gone.
        self._held: dict[int, int] = {}
        self._lost: set[int] = set()
        self._renewed = monotonic()  # when the database last confirmed our leases
        self._engines = engines
        self._concurrency = concurrency
        self._db = self._connect()
        self._migrate()
        if register:
            self._register()

    # --- connection -----------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        password = os.environ.get(LEDGER_PASSWORD_ENV)
        # Given only when set, so libpq's own PGPASSWORD and ~/.pgpass still work.
        url = make_conninfo(self._url, password=password) if password else self._url
        return psycopg.connect(
            url,
            autocommit=True,
            row_factory=dict_row,
            connect_timeout=10,
            # A worker frozen or cut off inside a transaction would hold its row locks and
            # stall every other worker; the server ends such a session after a lease.
            options=(
                "-c TimeZone=UTC -c idle_in_transaction_session_timeout="
                f"{int(self.lease.total_seconds() * 1000)}"
            ),
        )

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with self._lock:
            if self._db.closed or self._db.broken:
                self._db = self._connect()
            with self._db.transaction():
                yield self._db

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS videofree_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT max(version) AS v FROM videofree_schema").fetchone()
            version = int(row["v"]) if row and row["v"] is not None else 0
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                bare = "\n".join(line.split("--")[0] for line in step.splitlines())
                for statement in bare.split(";"):
                    if statement.strip():
                        db.execute(statement.encode())
                db.execute("INSERT INTO videofree_schema (version) VALUES (%s)", (number,))

    def _register(self) -> None:
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "INSERT INTO workers (id, host, pid, engines, concurrency, started_at,"
                " heartbeat_at) VALUES (%s,%s,%s,%s,%s,%s,clock_timestamp())"
                " ON CONFLICT (id) DO UPDATE SET engines=EXCLUDED.engines,"
                " concurrency=EXCLUDED.concurrency, started_at=EXCLUDED.started_at,"
                " heartbeat_at=EXCLUDED.heartbeat_at",
                (
                    self.worker_id,
                    self.host,
                    self._owner.pid,
                    json.dumps(list(self._engines)),
                    self._concurrency,
                    now,
                ),
            )

    @property
    def location(self) -> str:
        return redact(self._url)

    @property
    def shared(self) -> bool:
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- jobs -----------------------------------------------------------------------------

    def add_job(
        self, sources: Sequence[Path], fingerprint: str, rule: str, rule_json: str, engine: str
    ) -> JobRecord | None:
        """Queue a job. Return None if this content was already queued for this rule."""
        now = self._clock()
        with self._tx() as db:
            # Look first: a conflicting INSERT would still use up a job id.
            if db.execute(
                "SELECT 1 FROM jobs WHERE fingerprint=%s AND rule=%s", (fingerprint, rule)
            ).fetchone():
                return None
            row = db.execute(
                "INSERT INTO jobs (source, sources, fingerprint, rule, rule_json, engine, state,"
                " created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (fingerprint, rule) DO NOTHING RETURNING *",
                (
                    _text(sources[0]),
                    json.dumps([str(s) for s in sources]),  # JSON escapes any byte
                    fingerprint,
                    rule,
                    rule_json,
                    engine,
                    JobState.QUEUED.value,
                    now,
                    now,
                ),
            ).fetchone()
        return _record(row) if row else None

    def find(self, fingerprint: str, rule: str) -> JobRecord | None:
        return self._one("SELECT * FROM jobs WHERE fingerprint=%s AND rule=%s", (fingerprint, rule))

    def get(self, job_id: int) -> JobRecord | None:
        return self._one("SELECT * FROM jobs WHERE id=%s", (job_id,))

    def jobs(
        self, *, states: Sequence[JobState] = (), limit: int | None = None, offset: int = 0
    ) -> list[JobRecord]:
        """Jobs newest first; `limit` and `offset` page through them (the status page)."""
        sql = "SELECT * FROM jobs"
        args: list[Any] = []
        if states:
            sql += " WHERE state = ANY(%s)"
            args.append([s.value for s in states])
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT %s"
            args.append(limit)
        if offset > 0:
            sql += " OFFSET %s"
            args.append(offset)
        with self._tx() as db:
            rows = db.execute(sql.encode(), args).fetchall()
        return [_record(r) for r in rows]

    def count(self, state: JobState, finished_since: datetime | None = None) -> int:
        sql, args = "SELECT count(*) AS n FROM jobs WHERE state=%s", [state.value]
        if finished_since is not None:
            sql += " AND finished_at >= %s"
            args.append(finished_since)  # type: ignore[arg-type]  # a timestamptz compares
        with self._tx() as db:
            row = db.execute(sql.encode(), args).fetchone()
        return int(row["n"]) if row else 0

    def queued_ids(self) -> list[int]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT id FROM jobs WHERE state=%s ORDER BY id", (JobState.QUEUED.value,)
            ).fetchall()
        return [int(r["id"]) for r in rows]

    _CLAIM_SET = (
        "state='running', attempts=attempts+1, engine=%s, owner_pid=%s, owner_start=%s,"
        " worker=%s, lease_gen=lease_gen+1, lease_until=clock_timestamp() + %s,"
        " started_at=%s, updated_at=%s, error=NULL, not_before=NULL"
    )

    def _claim_args(self, engine: str) -> tuple[Any, ...]:
        now = self._clock()
        owner = self._owner
        return (engine, owner.pid, owner.start, self.worker_id, self.lease, now, now)

    def claim(self, job_id: int, engine: str) -> JobRecord | None:
        """Lease one queued job to this worker. Return None if another worker took it."""
        with self._tx() as db:
            sql = f"UPDATE jobs SET {self._CLAIM_SET} WHERE id=%s AND state='queued' RETURNING *"  # noqa: S608 - our constant
            row = db.execute(
                sql.encode(),
                (*self._claim_args(engine), job_id),
            ).fetchone()
            if row is None:
                return None
            self._held[job_id] = int(row["lease_gen"])
            self._lost.discard(job_id)
        return _record(row)

    def claim_next(self, limit: int, accept: Acceptor) -> list[JobRecord]:
        """Lease up to `limit` due queued jobs that `accept` gives an engine, oldest first.

        Candidates are locked with SKIP LOCKED, so two workers claiming at once each get
        different jobs and neither waits; the ones `accept` declines are left for others.
        """
        if limit <= 0:
            return []
        claimed: list[JobRecord] = []
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE state='queued'"
                " AND (not_before IS NULL OR not_before <= %s)"
                " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                # Declined candidates still take a place: look a little further than asked.
                (self._clock(), max(limit * 4, 16)),
            ).fetchall()
            for row in rows:
                if len(claimed) >= limit:
                    break
                engine = accept(_record(row))
                if engine is None:
                    continue
                got = db.execute(
                    f"UPDATE jobs SET {self._CLAIM_SET} WHERE id=%s RETURNING *".encode(),  # noqa: S608 - our constant
                    (*self._claim_args(engine), row["id"]),
                ).fetchone()
                if got is not None:
                    claimed.append(_record(got))
            for record in claimed:
                self._held[record.id] = record.lease_gen
                self._lost.discard(record.id)
        return claimed

    def save_checkpoint(self, job_id: int, checkpoint: dict[str, Any]) -> None:
        self._update(job_id, checkpoint=json.dumps(checkpoint, sort_keys=True))

    def set_progress(self, job_id: int, progress: float) -> None:
        self._update(job_id, progress=progress)

    def set_engine(self, job_id: int, engine: str) -> None:
        self._update(job_id, engine=engine)

    def finish(self, job_id: int, output: Path, engine: str, notes: Sequence[str]) -> None:
        """Mark the job done. Raise LeaseLost if another worker has it now."""
        done = self._update(
            job_id,
            state=JobState.DONE.value,
            output=_text(output),
            engine=engine,
            notes=json.dumps(list(notes)),
            progress=100.0,
            error=None,
            finished_at=self._clock(),
            owner_pid=None,
            owner_start=None,
            lease_until=None,
        )
        if not done:
            raise LeaseLost(job_id)
        self._forget(job_id)

    def intend(self, job_id: int, output: Path, identity: str, notes: Sequence[str]) -> None:
        """Record where delivery is about to place the output and what it is (see
        sqlite.Ledger.intend). Raise LeaseLost if another worker has the job now."""
        if not self._update(
            job_id,
            intended_output=_text(output),
            intended_identity=identity,
            notes=json.dumps(list(notes)),
        ):
            raise LeaseLost(job_id)

    def fail(self, job_id: int, error: str, notes: Sequence[str] = ()) -> None:
        if self._update(
            job_id,
            state=JobState.FAILED.value,
            error=error,
            notes=json.dumps(list(notes)),
            finished_at=self._clock(),
            owner_pid=None,
            owner_start=None,
            lease_until=None,
        ):
            self._forget(job_id)

    def requeue(
        self,
        job_id: int,
        *,
        not_before: datetime | None = None,
        error: str | None = None,
        count_attempt: bool = True,
    ) -> None:
        """Put a job back in the queue (retry later, or resume after a shutdown)."""
        fence, fence_args = self._fence(job_id)
        sql = (
            "UPDATE jobs SET state='queued', not_before=%s, error=%s, owner_pid=NULL,"
            " owner_start=NULL, lease_until=NULL, attempts=attempts - %s, updated_at=%s"
            " WHERE id=%s"
        )
        sql += fence
        with self._tx() as db:
            cur = db.execute(
                sql.encode(),
                (not_before, error, 0 if count_attempt else 1, self._clock(), job_id, *fence_args),
            )
        if cur.rowcount > 0:  # fenced out: keep the fence for any later write of this run
            self._forget(job_id)

    def postpone(self, job_id: int, *, not_before: datetime, error: str) -> None:
        self._update(job_id, not_before=not_before, error=error)

    def retry(self, job_id: int) -> JobRecord | None:
        """Queue a failed (or done) job again from scratch, from any machine."""
        with self._tx() as db:
            row = db.execute(
                "UPDATE jobs SET state='queued', attempts=0, error=NULL, not_before=NULL,"
                " progress=0, checkpoint='{}', finished_at=NULL, worker=NULL, updated_at=%s,"
                # A done job made again is a new output: forget the old one's identity.
                " intended_output=CASE WHEN state='done' THEN NULL ELSE intended_output END,"
                " intended_identity=CASE WHEN state='done' THEN NULL ELSE intended_identity END"
                " WHERE id=%s AND state IN ('failed', 'done') RETURNING *",
                (self._clock(), job_id),
            ).fetchone()
        return _record(row) if row else None

    def recover(self, alive: Callable[[Owner], bool]) -> list[JobRecord]:
        """Queue again the jobs a dead videofree *on this host* left running, without
        waiting for their leases to expire. Other hosts' jobs are left to their leases."""
        prefix = f"{self.host}:"
        mine = [
            j
            for j in self.jobs(states=[JobState.RUNNING])
            if (j.worker or "").startswith(prefix) and j.worker != self.worker_id
        ]
        recovered = [
            j for j in mine if j.owner_pid is None or not alive(Owner(j.owner_pid, j.owner_start))
        ]
        with self._tx() as db:
            for job in recovered:
                db.execute(
                    "UPDATE jobs SET state='queued', owner_pid=NULL, owner_start=NULL,"
                    " lease_until=NULL, lease_gen=lease_gen+1, attempts=attempts-1,"
                    " updated_at=%s WHERE id=%s AND state='running' AND lease_gen=%s",
                    (self._clock(), job.id, job.lease_gen),
                )
        return recovered

    # --- files already looked at ----------------------------------------------------------

    def seen_fingerprint(self, path: Path, size: int, mtime_ns: int) -> str | None:
        with self._tx() as db:
            row = db.execute(
                "SELECT fingerprint FROM seen WHERE path=%s AND size=%s AND mtime_ns=%s",
                (_text(path), size, mtime_ns),
            ).fetchone()
        return str(row["fingerprint"]) if row else None

    def remember(self, path: Path, size: int, mtime_ns: int, fingerprint: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO seen (path, size, mtime_ns, fingerprint) VALUES (%s,%s,%s,%s)"
                " ON CONFLICT (path) DO UPDATE SET size=EXCLUDED.size,"
                " mtime_ns=EXCLUDED.mtime_ns, fingerprint=EXCLUDED.fingerprint",
                (_text(path), size, mtime_ns, fingerprint),
            )

    # --- workers and leases ---------------------------------------------------------------

    def heartbeat(self) -> list[int]:
        """Renew this worker's leases. Return the ids of jobs whose lease is lost: taken
        over by another worker, or unconfirmed for longer than a lease (cut off)."""
        # Only the leases our runs still hold are renewed: a job we gave up on (lost, or a
        # run that ended without writing) must expire so that another worker takes it.
        # The snapshot, the renewal and the verdict happen under the one lock, so a claim
        # committed meanwhile is never mistaken for a lost lease.
        try:
            with self._tx() as db:
                live = {j: g for j, g in self._held.items() if j not in self._lost}
                db.execute(
                    "UPDATE workers SET heartbeat_at=clock_timestamp() WHERE id=%s",
                    (self.worker_id,),
                )
                rows = db.execute(
                    "UPDATE jobs SET lease_until=clock_timestamp() + %s WHERE worker=%s"
                    " AND state='running' AND id = ANY(%s) RETURNING id, lease_gen",
                    (self.lease, self.worker_id, list(live)),
                ).fetchall()
                renewed = {int(r["id"]): int(r["lease_gen"]) for r in rows}
                lost = [job for job, gen in live.items() if renewed.get(job) != gen]
                self._lost.update(lost)
                self._renewed = self._monotonic()
        except psycopg.Error:
            if self._monotonic() - self._renewed < self.lease.total_seconds():
                raise
            with self._lock:
                lost = [j for j in self._held if j not in self._lost]
                self._lost.update(lost)
            return lost
        return lost

    def holds(self, job_id: int) -> bool:
        """True if this worker still has the job's lease, with time to deliver."""
        gen = self._held.get(job_id)
        if gen is None or job_id in self._lost:
            return False
        lease = self.lease.total_seconds()
        margin = min(DELIVERY_MARGIN_SECONDS, lease * _MARGIN_SHARE)
        if self._monotonic() - self._renewed > lease - margin:
            # Unconfirmed for nearly a lease: we may be cut off; do not trust it.
            return False
        try:
            with self._tx() as db:
                row = db.execute(
                    "SELECT 1 FROM jobs WHERE id=%s AND state='running' AND worker=%s"
                    " AND lease_gen=%s AND lease_until > clock_timestamp() + %s",
                    (job_id, self.worker_id, gen, timedelta(seconds=margin)),
                ).fetchone()
        except psycopg.Error:
            return False
        return row is not None

    def take_over_expired(self) -> list[JobRecord]:
        """Queue again every running job whose lease has expired (its worker died or was
        cut off). Return them, each with the worker that lost it."""
        with self._tx() as db:
            rows = db.execute(
                "WITH expired AS (SELECT id, worker FROM jobs WHERE state='running'"
                " AND lease_until < clock_timestamp() FOR UPDATE SKIP LOCKED)"
                # The generation moves on at once, so the old worker's fenced writes
                # fail even before another worker claims the job.
                " UPDATE jobs j SET state='queued', owner_pid=NULL, owner_start=NULL,"
                " lease_until=NULL, lease_gen=j.lease_gen+1, attempts=j.attempts-1,"
                " updated_at=%s,"
                " error='worker ' || e.worker || ' stopped answering; taken over'"
                " FROM expired e WHERE j.id=e.id RETURNING j.*, e.worker AS lost_by",
                (self._clock(),),
            ).fetchall()
        return [replace(_record(r), worker=r["lost_by"]) for r in rows]

    def workers(self) -> list[WorkerRecord]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT w.*, array_remove(array_agg(j.id ORDER BY j.id), NULL) AS running"
                " FROM workers w LEFT JOIN jobs j ON j.worker=w.id AND j.state='running'"
                " GROUP BY w.id ORDER BY w.heartbeat_at DESC"
            ).fetchall()
        return [
            WorkerRecord(
                id=r["id"],
                host=r["host"],
                pid=int(r["pid"]),
                engines=tuple(json.loads(r["engines"])),
                concurrency=int(r["concurrency"]),
                started_at=r["started_at"],
                heartbeat_at=r["heartbeat_at"],
                running=tuple(int(i) for i in r["running"]),
            )
            for r in rows
        ]

    # --- helpers --------------------------------------------------------------------------

    def _fence(self, job_id: int) -> tuple[str, tuple[Any, ...]]:
        """The WHERE clause and arguments that fence a write by our claim, if any (one
        lookup: the heartbeat may change `_held` between two)."""
        gen = self._held.get(job_id)
        if gen is None:
            return "", ()
        return " AND worker=%s AND lease_gen=%s", (self.worker_id, gen)

    def _forget(self, job_id: int) -> None:
        """Our run of the job has ended with its last write, which went through."""
        with self._lock:
            self._held.pop(job_id, None)
            self._lost.discard(job_id)

    def _one(self, sql: str, args: Sequence[Any]) -> JobRecord | None:
        with self._tx() as db:
            row = db.execute(sql.encode(), args).fetchone()
        return _record(row) if row else None

    def _update(self, job_id: int, **fields: Any) -> bool:
        """Set `fields` on the job; fenced by our lease if we hold one. Return whether a
        row changed (False: unknown job, or a lease another worker now has)."""
        fields["updated_at"] = self._clock()
        names = ", ".join(f"{k}=%s" for k in fields)
        fence, fence_args = self._fence(job_id)
        sql = f"UPDATE jobs SET {names} WHERE id=%s" + fence  # noqa: S608 - names are ours
        with self._tx() as db:
            cur = db.execute(sql.encode(), (*fields.values(), job_id, *fence_args))
        return cur.rowcount > 0


def _record(row: dict[str, Any]) -> JobRecord:
    return JobRecord(
        id=int(row["id"]),
        source=_path(row["source"]),
        sources=tuple(Path(s) for s in json.loads(row["sources"])),
        fingerprint=row["fingerprint"],
        rule=row["rule"],
        rule_json=row["rule_json"],
        engine=row["engine"],
        state=JobState(row["state"]),
        attempts=int(row["attempts"]),
        output=_path(row["output"]) if row["output"] else None,
        error=row["error"],
        notes=tuple(json.loads(row["notes"] or "[]")),
        checkpoint=json.loads(row["checkpoint"] or "{}"),
        progress=float(row["progress"]),
        not_before=row["not_before"],
        owner_pid=row["owner_pid"],
        owner_start=row["owner_start"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        worker=row["worker"],
        lease_gen=int(row["lease_gen"]),
        intended_output=_path(row["intended_output"]) if row["intended_output"] else None,
        intended_identity=row["intended_identity"],
    )


# A name that is not valid UTF-8 (a camera or an old Samba share wrote it in Latin-1)
# cannot go into a TEXT column as it is: it goes in as its bytes in base64 behind this
# prefix, which no absolute path starts with. (SQLite stores such names as BLOBs.)
_RAW_PATH = "raw64:"


def _text(path: Path) -> str:
    """A path as a TEXT value: itself, or its raw bytes when it is not valid UTF-8."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _RAW_PATH + base64.b64encode(os.fsencode(path)).decode("ascii")
    return text


def _path(value: str) -> Path:
    if value.startswith(_RAW_PATH):
        return Path(os.fsdecode(base64.b64decode(value.removeprefix(_RAW_PATH))))
    return Path(value)
