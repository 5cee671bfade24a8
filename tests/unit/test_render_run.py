"""run_ffmpeg with a real ffmpeg on tiny lavfi inputs; parse_progress table."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from daemon.errors import Cancelled, PermanentError, TransientError
from daemon.media import render
from daemon.media.render import parse_progress, progress_args, run_ffmpeg
from daemon.media.tools import FFMPEG_HELP

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


@pytest.mark.parametrize(
    ("line", "expected", "pct"),
    [
        ("out_time_us=500000", 1.0, 50.0),
        ("out_time_ms=250000\n", 1.0, 25.0),  # microseconds despite the name
        ("out_time_us=3000000", 2.0, 100.0),  # clamped
        ("out_time_us=-5000", 1.0, 0.0),  # ffmpeg's negative start
        ("out_time_us=N/A", 1.0, None),
        ("out_time_us=500000", 0.0, None),  # unknown duration
        ("progress=end", 10.0, 100.0),
        ("progress=continue", 10.0, None),
        ("out_time=00:00:01.000000", 2.0, None),
        ("frame=10", 1.0, None),
        ("", 1.0, None),
    ],
)
def test_parse_progress(line: str, expected: float, pct: float | None) -> None:
    assert parse_progress(line, expected) == pct


def lavfi(source: str, *, realtime: bool = False) -> list[str]:
    return [
        FFMPEG,
        *progress_args(),
        *(["-re"] if realtime else []),
        "-f",
        "lavfi",
        "-i",
        source,
        "-f",
        "null",
        "-",
    ]


def test_progress_reaches_100() -> None:
    seen: list[float] = []
    pids: list[int] = []
    run_ffmpeg(
        lavfi("testsrc2=duration=1:size=64x64:rate=10"),
        expected_duration=1.0,
        timeout=60,
        on_progress=seen.append,
        on_start=pids.append,
    )
    assert seen
    assert seen[-1] == 100.0
    assert all(0.0 <= p <= 100.0 for p in seen)
    assert len(pids) == 1
    assert pids[0] > 0


def test_real_output_file(tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    argv = [
        FFMPEG,
        *progress_args(),
        "-f",
        "lavfi",
        "-i",
        "testsrc2=duration=0.5:size=64x64:rate=10",
        "-c:v",
        "libx264",
        "-y",
        str(out),
    ]
    run_ffmpeg(argv, expected_duration=0.5, timeout=60)
    assert out.stat().st_size > 0


def test_bad_input_fails_permanently_with_ffmpegs_words(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.mov"
    argv = [FFMPEG, *progress_args(), "-i", str(missing), "-f", "null", "-"]
    with pytest.raises(PermanentError) as info:
        run_ffmpeg(argv, expected_duration=1.0, timeout=60)
    assert "No such file or directory" in info.value.reason
    assert info.value.reason.startswith("ffmpeg failed: ")


def test_corrupt_input_fails_permanently(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    argv = [FFMPEG, *progress_args(), "-i", str(junk), "-f", "null", "-"]
    with pytest.raises(PermanentError) as info:
        run_ffmpeg(argv, expected_duration=1.0, timeout=60)
    assert str(junk) in info.value.reason or "Invalid data" in info.value.reason
    # ffmpeg's cause, not its threads' teardown, and no memory addresses.
    assert " @ 0x" not in info.value.reason and "Task finished" not in info.value.reason


def test_cancel_stops_ffmpeg_quickly_and_is_transient() -> None:
    cancel = threading.Event()
    pids: list[int] = []
    reported: list[float] = []

    def on_progress(pct: float) -> None:
        reported.append(pct)
        cancel.set()  # cancel as soon as ffmpeg is demonstrably running

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(
            lavfi("testsrc2=duration=60:size=64x64:rate=10", realtime=True),
            expected_duration=60.0,
            timeout=120,
            on_progress=on_progress,
            on_start=pids.append,
            cancel=cancel,
        )
    assert time.monotonic() - started < 10
    assert not Path(f"/proc/{pids[0]}").exists() or _is_zombie_or_gone(pids[0])
    # ffmpeg's "progress=end" as it is stopped must not read as a finished render.
    assert reported
    assert max(reported) < 100.0


def test_timeout_stops_ffmpeg_and_is_permanent() -> None:
    started = time.monotonic()
    with pytest.raises(PermanentError, match="longer than"):
        run_ffmpeg(
            lavfi("testsrc2=duration=60:size=64x64:rate=10", realtime=True),
            expected_duration=60.0,
            timeout=0.5,
        )
    assert time.monotonic() - started < 10


def test_an_already_set_cancel_never_runs_to_the_end() -> None:
    cancel = threading.Event()
    cancel.set()
    started = time.monotonic()
    with pytest.raises(TransientError):
        run_ffmpeg(
            lavfi("testsrc2=duration=60:size=64x64:rate=10", realtime=True),
            expected_duration=60.0,
            timeout=120,
            cancel=cancel,
        )
    assert time.monotonic() - started < 10


def _is_zombie_or_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status


def test_a_missing_ffmpeg_is_a_permanent_error_that_says_how_to_fix_it(tmp_path: Path) -> None:
    gone = tmp_path / "ffmpeg"  # uninstalled after the daemon started
    with pytest.raises(PermanentError) as caught:
        run_ffmpeg([str(gone), "-version"], expected_duration=1.0, timeout=10)
    assert caught.value.reason.startswith(f"cannot run {gone} (No such file or directory): ")
    assert FFMPEG_HELP in caught.value.reason


@pytest.mark.parametrize("kind", ["pidfd", "poll"])
def test_the_exit_waiter_says_when_the_process_ended(kind: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, text=True
    )
    waiter = render._PidfdWait(proc) if kind == "pidfd" else render._PollWait(proc)
    try:
        assert waiter.wait(0.05) is False  # still running
        assert proc.stdin is not None
        proc.stdin.close()  # now it ends
        assert waiter.wait(10.0) is True
        assert waiter.wait(0.0) is True  # and stays ended
    finally:
        waiter.close()
        proc.wait()
    assert proc.returncode == 0


def test_the_pidfd_is_used_on_linux() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"], text=True)
    waiter = render._exit_waiter(proc)
    try:
        assert isinstance(waiter, render._PidfdWait)
        assert waiter.wait(10.0)
    finally:
        waiter.close()
        proc.wait()
