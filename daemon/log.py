"""Logging: loguru configured once, in main(); secrets redacted from every line."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

TOKEN_ENV = "NEMO_TOKEN"  # noqa: S105 - the variable's name, not a secret
# NemoVideo tokens look like nmv_usr_…; bearer headers and ?token= query strings too.
_SECRET_PATTERNS = (
    re.compile(r"nmv_[A-Za-z0-9_\-.]{4,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-.=]+"),
    re.compile(r"(?i)((?:token|authorization)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9_\-.]{8,}"),
)
REDACTED = "[redacted]"


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """Replace anything that looks like a token (and the given secret values) in `text`."""
    for secret in extra:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _SECRET_PATTERNS[0].sub(REDACTED, text)
    for pattern in _SECRET_PATTERNS[1:]:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def setup(level: str = "INFO") -> None:
    """Send logs to stderr: with timestamps in a terminal, without under journald
    (which stamps lines itself). The job id is bound on every job line."""
    secrets = (os.environ.get(TOKEN_ENV, ""),)

    def patch(record: Record) -> None:
        record["message"] = redact(record["message"], secrets)
        if record["exception"] is not None:
            # Tracebacks are formatted later from the exception; redact its text too.
            exc = record["exception"].value
            if exc is not None and exc.args:
                exc.args = tuple(
                    redact(str(a), secrets) if isinstance(a, str) else a for a in exc.args
                )
        job = record["extra"].get("job")
        record["extra"]["prefix"] = f"[job {job}] " if job is not None else ""

    under_journald = "JOURNAL_STREAM" in os.environ
    fmt = (
        "{level: <7} {extra[prefix]}{message}"
        if under_journald
        else ("{time:YYYY-MM-DD HH:mm:ss} {level: <7} {extra[prefix]}{message}")
    )
    logger.remove()
    logger.configure(patcher=patch, extra={"prefix": ""})
    logger.add(
        sys.stderr, level=level.upper(), format=fmt, colorize=False, backtrace=False, diagnose=False
    )
