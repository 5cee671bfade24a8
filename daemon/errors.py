"""The exceptions videofree raises, and what each one tells a caller to do.

    VideofreeError
     ├── ConfigError            rules.yaml is wrong; names file:line: key
     └── JobError               one job could not be done; carries a reason a person can read
          ├── TransientError    try again later, with backoff (network, 5xx, timeouts)
          └── PermanentError    trying again will not help (corrupt video, refused upload)

A JobError may also say:
  * ``fallback_ok``  — the rule's fallback engine may make the output instead
                       (cloud unreachable, out of credits, export refused);
  * ``pause_engine`` — stop starting jobs on this engine until the daemon restarts
                       or the engine says it is usable again (out of credits).

Engine-specific errors (e.g. ``NemoError``) subclass these, so the scheduler never needs
to know an engine's details to decide between retry, fallback and failure.
"""

from __future__ import annotations

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
