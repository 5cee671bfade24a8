"""EditPlan + MediaInfo → the timeline: which stretches of which inputs, in what order,
at what frame rate and size, and how long the output is (pure arithmetic, no ffmpeg).

Every time is snapped to the output frame grid, so the planned duration (which the progress
percentage and the tests use) is what ffmpeg produces. The engine computes the timeline
once per render and hands it to the filter-graph builder (ffmpeg.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from daemon.editplan.plan import REVERSE_MAX_SECONDS, EditPlan, Span, Trim, even
from daemon.errors import PermanentError
from daemon.media.probe import MediaInfo

# Rates a phone or an editor would use; a VFR clip's average rate snaps to the nearest.
STANDARD_RATES = (
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
)
MAX_RATE = Fraction(60)
# A kept stretch shorter than this many output frames is dropped (not worth a join).
MIN_FRAMES = 2
# A transition may take at most this share of the shorter clip it joins, so a short clip
# is never swallowed by the overlap; below two frames a transition becomes a cut.
TRANSITION_SHARE = 0.45


@dataclass(frozen=True)
class Piece:
    """One kept stretch of one input, in seconds of that input; `overlap` is the
    transition into it from the previous piece (0 = a hard cut)."""

    source: int
    start: float
    end: float
    overlap: float = 0.0
    # Per-range speed ("the first 5 s in slow motion"); `length` is its output seconds.
    speed: float = 1.0
    length: float = 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Timeline:
    """The pieces in output order and the output frame rate and size."""

    pieces: tuple[Piece, ...]
    rate: Fraction
    width: int
    height: int
    total: float

    @property
    def joined(self) -> float:
        """Length of the joined pieces before speed and the length cap."""
        return sum(p.length for p in self.pieces) - sum(p.overlap for p in self.pieces)


# --- sizes and rates -------------------------------------------------------------------------


def target_size(info: MediaInfo, box: tuple[int, int], rotate: int = 0) -> tuple[int, int]:
    """Given an input and the output's box (long side, short side), return (width, height),
    both even: the displayed shape (after an extra `rotate`) as large as fits the box turned
    the clip's way. At 1080p a landscape clip fits 1920x1080 and a portrait one 1080x1920,
    so a 4:3 clip is 1440x1080 and a square one 1080x1080, as "1:1" gives. (The long side
    alone made a 4:3 clip 1920x1440 and a square one 1920x1920: more than 1080p.)"""
    w, h = info.display_width, info.display_height
    if rotate in (90, 270):
        w, h = h, w
    long_side, short_side = box
    scale = min(long_side / max(w, h), short_side / min(w, h))
    return even(w * scale), even(h * scale)


def frame_size(plan: EditPlan, inputs: Sequence[MediaInfo]) -> tuple[int, int]:
    """The output (width, height): the first clip's shape, or the asked aspect at the asked
    resolution (9:16 at 1080p is 1080x1920; 1:1 is 1080x1080)."""
    short, long = even(plan.resolution), plan.long_side
    if plan.aspect == "source":
        return target_size(inputs[0], (long, short), plan.rotate)
    return {
        "9:16": (short, long),
        "16:9": (long, short),
        "1:1": (short, short),
        "4:5": (short, even(short * 5 / 4)),
    }[plan.aspect]


def output_rate(inputs: Sequence[MediaInfo], asked: float | None = None) -> Fraction:
    """The constant output frame rate: the asked one ("60fps"), else the fastest input's
    rate, snapped to a standard one (29.97 → 30000/1001)."""
    if asked is not None:
        near = min(STANDARD_RATES, key=lambda r: abs(float(r) - asked))
        return near if abs(float(near) - asked) < 0.01 else Fraction(asked).limit_denominator(1001)
    fastest = max((i.fps for i in inputs if i.fps > 0), default=30.0)
    rate = min(STANDARD_RATES, key=lambda r: abs(float(r) - fastest))
    return min(rate, MAX_RATE)


# --- the timeline ------------------------------------------------------------------------------


def kept_spans(trim: Trim, duration: float) -> list[tuple[float, float, bool]]:
    """Given a clip's trim and length, return [(start, end, cut_before)]: the stretches to
    keep; `cut_before` marks a join made by a removed range (where transitions apply)."""
    lo, hi = trim.head, duration - trim.tail
    if trim.keep is not None:
        lo = max(lo, trim.keep.start)
        hi = min(hi, trim.keep.end if trim.keep.end is not None else duration)
    if trim.last is not None:
        lo = max(lo, hi - trim.last)
    spans = [(lo, hi)] if hi > lo else []
    for cut in sorted(trim.remove, key=lambda s: s.start):
        spans = _subtract(spans, cut)
    return [(a, b, i > 0) for i, (a, b) in enumerate(spans)]


def speech_spans(
    silences: Sequence[tuple[float, float]], duration: float, padding: float
) -> list[Span]:
    """Given detected silences, return them shrunk by `padding` (the parts to cut)."""
    cuts = []
    for start, end in silences:
        a = 0.0 if start <= 0 else start + padding
        b = duration if end >= duration else end - padding
        if b - a > 0:
            cuts.append(Span(a, b))
    return cuts


def _subtract(spans: list[tuple[float, float]], cut: Span) -> list[tuple[float, float]]:
    end = cut.end if cut.end is not None else math.inf
    out = []
    for a, b in spans:
        if end <= a or cut.start >= b:
            out.append((a, b))
            continue
        if cut.start > a:
            out.append((a, cut.start))
        if end < b:
            out.append((end, b))
    return out


def timeline(plan: EditPlan, inputs: Sequence[MediaInfo]) -> Timeline:
    """Given the plan and the probed inputs, return the pieces to join, snapped to the
    output frame grid. Raise PermanentError when the edit leaves nothing."""
    if not inputs:
        raise PermanentError("no input files")
    rate = output_rate(inputs, plan.fps)
    width, height = frame_size(plan, inputs)
    raw: list[_Raw] = []
    for index, info in enumerate(inputs):
        raw += _raw_pieces(plan, index, info)
    once = _snap(raw, rate, plan)
    if not once and all(i.duration < MIN_FRAMES / rate for i in inputs):
        # A one-frame "video" (a still saved as a clip) has nothing a cut removed.
        longest = max(i.duration for i in inputs)
        raise PermanentError(
            f"the video is too short to edit ({longest:.2f} s: less than {MIN_FRAMES} frames)"
        )
    if not once:
        raise PermanentError("the edit leaves nothing to show (the cuts remove the whole video)")
    pieces = _looped(once, raw, rate, plan)
    joined = sum(p.length for p in pieces) - sum(p.overlap for p in pieces)
    total = _frames(joined / plan.speed, rate)
    if plan.loop_seconds is not None:
        total = min(total, _frames(plan.loop_seconds, rate))
    if plan.max_duration is not None:
        total = min(total, _frames(plan.max_duration, rate))
    if total <= 0:
        raise PermanentError("the edit leaves nothing to show")
    if plan.reverse and total > REVERSE_MAX_SECONDS:
        raise PermanentError(
            f"reversing is limited to {REVERSE_MAX_SECONDS:g} s of output (every frame is held "
            f"in memory); this edit is {total:.1f} s: trim it first"
        )
    return Timeline(pieces=tuple(pieces), rate=rate, width=width, height=height, total=total)


# (source, start, end, join kind, speed): a stretch before it is snapped to frames.
_Raw = tuple[int, float, float, str, float]


def _raw_pieces(plan: EditPlan, index: int, info: MediaInfo) -> list[_Raw]:
    """One clip's kept stretches after trims, silence cuts and per-range speed."""
    raw: list[_Raw] = []
    for n, (a, b, cut_before) in enumerate(kept_spans(plan.trim, info.duration)):
        spans = [(a, b)]
        if plan.silence is not None and info.silences:
            cuts = speech_spans(info.silences, info.duration, plan.silence.padding)
            cuts = [c for c in cuts if _silence_wanted(plan.silence.where, c, info.duration)]
            for cut in cuts:
                spans = _subtract(spans, cut)
        for m, (sa, sb) in enumerate(spans):
            join = (
                "clip"
                if n == 0 and m == 0
                else "cut"
                if m == 0 and cut_before
                else ("silence" if m > 0 else "cut")
            )
            for k, (ra, rb, speed) in enumerate(_speed_split(plan, sa, sb, info.duration)):
                raw.append((index, ra, rb, join if k == 0 else "speed", speed))
    return raw


