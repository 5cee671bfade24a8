"""EditPlan + Timeline → the filter graph and the ffmpeg argv that render it (pure).

One render is one ffmpeg process with one filter_complex:

    per input   [i:v] drop surplus frames → crop → scale (HDR: tone-mapped in the same
                zscale step) → rotate/flip → repeat/blend frames → pad/blur fill → split;
                everything after the scale works on output-sized pictures (reduce_for)
                [i:a] resample 48 kHz stereo (or anullsrc silence) → asplit
    per piece   trim → pad to the exact planned length (so every join lands on time)
    joins       concat for hard cuts, xfade + acrossfade for transitions
    whole edit  speed → length cap → stabilise → colour → titles → fades → BT.709 tags
    audio       atempo → volume → music (+ ducking) → loudnorm → fades → 48 kHz

The time arithmetic (which stretches, snapped to which frame grid, how long) lives in
timeline.py; the engine computes the Timeline once per render and passes it to every
builder here, so the analysis passes and the render agree on the cut.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from daemon.config import LocalSettings
from daemon.editplan.plan import (
    BYTES_PER_MB,
    MIN_VIDEO_BITRATE,
    NEUTRAL_KELVIN,
    ZOOM_END,
    EditPlan,
    SilenceCut,
    Title,
    even,
    music_level,
)
from daemon.engines.local import fonts
from daemon.engines.local.highlights import ANALYSIS_FPS, ANALYSIS_WIDTH
from daemon.engines.local.timeline import Timeline, audio_out
from daemon.errors import PermanentError
from daemon.media.encoders import Encoder, concrete, device_args, encode_args, upload_filter
from daemon.media.probe import MediaInfo
from daemon.media.render import progress_args
from daemon.media.tools import quiet_args

AUDIO_RATE = 48000
AUDIO_BITRATE = "192k"
AUDIO_LAYOUT = "aformat=sample_fmts=fltp:channel_layouts=stereo"
AUDIO_FORMAT = f"aresample={AUDIO_RATE},{AUDIO_LAYOUT}"
# A clip's sound may start after its picture (an edit list, a screen recorder that waits
# for the first sound, a camera's late microphone): first_pts=0 fills the gap with silence,
# so cutting the joined streams at the same times keeps them in sync.
INPUT_AUDIO = f"aresample={AUDIO_RATE}:first_pts=0,{AUDIO_LAYOUT}"
# The same for a picture that starts after the sound: the first frame is held from 0.
VIDEO_FROM_ZERO = ":start_time=0"
# Blurred background: blur a 1/8-size copy (cheap) and scale it back up.
BLUR_SCALE = 8
BLUR_RADIUS = 10
# Hable keeps highlight detail when HDR is squeezed into SDR; npl=100 maps HDR reference
# white to SDR white so faces keep their brightness.
TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
    "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)
# Untagged video narrower than HD_MIN_WIDTH and no taller than SD_MAX_HEIGHT is standard
# definition, whose matrix is BT.601 (see _matrix).
HD_MIN_WIDTH = 1280
SD_MAX_HEIGHT = 576
LOUDNORM_TRUE_PEAK = -1.5
LOUDNORM_RANGE = 11
# Ducking: when the clip's sound passes about -34 dBFS the music drops by up to 8:1.
DUCK = "sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400"
# Analysis passes decode cheaply: no deblocking (a blockier picture scores motion and
# scenes the same), and for highlights, which sample 4 frames a second, no decoding of
# frames nothing refers to. Decoders already use every core by default (-threads auto).
FAST_DECODE = ("-skip_loop_filter", "all")
SPARSE_DECODE = (*FAST_DECODE, "-skip_frame", "noref")
DEINTERLACE = "bwdif=mode=send_frame:deint=interlaced"
STABILIZE_DETECT = "vidstabdetect=shakiness=5:accuracy=15"
STABILIZE_TRANSFORM = "vidstabtransform=smoothing=15:optzoom=1:interpol=bicubic"
STABILIZE_SHARPEN = "unsharp=5:5:0.8:3:3:0.4"
TITLE_FADE = 0.3
# One filter per way of reaching the output rate (plan.FpsMode): fps drops or repeats
# frames; framerate blends neighbours; minterpolate estimates motion (slow, smoothest).
# Each ends in an fps filter that starts at 0 (VIDEO_FROM_ZERO); after fps it is a no-op.
FPS_FILTERS = {
    "duplicate": "fps={rate}" + VIDEO_FROM_ZERO,
    "blend": "framerate=fps={rate},fps={rate}" + VIDEO_FROM_ZERO,
    "interpolate": "minterpolate=fps={rate}:mi_mode=mci:mc_mode=aobmc:vsbmc=1,fps={rate}"
    + VIDEO_FROM_ZERO,
}
# Background noise: a high-pass removes rumble and wind below 80 Hz, then afftdn takes
# off a broadband noise floor (hiss, hum, fans) by 12 dB.
DENOISE = "highpass=f=80,afftdn=nr=12:nf=-40"
# Size targets: aim 7 % under the limit (MP4 headers, the rate control's slack); sound
# gets 128 kb/s, or 64 kb/s when the whole budget is under 1 Mb/s.
SIZE_MARGIN = 0.93
SIZE_AUDIO_BITRATE = 128_000
SIZE_AUDIO_BITRATE_LOW = 64_000
SIZE_SMALL_BUDGET = 1_000_000
TITLE_SIZE_DIVISOR = {"small": 20, "medium": 14, "large": 9}
TITLE_Y = {"top": "h*0.08", "center": "(h-text_h)/2", "bottom": "h*0.90-text_h"}
# A corner label sits 4 % of the width and 5 % of the height in from the edges.
CORNER_XY = {
    "top-left": ("w*0.04", "h*0.05"),
    "top-right": ("w*0.96-text_w", "h*0.05"),
    "bottom-left": ("w*0.04", "h*0.95-text_h"),
    "bottom-right": ("w*0.96-text_w", "h*0.95-text_h"),
}
# The logo sits 3 % of the frame in from the edges of its corner.
LOGO_XY = {
    "top-left": ("W*0.03", "H*0.03"),
    "top-right": ("W-w-W*0.03", "H*0.03"),
    "bottom-left": ("W*0.03", "H-h-H*0.03"),
    "bottom-right": ("W-w-W*0.03", "H-h-H*0.03"),
}
COLOR_TAGS = (
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-colorspace",
    "bt709",
    "-color_range",
    "tv",
)


# --- escaping ---------------------------------------------------------------------------------


def escape_value(value: str) -> str:
    """Escape a filter option value for a filtergraph: first for the option parser
    (\\ ' :), then for the graph parser (\\ ' [ ] , ;)."""
    level1 = "".join("\\" + c if c in "\\':" else c for c in value)
    return "".join("\\" + c if c in "\\'[],;" else c for c in level1)


def _num(value: float) -> str:
    """A time or factor for a filter option: up to microseconds, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# --- the graph ---------------------------------------------------------------------------------


