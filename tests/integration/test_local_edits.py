"""The newer local edits, rendered by real ffmpeg and checked by probing the output:
loop count, reverse order of frames, frame rate, per-range speed, level change in dB,
colour shift, noise reduction and dead air trimmed only at the edges."""

from __future__ import annotations

import array
import math
import subprocess
from pathlib import Path

import av
import pytest
from loguru import logger

from daemon.config import Config, LocalSettings, Rule
from daemon.engines.base import JobContext, JobSpec
from daemon.engines.local.engine import LocalEngine
from daemon.engines.local.prompt import parse_prompt
from daemon.engines.local.timeline import timeline
from daemon.errors import PermanentError
from daemon.media.probe import probe
from tests.mediagen import (
    FFMPEG,
    frame_pixels,
    frame_times,
    lavfi_clip_args,
    make_clip,
    make_phone_clip,
    make_tone,
)

pytestmark = pytest.mark.integration

SETTINGS = LocalSettings(preset="superfast", crf=23, timeout=120)
TOLERANCE = 0.1


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("edit-media")
    noisy = d / "noisy.mp4"
    subprocess.run(
        [
            *lavfi_clip_args((320, 240), 30, 2),
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=white:amplitude=0.02:sample_rate=48000:duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(noisy),
        ],
        check=True,
    )
    return {
        "plain": make_clip(d / "plain.mp4", duration=1.0),
        "two": make_clip(d / "two.mp4", duration=2.0),
        "pauses": make_phone_clip(d / "pauses.mp4", duration=3.0, hevc=False, silence=(1.0, 2.0)),
        "lead": make_phone_clip(d / "lead.mp4", duration=3.0, hevc=False, silence=(0.0, 1.0)),
        "noisy": noisy,
    }


def render(tmp_path: Path, prompt: str, source: Path, name: str = "out.mp4") -> Path:
    """Render through the engine (the timeline computed once, as in a job)."""
    assert parse_prompt(prompt).ignored == ()
    rule = Rule.model_validate(
        {"name": "r", "glob": "*", "output": str(tmp_path / "out"), "prompt": prompt}
    )
    config = Config.model_validate({"watch": [str(tmp_path / "in")], "rules": [rule.model_dump()]})
    job = JobSpec(job_id=1, sources=(source,), rule=config.rules[0])
    ctx = JobContext(scratch=tmp_path / name, log=logger)
    return LocalEngine(SETTINGS, FFMPEG).run(job, ctx).path


def duration(path: Path) -> float:
    with av.open(str(path)) as c:
        return float(c.duration or 0) / av.time_base


