"""One vocabulary: every named value means the same in a prompt and in `edits:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import Rule, parse_config, parse_duration
from daemon.editplan.edits import EditsSpec
from daemon.editplan.plan import EditPlan
from daemon.editplan.vocab import (
    ASPECT_NAMES,
    FPS_MODE_NAMES,
    LOUDNESS_NAMES,
    RESOLUTION_NAMES,
    SIZE_TARGET_MB,
    TEMPERATURE_NAMES,
    TRANSITION_NAMES,
)
from daemon.engines.local.prompt import parse_prompt, plan_from
from daemon.units import seconds

# How a person would say each name in a prompt.
FPS_PHRASES = {
    "duplicate": "60fps",
    "blend": "60fps with frame blending",
    "interpolate": "60fps with motion interpolation",
    "smooth": "smooth 60fps",
}

TWINS: list[tuple[str, dict[str, object]]] = [
    *(
        (f"keep the {word} aspect" if target == "source" else word, {"aspect": word})
        for word, target in ASPECT_NAMES.items()
    ),
    *((word, {"resolution": word}) for word in RESOLUTION_NAMES),
    *((f"normalize the audio for {word}", {"loudness": word}) for word in LOUDNESS_NAMES),
    *((f"{word} transitions", {"transition": word}) for word in TRANSITION_NAMES),
    *((FPS_PHRASES[word], {"fps": 60, "fps_mode": word}) for word in FPS_MODE_NAMES),
    *((word, {"temperature": word}) for word in TEMPERATURE_NAMES),
    *((f"for {word}", {"max_size": word}) for word in SIZE_TARGET_MB),
    ("under 25 MB", {"max_size": "25MB"}),
    ("the best 15 seconds", {"highlight": "15s"}),
    ("cut out the boring parts", {"highlight": "boring"}),
    ("turn the volume down by 6 dB", {"volume": "-6dB"}),
    ("volume 150%", {"volume": "150%"}),
    ("loop it 3 times", {"loop": 3}),
    ("loop it to 30 seconds", {"loop_to": "30s"}),
    ("loop it to 1:30", {"loop_to": "1:30"}),
    ("reverse it", {"reverse": True}),
    ("remove the background noise", {"denoise": True}),
    ("trim the dead air at the start and end", {"remove_silence": {"where": "edges"}}),
    ("play 0:10-0:20 at 4x", {"speed_ranges": [{"range": "0:10-0:20", "speed": 4}]}),
    ("speed up the last 10 seconds 2x", {"speed_ranges": [{"last": "10s", "speed": 2}]}),
]


@pytest.mark.parametrize(("prompt", "edits"), TWINS, ids=[t[0] for t in TWINS])
def test_prompt_word_and_edits_twin_make_the_same_plan(
    prompt: str, edits: dict[str, object]
) -> None:
    from_words = parse_prompt(prompt)
    assert from_words.ignored == ()
    assert from_words == plan_from("", EditsSpec.model_validate(edits))
    assert (
        from_words != EditPlan()
        or edits in ({"aspect": "original"}, {"aspect": "source"})
        or (edits.get("resolution") in ("full hd", "fhd", "hd"))
    )


def test_hd_is_1080p_everywhere() -> None:
    assert parse_prompt("720p, no wait, hd").resolution == 1080
    assert EditsSpec.model_validate({"resolution": "hd"}).resolution == 1080


@pytest.mark.parametrize("text", ["1:30", "90s", "1.5 minutes", "90 seconds", "90"])
def test_one_time_parser_for_combine_and_edits(text: str) -> None:
    rule = Rule.model_validate({"name": "r", "glob": "*", "output": "/tmp/o", "combine": text})
    assert rule.combine == 90.0
    assert EditsSpec.model_validate({"max_duration": text}).max_duration == 90.0
    assert parse_duration(text) == seconds(text) == 90.0


def test_every_edits_key_survives_a_dump_and_reload() -> None:
    """Rules are dumped and validated again (config reload, job specs): nothing may break."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "prompts.md"
    example = docs.read_text(encoding="utf-8").split("```yaml\n")[1].split("```")[0]
    rule = parse_config(example, Path("rules.yaml")).rules[0]
    again = Rule.model_validate(rule.model_dump())
    assert again.edits == rule.edits
    assert plan_from("", again.edits) == plan_from("", rule.edits)
    assert Rule.model_validate({**rule.model_dump(), "edits": None}).edits is None
