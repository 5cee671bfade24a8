"""`edits:` YAML: values people write, errors people can act on (via config.py's loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import parse_config
from daemon.editplan.edits import EditsSpec
from daemon.editplan.plan import Span
from daemon.errors import ConfigError

RULES = """\
rules:
  - name: phone
    glob: '*.mov'
    output: /tmp/videofree-out
    edits:
      {edits}
"""


def load(edits: str) -> EditsSpec:
    config = parse_config(RULES.format(edits=edits), Path("rules.yaml"))
    spec = config.rules[0].edits
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("yaml_text", "field", "value"),
    [
        ("cut_start: 2s", "cut_start", 2.0),
        ("cut_end: '1:30'", "cut_end", 90.0),
        ("cut_end: 1:30", "cut_end", 90.0),  # YAML 1.1 base-60: still 90 s
        ("max_duration: 1.5 minutes", "max_duration", 90.0),
        ("keep: 0:10-0:45", "keep", Span(10.0, 45.0)),
        ("keep: {from: 10s, to: 45s}", "keep", Span(10.0, 45.0)),
        ("keep: [5, 9]", "keep", Span(5.0, 9.0)),
        ("speed: 2x", "speed", 2.0),
        ("speed: 0.5", "speed", 0.5),
        ("aspect: vertical", "aspect", "9:16"),
        ("aspect: 9:16", "aspect", "9:16"),  # YAML reads 556; mapped back
        ("aspect: '16:9'", "aspect", "16:9"),
        ("aspect: instagram", "aspect", "1:1"),
        ("resolution: 720p", "resolution", 720),
        ("resolution: 4k", "resolution", 2160),
        ("volume: 150%", "volume", 1.5),
        ("volume: 0.5", "volume", 0.5),
        ("loudness: podcast", "loudness", -16.0),
        ("loudness: -14", "loudness", -14.0),
        ("rotate: 90", "rotate", 90),
        ("flip: horizontal", "flip", "horizontal"),
    ],
)
def test_values(yaml_text: str, field: str, value: object) -> None:
    assert getattr(load(yaml_text), field) == value


def test_shorthands_expand() -> None:
    spec = load("{music: a.mp3, transition: dissolve, titles: Hello, remove_silence: true}")
    assert spec.music is not None and spec.music.file == "a.mp3" and spec.music.volume is None
    assert spec.transition is not None and spec.transition.type == "dissolve"
    assert spec.titles is not None and spec.titles[0].text == "Hello"
    assert spec.remove_silence is not None and spec.remove_silence.threshold == -35.0


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("speed: fast", "rules.yaml:6: rules[0].edits.speed: expected a speed factor such as 2"),
        ("speed: 100", "speed must be between 0.1x and 16x"),
        ("aspect: 3:2", "unknown aspect (use one of: source, 9:16"),
        ("keep: 0:45-0:10", "a range must end after it starts"),
        ("cut_start: -2", "a time must be a finite, non-negative number"),
        ("cut_start: soon", "expected a time such as 2s"),
        ("resolution: 99999p", "expected a resolution such as 1080p"),
        ("transition: spin", "unknown transition (use one of: fade"),
        ("loudness: loud", "expected social, podcast or a LUFS target"),
        ("trim_start: 2", "rules[0].edits.trim_start: unknown key"),
        ("music: {file: a.mp3, vol: 3}", "rules[0].edits.music.vol: unknown key"),
        ("rotate: 45", "rules[0].edits.rotate"),
    ],
)
def test_errors_name_the_line_and_key(yaml_text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(yaml_text)
    assert message in str(err.value)


def test_every_field_is_documented() -> None:
    for name, field in EditsSpec.model_fields.items():
        assert field.description, name


def test_the_example_in_docs_prompts_md_loads() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "prompts.md"
    example = docs.read_text(encoding="utf-8").split("```yaml\n")[1].split("```")[0]
    config = parse_config(example, Path("rules.yaml"))
    edits = config.rules[0].edits
    assert edits is not None
    assert edits.aspect == "9:16" and edits.titles is not None and len(edits.titles) == 2
    # Every key is shown (fade_in/fade_out in the comment next to `fade`).
    assert edits.model_fields_set == set(EditsSpec.model_fields) - {"fade_in", "fade_out"}
