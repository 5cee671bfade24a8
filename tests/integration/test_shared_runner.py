"""The Runner on a shared PostgreSQL ledger, with fake engines: a worker that lost its
lease delivers nothing and tells no one; path_map; claims only what it can see."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.config import Config, parse_config
from daemon.engines.base import JobContext, JobSpec
from daemon.events import EventBus, JobEvent
from daemon.ledger import JobState
from daemon.queue import queue_job
from daemon.scheduler import Runner
from tests.unit.test_scheduler import FakeEngine, FakeEngines

pytestmark = pytest.mark.integration

psycopg = pytest.importorskip("psycopg")
from daemon.ledger.postgres import PostgresLedger  # noqa: E402


@pytest.fixture
def share(tmp_path: Path) -> Path:
    (tmp_path / "Inbox").mkdir()
    return tmp_path


@pytest.fixture
def ledgers(pg_url: str) -> Iterator[tuple[PostgresLedger, PostgresLedger]]:
    a, b = PostgresLedger(pg_url, worker_id="a"), PostgresLedger(pg_url, worker_id="b")
    yield a, b
    a.close()
    b.close()


def config(share: Path, extra: str = "") -> Config:
    text = (
        f"watch: [{share / 'Inbox'}]\nconcurrency: 2\n{extra}"
        f"rules:\n  - {{name: phone, glob: '*.mov', output: {share / 'Edited'}}}\n"
    )
    return parse_config(text, share / "rules.yaml")


def queue(led: PostgresLedger, cfg: Config, source: Path) -> int:
    source.write_bytes(b"video " + source.name.encode())
    record, _ = queue_job(led, cfg, cfg.rules[0], [source], f"fp-{source.name}")
    assert record is not None
    return record.id


def test_a_worker_that_lost_its_lease_delivers_nothing_and_tells_no_one(
    share: Path, ledgers: tuple[PostgresLedger, PostgresLedger], pg_url: str
) -> None:
    a, b = ledgers
    cfg = config(share)
    job = queue(a, cfg, share / "Inbox" / "IMG_1.mov")
    heard: list[JobEvent] = []
    bus = EventBus()
    bus.subscribe(heard.append)

    def taken_over_mid_render(_job: JobSpec, _ctx: JobContext) -> None:
        with psycopg.connect(pg_url, autocommit=True) as db:
            db.execute("UPDATE jobs SET lease_until = clock_timestamp() - interval '1 s'")
        assert [r.id for r in b.take_over_expired()] == [job]
        assert [r.id for r in b.claim_next(1, lambda _r: "local")] == [job]

    local = FakeEngine("local", steps=[taken_over_mid_render])
    runner = Runner(cfg, a, FakeEngines(local), events=bus)  # type: ignore[arg-type]
    final = runner.run_job(job)
    assert final is not None
    assert (final.state, final.worker) == (JobState.RUNNING, "b")  # b's now, untouched
    assert not (share / "Edited").exists() or not any((share / "Edited").iterdir())
    assert heard == []


def test_paths_go_into_the_ledger_under_their_shared_name(
    share: Path, ledgers: tuple[PostgresLedger, PostgresLedger]
) -> None:
    a, _ = ledgers
    cfg = config(share, f"path_map: {{/mnt/nas: {share}}}\n")
    job = queue(a, cfg, share / "Inbox" / "IMG_2.mov")
    queued = a.get(job)
    assert queued is not None
    assert queued.source == Path("/mnt/nas/Inbox/IMG_2.mov")
    assert str(share) not in queued.rule_json
    runner = Runner(cfg, a, FakeEngines(FakeEngine("local")))  # type: ignore[arg-type]
    final = runner.run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert final.output == Path("/mnt/nas/Edited/IMG_2-edited.mp4")
    assert (share / "Edited" / "IMG_2-edited.mp4").read_bytes().startswith(b"made by local")


def test_poll_claims_what_it_can_see_up_to_its_concurrency(
    share: Path, ledgers: tuple[PostgresLedger, PostgresLedger]
) -> None:
    a, b = ledgers
    cfg = config(share)
    unseen = queue(b, cfg, share / "Inbox" / "IMG_0.mov")
    (share / "Inbox" / "IMG_0.mov").unlink()  # on a share this worker does not mount
    seen = [queue(b, cfg, share / "Inbox" / f"IMG_{i}.mov") for i in (1, 2, 3)]
    runner = Runner(cfg, a, FakeEngines(FakeEngine("local")))  # type: ignore[arg-type]
    claimed: list[int] = []
    runner.scheduler.add_job = lambda _fn, args, **_kw: claimed.append(args[0].id)  # type: ignore[method-assign]
    runner.poll_shared()
    assert claimed == seen[:2]
    left = a.get(unseen)
    assert left is not None
    assert left.state is JobState.QUEUED


def test_a_job_still_running_here_is_not_claimed_again_here(
    share: Path, ledgers: tuple[PostgresLedger, PostgresLedger]
) -> None:
    """A fenced run winding down must not see the new claim as its own."""
    a, b = ledgers
    cfg = config(share)
    job = queue(b, cfg, share / "Inbox" / "IMG_9.mov")
    runner = Runner(cfg, a, FakeEngines(FakeEngine("local")))  # type: ignore[arg-type]
    runner._active.add(job)  # its earlier run has not ended yet
    claimed: list[int] = []
    runner.scheduler.add_job = lambda _fn, args, **_kw: claimed.append(args[0].id)  # type: ignore[method-assign]
    runner.poll_shared()
    assert claimed == []
    runner._active.discard(job)
    runner.poll_shared()
    assert claimed == [job]


def test_lease_keeper_keeps_a_long_job_alive_without_the_scheduler(
    share: Path, pg_url: str
) -> None:
    """`videofree process` runs one job without the scheduler: its lease must still be
    renewed, or other workers would take the job over mid-render."""
    cfg = config(share, "lease_seconds: 3\n")
    a = PostgresLedger(pg_url, worker_id="a", lease_seconds=3)
    b = PostgresLedger(pg_url, worker_id="b")
    try:
        job = queue(a, cfg, share / "Inbox" / "IMG_5.mov")
        assert a.claim(job, "local") is not None
        runner = Runner(cfg, a, FakeEngines(FakeEngine("local")))  # type: ignore[arg-type]
        with runner.lease_keeper():
            time.sleep(3.5)  # longer than the lease
            assert b.take_over_expired() == []
        time.sleep(3.5)  # and without the keeper it does expire
        assert [r.id for r in b.take_over_expired()] == [job]
    finally:
        a.close()
        b.close()


def test_a_connection_dropped_while_recording_done_is_retried_not_failed(
    share: Path, ledgers: tuple[PostgresLedger, PostgresLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server restarting as a job finishes is a busy ledger, as a SQLite lock is: the
    write is tried again. (Only SQLite's error was caught: this job failed as an
    "internal error" with its output already delivered.)"""
    a, _ = ledgers
    cfg = config(share)
    job = queue(a, cfg, share / "Inbox" / "IMG_9.mov")
    real_finish = a.finish
    tries: list[int] = []

    def dropped_once(*args: object) -> None:
        tries.append(job)
        if len(tries) == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        real_finish(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(a, "finish", dropped_once)
    runner = Runner(cfg, a, FakeEngines(FakeEngine("local")))  # type: ignore[arg-type]
    final = runner.run_job(job)
    assert final is not None
    assert final.state is JobState.DONE, final.error
    assert len(tries) == 2
    assert [p.name for p in (share / "Edited").iterdir()] == ["IMG_9-edited.mp4"]


def test_a_ledger_out_of_reach_is_said_once_not_on_every_poll(
    share: Path, ledgers: tuple[PostgresLedger, PostgresLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    from loguru import logger

    a, _ = ledgers
    cfg = config(share)
    runner = Runner(cfg, a, FakeEngines(FakeEngine("local")))  # type: ignore[arg-type]
    down = psycopg.OperationalError("connection refused")

    def refused(*_args: object, **_kwargs: object) -> None:
        raise down

    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="WARNING", format="{message}")
    try:
        monkeypatch.setattr(a, "claim_next", refused)
        monkeypatch.setattr(a, "heartbeat", refused)
        for _ in range(30):  # polls and heartbeats for a while: nothing raised
            runner.poll_shared()
            runner.renew_leases()
    finally:
        logger.remove(sink)
    assert len(lines) == 1, lines
    assert "out of reach" in lines[0] and "connection refused" in lines[0]
    monkeypatch.undo()
    runner.poll_shared()
    assert not runner.reach.ongoing
