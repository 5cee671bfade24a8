"""The local engine renders with real ffmpeg; outputs are checked with the independent probe."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from loguru import logger

from daemon.config import Config, LocalSettings, Rule
from daemon.editplan.edits import EditsSpec
from daemon.engines.base import JobContext, JobSpec
from daemon.engines.local.engine import LocalEngine
from daemon.engines.local.ffmpeg import build_render_args
from daemon.engines.local.prompt import plan_from
from daemon.engines.local.timeline import timeline
from daemon.errors import PermanentError
from daemon.media.probe import probe
from daemon.media.render import run_ffmpeg
from tests.mediagen import (
    FFMPEG,
    Probed,
    frame_pixels,
    frame_times,
    make_clip,
    make_phone_clip,
    make_tone,
    mean_luma,
    probe_output,
)

pytestmark = pytest.mark.integration

SETTINGS = LocalSettings(preset="superfast", crf=28, timeout=120)
TOLERANCE = 0.1
BT709 = 1


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small clips made once per session."""
    d = tmp_path_factory.mktemp("local-media")
    return {
        "plain": make_clip(d / "plain.mp4", duration=2.0),
        "short": make_clip(d / "short.mp4", duration=1.5, audio_rate=44100),
        "mute": make_clip(d / "mute.mp4", duration=1.0, audio=False, size=(240, 320)),
        "portrait": make_phone_clip(d / "portrait.mov", duration=1.0, rotation=90),
        "hlg": make_phone_clip(d / "hlg.mov", duration=1.0, hdr="hlg", rotation=90),
        "pq": make_phone_clip(d / "pq.mov", duration=1.0, hdr="pq"),
        "vfr": make_phone_clip(d / "vfr.mp4", duration=2.0, hevc=False, vfr=True),
        "speech": make_phone_clip(d / "speech.mp4", duration=3.0, hevc=False, silence=(1.0, 2.0)),
        "tone": make_tone(d / "tone.m4a", duration=1.0),
    }


def render(
    tmp_path: Path,
    prompt: str,
    *sources: Path,
    edits: EditsSpec | None = None,
    name: str = "out.mp4",
) -> tuple[Probed, float, Path]:
    """Render through the builder and run_ffmpeg; return the probe, the plan's duration
    and the output path."""
    plan = plan_from(prompt, edits)
    assert plan.ignored == (), plan.ignored
    inputs = [probe(s) for s in sources]
    out = tmp_path / name
    tl = timeline(plan, inputs)
    argv = build_render_args(FFMPEG, plan, inputs, tl, output=out, settings=SETTINGS)
    assert argv.count("-filter_complex") == 1
    expected = tl.total
    run_ffmpeg(argv, expected_duration=expected, timeout=SETTINGS.timeout)
    return probe_output(out), expected, out


def run_engine(
    tmp_path: Path,
    prompt: str,
    *sources: Path,
    strict: bool = False,
    edits: dict[str, object] | None = None,
) -> tuple[Path, JobContext]:
    rule = Rule.model_validate(
        {
            "name": "r",
            "glob": "*",
            "output": str(tmp_path / "out"),
            "prompt": prompt,
            "strict": strict,
            "edits": edits,
        }
    )
    config = Config.model_validate({"watch": [str(tmp_path / "in")], "rules": [rule.model_dump()]})
    job = JobSpec(job_id=1, sources=tuple(sources), rule=config.rules[0])
    ctx = JobContext(scratch=tmp_path / "scratch.mp4", log=logger)
    result = LocalEngine(SETTINGS, FFMPEG).run(job, ctx)
    return result.path, ctx


def assert_delivery_format(p: Probed, *, audio: bool) -> None:
    assert (p.video_codec, p.pix_fmt, p.profile) == ("h264", "yuv420p", "High")
    assert (p.color_primaries, p.color_transfer) == (BT709, BT709)
    assert p.faststart
    if audio:
        assert (p.audio_codec, p.audio_rate, p.audio_channels) == ("aac", 48000, 2)
    else:
        assert p.audio_codec is None


def test_plain_export_keeps_shape_at_1080p(tmp_path: Path, media: dict[str, Path]) -> None:
    p, expected, _ = render(tmp_path, "export 1080p MP4 for free", media["plain"])
    assert (p.width, p.height) == (1440, 1080)  # 4:3 in the 1080p box
    assert abs(p.duration - 2.0) < TOLERANCE and abs(expected - 2.0) < 1e-6
    assert_delivery_format(p, audio=True)


def test_clip_without_audio_stays_silent(tmp_path: Path, media: dict[str, Path]) -> None:
    p, _, _ = render(tmp_path, "720p", media["mute"])
    assert (p.width, p.height) == (720, 960)  # 3:4 portrait: 720 columns at 720p
    assert_delivery_format(p, audio=False)


