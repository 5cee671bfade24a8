"""on_done hooks: argv from the template (never a shell), exit status and stderr logged,
failures and timeouts never raised."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from loguru import logger

from daemon.config import parse_config
from daemon.events import EventKind, JobEvent
from daemon.hooks import HookRunner, hook_argv, run_hook
from daemon.rules import NameFields

WHEN = datetime(2026, 5, 1, 14, 30, 5, tzinfo=UTC)


@pytest.fixture
def lines() -> Iterator[list[str]]:
    got: list[str] = []
    sink = logger.add(got.append, level="INFO", format="{level} {message}")
    yield got
    logger.remove(sink)


def test_hook_argv_formats_each_argument_and_keeps_spaces_in_one() -> None:
    fields = NameFields(Path("/in/My Clip; rm -rf ~.mov"), "clips", "local", 9, WHEN)
    argv = hook_argv(
        ("rsync", "{output}", "host:videos/{year}/{rule}/"),
        fields,
        Path("/out/My Clip; rm -rf ~-edited.mp4"),
    )
    assert argv == ("rsync", "/out/My Clip; rm -rf ~-edited.mp4", "host:videos/2026/clips/")


def test_source_field_is_the_full_path() -> None:
    fields = NameFields(Path("/in/a.mov"), "r", "nemo", 1, WHEN)
    assert hook_argv(("tag", "{source}", "{stem}", "{engine}"), fields, Path("/o.mp4")) == (
        "tag", "/in/a.mov", "a", "nemo",
    )  # fmt: skip


def test_a_failing_hook_logs_its_status_and_last_stderr_line(lines: list[str]) -> None:
    code = "import sys; print('first', file=sys.stderr); print('host unreachable', file=sys.stderr); sys.exit(3)"  # noqa: E501
    assert run_hook((sys.executable, "-c", code), 4, timeout=30) == 3
    assert lines == [
        f"WARNING on_done hook {sys.executable} failed (exit status 3): host unreachable\n"
    ]


def test_a_hook_that_hangs_is_stopped(lines: list[str]) -> None:
    assert run_hook((sys.executable, "-c", "import time; time.sleep(30)"), 4, timeout=0.5) is None
    assert "timed out after 0.5 s" in lines[0]


def test_a_missing_command_is_logged(lines: list[str]) -> None:
    assert run_hook(("/nonexistent/uploader",), 4, timeout=5) is None
    assert lines == [
        "WARNING on_done hook /nonexistent/uploader could not start: No such file or directory\n"
    ]


def test_runner_runs_the_rules_hook_after_done_only(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    config = parse_config(
        f"""
state_dir: {tmp_path / "state"}
watch: [{tmp_path / "in"}]
rules:
  - name: clips
    glob: "*.mp4"
    output: {tmp_path / "out"}
    on_done: ["{sys.executable}", "-c", "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\\\n')", "{marker}", "{{output}}"]
""",  # noqa: E501
        tmp_path / "rules.yaml",
    )
    rule = config.rules[0]
    runner = HookRunner()
    for kind, n in [(EventKind.FAILED, 1), (EventKind.DONE, 2), (EventKind.NOT_UNDERSTOOD, 3)]:
        runner(JobEvent(kind, n, rule, "local", (Path(f"/in/{n}.mp4"),), WHEN,
                        output=Path(f"/out/{n}-edited.mp4")))  # fmt: skip
    runner.close()
    assert marker.read_text() == "/out/2-edited.mp4\n"
