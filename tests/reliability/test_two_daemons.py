"""Two daemons with separate configs on one machine (issue 11, item 3): one is killed and
restarted mid-render, and the other's render (its job has the same id) is untouched.
On a8a66e8 the restart's orphan sweep killed the neighbour's ffmpeg too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.daemonproc import (
    DaemonProcess,
    drop,
    ffmpeg_writing,
    jobs_in,
    start,
    wait_for,
    write_config,
)
from tests.mediagen import make_clip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # two 12 s renders: about a minute


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("media") / "long.mp4", duration=12, size=(320, 240))


def test_a_crash_and_restart_never_touch_the_neighbours_render(
    tmp_path: Path, daemons: list[DaemonProcess], long_clip: Path
) -> None:
    roots = [tmp_path / "a", tmp_path / "b"]
    configs = []
    for root in roots:
        root.mkdir()
        configs.append(write_config(root, concurrency=1))
    a, b = (start(daemons, c) for c in configs)
    for root in roots:
        drop(long_clip, root / "inbox", "IMG_0001.MOV")
    markers = [f"{root / 'out' / '.videofree-1-'}" for root in roots]
    wait_for(lambda: all(ffmpeg_writing(m) for m in markers), 60, "both renders running")
    neighbour = ffmpeg_writing(markers[1])
    a.kill()  # SIGKILL: a's ffmpeg is orphaned, its job left "running"
    a2 = start(daemons, configs[0])
    a2.wait_log("resuming 1 interrupted job(s); stopped 1 orphaned process(es)", timeout=30)
    # The neighbour's ffmpeg (its job 1 too) is still the same process, still rendering.
    assert all(os.path.exists(f"/proc/{pid}") for pid in neighbour)
    assert ffmpeg_writing(markers[1]) == neighbour
    for config, d in ((configs[0], a2), (configs[1], b)):
        wait_for(lambda c=config: jobs_in(c, "done"), 240, "the job done", d)  # type: ignore[misc]
    done_b = jobs_in(configs[1], "done")
    assert [j["attempts"] for j in done_b] == [1]  # never interrupted
    assert sorted(p.name for p in (roots[0] / "out").iterdir()) == ["IMG_0001-edited.mp4"]
    assert sorted(p.name for p in (roots[1] / "out").iterdir()) == ["IMG_0001-edited.mp4"]
