"""EditPlan: the explicit, typed description of one local edit.

The prompt parser and the `edits:` YAML both produce an EditPlan; the ffmpeg builder turns
it into one ffmpeg command. Nothing here does I/O. Times are seconds of the *source* clip
for cuts and seconds of the *output* for fades, titles and music.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

# The default export: 1080p, i.e. the source's own shape fitted into 1920x1080 turned its way.
DEFAULT_RESOLUTION = 1080
DEFAULT_FADE = 1.0
DEFAULT_TRANSITION = 0.5
DEFAULT_TITLE_SECONDS = 3.0
DEFAULT_MUSIC_VOLUME = 0.3
# Music with nothing beside it (the clip's sound muted, or no sound in the clips) plays at
# its own level: 30 % is a level for under speech, and alone it came out 10 dB too quiet.
MUSIC_ALONE_VOLUME = 1.0
DEFAULT_MUSIC_FADE_OUT = 2.0
# EBU R128 targets: streaming/social platforms normalise to about -14 LUFS, podcasts to -16.
LUFS_SOCIAL = -14.0
LUFS_PODCAST = -16.0
# Silence: quieter than -35 dBFS for at least 0.5 s is dead air; keep 0.15 s either side
# of speech so words are not clipped (auto-editor's default margin is similar).
SILENCE_THRESHOLD_DB = -35.0
SILENCE_MIN_SECONDS = 0.5
SILENCE_PADDING = 0.15

# Reversing buffers every decoded frame (ffmpeg's reverse filter), so it is bounded: at most
# this many seconds of output (about 1.7 GB of 1080p frames at 30 fps) are reversed.
REVERSE_MAX_SECONDS = 20.0
# Loops and frame rates people ask for; beyond these a request is refused, not clamped.
MAX_LOOPS = 20
# A file size target is met with a capped bitrate, then checked; each retry aims this much
# lower than the overshoot; after SIZE_ATTEMPTS encodes the job fails rather than deliver
# a file over the limit. MB means 1,000,000 bytes (smaller than a MiB, so safe either way).
BYTES_PER_MB = 1_000_000
SIZE_ATTEMPTS = 3
# Below this video bitrate a picture is mush: refuse the size rather than deliver it.
MIN_VIDEO_BITRATE = 150_000
MIN_SPEED = 0.1
MAX_SPEED = 16.0
MAX_LOOP_SECONDS = 3600.0
MIN_FPS = 1.0
MAX_FPS = 120.0
# Colour temperature in kelvin for ffmpeg's colortemperature filter: 6500 K is neutral
# daylight; a lower number renders warmer (more orange), a higher one cooler (bluer).
NEUTRAL_KELVIN = 6500
WARMER_KELVIN = 5000
COOLER_KELVIN = 8000

Aspect = Literal["source", "9:16", "16:9", "1:1", "4:5"]
# How a new frame rate is reached: drop/duplicate frames (fps), blend neighbours
# (framerate), or estimate motion between frames (minterpolate; slow, smoothest).
FpsMode = Literal["duplicate", "blend", "interpolate"]
SilenceWhere = Literal["all", "edges", "start", "end"]
HighlightMode = Literal["best", "boring"]
Zoom = Literal["in", "out"]
# A slow zoom ends (or starts) this much magnified: enough to feel, not to lose the edges.
ZOOM_END = 1.15
# "a highlight" with no length: about what a social teaser runs.
DEFAULT_HIGHLIGHT_SECONDS = 30.0
Fill = Literal["blur", "crop", "pad"]
Position = Literal["top", "center", "bottom"]
Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]
TitleSize = Literal["small", "medium", "large"]
TransitionKind = Literal[
    "fade",
    "fadeblack",
    "fadewhite",
    "dissolve",
    "wipeleft",
    "wiperight",
    "wipeup",
    "wipedown",
    "slideleft",
    "slideright",
    "slideup",
    "slidedown",
    "circleopen",
    "circleclose",
    "radial",
    "pixelize",
    "zoomin",
    "smoothleft",
    "smoothright",
]
TRANSITION_KINDS: tuple[TransitionKind, ...] = TransitionKind.__args__  # type: ignore[attr-defined]
ASPECTS: tuple[Aspect, ...] = Aspect.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Span:
    """A stretch of time in seconds; `end` None means "to the end"."""

    start: float = 0.0
    end: float | None = None


@dataclass(frozen=True)
class Trim:
    """Which part of each source clip to keep (applied to every clip of a combined job).

    `head`/`tail` cut seconds off the start/end; `keep` keeps an absolute range; `last`
    keeps only the last N seconds; `remove` cuts ranges out of the middle.
    """

    head: float = 0.0
    tail: float = 0.0
    keep: Span | None = None
    last: float | None = None
    remove: tuple[Span, ...] = ()


@dataclass(frozen=True)
class SilenceCut:
    """Cut the parts quieter than `threshold_db` for at least `min_silence` seconds."""

    threshold_db: float = SILENCE_THRESHOLD_DB
    min_silence: float = SILENCE_MIN_SECONDS
    padding: float = SILENCE_PADDING
    # Where to cut: every silence, or only the dead air before the first sound and/or
    # after the last ("trim the dead air at the start and end"; pauses in between stay).
    where: SilenceWhere = "all"


@dataclass(frozen=True)
class Highlight:
    """Keep the best `seconds` of the clip, or cut its boring parts (see highlights.py);
    resolved into trims by the engine after one analysis pass."""

    mode: HighlightMode = "best"
    seconds: float = DEFAULT_HIGHLIGHT_SECONDS


@dataclass(frozen=True)
class SpeedRange:
    """Play `span` (seconds of each source clip) at `factor` ("the first 5 s in slow motion").

    A negative start counts from the clip's end: Span(-5) is its last 5 seconds."""

    span: Span
    factor: float


