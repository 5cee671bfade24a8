"""Small, real test media made with ffmpeg, and an independent probe of outputs.

The probe here reads files with PyAV directly, not through daemon code, so a bug in the
daemon's own probe cannot hide a bad output.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(
    path: Path,
    *,
    duration: float = 2.0,
    size: tuple[int, int] = (320, 240),
    rate: int = 30,
    audio: bool = True,
    audio_rate: int = 48000,
    rotation: int | None = None,
    extra: tuple[str, ...] = (),
    seed: int | None = None,
) -> Path:
    """Write a testsrc2 (+ sine) H.264/AAC clip. `rotation` sets display-matrix metadata
    the way phones store portrait video (landscape pixels + a rotation). `seed` shifts the
    pitch and tags the stream, so clips differ in content (the ledger de-duplicates)."""
    args = lavfi_clip_args(size, rate, duration)
    freq = 440 if seed is None else 220 + seed % 500
    if audio:
        args += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={freq}:sample_rate={audio_rate}:duration={duration}",
        ]
    if seed is not None:
        args += ["-metadata", f"comment=clip-{seed}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    args += [*extra, str(path)]
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL)
    if rotation is not None:
        set_rotation(path, rotation)
    return path


# Smooth, camera-like colour that is the same on every run (lavfi's "gradients" draws
# random colours each time, even with a seed, so a colour measurement on it drifts).
SMOOTH = (
    "nullsrc=size={w}x{h}:rate={rate}:duration={duration},format=gbrp,"
    "geq=r='255*X/W':g='255*Y/H':b='128+100*sin(2*PI*(X/W+N/60))'"
)


def lavfi_clip_args(
    size: tuple[int, int], rate: int, duration: float, pattern: str = "testsrc2"
) -> list[str]:
    """ffmpeg's start for every generated clip: a moving lavfi pattern as input 0
    (testsrc2; "smooth" for smooth, camera-like colour)."""
    w, h = size
    return [
        FFMPEG,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        SMOOTH.format(w=w, h=h, rate=rate, duration=duration)
        if pattern == "smooth"
        else f"{pattern}=size={w}x{h}:rate={rate}:duration={duration}",
    ]


def set_rotation(path: Path, rotation: int) -> None:
    """Add display-matrix rotation metadata without re-encoding, as phones store portrait."""
    rotated = path.with_name(path.stem + ".rot" + path.suffix)
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-display_rotation",
            str(rotation),
            "-i",
            str(path),
            "-c",
            "copy",
            str(rotated),
        ],
        check=True,
    )
    rotated.replace(path)


@dataclass(frozen=True)
class Probed:
    duration: float
    width: int
    height: int
    rotation: int
    video_codec: str
    pix_fmt: str
    profile: str | None
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    color_transfer: int
    color_primaries: int
    faststart: bool

    @property
    def display_size(self) -> tuple[int, int]:
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


def probe_output(path: Path) -> Probed:
    """Read an output file's facts with PyAV."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        rotation = 0
        for frame in c.decode(v):
            rotation = round(getattr(frame, "rotation", 0) or 0) % 360
            break
        return Probed(
            duration=float(c.duration or 0) / av.time_base,
            width=v.codec_context.width,
            height=v.codec_context.height,
            rotation=rotation,
            video_codec=v.codec_context.name,
            pix_fmt=v.codec_context.pix_fmt or "",
            profile=v.profile,
            audio_codec=a.codec_context.name if a else None,
            audio_rate=a.codec_context.sample_rate if a else None,
            audio_channels=a.codec_context.channels if a else None,
            color_transfer=int(v.codec_context.color_trc),
            color_primaries=int(v.codec_context.color_primaries),
            faststart=_moov_before_mdat(path),
        )


def _moov_before_mdat(path: Path) -> bool:
    """True when the 'moov' atom precedes 'mdat' (+faststart: playable while downloading)."""
    data = path.read_bytes()[: 4 * 1024 * 1024]
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    return moov != -1 and (mdat == -1 or moov < mdat)


# --- phone-like fixtures for the local engine's render tests ---------------------------------

HDR_TAGS = {
    "hlg": ("bt2020", "arib-std-b67", "bt2020nc"),
    "pq": ("bt2020", "smpte2084", "bt2020nc"),
}


