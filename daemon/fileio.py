"""Small filesystem facts the watcher needs: fingerprints, readability, open writers."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
import time
from pathlib import Path
from typing import BinaryIO

from daemon.intake import FileFacts, FileKind

_CHUNK = 1024 * 1024


def open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading only if it is a regular file, never blocking: O_NONBLOCK
    makes opening a FIFO return at once (a file swapped for one after its stat), and the
    fstat refuses it and device nodes (/dev/zero behind a symlink). Raise OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def fingerprint(path: Path, stop: threading.Event | None = None) -> str:
    """A content fingerprint: BLAKE2b-128 of every byte, plus the size.

    The whole file is read (streamed): two phone clips can share their first and last
    megabytes, and the same content copied under a new name must be recognised.
    Raise InterruptedError when `stop` is set (shutdown) before the end.
    """
    digest = hashlib.blake2b(digest_size=16)
    size = 0
    with open_regular(path) as f:
        while chunk := f.read(_CHUNK):
            if stop is not None and stop.is_set():
                raise InterruptedError(path)
            digest.update(chunk)
            size += len(chunk)
    return f"{size:x}-{digest.hexdigest()}"


def file_facts(path: Path, writers: set[str] | None = None) -> FileFacts:
    """Stat `path` without opening it (a FIFO would block). With `writers` (the result of
    files_open_for_writing), also check the costly facts: readable, open for writing."""
    try:
        st = path.stat()
    except OSError:
        return FileFacts(path, FileKind.MISSING)
    if not stat.S_ISREG(st.st_mode):
        return FileFacts(path, FileKind.OTHER)
    facts = FileFacts(
        path,
        FileKind.FILE,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        mtime_age=time.time() - st.st_mtime_ns / 1e9,
    )
    if writers is None:
        return facts
    try:
        writing = os.path.realpath(path) in writers
    except OSError:
        writing = False
    return FileFacts(
        path,
        FileKind.FILE,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        mtime_age=facts.mtime_age,
        readable=readable(path),
        open_for_writing=writing,
    )


def readable(path: Path) -> bool:
    """True when the file can be opened and read (SMB may lock a file while it is copied)."""
    try:
        with open_regular(path) as f:
            f.read(1)
    except OSError:
        return False
    return True


def open_for_writing(path: Path, proc: Path = Path("/proc")) -> bool:
    """True when a process we can see has `path` open for writing (Linux only).

    A copy that stalls for longer than the settle time would otherwise look finished.
    Best effort: other users' processes and other machines (SMB) are invisible.
    """
    try:
        target = os.path.realpath(path)
    except OSError:
        return False
    return target in files_open_for_writing(proc)


def files_open_for_writing(proc: Path = Path("/proc")) -> set[str]:
    """Real paths of every file a visible process has open for writing: one walk of /proc
    serves any number of files (a start-up with a thousand files in the inbox)."""
    found: set[str] = set()
    if not proc.is_dir():
        return found
    me = str(os.getpid())
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit() or pid_dir.name == me:
            continue
        try:
            fds = list((pid_dir / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
                if not target.startswith("/") or target in found:
                    continue
                flags = (pid_dir / "fdinfo" / fd.name).read_text()
            except OSError:
                continue
            if _writable(flags):
                found.add(target)
    return found


def _writable(fdinfo: str) -> bool:
    for line in fdinfo.splitlines():
        if line.startswith("flags:"):
            mode = int(line.split()[1], 8) & os.O_ACCMODE
            return mode in (os.O_WRONLY, os.O_RDWR)
    return False