def _windows(tl: Timeline, inputs: Sequence[MediaInfo]) -> list[tuple[float, float]]:
    """Per input, the stretch to decode ([first kept start, last kept end]), so a long
    clip trimmed to a few seconds is not decoded whole."""
    out = []
    for index, info in enumerate(inputs):
        own = [p for p in tl.pieces if p.source == index]
        if not own:
            out.append((0.0, 0.0))
            continue
        # Without an index (MPEG-TS) -ss lands on a later keyframe: decode from the start.
        start = min(p.start for p in own) if info.seekable else 0.0
        out.append((start, min(max(p.end for p in own), info.duration)))
    return out


def _input_args(
    tl: Timeline,
    inputs: Sequence[MediaInfo],
    plan: EditPlan,
    music: Path | None,
    logo: Path | None = None,
    *,
    decode: Sequence[str] = (),
) -> list[str]:
    """-ss/-t/-i per clip (with the `decode` options before each), then music and logo."""
    args: list[str] = []
    for (w0, w1), info in zip(_windows(tl, inputs), inputs, strict=True):
        args += decode
        if w0 > 0:
            args += ["-ss", _num(w0)]
        if w1 < info.duration:
            # A little more than the window: the last piece pads itself if the file ends early.
            args += ["-t", _num(w1 - w0 + 1.0)]
        args += ["-i", str(info.path)]
    if music is not None and plan.music is not None:
        if plan.music.loop:
            args += ["-stream_loop", "-1"]
        args += ["-i", str(music)]
    if logo is not None:
        # One still image: overlay repeats its only frame to the end (eof_action=repeat).
        args += ["-i", str(logo)]
    return args


