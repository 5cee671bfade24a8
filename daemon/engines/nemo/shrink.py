"""Refuse what NemoVideo will not take before uploading it, or shrink an oversize video.

The checks run before a session is made, so a refused file costs nothing. With the rule
option `shrink_oversize: true`, a video over the upload limit is re-encoded with the local
ffmpeg to a bitrate that fits under it, and the smaller copy is uploaded instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from daemon.engines.nemo import constants as C
from daemon.engines.nemo.errors import NemoInputRefused
from daemon.media.probe import probe
from daemon.media.render import progress_args, run_ffmpeg

# Phone audio is fine at 128 kb/s AAC; the rest of the budget goes to the picture.
_AUDIO_BITRATE = 128_000
# Below this the picture is mush; refusing is more honest than uploading that.
_MIN_VIDEO_BITRATE = 300_000
_MB = 1_000_000


def check_source(path: Path, *, shrink_oversize: bool) -> bool:
    """Raise NemoInputRefused for a file NemoVideo will not take.

    Return True when the file is too large but may be shrunk first.
    """
    ext = path.suffix.lower().lstrip(".")
    if ext not in C.ACCEPTED_EXTENSIONS:
        accepted = ", ".join(sorted(C.ACCEPTED_EXTENSIONS))
        raise NemoInputRefused(
            f"NemoVideo does not take .{ext or '(no extension)'} files (it takes {accepted})",
            fallback_ok=True,
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NemoInputRefused(f"the file is gone: {path}") from None
    if size <= C.MAX_UPLOAD_BYTES:
        return False
    if not shrink_oversize:
        raise NemoInputRefused(
            f"{path.name} is {size / _MB:.0f} MB, over NemoVideo's {C.MAX_UPLOAD_BYTES // _MB} MB "
            "upload limit (set shrink_oversize: true on the rule to re-encode it first)",
            fallback_ok=True,
        )
    return True


def video_bitrate(duration: float, target_bytes: int) -> int:
    """Given a duration and a size budget, return the video bitrate (bit/s) that fits."""
    if duration <= 0:
        raise NemoInputRefused("cannot shrink a video without a duration")
    total = int(target_bytes * 8 / duration)
    video = total - _AUDIO_BITRATE
    if video < _MIN_VIDEO_BITRATE:
        raise NemoInputRefused(
            f"the video is too long ({duration / 60:.0f} min) to fit NemoVideo's "
            f"{C.MAX_UPLOAD_BYTES // _MB} MB limit at a watchable quality",
            fallback_ok=True,
        )
    return video


def build_shrink_args(
    ffmpeg: str,
    source: Path,
    dest: Path,
    *,
    duration: float,
    target_bytes: int = C.SHRINK_TARGET_BYTES,
) -> tuple[str, ...]:
    """The ffmpeg argv that re-encodes `source` into `dest` under `target_bytes`."""
    video = video_bitrate(duration, target_bytes)
    return (
        ffmpeg,
        *progress_args(),
        "-y",
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        # Capped ABR instead of CRF: only a bitrate ceiling guarantees the size budget.
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        str(video),
        "-maxrate",
        str(video),
        "-bufsize",
        str(2 * video),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        str(_AUDIO_BITRATE),
        "-movflags",
        "+faststart",
        str(dest),
    )


def shrink(
    ffmpeg: str,
    source: Path,
    dest: Path,
    *,
    timeout: float,
    on_progress: Callable[[float], None],
    cancel: threading.Event,
) -> Path:
    """Re-encode `source` into `dest` under the upload limit; return `dest`."""
    info = probe(source)
    argv = build_shrink_args(ffmpeg, source, dest, duration=info.duration)
    run_ffmpeg(
        argv,
        expected_duration=info.duration,
        timeout=timeout,
        on_progress=on_progress,
        cancel=cancel,
    )
    size = dest.stat().st_size
    if size > C.MAX_UPLOAD_BYTES:
        raise NemoInputRefused(
            f"shrinking {source.name} still left {size / _MB:.0f} MB, over the upload limit",
            fallback_ok=True,
        )
    return dest
