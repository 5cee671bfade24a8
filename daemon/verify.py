"""Check a finished output before it is placed: the streams it should have, a duration
near the plan, and a last second that decodes (issue 11).

    judge(info, expected)      pure: problems (re-render) and notes (deliver, but say so)
    verify_output(path, ...)   the I/O: probe, then a decode of the last second
"""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import av

from daemon.errors import JobError, TransientError
from daemon.media.probe import MediaInfo, probe
from daemon.media.render import run_analysis
from daemon.media.tools import quiet_args

if TYPE_CHECKING:
    from daemon.delivery import Verifier
    from daemon.engines.base import EngineResult

# An output may differ from its plan by frame rounding and encoder priming: this much, or
# this fraction of the plan, whichever is larger, is "near".
DURATION_SLACK_SECONDS = 1.0
DURATION_SLACK_FRACTION = 0.05
# Decoding the last second proves the file is complete (a moov, the final packets).
TAIL_SECONDS = 1.0
TAIL_TIMEOUT = 120.0


@dataclass(frozen=True)
class Expected:
    """What the engine planned: None where it does not know (a cloud render)."""

    duration: float | None = None
    audio: bool | None = None


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def judge(info: MediaInfo, expected: Expected) -> Verdict:
    """Given the output's probe and the plan, return what is wrong (problems: the render
    is not fit to deliver) and what a person should hear (notes: delivered anyway)."""
    problems: list[str] = []
    notes: list[str] = []
    if not info.has_video:
        problems.append("the output has no video stream")
    if expected.audio and not info.has_audio:
        problems.append("the output lost its audio stream")
    if expected.duration is not None and expected.duration > 0:
        slack = max(DURATION_SLACK_SECONDS, DURATION_SLACK_FRACTION * expected.duration)
        if info.duration < expected.duration - slack:
            # ffmpeg finished cleanly, so the input ended early: a truncated upload or copy.
            notes.append(
                f"shorter than planned: {info.duration:.1f} s of {expected.duration:.1f} s"
                " (the original looks truncated)"
            )
        elif info.duration > expected.duration + slack:
            problems.append(
                f"the output is {info.duration:.1f} s, the plan {expected.duration:.1f} s"
            )
    return Verdict(tuple(problems), tuple(notes))


def verify_output(
    path: Path, expected: Expected, ffmpeg: str, cancel: threading.Event | None = None
) -> tuple[str, ...]:
    """Probe the output and decode its last second. Return notes for the job. Raise
    TransientError when it is not fit to deliver (rendered again), Cancelled on shutdown."""
    try:
        info = probe(path)
    except JobError as exc:
        raise TransientError(f"the output does not read back: {exc.reason}") from None
    video = _video_seconds(path)
    if video is not None and video < info.duration:
        # Padded audio can outlast the picture; the picture is what was planned.
        info = replace(info, duration=video)
    verdict = judge(info, expected)
    if verdict.problems:
        raise TransientError("the output failed its check: " + "; ".join(verdict.problems))
    argv = [
        ffmpeg, *quiet_args(),
        "-sseof", f"-{TAIL_SECONDS:g}", "-i", str(path), "-f", "null", "-",
    ]  # fmt: skip
    try:
        errors = run_analysis(argv, timeout=TAIL_TIMEOUT, cancel=cancel).strip()
    except TransientError:
        raise
    except JobError as exc:
        errors = exc.reason
    if errors:
        first = errors.splitlines()[0][:200]
        raise TransientError(f"the output's last second does not decode ({first})")
    return verdict.notes


def _video_seconds(path: Path) -> float | None:
    """The video stream's own length (None when the file does not say)."""
    with suppress(av.FFmpegError, OSError, ValueError, IndexError), av.open(str(path)) as c:
        stream = c.streams.video[0] if c.streams.video else None
        if stream is not None and stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
    return None


def output_check(ffmpeg: str) -> Verifier:
    """The check every output gets before it is placed, in the daemon and in `videofree
    process` alike (the runner's `verify`): it returns the notes to deliver with."""

    def check(result: EngineResult, cancel: threading.Event) -> tuple[str, ...]:
        expected = Expected(duration=result.expected_duration)
        return verify_output(result.path, expected, ffmpeg, cancel)

    return check
