"""Exactly once across every crash window of delivery (issue 11, item 4): the process
dies (a BaseException the runner does not catch stands in for SIGKILL, leaving the ledger
exactly as a kill would) at each step between "output rendered" and "ledger says done";
after recovery the job is done with exactly one output."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable

import pytest

from daemon import delivery, placement
from daemon.config import Config
from daemon.ledger import JobState
from tests.unit.test_scheduler import World, world  # noqa: F401 - the fixture


class Crash(BaseException):
    """The process dies here."""


def crash_after(real: Callable[..., object]) -> Callable[..., object]:
    def wrapper(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)
        raise Crash

    return wrapper


def crash_instead(*_args: object, **_kwargs: object) -> None:
    raise Crash


WINDOWS: dict[str, Callable[[pytest.MonkeyPatch, World], None]] = {
    # The intended output is recorded, the hard link not made yet.
    "before the link": lambda mp, w: mp.setattr(placement.os, "link", crash_instead),
    # The output has its final name; the scratch name still exists too.
    "after the link": lambda mp, w: mp.setattr(placement.os, "link", crash_after(os.link)),
    # The scratch name is gone; the directory not yet synced.
    "after the unlink": lambda mp, w: mp.setattr(placement, "_fsync_dir", crash_instead),
    # Everything on disk is done; the ledger still says running.
    "before the ledger": lambda mp, w: mp.setattr(w.ledger, "finish", crash_instead),
}


def crash_between_rename_and_ledger(
    world: World,  # noqa: F811
    config: Config,
    job: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run the job and die after its output is in place, before the ledger says done."""
    with monkeypatch.context() as mp:
        mp.setattr(world.ledger, "finish", crash_instead)
        with pytest.raises(Crash):
            world.runner(config).run_job(job)


@pytest.mark.parametrize("window", list(WINDOWS))
def test_a_crash_in_delivery_ends_with_one_output(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    window: str,
) -> None:
    config = world.config()
    job = world.queue(config)
    with monkeypatch.context() as mp:
        WINDOWS[window](mp, world)
        with pytest.raises(Crash):
            world.runner(config).run_job(job)
    assert world.record(job).state is JobState.RUNNING
    # The next start: the dead owner's job is queued again and run by a new runner.
    assert [r.id for r in world.ledger.recover(lambda _owner: False)] == [job]
    final = world.runner(config).run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert world.out_files() == ["IMG_0042-edited.mp4"]
    assert final.output == world.out / "IMG_0042-edited.mp4"
    # Rendered again only when nothing had reached its final name yet.
    assert len(world.local.calls) == (2 if window == "before the link" else 1)


def test_a_ledger_locked_after_delivery_neither_fails_nor_duplicates(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = world.config()
    job = world.queue(config)
    monkeypatch.setattr(delivery, "LEDGER_WRITE_TRIES", 2)
    real_finish = world.ledger.finish

    def locked(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(world.ledger, "finish", locked)
    record = world.runner(config).run_job(job)
    assert record is not None
    assert record.state is JobState.QUEUED  # waits for the lock, not failed with no output
    monkeypatch.setattr(world.ledger, "finish", real_finish)
    world.ledger.requeue(job)  # due now
    final = world.runner(config).run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert world.out_files() == ["IMG_0042-edited.mp4"]
    assert len(world.local.calls) == 1


def test_retry_of_a_failed_but_delivered_job_does_not_duplicate(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = world.config()
    job = world.queue(config)
    crash_between_rename_and_ledger(world, config, job, monkeypatch)
    # What an old videofree left behind: failed, no output, the file delivered.
    world.ledger.fail(job, "internal error")
    assert world.ledger.retry(job) is not None
    final = world.runner(config).run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert world.out_files() == ["IMG_0042-edited.mp4"]


def test_retry_of_a_done_job_makes_it_again(world: World) -> None:  # noqa: F811
    config = world.config()
    job = world.queue(config)
    world.runner(config).run_job(job)
    assert world.ledger.retry(job) is not None
    world.runner(config).run_job(job)
    assert world.out_files() == ["IMG_0042-edited-1.mp4", "IMG_0042-edited.mp4"]
    assert len(world.local.calls) == 2


def test_an_output_replaced_by_another_file_is_not_taken_for_the_job(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = world.config()
    job = world.queue(config)
    crash_between_rename_and_ledger(world, config, job, monkeypatch)
    placed = world.out / "IMG_0042-edited.mp4"
    placed.unlink()
    placed.write_bytes(b"the user's own file with this name")
    world.ledger.recover(lambda _owner: False)
    final = world.runner(config).run_job(job)
    assert final is not None
    assert final.output == world.out / "IMG_0042-edited-1.mp4"
    assert placed.read_bytes() == b"the user's own file with this name"