@dataclass(frozen=True)
class Reduce:
    """How one input's picture shrinks to the output, in the input's own orientation
    (before the plan's rotation): a centred crop to the output's shape (None: no crop),
    then a scale to `size`; `fill` says what happens around a picture smaller than the
    frame ("pad", "blur", or "" when it fills the frame)."""

    crop: tuple[int, int] | None
    size: tuple[int, int]
    fill: str


def reduce_for(info: MediaInfo, plan: EditPlan, tl: Timeline) -> Reduce:
    """Given one input and the output frame, return how to crop and scale it so that
    every later filter (tone-map, colour, rotation, fill) works at output size or less."""
    turned = plan.rotate in (90, 270)
    # The output frame seen in the input's orientation: rotation comes after the scale.
    w, h = (tl.height, tl.width) if turned else (tl.width, tl.height)
    sw, sh = info.display_width, info.display_height
    if abs(sw / sh - w / h) < 0.01 * (w / h):
        return Reduce(None, (w, h), "")
    if plan.fill == "crop":
        # Crop before the scale: the same picture as cover-scale-then-crop, fewer pixels.
        # The crop counts the frame's own pixels, which anamorphic video stretches.
        frame_w = info.height if info.rotation in (90, 270) else info.width
        if sw / sh > w / h:
            crop = (min(frame_w, even(sh * w / h / info.frame_sar)), sh)
        else:
            crop = (frame_w, even(sw * h / w))
        return Reduce(crop, (w, h), "")
    fitted = (w, even(w * sh / sw)) if sw / sh > w / h else (even(h * sw / sh), h)
    return Reduce(None, fitted, plan.fill)


def scale_step(info: MediaInfo, size: tuple[int, int], *, analysis: bool = False) -> str:
    """One step to `size` in SDR BT.709 tv range. HDR is tone-mapped in it: zscale
    resizes in the same step as the transfer conversion (lanczos, as the SDR path), so
    only output-sized pictures are converted to float. For an analysis pass, a plain
    bilinear resize: motion is measured on shapes, not colour."""
    w, h = size
    if analysis:
        return f"scale={w}:{h}:flags=bilinear"
    if info.hdr:
        primaries = info.color_primaries or "bt2020"
        matrix = info.color_space or "bt2020nc"
        return (
            f"zscale=w={w}:h={h}:f=lanczos:tin={info.color_transfer}:pin={primaries}:"
            f"min={matrix}:" + TONEMAP.removeprefix("zscale=")
        )
    return (
        f"scale={w}:{h}:flags=lanczos:in_color_matrix={_matrix(info)}:out_color_matrix=bt709:"
        "out_range=tv"
    )


def _matrix(info: MediaInfo) -> str:
    """The input's YUV matrix for swscale. Untagged video is read as players read it:
    standard definition as BT.601, HD and up as BT.709 (mpv's and VLC's guess), so an
    old camera's or a messenger's untagged 640x480 keeps the colours it plays with."""
    if info.color_space is None:
        hd = info.width >= HD_MIN_WIDTH or info.height > SD_MAX_HEIGHT
        return "bt709" if hd else "bt601"
    return "bt709" if info.color_space == "bt709" else "bt601"


def work_rate(plan: EditPlan, inputs: Sequence[MediaInfo], tl: Timeline) -> Fraction:
    """The constant rate the pieces are cut and joined at: the output rate, or for a
    whole-edit slow motion of high-frame-rate footage (a phone's 120/240 fps) a whole
    multiple of it, so the slowed picture shows the filmed frames instead of repeating
    every other one (the speed step brings it back to the output rate)."""
    if plan.speed >= 1.0 or plan.speed_ranges or plan.fps_mode != "duplicate":
        return tl.rate
    fastest = max(i.fps for i in inputs)
    # 1.01: 119.88 fps footage is a 2x multiple of 59.94 too.
    factor = min(math.floor(1 / plan.speed + 1e-9), math.floor(fastest * 1.01 / tl.rate))
    return tl.rate * max(1, factor)