def _silence_wanted(where: str, cut: Span, duration: float) -> bool:
    at_start, at_end = cut.start <= 0, cut.end == duration
    return {
        "all": True,
        "edges": at_start or at_end,
        "start": at_start,
        "end": at_end,
    }[where]


def _speed_split(
    plan: EditPlan, a: float, b: float, duration: float
) -> list[tuple[float, float, float]]:
    """Split [a, b) where a per-range speed starts or ends: [(start, end, factor)]."""
    out = [(a, b, 1.0)]
    for ranged in plan.speed_ranges:
        lo = ranged.span.start if ranged.span.start >= 0 else duration + ranged.span.start
        hi = ranged.span.end if ranged.span.end is not None else math.inf
        nxt: list[tuple[float, float, float]] = []
        for sa, sb, f in out:
            if hi <= sa or lo >= sb or f != 1.0:
                nxt.append((sa, sb, f))
                continue
            if lo > sa:
                nxt.append((sa, lo, 1.0))
            nxt.append((max(sa, lo), min(sb, hi), ranged.factor))
            if hi < sb:
                nxt.append((hi, sb, 1.0))
        out = nxt
    return out


def _looped(once: list[Piece], raw: list[_Raw], rate: Fraction, plan: EditPlan) -> list[Piece]:
    """The pieces played `loop_count` times, or often enough to fill `loop_seconds`; each
    repeat joins the last like a new clip (with the transition, if there is one)."""
    count = plan.loop_count
    if plan.loop_seconds is not None:
        single = sum(p.length for p in once) - sum(p.overlap for p in once)
        count = max(1, math.ceil(plan.loop_seconds * plan.speed / max(single, 1e-9)))
        count += 1 if plan.transition is not None else 0  # overlaps shorten each repeat
    if count <= 1:
        return once
    return _snap(raw * count, rate, plan)


