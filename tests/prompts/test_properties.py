"""Property tests: no prompt crashes the parser or yields a plan the renderer cannot build."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.config import LocalSettings
from daemon.editplan.plan import problems
from daemon.engines.local.explain import EXAMPLE_CLIP, EXAMPLE_OUTPUT
from daemon.engines.local.ffmpeg import build_render_args
from daemon.engines.local.prompt import parse_prompt
from daemon.engines.local.timeline import timeline
from daemon.errors import PermanentError
from tests.prompts.test_corpus import ENTRIES

SETTINGS = LocalSettings()
NUMBER = st.one_of(
    st.integers(min_value=-5, max_value=100_000).map(str),
    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda f: f"{f:g}"),
    st.sampled_from(["0", "0.0", "00", ".5", "1e9", "half", "a", "two", "thirty", "-0"]),
)
TEMPLATES = [
    "speed it up {n}x",
    "play at {n}x speed",
    "slow motion {n}x",
    "loop it {n} times",
    "loop it to {n} seconds",
    "{n}fps",
    "make it {n} fps with motion interpolation",
    "cut the first {n} seconds",
    "trim {n} seconds from the start and {n} from the end",
    "keep {n}s to {n}s",
    "cut out {n}s to {n}s",
    "play {n}s-{n}s at {n}x",
    "the first {n} seconds in slow motion",
    "volume {n}%",
    "turn the volume down by {n}%",
    "turn the volume up by {n} dB",
    "loudness -{n} LUFS",
    "max {n} seconds",
    "fade in over {n} seconds",
    "{n} second crossfade between clips",
    "brightness +{n}%",
    "contrast {n}%",
    "rotate {n} degrees",
    "{n}p",
    "add music a.mp3 at {n}%",
    "title 'x' from {n}s to {n}s",
    "remove silence below -{n}dB",
]
FRAGMENTS = st.one_of(
    st.sampled_from([e["prompt"] for e in ENTRIES]),
    st.builds(lambda t, n: t.replace("{n}", n), st.sampled_from(TEMPLATES), NUMBER),
    st.text(max_size=30),
)
PROMPTS = st.lists(FRAGMENTS, max_size=6).flatmap(
    lambda parts: st.sampled_from([", ", " and ", " then ", ". ", " "]).map(lambda s: s.join(parts))
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROMPTS)
def test_no_prompt_crashes_or_yields_an_invalid_plan(prompt: str) -> None:
    plan = parse_prompt(prompt)
    assert problems(plan) == [], prompt
    try:
        tl = timeline(plan, [EXAMPLE_CLIP])
        build_render_args(
            "ffmpeg", plan, [EXAMPLE_CLIP], tl, output=EXAMPLE_OUTPUT, settings=SETTINGS
        )
    except PermanentError:
        pass  # a plan that cuts everything away is refused with a sentence, not a crash


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_parses(text: str) -> None:
    plan = parse_prompt(text)
    assert problems(plan) == []
    assert all(isinstance(p, str) and p for p in plan.ignored)
