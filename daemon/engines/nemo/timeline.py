"""Read a NemoVideo draft (the session's timeline) and say it in one line.

The draft uses short keys: `t` tracks, `tt` track type (0 video, 1 audio, 7 text),
`sg` segments, `d` duration in ms, `m` metadata. The draft carries no start times we rely
on, so a track's span is its segments laid end to end from 0.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TRACK_LABELS = {0: "Video", 1: "BGM", 7: "Title"}


@dataclass(frozen=True)
class Track:
    kind: int | None
    segments: int
    duration_ms: int

    @property
    def label(self) -> str:
        if self.kind is None:
            return "Track"
        return TRACK_LABELS.get(self.kind, f"Track type {self.kind}")


@dataclass(frozen=True)
class Timeline:
    tracks: tuple[Track, ...]

    @property
    def segments(self) -> int:
        return sum(t.segments for t in self.tracks)

    @property
    def exportable(self) -> bool:
        """True when some track has segments: otherwise there is nothing to render."""
        return self.segments > 0


def parse_draft(draft: Mapping[str, Any] | None) -> Timeline:
    """Given a draft (or None), return its Timeline; unknown shapes count as empty."""
    if not draft:
        return Timeline(tracks=())
    raw_tracks = draft.get("t")
    if not isinstance(raw_tracks, list):
        return Timeline(tracks=())
    return Timeline(tracks=tuple(_track(t) for t in raw_tracks if isinstance(t, Mapping)))


def _track(raw: Mapping[str, Any]) -> Track:
    kind = raw.get("tt")
    segments = raw.get("sg")
    items = [s for s in segments if isinstance(s, Mapping)] if isinstance(segments, list) else []
    return Track(
        kind=kind if isinstance(kind, int) and not isinstance(kind, bool) else None,
        segments=len(items),
        duration_ms=sum(_ms(s.get("d")) for s in items),
    )


def _ms(value: object) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return 0


def _seconds(ms: int) -> str:
    seconds = ms / 1000
    return f"{seconds:.0f}" if seconds == int(seconds) else f"{seconds:.1f}"


def summary(timeline: Timeline) -> str:
    """E.g. `Timeline (3 tracks): Video 0-10s; BGM 0-10s; Title 0-3s`."""
    count = len(timeline.tracks)
    noun = "track" if count == 1 else "tracks"
    if not count:
        return "Timeline (0 tracks): empty"
    parts = [
        f"{t.label} 0-{_seconds(t.duration_ms)}s" if t.segments else f"{t.label} (empty)"
        for t in timeline.tracks
    ]
    return f"Timeline ({count} {noun}): " + "; ".join(parts)


def fingerprint(draft: Mapping[str, Any] | None) -> str:
    """A short stable digest of a draft, to tell whether an edit changed it."""
    canonical = json.dumps(draft, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
