"""Hostile rules.yaml files: every one ends in a ConfigError naming file (and line),
quickly and briefly, never a traceback or a runaway (issue 11, item 9 and item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import MAX_CONFIG_BYTES, MAX_PROMPT_CHARS, load_config, state_dir_of
from daemon.errors import ConfigError

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "rules.yaml"
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_an_alias_bomb_is_refused_in_a_short_message(tmp_path: Path) -> None:
    message = error(write(tmp_path, BILLION_LAUGHS))
    assert message.startswith("rules.yaml:1: not valid YAML: aliases expand to more than")
    assert len(message) < 300


def test_a_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    assert "aliases expand" in error(write(tmp_path, "a: &a [*a]\n"))


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = write(tmp_path, "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    assert "larger than 1024 KiB" in error(path)


def test_non_utf8_text_gives_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"watch: [in]\nrules:\n  - name: caf\xe9\n")
    assert error(path) == ("rules.yaml:3: not UTF-8 text (byte 0xe9); save the file as UTF-8")


def test_state_dir_of_a_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        state_dir_of(write(tmp_path, b"state_dir: \xff\n"))


def test_deep_nesting_is_a_config_error(tmp_path: Path) -> None:
    assert "not valid YAML" in error(write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))


def test_a_prompt_past_the_cap_is_refused(tmp_path: Path) -> None:
    long = "trim the start. " * (MAX_PROMPT_CHARS // 16 + 1)
    text = (
        f"watch: [{tmp_path}/in]\nrules:\n  - name: a\n    glob: x\n"
        f"    output: {tmp_path}/out\n    prompt: {long}\n"
    )
    message = error(write(tmp_path, text))
    assert message.startswith("rules.yaml:6: rules[0].prompt: String should have at most")
    assert len(message) < 300


def test_many_rules_load_in_linear_time(tmp_path: Path) -> None:
    # As many rules as fit the size cap (the cap itself now bounds the work).
    rules = "".join(f"- {{name: r{i}, glob: x, output: o}}\n" for i in range(5_000))
    config = load_config(write(tmp_path, f"watch: [in]\nrules:\n{rules}"))
    assert len(config.rules) == 5_000


def test_a_duplicate_among_many_rules_is_found(tmp_path: Path) -> None:
    rules = "".join(
        f"  - {{name: r{i % 500}, glob: x, output: {tmp_path}/out}}\n" for i in range(501)
    )
    assert "rules[500].name: duplicate rule name 'r0'" in error(
        write(tmp_path, f"watch: [in]\nrules:\n{rules}")
    )


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        # The issue's own example: output ~ and a name that walks into the inbox.
        ('output: {home}\n    output_name: "in/{{stem}}-e.mp4"', "output_name"),
        ("output: {home}/out\n    original: {{move_to: {home}/in/done}}", "original"),
        ("output: {home}/in", "output"),
    ],
)
def test_outputs_and_moved_originals_never_land_in_a_watched_folder(
    tmp_path: Path, rule: str, key: str
) -> None:
    rule = rule.format(home=tmp_path)
    text = (
        f"watch: [{{path: {tmp_path}/in, recursive: true}}]\n"
        f"rules:\n  - name: a\n    glob: x\n    {rule}\n"
    )
    message = error(write(tmp_path, text))
    assert f"rules[0].{key}:" in message
    assert "would land in the watched folder" in message


def test_a_dated_subfolder_of_the_output_is_fine(tmp_path: Path) -> None:
    text = (
        f"watch: [{tmp_path}/in]\nrules:\n  - name: a\n    glob: x\n"
        f'    output: {tmp_path}\n    output_name: "{{year}}/in/{{stem}}.mp4"\n'
    )
    assert load_config(write(tmp_path, text)).rules[0].output == tmp_path
