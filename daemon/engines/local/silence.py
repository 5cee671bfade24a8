"""Read silencedetect's log into (start, end) silences (pure)."""

from __future__ import annotations

import re

_START = re.compile(r"silence_start:\s*(-?\d+(?:\.\d+)?)")
_END = re.compile(r"silence_end:\s*(-?\d+(?:\.\d+)?)")


def parse_silences(log: str, duration: float) -> tuple[tuple[float, float], ...]:
    """Given silencedetect's stderr and the clip's length, return the silences in order.

    A silence still open at the end of the file (no silence_end) runs to `duration`.
    """
    found: list[tuple[float, float]] = []
    start: float | None = None
    for line in log.splitlines():
        if (m := _START.search(line)) is not None:
            start = max(0.0, float(m[1]))
        elif (m := _END.search(line)) is not None and start is not None:
            found.append((start, min(float(m[1]), duration)))
            start = None
    if start is not None and start < duration:
        found.append((start, duration))
    return tuple(found)
