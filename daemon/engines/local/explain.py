"""`videofree plan "PROMPT" [FILE]`: what the local engine would do, without rendering."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.config import LocalSettings
from daemon.editplan.plan import (
    NEUTRAL_KELVIN,
    REVERSE_MAX_SECONDS,
    ZOOM_END,
    EditPlan,
    music_level,
)
from daemon.engines.local import datecaption, fonts, highlights
from daemon.engines.local.ffmpeg import (
    build_highlight_args,
    build_render_args,
    build_silence_args,
    build_stabilize_args,
)
from daemon.engines.local.prompt import plan_from
from daemon.engines.local.timeline import audio_out, timeline
from daemon.media import hwprobe
from daemon.media.encoders import CODEC_NAMES
from daemon.media.probe import MediaInfo, probe
from daemon.media.render import run_analysis
from daemon.units import fmt_seconds

if TYPE_CHECKING:
    from daemon.editplan.edits import EditsSpec

# Without a file, plan for a typical phone clip.
EXAMPLE_CLIP = MediaInfo(
    path=Path("input.mp4"),
    duration=60.0,
    size_bytes=0,
    width=1920,
    height=1080,
    fps=30.0,
    video_codec="h264",
    pix_fmt="yuv420p",
    has_audio=True,
    audio_rate=48000,
    audio_channels=2,
)
EXAMPLE_OUTPUT = Path("output.mp4")


def explain(
    prompt: str, edits: EditsSpec | None, file: Path | None, settings: LocalSettings, ffmpeg: str
) -> str:
    """Given a prompt (and edits, a file), return the plan, what was ignored and the exact
    ffmpeg command(s), as text for a person. Probes `file`; renders nothing."""
    plan = plan_from(prompt, edits)
    lines: list[str] = []
    if file is None:
        info = EXAMPLE_CLIP
        lines.append("input: none given; assuming a 1920x1080 30 fps 60 s clip with sound")
    else:
        info = probe(file)
        lines.append(f"input: {_describe_input(info)}")
    plan, dated = datecaption.with_capture_date(plan, info)
    plan, notes = fonts.resolve_titles(plan)
    notes = [*dated, *notes]
    lines.append("plan:")
    lines += [f"  {line}" for line in describe(plan)]
    if plan.ignored:
        lines.append("ignored (not understood):")
        lines += [f'  "{phrase}"' for phrase in plan.ignored]
    else:
        lines.append("ignored: nothing")
    lines += [f"note: {note}" for note in notes]
    if plan.highlight is not None:
        argv = build_highlight_args(ffmpeg, info)
        lines.append(
            "analysis pass (scores each second: motion + loudness; the cut depends on it):"
        )
        lines.append("  " + shlex.join(argv))
        if file is not None:
            log = run_analysis(argv, timeout=settings.timeout)
            plan, scored = highlights.resolve(plan, info, log)
            lines += [f"  {line}" for line in scored]
        else:
            lines.append("  (no file given: which seconds are kept is not known; the output")
            lines.append("  line below is for the whole example clip)")
    tl = timeline(plan, [info])
    lines.append(
        f"output: {tl.width}x{tl.height} {float(tl.rate):.3g} fps, "
        f"{fmt_seconds(round(tl.total, 2))}, "
        f"{'with' if audio_out(plan, [info]) else 'no'} sound, "
        f"{CODEC_NAMES[settings.codec]} + AAC MP4"
    )
    if plan.silence is not None and info.has_audio:
        lines.append("analysis pass (finds the silences; the cuts depend on it):")
        lines.append("  " + shlex.join(build_silence_args(ffmpeg, info, plan.silence)))
    if plan.stabilize:
        lines.append("analysis pass (measures camera shake):")
        lines.append(
            "  " + shlex.join(build_stabilize_args(ffmpeg, plan, [info], tl, EXAMPLE_OUTPUT))
        )
    # The encoder a job would use here: `auto` runs the same one-frame test encode.
    chosen = hwprobe.pick(ffmpeg, settings.encoder, settings.codec)
    lines.append(f"encoder: {chosen.reason}")
    argv = build_render_args(
        ffmpeg, plan, [info], tl, output=EXAMPLE_OUTPUT, settings=settings, encoder=chosen.encoder
    )
    lines.append("ffmpeg:")
    lines.append("  " + shlex.join(argv))
    return "\n".join(lines)


def _describe_input(info: MediaInfo) -> str:
    parts = [
        f"{info.path.name} {info.display_width}x{info.display_height}",
        f"{info.fps:.3g} fps{' (variable)' if info.vfr else ''}",
        fmt_seconds(round(info.duration, 2)),
        info.video_codec,
    ]
    if info.rotation:
        parts.append(f"rotated {info.rotation}°")
    if info.hdr:
        parts.append(f"HDR ({info.color_transfer}), tone-mapped to SDR")
    parts.append(f"sound {info.audio_rate} Hz" if info.has_audio else "no sound")
    return ", ".join(parts)


SILENCE_WHERE = {
    "all": "silences",
    "edges": "the dead air at the start and end",
    "start": "the dead air at the start",
    "end": "the dead air at the end",
}
FPS_HOW = {
    "duplicate": "frames dropped or repeated",
    "blend": "neighbouring frames blended",
    "interpolate": "motion-interpolated frames (slow)",
}


def _describe_time(plan: EditPlan) -> list[str]:
    """Lines for per-range speed, loops, reverse, frame rate, noise and colour temperature."""
    out: list[str] = []
    for ranged in plan.speed_ranges:
        span = ranged.span
        part = (
            f"the last {fmt_seconds(-span.start)}"
            if span.start < 0
            else f"{fmt_seconds(span.start)} to {_until(span.end)}"
        )
        out.append(f"speed {ranged.factor:g}x for {part} of each clip (pitch kept)")
    if plan.loop_seconds is not None:
        out.append(f"loop the edit to fill {fmt_seconds(plan.loop_seconds)}")
    elif plan.loop_count > 1:
        out.append(f"play the edit {plan.loop_count} times in a row")
    if plan.reverse:
        out.append(f"play backwards (at most {fmt_seconds(REVERSE_MAX_SECONDS)} of output)")
    if plan.fps is not None:
        out.append(f"frame rate {plan.fps:g} fps ({FPS_HOW[plan.fps_mode]})")
    if plan.highlight is not None:
        h = plan.highlight
        what = (
            f"keep the best {fmt_seconds(h.seconds)}"
            if h.mode == "best"
            else "cut the boring parts"
        )
        out.append(f"{what} (each second scored by motion + loudness in one analysis pass)")
    if plan.zoom is not None:
        out.append(f"slow zoom {plan.zoom} over the whole video (to {ZOOM_END:g}x)")
    if plan.logo is not None:
        logo = plan.logo
        out.append(f"logo {logo.path} in the {logo.corner} corner, {logo.share:.0%} wide")
    if plan.date_corner is not None:
        out.append(f"the recording date (from the file) in the {plan.date_corner} corner")
    if plan.max_bytes is not None:
        out.append(
            f"file under {plan.max_bytes / 1e6:g} MB (bitrate capped, size checked after "
            "encoding, encoded again lower if over)"
        )
    if plan.denoise:
        out.append("reduce background noise (high-pass 80 Hz + FFT denoise)")
    if plan.color.temperature != NEUTRAL_KELVIN:
        warmth = "warmer" if plan.color.temperature < NEUTRAL_KELVIN else "cooler"
        out.append(f"colour temperature {plan.color.temperature} K ({warmth})")
    return out


def describe(plan: EditPlan) -> list[str]:  # noqa: PLR0912, PLR0915 - one line per kind of edit
    """One line per edit in the plan, in plain words."""
    out: list[str] = []
    t = plan.trim
    if t.head:
        out.append(f"cut the first {fmt_seconds(t.head)} of each clip")
    if t.tail:
        out.append(f"cut the last {fmt_seconds(t.tail)} of each clip")
    if t.keep is not None:
        out.append(f"keep {fmt_seconds(t.keep.start)} to {_until(t.keep.end)}")
    if t.last is not None:
        out.append(f"keep only the last {fmt_seconds(t.last)}")
    for span in t.remove:
        out.append(f"remove {fmt_seconds(span.start)} to {_until(span.end)}")
    if plan.silence is not None:
        s = plan.silence
        where = SILENCE_WHERE[s.where]
        out.append(
            f"remove {where} (below {s.threshold_db:g} dB for {fmt_seconds(s.min_silence)}"
            f" or more, keeping {fmt_seconds(s.padding)} around speech)"
        )
    if plan.speed != 1.0:
        out.append(f"speed {plan.speed:g}x (pitch kept)")
    out += _describe_time(plan)
    if plan.max_duration is not None:
        limit = fmt_seconds(plan.max_duration)
        # Said plainly: the length is kept by cutting the end, not by picking a part.
        out.append(f"at most {limit} long (anything after {limit} is cut off)")
    frame = "the clip's own shape" if plan.aspect == "source" else plan.aspect
    fill = "" if plan.aspect == "source" else f", {plan.fill} to fill"
    out.append(f"frame: {frame} at {plan.resolution}p{fill}")
    if plan.rotate:
        out.append(f"rotate {plan.rotate}° clockwise")
    if plan.hflip or plan.vflip:
        out.append(
            "mirror "
            + " and ".join(
                w for w, on in (("horizontally", plan.hflip), ("vertically", plan.vflip)) if on
            )
        )
    if plan.stabilize:
        out.append("stabilise (vidstab, one extra analysis pass)")
    c = plan.color
    if c.grayscale:
        out.append("black and white")
    if (c.brightness, c.contrast, c.saturation) != (0.0, 1.0, 1.0):
        out.append(
            f"colour: brightness {c.brightness:+g}, contrast {c.contrast:g}, "
            f"saturation {c.saturation:g}"
        )
    if plan.transition is not None:
        out.append(f"transitions: {plan.transition.kind}, {fmt_seconds(plan.transition.duration)}")
    if plan.fade_in:
        out.append(f"fade in {fmt_seconds(plan.fade_in)}")
    if plan.fade_out:
        out.append(f"fade out {fmt_seconds(plan.fade_out)}")
    for title in plan.titles:
        start = (
            fmt_seconds(title.start) if title.start >= 0 else f"last {fmt_seconds(-title.start)}"
        )
        where = f"in the {title.corner} corner" if title.corner else title.position
        out.append(f'text "{title.text}" {where}, {title.size}, {start} to {_until(title.end)}')
    if plan.music is not None:
        m = plan.music
        level = f"{music_level(m, beside_clip_sound=not plan.mute):.0%}"
        if m.volume is None:  # the default for its place: say which place
            level += " (the clip's sound is muted)" if plan.mute else " under the clip's sound"
        out.append(
            f"music {m.path} at {level}{', looped' if m.loop else ''}"
            f"{', ducked under speech' if m.duck else ''}"
        )
    if plan.mute:
        out.append("mute the clip's sound")
    if plan.volume != 1.0:
        out.append(f"volume {plan.volume:.0%}")
    if plan.loudness is not None:
        out.append(f"loudness {plan.loudness:g} LUFS")
    return out


def _until(end: float | None) -> str:
    """The end of a span as words: a time, or "the end" when it runs to the end."""
    return "the end" if end is None else fmt_seconds(end)
