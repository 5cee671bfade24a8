"""The CLI starts light: heavy libraries load only in the commands that need them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.mediagen import make_clip

# daemon.editplan.edits: the `edits:` schema, a third of the config's build time, is built
# only when a rule has `edits:` (none of these configs does).
HEAVY = (
    "httpx",
    "av",
    "apscheduler",
    "pydantic",
    "loguru",
    "watchdog",
    "daemon.app",
    "daemon.editplan.edits",
)


def _loaded(code: str) -> set[str]:
    """The HEAVY modules present after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert _loaded("import daemon.cli") == set()


@pytest.mark.parametrize(
    ("command", "allowed"),
    [
        ("status", set()),
        ("check", {"pydantic"}),
        ("plan 'speed up 2x'", {"pydantic"}),
    ],
)
def test_each_command_loads_only_what_it_needs(
    tmp_path: object, command: str, allowed: set[str]
) -> None:
    config = f"{tmp_path}/rules.yaml"
    code = (
        "import shlex, sys, contextlib, io\n"
        "from daemon.cli import main\n"
        f"open({config!r}, 'w').write('state_dir: {tmp_path}/state\\n"
        f'watch: [{tmp_path}/in]\\nrules: [{{name: r, glob: "*", output: {tmp_path}/out}}]\\n\')\n'
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main([*shlex.split({command!r}), '--config', {config!r}]) == 0\n"
    )
    assert _loaded(code) <= allowed


def test_process_runs_a_local_job_without_the_daemon_s_machinery(tmp_path: Path) -> None:
    """One local job needs no folder watcher, job pool or HTTP client (each cost start-up)."""
    clip = make_clip(tmp_path / "clip.mp4", duration=1.0, size=(160, 120))
    config = tmp_path / "rules.yaml"
    config.write_text(
        f"state_dir: {tmp_path}/state\nwatch: [{tmp_path}/in]\n"
        f'rules: [{{name: r, glob: "*", output: {tmp_path}/out}}]\n',
        encoding="utf-8",
    )
    code = (
        "import contextlib, io\n"
        "from daemon.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['process', {str(clip)!r}, '--prompt', 'speed up 2x',"
        f" '--config', {str(config)!r}]) == 0\n"
    )
    assert _loaded(code) <= {"pydantic", "loguru", "av"}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["clip-edited.mp4"]
