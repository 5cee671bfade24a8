"""/metrics in the Prometheus text format (version 0.0.4), written without a client library.

Gauges come from the ledger at scrape time (jobs by state, queue length); counters and the
render-time histogram count the job events seen since the daemon started, as Prometheus
counters do (a restart resets them; rate() copes).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from loguru import logger

from daemon.events import EventKind, JobEvent

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Phone clips render in seconds to tens of minutes.
RENDER_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
# The credit balance is asked for at most this often, whatever the scrape interval.
CREDITS_MAX_AGE = 600.0


@dataclass
class Histogram:
    bounds: tuple[float, ...] = RENDER_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(RENDER_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value


@dataclass
class Counters:
    """What the events since start added up to."""

    render_seconds: Histogram = field(default_factory=Histogram)
    bytes_in: int = 0
    bytes_out: int = 0
    events: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    jobs_by_state: Mapping[str, int]
    counters: Counters
    credits: float | None


def render(snap: Snapshot) -> str:
    """Given a snapshot, return the exposition text."""
    out: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")

    family("videofree_jobs", "gauge", "Jobs in the ledger by state.")
    out += [f'videofree_jobs{{state="{s}"}} {n}' for s, n in sorted(snap.jobs_by_state.items())]
    family("videofree_queue_length", "gauge", "Jobs waiting to run.")
    out.append(f"videofree_queue_length {snap.jobs_by_state.get('queued', 0)}")
    c = snap.counters
    family("videofree_job_events_total", "counter", "Job events since the daemon started.")
    out += [f'videofree_job_events_total{{kind="{k}"}} {n}' for k, n in sorted(c.events.items())]
    family("videofree_render_seconds", "histogram", "Time from claim to delivery of done jobs.")
    cumulative = 0
    for bound, count in zip(
        (*c.render_seconds.bounds, float("inf")), c.render_seconds.counts, strict=True
    ):
        cumulative += count
        le = "+Inf" if bound == float("inf") else f"{bound:g}"
        out.append(f'videofree_render_seconds_bucket{{le="{le}"}} {cumulative}')
    out.append(f"videofree_render_seconds_sum {c.render_seconds.total:.3f}")
    out.append(f"videofree_render_seconds_count {cumulative}")
    family("videofree_bytes_in_total", "counter", "Bytes of source video in done jobs.")
    out.append(f"videofree_bytes_in_total {c.bytes_in}")
    family("videofree_bytes_out_total", "counter", "Bytes of delivered video.")
    out.append(f"videofree_bytes_out_total {c.bytes_out}")
    if snap.credits is not None:
        family("videofree_nemo_credits", "gauge", "NemoVideo credits available.")
        out.append(f"videofree_nemo_credits {snap.credits:g}")
    return "\n".join(out) + "\n"


class MetricsListener:
    """A job-event listener that adds each outcome to the counters."""

    def __init__(
        self,
        render_time: Callable[[int], tuple[datetime | None, datetime | None]],
        size_of: Callable[[Sequence[object]], int],
    ) -> None:
        self._render_time = render_time
        self._size_of = size_of
        self._lock = threading.Lock()
        self._counters = Counters()

    def __call__(self, event: JobEvent) -> None:
        seconds: float | None = None
        bytes_in = 0
        if event.kind is EventKind.DONE:
            started, finished = self._render_time(event.job_id)
            if started is not None and finished is not None:
                seconds = max(0.0, (finished - started).total_seconds())
            bytes_in = self._size_of(list(event.sources))
        with self._lock:
            c = self._counters
            c.events[str(event.kind)] = c.events.get(str(event.kind), 0) + 1
            if event.kind is EventKind.DONE:
                c.bytes_in += bytes_in
                c.bytes_out += event.size or 0
                if seconds is not None:
                    c.render_seconds.observe(seconds)

    def counters(self) -> Counters:
        with self._lock:
            c = self._counters
            return Counters(
                Histogram(
                    c.render_seconds.bounds, list(c.render_seconds.counts), c.render_seconds.total
                ),
                c.bytes_in,
                c.bytes_out,
                dict(c.events),
            )


class CreditsCache:
    """The NemoVideo balance, asked for at most every CREDITS_MAX_AGE seconds."""

    def __init__(
        self, fetch: Callable[[], float] | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._value: float | None = None
        self._at: float | None = None
        self._lock = threading.Lock()

    def get(self) -> float | None:
        if self._fetch is None:
            return None
        with self._lock:
            now = self._clock()
            if self._at is None or now - self._at >= CREDITS_MAX_AGE:
                self._at = now
                try:
                    self._value = self._fetch()
                except Exception as exc:
                    logger.info("NemoVideo credits unavailable for the page: {}", exc)
                    self._value = None
            return self._value
