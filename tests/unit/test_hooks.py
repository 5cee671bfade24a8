"""on_done hooks: argv from the template (never a shell), exit status and stderr logged,
failures and timeouts never raised."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from loguru import logger

from daemon import hooks
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


def test_a_shutdown_stops_a_long_hook_after_its_grace(
    lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "HOOK_STOP_GRACE", 0.3)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    code = "import sys, time; print('uploading', file=sys.stderr, flush=True); time.sleep(60)"
    assert run_hook((sys.executable, "-c", code), 7, timeout=120, stop=stop) is None
    assert lines == [
        f"WARNING on_done hook {sys.executable} stopped by shutdown; it is not run again: "
        "uploading\n"
    ]


def test_a_hook_that_finishes_within_the_grace_is_left_to_finish(
    lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "HOOK_STOP_GRACE", 30.0)
    stop = threading.Event()
    stop.set()  # shutting down already
    code = "import time; time.sleep(0.5)"
    assert run_hook((sys.executable, "-c", code), 7, timeout=120, stop=stop) == 0
    assert lines == [f"INFO on_done hook {sys.executable} finished\n"]


def test_a_chatty_hook_never_blocks_on_its_output(lines: list[str]) -> None:
    code = (
        "import sys; sys.stdout.write('x' * 4_000_000); sys.stderr.write('y' * 300_000 + '\\ndone')"
    )
    assert run_hook((sys.executable, "-c", code), 7, timeout=60) == 0
    assert lines == [f"INFO on_done hook {sys.executable} finished: done\n"]


def test_closing_the_runner_stops_the_running_hook(
    tmp_path: Path, lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "HOOK_STOP_GRACE", 0.2)
    started = tmp_path / "started"
    runner = HookRunner()
    code = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(60)"
    event = JobEvent(
        kind=EventKind.DONE,
        job_id=3,
        rule=parse_config(
            f"watch: [{tmp_path}]\nrules: [{{name: r, glob: '*', output: {tmp_path / 'o'}, "
            f"on_done: [{sys.executable!r}, -c, {code!r}]}}]\n",
            tmp_path / "rules.yaml",
        ).rules[0],
        sources=(tmp_path / "a.mov",),
        output=tmp_path / "o" / "a-edited.mp4",
        engine="local",
        when=WHEN,
    )
    runner(event)
    while not started.exists():
        time.sleep(0.02)
    runner.close()
    assert any("stopped by shutdown" in line for line in lines), lines


def test_hooks_still_queued_at_shutdown_are_named_in_the_log(
    tmp_path: Path, lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "HOOK_STOP_GRACE", 0.2)
    started = tmp_path / "started"
    code = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(60)"
    rule = parse_config(
        f"watch: [{tmp_path}]\nrules: [{{name: r, glob: '*', output: {tmp_path / 'o'}, "
        f"on_done: [{sys.executable!r}, -c, {code!r}]}}]\n",
        tmp_path / "rules.yaml",
    ).rules[0]
    runner = HookRunner()
    for job in (3, 4, 5):
        runner(JobEvent(EventKind.DONE, job, rule, "local", (tmp_path / f"{job}.mov",), WHEN,
                        output=tmp_path / "o" / f"{job}-edited.mp4"))  # fmt: skip
    while not started.exists():
        time.sleep(0.02)
    runner.close()
    assert any("stopped by shutdown" in line for line in lines), lines
    dropped = [line for line in lines if "not run: the daemon stopped before its turn" in line]
    assert (
        dropped
        == [f"WARNING on_done hook {sys.executable} not run: the daemon stopped before its turn\n"]
        * 2
    )


def test_a_hook_that_finished_before_it_was_tracked_does_not_hang_the_runner(
    tmp_path: Path,
) -> None:
    """A hook can end (a missing command fails at once) before the runner has registered
    its done-callback; the callback then runs in the caller's thread, which must not be
    holding the runner's lock."""

    class Immediate(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            done: Future[object] = Future()
            done.set_result(fn(*args, **kwargs))
            return done

    rule = parse_config(
        f"watch: [{tmp_path}]\nrules: [{{name: r, glob: '*', output: {tmp_path / 'o'}, "
        f"on_done: [/nonexistent/uploader]}}]\n",
        tmp_path / "rules.yaml",
    ).rules[0]
    runner = HookRunner()
    runner._pool = Immediate(max_workers=1)
    event = JobEvent(EventKind.DONE, 6, rule, "local", (tmp_path / "a.mov",), WHEN,
                     output=tmp_path / "o" / "a-edited.mp4")  # fmt: skip
    caller = threading.Thread(target=runner, args=(event,), daemon=True)
    caller.start()
    caller.join(timeout=10)
    assert not caller.is_alive(), "the runner deadlocked on its own lock"
    runner.close()
    assert runner._queued == {}
