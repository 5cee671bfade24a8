"""Decide when a file is completely written: size and mtime unchanged for a while (pure)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class _Observation:
    size: int
    mtime_ns: int
    stable_since: float


class SettleTracker:
    """Tracks candidate files; a file is due once its size and mtime have not changed for
    `settle_seconds`. The clock is injected so tests can drive time."""

    def __init__(self, settle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle_seconds = settle_seconds
        self._clock = clock
        self._seen: dict[Path, _Observation] = {}

    def observe(self, path: Path, size: int, mtime_ns: int, age: float = 0.0) -> None:
        """Record the file's current size and mtime; any change restarts its wait.

        `age` is how long the file's own mtime says this state has held already (a write
        always moves the mtime). It is credited up to the settle time, so a file is not
        kept waiting for the moments between its last write and our first look at it.
        A future mtime (clock skew on a share) counts as 0.
        """
        now = self._clock()
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (size, mtime_ns):
            credit = min(max(age, 0.0), self.settle_seconds)
            self._seen[path] = _Observation(size, mtime_ns, now - credit)

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def pending(self) -> list[Path]:
        return list(self._seen)

    def due(self) -> list[Path]:
        """Paths whose size and mtime have been stable for settle_seconds."""
        now = self._clock()
        return [p for p, s in self._seen.items() if now - s.stable_since >= self.settle_seconds]

    def __contains__(self, path: object) -> bool:
        return path in self._seen
