"""The ledger on both backends (a real SQLite file; a real throwaway PostgreSQL): dedupe,
claims, checkpoints, recovery, retry. Tests of SQLite's own file and pid ownership say so."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.ledger import JobState, Ledger, LedgerBackend
from daemon.ledger.sqlite import _SCHEMA
from daemon.procs import Owner

FP = "10-abc"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "jobs.db"


Opener = Callable[..., LedgerBackend]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, db_path: Path) -> Opener:
    """Opens (another handle on) one ledger store, on each backend in turn."""
    if request.param == "sqlite":
        return lambda **kw: Ledger(db_path, **kw)
    url = request.getfixturevalue("pg_url")
    from daemon.ledger.postgres import PostgresLedger

    return lambda **kw: PostgresLedger(url, **kw)


@pytest.fixture
def ledger(backend: Opener) -> Iterator[LedgerBackend]:
    led = backend()
    yield led
    led.close()


@pytest.fixture
def sqlite_ledger(db_path: Path) -> Iterator[Ledger]:
    led = Ledger(db_path)
    yield led
    led.close()


def add(ledger: LedgerBackend, source: str = "/in/a.mov", fp: str = FP, rule: str = "phone") -> int:
    record = ledger.add_job([Path(source)], fp, rule, f'{{"name": "{rule}"}}', "local")
    assert record is not None
    return record.id


def test_wal_mode_and_state_dir_created(sqlite_ledger: Ledger, db_path: Path) -> None:
    assert db_path.is_file()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_add_job_records_a_queued_row(ledger: LedgerBackend) -> None:
    record = ledger.add_job([Path("/in/a.mov"), Path("/in/b.mov")], FP, "phone", "{}", "nemo")
    assert record is not None
    assert record.state is JobState.QUEUED
    assert (record.source, record.sources) == (
        Path("/in/a.mov"),
        (Path("/in/a.mov"), Path("/in/b.mov")),
    )
    assert (record.fingerprint, record.rule, record.engine) == (FP, "phone", "nemo")
    assert (record.attempts, record.output, record.error, record.checkpoint) == (0, None, None, {})
    assert record.created_at.tzinfo is not None
    assert ledger.queued_ids() == [record.id]


@pytest.mark.parametrize(
    ("second_source", "second_fp", "second_rule", "added"),
    [
        ("/in/a.mov", FP, "phone", False),
        ("/in/copy of a.mov", FP, "phone", False),  # same content under a new name
        ("/in/a.mov", FP, "other-rule", True),
        ("/in/a.mov", "99-def", "phone", True),
    ],
)
def test_add_job_dedupes_content_per_rule(
    ledger: Ledger, second_source: str, second_fp: str, second_rule: str, added: bool
) -> None:
    first = add(ledger)
    again = ledger.add_job([Path(second_source)], second_fp, second_rule, "{}", "local")
    assert (again is not None) is added
    assert len(ledger.jobs()) == (2 if added else 1)
    found = ledger.find(FP, "phone")
    assert found is not None
    assert found.id == first
    assert found.source == Path("/in/a.mov")


def test_claim_is_exclusive(ledger: LedgerBackend, backend: Opener) -> None:
    job = add(ledger)
    other = backend()
    try:
        claimed = ledger.claim(job, "nemo")
        assert claimed is not None
        assert claimed.state is JobState.RUNNING
        assert (claimed.attempts, claimed.engine) == (1, "nemo")
        assert claimed.owner_pid is not None
        assert claimed.started_at is not None
        assert ledger.claim(job, "local") is None
        assert other.claim(job, "local") is None
        assert ledger.claim(job + 100, "local") is None
    finally:
        other.close()


def test_checkpoint_round_trip(ledger: LedgerBackend, backend: Opener) -> None:
    job = add(ledger)
    checkpoint = {"nemo": {"session": "s-1", "task": 42, "uploaded": ["a", "b"]}, "n": 1.5}
    ledger.save_checkpoint(job, checkpoint)
    record = ledger.get(job)
    assert record is not None
    assert record.checkpoint == checkpoint
    reopened = backend()
    try:
        again = reopened.get(job)
        assert again is not None
        assert again.checkpoint == checkpoint
    finally:
        reopened.close()


@pytest.mark.parametrize(("count_attempt", "attempts"), [(True, 1), (False, 0)])
def test_requeue(ledger: LedgerBackend, count_attempt: bool, attempts: int) -> None:
    job = add(ledger)
    assert ledger.claim(job, "local") is not None
    later = datetime(2030, 1, 1, tzinfo=UTC)
    ledger.requeue(job, not_before=later, error="network down", count_attempt=count_attempt)
    record = ledger.get(job)
    assert record is not None
    assert record.state is JobState.QUEUED
    assert record.attempts == attempts
    assert (record.not_before, record.error, record.owner_pid) == (later, "network down", None)
    claimed = ledger.claim(job, "local")
    assert claimed is not None
    assert (claimed.attempts, claimed.not_before, claimed.error) == (attempts + 1, None, None)


def test_finish_and_fail(ledger: LedgerBackend) -> None:
    a, b = add(ledger, fp="1-a"), add(ledger, fp="2-b")
    ledger.claim(a, "local")
    ledger.claim(b, "local")
    ledger.finish(a, Path("/out/a-edited.mp4"), "nemo", ["note one"])
    ledger.fail(b, "corrupt video", ["why"])
    done, failed = ledger.get(a), ledger.get(b)
    assert done is not None
    assert failed is not None
    assert (done.state, done.output, done.engine, done.notes) == (
        JobState.DONE,
        Path("/out/a-edited.mp4"),
        "nemo",
        ("note one",),
    )
    assert (done.progress, done.owner_pid, done.finished_at is not None) == (100.0, None, True)
    assert (failed.state, failed.error, failed.notes, failed.owner_pid) == (
        JobState.FAILED,
        "corrupt video",
        ("why",),
        None,
    )
    assert [j.id for j in ledger.jobs(states=[JobState.DONE])] == [a]
    assert [j.id for j in ledger.jobs(states=[JobState.FAILED, JobState.DONE])] == [b, a]
    assert [j.id for j in ledger.jobs(limit=1)] == [b]
    assert ledger.queued_ids() == []


def test_retry_of_failed_starts_from_scratch(ledger: LedgerBackend) -> None:
    job = add(ledger)
    ledger.claim(job, "local")
    ledger.save_checkpoint(job, {"local": {"x": 1}})
    ledger.set_progress(job, 55.0)
    ledger.fail(job, "broken")
    record = ledger.retry(job)
    assert record is not None
    assert (record.state, record.attempts, record.error, record.checkpoint) == (
        JobState.QUEUED,
        0,
        None,
        {},
    )
    assert (record.progress, record.finished_at) == (0.0, None)
    assert ledger.queued_ids() == [job]


def test_retry_refuses_active_and_unknown_jobs(ledger: LedgerBackend) -> None:
    queued, running = add(ledger, fp="1-a"), add(ledger, fp="2-b")
    ledger.claim(running, "local")
    assert ledger.retry(queued) is None
    assert ledger.retry(running) is None
    assert ledger.retry(12345) is None
    record = ledger.get(running)
    assert record is not None
    assert record.state is JobState.RUNNING


def test_recover_requeues_jobs_of_dead_owners_only(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    dead_job, live_job, queued = add(ledger, fp="1-a"), add(ledger, fp="2-b"), add(ledger, fp="3")
    ledger.claim(dead_job, "local")
    ledger.claim(live_job, "local")
    # A pid that surely ended: a child we started and reaped.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    ledger._db.execute("UPDATE jobs SET owner_pid=? WHERE id=?", (child.pid, dead_job))
    ledger.save_checkpoint(dead_job, {"local": {"step": 2}})

    def alive(owner: Owner) -> bool:
        try:
            Path(f"/proc/{owner.pid}").stat()
        except FileNotFoundError:
            return False
        return True

    recovered = ledger.recover(alive)
    assert [j.id for j in recovered] == [dead_job]
    dead, live, untouched = ledger.get(dead_job), ledger.get(live_job), ledger.get(queued)
    assert dead is not None
    assert live is not None
    assert untouched is not None
    # A crash does not count as an attempt, and the checkpoint survives.
    assert (dead.state, dead.attempts, dead.owner_pid) == (JobState.QUEUED, 0, None)
    assert dead.checkpoint == {"local": {"step": 2}}
    assert (live.state, live.attempts) == (JobState.RUNNING, 1)
    assert (untouched.state, untouched.attempts) == (JobState.QUEUED, 0)


def test_recover_requeues_running_jobs_without_an_owner(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    job = add(ledger)
    ledger.claim(job, "local")
    ledger._db.execute("UPDATE jobs SET owner_pid=NULL WHERE id=?", (job,))
    assert [j.id for j in ledger.recover(lambda _owner: True)] == [job]


def test_seen_fingerprint_and_remember(ledger: LedgerBackend) -> None:
    p = Path("/in/a.mov")
    assert ledger.seen_fingerprint(p, 10, 5) is None
    ledger.remember(p, 10, 5, "fp-1")
    assert ledger.seen_fingerprint(p, 10, 5) == "fp-1"
    assert ledger.seen_fingerprint(p, 11, 5) is None
    assert ledger.seen_fingerprint(p, 10, 6) is None
    assert ledger.seen_fingerprint(Path("/in/b.mov"), 10, 5) is None
    ledger.remember(p, 11, 6, "fp-2")
    assert ledger.seen_fingerprint(p, 11, 6) == "fp-2"
    assert ledger.seen_fingerprint(p, 10, 5) is None  # one row per path: the newest version


def test_two_ledgers_on_one_store_see_each_others_writes(
    ledger: LedgerBackend, backend: Opener
) -> None:
    other = backend()
    try:
        job = add(ledger)
        seen = other.get(job)
        assert seen is not None
        assert seen.state is JobState.QUEUED
        assert other.claim(job, "local") is not None
        mine = ledger.get(job)
        assert mine is not None
        assert mine.state is JobState.RUNNING
        other.fail(job, "nope")
        assert ledger.retry(job) is not None
        theirs = other.get(job)
        assert theirs is not None
        assert theirs.state is JobState.QUEUED
        other.remember(Path("/in/x"), 1, 2, "fp")
        assert ledger.seen_fingerprint(Path("/in/x"), 1, 2) == "fp"
    finally:
        other.close()


def test_injected_clock_stamps_rows(backend: Opener) -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    led = backend(clock=lambda: now)
    try:
        job = add(led)
        led.claim(job, "local")
        led.fail(job, "x")
        record = led.get(job)
        assert record is not None
        assert (record.created_at, record.started_at, record.finished_at) == (now, now, now)
        assert record.as_json()["created_at"] == "2024-05-01T12:00:00+00:00"
    finally:
        led.close()


def test_as_json_has_the_status_keys(ledger: LedgerBackend) -> None:
    job = add(ledger)
    record = ledger.get(job)
    assert record is not None
    shown = record.as_json()
    assert {"id", "source", "rule", "engine", "state", "output", "error"} <= shown.keys()
    assert (shown["id"], shown["source"], shown["state"], shown["output"]) == (
        job,
        "/in/a.mov",
        "queued",
        None,
    )


def test_not_before_survives_as_an_aware_datetime(ledger: LedgerBackend) -> None:
    job = add(ledger)
    ledger.claim(job, "local")
    when = datetime.now(UTC) + timedelta(seconds=30)
    ledger.requeue(job, not_before=when)
    record = ledger.get(job)
    assert record is not None
    assert record.not_before is not None
    assert abs((record.not_before - when).total_seconds()) < 0.001


def test_claim_records_the_owner_start_time_and_a_reused_pid_is_not_the_owner(
    backend: Opener,
) -> None:
    """A job claimed by pid P started at T; a process now holding P started at T' is not
    its owner, whatever its command line says."""
    ledger = backend(owner=Owner(pid=4242, start=1000))
    try:
        job = add(ledger)
        claimed = ledger.claim(job, "local")
        assert claimed is not None
        assert (claimed.owner_pid, claimed.owner_start) == (4242, 1000)
        if ledger.shared:
            return  # a shared ledger recovers other workers' jobs only (test_ledger_shared)
        seen: list[Owner] = []
        ledger.recover(lambda owner: seen.append(owner) or True)
        assert seen == [Owner(4242, 1000)]
    finally:
        ledger.close()


def test_an_old_ledger_gains_the_owner_start_column(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    old_schema = "\n".join(line for line in _SCHEMA.splitlines() if "owner_start" not in line)
    db = sqlite3.connect(path)
    db.executescript(old_schema)
    db.close()
    Ledger(path).close()
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(jobs)")}
    assert "owner_start" in columns


def test_claim_next_takes_due_jobs_the_worker_accepts_oldest_first(
    ledger: LedgerBackend,
) -> None:
    ids = [add(ledger, source=f"/in/{i}.mov", fp=f"{i}-fp") for i in range(4)]
    ledger.claim(ids[0], "local")
    ledger.requeue(ids[0], not_before=datetime.now(UTC) + timedelta(hours=1))  # not due yet
    claimed = ledger.claim_next(2, lambda r: None if r.id == ids[1] else "nemo")
    assert [(r.id, r.state, r.engine) for r in claimed] == [
        (ids[2], JobState.RUNNING, "nemo"),
        (ids[3], JobState.RUNNING, "nemo"),
    ]
    rest = ledger.claim_next(5, lambda r: "local")
    assert [r.id for r in rest] == [ids[1]]  # ids[0] waits for its not_before
    assert ledger.claim_next(5, lambda r: "local") == []
