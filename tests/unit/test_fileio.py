"""Fingerprints, readability, and detecting a file another process is still writing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from daemon.fileio import (
    file_facts,
    files_open_for_writing,
    fingerprint,
    open_for_writing,
    readable,
)
from daemon.intake import FileKind

# The child opens the file, says so, and keeps it open until its stdin closes.
_HOLDER = (
    "import sys; f = open(sys.argv[1], sys.argv[2]); print('open', flush=True); sys.stdin.read()"
)


@contextmanager
def held_open(path: Path, mode: str) -> Iterator[int]:
    """Run a child process holding `path` open in `mode`; yield its pid."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "open"
        yield proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_fingerprint_follows_content_not_name(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.mov", tmp_path / "b.mov", tmp_path / "c.mov"
    a.write_bytes(b"x" * 3_000_000)
    b.write_bytes(b"x" * 3_000_000)
    c.write_bytes(b"x" * 1_500_000 + b"y" + b"x" * 1_499_999)  # same size, same ends
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)
    assert fingerprint(a).startswith(f"{3_000_000:x}-")


def test_fingerprint_of_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e").write_bytes(b"")
    (tmp_path / "z").write_bytes(b"\0")
    assert fingerprint(tmp_path / "e").startswith("0-")
    assert fingerprint(tmp_path / "e") != fingerprint(tmp_path / "z")


def test_readable(tmp_path: Path) -> None:
    f = tmp_path / "a.mov"
    f.write_bytes(b"data")
    assert readable(f)
    assert not readable(tmp_path / "missing.mov")
    assert not readable(tmp_path)  # a folder is not a readable file


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without permission")
def test_unreadable_file(tmp_path: Path) -> None:
    f = tmp_path / "a.mov"
    f.write_bytes(b"data")
    f.chmod(0)
    assert not readable(f)


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("mode", "writing"), [("ab", True), ("r+b", True), ("wb", True), ("rb", False)]
)
def test_open_for_writing_sees_a_child_process(tmp_path: Path, mode: str, writing: bool) -> None:
    f = tmp_path / "copying.mov"
    f.write_bytes(b"partial")
    assert not open_for_writing(f)
    with held_open(f, mode):
        assert open_for_writing(f) is writing
    assert not open_for_writing(f)


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
def test_open_for_writing_resolves_symlinks(tmp_path: Path) -> None:
    f = tmp_path / "real.mov"
    f.write_bytes(b"partial")
    link = tmp_path / "link.mov"
    link.symlink_to(f)
    with held_open(f, "ab"):
        assert open_for_writing(link)
    other = tmp_path / "other.mov"
    other.write_bytes(b"x")
    with held_open(other, "ab"):
        assert not open_for_writing(f)


def test_open_for_writing_without_proc_is_false(tmp_path: Path) -> None:
    f = tmp_path / "a.mov"
    f.write_bytes(b"x")
    assert not open_for_writing(f, proc=tmp_path / "no-proc")


def test_fingerprint_stops_at_shutdown(tmp_path: Path) -> None:
    import threading

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (3 * 1024 * 1024))
    stop = threading.Event()
    assert fingerprint(big, stop) == fingerprint(big)
    stop.set()
    with pytest.raises(InterruptedError):
        fingerprint(big, stop)


def test_file_facts_of_a_file_a_fifo_and_a_missing_path(tmp_path: Path) -> None:
    video = tmp_path / "a.mov"
    video.write_bytes(b"12345")
    facts = file_facts(video)
    assert (facts.kind, facts.size, facts.mtime_ns) == (
        FileKind.FILE,
        5,
        video.stat().st_mtime_ns,
    )
    fifo = tmp_path / "pipe.mov"
    os.mkfifo(fifo)
    # A FIFO is never opened (that would block until someone writes to it).
    assert file_facts(fifo, writers=set()).kind is FileKind.OTHER
    assert file_facts(tmp_path / "gone.mov").kind is FileKind.MISSING


def test_file_facts_with_writers_sees_a_file_still_open_for_writing(tmp_path: Path) -> None:
    video = tmp_path / "b.mov"
    video.write_bytes(b"x")
    with held_open(video, "ab"):
        facts = file_facts(video, files_open_for_writing())
        assert (facts.readable, facts.open_for_writing) == (True, True)
    facts = file_facts(video, files_open_for_writing())
    assert (facts.readable, facts.open_for_writing) == (True, False)
