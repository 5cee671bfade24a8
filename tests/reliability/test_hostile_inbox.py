"""A hostile inbox against the real daemon (issue 11, items 1, 7, 8): a FIFO, a symlink
to /dev/zero, a non-UTF-8 name and a 250-byte name sit beside ordinary videos, and the
ordinary videos are still edited; so are the odd names."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.daemonproc import DaemonProcess, drop, jobs_in, start, wait_for, write_config
from tests.mediagen import make_clip, probe_output

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three different 1 s clips (the same content twice would be skipped as a copy)."""
    folder = tmp_path_factory.mktemp("media")
    return [make_clip(folder / f"clip{i}.mp4", duration=1, seed=i + 1) for i in range(3)]


def test_fifo_dev_zero_and_odd_names_do_not_stop_the_inbox(
    tmp_path: Path, daemons: list[DaemonProcess], clips: list[Path]
) -> None:
    config = write_config(tmp_path)
    inbox = tmp_path / "inbox"
    # Present at start-up (the first scan used to hang on them) ...
    os.mkfifo(inbox / "pipe.mp4")
    (inbox / "zero.mp4").symlink_to("/dev/zero")
    latin1 = Path(os.fsdecode(b"caf\xe9.mp4"))
    shutil.copyfile(clips[0], inbox / latin1)
    long_name = "x" * 246 + ".mp4"  # 250 bytes: "-edited" would pass the 255-byte limit
    shutil.copyfile(clips[1], inbox / long_name)
    d = start(daemons, config)
    # ... and arriving while it runs.
    os.mkfifo(inbox / "pipe2.mov")
    drop(clips[2], inbox, "ordinary.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == 3, 90, "three jobs done", d)
    assert not jobs_in(config, "failed", "queued", "running")
    outputs = sorted(os.listdir(os.fsencode(tmp_path / "out")))
    assert b"caf\xe9-edited.mp4" in outputs
    assert b"ordinary-edited.mp4" in outputs
    shortened = [o for o in outputs if o.startswith(b"xxxx")]
    assert len(shortened) == 1
    assert len(shortened[0]) <= 255 and shortened[0].endswith(b".mp4")
    assert probe_output(tmp_path / "out" / "ordinary-edited.mp4").duration > 0.5
    assert "Traceback" not in d.log
    assert d.running()
    assert not list((tmp_path / "out").glob(".videofree-*"))  # no scratch left behind


def test_a_truncated_faststart_original_is_delivered_with_a_note(
    tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    whole = make_clip(tmp_path / "whole.mp4", duration=6, extra=("-movflags", "+faststart"))
    data = whole.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])  # says 6 s, holds about 3
    config = write_config(tmp_path)
    d = start(daemons, config)
    drop(tmp_path / "cut.mp4", tmp_path / "inbox", "cut.mp4")
    done = wait_for(lambda: jobs_in(config, "done", "failed"), 60, "the job finished", d)
    assert done[0]["state"] == "done", done[0]
    # The engine reads how far the data goes and edits that much (it used to plan the
    # header's 6 s, and the check after the render noticed the output fell short).
    notes = [n for n in done[0]["notes"] if "is cut short" in n]
    assert notes, done[0]
    assert notes[0].startswith("cut.mp4 is cut short (an incomplete copy?): ")
    assert notes[0].endswith(" s of 6.0 s can be read")
    readable = float(notes[0].split(": ")[1].split(" s of")[0])
    assert 1.0 < readable < 5.0
    out = probe_output(tmp_path / "out" / "cut-edited.mp4")
    assert abs(out.duration - readable) < 0.15
