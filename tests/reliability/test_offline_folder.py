"""A watch folder that goes offline with jobs queued (issue 11, item 2): the jobs wait,
say why in `status`, and every one is edited exactly once when the folder returns."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.daemonproc import DaemonProcess, drop, jobs_in, start, wait_for, write_config
from tests.mediagen import make_clip

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("media")
    return [make_clip(folder / f"c{i}.mp4", duration=2, seed=10 + i) for i in range(3)]


def test_an_inbox_that_disappears_with_jobs_queued_ends_with_each_edited_once(
    tmp_path: Path, daemons: list[DaemonProcess], clips: list[Path]
) -> None:
    config = write_config(tmp_path, concurrency=1)
    inbox, away = tmp_path / "inbox", tmp_path / "inbox-unmounted"
    d = start(daemons, config)
    for i, clip in enumerate(clips):
        drop(clip, inbox, f"v{i}.mp4")
    wait_for(lambda: len(jobs_in(config)) == 3, 30, "three jobs queued", d)
    inbox.rename(away)  # the share drops out
    d.wait_log("is offline; its queued jobs wait for it", timeout=10)
    waiting = wait_for(
        lambda: [j for j in jobs_in(config, "queued") if "is offline" in (j["error"] or "")],
        30,
        "a job shown waiting for the folder",
        d,
    )
    assert f"waiting: the watch folder {inbox} is offline" in waiting[0]["error"]
    assert not jobs_in(config, "failed")
    time.sleep(3)  # a while offline (the case is 10 s; the length does not matter)
    away.rename(inbox)
    d.wait_log("is back; resuming", timeout=10)
    wait_for(lambda: len(jobs_in(config, "done")) == 3, 90, "all three done", d)
    outputs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outputs == ["v0-edited.mp4", "v1-edited.mp4", "v2-edited.mp4"]
    assert not jobs_in(config, "failed")
    # Re-armed: a file dropped after the return is seen by the observer (rescan is 5 s,
    # so wait less than that).
    drop(make_clip(tmp_path / "late.mp4", duration=1, seed=99), inbox, "late.mp4")
    wait_for(lambda: len(jobs_in(config)) == 4, 4, "the late file queued by the observer", d)