@dataclass(frozen=True)
class Transition:
    """An xfade/acrossfade between clips and at cuts (not at silence cuts: those are jumps)."""

    kind: TransitionKind = "fade"
    duration: float = DEFAULT_TRANSITION


@dataclass(frozen=True)
class Title:
    """Text drawn over the video from `start` to `end` (output seconds; end None = to the end)."""

    text: str
    start: float = 0.0
    end: float | None = DEFAULT_TITLE_SECONDS
    position: Position = "center"
    size: TitleSize = "large"
    font: str | None = None
    color: str = "white"
    # Set for a small label in a corner (the capture date); `position` is then unused.
    corner: Corner | None = None


@dataclass(frozen=True)
class Music:
    """A background track mixed under (or instead of) the clip's sound."""

    path: str
    # None: the level for where it plays (music_level), under the clip's sound or alone.
    volume: float | None = None
    loop: bool = True
    fade_out: float = DEFAULT_MUSIC_FADE_OUT
    duck: bool = False


def music_level(music: Music, *, beside_clip_sound: bool) -> float:
    """The music's volume: the one asked for, else DEFAULT_MUSIC_VOLUME under the clip's
    own sound and MUSIC_ALONE_VOLUME when nothing else plays."""
    if music.volume is not None:
        return music.volume
    return DEFAULT_MUSIC_VOLUME if beside_clip_sound else MUSIC_ALONE_VOLUME


# A logo's default width as a share of the frame's width.
DEFAULT_LOGO_SHARE = 0.15


@dataclass(frozen=True)
class Logo:
    """An image (PNG with transparency, JPEG, WebP) drawn over the video in a corner."""

    path: str
    corner: Corner = "top-right"
    share: float = DEFAULT_LOGO_SHARE


@dataclass(frozen=True)
class Color:
    """Basic grading: eq brightness (-1..1, 0 = same), contrast and saturation (1 = same)."""

    brightness: float = 0.0
    contrast: float = 1.0
    saturation: float = 1.0
    grayscale: bool = False
    temperature: int = NEUTRAL_KELVIN


