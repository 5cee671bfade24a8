"""YAML mistakes a new user makes in rules.yaml, said in words they can act on, at the
line to fix (PyYAML's own words stay, in brackets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import parse_config
from daemon.errors import ConfigError

RULE = "rules:\n  - name: a\n"


@pytest.mark.parametrize(
    ("text", "line", "advice"),
    [
        # glob: *.mp4 unquoted: YAML reads * as an alias.
        (RULE + "    glob: *.mp4\n    output: out\n", 3, "must be in quotes"),
        (RULE + "    glob: [*.mp4, *.mov]\n    output: out\n", 3, "must be in quotes"),
        # The line of the opening quote, not the end of the file.
        (RULE + '    glob: "*.mp4\n    output: out\n', 3, "this quote is never closed"),
        (RULE + '    glob: "*.mp4"\n    output:out\n', 4, "a space after the colon"),
        (
            RULE + '    glob: "*.mp4"\n    output: out\n    prompt: trim: the start\n',
            5,
            "put the value in quotes",
        ),
        (RULE + '    glob: "*.mp4"\n   output: out\n', 4, "indented differently"),
        (RULE + '  glob: "*.mp4"\n  output: out\n', 3, "indented differently"),
        (RULE + '\tglob: "*.mp4"\n    output: out\n', 3, "indent YAML with spaces"),
    ],
)
def test_yaml_mistakes_are_explained(text: str, line: int, advice: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/cfg/rules.yaml"))
    message = info.value.render()
    assert message.startswith(f"rules.yaml:{line}: not valid YAML: ")
    assert advice in message
    assert message.endswith("]")  # PyYAML's words kept for a search engine


def test_other_yaml_errors_keep_pyyaml_words() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("a: 1\na: 2\n", Path("/cfg/rules.yaml"))
    assert info.value.render() == "rules.yaml:2: not valid YAML: duplicate key 'a'"
