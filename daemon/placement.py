"""Put a finished file in place: atomically, under a free name, never overwriting.

Files only: a job's delivery around these (verify, intended output, ledger 'done') is
daemon.delivery's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from daemon.rules import numbered

SCRATCH_PREFIX = ".videofree-"
SCRATCH_SUFFIX = ".part.mp4"


def scratch_marker(folder: Path, job_id: int) -> str:
    """What every scratch name of this job in this folder starts with: the full path, so
    another videofree (another user, a test run) with its own job of the same id never
    matches it."""
    return f"{folder / SCRATCH_PREFIX}{job_id}-"


def scratch_path(folder: Path, job_id: int) -> Path:
    """A temporary name in the output folder: hidden and *.part, so no watcher picks it
    up, and on the same filesystem as the final name, so the rename is atomic. The random
    part keeps an orphaned writer of an earlier attempt from sharing the file."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(f"{scratch_marker(folder, job_id)}{secrets.token_hex(4)}{SCRATCH_SUFFIX}")


def remove_scratch(folder: Path, job_id: int) -> None:
    """Remove temporary files an earlier attempt of this job left behind."""
    for stale in folder.glob(f"{SCRATCH_PREFIX}{job_id}-*{SCRATCH_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def place(tmp: Path, target: Path, intend: Callable[[Path], None] = lambda _: None) -> Path:
    """Move `tmp` to `target`, or to `target-1`, `-2`… if taken. Return the final path.

    `intend(candidate)` is called before each try, so the caller can record where the
    file is about to appear (the ledger's intended output) before it does.

    A hard link is the atomic no-overwrite primitive (it fails if the name exists); on
    filesystems without hard links (FAT, some SMB mounts) fall back to an exclusive
    check-then-rename, which can only race with another writer of the same name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _fsync(tmp)
    while True:
        candidate = numbered(target, lambda p: p.exists())
        intend(candidate)
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (
                errno.EPERM,
                errno.ENOTSUP,
                errno.EXDEV,
                errno.EMLINK,
                errno.ENOSYS,
            ):
                raise
            if candidate.exists():
                continue
            os.replace(tmp, candidate)
            _fsync_dir(candidate.parent)
            return candidate
        tmp.unlink()
        _fsync_dir(candidate.parent)
        return candidate


def move_original(original: Path, folder: Path) -> Path:
    """Move an original into `folder` under a free name (after its output is delivered)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = numbered(folder / original.name, lambda p: p.exists())
    try:
        os.link(original, target)
        original.unlink()
    except OSError:
        if target.exists():
            raise
        # Across filesystems (or without hard links) rename/copy is the only way.
        import shutil  # noqa: PLC0415 - rarely needed

        shutil.move(str(original), str(target))
    return target


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
