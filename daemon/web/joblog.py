"""The last log lines of each job, kept in memory for the job's page.

A loguru sink added while the page runs; lines arrive already redacted by the patcher
that log.setup installs, and only lines bound to a job are kept.
"""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from loguru import Message

LINES_PER_JOB = 30
# Enough for every job a page is likely to be opened for; older ones drop out first.
JOBS_KEPT = 500


class JobLog:
    """A bounded memory of recent log lines per job id."""

    def __init__(self) -> None:
        self._lines: collections.OrderedDict[int, collections.deque[str]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self._sink_id: int | None = None

    def attach(self) -> None:
        self._sink_id = logger.add(self._sink, level="INFO", format="{message}", catch=True)

    def detach(self) -> None:
        if self._sink_id is not None:
            logger.remove(self._sink_id)
            self._sink_id = None

    def _sink(self, message: Message) -> None:
        record = message.record
        job = record["extra"].get("job")
        if not isinstance(job, int):
            return
        line = f"{record['time']:%H:%M:%S} {record['level'].name:<7} {record['message']}"
        self.add(job, line)

    def add(self, job: int, line: str) -> None:
        with self._lock:
            lines = self._lines.get(job)
            if lines is None:
                lines = self._lines[job] = collections.deque(maxlen=LINES_PER_JOB)
                while len(self._lines) > JOBS_KEPT:
                    self._lines.popitem(last=False)
            lines.append(line)

    def lines(self, job: int) -> list[str]:
        with self._lock:
            return list(self._lines.get(job, ()))
