"""Media facts about one input file, read with PyAV (libavformat, no ffprobe needed)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from daemon.errors import PermanentError

# libavutil enum values → the names ffmpeg's filters and flags use.
_TRC = {
    1: "bt709",
    6: "smpte170m",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    18: "arib-std-b67",
}
_PRIMARIES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 12: "smpte432"}
_SPACE = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc", 10: "bt2020c"}
# libavutil's AV_TIME_BASE: container durations are in microseconds.
AV_TIME_BASE = 1_000_000
HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})


@dataclass(frozen=True)
class MediaInfo:
    """What the renderer needs to know about one input."""

    path: Path
    duration: float
    size_bytes: int
    width: int = 0
    height: int = 0
    rotation: int = 0
    fps: float = 30.0
    vfr: bool = False
    video_codec: str = ""
    pix_fmt: str = ""
    bit_depth: int = 8
    color_transfer: str | None = None
    color_primaries: str | None = None
    color_space: str | None = None
    has_video: bool = True
    has_audio: bool = False
    audio_rate: int | None = None
    audio_channels: int | None = None
    creation_time: datetime | None = None
    # Filled by the silence analysis pass when a plan removes dead air (None = not run).
    silences: tuple[tuple[float, float], ...] | None = None

    @property
    def display_width(self) -> int:
        """Width as a player shows it, after the rotation metadata is applied."""
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int:
        return self.width if self.rotation in (90, 270) else self.height

    @property
    def hdr(self) -> bool:
        return self.color_transfer in HDR_TRANSFERS


def probe(path: Path) -> MediaInfo:
    """Given a media file, return its MediaInfo. Raise PermanentError if it is unreadable."""
    import av  # noqa: PLC0415 - PyAV loads libav* (~0.1 s): only when a file is probed

    try:
        size = path.stat().st_size
        with av.open(str(path), metadata_errors="ignore") as container:
            return _read(path, size, container)
    except FileNotFoundError:
        raise PermanentError(f"the file is gone: {path}") from None
    except (av.FFmpegError, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise PermanentError(f"not a readable video ({_short(exc)})") from None


def _read(path: Path, size: int, container: Any) -> MediaInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None:
        raise PermanentError("no video stream in the file")
    duration = _duration(container, video)
    if duration <= 0:
        raise PermanentError("the video has no duration (empty or truncated file)")
    cc = video.codec_context
    avg = video.average_rate
    base = video.base_rate or video.guessed_rate
    fps = float(avg) if avg else float(base) if base else 30.0
    # A stream whose nominal rate differs from its average rate is variable frame rate
    # (phones drop frames in low light); the renderer then forces a constant rate.
    vfr = bool(avg and base and abs(float(avg) - float(base)) > 0.01 * float(base))
    pix_fmt = cc.pix_fmt or ""
    return MediaInfo(
        path=path,
        duration=duration,
        size_bytes=size,
        width=cc.width,
        height=cc.height,
        rotation=_rotation(container, video),
        fps=fps,
        vfr=vfr,
        video_codec=cc.name,
        pix_fmt=pix_fmt,
        bit_depth=10 if ("10" in pix_fmt or "p010" in pix_fmt) else 12 if "12" in pix_fmt else 8,
        color_transfer=_TRC.get(int(cc.color_trc)),
        color_primaries=_PRIMARIES.get(int(cc.color_primaries)),
        color_space=_SPACE.get(int(cc.colorspace)),
        has_video=True,
        has_audio=audio is not None,
        audio_rate=audio.codec_context.sample_rate if audio is not None else None,
        audio_channels=audio.codec_context.channels if audio is not None else None,
        creation_time=_creation_time(container, video),
    )


def _duration(container: Any, video: Any) -> float:
    if container.duration:
        return float(container.duration) / AV_TIME_BASE
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return 0.0


def _rotation(container: Any, video: Any) -> int:
    # PyAV exposes the display matrix only on decoded frames; one frame is cheap.
    import av  # noqa: PLC0415

    with contextlib.suppress(av.FFmpegError, StopIteration):
        frame = next(container.decode(video))
        return round(getattr(frame, "rotation", 0) or 0) % 360
    return 0


def _creation_time(container: Any, video: Any) -> datetime | None:
    for meta in (container.metadata, video.metadata):
        for key in ("com.apple.quicktime.creationdate", "creation_time"):
            value = meta.get(key)
            if value:
                with contextlib.suppress(ValueError):
                    return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _short(exc: BaseException) -> str:
    # av errors carry "[Errno N] text: 'path'"; the text alone is what a person needs.
    text = str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