def make_phone_clip(
    path: Path,
    *,
    duration: float = 1.0,
    size: tuple[int, int] = (320, 240),
    rate: int = 30,
    hevc: bool = True,
    hdr: str | None = None,
    rotation: int | None = None,
    vfr: bool = False,
    audio: bool = True,
    audio_rate: int = 48000,
    silence: tuple[float, float] | None = None,
    pattern: str = "testsrc2",
) -> Path:
    """Write a clip that behaves like phone footage: HEVC (10-bit HLG/PQ with the colour
    tags in both the bitstream and the container when `hdr` is "hlg"/"pq"), a display
    rotation, variable frame rate (frames dropped in the middle), 44.1 kHz sound, or a
    silent stretch `silence` = (start, end) inside a tone."""
    args = lavfi_clip_args(size, rate, duration, pattern)
    if audio:
        tone = "0.5*sin(440*2*PI*t)"
        if silence is not None:
            tone = f"if(between(t,{silence[0]},{silence[1]}),0,{tone})"
        args += ["-f", "lavfi", "-i", f"aevalsrc='{tone}|{tone}':s={audio_rate}:d={duration}"]
    vf = []
    if vfr:
        # Drop every other frame for a stretch, the way a phone does in low light.
        third = int(duration * rate / 3)
        vf.append(f"select='not(between(n,{third},{2 * third})*mod(n,2))'")
        args += ["-fps_mode", "vfr"]
    if hdr is not None:
        primaries, transfer, matrix = HDR_TAGS[hdr]
        vf.append("format=yuv420p10le")
        args += [
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p10le",
            "-x265-params",
            f"log-level=error:colorprim={primaries}:transfer={transfer}:colormatrix={matrix}",
            "-color_primaries",
            primaries,
            "-color_trc",
            transfer,
            "-colorspace",
            matrix,
            "-tag:v",
            "hvc1",
        ]
    elif hevc:
        args += [
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
        ]
    else:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if vf:
        args += ["-vf", ",".join(vf)]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    subprocess.run([*args, str(path)], check=True)
    if rotation is not None:
        set_rotation(path, rotation)
    return path


def make_tone(path: Path, *, duration: float = 3.0, rate: int = 44100) -> Path:
    """Write a short stereo tone (a stand-in for a music file)."""
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:sample_rate={rate}:duration={duration}",
            "-ac",
            "2",
            "-c:a",
            "aac",
            str(path),
        ],
        check=True,
    )
    return path


def frame_times(path: Path) -> list[float]:
    """Presentation times (seconds) of every video frame, in order."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return sorted(float(f.pts * v.time_base) for f in c.decode(v) if f.pts is not None)


def frame_pixels(path: Path, index: int = 0) -> bytes:
    """The gray (luma) pixels of frame `index`, row by row, without line padding."""
    with av.open(str(path)) as c:
        for n, frame in enumerate(c.decode(c.streams.video[0])):
            if n == index:
                gray = frame.reformat(format="gray")
                plane = gray.planes[0]
                data = bytes(plane)
                return b"".join(
                    data[row * plane.line_size : row * plane.line_size + gray.width]
                    for row in range(gray.height)
                )
    raise IndexError(f"{path} has fewer than {index + 1} frames")


def pixel_difference(path: Path, first: int, second: int) -> float:
    """Mean absolute luma difference (0-255) between two video frames of `path`: under
    about 0.5 for the same picture encoded twice, several units for a moving one."""
    a, b = frame_pixels(path, first), frame_pixels(path, second)
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def distinct_frames(path: Path) -> int:
    """How many video frames differ from the one before (a repeated frame does not
    count), judged on an 80x60 grey copy with pixel_difference's threshold."""
    count, previous = 0, b""
    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            gray = bytes(frame.reformat(format="gray", width=80, height=60).planes[0])
            if (
                not previous
                or sum(abs(a - b) for a, b in zip(gray, previous, strict=True)) / len(gray) > 0.5
            ):
                count += 1
            previous = gray
    return count


def mean_luma(path: Path, index: int = 0) -> float:
    """Mean brightness (0-255) of video frame number `index`."""
    pixels = frame_pixels(path, index)
    return sum(pixels) / len(pixels)


# --- footage from cameras, messengers and recorders that phones' own clips never show -------


def make_offset_clip(
    path: Path,
    *,
    duration: float = 2.0,
    audio_delay: float = 0.0,
    video_delay: float = 0.0,
    video_duration: float | None = None,
) -> Path:
    """Write an H.264/AAC clip whose sound (audio_delay) or picture (video_delay) starts
    that many seconds after the file's start, as screen recorders, edit lists and cameras
    with a late microphone leave them, or whose picture stops early (video_duration).
    The tone is a loud 440 Hz sine from its first sample."""
    args = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    if video_delay:
        args += ["-itsoffset", str(video_delay)]
    picture = video_duration if video_duration is not None else duration - video_delay
    args += ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=30:duration={picture}"]
    if audio_delay:
        args += ["-itsoffset", str(audio_delay)]
    args += [
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=48000:duration={duration - audio_delay}",
    ]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    subprocess.run([*args, str(path)], check=True)
    return path


def make_interlaced_clip(path: Path, *, duration: float = 2.0) -> Path:
    """Write a top-field-first interlaced H.264 clip (camcorder, broadcast): two moving
    frames woven into one, coded and tagged as interlaced."""
    args = lavfi_clip_args((320, 240), 30, duration)
    args += [
        "-vf", "interlace=scan=tff",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-flags", "+ildct+ilme", "-field_order", "tt", str(path),
    ]  # fmt: skip
    subprocess.run(args, check=True)
    return path


