"""The cyclic collector is off while a command loads, and back on for long-running ones."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from daemon import cli


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_long_running_command_turns_the_collector_back_on(collector_off: None) -> None:
    before = gc.get_freeze_count()
    cli._loaded()
    assert gc.isenabled()
    assert gc.get_freeze_count() > before  # what was loaded is out of the collector's sight


def test_loaded_leaves_an_enabled_collector_alone() -> None:
    before = gc.get_freeze_count()
    cli._loaded()
    assert gc.isenabled() and gc.get_freeze_count() == before


def test_the_program_runs_a_command_and_exits_with_its_code(tmp_path: object) -> None:
    code = (
        "import gc, sys\n"
        "from daemon import cli\n"
        "seen = []\n"
        "cli.main = lambda: seen.append(gc.isenabled()) or 3\n"
        "try:\n"
        "    cli.entry()\n"
        "except SystemExit as exc:\n"
        "    print(seen, exc.code, gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[False]", "3", "True"]
