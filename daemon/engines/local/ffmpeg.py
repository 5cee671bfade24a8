"""EditPlan + MediaInfo → the ffmpeg argv that renders it (pure).

Minimal version: a plain 1080p H.264/AAC export. The prompt-driven editor grows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from daemon.config import LocalSettings
from daemon.engines.local.plan import EditPlan
from daemon.engines.local.probe import MediaInfo
from daemon.engines.local.render import progress_args

AUDIO_RATE = 48000
AUDIO_BITRATE = "192k"


def target_size(info: MediaInfo, long_side: int) -> tuple[int, int]:
    """Given an input and the output's long side, return (width, height), both even,
    keeping the displayed orientation and aspect ratio."""
    w, h = info.display_width, info.display_height
    if w >= h:
        return long_side, _even(long_side * h / w)
    return _even(long_side * w / h), long_side


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def planned_duration(plan: EditPlan, inputs: Sequence[MediaInfo]) -> float:
    """The duration the output will have, in seconds."""
    del plan
    return sum(i.duration for i in inputs)


def build_render_args(
    ffmpeg: str,
    plan: EditPlan,
    inputs: Sequence[MediaInfo],
    output: Path,
    settings: LocalSettings,
) -> tuple[str, ...]:
    """Return the argv of the single ffmpeg pass that renders `plan` into `output`."""
    src = inputs[0]
    width, height = target_size(src, plan.long_side)
    vf = f"scale={width}:{height}:flags=lanczos,setsar=1,format=yuv420p"
    audio: tuple[str, ...] = (
        ("-map", "0:a:0", "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE), "-ac", "2")
        if src.has_audio
        else ()
    )
    return (
        ffmpeg, *progress_args(), "-y",
        "-i", str(src.path),
        "-map", "0:v:0", "-vf", vf,
        "-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p",
        *audio,
        "-movflags", "+faststart", "-f", "mp4", str(output),
    )
