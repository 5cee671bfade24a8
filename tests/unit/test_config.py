"""rules.yaml → Config: strict validation and errors that say file:line: key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from daemon.config import Config, parse_config, parse_duration, resolve_config_path
from daemon.errors import ConfigError, ConfigErrors

MINIMAL = """\
watch: [{inbox}]
rules:
  - name: clips
    glob: "*.mov"
    output: {out}
"""


@pytest.fixture
def cfg_file(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "rules.yaml"


def minimal(tmp_path: Path, extra: str = "") -> str:
    return MINIMAL.format(inbox=tmp_path / "in", out=tmp_path / "out") + extra


def parse(text: str, file: Path) -> Config:
    return parse_config(textwrap.dedent(text), file)


def error_of(text: str, file: Path) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text, file)
    return str(info.value)


def test_minimal_config_has_the_documented_defaults(tmp_path: Path, cfg_file: Path) -> None:
    config = parse(minimal(tmp_path), cfg_file)
    assert config.source == cfg_file
    assert [w.path for w in config.watch] == [tmp_path / "in"]
    assert (config.settle_seconds, config.concurrency, config.max_attempts) == (5.0, 2, 4)
    assert config.engine == "local"
    rule = config.rules[0]
    assert rule.glob == ["*.mov"]
    assert rule.output_name == "{stem}-edited.mp4"
    assert rule.original is None
    assert config.engine_for(rule) == "local"
    assert config.fallback_for(rule) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (60, 60.0),
        (1.5, 1.5),
        ("60s", 60.0),
        ("60", 60.0),
        ("2m", 120.0),
        ("1.5 min", 90.0),
        ("10 seconds", 10.0),
        ("2h", 7200.0),
        ("3 MINUTES", 180.0),
        (0, 0.0),
    ],
)
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["2ms", "soon", "", "-5", -5, True, None, [1], "5 days"])
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_parse_duration_refuses_non_finite(value: float) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_durations_in_yaml(tmp_path: Path, cfg_file: Path) -> None:
    config = parse(
        minimal(tmp_path, "settle_seconds: 2m\nrescan_seconds: 30s\nlocal: {timeout: 1h}\n"),
        cfg_file,
    )
    assert (config.settle_seconds, config.rescan_seconds, config.local.timeout) == (
        120.0,
        30.0,
        3600.0,
    )


# (extra YAML appended to the minimal config, expected "line: key: message" start)
ERRORS = [
    ("settle_seconds: soon\n", "rules.yaml:6: settle_seconds: expected a duration"),
    ("sttle_seconds: 1\n", "rules.yaml:6: sttle_seconds: unknown key"),
    ("concurrency: 0\n", "rules.yaml:6: concurrency: input should be greater than or equal"),
    ("engine: cloud\n", "rules.yaml:6: engine: input should be 'local' or 'nemo' [got 'cloud']"),
    ("local: {crf: 99}\n", "rules.yaml:6: local.crf: input should be less than or equal to 51"),
    ("nemo: {api_base: ftp://x}\n", "rules.yaml:6: nemo.api_base: expected an http(s) URL"),
    ("    glbo: '*.mp4'\n", "rules.yaml:6: rules[0].glbo: unknown key"),
    ("    engine: cloud\n", "rules.yaml:6: rules[0].engine: input should be 'local' or 'nemo'"),
    ("    original: trash\n", "rules.yaml:6: rules[0].original: expected 'keep' or a mapping"),
    ("    original: {move_to: o, mode: x}\n", "rules.yaml:6: rules[0].original.mode: unknown"),
    ("    output_name: '{stem}.mov'\n", "rules.yaml:6: rules[0].output_name: the output name "),
    ("    output_name: '{bogus}.mp4'\n", "rules.yaml:6: rules[0].output_name: unknown field 'bo"),
    ("    output_name: '{stem.upper}.mp4'\n", "rules.yaml:6: rules[0].output_name: unknown fie"),
    ("    output_name: '{stem'\n", "rules.yaml:6: rules[0].output_name: bad template"),
    ("    output_name: '../{stem}.mp4'\n", "rules.yaml:6: rules[0].output_name: the output name"),
    ("    output_name: 'a/../../{stem}.mp4'\n", "rules.yaml:6: rules[0].output_name: the outp"),
    ("    output_name: '/tmp/{stem}.mp4'\n", "rules.yaml:6: rules[0].output_name: the output n"),
    ("    output_name: '{}.mp4'\n", "rules.yaml:6: rules[0].output_name: unknown field"),
    ("  - name: clips\n    glob: x\n    output: o\n", "rules.yaml:6: rules[1].name: duplicate"),
    ("  - name: two\n    output: o\n", "rules.yaml:6: rules[1].glob: required key is missing"),
    ("  - name: ''\n    glob: x\n    output: o\n", "rules.yaml:6: rules[1].name: string should"),
    ("  - name: x\n    glob: []\n    output: o\n", "rules.yaml:7: rules[1].glob: expected a str"),
    ("  - name: x\n    glob: [a, 3]\n    output: o\n", "rules.yaml:7: rules[1].glob: expected a"),
]


@pytest.mark.parametrize(("extra", "expected"), ERRORS)
def test_errors_name_file_line_and_key(
    tmp_path: Path, cfg_file: Path, extra: str, expected: str
) -> None:
    assert error_of(minimal(tmp_path, extra), cfg_file).startswith(expected)


def test_the_example_error_from_the_issue(cfg_file: Path) -> None:
    text = """\
        rules:
          - name: a
            glob: "*.mov"
            output: out/a
          - name: b
            glob: "*.mp4"
            output: out/b
          - name: c
            glob: 42
            output: out/c
        """
    assert error_of(text, cfg_file) == (
        "rules.yaml:9: rules[2].glob: expected a string or a list of strings [got 42]"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [\n", "rules.yaml:2: not valid YAML"),
        ("a: 1\na: 2\n", "rules.yaml:2: not valid YAML: duplicate key 'a'"),
        ("", "rules.yaml:1: rules: required key is missing"),
        ("- a\n", "rules.yaml:1: expected a mapping of settings at the top level"),
        ("rules: []\n", "rules.yaml:1: rules: list should have at least 1 item"),
        ("rules:\n  - name: a\n    glob: x\n", "rules.yaml:2: rules[0].output: required key"),
    ],
)
def test_whole_file_errors(cfg_file: Path, text: str, expected: str) -> None:
    assert error_of(text, cfg_file).startswith(expected)


def test_several_errors_are_reported_together(tmp_path: Path, cfg_file: Path) -> None:
    with pytest.raises(ConfigErrors) as info:
        parse(minimal(tmp_path, "concurrency: 0\nmax_attempts: 0\n"), cfg_file)
    lines = str(info.value).splitlines()
    assert [line.split(": ")[:2] for line in lines] == [
        ["rules.yaml:6", "concurrency"],
        ["rules.yaml:7", "max_attempts"],
    ]


@pytest.mark.parametrize(
    ("watch", "output", "refused"),
    [
        ("{path: in}", "in", True),
        ("{path: in, recursive: true}", "in", True),
        ("{path: in, recursive: true}", "in/edited", True),
        ("{path: in, recursive: false}", "in/edited", False),
        ("{path: in, recursive: true}", "elsewhere", False),
        ("{path: in, recursive: true}", "in/../in/deep", True),
    ],
)
def test_output_inside_a_watched_folder(
    cfg_file: Path, watch: str, output: str, refused: bool
) -> None:
    text = f"watch: [{watch}]\nrules:\n  - name: a\n    glob: x\n    output: {output}\n"
    if refused:
        assert error_of(text, cfg_file).startswith(
            "rules.yaml:5: rules[0].output: its outputs would land in the watched folder"
        )
    else:
        assert parse(text, cfg_file).rules[0].output == cfg_file.parent / output


def test_fallback_equal_to_engine_is_refused(tmp_path: Path, cfg_file: Path) -> None:
    message = error_of(minimal(tmp_path, "    engine: nemo\n    fallback: nemo\n"), cfg_file)
    assert "rules[0]" in message
    assert "fallback must differ from engine" in message


def test_fallback_equal_to_engine_names_the_fallback_key(tmp_path: Path, cfg_file: Path) -> None:
    message = error_of(minimal(tmp_path, "    engine: nemo\n    fallback: nemo\n"), cfg_file)
    assert message.startswith("rules.yaml:7: rules[0].fallback: ")


@pytest.mark.parametrize(
    ("top", "rule", "engine", "fallback"),
    [
        ("", "", "local", None),
        ("engine: nemo\nfallback: local\n", "", "nemo", "local"),
        ("fallback: local\n", "", "local", None),  # equal to the engine: no fallback
        ("fallback: local\n", "    engine: nemo\n", "nemo", "local"),
        ("fallback: nemo\n", "    fallback: local\n    engine: nemo\n", "nemo", "local"),
    ],
)
def test_engine_and_fallback_resolution(
    *, tmp_path: Path, cfg_file: Path, top: str, rule: str, engine: str, fallback: str | None
) -> None:
    config = parse(minimal(tmp_path, rule + "    prompt: trim it\n") + top, cfg_file)
    assert config.engine_for(config.rules[0]) == engine
    assert config.fallback_for(config.rules[0]) == fallback


def test_nemo_rule_needs_a_prompt(tmp_path: Path, cfg_file: Path) -> None:
    message = error_of(minimal(tmp_path, "    engine: nemo\n    prompt: ' '\n"), cfg_file)
    assert message == "rules.yaml:7: rules[0].prompt: a NemoVideo rule needs a prompt"
    # A local rule without a prompt is a plain 1080p export.
    assert parse(minimal(tmp_path), cfg_file).rules[0].prompt == ""


def test_paths_expand_relative_to_the_config_folder(
    cfg_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VIDEOS", str(tmp_path / "videos"))
    text = """\
        watch:
          - in
          - {path: ~/Inbox, polling: true, recursive: true}
        state_dir: state
        rules:
          - name: a
            glob: x
            output: $VIDEOS/edited
            original: {move_to: ../originals}
          - name: b
            glob: [x, y]
            output: sub/out
            original: keep
        """
    config = parse(text, cfg_file)
    here = cfg_file.parent
    assert [(w.path, w.polling, w.recursive) for w in config.watch] == [
        (here / "in", False, False),
        (tmp_path / "home" / "Inbox", True, True),
    ]
    assert config.state_dir == here / "state"
    assert config.rules[0].output == tmp_path / "videos" / "edited"
    assert config.rules[0].original is not None
    assert config.rules[0].original.move_to == here / "../originals"
    assert config.rules[1].output == here / "sub" / "out"
    assert config.rules[1].glob == ["x", "y"]
    assert config.rules[1].original is None


def test_watch_may_be_a_single_string(cfg_file: Path) -> None:
    text = "watch: inbox\nrules:\n  - {name: a, glob: x, output: out}\n"
    assert [w.path for w in parse(text, cfg_file).watch] == [cfg_file.parent / "inbox"]


def test_rule_named(tmp_path: Path, cfg_file: Path) -> None:
    config = parse(minimal(tmp_path, "  - {name: other, glob: y, output: o2}\n"), cfg_file)
    assert config.rule_named("other") is config.rules[1]
    assert config.rule_named("missing") is None


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        ("/x/a.yaml", "/y/b.yaml", "/x/a.yaml"),
        (None, "/y/b.yaml", "/y/b.yaml"),
        (None, None, "HOME/.config/videofree/rules.yaml"),
    ],
)
def test_resolve_config_path(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    explicit: str | None,
    env: str | None,
    expected: str,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    if env:
        monkeypatch.setenv("VIDEOFREE_CONFIG", env)
    assert resolve_config_path(explicit) == Path(expected.replace("HOME", str(tmp_path)))
