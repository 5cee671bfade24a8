"""Processes: is a pid one of ours, and stopping children orphaned by a killed daemon."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def _cmdline(pid: int) -> str:
    try:
        return (
            (_PROC / str(pid) / "cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode(errors="replace")
        )
    except OSError:
        return ""


@dataclass(frozen=True)
class Owner:
    """A process, told apart from a later one that got the same pid: the kernel's start
    time (clock ticks since boot, /proc/PID/stat field 22) differs. None without /proc."""

    pid: int
    start: int | None


def start_time(pid: int, proc: Path = _PROC) -> int | None:
    """Field 22 of /proc/PID/stat, or None when it cannot be read (gone, not Linux)."""
    try:
        stat = (proc / str(pid) / "stat").read_text(errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ")": fields
    # after the last ")" start at field 3.
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[22 - 3])
    except (IndexError, ValueError):
        return None


def this_process() -> Owner:
    pid = os.getpid()
    return Owner(pid, start_time(pid))


def videofree_alive(owner: Owner, proc: Path = _PROC) -> bool:
    """True if the process that claimed a job still runs: same pid AND same start time.

    A pid alone is not enough: after a reboot any process (a dbus-daemon) may get it.
    A ledger row without a start time (written before it was recorded) counts as alive
    only while its pid runs a command line naming videofree.
    """
    if owner.pid == os.getpid():
        return owner.start is None or owner.start == start_time(owner.pid, proc)
    try:
        os.kill(owner.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not proc.is_dir():
        return True  # without /proc (not Linux) trust the signal check alone
    if owner.start is not None:
        return start_time(owner.pid, proc) == owner.start
    return "videofree" in _cmdline(owner.pid)


def kill_orphans(markers: Iterable[str]) -> list[int]:
    """Stop processes (ffmpeg) still writing a scratch file of these jobs: those whose
    argv holds one of `markers` (placement.scratch_marker: folder, prefix and job id).

    A daemon killed with SIGKILL leaves its ffmpeg children running; they would waste
    the CPU and race the resumed job. They are found by the scratch name in their argv,
    which needs no bookkeeping that a crash could lose. Return the pids signalled.
    """
    markers = list(markers)
    if not markers or not _PROC.is_dir():
        return []
    killed = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        cmd = _cmdline(int(entry.name))
        if any(m in cmd for m in markers):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed
