"""EditPlan + MediaInfo → ffmpeg argv (pure): exact pieces of the command."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from daemon.config import LocalSettings
from daemon.editplan.plan import EditPlan, SilenceCut, Span, Transition, Trim
from daemon.engines.local.ffmpeg import (
    atempo_chain,
    build_highlight_args,
    build_render_args,
    build_silence_args,
    build_stabilize_args,
    escape_value,
    filter_graph,
    work_rate,
)
from daemon.engines.local.highlights import best_span, boring_spans, parse_analysis, score
from daemon.engines.local.prompt import parse_prompt
from daemon.engines.local.silence import parse_silences
from daemon.engines.local.timeline import (
    frame_size,
    kept_spans,
    output_rate,
    planned_duration,
    speech_spans,
    timeline,
)
from daemon.errors import PermanentError
from daemon.media.probe import MediaInfo

SETTINGS = LocalSettings()
OUT = Path("/out/x.mp4")


def clip(name: str = "a.mp4", duration: float = 10.0, **kw: object) -> MediaInfo:
    base = MediaInfo(
        path=Path(f"/in/{name}"),
        duration=duration,
        size_bytes=1,
        width=1920,
        height=1080,
        fps=30.0,
        has_audio=True,
        audio_rate=48000,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def argv(prompt: str, *inputs: MediaInfo) -> tuple[str, ...]:
    plan, clips = parse_prompt(prompt), inputs or (clip(),)
    return build_render_args(
        "ffmpeg", plan, clips, timeline(plan, clips), output=OUT, settings=SETTINGS
    )


def graph_of(args: tuple[str, ...]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_plain_export_encoding_flags() -> None:
    args = argv("")
    assert args[0] == "ffmpeg" and args[-1] == str(OUT)
    assert args.count("-filter_complex") == 1 and args.count("-i") == 1
    joined = " ".join(args)
    for part in (
        "-c:v libx264 -preset veryfast -crf 20 -profile:v high -pix_fmt yuv420p",
        "-color_primaries bt709 -color_trc bt709 -colorspace bt709",
        "-c:a aac -b:a 192k -ar 48000 -ac 2",
        "-movflags +faststart -f mp4",
        "-map [vout]",
        "-map [aout]",
        "-t 10",
    ):
        assert part in joined
    assert "scale=1920:1080:" in graph_of(args)


def test_no_audio_track_when_nothing_needs_one() -> None:
    args = argv("", clip(has_audio=False, audio_rate=None))
    assert "-map" in args and "[aout]" not in args and "anullsrc" not in graph_of(args)


def test_silence_is_made_only_for_the_clip_without_sound() -> None:
    graph = graph_of(argv("crossfade", clip(), clip("b.mp4", has_audio=False)))
    assert graph.count("anullsrc") == 1 and "[1:a:0]" not in graph and "[0:a:0]" in graph


def test_music_alone_on_a_silent_clip() -> None:
    args = argv("add music /m/song.mp3 at 40%", clip(has_audio=False))
    assert args[args.index("-stream_loop") + 1] == "-1"
    assert args[args.index("-stream_loop") + 3] == "/m/song.mp3"
    graph = graph_of(args)
    assert "[1:a:0]" in graph and "volume=0.4" in graph and "amix" not in graph


def test_music_plays_at_its_own_level_when_nothing_plays_beside_it() -> None:
    """30 % is a level for under the clip's sound; with the clip muted, or silent, the
    music is all there is and plays at 100 % (it came out 10 dB too quiet)."""
    under = graph_of(argv("add music /m/song.mp3"))
    muted = graph_of(argv("mute the sound and add music /m/song.mp3"))
    silent = graph_of(argv("add music /m/song.mp3", clip(has_audio=False)))
    said = graph_of(argv("mute it, add music /m/song.mp3 at 30%"))
    assert "volume=0.3," in under and "amix" in under
    assert "volume=1," in muted and "amix" not in muted
    assert "volume=1," in silent
    assert "volume=0.3," in said


def test_music_ducked_under_the_clip() -> None:
    graph = graph_of(argv("add music /m/a.mp3 and duck it under speech"))
    assert "sidechaincompress" in graph and "amix=inputs=2:duration=first" in graph


def test_trim_seeks_the_input_and_cuts_exactly() -> None:
    args = argv("keep 0:02 to 0:05")
    assert args[args.index("-ss") + 1] == "2"
    assert planned_duration(parse_prompt("keep 0:02 to 0:05"), [clip()]) == 3.0


def test_a_container_without_an_index_is_trimmed_by_the_graph_not_by_seeking() -> None:
    # MPEG-TS seeks land on a later keyframe: decode from the start and trim in the graph.
    args = argv("keep 0:02 to 0:05", clip("a.mts", seekable=False))
    assert "-ss" not in args
    assert "trim=start=2:end=5," in graph_of(args)


def test_streams_are_lined_up_from_the_file_start() -> None:
    graph = graph_of(argv(""))
    assert "[0:a:0]aresample=48000:first_pts=0," in graph
    assert "[0:v:0]scale=1920:1080:" not in graph and "fps=30:start_time=0" in graph


@pytest.mark.parametrize(
    ("size", "tag", "matrix"),
    [
        ((640, 480), None, "bt601"),  # untagged SD plays as BT.601
        ((720, 576), None, "bt601"),
        ((1280, 720), None, "bt709"),
        ((1920, 1080), None, "bt709"),
        ((640, 480), "bt709", "bt709"),  # a tag always wins
        ((1920, 1080), "bt470bg", "bt601"),
    ],
)
def test_untagged_colour_is_read_as_players_read_it(
    size: tuple[int, int], tag: str | None, matrix: str
) -> None:
    info = clip(width=size[0], height=size[1], color_space=tag)
    assert f"in_color_matrix={matrix}:" in graph_of(argv("", info))


@pytest.mark.parametrize(
    ("prompt", "fps", "work"),
    [
        ("slow motion 0.5x", 120.0, 120),  # the filmed frames, slowed to 60
        ("slow motion 0.25x", 240.0, 240),
        ("slow motion 0.5x", 240.0, 120),  # no more than the slow motion needs
        ("slow motion 0.5x", 30.0, 30),  # nothing to gain
        ("", 120.0, 60),
        ("2x", 120.0, 60),
        ("slow motion 0.5x", 119.88, 120),  # the output is 60: twice that
    ],
)
def test_slow_motion_of_fast_footage_keeps_its_frames(
    prompt: str, fps: float, work: Fraction
) -> None:
    plan, clips = parse_prompt(prompt), [clip(fps=fps)]
    assert work_rate(plan, clips, timeline(plan, clips)) == work


def test_interlaced_input_is_deinterlaced_first() -> None:
    graph = graph_of(argv("", clip(interlaced=True)))
    assert graph.startswith("[0:v:0]bwdif=mode=send_frame:deint=interlaced,fps=30")
    assert "bwdif" not in graph_of(argv(""))


@pytest.mark.parametrize(
    ("sar", "rotation", "prompt", "size", "crop"),
    [
        # HDV: 1440x1080 stored, 16:9 shown.
        (Fraction(4, 3), 0, "", "scale=1920:1080:", None),
        # Vertical crop of it: 608 shown pixels are 456 stored ones.
        (Fraction(4, 3), 0, "vertical, crop", "scale=1080:1920:", "crop=456:1080,"),
        # A quarter turn: the stored height is shown as the width, and the pixels'
        # stretch is now vertical (1080 wide, 1920 tall).
        (Fraction(4, 3), 90, "", "scale=1080:1920:", None),
    ],
)
def test_anamorphic_pixels_are_shown_at_their_shape(
    sar: Fraction, rotation: int, prompt: str, size: str, crop: str | None
) -> None:
    hdv = clip(width=1440, height=1080, sar=sar, rotation=rotation)
    graph = graph_of(argv(prompt, hdv))
    assert size in graph
    assert (crop in graph) if crop else ("crop=" not in graph)


@pytest.mark.parametrize(
    ("prompt", "duration"),
    [
        ("", 10.0),
        ("2x", 5.0),
        ("slow motion", 20.0),
        ("cut the first 2s", 8.0),
        ("trim 1s from the start and 2 from the end", 7.0),
        ("max 4 seconds", 4.0),
        ("remove 0:02 to 0:04", 8.0),
        ("keep only the last 3 seconds", 3.0),
    ],
)
def test_planned_duration(prompt: str, duration: float) -> None:
    assert planned_duration(parse_prompt(prompt), [clip()]) == pytest.approx(duration)


def test_transitions_overlap_between_clips_and_at_cuts() -> None:
    plan = parse_prompt("1 second crossfade, remove 0:04 to 0:05")
    tl = timeline(plan, [clip(), clip("b.mp4", duration=6.0)])
    # Cuts apply to every clip; the last piece (1 s) limits its transition to 45 %.
    assert [(p.source, p.start, p.end, p.overlap) for p in tl.pieces] == [
        (0, 0.0, 4.0, 0.0),
        (0, 5.0, 10.0, 1.0),
        (1, 0.0, 4.0, 1.0),
        (1, 5.0, 6.0, pytest.approx(13 / 30)),
    ]
    assert tl.total == pytest.approx(4 + 5 + 4 + 1 - 2 - 13 / 30)
    clips = [clip(), clip("b.mp4", duration=6.0)]
    graph = filter_graph(plan, clips, timeline(plan, clips))
    assert graph.count("xfade=transition=fade:duration=1:") == 2
    assert graph.count("acrossfade=d=1:") == 2 and graph.count("xfade") == 3


def test_short_clip_limits_the_transition() -> None:
    plan = replace(EditPlan(), transition=Transition("fade", 2.0))
    tl = timeline(plan, [clip(), clip("b.mp4", duration=1.0)])
    assert tl.pieces[1].overlap == pytest.approx(13 / 30)  # 45 % of 1 s, whole frames


def test_hdr_input_is_tone_mapped() -> None:
    hlg = clip(
        color_transfer="arib-std-b67",
        color_primaries="bt2020",
        color_space="bt2020nc",
        bit_depth=10,
        pix_fmt="yuv420p10le",
    )
    graph = graph_of(argv("", hlg))
    # The resize happens in the transfer step, before anything turns to float.
    assert (
        "zscale=w=1920:h=1080:f=lanczos:tin=arib-std-b67:pin=bt2020:min=bt2020nc:t=linear" in graph
    )
    assert graph.index("zscale=w=1920") < graph.index("format=gbrpf32le")
    assert "tonemap=tonemap=hable" in graph and "zscale=t=bt709:m=bt709:r=tv" in graph
    assert "tonemap" not in graph_of(argv(""))


def test_portrait_phone_clip_keeps_its_orientation() -> None:
    portrait = clip(rotation=90)
    assert frame_size(EditPlan(), [portrait]) == (1080, 1920)
    assert "scale=1080:1920:" in graph_of(argv("", portrait))


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("vertical", (1080, 1920)),
        ("square", (1080, 1080)),
        ("16:9 720p", (1280, 720)),
        ("instagram portrait", (1080, 1350)),
        ("4k", (3840, 2160)),
        ("rotate 90", (1080, 1920)),
    ],
)
def test_frame_sizes(prompt: str, size: tuple[int, int]) -> None:
    assert frame_size(parse_prompt(prompt), [clip()]) == size


@pytest.mark.parametrize(
    ("width", "height", "prompt", "size"),
    [
        (1920, 1080, "", (1920, 1080)),
        (3840, 2160, "", (1920, 1080)),
        (640, 480, "", (1440, 1080)),  # 4:3: 1080 lines, not 1920x1440
        (480, 640, "", (1080, 1440)),
        (720, 720, "", (1080, 1080)),  # square: as "1:1" gives, not 1920x1920
        (2560, 1080, "", (1920, 810)),  # ultra-wide: the long side bounds it
        (640, 480, "720p", (960, 720)),
        (1280, 720, "4k", (3840, 2160)),
    ],
)
def test_the_clip_s_own_shape_fits_the_resolution_s_box(
    width: int, height: int, prompt: str, size: tuple[int, int]
) -> None:
    assert frame_size(parse_prompt(prompt), [clip(width=width, height=height)]) == size


def test_fill_modes() -> None:
    assert "boxblur" in graph_of(argv("vertical"))
    # A 1920x1080 source cut to 9:16: crop the middle 608x1080 first, then scale up.
    assert "crop=608:1080,scale=1080:1920:" in graph_of(argv("vertical, crop"))
    assert "pad=1080:1920:-1:-1:color=black" in graph_of(argv("vertical, black bars"))


def test_large_sources_shrink_before_any_colour_work() -> None:
    big = clip(width=3840, height=2160, color_space="bt470bg", fps=60.0)
    graph = graph_of(argv("warmer, vertical", big))
    # The rate filter first (free when it drops frames), then one scale; the grade after.
    start = "[0:v:0]fps=60:start_time=0,scale=1080:608:flags=lanczos:in_color_matrix=bt601"
    assert graph.startswith(start)
    assert graph.index("scale=1080:608") < graph.index("colortemperature")
    slow = graph_of(argv("vertical", clip("a.mp4", fps=24.0), clip("b.mp4", fps=30.0)))
    first = slow.split(";")[0]
    # A slower source repeats frames only after it is small.
    assert first.index("scale=") < first.index("fps=30")


def test_rotated_output_scales_in_the_source_orientation() -> None:
    portrait = clip(width=3840, height=2160, rotation=90)
    graph = graph_of(argv("rotate left", portrait))
    # 2160x3840 shown, turned to 3840x2160 → 1920x1080 out: scaled as 1080x1920, then turned.
    assert "scale=1080:1920:" in graph
    assert graph.index("scale=1080:1920") < graph.index("transpose=cclock")


def test_vfr_input_gets_a_constant_standard_rate() -> None:
    assert output_rate([clip(fps=29.6, vfr=True)]) == Fraction(30000, 1001)
    assert output_rate([clip(fps=24.0), clip(fps=59.94)]) == Fraction(60000, 1001)
    assert "fps=30000/1001" in graph_of(argv("", clip(fps=29.6, vfr=True)))


@pytest.mark.parametrize(
    ("speed", "chain"),
    [
        (2.0, ["atempo=2"]),
        (4.0, ["atempo=2", "atempo=2"]),
        (0.25, ["atempo=0.5", "atempo=0.5"]),
        (3.0, ["atempo=2", "atempo=1.5"]),
        (1.0, []),
        (0.75, ["atempo=0.75"]),
    ],
)
def test_atempo_chain(speed: float, chain: list[str]) -> None:
    assert atempo_chain(speed) == chain


def test_edits_map_to_filters() -> None:
    graph = graph_of(argv("black and white, more contrast, fade in, fade out, mute, 2x"))
    assert "hue=s=0" in graph and "eq=brightness=0:contrast=1.15:saturation=1" in graph
    assert "fade=t=in:st=0:d=1" in graph and "fade=t=out:st=4:d=1" in graph
    assert "setpts=PTS/2" in graph and "[aout]" not in graph
    graph = graph_of(argv("normalize audio for podcast, volume 80%"))
    assert "loudnorm=I=-16:TP=-1.5:LRA=11" in graph and "volume=0.8" in graph


def test_title_text_is_escaped_for_the_graph() -> None:
    assert escape_value("a:b") == "a\\\\:b"
    assert escape_value("it's") == "it\\\\\\'s"
    assert escape_value("x,y;[z]") == "x\\,y\\;\\[z\\]"
    graph = graph_of(argv("add the title 'Hi, you: 100%'"))
    assert "text=Hi\\, you\\\\: 100%" in graph and "expansion=none" in graph
    assert "text_shaping=1" in graph and "DejaVuSans-Bold.ttf" in graph


def test_stabilise_has_a_detect_pass_and_a_transform() -> None:
    plan = parse_prompt("stabilize")
    detect = build_stabilize_args("ffmpeg", plan, [clip()], timeline(plan, [clip()]), OUT)
    assert "vidstabdetect" in graph_of(detect) and detect[-3:] == ("-f", "null", "-")
    assert "vidstabtransform" in graph_of(argv("stabilize"))


def test_analysis_passes_decode_cheaply() -> None:
    hlg = clip(color_transfer="arib-std-b67", color_primaries="bt2020", width=3840, height=2160)
    plan = parse_prompt("stabilize")
    detect = build_stabilize_args("ffmpeg", plan, [hlg], timeline(plan, [hlg]), OUT)
    # Motion needs shapes, not colour: no tone-map, a bilinear resize, no deblocking.
    assert "tonemap" not in graph_of(detect) and "scale=1920:1080:flags=bilinear" in graph_of(
        detect
    )
    assert detect[detect.index("-i") - 2 : detect.index("-i")] == ("-skip_loop_filter", "all")
    assert "tonemap" in graph_of(argv("stabilize", hlg))
    scores = build_highlight_args("ffmpeg", clip())
    assert scores[scores.index("-i") - 4 : scores.index("-i")] == (
        "-skip_loop_filter",
        "all",
        "-skip_frame",
        "noref",
    )
    sound = build_silence_args("ffmpeg", clip(), SilenceCut())
    assert sound[sound.index("-i") - 3 : sound.index("-i")] == ("-vn", "-sn", "-dn")


def test_silence_pass_and_cuts() -> None:
    args = build_silence_args("ffmpeg", clip(), SilenceCut())
    assert args[args.index("-af") + 1] == "silencedetect=n=-35dB:d=0.5"
    log = (
        "[silencedetect @ 0x1] silence_start: 2.5\n"
        "[silencedetect @ 0x1] silence_end: 4 | silence_duration: 1.5\n"
        "[silencedetect @ 0x1] silence_start: 9.2\n"
    )
    silences = parse_silences(log, 10.0)
    assert silences == ((2.5, 4.0), (9.2, 10.0))
    assert speech_spans(silences, 10.0, 0.15) == [Span(2.65, 3.85), Span(9.35, 10.0)]
    plan = parse_prompt("remove silence")
    tl = timeline(plan, [clip(silences=silences)])
    frame = 1 / 30 + 1e-9
    assert [(p.start, p.end, p.overlap) for p in tl.pieces] == [
        (0.0, pytest.approx(2.65, abs=frame), 0.0),
        (pytest.approx(3.85, abs=frame), pytest.approx(9.35, abs=frame), 0.0),
    ]


def test_kept_spans() -> None:
    t = Trim(head=1.0, tail=1.0, remove=(Span(3.0, 4.0), Span(6.0, None)))
    assert kept_spans(t, 10.0) == [(1.0, 3.0, False), (4.0, 6.0, True)]


def test_an_edit_that_leaves_nothing_fails_clearly() -> None:
    with pytest.raises(PermanentError, match="leaves nothing"):
        timeline(parse_prompt("cut the first 20 seconds"), [clip()])


def graph_for(prompt: str) -> str:
    return graph_of(argv(prompt))


@pytest.mark.parametrize(
    ("prompt", "present"),
    [
        ("reverse it", ["[joinv]trim=end=", ",reverse,", "areverse"]),
        ("60fps", ["fps=60"]),
        ("24 fps with frame blending", ["framerate=fps=24"]),
        ("60fps with motion interpolation", ["minterpolate=fps=60:mi_mode=mci"]),
        ("remove the background noise", ["highpass=f=80,afftdn=nr=12:nf=-40"]),
        ("warmer", ["colortemperature=temperature=5000"]),
        ("it looks too yellow", ["colortemperature=temperature=8000"]),
        ("turn the volume down by half", ["volume=0.5"]),
    ],
)
def test_new_edits_are_in_the_one_graph(prompt: str, present: list[str]) -> None:
    graph = graph_for(prompt)
    for piece in present:
        assert piece in graph, piece


def test_loop_repeats_the_pieces_and_lengthens_the_timeline() -> None:
    plan = parse_prompt("loop it 3 times")
    tl = timeline(plan, [clip()])
    assert len(tl.pieces) == 3 and tl.total == pytest.approx(3 * tl.pieces[0].length)
    assert "concat=n=3" in graph_for("loop it 3 times")
    assert timeline(parse_prompt("loop it to 25 seconds"), [clip()]).total == pytest.approx(25.0)


def test_speed_range_splits_the_clip_into_pieces_at_their_own_speed() -> None:
    plan = parse_prompt("play the first 2 seconds in slow motion")
    tl = timeline(plan, [clip()])
    assert [(p.start, p.end, p.speed) for p in tl.pieces] == [(0.0, 2.0, 0.5), (2.0, 10.0, 1.0)]
    assert tl.total == pytest.approx(4.0 + 8.0)
    assert "setpts=PTS/0.5" in graph_for("play the first 2 seconds in slow motion")


def test_speed_range_counted_from_the_end() -> None:
    tl = timeline(parse_prompt("speed up the last 4 seconds 2x"), [clip()])
    assert [(p.start, p.end, p.speed) for p in tl.pieces] == [(0.0, 6.0, 1.0), (6.0, 10.0, 2.0)]
    assert tl.total == pytest.approx(8.0)


def test_reverse_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(PermanentError, match="reversing is limited"):
        timeline(parse_prompt("reverse it"), [clip(duration=30.0)])


def test_edge_silence_keeps_the_pauses_in_the_middle() -> None:
    clips = [clip(silences=[(0.0, 1.0), (4.0, 5.0), (9.0, 10.0)])]
    edges = timeline(parse_prompt("trim the dead air at the start and end"), clips)
    start = timeline(parse_prompt("remove the silence at the start"), clips)
    # One piece: the 4-5 s pause stays; 0.15 s kept around speech, snapped to frames.
    assert [(p.start, p.end) for p in edges.pieces] == [
        (pytest.approx(0.85, abs=0.02), pytest.approx(9.15, abs=0.02))
    ]
    assert len(start.pieces) == 1 and start.pieces[0].end == 10.0


def test_a_size_limit_caps_the_bitrate_instead_of_crf() -> None:
    args = argv("under 10 MB")  # 10 s clip: 10 MB * 8 * 0.93 / 10 s = 7.44 Mb/s in all
    video = 7_440_000 - 128_000
    assert "-crf" not in args
    assert args[args.index("-b:v") + 1] == str(video) == args[args.index("-maxrate") + 1]
    assert args[args.index("-b:a") + 1] == "128000"


def test_a_size_too_small_for_the_length_is_refused() -> None:
    with pytest.raises(PermanentError, match=r"cannot fit in 0\.2 MB"):
        argv("under 0.2 MB")


HIGHLIGHT_LOG = "\n".join(
    line
    for t in range(6)
    for line in (
        f"[metadata@motion @ 0x1] frame:{t} pts:{t} pts_time:{t}.1",
        f"[metadata@motion @ 0x1] lavfi.scene_score={0.0 if t < 3 else 0.2 + t / 100}",
        f"[ametadata@loud @ 0x2] frame:{t} pts:{t} pts_time:{t}.5",
        f"[ametadata@loud @ 0x2] lavfi.r128.M={-120 if t < 3 else -20 - t}",
    )
)


def test_highlight_scores_pick_the_lively_seconds() -> None:
    motion, loud = parse_analysis(HIGHLIGHT_LOG, 6.0)
    assert motion[:3] == [0.0, 0.0, 0.0] and loud[:3] == [-70.0, -70.0, -70.0]
    scores = score(motion, loud, has_audio=True)
    assert best_span(scores, 2.0, 6.0).start >= 3.0
    assert boring_spans(scores, 6.0) == [Span(0.0, 3.0)]


def test_highlight_pass_is_one_small_sparse_pass() -> None:
    args = build_highlight_args("ffmpeg", clip())
    graph = args[args.index("-filter_complex") + 1]
    assert "fps=4,scale=160:-2" in graph and "ebur128=metadata=1" in graph
    assert args.count("-i") == 1
