"""Processes: is a pid one of ours, and stopping children orphaned by a killed daemon."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable
from pathlib import Path

from daemon.deliver import SCRATCH_PREFIX

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


def videofree_alive(pid: int) -> bool:
    """True if `pid` is a running videofree process (not a reused pid of something else)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    cmd = _cmdline(pid)
    # Without /proc (not Linux) trust the signal check alone.
    return not _PROC.is_dir() or "videofree" in cmd or "daemon" in cmd


def kill_orphans(job_ids: Iterable[int]) -> list[int]:
    """Stop processes (ffmpeg) still writing a scratch file of these jobs.

    A daemon killed with SIGKILL leaves its ffmpeg children running; they would waste
    the CPU and race the resumed job. They are found by the scratch name in their argv,
    which needs no bookkeeping that a crash could lose. Return the pids signalled.
    """
    markers = [f"{SCRATCH_PREFIX}{job_id}-" for job_id in job_ids]
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
