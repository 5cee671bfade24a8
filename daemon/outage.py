"""Saying that something is out of reach without saying it every second.

A shared ledger down for an hour was a warning on every tick and heartbeat: thousands of
lines that buried the one that mattered. An Outage says it once, reminds every
`remind` seconds while it lasts, and says once when it is over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loguru import logger

REMIND_SECONDS = 600.0


class Outage:
    def __init__(
        self,
        what: str,
        *,
        remind: float = REMIND_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.remind = remind
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None  # when the outage began; None while reachable
        self._said = 0.0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, doing: str, exc: BaseException) -> None:
        """`doing` failed because of the outage (`exc`): warn if it is news or due again."""
        now = self._clock()
        with self._lock:
            if self._since is None:
                self._since = self._said = now
                logger.warning(
                    "{} is out of reach ({}: {}); will keep trying", self.what, doing, exc
                )
            elif now - self._said >= self.remind:
                self._said = now
                logger.warning(
                    "{} still out of reach after {:.0f} min ({}: {})",
                    self.what,
                    (now - self._since) / 60,
                    doing,
                    exc,
                )
            else:
                logger.debug("{}: {} failed again: {}", self.what, doing, exc)

    def ok(self) -> None:
        """A call went through: if there was an outage, say it is over."""
        with self._lock:
            if self._since is None:
                return
            lasted, self._since = self._clock() - self._since, None
        logger.info("{} is reachable again (after {:.0f} s)", self.what, lasted)
