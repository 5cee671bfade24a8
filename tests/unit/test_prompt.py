"""Prompt → EditPlan over many phrasings (pure, table-driven)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from daemon.editplan.edits import EditsSpec
from daemon.editplan.plan import (
    Color,
    EditPlan,
    Music,
    SilenceCut,
    Span,
    Title,
    Transition,
    Trim,
)
from daemon.engines.local.prompt import NO_MUSIC_FILE, NOT_BUILT, parse_prompt, plan_from

BASE = EditPlan()


def trim(**kw: object) -> EditPlan:
    return replace(BASE, trim=Trim(**kw))  # type: ignore[arg-type]


def plan(**kw: object) -> EditPlan:
    return replace(BASE, **kw)  # type: ignore[arg-type]


CASES: list[tuple[str, EditPlan]] = [
    # trims, many phrasings and units
    ("cut the first 3s", trim(head=3.0)),
    ("remove the first 3 seconds", trim(head=3.0)),
    ("trim the first two seconds", trim(head=2.0)),
    ("Trim the first second", trim(head=1.0)),
    ("cut the last minute", trim(tail=60.0)),
    ("skip the first 2 sec", trim(head=2.0)),
    ("cut 1.5 minutes from the beginning", trim(head=90.0)),
    ("trim 2 seconds from the start and 3 from the end", trim(head=2.0, tail=3.0)),
    ("cut the first 2s and the last 3s", trim(head=2.0, tail=3.0)),
    ("remove the last 5 seconds of the video", trim(tail=5.0)),
    ("trim 1 second off both ends", trim(head=1.0, tail=1.0)),
    ("trim the start by 4s", trim(head=4.0)),
    ("keep 0:10 to 0:45", trim(keep=Span(10.0, 45.0))),
    ("from 1:05 to 1:20", trim(keep=Span(65.0, 80.0))),
    ("keep between 10s and 20s", trim(keep=Span(10.0, 20.0))),
    ("0:05-0:09", trim(keep=Span(5.0, 9.0))),
    ("only the first 30 seconds", trim(keep=Span(0.0, 30.0))),
    ("keep the first 1:30", trim(keep=Span(0.0, 90.0))),
    ("first 90 seconds only", trim(keep=Span(0.0, 90.0))),
    ("keep only the last 10 seconds", trim(last=10.0)),
    ("start at 0:05", trim(keep=Span(5.0, None))),
    ("start at 5s and end at 0:40", trim(keep=Span(5.0, 40.0))),
    ("cut out 0:10 to 0:15", trim(remove=(Span(10.0, 15.0),))),
    ("remove the part from 1:00 to 1:10", trim(remove=(Span(60.0, 70.0),))),
    ("max 60 seconds", plan(max_duration=60.0)),
    ("make it 30 seconds long", plan(max_duration=30.0)),
    ("under 1 minute", plan(max_duration=60.0)),
    # silence
    ("remove silence", plan(silence=SilenceCut())),
    ("cut the dead air", plan(silence=SilenceCut())),
    ("remove the pauses", plan(silence=SilenceCut())),
    ("jump cuts", plan(silence=SilenceCut())),
    ("remove silent parts below -40dB", plan(silence=SilenceCut(threshold_db=-40.0))),
    # speed
    ("2x", plan(speed=2.0)),
    ("speed up", plan(speed=1.5)),
    ("speed it up 3x", plan(speed=3.0)),
    ("play at 1.25x speed", plan(speed=1.25)),
    ("slow motion", plan(speed=0.5)),
    ("slow motion 0.25x", plan(speed=0.25)),
    ("slow-mo", plan(speed=0.5)),
    ("half speed", plan(speed=0.5)),
    ("double speed", plan(speed=2.0)),
    ("timelapse", plan(speed=4.0)),
    ("play at 150% speed", plan(speed=1.5)),
    # aspect, platform, fill, resolution
    ("make it vertical for TikTok", plan(aspect="9:16")),
    ("for Instagram Reels", plan(aspect="9:16")),
    ("YouTube Shorts", plan(aspect="9:16")),
    ("9:16", plan(aspect="9:16")),
    ("for YouTube", plan(aspect="16:9")),
    ("landscape 16:9", plan(aspect="16:9")),
    ("square for instagram", plan(aspect="1:1")),
    ("instagram portrait", plan(aspect="4:5")),
    ("vertical, crop to fill", plan(aspect="9:16", fill="crop")),
    ("square with black bars", plan(aspect="1:1", fill="pad")),
    ("vertical with a blurred background", plan(aspect="9:16", fill="blur")),
    ("720p", plan(resolution=720)),
    ("export in 4k", plan(resolution=2160)),
    ("1080p MP4", BASE),
    # fades and transitions
    ("fade in", plan(fade_in=1.0)),
    ("fade out", plan(fade_out=1.0)),
    ("fade in and out", plan(fade_in=1.0, fade_out=1.0)),
    ("2 second fade-in", plan(fade_in=2.0)),
    ("fade out over 3s", plan(fade_out=3.0)),
    ("fade to black at the end", plan(fade_out=1.0)),
    ("add fades", plan(fade_in=1.0, fade_out=1.0)),
    ("add fade transitions", plan(transition=Transition("fade", 0.5))),
    ("crossfade between clips", plan(transition=Transition("fade", 0.5))),
    ("1 second dissolve between clips", plan(transition=Transition("dissolve", 1.0))),
    ("wipe transitions", plan(transition=Transition("wipeleft", 0.5))),
    ("slide right transitions", plan(transition=Transition("slideright", 0.5))),
    ("fade through black transitions", plan(transition=Transition("fadeblack", 0.5))),
    ("add transitions", plan(transition=Transition("fade", 0.5))),
    # titles
    (
        "add the title 'Urban Dreams' for the first 3 seconds",
        plan(titles=(Title("Urban Dreams", 0.0, 3.0),)),
    ),
    (
        'add a caption "hello there" at the top',
        plan(titles=(Title("hello there", 0.0, None, "top", "medium"),)),
    ),
    (
        "title “東京の夜” in small letters from 2s to 5s",
        plan(titles=(Title("東京の夜", 2.0, 5.0, "center", "small"),)),
    ),
    (
        "add text 'The End' for the last 2 seconds",
        plan(titles=(Title("The End", -2.0, None, "bottom", "medium"),)),
    ),
    (
        "big title 'Hi' in yellow at the bottom",
        plan(titles=(Title("Hi", 0.0, 3.0, "bottom", "large", color="yellow"),)),
    ),
    ("title: Summer Trip", plan(titles=(Title("Summer Trip", 0.0, 3.0),))),
    # music and audio
    ("add music ~/Music/lofi.mp3 at 35%", plan(music=Music("~/Music/lofi.mp3", 0.35))),
    ("use 'My Song.m4a' as background music", plan(music=Music("My Song.m4a"))),
    ("add music a.mp3 and duck it under speech", plan(music=Music("a.mp3", duck=True))),
    ("background music /x/b.wav, don't loop the music", plan(music=Music("/x/b.wav", loop=False))),
    ("mute", plan(mute=True)),
    ("remove the audio", plan(mute=True)),
    ("no sound", plan(mute=True)),
    ("volume 150%", plan(volume=1.5)),
    ("louder", plan(volume=1.5)),
    ("lower the volume", plan(volume=0.6)),
    ("normalize audio", plan(loudness=-14.0)),
    ("normalise the loudness for podcast", plan(loudness=-16.0)),
    ("loudness -18 LUFS", plan(loudness=-18.0)),
    # picture
    ("stabilize", plan(stabilize=True)),
    ("stabilise the footage", plan(stabilize=True)),
    ("remove camera shake", plan(stabilize=True)),
    ("rotate 90 degrees", plan(rotate=90)),
    ("rotate left", plan(rotate=270)),
    ("rotate 90 counterclockwise", plan(rotate=270)),
    ("upside down", plan(rotate=180)),
    ("flip horizontally", plan(hflip=True)),
    ("mirror it", plan(hflip=True)),
    ("flip vertically", plan(vflip=True)),
    ("black and white", plan(color=Color(grayscale=True))),
    ("B&W", plan(color=Color(grayscale=True))),
    ("grayscale", plan(color=Color(grayscale=True))),
    ("brighter", plan(color=Color(brightness=0.06))),
    ("a bit darker", plan(color=Color(brightness=-0.03))),
    ("more contrast", plan(color=Color(contrast=1.15))),
    ("more saturated", plan(color=Color(saturation=1.3))),
    ("desaturate", plan(color=Color(saturation=0.7))),
    ("brightness +10%", plan(color=Color(brightness=0.1))),
    # filler is understood, not reported
    ("", BASE),
    ("export", BASE),
    ("please export this for free, thanks!", BASE),
    ("just render it as an MP4 please", BASE),
]


@pytest.mark.parametrize(("prompt", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_phrasings(prompt: str, expected: EditPlan) -> None:
    assert parse_prompt(prompt) == expected


def test_the_example_rules_prompt_is_fully_understood() -> None:
    got = parse_prompt("Trim the first second, fade in and fade out, and export as a 1080p MP4")
    assert got == replace(BASE, trim=Trim(head=1.0), fade_in=1.0, fade_out=1.0)


def test_background_music_without_a_file_is_reported() -> None:
    got = parse_prompt("Trim the dead air, add smooth transitions and background music")
    assert got.silence == SilenceCut() and got.transition == Transition()
    assert got.ignored == (f"background music ({NO_MUSIC_FILE})",)


def test_the_issue_example_combines_everything() -> None:
    got = parse_prompt(
        "trim the first 2 seconds, add fade transitions, make it vertical for TikTok"
    )
    assert got == replace(BASE, trim=Trim(head=2.0), transition=Transition(), aspect="9:16")


IGNORED = [
    ("make it cinematic", ("make it cinematic",)),
    ("cut the first 2s and make it cinematic", ("make it cinematic",)),
    ("add sparkles, 720p", ("add sparkles",)),
    ("vertical, zoom in on faces please", (f"zoom in on faces ({NOT_BUILT})",)),
    ("color grade like a movie; fade in", ("color grade like a movie",)),
    ("make it look vintage", ("make it look vintage",)),
    ("duck the music", (f"duck the music ({NO_MUSIC_FILE})",)),
    ("flip", ("flip",)),
]


@pytest.mark.parametrize(("prompt", "ignored"), IGNORED)
def test_not_understood_is_reported(prompt: str, ignored: tuple[str, ...]) -> None:
    assert parse_prompt(prompt).ignored == ignored


def test_quoted_words_are_never_read_as_instructions() -> None:
    got = parse_prompt("add the title 'fade in 2x vertical'")
    assert got.titles[0].text == "fade in 2x vertical"
    assert (got.fade_in, got.speed, got.aspect) == (0.0, 1.0, "source")


def test_edits_override_and_extend_the_prompt() -> None:
    edits = EditsSpec.model_validate(
        {"aspect": "square", "titles": ["Two"], "remove": ["0:10-0:12"]}
    )
    got = plan_from("vertical, add the title 'One', cut out 0:01-0:02", edits)
    assert got.aspect == "1:1"
    assert [t.text for t in got.titles] == ["One", "Two"]
    assert got.trim.remove == (Span(1.0, 2.0), Span(10.0, 12.0))


def test_prompt_and_edits_make_the_same_plan() -> None:
    from_words = plan_from(
        "trim 2 seconds from the start, 0.5s dissolve transitions, vertical, 720p, "
        "add music ~/m.mp3 at 35% and duck it, remove silence, 2x, black and white"
    )
    from_yaml = plan_from(
        "",
        EditsSpec.model_validate(
            {
                "cut_start": "2s",
                "transition": {"type": "dissolve", "duration": 0.5},
                "aspect": "9:16",
                "resolution": "720p",
                "music": {"file": "~/m.mp3", "volume": "35%", "duck": True},
                "remove_silence": True,
                "speed": "2x",
                "black_and_white": True,
            }
        ),
    )
    assert from_words == from_yaml


@pytest.mark.parametrize("prompt", ["piano sound", "a volcano sound", "ahd", "sunshine"])
def test_words_inside_other_words_are_not_read(prompt: str) -> None:
    """Every alternative of a rule is bounded by word edges ("piano sound" is not "no sound")."""
    got = parse_prompt(prompt)
    assert replace(got, ignored=()) == BASE
    assert got.ignored != ()


# Text at the end cannot be written as `edits:` (a title's start there is never negative),
# so these unseen phrasings are asserted here: the last N seconds, however the words come.
END_TEXT = [
    ('add text "The End" at the end', Title("The End", -3.0, None, "bottom", "medium")),
    (
        "add text 'subscribe' at the end for 5 seconds",
        Title("subscribe", -5.0, None, "bottom", "medium"),
    ),
    ("add a title 'Bye' for 5 seconds at the end", Title("Bye", -5.0, None, "center", "large")),
    ('add the words "thank you" at the end', Title("thank you", -3.0, None, "bottom", "medium")),
]


@pytest.mark.parametrize(("prompt", "title"), END_TEXT, ids=[c[0] for c in END_TEXT])
def test_text_at_the_end_lasts_its_length_at_the_end(prompt: str, title: Title) -> None:
    assert parse_prompt(prompt) == plan(titles=(title,))


def test_a_big_yellow_title_is_yellow() -> None:
    got = parse_prompt("add a big yellow title 'GOAL!' for 2 seconds")
    assert got == plan(titles=(Title("GOAL!", 0.0, 2.0, "center", "large", color="yellow"),))


# A negation asks for nothing: never done, never reported. A negation that is itself a
# request stays one.
NEGATIONS = [
    ("don't add music", BASE),
    ("no transitions", BASE),
    ("do not mute", BASE),
    ("don't speed up the first 5 seconds", BASE),
    ("speed it up 2x, no music", plan(speed=2.0)),
    ("no sound", plan(mute=True)),
    ("square, no black bars", plan(aspect="1:1", fill="crop")),
    ("no more than 30 seconds", plan(max_duration=30.0)),
    ("please don't change anything except making it vertical", plan(aspect="9:16")),
    ("make it vertical, not square", plan(aspect="9:16")),
]


@pytest.mark.parametrize(("prompt", "expected"), NEGATIONS, ids=[c[0] for c in NEGATIONS])
def test_negations(prompt: str, expected: EditPlan) -> None:
    assert parse_prompt(prompt) == expected


@pytest.mark.parametrize(
    "prompt",
    [
        "speed up the boring middle part",
        "speed up everything except the first 5 seconds",
        "mute it but not the music",
        "speed it up by about 3",
        "fast forward through the boring bits",
        "reverse it but only the first 3 seconds",
    ],
)
def test_an_operation_with_a_qualifier_it_cannot_honour_is_refused_whole(prompt: str) -> None:
    got = parse_prompt(prompt)
    assert replace(got, ignored=()) == BASE
    assert len(got.ignored) == 1 and got.ignored[0].startswith(prompt) and "(" in got.ignored[0]


@pytest.mark.parametrize("words", ["as", "am", "half", "a m", "half as"])
def test_english_words_are_not_times(words: str) -> None:
    assert parse_prompt(f"make it {words} long").max_duration is None
