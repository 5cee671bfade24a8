"""Media facts about one input file, read with PyAV (libavformat, no ffprobe needed)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
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
# Demuxers that find a time through an index (a moov table, Cues, idx1), so ffmpeg's
# input seeking (-ss before -i) lands on the asked frame. MPEG-TS and program streams
# (camcorder .MTS/.M2TS, broadcast recordings) seek by guessing a byte offset and land on
# the next keyframe: seconds of picture are lost, or all of it when the clip has one.
INDEXED_FORMATS = frozenset({"mov", "mp4", "matroska", "webm", "avi", "mxf", "flv"})
# An MP4 box starts with its 32-bit size and 4-letter type. The top-level boxes a
# recorder writes before the index ('moov' is not among them: its absence is the point).
MP4_BOX_HEADER = 8
MP4_HEAD_BOXES = frozenset({b"ftyp", b"free", b"skip", b"wide", b"mdat", b"uuid", b"pdin"})
# The highest nominal frame rate taken as a real one (phones film slow motion at 240).
MAX_NOMINAL_FPS = 240
# A pixel shape beyond 10:1 either way is a broken tag, shown as square pixels.
MIN_SAR = Fraction(1, 10)
# A file is checked for a cut-short end over its last TAIL_CHECK seconds: the data there
# must reach within TAIL_CHECK of where the header says the file ends.
TAIL_CHECK = 1.0


@dataclass(frozen=True)
class MediaInfo:
    """What the renderer needs to know about one input."""

    path: Path
    duration: float
    size_bytes: int
    width: int = 0
    height: int = 0
    # Which video stream is the picture (`v:N`): files can carry a cover image or a
    # thumbnail track as well, before or after it.
    video_stream: int = 0
    rotation: int = 0
    # Pixel shape (anamorphic video: DV, HDV, some cameras and messengers store a narrower
    # picture that players stretch); 1 for square pixels.
    sar: Fraction = Fraction(1)
    # Interlaced frames (camcorders, broadcast): deinterlaced before they are scaled.
    interlaced: bool = False
    # Whether ffmpeg's input seeking is exact for this container (INDEXED_FORMATS).
    seekable: bool = True
    # The duration the header claims when the data stops earlier (a cut-short copy);
    # `duration` is then what can be read.
    header_duration: float | None = None
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
    def frame_sar(self) -> Fraction:
        """The pixel shape of the frames the renderer gets (ffmpeg turns them upright
        first, and a quarter turn inverts the shape)."""
        return 1 / self.sar if self.rotation in (90, 270) else self.sar

    @property
    def display_width(self) -> int:
        """Width as a player shows it, after the rotation metadata and the pixel shape are
        applied (the picture keeps its height; its width is stretched by the pixel shape)."""
        width = self.height if self.rotation in (90, 270) else self.width
        return max(1, round(width * self.frame_sar))

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
        if _mp4_without_index(path):
            raise PermanentError(
                "the MP4 is incomplete: it has no index (moov), as when a recording or "
                "a copy is stopped before it ends"
            ) from None
        raise PermanentError(f"not a readable video ({_short(exc)})") from None


def _read(path: Path, size: int, container: Any) -> MediaInfo:
    video_index, video = _pick_video(container)
    audio = container.streams.audio[0] if container.streams.audio else None
    cc = video.codec_context
    rotation, interlaced = _first_frame(container, video)
    header = _duration(container, video)
    duration = header if header > 0 else _scanned_end(container)
    cut_short = False
    if header > TAIL_CHECK and not _reaches(container, header - TAIL_CHECK):
        readable = _scanned_end(container)
        # Nothing readable at all says more about the demuxer than about the file.
        cut_short = 0 < readable < header - TAIL_CHECK
        duration = readable if cut_short else header
    if duration <= 0:
        raise PermanentError("the video has no duration (empty or truncated file)")
    avg = video.average_rate
    base = video.base_rate or video.guessed_rate
    fps = float(avg) if avg else float(base) if base else 30.0
    # A stream whose nominal rate differs from its average rate is variable frame rate
    # (phones drop frames in low light); the renderer then forces a constant rate.
    vfr = bool(avg and base and abs(float(avg) - float(base)) > 0.01 * float(base))
    if vfr and base and float(base) <= MAX_NOMINAL_FPS:
        # A screen recording holds a still screen for seconds, so its average rate is
        # far below the rate it moves at (20 for a 30 fps recording): the nominal rate
        # keeps every frame of the moving parts. A huge nominal rate is a time base
        # (1000, 90000), not a frame rate; the average then stands.
        fps = float(base)
    pix_fmt = cc.pix_fmt or ""
    return MediaInfo(
        path=path,
        duration=duration,
        size_bytes=size,
        width=cc.width,
        height=cc.height,
        video_stream=video_index,
        rotation=rotation,
        sar=_sar(video),
        interlaced=interlaced,
        seekable=bool(set(container.format.name.split(",")) & INDEXED_FORMATS),
        header_duration=header if cut_short else None,
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


def _pick_video(container: Any) -> tuple[int, Any]:
    """The picture stream as (index among the video streams, stream): not a cover image
    (an attached picture), and of those the largest, as ffmpeg itself picks. Raise
    PermanentError when there is none (an audio file, maybe with its cover art)."""
    import av  # noqa: PLC0415

    streams = list(container.streams.video)
    cover = av.stream.Disposition.attached_pic
    moving = [(n, s) for n, s in enumerate(streams) if not s.disposition & cover]
    if not moving:
        extra = " (only a cover picture: is it an audio file?)" if streams else ""
        raise PermanentError(f"no video stream in the file{extra}")
    area = [s.codec_context.width * s.codec_context.height for _, s in moving]
    return moving[area.index(max(area))]


def _duration(container: Any, video: Any) -> float:
    if container.duration:
        return float(container.duration) / AV_TIME_BASE
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return 0.0


def _first_frame(container: Any, video: Any) -> tuple[int, bool]:
    """(rotation, interlaced) from the first decoded frame: PyAV exposes the display
    matrix and the interlacing flag only on frames; one frame is cheap."""
    import av  # noqa: PLC0415

    with contextlib.suppress(av.FFmpegError, StopIteration):
        frame = next(container.decode(video))
        rotation = round(getattr(frame, "rotation", 0) or 0) % 360
        return rotation, bool(getattr(frame, "interlaced_frame", False))
    return 0, False


def _sar(video: Any) -> Fraction:
    sar = video.sample_aspect_ratio or video.codec_context.sample_aspect_ratio
    # 0/1 or a nonsense value means "unknown", which players show as square pixels.
    if not sar or not MIN_SAR < sar < 1 / MIN_SAR:
        return Fraction(1)
    return Fraction(sar)


def _start(container: Any) -> float:
    return float(container.start_time or 0) / AV_TIME_BASE


def _scanned_end(container: Any) -> float:
    """Where the readable data ends, in seconds from the file's start, reading packets
    (no decoding) from the start: for files whose header has no duration (a browser's or
    a messenger's live WebM) or whose data stops early. 0.0 when nothing is readable."""
    import av  # noqa: PLC0415

    start, end = _start(container), 0.0
    with contextlib.suppress(av.FFmpegError):
        container.seek(int(start * AV_TIME_BASE), backward=True)
        for packet in container.demux():
            if packet.pts is None or not packet.size:
                continue
            stop = packet.pts + (packet.duration or 0)
            end = max(end, float(stop * packet.time_base) - start)
    return end


def _reaches(container: Any, when: float) -> bool:
    """True when the data reaches `when` seconds after the file's start (False: a copy
    or upload that ended early, with the index at the front still promising the rest).
    Reads from about a second before it and stops at the first packet that reaches it;
    a file that cannot seek is taken at its word."""
    import av  # noqa: PLC0415

    start = _start(container)
    try:
        container.seek(int((start + max(0.0, when - TAIL_CHECK)) * AV_TIME_BASE), backward=True)
    except av.FFmpegError:
        return True
    with contextlib.suppress(av.FFmpegError):
        for packet in container.demux():
            if packet.pts is None or not packet.size:
                continue
            if float((packet.pts + (packet.duration or 0)) * packet.time_base) >= start + when:
                return True
    return False


def _creation_time(container: Any, video: Any) -> datetime | None:
    for meta in (container.metadata, video.metadata):
        for key in ("com.apple.quicktime.creationdate", "creation_time"):
            value = meta.get(key)
            if value:
                with contextlib.suppress(ValueError):
                    return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _mp4_without_index(path: Path) -> bool:
    """True for an MP4/MOV whose top-level boxes are all well-formed ('ftyp' first, then
    only boxes a recorder writes before its index) but end without the 'moov' index a
    recorder writes last. Reads only the box headers; garbage is not "incomplete"."""
    with contextlib.suppress(OSError), path.open("rb") as f:
        size = path.stat().st_size
        offset, first = 0, True
        while offset + MP4_BOX_HEADER <= size:
            f.seek(offset)
            header = f.read(MP4_BOX_HEADER)
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if (first and kind != b"ftyp") or kind not in MP4_HEAD_BOXES:
                return False
            if length == 1:  # a 64-bit size follows the type
                length = int.from_bytes(f.read(8), "big")
            if length == 0:  # "to the end of the file": the media data being written
                break
            if length < MP4_BOX_HEADER:
                return False
            offset, first = offset + length, False
        return not first
    return False


def _short(exc: BaseException) -> str:
    # av errors carry "[Errno N] text: 'path'"; the text alone is what a person needs.
    text = str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
