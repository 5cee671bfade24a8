"""The exceptions videofree raises, and what each one tells a caller to do.

    VideofreeError
     ├── ConfigError            rules.yaml is wrong; names file:line: key
     ├── LedgerError            jobs.db cannot be used (corrupt: moved aside; locked)
     └── JobError               one job could not be done; carries a reason a person can read
          ├── TransientError    try again later, with backoff (network, 5xx, timeouts)
          │    └── Cancelled    stopped by shutdown: resumes at the next start, no attempt spent
          └── PermanentError    trying again will not help (corrupt video, refused upload)

`from_os_error` turns a filesystem error (scratch file, delivery) into the one of these
that says what to do; anything else that escapes a job is a bug, its `status` line
worded by `internal_error` ("internal error (...); see the log").

A JobError may also say:
  * ``fallback_ok``  — the rule's fallback engine may make the output instead
                       (cloud unreachable, out of credits, export refused);
  * ``pause_engine`` — stop starting jobs on this engine until the daemon restarts
                       or the engine says it is usable again (out of credits).

Engine-specific errors (e.g. ``NemoError``) subclass these, so the scheduler never needs
to know an engine's details to decide between retry, fallback and failure.
"""

from __future__ import annotations

import errno
from pathlib import Path


class VideofreeError(Exception):
    """Base of every error videofree raises on purpose."""


class ConfigError(VideofreeError):
    """A configuration file is invalid.

    Rendered as ``rules.yaml:14: rules[2].glob: expected a string or a list of strings``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file.name if self.line is None else f"{self.file.name}:{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class ConfigErrors(ConfigError):
    """Several ConfigErrors found in one file, reported together."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))

    def render(self) -> str:
        return "\n".join(e.render() for e in getattr(self, "errors", []))


class LedgerError(VideofreeError):
    """The job ledger cannot be opened; the message says what happened and what to do."""


class JobError(VideofreeError):
    """A job failed; ``reason`` is one line a person can act on."""

    def __init__(
        self, reason: str, *, fallback_ok: bool = False, pause_engine: bool = False
    ) -> None:
        self.reason = reason
        self.fallback_ok = fallback_ok
        self.pause_engine = pause_engine
        super().__init__(reason)


class TransientError(JobError):
    """Retry later: the cause is expected to go away (network, 5xx, 429, timeouts)."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        fallback_ok: bool = False,
        pause_engine: bool = False,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(reason, fallback_ok=fallback_ok, pause_engine=pause_engine)


class PermanentError(JobError):
    """Do not retry: the same input will fail the same way."""


class Cancelled(TransientError):
    """The daemon is shutting down: the job stops here and resumes at the next start."""

    def __init__(self) -> None:
        super().__init__("stopped by shutdown; the job will resume")


# errno → (transient?, what a person can do about it). Errors not listed are transient:
# retried with backoff a few times, then failed with their own text.
_OS_ERRORS: dict[int, tuple[bool, str]] = {
    errno.ENOSPC: (True, "the disk is full; free some space"),
    errno.EDQUOT: (True, "the disk quota is used up; free some space"),
    errno.EIO: (True, "the disk or network share reported an I/O error"),
    errno.EAGAIN: (True, "the file was busy"),
    errno.ETIMEDOUT: (True, "the network share did not answer"),
    errno.EACCES: (False, "permission denied; let videofree's user write there"),
    errno.EPERM: (False, "operation not permitted; let videofree's user write there"),
    errno.EROFS: (False, "the filesystem is read-only"),
    errno.ENOTDIR: (False, "a part of the path is a file, not a folder"),
    errno.EEXIST: (False, "a file is in the way of a folder videofree needs"),
    errno.ENAMETOOLONG: (False, "the name is too long; shorten output_name"),
    errno.ENOENT: (False, "the folder or file no longer exists"),
}


def from_os_error(exc: OSError, doing: str) -> JobError:
    """Given a filesystem error and what the job was doing ("writing the output in
    ~/Videos"), return the TransientError or PermanentError to raise in its place."""
    transient, advice = _OS_ERRORS.get(exc.errno or 0, (True, exc.strerror or str(exc)))
    where = f" ({exc.filename})" if exc.filename else ""
    reason = f"{doing}: {advice}{where}"
    return TransientError(reason) if transient else PermanentError(reason)


def internal_error(exc: Exception) -> str:
    """The `status` line for a bug: short; the traceback is in the log."""
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"internal error ({type(exc).__name__}{': ' + first if first else ''}); see the log"
