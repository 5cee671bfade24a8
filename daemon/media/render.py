"""Run one ffmpeg process: progress, timeout, cancellation and readable errors.

This is the only place that starts ffmpeg for a render, so every render gets the same
treatment: `-progress pipe:1` turned into a percentage, a timeout, termination when the
daemon shuts down, and ffmpeg's own error lines in the job's error when it fails.
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO

from daemon.errors import Cancelled, PermanentError, TransientError
from daemon.media.ffmpeg_errors import ErrorLog, cause
from daemon.media.tools import FFMPEG_HELP, quiet_args

# An analysis pass logs at info level (its results are info lines), so its error is in
# the last lines it printed, not the first.
_ANALYSIS_ERROR_LINES = 6
# Seconds between SIGTERM and SIGKILL: ffmpeg normally finishes its trailer in well under this.
_TERMINATE_GRACE = 5.0
_POLL = 0.25
_TRANSIENT_MARKERS = ("No space left on device", "Resource temporarily unavailable")


def progress_args() -> tuple[str, ...]:
    """The flags every render carries so run_ffmpeg can report progress and errors."""
    return (*quiet_args(), "-nostats", "-progress", "pipe:1")


def parse_progress(line: str, expected: float) -> float | None:
    """Given one `-progress` line and the expected output duration, return 0-100 or None."""
    key, _, value = line.strip().partition("=")
    if key in ("out_time_us", "out_time_ms") and value.strip().lstrip("-").isdigit():
        # ffmpeg writes microseconds under both names (out_time_ms is a historic misnomer).
        seconds = int(value) / 1_000_000
        return max(0.0, min(100.0, 100.0 * seconds / expected)) if expected > 0 else None
    if key == "progress" and value.strip() == "end":
        return 100.0
    return None


def run_ffmpeg(
    argv: Sequence[str],
    *,
    expected_duration: float,
    timeout: float,
    on_progress: Callable[[float], None] = lambda _p: None,
    on_start: Callable[[int], None] = lambda _pid: None,
    cancel: threading.Event | None = None,
) -> None:
    """Run ffmpeg to completion.

    Raise PermanentError with ffmpeg's words for the cause when it fails or times out,
    TransientError when it was cancelled (shutdown) or the disk was full.
    """
    cancel = cancel or threading.Event()
    proc = _start(argv, subprocess.PIPE)
    on_start(proc.pid)
    errors = ErrorLog()

    def report(pct: float) -> None:
        # ffmpeg says "progress=end" when it is stopped or fails too: 100 % is only said
        # below, once it exited cleanly (a cancelled render never logs "render 100 %").
        if pct < 100.0:
            on_progress(pct)

    readers = [
        threading.Thread(
            target=_read_progress, args=(proc.stdout, expected_duration, report), daemon=True
        ),
        threading.Thread(target=_read_errors, args=(proc.stderr, errors), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    outcome = _wait(proc, cancel, deadline)
    for reader in readers:
        reader.join(timeout=2)
    _raise_for(outcome, proc, errors.lines(), timeout, "ffmpeg")
    on_progress(100.0)


def _start(argv: Sequence[str], stdout: int) -> subprocess.Popen[str]:
    """Start ffmpeg. Raise PermanentError when the binary is gone (uninstalled, moved
    since the daemon started): retrying cannot help until someone installs it."""
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise PermanentError(f"cannot run {argv[0]} ({exc.strerror}): {FFMPEG_HELP}") from None


def _raise_for(
    outcome: str, proc: subprocess.Popen[str], error_lines: Sequence[str], timeout: float, what: str
) -> None:
    """Turn how an ffmpeg process ended into the JobError a person can act on."""
    if outcome == "cancelled":
        raise Cancelled
    if outcome == "timeout":
        raise PermanentError(f"{what} took longer than {timeout:.0f} s and was stopped")
    if proc.returncode != 0:
        detail = cause(error_lines) or f"exit code {proc.returncode}"
        # A full disk can be reported by any stage, so every kept line is searched.
        if any(marker in line for line in error_lines for marker in _TRANSIENT_MARKERS):
            raise TransientError(f"{what} failed: {detail}")
        raise PermanentError(f"{what} failed: {detail}")


def _wait(proc: subprocess.Popen[str], cancel: threading.Event, deadline: float) -> str:
    exited = _exit_waiter(proc)
    try:
        while True:
            if exited.wait(_POLL):
                proc.wait()
                return "exited"
            if cancel.is_set() or time.monotonic() > deadline:
                _terminate(proc)
                return "cancelled" if cancel.is_set() else "timeout"
    finally:
        exited.close()


class _PollWait:
    """Popen.wait with a timeout: it polls with sleeps that grow to 50 ms, so a process
    that ended is noticed ~25 ms (up to 50) later."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; return whether the process ended."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        pass


class _PidfdWait(_PollWait):
    """Waits on a pidfd (Linux 5.3+): wakes the moment the process ends."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        super().__init__(proc)
        self.fd = os.pidfd_open(proc.pid)

    def wait(self, timeout: float) -> bool:
        return bool(select.select([self.fd], [], [], timeout)[0])

    def close(self) -> None:
        os.close(self.fd)


def _exit_waiter(proc: subprocess.Popen[str]) -> _PollWait:
    try:
        return _PidfdWait(proc)
    except (AttributeError, OSError):  # not Linux 5.3+
        return _PollWait(proc)


def _terminate(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=_TERMINATE_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read_progress(
    stream: IO[str] | None, expected: float, on_progress: Callable[[float], None]
) -> None:
    if stream is None:
        return
    for line in stream:
        pct = parse_progress(line, expected)
        if pct is not None:
            on_progress(pct)


def _read_errors(stream: IO[str] | None, errors: ErrorLog) -> None:
    if stream is None:
        return
    for line in stream:
        errors.add(line)


def run_analysis(
    argv: Sequence[str], *, timeout: float, cancel: threading.Event | None = None
) -> str:
    """Run an analysis pass (silencedetect, vidstabdetect) and return its stderr.

    Raise like run_ffmpeg: PermanentError on failure or timeout, TransientError on cancel.
    """
    cancel = cancel or threading.Event()
    proc = _start(argv, subprocess.DEVNULL)
    lines: list[str] = []
    reader = threading.Thread(target=_collect, args=(proc.stderr, lines), daemon=True)
    reader.start()
    outcome = _wait(proc, cancel, time.monotonic() + timeout)
    reader.join(timeout=2)
    _raise_for(outcome, proc, lines[-_ANALYSIS_ERROR_LINES:], timeout, "ffmpeg analysis")
    return "".join(lines)


def _collect(stream: IO[str] | None, lines: list[str]) -> None:
    if stream is None:
        return
    lines.extend(stream)
