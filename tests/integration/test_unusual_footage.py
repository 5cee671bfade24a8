"""Footage a new user brings that phones' own clips never show: streams that start late,
anamorphic pixels, interlaced fields, MPEG-TS, live WebM, cut-short copies. Each is
rendered by the real engine and the output checked with the independent probe."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.errors import PermanentError
from daemon.media.probe import probe
from tests.integration.test_local_render import TOLERANCE, assert_delivery_format, run_engine
from tests.mediagen import (
    audio_onset,
    cut_short,
    distinct_frames,
    frame_times,
    idet_counts,
    make_clip,
    make_interlaced_clip,
    make_live_webm,
    make_offset_clip,
    make_screen_recording,
    make_untagged_sd_clip,
    make_with_picture,
    mean_chroma,
    pixel_difference,
    probe_output,
)

pytestmark = pytest.mark.integration

# Mean luma difference of one picture encoded twice (HELD) and of testsrc2 moving on (MOVED).
HELD = 0.5
MOVED = 1.5


@pytest.fixture(scope="session")
def footage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("footage")
    return {
        "audio_late": make_offset_clip(d / "audio_late.mp4", audio_delay=0.7),
        "video_late": make_offset_clip(d / "video_late.mp4", video_delay=0.5),
        # Sound 2 s, picture 0.5 s: a recorder that stopped the picture first.
        "audio_long": make_offset_clip(d / "audio_long.mp4", video_duration=0.5),
        # 240x240 stored, 4:3 shown (DV, HDV and some messengers store narrow pixels).
        "anamorphic": make_clip(d / "anamorphic.mp4", size=(240, 240), extra=("-vf", "setsar=4/3")),
        "interlaced": make_interlaced_clip(d / "interlaced.mp4"),
        # A camcorder's .MTS: MPEG-TS (with one keyframe, at the start).
        "mts": make_clip(d / "camcorder.mts", duration=3.0, extra=("-f", "mpegts")),
        "live_webm": make_live_webm(d / "recording.webm"),
        "whole": make_clip(d / "whole.mp4", duration=4.0, extra=("-movflags", "+faststart")),
    }


def test_sound_that_starts_late_stays_late(tmp_path: Path, footage: dict[str, Path]) -> None:
    # Before: each stream was cut from its own first timestamp, so the tone that starts
    # 0.7 s in was pulled to 0 s: lips moved 0.7 s after the words.
    out, _ = run_engine(tmp_path, "export as 240p", footage["audio_late"])
    onset = audio_onset(out)
    assert onset is not None and abs(onset - 0.7) < TOLERANCE
    (tmp_path / "t").mkdir()
    trimmed, _ = run_engine(
        tmp_path / "t", "240p, trim the first 0.5 seconds", footage["audio_late"]
    )
    onset = audio_onset(trimmed)
    assert onset is not None and abs(onset - 0.2) < TOLERANCE


def test_picture_that_starts_late_holds_its_first_frame(
    tmp_path: Path, footage: dict[str, Path]
) -> None:
    # Before: the picture was pulled to 0 s (0.5 s ahead of its sound) and its end padded.
    out, _ = run_engine(tmp_path, "export as 240p", footage["video_late"])
    p = probe_output(out)
    assert abs(p.duration - 2.0) < TOLERANCE
    assert pixel_difference(out, 0, 14) < HELD  # held until 0.5 s
    assert pixel_difference(out, 14, 20) > MOVED  # then it moves


def test_picture_shorter_than_its_sound_is_held_to_the_end(
    tmp_path: Path, footage: dict[str, Path]
) -> None:
    # Before: the picture was padded by 1 s at most, so it ended before the sound did.
    out, _ = run_engine(tmp_path, "export as 240p", footage["audio_long"])
    times = frame_times(out)
    assert abs(times[-1] + 1 / 30 - 2.0) < TOLERANCE
    assert abs(probe_output(out).duration - 2.0) < TOLERANCE


def test_anamorphic_pixels_are_shown_at_their_shape(
    tmp_path: Path, footage: dict[str, Path]
) -> None:
    # Before: the stored 1:1 shape was used, so a 4:3 picture came out square (1080x1080).
    out, _ = run_engine(tmp_path, "export as 1080p", footage["anamorphic"])
    p = probe_output(out)
    assert (p.width, p.height) == (1440, 1080)
    assert_delivery_format(p, audio=True)
    assert probe(footage["anamorphic"]).display_width == 320
    (tmp_path / "v").mkdir()
    vertical, _ = run_engine(tmp_path / "v", "240p, make it vertical, crop", footage["anamorphic"])
    assert probe_output(vertical).display_size == (240, 426)
    # The crop keeps the middle 3/4 of the shown width: the stored 240 px become 135 px
    # (a square-pixel crop would have taken 180 stored px, squeezing the picture).
    assert probe_output(vertical).duration == pytest.approx(2.0, abs=TOLERANCE)


def test_interlaced_video_is_deinterlaced(tmp_path: Path, footage: dict[str, Path]) -> None:
    # Before: woven fields were scaled as they were and every moving edge combed.
    woven, _ = idet_counts(footage["interlaced"])
    assert woven > 0
    out, _ = run_engine(tmp_path, "export as 240p", footage["interlaced"])
    interlaced, progressive = idet_counts(out)
    assert progressive > 3 * interlaced
    assert probe(footage["interlaced"]).interlaced


def test_camcorder_mts_trimmed_keeps_its_picture(tmp_path: Path, footage: dict[str, Path]) -> None:
    # Before: -ss seeking in MPEG-TS landed on the next keyframe: a trim lost seconds of
    # picture (or all of it, for a clip with one keyframe) and the sound was padded.
    out, _ = run_engine(tmp_path, "240p, trim the first 0.5 seconds", footage["mts"])
    p = probe_output(out)
    assert p.video_codec == "h264"
    times = frame_times(out)
    assert abs(len(times) - 75) <= 2
    assert pixel_difference(out, 0, 10) > MOVED  # no frozen start
    assert pixel_difference(out, 60, 70) > MOVED  # nor a frozen end
    assert not probe(footage["mts"]).seekable


def test_live_webm_without_a_duration_is_edited(tmp_path: Path, footage: dict[str, Path]) -> None:
    # Before: "the video has no duration (empty or truncated file)".
    assert abs(probe(footage["live_webm"]).duration - 2.0) < TOLERANCE
    out, _ = run_engine(tmp_path, "240p, speed up 2x", footage["live_webm"])
    p = probe_output(out)
    assert abs(p.duration - 1.0) < TOLERANCE
    assert_delivery_format(p, audio=True)


def test_cut_short_copy_is_edited_as_far_as_it_goes_with_a_note(
    tmp_path: Path, footage: dict[str, Path]
) -> None:
    # Before: the header's 4 s were planned: the readable part, then a frozen frame and
    # silence (or a picture that stopped a second later than the readable part).
    short = cut_short(footage["whole"], tmp_path / "copy.mp4", keep=0.4)
    out, ctx = run_engine(tmp_path, "export as 240p", short)
    assert any("cut short" in note for note in ctx.notes)
    info = probe(short)
    assert info.header_duration == pytest.approx(4.0)
    assert 0.5 < info.duration < 3.0
    assert abs(probe_output(out).duration - info.duration) < TOLERANCE
    assert probe(footage["whole"]).header_duration is None


def test_untagged_standard_definition_keeps_its_colours(tmp_path: Path) -> None:
    # Before: untagged video was read as BT.709 whatever its size, so the BT.601 values
    # of an SD clip were passed through and shown as BT.709: a red turned orange-brown.
    # The same red through BT.709 has U about 111 (BT.601 passed through: about 103).
    source = make_untagged_sd_clip(tmp_path / "old-camera.mp4")
    out, _ = run_engine(tmp_path, "export as 240p", source)
    u, v = mean_chroma(out)
    assert abs(u - 111) < 3 and abs(v - 204) < 3


def test_a_thumbnail_track_before_the_picture_is_passed_over(tmp_path: Path) -> None:
    # Before: the first video stream was taken, so the output was the 64x64 still, held.
    source = make_with_picture(tmp_path / "with-thumbnail.mkv")
    out, _ = run_engine(tmp_path, "export as 240p", source)
    p = probe_output(out)
    assert (p.width, p.height) == (320, 240)
    assert pixel_difference(out, 0, 30) > MOVED


def test_a_song_with_cover_art_is_refused_with_a_reason(tmp_path: Path) -> None:
    # Before: ffmpeg's "Nothing was written into output file, because at least one of
    # its streams received no packets".
    song = make_with_picture(tmp_path / "song.mp4", video=False, attached=True)
    with pytest.raises(PermanentError, match="only a cover picture"):
        run_engine(tmp_path, "export as 240p", song)


def test_screen_recording_keeps_the_rate_it_moves_at(tmp_path: Path) -> None:
    # Before: the average rate (20: the screen was still for a second) snapped to 23.976,
    # dropping one frame in five wherever the screen moved.
    source = make_screen_recording(tmp_path / "screen.mp4")
    out, _ = run_engine(tmp_path, "export as 240p", source)
    times = frame_times(out)
    assert abs(len(times) - 90) <= 1
    assert abs(times[1] - times[0] - 1 / 30) < 1e-3


def test_a_one_frame_video_is_refused_as_too_short(tmp_path: Path) -> None:
    # Before: "the edit leaves nothing to show (the cuts remove the whole video)", for
    # a prompt that cut nothing.
    still = make_screen_recording(tmp_path / "still.mp4", frames=1)
    with pytest.raises(PermanentError, match="too short to edit"):
        run_engine(tmp_path, "export as 240p", still)


def test_slow_motion_of_120_fps_footage_shows_the_filmed_frames(tmp_path: Path) -> None:
    # Before: the frames were first thinned to the 60 fps output and then each shown
    # twice: 60 different pictures in 2 s of half-speed 120 fps footage, not 120.
    fast = make_clip(tmp_path / "slomo.mp4", duration=1.0, size=(160, 120), rate=120)
    out, _ = run_engine(tmp_path, "slow motion 0.5x, 240p", fast)
    assert abs(probe_output(out).duration - 2.0) < TOLERANCE
    assert len(frame_times(out)) == 120
    assert distinct_frames(out) > 100


def test_a_recording_stopped_before_its_index_is_refused_with_a_reason(
    tmp_path: Path, footage: dict[str, Path]
) -> None:
    # An MP4 writes its index (moov) last unless it is moved to the front. Before:
    # "not a readable video (Invalid data found when processing input)".
    plain = make_clip(tmp_path / "plain.mp4", duration=1.0)
    unfinished = cut_short(plain, tmp_path / "unfinished.mp4", keep=0.6)
    with pytest.raises(PermanentError, match=r"incomplete: it has no index \(moov\)"):
        run_engine(tmp_path, "export as 240p", unfinished)
    with pytest.raises(PermanentError, match="not a readable video"):
        probe(cut_short(footage["live_webm"], tmp_path / "junk.mp4", keep=0.001))