def diff(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two gray frames (0-255)."""
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def _decode(path: Path, *args: str) -> bytes:
    return subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(path), *args, "-"],
        check=True,
        capture_output=True,
    ).stdout


def rms_db(path: Path) -> float:
    """The sound's RMS level in dBFS over the whole file (mono mix, 32-bit float)."""
    samples = array.array("f", _decode(path, "-vn", "-ac", "1", "-f", "f32le"))
    return 10 * math.log10(sum(x * x for x in samples) / len(samples))


def mean_rgb(path: Path, index: int = 10) -> tuple[float, float, float]:
    """Mean red, green and blue (0-255) of video frame `index`."""
    raw = _decode(
        path,
        "-vf",
        f"select=eq(n\\,{index})",
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
    )
    n = len(raw) // 3
    return (sum(raw[0::3]) / n, sum(raw[1::3]) / n, sum(raw[2::3]) / n)


def test_loop_three_times_repeats_the_frames(tmp_path: Path, clips: dict[str, Path]) -> None:
    out = render(tmp_path, "loop it 3 times, 360p", clips["plain"])
    assert abs(duration(out) - 3.0) < TOLERANCE
    n = len(frame_times(out)) // 3
    first, second, third = (frame_pixels(out, k * n + 5) for k in range(3))
    other = frame_pixels(out, 20)
    # The same moment of each repeat looks the same; a different moment does not.
    assert diff(first, second) < 3 and diff(first, third) < 3
    assert diff(first, other) > 3 * diff(first, second) + 3


def test_loop_to_seconds_fills_exactly(tmp_path: Path, clips: dict[str, Path]) -> None:
    out = render(tmp_path, "loop it to 2.5 seconds, 360p", clips["plain"])
    assert abs(duration(out) - 2.5) < TOLERANCE


def test_reverse_plays_the_frames_backwards(tmp_path: Path, clips: dict[str, Path]) -> None:
    forward = render(tmp_path, "360p", clips["plain"], "forward.mp4")
    backward = render(tmp_path, "play it backwards, 360p", clips["plain"], "backward.mp4")
    frames = len(frame_times(forward))
    assert len(frame_times(backward)) == frames
    for k in (0, frames // 3):
        back = frame_pixels(backward, k)
        mirrored = diff(back, frame_pixels(forward, frames - 1 - k))
        assert mirrored < 3
        assert diff(back, frame_pixels(forward, k)) > 2 * mirrored + 2


def test_reverse_is_bounded(tmp_path: Path, clips: dict[str, Path]) -> None:
    info = probe(clips["plain"])
    with pytest.raises(PermanentError, match="reversing is limited to 20 s"):
        timeline(parse_prompt("loop it to 25 seconds, reverse"), [info])


@pytest.mark.parametrize(
    ("prompt", "fps"), [("60fps", 60), ("24 fps with frame blending", 24), ("make it 15 fps", 15)]
)
def test_frame_rate(tmp_path: Path, clips: dict[str, Path], prompt: str, fps: int) -> None:
    out = render(tmp_path, f"{prompt}, 360p", clips["two"])
    times = frame_times(out)
    step = (times[-1] - times[0]) / (len(times) - 1)
    assert abs(1 / step - fps) < 0.5
    assert abs(duration(out) - 2.0) < TOLERANCE


def test_first_second_in_slow_motion_only(tmp_path: Path, clips: dict[str, Path]) -> None:
    out = render(tmp_path, "play the first 1 second in slow motion, 360p", clips["two"])
    # 1 s at half speed (2 s) + the other 1 s as it was.
    assert abs(duration(out) - 3.0) < TOLERANCE


def test_volume_down_by_half_is_minus_6_db(tmp_path: Path, clips: dict[str, Path]) -> None:
    plain = rms_db(render(tmp_path, "360p", clips["two"], "plain.mp4"))
    half = rms_db(render(tmp_path, "turn the volume down by half, 360p", clips["two"], "half.mp4"))
    db = rms_db(render(tmp_path, "lower the volume by 10 dB, 360p", clips["two"], "db.mp4"))
    assert abs((half - plain) - 20 * math.log10(0.5)) < 0.5
    assert abs((db - plain) + 10) < 0.5


def test_music_alone_is_as_loud_as_the_track_and_under_the_sound_lower(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    """With the clip muted the music is all there is: it plays at its own level (it was
    mixed at the 30 % meant for under speech, 10 dB down); beside the sound, at 30 %."""
    track = make_tone(tmp_path / "track.m4a", duration=3.0)

    def level(prompt: str, name: str) -> float:
        return rms_db(render(tmp_path, f"{prompt}, 360p", clips["two"], name))

    alone = level(f"mute it and add music {track}", "alone.mp4")
    full = level(f"mute it and add music {track} at 100%", "full.mp4")
    quiet = level(f"mute it and add music {track} at 30%", "quiet.mp4")
    assert abs(alone - full) < 0.5
    assert abs((quiet - full) - 20 * math.log10(0.3)) < 1.0


def test_warmer_and_cooler_shift_red_against_blue(tmp_path: Path, clips: dict[str, Path]) -> None:
    r0, _, b0 = mean_rgb(render(tmp_path, "360p", clips["two"], "plain.mp4"))
    r1, _, b1 = mean_rgb(render(tmp_path, "it looks too blue, 360p", clips["two"], "warm.mp4"))
    r2, _, b2 = mean_rgb(render(tmp_path, "cooler, 360p", clips["two"], "cool.mp4"))
    assert (r1 - b1) > (r0 - b0) + 5
    assert (r2 - b2) < (r0 - b0) - 5


def test_noise_reduction_lowers_the_noise_floor(tmp_path: Path, clips: dict[str, Path]) -> None:
    noisy = rms_db(render(tmp_path, "360p", clips["noisy"], "noisy.mp4"))
    clean = rms_db(render(tmp_path, "remove the background noise, 360p", clips["noisy"], "c.mp4"))
    assert clean < noisy - 6


def test_dead_air_at_the_edges_keeps_the_pause_in_the_middle(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    middle = render(tmp_path, "trim the dead air at the start and end, 360p", clips["pauses"])
    assert abs(duration(middle) - 3.0) < TOLERANCE  # the 1-2 s pause is not at an edge
    lead = render(tmp_path, "trim the dead air at the start and end, 360p", clips["lead"], "l.mp4")
    assert abs(duration(lead) - (3.0 - 1.0 + 0.15)) < TOLERANCE  # padding kept before speech


def test_size_limit_is_never_exceeded(tmp_path: Path, clips: dict[str, Path]) -> None:
    """A noisy 2 s clip at 1080p would be several MB at CRF; asked for 0.3 MB it is
    encoded with a capped bitrate, measured, and delivered under the limit."""
    free = render(tmp_path, "1080p", clips["noisy"], "free.mp4")
    capped = render(tmp_path, "keep it under 0.3 MB, 1080p", clips["noisy"], "capped.mp4")
    assert free.stat().st_size > 300_000
    assert capped.stat().st_size <= 300_000
    assert abs(duration(capped) - 2.0) < TOLERANCE


@pytest.fixture(scope="session")
def dull_then_lively(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s: 3 s of a still grey frame in silence, then 3 s of moving pattern with a tone."""
    out = tmp_path_factory.mktemp("highlight") / "dull_then_lively.mp4"
    graph = (
        "color=c=gray:s=320x240:r=30:d=3[a];testsrc2=s=320x240:r=30:d=3[b];"
        "anullsrc=r=48000:cl=stereo:d=3[sa];sine=f=440:r=48000:d=3,aformat=channel_layouts=stereo[sb];"
        "[a][sa][b][sb]concat=n=2:v=1:a=1[v][o]"
    )
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "[o]",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(out),
        ],
        check=True,
    )
    return out


def test_highlight_keeps_the_lively_part(tmp_path: Path, dull_then_lively: Path) -> None:
    out = render(tmp_path, "the best 2 seconds, 360p", dull_then_lively)
    assert abs(duration(out) - 2.0) < TOLERANCE
    # The kept part moves (the still grey part would give identical frames).
    assert diff(frame_pixels(out, 0), frame_pixels(out, 30)) > 3
    assert rms_db(out) > -40  # and it has the tone, not the silence


def test_boring_parts_are_cut(tmp_path: Path, dull_then_lively: Path) -> None:
    out = render(tmp_path, "cut out the boring parts, 360p", dull_then_lively)
    assert 3.0 - TOLERANCE <= duration(out) <= 4.0 + TOLERANCE
    assert diff(frame_pixels(out, 0), frame_pixels(out, 20)) > 3  # starts in the lively part


def test_capture_date_is_drawn_in_the_asked_corner(tmp_path: Path) -> None:
    dated = make_clip(
        tmp_path / "dated.mp4",
        duration=1.0,
        size=(640, 360),
        extra=("-metadata", "creation_time=2024-07-14T10:00:00Z"),
    )
    plain = render(tmp_path, "360p", dated, "plain.mp4")
    stamped = render(tmp_path, "put the date in the corner, 360p", dated, "stamped.mp4")
    a, b = frame_pixels(plain, 5), frame_pixels(stamped, 5)
    width = 640

    def region(pixels: bytes, x0: int, y0: int) -> bytes:
        return b"".join(pixels[y * width + x0 : y * width + x0 + 200] for y in range(y0, y0 + 40))

    # Something was drawn at the bottom right, nothing at the top left.
    assert diff(region(a, 430, 310), region(b, 430, 310)) > 5
    assert diff(region(a, 0, 0), region(b, 0, 0)) < 2


def test_no_recording_date_means_no_caption_and_a_note(tmp_path: Path) -> None:
    undated = make_clip(tmp_path / "undated.mp4", duration=1.0, extra=("-map_metadata", "-1"))
    rule = Rule.model_validate(
        {"name": "r", "glob": "*", "output": str(tmp_path / "out"), "prompt": "date in the corner"}
    )
    config = Config.model_validate({"watch": [str(tmp_path / "in")], "rules": [rule.model_dump()]})
    job = JobSpec(job_id=1, sources=(undated,), rule=config.rules[0])
    ctx = JobContext(scratch=tmp_path / "o.mp4", log=logger)
    result = LocalEngine(SETTINGS, FFMPEG).run(job, ctx)
    assert any("no recording date" in n for n in result.notes)


def test_logo_is_drawn_in_its_corner(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "clip.mp4", duration=1.0, size=(640, 360))
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "color=c=red:s=100x50:d=0.04", "-frames:v", "1", str(tmp_path / "logo.png")],
        check=True,
    )  # fmt: skip
    out = render(tmp_path, "add my logo logo.png in the top left corner, 360p", source)
    raw = _decode(out, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24")
    width = 640

    def rgb(x: int, y: int) -> tuple[int, int, int]:
        i = (y * width + x) * 3
        return raw[i], raw[i + 1], raw[i + 2]

    r, g, b = rgb(40, 20)  # inside the logo: 3 % in, 15 % of 640 wide
    assert r > 200 and g < 60 and b < 60
    r, g, b = rgb(600, 330)  # the opposite corner keeps the picture
    assert not (r > 200 and g < 60 and b < 60)


def test_missing_logo_fails_with_its_path(tmp_path: Path, clips: dict[str, Path]) -> None:
    with pytest.raises(PermanentError, match="logo image not found"):
        render(tmp_path, "add my logo nowhere.png", clips["plain"])


def test_slow_zoom_magnifies_over_time(tmp_path: Path) -> None:
    bars = tmp_path / "bars.mp4"
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "smptebars=s=640x360:r=30:d=2", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", str(bars)],
        check=True,
    )  # fmt: skip
    still = render(tmp_path, "360p", bars, "still.mp4")
    zoomed = render(tmp_path, "slow zoom in, 360p", bars, "zoomed.mp4")
    assert abs(duration(zoomed) - 2.0) < TOLERANCE
    last = len(frame_times(zoomed)) - 1
    # Static bars: without the zoom the first and last frames match; with it they differ,
    # and the first frame is still the unzoomed picture.
    assert diff(frame_pixels(still, 0), frame_pixels(still, last)) < 1
    assert diff(frame_pixels(zoomed, 0), frame_pixels(zoomed, last)) > 3
    assert diff(frame_pixels(zoomed, 0), frame_pixels(still, 0)) < 2