def test_fade_in_starts_dark(tmp_path: Path, media: dict[str, Path]) -> None:
    _, _, plain = render(tmp_path, "360p", media["plain"], name="plain.mp4")
    _, _, faded = render(tmp_path, "fade in and out, 360p", media["plain"], name="faded.mp4")
    assert mean_luma(plain) > 60
    assert mean_luma(faded) < 10
    assert mean_luma(faded, 30) > 60  # fully in after the 1 s fade


@pytest.mark.parametrize(
    ("prompt", "duration"),
    [
        ("2x speed, 360p", 1.0),
        ("slow motion, 360p", 4.0),
        ("timelapse, 360p", 0.5),
        ("cut the first 0.5 seconds and the last 0.5 seconds, 360p", 1.0),
        ("trim 0.5s from the start and 0.3 from the end, 360p", 1.2),
        ("keep 0:00.5 to 0:01.5 and speed up 2x, 360p", 0.5),
        ("remove 0.5s to 1s, 360p", 1.5),
        ("max 1.2 seconds, 360p", 1.2),
    ],
)
def test_duration_follows_the_plan(
    tmp_path: Path, media: dict[str, Path], prompt: str, duration: float
) -> None:
    p, expected, _ = render(tmp_path, prompt, media["plain"])
    assert abs(expected - duration) < 1 / 30 + 1e-6
    assert abs(p.duration - expected) < TOLERANCE
    assert_delivery_format(p, audio=True)


