"""The env file's plain systemd form, and the environment winning over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.envfile import load_env_file, parse_env


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NEMO_TOKEN=abc\n", {"NEMO_TOKEN": "abc"}),
        ("# comment\n; also\n\nA=1\n", {"A": "1"}),
        ("A=\"with spaces\"\nB='x'\n", {"A": "with spaces", "B": "x"}),
        ("A = padded \n", {"A": "padded"}),
        ("A=x=y\n", {"A": "x=y"}),
        ("not a line\n1BAD=x\nA-B=x\n", {}),
        ("A=\n", {"A": ""}),
    ],
)
def test_parse_env(text: str, expected: dict[str, str]) -> None:
    assert parse_env(text) == expected


def test_set_variables_win_and_a_missing_file_adds_nothing(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("A=from-file\nB=from-file\n")
    environ = {"A": "from-shell"}
    assert load_env_file(env_file, environ) == {"B": "from-file"}
    assert environ == {"A": "from-shell", "B": "from-file"}
    assert load_env_file(tmp_path / "missing", environ) == {}
    assert load_env_file(tmp_path, environ) == {}  # a folder: unreadable as a file