def _video_prep(
    info: MediaInfo,
    plan: EditPlan,
    tl: Timeline,
    work: Fraction,
    *,
    analysis: bool = False,
) -> list[str]:
    """Filters that make one input's pictures output-sized, SDR BT.709, upright and at
    a constant rate (`work`, see work_rate), cheapest first: drop surplus frames, crop,
    scale (tone-map inside), then rotate and blend at output size."""
    chain: list[str] = []
    if info.interlaced:
        # Scaling woven fields blends them into combs on anything that moves; bwdif
        # makes one frame per frame (the rate stays), only of frames marked interlaced.
        chain.append(DEINTERLACE)
    rate = FPS_FILTERS[plan.fps_mode].format(rate=work)
    # Dropping frames costs nothing, so a faster source loses its surplus before any work;
    # repeating or blending frames happens after the scale, on small pictures.
    early = plan.fps_mode == "duplicate" and info.fps >= float(work)
    if early:
        chain.append(rate)
    reduce = reduce_for(info, plan, tl)
    if reduce.crop is not None:
        chain.append(f"crop={reduce.crop[0]}:{reduce.crop[1]}")
    chain.append(scale_step(info, reduce.size, analysis=analysis))
    chain += {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}.get(
        plan.rotate, []
    )
    if plan.hflip:
        chain.append("hflip")
    if plan.vflip:
        chain.append("vflip")
    if not early:
        chain.append(rate)
    return chain