def _frames(seconds: float, rate: Fraction) -> float:
    """Round down to a whole number of frames, returned as seconds."""
    return float(Fraction(math.floor(seconds * rate + 1e-6)) / rate)


def _snap(raw: list[_Raw], rate: Fraction, plan: EditPlan) -> list[Piece]:
    pieces: list[Piece] = []
    for source, a, b, join, speed in raw:
        start = float(Fraction(round(a * rate)) / rate)
        end = float(Fraction(round(b * rate)) / rate)
        if end - start < MIN_FRAMES / rate:
            continue  # a sliver of a frame or two is not worth a join
        length = end - start if speed == 1.0 else _frames((end - start) / speed, rate)
        if length < MIN_FRAMES / rate:
            continue
        overlap = 0.0
        # A loop's repeat starts with the first clip's "clip" join, so it gets the transition.
        if pieces and plan.transition is not None and join in ("clip", "cut"):
            shorter = min(pieces[-1].length, length)
            wanted = min(plan.transition.duration, shorter * TRANSITION_SHARE)
            overlap = _frames(wanted, rate)
            if overlap < 2 / rate:
                overlap = 0.0
        pieces.append(Piece(source, start, end, overlap, speed, length))
    return pieces


def planned_duration(plan: EditPlan, inputs: Sequence[MediaInfo]) -> float:
    """The duration the output will have, in seconds."""
    return timeline(plan, inputs).total


def audio_out(plan: EditPlan, inputs: Sequence[MediaInfo]) -> bool:
    """True when the output has a sound track: some clip has sound (not muted) or music."""
    return plan.music is not None or (not plan.mute and any(i.has_audio for i in inputs))
