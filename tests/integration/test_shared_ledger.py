"""The PostgreSQL ledger as several workers use it, on a real throwaway cluster: claims
with SKIP LOCKED, leases, takeover, fencing, one job per fingerprint, migrations."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.ledger import JobRecord, JobState, LeaseLost
from daemon.procs import Owner
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.integration

psycopg = pytest.importorskip("psycopg")
from daemon.ledger.postgres import MIGRATIONS, PostgresLedger  # noqa: E402

Opener = Callable[..., PostgresLedger]


@pytest.fixture
def open_worker(pg_url: str) -> Iterator[Opener]:
    opened: list[PostgresLedger] = []

    def open_(name: str, **kw: object) -> PostgresLedger:
        led = PostgresLedger(pg_url, worker_id=name, engines=("local",), concurrency=2, **kw)  # type: ignore[arg-type]
        opened.append(led)
        return led

    yield open_
    for led in opened:
        led.close()


def add(led: PostgresLedger, n: int, source: str = "/share/in/clip{}.mp4") -> list[int]:
    ids = []
    for i in range(n):
        rec = led.add_job([Path(source.format(i))], f"fp-{i}", "clips", "{}", "local")
        assert rec is not None
        ids.append(rec.id)
    return ids


def take_all(_record: JobRecord) -> str:
    return "local"


def expire(url: str, job_id: int) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "UPDATE jobs SET lease_until = clock_timestamp() - interval '1 second' WHERE id=%s",
            (job_id,),
        )


def test_two_watchers_of_one_share_make_one_job(open_worker: Opener) -> None:
    a, b = open_worker("a"), open_worker("b")
    first = a.add_job([Path("/mnt/nas/Inbox/x.mov")], "fp", "clips", "{}", "local")
    second = b.add_job([Path("/Volumes/Inbox/x.mov")], "fp", "clips", "{}", "local")
    assert first is not None
    assert second is None
    found = b.find("fp", "clips")
    assert found is not None
    assert found.id == first.id


def test_claim_next_respects_limit_and_accept(open_worker: Opener) -> None:
    a = open_worker("a")
    ids = add(a, 5)
    seen: list[int] = []

    def only_odd_ids(record: JobRecord) -> str | None:
        seen.append(record.id)
        return "local" if record.id % 2 else None

    claimed = a.claim_next(2, only_odd_ids)
    assert [r.id for r in claimed] == [i for i in ids if i % 2][:2]
    assert all(r.state is JobState.RUNNING and r.worker == "a" for r in claimed)
    assert all(r.lease_gen == 1 and r.attempts == 1 for r in claimed)
    left = a.get(ids[1])
    assert left is not None
    assert left.state is JobState.QUEUED  # declined: left for a worker that can see it


def test_concurrent_claims_never_overlap(open_worker: Opener) -> None:
    ids = add(open_worker("seed"), 60)
    workers = [open_worker(f"w{i}") for i in range(3)]
    got: dict[str, list[int]] = {w.worker_id: [] for w in workers}

    def drain(w: PostgresLedger) -> None:
        while batch := w.claim_next(2, take_all):
            got[w.worker_id].extend(r.id for r in batch)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for ids_ in got.values() for i in ids_]
    assert sorted(everything) == ids  # each job claimed exactly once


def test_expired_lease_is_taken_over_and_the_old_worker_is_fenced(
    open_worker: Opener, pg_url: str
) -> None:
    clock_a = FakeClock()
    a, b = open_worker("a", monotonic=clock_a), open_worker("b")
    (job,) = add(a, 1)
    (mine,) = a.claim_next(1, take_all)
    assert a.holds(job)
    assert b.take_over_expired() == []  # alive: nothing to take
    expire(pg_url, job)
    taken = b.take_over_expired()
    assert [(r.id, r.worker, r.state) for r in taken] == [(job, "a", JobState.QUEUED)]
    (theirs,) = b.claim_next(1, take_all)
    assert theirs.lease_gen == mine.lease_gen + 2  # moved on by the takeover and the claim
    # The old worker's writes change nothing; it learns of the loss and may not deliver.
    a.set_progress(job, 99.0)
    a.save_checkpoint(job, {"local": {"stale": True}})
    assert not a.holds(job)
    with pytest.raises(LeaseLost):
        a.finish(job, Path("/out/stale.mp4"), "local", [])
    now = b.get(job)
    assert now is not None
    assert (now.state, now.worker, now.progress, now.checkpoint) == (
        JobState.RUNNING,
        "b",
        0.0,
        {},
    )
    assert a.heartbeat() == [job]  # reported once; the fence stays for the run's last writes
    assert a.heartbeat() == []
    b.finish(job, Path("/out/clip.mp4"), "local", [])
    done = b.get(job)
    assert done is not None
    assert (done.state, done.output) == (JobState.DONE, Path("/out/clip.mp4"))


def test_a_takeover_fences_the_old_worker_before_anyone_claims_again(
    open_worker: Opener, pg_url: str
) -> None:
    a, b = open_worker("a"), open_worker("b")
    (job,) = add(a, 1)
    a.claim_next(1, take_all)
    expire(pg_url, job)
    b.take_over_expired()
    a.set_progress(job, 80.0)
    assert not a.holds(job)
    with pytest.raises(LeaseLost):
        a.finish(job, Path("/out/stale.mp4"), "local", [])
    left = b.get(job)
    assert left is not None
    assert (left.state, left.progress, left.output) == (JobState.QUEUED, 0.0, None)


def test_heartbeat_reports_a_lease_lost_to_another_worker(open_worker: Opener, pg_url: str) -> None:
    a, b = open_worker("a"), open_worker("b")
    (job,) = add(a, 1)
    a.claim_next(1, take_all)
    assert a.heartbeat() == []
    expire(pg_url, job)
    b.take_over_expired()
    b.claim_next(1, take_all)
    assert a.heartbeat() == [job]
    assert not a.holds(job)


def test_a_cut_off_worker_stops_trusting_its_leases(open_worker: Opener, pg_url: str) -> None:
    clock = FakeClock()
    a = open_worker("a", monotonic=clock, lease_seconds=10)
    (job,) = add(a, 1)
    a.claim_next(1, take_all)
    assert a.holds(job)
    clock.now += 9  # no heartbeat confirmed for nearly a lease: the database may be gone
    assert not a.holds(job)
    a.heartbeat()
    assert a.holds(job)


def test_retry_from_any_worker(open_worker: Opener) -> None:
    a, b = open_worker("a"), open_worker("b")
    (job,) = add(a, 1)
    a.claim_next(1, take_all)
    a.fail(job, "broken")
    again = b.retry(job)
    assert again is not None
    assert (again.state, again.attempts, again.worker) == (JobState.QUEUED, 0, None)
    (claimed,) = b.claim_next(1, take_all)
    assert claimed.worker == "b"


def test_workers_lists_heartbeats_and_running_jobs(open_worker: Opener) -> None:
    a, b = open_worker("a"), open_worker("b")
    ids = add(a, 3)
    a.claim_next(2, take_all)
    b.heartbeat()
    shown = {w.id: w for w in a.workers()}
    assert set(shown) == {"a", "b"}
    assert shown["a"].running == tuple(ids[:2])
    assert shown["b"].running == ()
    assert (shown["a"].engines, shown["a"].concurrency) == (("local",), 2)


def test_recover_takes_back_jobs_of_a_dead_worker_on_this_host_only(
    open_worker: Opener,
) -> None:
    dead = open_worker("", owner=Owner(pid=999_999, start=1))  # host:999999
    other_host = open_worker("nas:1234", owner=Owner(pid=1234, start=1))
    ids = add(dead, 2)
    dead.claim(ids[0], "local")
    other_host.claim(ids[1], "local")
    me = open_worker("")
    recovered = me.recover(lambda owner: owner.pid != 999_999)
    assert [r.id for r in recovered] == [ids[0]]
    states = [me.get(i).state for i in ids]  # type: ignore[union-attr]
    assert states == [JobState.QUEUED, JobState.RUNNING]


def test_migrations_are_versioned_and_run_once(open_worker: Opener, pg_url: str) -> None:
    open_worker("a")
    open_worker("b")  # a second start applies nothing again
    with psycopg.connect(pg_url) as db:
        versions = [r[0] for r in db.execute("SELECT version FROM videofree_schema")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_location_never_shows_a_password(pg_url: str) -> None:
    from daemon.ledger.postgres import redact

    assert "hunter2" not in redact("postgresql://u:hunter2@h/db")
    assert "u" in redact("postgresql://u:hunter2@h/db")


def test_writes_stay_fenced_after_the_loss_is_known(open_worker: Opener, pg_url: str) -> None:
    """Once a heartbeat has reported the loss, the old run's last writes (a requeue on
    shutdown, a failure) still must not touch the job another worker now has."""
    a, b = open_worker("a"), open_worker("b")
    (job,) = add(a, 1)
    a.claim_next(1, take_all)
    expire(pg_url, job)
    b.take_over_expired()
    b.claim_next(1, take_all)
    assert a.heartbeat() == [job]
    a.set_progress(job, 50.0)
    a.requeue(job, count_attempt=False)
    a.fail(job, "stale")
    now = b.get(job)
    assert now is not None
    assert (now.state, now.worker, now.progress, now.error) == (JobState.RUNNING, "b", 0.0, None)


def test_a_job_given_up_here_is_not_renewed_so_it_expires(open_worker: Opener, pg_url: str) -> None:
    a, b = open_worker("a", lease_seconds=3), open_worker("b")
    ids = add(a, 2)
    a.claim_next(2, take_all)
    a._lost.add(ids[0])  # this worker's run of it is over (it thinks the lease is gone)
    expire(pg_url, ids[0])
    expire(pg_url, ids[1])
    a.heartbeat()
    assert [r.id for r in b.take_over_expired()] == [ids[0]]


def test_names_that_are_not_utf8_go_in_and_come_back_byte_for_byte(
    open_worker: Opener,
) -> None:
    """A Latin-1 name from a camera or an old Samba share (SQLite keeps such names as
    BLOBs; a TEXT column refused them and the file could not be queued)."""
    led = open_worker("a")
    source = Path(os.fsdecode(b"/share/in/caf\xe9 \xff.mov"))
    output = Path(os.fsdecode(b"/share/out/caf\xe9 \xff-edited.mp4"))
    record = led.add_job([source], "fp-latin1", "clips", "{}", "local")
    assert record is not None
    assert os.fsencode(record.source) == b"/share/in/caf\xe9 \xff.mov"
    assert record.sources == (source,)
    claimed = led.claim_next(1, take_all)
    assert [r.id for r in claimed] == [record.id]
    led.intend(record.id, output, "1:2:3", [])
    led.finish(record.id, output, "local", [])
    done = led.get(record.id)
    assert done is not None
    assert done.state is JobState.DONE
    assert os.fsencode(done.output or Path()) == b"/share/out/caf\xe9 \xff-edited.mp4"
    assert done.intended_output == output
    led.remember(source, 10, 20, "fp-latin1")
    assert led.seen_fingerprint(source, 10, 20) == "fp-latin1"
    plain = Path("/share/in/raw64:odd but valid.mov")  # a real name that looks like the prefix
    assert led.add_job([plain], "fp-plain", "clips", "{}", "local") is not None
    assert led.find("fp-plain", "clips").source == plain  # type: ignore[union-attr]