def _fit(label_in: str, label_out: str, fill: str, tl: Timeline, *, tag: str) -> list[str]:
    """Chains that place one scaled input (see reduce_for) in the output frame."""
    w, h = tl.width, tl.height
    tail = "setsar=1,format=yuv420p"
    if not fill:
        return [f"{label_in}{tail}{label_out}"]
    if fill == "pad":
        return [f"{label_in}pad={w}:{h}:-1:-1:color=black,{tail}{label_out}"]
    bw, bh = even(w / BLUR_SCALE), even(h / BLUR_SCALE)
    radius = max(1, min(BLUR_RADIUS, bw // 4 - 1, bh // 4 - 1))
    return [
        f"{label_in}split=2[bg{tag}][fg{tag}]",
        f"[bg{tag}]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
        f"boxblur={radius}:2,scale={w}:{h},setsar=1[bgs{tag}]",
        f"[fg{tag}]setsar=1[fgs{tag}]",
        f"[bgs{tag}][fgs{tag}]overlay=(W-w)/2:(H-h)/2,{tail}{label_out}",
    ]


def _piece_chains(
    tl: Timeline,
    inputs: Sequence[MediaInfo],
    plan: EditPlan,
    with_audio: bool,
    *,
    analysis: bool = False,
) -> list[str]:
    chains: list[str] = []
    windows = _windows(tl, inputs)
    work = work_rate(plan, inputs, tl)
    for index, info in enumerate(inputs):
        own = [k for k, p in enumerate(tl.pieces) if p.source == index]
        if not own:
            continue
        w0, w1 = windows[index]
        prep = ",".join(_video_prep(info, plan, tl, work, analysis=analysis))
        chains.append(f"[{index}:v:{info.video_stream}]{prep}[pre{index}]")
        fill = reduce_for(info, plan, tl).fill
        chains += _fit(f"[pre{index}]", f"[fit{index}]", fill, tl, tag=str(index))
        chains.append(_split(f"[fit{index}]", "split", [f"[vs{k}]" for k in own]))
        if with_audio:
            if info.has_audio and not plan.mute:
                chains.append(f"[{index}:a:0]{INPUT_AUDIO}[ain{index}]")
            else:
                chains.append(
                    f"anullsrc=r={AUDIO_RATE}:cl=stereo:d={_num(w1 - w0 + 1.0)},"
                    f"{AUDIO_FORMAT}[ain{index}]"
                )
            chains.append(_split(f"[ain{index}]", "asplit", [f"[as{k}]" for k in own]))
        for k in own:
            p = tl.pieces[k]
            a, b, length = p.start - w0, p.end - w0, p.length
            speed = f"setpts=PTS/{_num(p.speed)},fps={tl.rate}," if p.speed != 1.0 else ""
            # No margins: after fps= the time base is one frame, and trim rounds its
            # times to the nearest frame, so `end` keeps round(end x rate) frames. (A
            # half-frame margin, written to 6 decimals, fell just under the .5 and lost
            # the last frame: 60 frames in, 59 out.) A picture that ends before the
            # piece (sound longer than the picture, as a player plays it) holds its last
            # frame to the end: padding by the whole length keeps the streams the same
            # length (padding by 1 s left the picture short of the sound).
            chains.append(
                f"[vs{k}]trim=start={_num(max(0.0, a))}:end={_num(b)},"
                f"setpts=PTS-STARTPTS,{speed}tpad=stop_mode=clone:stop_duration={_num(length)},"
                f"trim=end={_num(length)}[pv{k}]"
            )
            if with_audio:
                tempo = "".join(f"{f}," for f in atempo_chain(p.speed))
                chains.append(
                    f"[as{k}]atrim=start={_num(a)}:end={_num(b)},asetpts=PTS-STARTPTS,{tempo}"
                    f"apad=whole_dur={_num(length)},atrim=end={_num(length)}[pa{k}]"
                )
    return chains


def _split(label: str, kind: str, outs: list[str]) -> str:
    if len(outs) == 1:
        return f"{label}{'null' if kind == 'split' else 'anull'}{outs[0]}"
    return f"{label}{kind}={len(outs)}{''.join(outs)}"


def _join_chains(tl: Timeline, plan: EditPlan, with_audio: bool) -> list[str]:
    """Join the pieces: runs of hard cuts with one concat each, then xfades between runs."""
    runs: list[list[int]] = []
    for k, piece in enumerate(tl.pieces):
        if k == 0 or piece.overlap > 0:
            runs.append([k])
        else:
            runs[-1].append(k)
    chains: list[str] = []
    labels: list[tuple[str, str, float]] = []
    for r, run in enumerate(runs):
        length = sum(tl.pieces[k].length for k in run)
        if len(run) == 1:
            labels.append((f"[pv{run[0]}]", f"[pa{run[0]}]", length))
            continue
        ins = "".join(f"[pv{k}]" + (f"[pa{k}]" if with_audio else "") for k in run)
        outs = f"[rv{r}]" + (f"[ra{r}]" if with_audio else "")
        chains.append(f"{ins}concat=n={len(run)}:v=1:a={int(with_audio)}{outs}")
        labels.append((f"[rv{r}]", f"[ra{r}]", length))
    video, audio, length = labels[0]
    kind = plan.transition.kind if plan.transition is not None else "fade"
    for r, (v, a, run_length) in enumerate(labels[1:], start=1):
        overlap = tl.pieces[runs[r][0]].overlap
        chains.append(
            f"{video}{v}xfade=transition={kind}:duration={_num(overlap)}:"
            f"offset={_num(length - overlap)}[xv{r}]"
        )
        if with_audio:
            chains.append(f"{audio}{a}acrossfade=d={_num(overlap)}:c1=tri:c2=tri[xa{r}]")
        video, audio, length = f"[xv{r}]", f"[xa{r}]", length + run_length - overlap
    chains.append(f"{video}null[joinv]")
    if with_audio:
        chains.append(f"{audio}anull[joina]")
    return chains


def atempo_chain(speed: float) -> list[str]:
    """atempo filters for `speed`, each factor within 0.5-2 where atempo sounds cleanest."""
    filters = []
    remaining = speed
    while remaining > 2.0:
        filters.append("atempo=2")
        remaining /= 2.0
    while remaining < 0.5:
        filters.append("atempo=0.5")
        remaining /= 0.5
    if abs(remaining - 1.0) > 1e-9:
        filters.append(f"atempo={_num(remaining)}")
    return filters


def _title_filter(title: Title, tl: Timeline, font: Path) -> str:
    start = title.start if title.start >= 0 else max(0.0, tl.total + title.start)
    end = tl.total if title.end is None else min(title.end, tl.total)
    size = max(8, min(tl.width, tl.height) // TITLE_SIZE_DIVISOR[title.size])
    fade = min(TITLE_FADE, (end - start) / 3)
    alpha = (
        (
            f"if(lt(t,{_num(start + fade)}),(t-{_num(start)})/{_num(fade)},"
            f"if(gt(t,{_num(end - fade)}),({_num(end)}-t)/{_num(fade)},1))"
        )
        if fade > 0
        else "1"
    )
    options = {
        "fontfile": str(font),
        "text": title.text,
        "expansion": "none",
        "text_shaping": "1",
        "fontsize": str(size),
        "fontcolor": title.color,
        "borderw": str(max(1, size // 18)),
        "bordercolor": "black@0.6",
        "x": CORNER_XY[title.corner][0] if title.corner else "(w-text_w)/2",
        "y": CORNER_XY[title.corner][1] if title.corner else TITLE_Y[title.position],
        "enable": f"between(t,{_num(start)},{_num(end)})",
        "alpha": alpha,
    }
    return "drawtext=" + ":".join(f"{k}={escape_value(v)}" for k, v in options.items())


def _zoom_filter(zoom: str, tl: Timeline) -> str:
    """A slow centred zoom over the whole output (Ken Burns), one output frame per frame."""
    frames = max(1, round(tl.total * float(tl.rate)))
    grow = f"{_num(ZOOM_END - 1)}*on/{frames}"
    z = f"1+{grow}" if zoom == "in" else f"{_num(ZOOM_END)}-{grow}"
    return (
        f"zoompan=z='{z}':d=1:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':"
        f"s={tl.width}x{tl.height}:fps={tl.rate}"
    )


def _video_finish(tl: Timeline, plan: EditPlan, stabilize: Path | None) -> list[str]:
    chain: list[str] = []
    if plan.speed != 1.0:
        chain += [f"setpts=PTS/{_num(plan.speed)}", f"fps={tl.rate}"]
    chain.append(f"trim=end={_num(tl.total)}")
    if stabilize is not None:
        chain += [f"{STABILIZE_TRANSFORM}:input={escape_value(str(stabilize))}", STABILIZE_SHARPEN]
    if plan.reverse:
        chain.append("reverse")
    if plan.zoom is not None:
        chain.append(_zoom_filter(plan.zoom, tl))
    color = plan.color
    if color.temperature != NEUTRAL_KELVIN:
        chain.append(f"colortemperature=temperature={color.temperature}")
    if color.brightness or color.contrast != 1.0 or color.saturation != 1.0:
        chain.append(
            f"eq=brightness={_num(color.brightness)}:contrast={_num(color.contrast)}:"
            f"saturation={_num(color.saturation)}"
        )
    if color.grayscale:
        chain.append("hue=s=0")
    for title in plan.titles:
        chain.append(_title_filter(title, tl, fonts.font_file(title.font, title.text)))
    fade_in = min(plan.fade_in, tl.total / 2)
    fade_out = min(plan.fade_out, tl.total / 2)
    if fade_in > 0:
        chain.append(f"fade=t=in:st=0:d={_num(fade_in)}")
    if fade_out > 0:
        chain.append(f"fade=t=out:st={_num(tl.total - fade_out)}:d={_num(fade_out)}")
    chain += [
        "format=yuv420p",
        "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
    ]
    return chain


def _audio_finish(tl: Timeline, plan: EditPlan, inputs: Sequence[MediaInfo]) -> list[str]:
    """Chains from the joined sound ([joina]) and the music input to [aout]."""
    chains: list[str] = []
    original = not plan.mute and any(i.has_audio for i in inputs)
    total = _num(tl.total)
    current = ""
    if original:
        steps = [*atempo_chain(plan.speed), f"atrim=end={total}"]
        if plan.reverse:
            steps.append("areverse")
        if plan.denoise:
            steps.append(DENOISE)
        if plan.volume != 1.0:
            steps.append(f"volume={_num(plan.volume)}")
        chains.append(f"[joina]{','.join(steps)}[orig]")
        current = "[orig]"
    if plan.music is not None:
        m = plan.music
        index = len(inputs)
        steps = [
            AUDIO_FORMAT,
            f"volume={_num(music_level(m, beside_clip_sound=bool(current)))}",
            f"apad=whole_dur={total}",
            f"atrim=end={total}",
        ]
        fade = min(m.fade_out, tl.total / 2)
        if fade > 0:
            steps.append(f"afade=t=out:st={_num(tl.total - fade)}:d={_num(fade)}")
        chains.append(f"[{index}:a:0]{','.join(steps)}[music]")
        if current and m.duck:
            chains += [
                "[orig]asplit=2[orig1][orig2]",
                f"[music][orig1]{DUCK}[ducked]",
                "[orig2][ducked]amix=inputs=2:duration=first:normalize=0[mixed]",
            ]
            current = "[mixed]"
        elif current:
            chains.append("[orig][music]amix=inputs=2:duration=first:normalize=0[mixed]")
            current = "[mixed]"
        else:
            current = "[music]"
    steps = []
    if plan.loudness is not None:
        steps += [f"loudnorm=I={_num(plan.loudness)}:TP={LOUDNORM_TRUE_PEAK}:LRA={LOUDNORM_RANGE}"]
    fade_in = min(plan.fade_in, tl.total / 2)
    fade_out = min(plan.fade_out, tl.total / 2)
    if fade_in > 0:
        steps.append(f"afade=t=in:st=0:d={_num(fade_in)}")
    if fade_out > 0:
        steps.append(f"afade=t=out:st={_num(tl.total - fade_out)}:d={_num(fade_out)}")
    # loudnorm works at 192 kHz internally; come back to 48 kHz for AAC.
    steps += [AUDIO_FORMAT, f"apad=whole_dur={total}", f"atrim=end={total}"]
    chains.append(f"{current}{','.join(steps)}[aout]")
    return chains


def filter_graph(
    plan: EditPlan,
    inputs: Sequence[MediaInfo],
    tl: Timeline,
    *,
    stabilize: Path | None = None,
    detect: Path | None = None,
) -> str:
    """The whole filter_complex. With `detect`, the video ends in vidstabdetect writing
    its transforms there (the analysis pass of stabilisation) and there is no audio."""
    with_audio = audio_out(plan, inputs) and detect is None
    joined_audio = with_audio and not plan.mute and any(i.has_audio for i in inputs)
    chains = _piece_chains(tl, inputs, plan, joined_audio, analysis=detect is not None)
    chains += _join_chains(tl, plan, joined_audio)
    if detect is not None:
        steps = []
        if plan.speed != 1.0:
            steps += [f"setpts=PTS/{_num(plan.speed)}", f"fps={tl.rate}"]
        steps += [
            f"trim=end={_num(tl.total)}",
            f"{STABILIZE_DETECT}:result={escape_value(str(detect))}",
        ]
        chains.append(f"[joinv]{','.join(steps)}[vout]")
        return ";".join(chains)
    finish = _video_finish(tl, plan, stabilize)
    if plan.logo is None:
        chains.append(f"[joinv]{','.join(finish)}[vout]")
    else:
        # The logo goes over the graded, titled picture and under the fades.
        cut = next(i for i, f in enumerate(finish) if f.startswith(("fade=", "format=")))
        index = len(inputs) + (1 if plan.music is not None else 0)
        x, y = LOGO_XY[plan.logo.corner]
        width = even(tl.width * plan.logo.share)
        chains += [
            f"[joinv]{','.join(finish[:cut] or ['null'])}[prelogo]",
            f"[{index}:v:0]scale={width}:-2,format=rgba[logo]",
            f"[prelogo][logo]overlay=x={x}:y={y}:eof_action=repeat,{','.join(finish[cut:])}[vout]",
        ]
    if with_audio:
        chains += _audio_finish(tl, plan, inputs)
    return ";".join(chains)


def logo_path(plan: EditPlan, inputs: Sequence[MediaInfo]) -> Path | None:
    """The logo image: ~ expanded, a relative path taken from the first clip's folder."""
    if plan.logo is None:
        return None
    path = Path(plan.logo.path).expanduser()
    return path if path.is_absolute() else inputs[0].path.parent / path


def music_path(plan: EditPlan, inputs: Sequence[MediaInfo]) -> Path | None:
    """The music file: ~ expanded, a relative path taken from the first clip's folder."""
    if plan.music is None:
        return None
    path = Path(plan.music.path).expanduser()
    return path if path.is_absolute() else inputs[0].path.parent / path


def transforms_path(output: Path) -> Path:
    """Where the stabilisation analysis pass leaves its motion data, next to the output."""
    return output.with_name(output.name + ".trf")


def size_bitrates(plan: EditPlan, tl: Timeline, scale: float = 1.0) -> tuple[int, int] | None:
    """Given a size limit, return (video, audio) bits per second that fit it, aiming
    `scale` times the budget (retries aim lower); None without a limit. Raise
    PermanentError when even a poor picture would not fit."""
    if plan.max_bytes is None:
        return None
    budget = plan.max_bytes * 8 * SIZE_MARGIN * scale / tl.total
    audio = SIZE_AUDIO_BITRATE if budget > SIZE_SMALL_BUDGET else SIZE_AUDIO_BITRATE_LOW
    video = int(budget - audio)
    if video < MIN_VIDEO_BITRATE:
        raise PermanentError(
            f"{tl.total:.0f} s of video cannot fit in {plan.max_bytes / BYTES_PER_MB:g} MB "
            "with a watchable picture: cut it shorter or allow a bigger file"
        )
    return video, audio


def build_render_args(
    ffmpeg: str,
    plan: EditPlan,
    inputs: Sequence[MediaInfo],
    tl: Timeline,
    *,
    output: Path,
    settings: LocalSettings,
    size_scale: float = 1.0,
    encoder: Encoder | None = None,
) -> tuple[str, ...]:
    """Return the argv of the single ffmpeg pass that renders `plan` (cut as `tl`) into
    `output` with `encoder` (default: software for settings.codec). With a size limit
    the video bitrate is capped (see size_bitrates); the engine measures the file after."""
    enc = encoder or concrete("x264", settings.codec)
    rates = size_bitrates(plan, tl, size_scale)
    audio_bitrate = AUDIO_BITRATE if rates is None else str(rates[1])
    video = encode_args(
        enc,
        crf=settings.crf,
        preset=settings.preset,
        bitrate=None if rates is None else rates[0],
    )
    stabilize = transforms_path(output) if plan.stabilize else None
    graph = filter_graph(plan, inputs, tl, stabilize=stabilize)
    out_label = "[vout]"
    upload = upload_filter(enc)
    if upload is not None:
        graph += f";[vout]{upload}[venc]"
        out_label = "[venc]"
    audio: tuple[str, ...] = ()
    if audio_out(plan, inputs):
        audio = (
            "-map",
            "[aout]",
            "-c:a",
            "aac",
            "-b:a",
            audio_bitrate,
            "-ar",
            str(AUDIO_RATE),
            "-ac",
            "2",
        )
    return (
        *_graph_head(
            ffmpeg,
            [
                *device_args(enc),
                *_input_args(tl, inputs, plan, music_path(plan, inputs), logo_path(plan, inputs)),
            ],
            graph,
            out_label,
        ),
        *video,
        *COLOR_TAGS,
        *audio,
        "-t",
        _num(tl.total),
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(output),
    )


def _graph_head(
    ffmpeg: str, input_args: Sequence[str], graph: str, out: str = "[vout]"
) -> tuple[str, ...]:
    """The start every filtergraph pass shares: progress flags, inputs, the graph, [vout]."""
    return (ffmpeg, *progress_args(), "-y", *input_args, "-filter_complex", graph, "-map", out)


def build_stabilize_args(
    ffmpeg: str, plan: EditPlan, inputs: Sequence[MediaInfo], tl: Timeline, output: Path
) -> tuple[str, ...]:
    """Return the argv of the analysis pass that measures camera shake for `plan`
    (vidstabdetect over the same cut `tl`, joined picture; nothing is encoded)."""
    graph = filter_graph(plan, inputs, tl, detect=transforms_path(output))
    return (
        *_graph_head(ffmpeg, _input_args(tl, inputs, plan, None, decode=FAST_DECODE), graph),
        "-f",
        "null",
        "-",
    )


def build_highlight_args(ffmpeg: str, info: MediaInfo) -> tuple[str, ...]:
    """Return the argv of the one analysis pass that scores a clip for highlights: scene
    scores of a small, sparse copy of the picture and momentary loudness, printed to the
    log (highlights.parse_analysis reads them). Nothing is encoded."""
    graph = (
        f"[0:v:{info.video_stream}]fps={ANALYSIS_FPS},scale={ANALYSIS_WIDTH}:-2,"
        "select='gte(scene\\,0)',"
        "metadata@motion=print:key=lavfi.scene_score[motion]"
    )
    outputs: tuple[str, ...] = ("-map", "[motion]", "-f", "null", "-")
    if info.has_audio:
        graph += ";[0:a:0]ebur128=metadata=1,ametadata@loud=print:key=lavfi.r128.M[loud]"
        outputs += ("-map", "[loud]", "-f", "null", "-")
    return (
        ffmpeg,
        *quiet_args("info"),
        "-nostats",
        *SPARSE_DECODE,
        "-i",
        str(info.path),
        "-filter_complex",
        graph,
        *outputs,
    )


def build_silence_args(ffmpeg: str, info: MediaInfo, silence: SilenceCut) -> tuple[str, ...]:
    """Return the argv of the analysis pass that lists the silences of one input."""
    return (
        ffmpeg,
        *quiet_args("info"),
        "-nostats",
        # Sound only: the pictures are not even demuxed into a decoder.
        "-vn",
        "-sn",
        "-dn",
        "-i",
        str(info.path),
        "-map",
        "0:a:0",
        "-vn",
        "-af",
        f"silencedetect=n={_num(silence.threshold_db)}dB:d={_num(silence.min_silence)}",
        "-f",
        "null",
        "-",
    )
