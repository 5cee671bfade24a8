"""Enough free space before a job starts (issue 11): a render that would hit ENOSPC
waits instead, saying why, and starts when space is freed.

    needed(source_sizes)    pure: the estimate
    shortfall(...)          pure: the `status` line when there is not enough
    free_bytes(folder)      the I/O: statvfs of the nearest existing folder
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

# An edited 1080p output is rarely larger than its sources; the scratch file and the
# output share the output folder's filesystem, so once the sources' size is needed there,
# plus a reserve the rest of the system keeps.
RESERVE_BYTES = 256 * 1024 * 1024
# How a job waiting for space says so in `status` (and how the runner knows it said so).
WAITING = "waiting for disk space"
# A job waiting for space looks again this often.
RECHECK_SECONDS = 60.0


def needed(source_sizes: Sequence[int]) -> int:
    """Bytes that must be free in the output folder before a job starts."""
    return sum(source_sizes) + RESERVE_BYTES


def shortfall(folder: Path, free: int, need: int) -> str | None:
    """None when `free` covers `need`; else the line a person reads in `status`."""
    if free >= need:
        return None
    return f"waiting for disk space: {_mib(free)} free in {folder}, about {_mib(need)} needed"


def free_bytes(folder: Path) -> int:
    """Free bytes for an unprivileged writer in `folder` (or its nearest existing parent,
    for an output folder not made yet). Raise OSError."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _mib(value: int) -> str:
    return f"{value / (1024 * 1024):.0f} MiB"