@dataclass(frozen=True)
class EditPlan:
    """Everything the renderer needs to know about an edit, nothing about I/O."""

    trim: Trim = field(default_factory=Trim)
    max_duration: float | None = None
    silence: SilenceCut | None = None
    highlight: Highlight | None = None
    speed: float = 1.0
    speed_ranges: tuple[SpeedRange, ...] = ()
    loop_count: int = 1
    loop_seconds: float | None = None
    reverse: bool = False
    fps: float | None = None
    fps_mode: FpsMode = "duplicate"
    aspect: Aspect = "source"
    fill: Fill = "blur"
    resolution: int = DEFAULT_RESOLUTION
    fade_in: float = 0.0
    fade_out: float = 0.0
    transition: Transition | None = None
    titles: tuple[Title, ...] = ()
    music: Music | None = None
    mute: bool = False
    volume: float = 1.0
    loudness: float | None = None
    denoise: bool = False
    max_bytes: int | None = None
    # Draw the date the first clip was recorded (from its own metadata) in this corner.
    date_corner: Corner | None = None
    logo: Logo | None = None
    zoom: Zoom | None = None
    stabilize: bool = False
    rotate: int = 0
    hflip: bool = False
    vflip: bool = False
    color: Color = field(default_factory=Color)
    ignored: tuple[str, ...] = ()

    @property
    def long_side(self) -> int:
        """The output's long side: 1080p → 1920, 720p → 1280, 2160p (4k) → 3840."""
        return even(self.resolution * 16 / 9)


def even(value: float) -> int:
    """Round to the nearest even number of at least 2 (yuv420p needs even sizes)."""
    return max(2, round(value / 2) * 2)


def problems(plan: EditPlan) -> list[str]:  # noqa: PLR0912, PLR0915 - one check per field
    """Given a plan, return what makes it impossible to render as meant (empty when valid).

    The prompt parser refuses any reading that would break one of these, so the words
    are reported instead of rendered wrong; the property tests hold it to that."""
    found: list[str] = []

    def time(name: str, value: float | None) -> None:
        if value is not None and not (math.isfinite(value) and value >= 0):
            found.append(f"{name}={value}")

    def span(name: str, s: Span, *, signed: bool = False) -> None:
        time(f"{name}.start", abs(s.start) if signed else s.start)
        time(f"{name}.end", s.end)
        if s.end is not None and s.end <= s.start:
            found.append(f"{name} ends before it starts")

    t = plan.trim
    for name in ("head", "tail", "last"):
        time(name, getattr(t, name))
    if t.keep is not None:
        span("keep", t.keep)
    for s in t.remove:
        span("remove", s)
    for name in ("max_duration", "fade_in", "fade_out", "loop_seconds"):
        time(name, getattr(plan, name))
    if not MIN_SPEED <= plan.speed <= MAX_SPEED:
        found.append(f"speed={plan.speed}")
    for r in plan.speed_ranges:
        span("speed range", r.span, signed=True)
        if not MIN_SPEED <= r.factor <= MAX_SPEED:
            found.append(f"range speed={r.factor}")
    if not 1 <= plan.loop_count <= MAX_LOOPS:
        found.append(f"loop_count={plan.loop_count}")
    if plan.loop_seconds is not None and not 0 < plan.loop_seconds <= MAX_LOOP_SECONDS:
        found.append(f"loop_seconds={plan.loop_seconds}")
    if plan.fps is not None and not MIN_FPS <= plan.fps <= MAX_FPS:
        found.append(f"fps={plan.fps}")
    if not 0 <= plan.volume <= 4:
        found.append(f"volume={plan.volume}")
    if plan.loudness is not None and not -70 <= plan.loudness <= -5:
        found.append(f"loudness={plan.loudness}")
    if plan.transition is not None:
        time("transition", plan.transition.duration)
    if plan.music is not None and plan.music.volume is not None and not 0 <= plan.music.volume <= 4:
        found.append(f"music volume={plan.music.volume}")
    if plan.rotate not in (0, 90, 180, 270):
        found.append(f"rotate={plan.rotate}")
    if plan.highlight is not None and not 1 <= plan.highlight.seconds <= MAX_LOOP_SECONDS:
        found.append(f"highlight={plan.highlight.seconds}")
    if plan.logo is not None and not 0.01 <= plan.logo.share <= 1:
        found.append(f"logo size={plan.logo.share}")
    if plan.max_bytes is not None and plan.max_bytes < 100_000:
        found.append(f"max_bytes={plan.max_bytes}")
    if not 144 <= plan.resolution <= 4320:
        found.append(f"resolution={plan.resolution}")
    c = plan.color
    if not (-1 <= c.brightness <= 1 and 0 <= c.contrast <= 3 and 0 <= c.saturation <= 3):
        found.append(f"color={c}")
    for title in plan.titles:
        if not title.text:
            found.append("empty title")
        time("title end", title.end)
    if plan.silence is not None and not plan.silence.threshold_db <= 0:
        found.append(f"silence threshold={plan.silence.threshold_db}")
    return found