def make_live_webm(path: Path, *, duration: float = 2.0) -> Path:
    """Write a WebM as a browser's MediaRecorder or a messenger's web app does: VP8/Opus
    written live, so the header has no duration and there is no index."""
    args = lavfi_clip_args((320, 240), 30, duration)
    args += [
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
        "-c:a", "libopus", "-live", "1", "-f", "webm", str(path),
    ]  # fmt: skip
    subprocess.run(args, check=True)
    return path


def make_untagged_sd_clip(path: Path, *, color: str = "0xCC2020") -> Path:
    """Write a 320x240 H.264 clip of one colour in BT.601 YUV with no colour tags at all
    (older cameras and some messengers' re-encodes): players read it as BT.601."""
    tagged = path.with_name(path.stem + ".tagged.mp4")
    args = [
        FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"color={color}:size=320x240:duration=1:rate=30",
        "-vf", "scale=out_color_matrix=bt601,format=yuv420p",
        "-c:v", "libx264", "-preset", "ultrafast", str(tagged),
    ]  # fmt: skip
    subprocess.run(args, check=True)
    untag = "h264_metadata=matrix_coefficients=2:colour_primaries=2:transfer_characteristics=2"
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(tagged),
         "-c", "copy", "-bsf:v", untag, str(path)],
        check=True,
    )  # fmt: skip
    tagged.unlink()
    return path


def mean_chroma(path: Path, index: int = 0) -> tuple[float, float]:
    """Mean (U, V) of video frame `index` (128 is grey)."""
    with av.open(str(path)) as c:
        for n, frame in enumerate(c.decode(c.streams.video[0])):
            if n == index:
                yuv = frame.reformat(format="yuv420p")
                means = []
                for plane in yuv.planes[1:]:
                    data = bytes(plane)
                    rows = [
                        data[r * plane.line_size : r * plane.line_size + plane.width]
                        for r in range(plane.height)
                    ]
                    means.append(sum(sum(r) for r in rows) / (plane.width * plane.height))
                return means[0], means[1]
    raise IndexError(f"{path} has fewer than {index + 1} frames")


def make_with_picture(path: Path, *, video: bool = True, attached: bool = False) -> Path:
    """Write a file with a 64x64 JPEG picture as its first video stream: a thumbnail
    track before a 2 s 320x240 clip (`video`), or, without `video`, a song with its
    cover art (`attached` marks the picture as cover art, as music files do)."""
    cover = path.with_name(path.stem + ".cover.jpg")
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "color=red:size=64x64", "-frames:v", "1", str(cover)],
        check=True,
    )  # fmt: skip
    args = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(cover)]
    maps = ["-map", "0"]
    if video:
        args += ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=2"]
        maps += ["-map", "1"]
    args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2"]
    maps += ["-map", "2" if video else "1"]
    args += [*maps, "-c:v:0", "copy", "-c:a", "aac"]
    if video:
        args += ["-c:v:1", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if attached:
        args += ["-disposition:v:0", "attached_pic"]
    subprocess.run([*args, str(path)], check=True)
    cover.unlink()
    return path


def make_screen_recording(path: Path, *, duration: float = 3.0, frames: int | None = None) -> Path:
    """Write a 30 fps H.264 clip as screen recorders do: no frames while the screen is
    still (the middle third here), so the average rate is far below 30. With `frames`,
    only that many frames are written (a one-frame "video")."""
    args = lavfi_clip_args((320, 240), 30, duration)
    if frames is not None:
        args += ["-frames:v", str(frames)]
    else:
        third = duration / 3
        args += ["-vf", f"select='lt(t,{third})+gte(t,{2 * third})'", "-fps_mode", "vfr"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(args, check=True)
    return path


def cut_short(source: Path, path: Path, keep: float) -> Path:
    """Copy the first `keep` share of `source`'s bytes to `path`: an MP4 copy or upload
    that stopped early (the index at the front still promises the whole clip)."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def idet_counts(path: Path) -> tuple[int, int]:
    """(interlaced, progressive) frames of `path` as ffmpeg's idet filter judges them."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-vf", "idet", "-f", "null", "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    line = [x for x in result.stderr.splitlines() if "Multi frame detection" in x][-1]
    counts = dict(re.findall(r"(TFF|BFF|Progressive):\s*(\d+)", line))
    return int(counts["TFF"]) + int(counts["BFF"]), int(counts["Progressive"])


def audio_onset(path: Path, threshold: float = 0.05) -> float | None:
    """The time (seconds) of the first audio frame with a sample louder than `threshold`."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        mono = av.AudioResampler(format="flt", layout="mono")
        for frame in c.decode(stream):
            for out in mono.resample(frame):
                samples = memoryview(bytes(out.planes[0])).cast("f")[: out.samples]
                if max((abs(x) for x in samples), default=0.0) > threshold:
                    return float(frame.pts * stream.time_base) if frame.pts is not None else None
    return None
