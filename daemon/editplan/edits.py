"""Structured `edits:` in rules.yaml: the YAML form of an EditPlan.

A rule may say what it wants in words (`prompt:`), in structure (`edits:`), or both; both
make the same EditPlan, and a key given in `edits:` overrides what the prompt said about
the same setting (titles and removed ranges are added). Every field is documented once,
here, in its `description`; docs/prompts.md shows them with examples.

    edits:
      cut_start: 2s
      aspect: vertical
      transition: {type: dissolve, duration: 0.5s}
      title: {text: Urban Dreams, end: 3s, position: top}
      music: {file: ~/Music/lofi.mp3, volume: 35%, duck: true}
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from daemon import units
from daemon.editplan.plan import (
    ASPECTS,
    BYTES_PER_MB,
    DEFAULT_LOGO_SHARE,
    DEFAULT_MUSIC_FADE_OUT,
    DEFAULT_MUSIC_VOLUME,
    DEFAULT_TITLE_SECONDS,
    DEFAULT_TRANSITION,
    MAX_FPS,
    MAX_LOOP_SECONDS,
    MAX_LOOPS,
    MAX_SPEED,
    MIN_FPS,
    MIN_SPEED,
    MUSIC_ALONE_VOLUME,
    SILENCE_MIN_SECONDS,
    SILENCE_PADDING,
    SILENCE_THRESHOLD_DB,
    TRANSITION_KINDS,
    Aspect,
    Corner,
    EditPlan,
    Fill,
    FpsMode,
    Highlight,
    Logo,
    Music,
    Position,
    SilenceCut,
    SilenceWhere,
    Span,
    SpeedRange,
    Title,
    TitleSize,
    Transition,
    TransitionKind,
    Zoom,
)
from daemon.editplan.vocab import (
    ASPECT_NAMES,
    FPS_MODE_NAMES,
    LOUDNESS_NAMES,
    RESOLUTION_NAMES,
    SIZE_TARGET_MB,
    TEMPERATURE_NAMES,
    TRANSITION_NAMES,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def _wrap(kind: str, parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        try:
            return parse(value)
        except (ValueError, TypeError) as exc:
            raise PydanticCustomError(kind, str(exc)) from None

    return validate


def _time(value: Any) -> float:
    if not isinstance(value, str | int | float):
        raise ValueError(f"expected a time such as 2s, 1:30 or 1.5 minutes [got {value!r}]")
    return units.seconds(value)


def _span(value: Any) -> Span:
    """ "0:10-0:45", "10s to 45s", [10, 45] or {from: 10s, to: 45s} → Span."""
    if isinstance(value, Span):
        return value
    start: Any
    end: Any
    if isinstance(value, dict):
        unknown = set(value) - {"from", "to", "start", "end"}
        if unknown:
            raise ValueError(f"a range has keys from/to [got {sorted(unknown)}]")
        start, end = value.get("from", value.get("start", 0)), value.get("to", value.get("end"))
    elif isinstance(value, list | tuple) and len(value) == 2:
        start, end = value
    elif isinstance(value, str) and (
        m := re.match(r"^\s*(.+?)\s*(?:-|–|\bto\b|\.\.)\s*(.+?)\s*$", value)
    ):
        start, end = m[1], m[2]
    else:
        raise ValueError(
            f"expected a range such as '0:10-0:45' or {{from: 10s, to: 45s}} [got {value!r}]"
        )
    span = Span(_time(start), None if end is None else _time(end))
    if span.end is not None and span.end <= span.start:
        raise ValueError(f"a range must end after it starts [got {value!r}]")
    return span


def _speed(value: Any) -> float:
    if isinstance(value, str):
        value = value.strip().lower().removesuffix("x").removesuffix("×").strip()
    try:
        if isinstance(value, bool):
            raise ValueError
        factor = float(value)
    except (ValueError, TypeError):
        raise ValueError(f"expected a speed factor such as 2 or 0.5x [got {value!r}]") from None
    if not MIN_SPEED <= factor <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED}x and {MAX_SPEED:g}x [got {value!r}]")
    return factor


# YAML 1.1 reads an unquoted 9:16 as the base-60 integer 556; map those back.
_SEXAGESIMAL_ASPECTS: dict[int, Aspect] = {
    9 * 60 + 16: "9:16",
    16 * 60 + 9: "16:9",
    61: "1:1",
    4 * 60 + 5: "4:5",
}


def _aspect(value: Any) -> Aspect:
    if isinstance(value, int) and value in _SEXAGESIMAL_ASPECTS:
        return _SEXAGESIMAL_ASPECTS[value]
    text = str(value).strip().lower().replace("x", ":").replace("/", ":").replace(" ", "")
    if text in ASPECTS:
        return text
    if text in ASPECT_NAMES:
        return ASPECT_NAMES[text]
    names = ", ".join(dict.fromkeys([*ASPECTS, *ASPECT_NAMES]))
    raise ValueError(f"unknown aspect (use one of: {names}) [got {value!r}]")


def _resolution(value: Any) -> int:
    text = str(value).strip().lower()
    if text in RESOLUTION_NAMES:
        return RESOLUTION_NAMES[text]
    m = re.match(r"^(\d{3,4})\s*p?$", text)
    if m is None or not 144 <= int(m[1]) <= 4320:
        raise ValueError(f"expected a resolution such as 1080p, 720p or 4k [got {value!r}]")
    return int(m[1])


def _fraction(value: Any) -> float:
    if isinstance(value, str | int | float):
        return units.fraction(value)
    raise ValueError(f"expected a percentage such as 35% [got {value!r}]")


def _loudness(value: Any) -> float:
    if isinstance(value, str) and value.strip().lower() in LOUDNESS_NAMES:
        return LOUDNESS_NAMES[value.strip().lower()]
    text = str(value).strip().lower().removesuffix("lufs").strip()
    try:
        lufs = float(text)
    except ValueError:
        raise ValueError(
            f"expected social, podcast or a LUFS target such as -14 [got {value!r}]"
        ) from None
    if not -70 <= -abs(lufs) <= -5:
        raise ValueError(f"a loudness target is between -70 and -5 LUFS [got {value!r}]")
    return -abs(lufs)


def _transition_kind(value: Any) -> TransitionKind:
    text = str(value).strip().lower().replace(" ", "").replace("-", "")
    if text in TRANSITION_KINDS:
        return text
    names = {re.sub(r"[\s-]", "", k): v for k, v in TRANSITION_NAMES.items()}
    if text in names:
        return names[text]
    raise ValueError(
        f"unknown transition (use one of: {', '.join(TRANSITION_KINDS)}) [got {value!r}]"
    )


def _volume(value: Any) -> float:
    """ "150%", 0.5 or a change in decibels ("-6dB") → a volume factor."""
    if isinstance(value, str) and value.strip().lower().endswith("db"):
        return round(10 ** (units.decibels(value) / 20), 3)
    return _fraction(value)


def _temperature(value: Any) -> int:
    text = str(value).strip().lower().removesuffix("k").strip()
    if text in TEMPERATURE_NAMES:
        return TEMPERATURE_NAMES[text]
    if text.isdigit() and 1000 <= int(text) <= 40000:
        return int(text)
    names = ", ".join(TEMPERATURE_NAMES)
    raise ValueError(f"expected {names} or kelvin such as 5000 [got {value!r}]")


def _max_size(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in SIZE_TARGET_MB:
        return int(SIZE_TARGET_MB[value.strip().lower()] * BYTES_PER_MB)
    if isinstance(value, str | int | float):
        return units.size_bytes(value)
    raise ValueError(f"expected a size such as 25MB or whatsapp [got {value!r}]")


def _highlight(value: Any) -> Highlight | None:
    if value is None or isinstance(value, Highlight):
        return value
    if isinstance(value, dict):  # a model_dump of a rule, read back
        return Highlight(**value)
    if isinstance(value, str) and value.strip().lower() == "boring":
        return Highlight(mode="boring")
    return Highlight(seconds=_time(value))


def _fps_mode(value: Any) -> FpsMode:
    text = str(value).strip().lower()
    if text in FPS_MODE_NAMES:
        return FPS_MODE_NAMES[text]
    raise ValueError(f"expected one of: {', '.join(FPS_MODE_NAMES)} [got {value!r}]")


def _db(value: Any) -> float:
    if isinstance(value, str | int | float):
        return units.decibels(value)
    raise ValueError(f"expected decibels such as -35dB [got {value!r}]")


Seconds = Annotated[float, BeforeValidator(_wrap("time", _time)), Field(ge=0)]
Range = Annotated[Span, BeforeValidator(_wrap("range", _span))]
Speed = Annotated[float, BeforeValidator(_wrap("speed", _speed))]
AspectName = Annotated[str, BeforeValidator(_wrap("aspect", _aspect))]
Resolution = Annotated[int, BeforeValidator(_wrap("resolution", _resolution))]
Fraction = Annotated[float, BeforeValidator(_wrap("percent", _fraction)), Field(ge=0, le=4)]
Loudness = Annotated[float, BeforeValidator(_wrap("loudness", _loudness))]
TransitionType = Annotated[str, BeforeValidator(_wrap("transition", _transition_kind))]
Decibels = Annotated[float, BeforeValidator(_wrap("decibels", _db))]
Volume = Annotated[float, BeforeValidator(_wrap("volume", _volume)), Field(ge=0, le=4)]
Kelvin = Annotated[int, BeforeValidator(_wrap("temperature", _temperature))]
# Written back as "N bytes" so a dumped rule reads back the same (a bare number is MB).
MaxSize = Annotated[
    int,
    BeforeValidator(_wrap("size", _max_size)),
    Field(ge=100_000),
    PlainSerializer(lambda v: f"{v} bytes", return_type=str),
]
FpsModeName = Annotated[str, BeforeValidator(_wrap("fps_mode", _fps_mode))]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SilenceSpec(_Spec):
    """How `remove_silence` finds dead air."""

    threshold: Decibels = Field(
        default=SILENCE_THRESHOLD_DB, description="Quieter than this is silence, e.g. -35dB."
    )
    min_silence: Seconds = Field(
        default=SILENCE_MIN_SECONDS,
        description="Only pauses at least this long are cut, e.g. 0.5s.",
    )
    padding: Seconds = Field(
        default=SILENCE_PADDING, description="Sound kept either side of speech, e.g. 0.15s."
    )
    where: SilenceWhere = Field(
        default="all",
        description="all (every pause), edges (dead air at the start and end), start or end.",
    )


class LogoSpec(_Spec):
    """An image drawn over the video in a corner."""

    file: str = Field(min_length=1, description="PNG/JPEG/WebP; ~ expanded, relative to the video.")
    corner: Corner = Field(default="top-right", description="top-left, top-right, bottom-…")
    size: Fraction = Field(default=DEFAULT_LOGO_SHARE, description="Width share, e.g. 15%.")


class SpeedRangeSpec(_Spec):
    """One stretch of each clip played at its own speed."""

    range: Range | None = Field(
        default=None, description="Seconds of the source clip, e.g. '0:00-0:05'."
    )
    last: Seconds | None = Field(
        default=None, description="Or the clip's last N seconds, e.g. 10s."
    )
    speed: Speed = Field(description="Its speed, e.g. 0.5 (slow motion) or 4.")

    @model_validator(mode="after")
    def _one_place(self) -> SpeedRangeSpec:
        if (self.range is None) == (self.last is None):
            raise ValueError("give either range or last")
        return self

    def to_range(self) -> SpeedRange:
        span = self.range if self.range is not None else Span(-(self.last or 0.0), None)
        return SpeedRange(span, self.speed)


class TransitionSpec(_Spec):
    """A transition between clips and at removed ranges."""

    type: TransitionType = Field(
        default="fade",
        description="fade, dissolve, fadeblack, wipeleft, slideleft, ... or crossfade/wipe/slide.",
    )
    duration: Seconds = Field(default=DEFAULT_TRANSITION, description="Overlap length, e.g. 0.5s.")


class TitleSpec(_Spec):
    """Text drawn over the video."""

    text: str = Field(min_length=1, description="The words; any script (shaped with HarfBuzz).")
    start: Seconds = Field(default=0.0, description="When it appears (output time), e.g. 0s.")
    end: Seconds | None = Field(
        default=DEFAULT_TITLE_SECONDS, description="When it disappears; null = until the end."
    )
    position: Position = Field(default="center", description="top, center or bottom.")
    size: TitleSize = Field(default="large", description="small, medium or large.")
    font: str | None = Field(
        default=None,
        description="A font file (.ttf/.otf) or a system font name; default: bundled DejaVu Sans.",
    )
    color: str = Field(default="white", description="An ffmpeg colour name or #RRGGBB.")

    def to_title(self) -> Title:
        return Title(
            text=self.text,
            start=self.start,
            end=self.end,
            position=self.position,
            size=self.size,
            font=self.font,
            color=self.color,
        )


class MusicSpec(_Spec):
    """A background track."""

    file: str = Field(
        min_length=1, description="Audio file; ~ is expanded, relative to the video's folder."
    )
    volume: Fraction | None = Field(
        default=None,
        description=(
            f"Music level, e.g. 35% or 0.35; by default {DEFAULT_MUSIC_VOLUME:.0%} under the "
            f"clip's sound, {MUSIC_ALONE_VOLUME:.0%} when the clip is muted or has none."
        ),
    )
    loop: bool = Field(
        default=True, description="Repeat the track when it is shorter than the video."
    )
    fade_out: Seconds = Field(
        default=DEFAULT_MUSIC_FADE_OUT, description="Fade the music out over the last N seconds."
    )
    duck: bool = Field(
        default=False, description="Lower the music while the clip has sound (sidechain)."
    )


def _title_list(value: Any) -> Any:
    if isinstance(value, str | dict):
        value = [value]
    if isinstance(value, list):
        return [{"text": v} if isinstance(v, str) else v for v in value]
    return value


def _music(value: Any) -> Any:
    return {"file": value} if isinstance(value, str) else value


def _transition(value: Any) -> Any:
    return {"type": value} if isinstance(value, str) else value


def _silence(value: Any) -> Any:
    if value is True:
        return {}
    if value is False:
        return None
    return value


class EditsSpec(_Spec):
    """The `edits:` mapping of a rule: the same edits a prompt can ask for, as keys.

    Unknown keys are errors. Times accept 2, "2s", "1:30" or "1.5 minutes"; percentages
    accept "35%" or 0.35. Cuts apply to each clip of a combined job.
    """

    cut_start: Seconds | None = Field(
        default=None, description="Cut this much off the start of each clip, e.g. 2s."
    )
    cut_end: Seconds | None = Field(
        default=None, description="Cut this much off the end of each clip, e.g. 3s."
    )
    keep: Range | None = Field(
        default=None, description="Keep only this range, e.g. '0:10-0:45' or {from: 10s, to: 45s}."
    )
    keep_last: Seconds | None = Field(default=None, description="Keep only the last N seconds.")
    remove: list[Range] | None = Field(
        default=None, description="Ranges to cut out, e.g. ['0:10-0:15']."
    )
    max_duration: Seconds | None = Field(
        default=None, description="Cap the output length, e.g. 60s."
    )
    remove_silence: Annotated[SilenceSpec | None, BeforeValidator(_silence)] = Field(
        default=None, description="true, or {threshold, min_silence, padding}: cut dead air."
    )
    speed: Speed | None = Field(
        default=None, description="Playback speed, e.g. 2 or 0.5x; pitch is kept."
    )
    speed_ranges: list[SpeedRangeSpec] | None = Field(
        default=None, description="Parts at their own speed: [{range: '0:00-0:05', speed: 0.5}]."
    )
    loop: int | None = Field(
        default=None, ge=1, le=MAX_LOOPS, description="Play the edit this many times in a row."
    )
    loop_to: Seconds | None = Field(
        default=None,
        le=MAX_LOOP_SECONDS,
        description="Repeat the edit until it fills this long, e.g. 30s (the last repeat is cut).",
    )
    reverse: bool | None = Field(
        default=None, description="Play backwards (at most 20 s of output: frames are buffered)."
    )
    fps: float | None = Field(
        default=None, ge=MIN_FPS, le=MAX_FPS, description="Output frame rate, e.g. 60 or 23.976."
    )
    fps_mode: FpsModeName | None = Field(
        default=None,
        description="duplicate (drop/repeat frames, default), blend, or interpolate (motion).",
    )
    aspect: AspectName | None = Field(
        default=None,
        description="source, 9:16, 16:9, 1:1, 4:5 or vertical/tiktok/youtube/square/instagram.",
    )
    fill: Fill | None = Field(
        default=None, description="How a different aspect is filled: blur (default), crop or pad."
    )
    resolution: Resolution | None = Field(
        default=None, description="1080p (default), 720p, 1440p, 4k."
    )
    fade: Seconds | None = Field(
        default=None, description="Fade in and out (video and audio) over N seconds."
    )
    fade_in: Seconds | None = Field(default=None, description="Fade in from black over N seconds.")
    fade_out: Seconds | None = Field(default=None, description="Fade out to black over N seconds.")
    transition: Annotated[TransitionSpec | None, BeforeValidator(_transition)] = Field(
        default=None, description="A type (fade, dissolve, wipe, slide, ...) or {type, duration}."
    )
    titles: Annotated[list[TitleSpec] | None, BeforeValidator(_title_list)] = Field(
        default=None,
        description="A text, a {text, start, end, position, size, font, color}, or a list of them.",
    )
    music: Annotated[MusicSpec | None, BeforeValidator(_music)] = Field(
        default=None, description="A file, or {file, volume, loop, fade_out, duck}."
    )
    mute: bool | None = Field(default=None, description="Drop the clip's own sound.")
    volume: Volume | None = Field(
        default=None, description="The clip's sound level, e.g. 150%, 0.5 or -6dB."
    )
    denoise: bool | None = Field(
        default=None, description="Reduce background noise (hum, hiss, wind rumble)."
    )
    highlight: Annotated[Highlight | None, BeforeValidator(_wrap("highlight", _highlight))] = Field(
        default=None,
        description="Keep the best N seconds (e.g. 15s), or 'boring' to cut the dull parts.",
    )
    logo: Annotated[LogoSpec | None, BeforeValidator(_music)] = Field(
        default=None, description="An image file, or {file, corner, size}: a logo/watermark."
    )
    zoom: Zoom | None = Field(
        default=None, description="A slow zoom over the whole video (Ken Burns): in or out."
    )
    date_caption: Corner | None = Field(
        default=None,
        description="Draw the recording date (from the file) in a corner, e.g. bottom-right.",
    )
    max_size: MaxSize | None = Field(
        default=None,
        description="Keep the file under a size: 25MB, or whatsapp (16), discord (10), email (20).",
    )
    loudness: Loudness | None = Field(
        default=None, description="EBU R128 target: social (-14 LUFS), podcast (-16) or a number."
    )
    stabilize: bool | None = Field(
        default=None, description="Remove camera shake (vidstab; an extra analysis pass)."
    )
    rotate: Literal[0, 90, 180, 270] | None = Field(
        default=None, description="Rotate clockwise by 90, 180 or 270 degrees."
    )
    flip: Literal["horizontal", "vertical", "both", "none"] | None = Field(
        default=None, description="Mirror the picture."
    )
    black_and_white: bool | None = Field(default=None, description="Grayscale.")
    brightness: float | None = Field(
        default=None, ge=-1, le=1, description="-1..1; 0 is unchanged, 0.06 a little brighter."
    )
    contrast: float | None = Field(
        default=None, ge=0, le=3, description="1 is unchanged, 1.15 a little more."
    )
    saturation: float | None = Field(
        default=None, ge=0, le=3, description="1 is unchanged, 0 grey, 1.3 more vivid."
    )
    temperature: Kelvin | None = Field(
        default=None, description="warmer, cooler, or kelvin (6500 neutral; lower is warmer)."
    )

    def apply(self, plan: EditPlan) -> EditPlan:  # noqa: PLR0912 - one branch per key
        """Given the prompt's plan, return it with these edits laid over it."""
        given = self.model_fields_set
        changes: dict[str, Any] = {}
        trim = plan.trim
        for key, field_name in (
            ("cut_start", "head"),
            ("cut_end", "tail"),
            ("keep", "keep"),
            ("keep_last", "last"),
        ):
            if key in given and getattr(self, key) is not None:
                trim = replace(trim, **{field_name: getattr(self, key)})
        if self.remove:
            trim = replace(trim, remove=(*trim.remove, *self.remove))
        changes["trim"] = trim
        if "remove_silence" in given:
            spec = self.remove_silence
            changes["silence"] = (
                None
                if spec is None
                else SilenceCut(
                    threshold_db=-abs(spec.threshold),
                    min_silence=spec.min_silence,
                    padding=spec.padding,
                    where=spec.where,
                )
            )
        for key in (
            "max_duration",
            "speed",
            "aspect",
            "fill",
            "resolution",
            "fade_in",
            "fade_out",
            "mute",
            "volume",
            "loudness",
            "stabilize",
            "rotate",
            "reverse",
            "fps",
            "fps_mode",
            "denoise",
            "zoom",
        ):
            value = getattr(self, key)
            if key in given and value is not None:
                changes[key] = value
        if self.highlight is not None:
            changes["highlight"] = self.highlight
        if self.logo is not None:
            changes["logo"] = Logo(self.logo.file, self.logo.corner, self.logo.size)
        if self.date_caption is not None:
            changes["date_corner"] = self.date_caption
        if self.max_size is not None:
            changes["max_bytes"] = self.max_size
        if self.loop is not None:
            changes["loop_count"] = self.loop
        if self.loop_to is not None:
            changes["loop_seconds"] = self.loop_to
        if self.speed_ranges:
            changes["speed_ranges"] = (
                *plan.speed_ranges,
                *(r.to_range() for r in self.speed_ranges),
            )
        if self.fade is not None:
            changes.setdefault("fade_in", self.fade)
            changes.setdefault("fade_out", self.fade)
        if "transition" in given:
            t = self.transition
            changes["transition"] = (
                None
                if t is None
                else Transition(
                    kind=t.type,  # type: ignore[arg-type]
                    duration=t.duration,
                )
            )
        if self.titles:
            changes["titles"] = (*plan.titles, *(t.to_title() for t in self.titles))
        if "music" in given:
            m = self.music
            changes["music"] = (
                None
                if m is None
                else Music(
                    path=m.file, volume=m.volume, loop=m.loop, fade_out=m.fade_out, duck=m.duck
                )
            )
        if self.flip is not None:
            changes["hflip"] = self.flip in ("horizontal", "both")
            changes["vflip"] = self.flip in ("vertical", "both")
        color = plan.color
        if self.black_and_white is not None:
            color = replace(color, grayscale=self.black_and_white)
        for key in ("brightness", "contrast", "saturation", "temperature"):
            if getattr(self, key) is not None:
                color = replace(color, **{key: getattr(self, key)})
        changes["color"] = color
        return replace(plan, **changes)
