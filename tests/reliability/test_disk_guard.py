"""Jobs wait for disk space instead of failing on ENOSPC (issue 11, disk guard)."""

from __future__ import annotations

from daemon.diskguard import RESERVE_BYTES, needed, shortfall
from daemon.ledger import JobState
from tests.unit.test_scheduler import World, world  # noqa: F401 - the fixture


def test_needed_is_the_sources_plus_a_reserve() -> None:
    assert needed([100, 50]) == 150 + RESERVE_BYTES


def test_shortfall_line() -> None:
    from pathlib import Path

    assert shortfall(Path("/out"), 10, 10) is None
    assert shortfall(Path("/out"), 5 * 2**20, 300 * 2**20) == (
        "waiting for disk space: 5 MiB free in /out, about 300 MiB needed"
    )


def test_a_job_waits_while_the_disk_is_full_and_runs_when_space_returns(
    world: World,  # noqa: F811
) -> None:
    config = world.config()
    job = world.queue(config)
    runner = world.runner(config)
    free = {"bytes": 1024}
    runner.free_bytes = lambda _folder: free["bytes"]
    for _ in range(3):  # rechecks while still full: still waiting, never failed
        record = runner.run_job(job)
        assert record is not None
        assert record.state is JobState.QUEUED
        assert record.attempts == 0
        assert (record.error or "").startswith("waiting for disk space: 0 MiB free in ")
    assert world.local.calls == []
    free["bytes"] = 10 * 2**30
    final = runner.run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert world.out_files() == ["IMG_0042-edited.mp4"]
