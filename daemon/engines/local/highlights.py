"""Highlights: score each second of a clip from one low-resolution analysis pass, then
pick what to keep (pure; the pass itself is ffmpeg.build_highlight_args).

The pass samples the picture at 4 frames a second at 160 px wide and prints ffmpeg's
scene-change score for each sample (how different it is from the one before: motion and
cuts), and prints the momentary loudness (EBU R128, 400 ms window) every 100 ms. Each
second gets the mean of both; each is ranked against the clip's other seconds (0 = the
quietest/stillest second, 1 = the loudest/busiest), and the score is their average. So a
second is "interesting" relative to the rest of the same clip, whatever the camera.

- an N-second highlight keeps the N-second stretch with the highest total score;
- "cut out the boring parts" removes the runs of at least BORING_MIN_SECONDS whose seconds
  all score in the bottom BORING_SHARE of the clip.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from daemon.editplan.plan import EditPlan, Highlight, Span
from daemon.media.probe import MediaInfo

BORING_SHARE = 0.25
BORING_MIN_SECONDS = 2
# The analysis picture: small and sparse, so the pass costs a fraction of the clip's length.
ANALYSIS_FPS = 4
ANALYSIS_WIDTH = 160
# A silent stretch reads as -120 LUFS or lower; clamp so one silence does not dominate.
LOUDNESS_FLOOR = -70.0

_LINE = re.compile(r"^\[(?P<who>metadata@motion|ametadata@loud) @ [^\]]+\] (?P<rest>.*)$")
_TIME = re.compile(r"pts_time:(?P<t>-?\d+(?:\.\d+)?)")
_VALUE = re.compile(r"lavfi\.(?:scene_score|r128\.M)=(?P<v>-?\d+(?:\.\d+)?|-?inf|nan)")


@dataclass(frozen=True)
class Scores:
    """One row per whole second of the clip: its motion, loudness and combined score."""

    motion: tuple[float, ...]
    loudness: tuple[float, ...]
    score: tuple[float, ...]


def parse_analysis(log: str, duration: float) -> tuple[list[float], list[float]]:
    """Given the analysis pass's log and the clip's length, return (motion, loudness) per
    whole second: the mean scene score and the mean momentary loudness (LUFS)."""
    seconds = max(1, math.ceil(duration - 1e-6))
    sums = {"motion": [0.0] * seconds, "loud": [0.0] * seconds}
    counts = {"motion": [0] * seconds, "loud": [0] * seconds}
    times = {"motion": 0.0, "loud": 0.0}
    for line in log.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        kind = "motion" if m["who"].startswith("metadata") else "loud"
        if (t := _TIME.search(m["rest"])) is not None:
            times[kind] = float(t["t"])
        elif (v := _VALUE.search(m["rest"])) is not None:
            value = float(v["v"]) if v["v"] not in ("nan", "-nan") else 0.0
            if kind == "loud":
                value = max(LOUDNESS_FLOOR, value) if math.isfinite(value) else LOUDNESS_FLOOR
            index = min(seconds - 1, max(0, int(times[kind])))
            sums[kind][index] += value
            counts[kind][index] += 1
    motion = [s / c if c else 0.0 for s, c in zip(sums["motion"], counts["motion"], strict=True)]
    loud = [
        s / c if c else LOUDNESS_FLOOR for s, c in zip(sums["loud"], counts["loud"], strict=True)
    ]
    return motion, loud


def score(motion: Sequence[float], loudness: Sequence[float], *, has_audio: bool) -> Scores:
    """Rank each measure within the clip (0..1) and average them (motion alone without sound)."""
    ranked_motion = _ranks(motion)
    ranked_loud = _ranks(loudness) if has_audio else ranked_motion
    combined = tuple(round((a + b) / 2, 3) for a, b in zip(ranked_motion, ranked_loud, strict=True))
    return Scores(tuple(motion), tuple(loudness), combined)


def _ranks(values: Sequence[float]) -> list[float]:
    """Each value's rank among all as 0..1 (ties share their mean rank)."""
    if len(values) <= 1:
        return [1.0] * len(values)
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 / (len(values) - 1)
        i = j + 1
    return ranks


def best_span(scores: Scores, seconds: float, duration: float) -> Span:
    """The `seconds`-long stretch with the highest total score (the whole clip if shorter)."""
    if seconds >= duration:
        return Span(0.0, duration)
    width = max(1, math.floor(seconds))
    values = scores.score
    best, best_at = -1.0, 0
    total = sum(values[:width])
    for start in range(len(values) - width + 1):
        if start:
            total += values[start + width - 1] - values[start - 1]
        if total > best + 1e-9:
            best, best_at = total, start
    begin = min(float(best_at), duration - seconds)
    return Span(begin, begin + seconds)


def boring_spans(scores: Scores, duration: float) -> list[Span]:
    """Runs of at least BORING_MIN_SECONDS seconds all in the clip's bottom BORING_SHARE."""
    values = scores.score
    if len(values) < BORING_MIN_SECONDS * 2:
        return []
    cut = sorted(values)[max(0, math.ceil(len(values) * BORING_SHARE) - 1)]
    spans: list[Span] = []
    run_start: int | None = None
    for i, value in enumerate([*values, math.inf]):
        if value <= cut and i < len(values):
            run_start = i if run_start is None else run_start
            continue
        if run_start is not None and i - run_start >= BORING_MIN_SECONDS:
            spans.append(Span(float(run_start), min(float(i), duration)))
        run_start = None
    return spans


def kept(highlight: Highlight, scores: Scores, duration: float) -> tuple[Span | None, list[Span]]:
    """(the span to keep, the spans to remove) for `highlight` on a clip so scored."""
    if highlight.mode == "best":
        return best_span(scores, highlight.seconds, duration), []
    return None, boring_spans(scores, duration)


def resolve(plan: EditPlan, info: MediaInfo, log: str) -> tuple[EditPlan, list[str]]:
    """Given the plan, the clip and the analysis pass's log, return the plan with the
    highlight turned into trims, and lines saying how each second scored and what was kept."""
    if plan.highlight is None:
        return plan, []
    motion, loud = parse_analysis(log, info.duration)
    scores = score(motion, loud, has_audio=info.has_audio)
    keep, remove = kept(plan.highlight, scores, info.duration)
    trim = plan.trim
    lines = [
        "scores per second (motion rank + loudness rank) / 2: "
        + " ".join(f"{s:.2f}" for s in scores.score)
    ]
    if keep is not None:
        trim = replace(trim, keep=keep)
        chosen = scores.score[int(keep.start) : int(keep.start + plan.highlight.seconds)]
        mean = sum(chosen) / max(1, len(chosen))
        lines.append(
            f"highlight: kept {keep.start:g} s to {keep.end or info.duration:g} s "
            f"(mean score {mean:.2f} of 1)"
        )
    else:
        trim = replace(trim, remove=(*trim.remove, *remove))
        cut = ", ".join(f"{s.start:g}-{s.end:g} s" for s in remove) or "none"
        lines.append(f"boring parts cut (bottom {BORING_SHARE:.0%} of seconds): {cut}")
    return replace(plan, trim=trim), lines
