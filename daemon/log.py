"""Logging: loguru configured once, in main(); secrets redacted from every line."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import TYPE_CHECKING

from loguru import logger

from daemon.config import WEB_PASSWORD_ENV, WEBHOOK_SECRET_ENV

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
JOURNAL_STREAM_ENV = "JOURNAL_STREAM"
# sd-daemon(3) priority prefixes, so `journalctl -p warning` shows warnings and failures.
JOURNAL_PRIORITY = {
    "TRACE": 7,
    "DEBUG": 7,
    "INFO": 6,
    "SUCCESS": 5,
    "WARNING": 4,
    "ERROR": 3,
    "CRITICAL": 2,
}


def journal_prefix(level: str) -> str:
    """The `<N>` prefix journald reads as the line's priority (info for unknown levels)."""
    return f"<{JOURNAL_PRIORITY.get(level, 6)}>"


def stderr_is_journal(env: dict[str, str] | os._Environ[str], fd: int = 2) -> bool:
    """True when `fd` is the journal stream systemd connected ($JOURNAL_STREAM=dev:inode):
    a child started from the service with its stderr redirected elsewhere is not."""
    value = env.get(JOURNAL_STREAM_ENV, "")
    dev, _, ino = value.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


def printable(text: str) -> str:
    """`text` (a file name) safe to show on one terminal line: control characters as
    escapes (\\n, \\x1b) and the undecodable bytes of a non-UTF-8 name as \\xNN."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the raw byte it stands for
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F:
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


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
    secrets = tuple(
        os.environ.get(name, "") for name in (TOKEN_ENV, WEBHOOK_SECRET_ENV, WEB_PASSWORD_ENV)
    )

    def patch(record: Record) -> None:
        record["message"] = redact(record["message"], secrets)
        if record["exception"] is not None:
            # Tracebacks are formatted later from the exception; redact its text too.
            exc = record["exception"].value
            if exc is not None and exc.args:
                exc.args = tuple(
                    redact(str(a), secrets) if isinstance(a, str) else a for a in exc.args
                )
        # A continuation line (a multi-line error, a file name with a newline in it) is
        # indented, so it can never pass for a log line of its own.
        record["message"] = record["message"].replace("\n", "\n    ")
        job = record["extra"].get("job")
        record["extra"]["prefix"] = f"[job {job}] " if job is not None else ""
        if under_journald:
            priority = journal_prefix(record["level"].name)
            record["extra"]["priority"] = priority
            # journald reads each line on its own: every line of a message keeps its priority.
            record["message"] = record["message"].replace("\n", "\n" + priority)

    under_journald = stderr_is_journal(os.environ)
    fmt = (
        "{extra[priority]}{level: <7} {extra[prefix]}{message}"
        if under_journald
        else ("{time:YYYY-MM-DD HH:mm:ss} {level: <7} {extra[prefix]}{message}")
    )
    logger.remove()
    logger.configure(patcher=patch, extra={"prefix": "", "priority": ""})
    logger.add(
        sys.stderr, level=level.upper(), format=fmt, colorize=False, backtrace=False, diagnose=False
    )
    # Libraries that log through the standard library (APScheduler's "missed by" and
    # "skipped: maximum number of running instances" warnings) get the same format,
    # redaction and journald priorities.
    logging.basicConfig(handlers=[StdlibToLoguru()], level=logging.WARNING, force=True)


class StdlibToLoguru(logging.Handler):
    """Hands standard-library log records to loguru, at their level."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(
            level, "{}: {}", record.name, record.getMessage()
        )
