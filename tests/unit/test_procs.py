"""Is a recorded job owner still the same process: pid and start time, never the name."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.placement import scratch_marker
from daemon.procs import Owner, kill_orphans, start_time, this_process, videofree_alive


@pytest.fixture
def dbus_like() -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line says "daemon" (like the dbus-daemon that got a
    crashed videofree's pid after a reboot)."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "dbus-daemon"],
        stdin=subprocess.PIPE,
    )
    yield child
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=10)


def test_a_reused_pid_with_another_start_time_is_not_the_owner(
    dbus_like: subprocess.Popen[bytes],
) -> None:
    real = start_time(dbus_like.pid)
    assert real is not None
    assert videofree_alive(Owner(dbus_like.pid, real))
    assert not videofree_alive(Owner(dbus_like.pid, real - 1))


def test_a_legacy_owner_without_start_time_needs_videofree_in_its_command_line(
    dbus_like: subprocess.Popen[bytes],
) -> None:
    assert not videofree_alive(Owner(dbus_like.pid, None))


def test_this_process_is_alive_and_a_reaped_child_is_not() -> None:
    assert videofree_alive(this_process())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not videofree_alive(Owner(child.pid, None))


@pytest.mark.parametrize("comm", ["python3", "a) b (c", "x)"])
def test_start_time_reads_field_22_whatever_the_command_name(tmp_path: Path, comm: str) -> None:
    fields = [str(n) for n in range(3, 53)]  # fields 3..52
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "stat").write_text(f"77 ({comm}) {' '.join(fields)}\n")
    assert start_time(77, tmp_path) == 22


def test_start_time_of_a_missing_process_is_none(tmp_path: Path) -> None:
    assert start_time(77, tmp_path) is None


def test_kill_orphans_stops_only_the_writer_of_this_folders_scratch_file(tmp_path: Path) -> None:
    """Another videofree (another user, a parallel test run) has its own job 1: its
    ffmpeg writes a scratch file of the same job id in another folder and must live."""
    ours, theirs = tmp_path / "out", tmp_path / "elsewhere"
    hold = "import sys; sys.stdin.read()"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", hold, f"{scratch_marker(folder, 1)}ab12.part.mp4"],
            stdin=subprocess.PIPE,
        )
        for folder in (ours, theirs)
    ]
    try:
        killed = kill_orphans([scratch_marker(ours, 1)])
        assert killed == [children[0].pid]
        assert children[0].wait(timeout=10) == -9
        assert children[1].poll() is None
    finally:
        for child in children:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=10)
