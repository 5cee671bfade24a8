"""What the pages show, computed from ledger records without I/O (sizes and durations
are passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.events import IGNORED_NOTE_PREFIX, ignored_words
from daemon.ledger import JobRecord, JobState

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def age(when: datetime, now: datetime) -> str:
    """'12 s', '5 min', '3 h', '2 d' ago."""
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return ""  # unreachable


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))


def page_of(number: str | None, size: str | None, total: int, default: int = PAGE_SIZE) -> Page:
    """Given the query's page and per-page (untrusted text), return a valid Page."""
    n = int(number) if number and number.isdigit() else 1
    s = int(size) if size and size.isdigit() else default
    s = min(max(1, s), MAX_PAGE_SIZE)
    page = Page(1, s, total)
    return Page(min(max(1, n), page.last), s, total)


def state_filter(value: str | None) -> JobState | None:
    try:
        return JobState(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Row:
    """One job as the list and the job page show it."""

    job: JobRecord
    age: str
    output_size: str
    output_duration: str
    ignored: tuple[str, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes besides the ignored words (shown under their own heading)."""
        return tuple(n for n in self.job.notes if not n.startswith(IGNORED_NOTE_PREFIX))

    @property
    def retryable(self) -> bool:
        return self.job.state in (JobState.FAILED, JobState.DONE)


def row(
    job: JobRecord, now: datetime, size: int | None = None, duration: float | None = None
) -> Row:
    return Row(
        job=job,
        age=age(job.created_at, now),
        output_size=human_size(size),
        output_duration=human_duration(duration),
        ignored=ignored_words(job.notes),
    )