def test_concat_with_crossfades_is_sum_minus_overlaps(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    sources = (media["plain"], media["mute"], media["short"])  # 2 + 1 + 1.5 s, one silent
    p, expected, _ = render(tmp_path, "0.4 second crossfade between clips, vertical 360p", *sources)
    assert abs(expected - (2.0 + 1.0 + 1.5 - 2 * 0.4)) < 1e-6
    assert abs(p.duration - expected) < TOLERANCE
    assert (p.width, p.height) == (360, 640)
    # The silent clip gets silence and the 44.1 kHz clip is resampled: one 48 kHz track.
    assert_delivery_format(p, audio=True)


def test_concat_without_transitions_is_the_sum(tmp_path: Path, media: dict[str, Path]) -> None:
    p, expected, _ = render(tmp_path, "square crop 360p", media["plain"], media["short"])
    assert abs(expected - 3.5) < 1e-6 and abs(p.duration - 3.5) < TOLERANCE
    assert (p.width, p.height) == (360, 360)


@pytest.mark.parametrize("kind", ["wipe", "slide", "dissolve"])
def test_other_transitions_render(tmp_path: Path, media: dict[str, Path], kind: str) -> None:
    p, expected, _ = render(tmp_path, f"{kind} transitions, 240p", media["plain"], media["short"])
    assert abs(expected - 3.0) < 1e-6 and abs(p.duration - 3.0) < TOLERANCE


def test_portrait_phone_clip_comes_out_upright(tmp_path: Path, media: dict[str, Path]) -> None:
    p, _, _ = render(tmp_path, "", media["portrait"])
    assert (p.width, p.height, p.rotation) == (1080, 1440, 0)  # 240x320 as displayed
    assert_delivery_format(p, audio=True)


@pytest.mark.parametrize("kind", ["hlg", "pq"])
def test_hdr_is_tone_mapped_to_bt709(tmp_path: Path, media: dict[str, Path], kind: str) -> None:
    p, _, out = render(tmp_path, "360p", media[kind])
    assert_delivery_format(p, audio=True)
    assert 20 < mean_luma(out) < 235  # a picture, neither black nor blown out


def test_hdr_portrait_vertical_is_upright_1080x1920(tmp_path: Path, media: dict[str, Path]) -> None:
    p, _, _ = render(tmp_path, "vertical for TikTok", media["hlg"])
    assert (p.width, p.height, p.rotation) == (1080, 1920, 0)
    assert_delivery_format(p, audio=True)


def test_variable_frame_rate_becomes_constant(tmp_path: Path, media: dict[str, Path]) -> None:
    assert probe(media["vfr"]).vfr
    _, _, out = render(tmp_path, "240p", media["vfr"])
    times = frame_times(out)
    steps = {round(b - a, 4) for a, b in itertools.pairwise(times)}
    assert len(steps) == 1, steps


def test_music_under_a_silent_clip(tmp_path: Path, media: dict[str, Path]) -> None:
    p, expected, _ = render(tmp_path, f"add music {media['tone']} at 50%, 240p", media["mute"])
    assert abs(p.duration - expected) < TOLERANCE
    assert_delivery_format(p, audio=True)


def test_music_looped_and_ducked_under_sound(tmp_path: Path, media: dict[str, Path]) -> None:
    prompt = f"add music {media['tone']} at 35% and duck it under speech, 240p"
    p, expected, _ = render(tmp_path, prompt, media["plain"])  # 2 s clip, 1 s track
    assert abs(expected - 2.0) < 1e-6 and abs(p.duration - 2.0) < TOLERANCE
    assert_delivery_format(p, audio=True)


def test_mute_drops_the_sound(tmp_path: Path, media: dict[str, Path]) -> None:
    p, _, _ = render(tmp_path, "mute, black and white, brighter, 240p", media["plain"])
    assert_delivery_format(p, audio=False)


def test_loudnorm_and_volume(tmp_path: Path, media: dict[str, Path]) -> None:
    p, _, _ = render(tmp_path, "normalize audio for podcast, volume 80%, 240p", media["plain"])
    assert_delivery_format(p, audio=True)
    assert abs(p.duration - 2.0) < TOLERANCE


def test_title_with_awkward_characters_is_drawn(tmp_path: Path, media: dict[str, Path]) -> None:
    plain = render(tmp_path, "360p", media["plain"], name="plain.mp4")[2]
    edits = EditsSpec.model_validate(
        {
            "titles": [
                {"text": "It's 50%: a, b; [c] \\ done", "position": "top", "end": 2},
                {"text": "مرحبا Привет", "position": "bottom", "size": "small", "end": None},
            ]
        }
    )
    titled = render(tmp_path, "360p", media["plain"], edits=edits, name="titled.mp4")[2]
    assert frame_pixels(plain, 15) != frame_pixels(titled, 15)


def test_rotate_and_flip(tmp_path: Path, media: dict[str, Path]) -> None:
    p, _, _ = render(tmp_path, "rotate 90 clockwise, flip horizontally, 240p", media["plain"])
    assert (p.width, p.height) == (240, 320)  # 240p: the 4:3 clip turned, 240 wide


def test_engine_removes_silence(tmp_path: Path, media: dict[str, Path]) -> None:
    out, ctx = run_engine(tmp_path, "remove silence, 240p", media["speech"])
    # 3 s with 1 s of silence; 0.15 s of padding is kept on each side of it.
    assert abs(probe_output(out).duration - 2.3) < 0.15
    assert ctx.notes == []


def test_engine_notes_ignored_words_and_strict_fails(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    out, ctx = run_engine(tmp_path, "make it cinematic, 240p", media["plain"])
    assert ctx.notes == ['ignored: "make it cinematic"']
    assert (probe_output(out).width, probe_output(out).height) == (320, 240)
    with pytest.raises(PermanentError, match="cinematic"):
        run_engine(tmp_path, "make it cinematic", media["plain"], strict=True)


def test_engine_stabilises_with_two_passes(tmp_path: Path, media: dict[str, Path]) -> None:
    out, _ = run_engine(tmp_path, "stabilize, 240p", media["plain"])
    assert abs(probe_output(out).duration - 2.0) < TOLERANCE
    assert not list(tmp_path.glob("*.trf"))  # the motion data is cleaned up


def test_engine_refuses_a_missing_music_file(tmp_path: Path, media: dict[str, Path]) -> None:
    with pytest.raises(PermanentError, match="music file not found"):
        run_engine(tmp_path, "", media["plain"], edits={"music": str(tmp_path / "nope.mp3")})


def test_example_rules_local_prompt_does_what_it_says(
    tmp_path: Path, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The prompt a new user first sees, from rules.example.yaml, on a portrait phone clip.
    from daemon.config import load_config

    monkeypatch.setenv("HOME", str(tmp_path))
    example = load_config(Path(__file__).parents[2] / "rules.example.yaml")
    rule = example.rule_named("phone-clips")
    assert rule is not None
    clip = make_phone_clip(tmp_path / "IMG_0042.MOV", duration=3.0, size=(320, 180), rotation=90)
    job = JobSpec(job_id=1, sources=(clip,), rule=rule)
    ctx = JobContext(scratch=tmp_path / "scratch.mp4", log=logger)
    out = LocalEngine(SETTINGS, FFMPEG).run(job, ctx).path
    p = probe_output(out)
    assert ctx.notes == []  # every word understood
    assert abs(p.duration - 2.0) < TOLERANCE  # "trim the first second"
    assert p.display_size == (1080, 1920)  # upright portrait 1080p
    assert mean_luma(out) < 10  # "fade in": the first frame is dark
    assert_delivery_format(p, audio=True)


@pytest.mark.parametrize(
    ("prompt", "frames"),
    [
        ("export", 60),
        ("cut the first second", 30),
        ("speed up 2x", 30),
        ("slow it down to half speed", 120),
        ("cut the first 0.5 seconds, add a crossfade", 45),
    ],
)
def test_every_frame_the_edit_keeps_is_rendered(
    tmp_path: Path, media: dict[str, Path], prompt: str, frames: int
) -> None:
    """A 2 s clip at 30 fps is 60 frames: the edit's length in frames, exactly (the trims
    once lost the last frame to a half-frame margin written to 6 decimals)."""
    probed, expected, out = render(tmp_path, prompt, media["plain"])
    times = frame_times(out)
    assert len(times) == frames
    assert len(times) == round(expected * 30)
    assert abs(probed.duration - frames / 30) < TOLERANCE
