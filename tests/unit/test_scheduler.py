"""Runner.run_job with a fake engine, a real ledger and real folders (no scheduler thread)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.config import Config, parse_config
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.errors import Cancelled, PermanentError, TransientError
from daemon.ledger import JobRecord, JobState, Ledger, utcnow
from daemon.queue import queue_job
from daemon.scheduler import BACKOFF_FIRST, Runner, backoff

# What an engine does on one call: None makes a video; a callable may save checkpoints,
# set flags and raise.
Step = Callable[[JobSpec, JobContext], None] | None


@dataclass
class FakeEngine:
    """Implements the Engine protocol; writes a small file naming itself."""

    name: str
    steps: list[Step] = field(default_factory=list)
    is_available: bool = True
    calls: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def run(self, job: JobSpec, ctx: JobContext) -> EngineResult:
        self.calls.append({"checkpoint": dict(ctx.checkpoint), "scratch": ctx.scratch, "job": job})
        step = self.steps.pop(0) if self.steps else None
        ctx.scratch.write_bytes(f"partial from {self.name}".encode())
        if step is not None:
            step(job, ctx)
        ctx.scratch.write_bytes(f"made by {self.name} from {job.source.name}".encode())
        ctx.progress(50.0)
        ctx.progress(100.0)
        return EngineResult(ctx.scratch, self.name)

    def available(self) -> bool:
        return self.is_available

    def close(self) -> None:
        self.closed = True


class FakeEngines:
    """Stands in for daemon.engines.registry.Engines."""

    def __init__(self, *engines: FakeEngine) -> None:
        self.by_name = {e.name: e for e in engines}

    def get(self, name: str) -> FakeEngine:
        if name not in self.by_name:
            raise PermanentError(f"unknown engine {name!r}")
        return self.by_name[name]

    @contextmanager
    def using(self) -> Iterator[FakeEngines]:
        yield self

    def close(self) -> None:
        for engine in self.by_name.values():
            engine.close()


def raises(exc: Exception, checkpoint: dict[str, Any] | None = None) -> Step:
    def step(_job: JobSpec, ctx: JobContext) -> None:
        if checkpoint is not None:
            ctx.save_checkpoint(checkpoint)
        raise exc

    return step


@dataclass
class World:
    tmp: Path
    inbox: Path
    out: Path
    ledger: Ledger
    local: FakeEngine
    nemo: FakeEngine

    def config(self, rule_extra: str = "", top_extra: str = "max_attempts: 3\n") -> Config:
        text = (
            f"watch: [{self.inbox}]\n{top_extra}"
            "rules:\n"
            "  - name: phone\n"
            "    glob: '*.mov'\n"
            "    prompt: trim the start\n"  # a nemo rule needs one
            f"    output: {self.out}\n{rule_extra}"
        )
        return parse_config(text, self.tmp / "rules.yaml")

    def runner(self, config: Config) -> Runner:
        return Runner(config, self.ledger, FakeEngines(self.local, self.nemo))  # type: ignore[arg-type]

    def queue(self, config: Config, name: str = "IMG_0042.MOV") -> int:
        source = self.inbox / name
        source.write_bytes(b"video bytes " + name.encode())
        record, _ = queue_job(self.ledger, config, config.rules[0], [source], f"fp-{name}")
        assert record is not None
        return record.id

    def record(self, job_id: int) -> JobRecord:
        record = self.ledger.get(job_id)
        assert record is not None
        return record

    def out_files(self) -> list[str]:
        return sorted(p.name for p in self.out.rglob("*") if p.is_file())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    ledger = Ledger(tmp_path / "state" / "jobs.db")
    yield World(tmp_path, inbox, out, ledger, FakeEngine("local"), FakeEngine("nemo"))
    ledger.close()


def test_success_delivers_to_the_templated_name(world: World) -> None:
    config = world.config("    output_name: '{rule}/{stem}-{engine}.mp4'\n")
    job = world.queue(config)
    final = world.runner(config).run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert (final.engine, final.attempts, final.progress) == ("local", 1, 100.0)
    target = world.out / "phone" / "IMG_0042-local.mp4"
    assert final.output == target
    assert target.read_bytes() == b"made by local from IMG_0042.MOV"
    assert world.out_files() == ["IMG_0042-local.mp4"]  # no scratch left behind
    assert (world.inbox / "IMG_0042.MOV").exists()  # original: keep
    assert world.local.calls[0]["job"].job_id == job
    assert world.nemo.calls == []


def test_an_existing_output_is_never_overwritten(world: World) -> None:
    config = world.config()
    world.out.mkdir()
    (world.out / "IMG_0042-edited.mp4").write_bytes(b"older")
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert final.output == world.out / "IMG_0042-edited-1.mp4"
    assert (world.out / "IMG_0042-edited.mp4").read_bytes() == b"older"


def test_transient_errors_retry_with_backoff_then_fail(world: World) -> None:
    config = world.config()
    world.local.steps = [raises(TransientError(f"network down {i}")) for i in range(3)]
    runner = world.runner(config)
    job = world.queue(config)
    for attempt in (1, 2):
        before = utcnow()
        record = runner.run_job(job)
        assert record is not None
        assert (record.state, record.attempts) == (JobState.QUEUED, attempt)
        assert record.error == f"network down {attempt - 1}"
        assert record.not_before is not None
        wait = (record.not_before - before).total_seconds()
        assert backoff(attempt) - 1 <= wait <= backoff(attempt) + 5
    final = runner.run_job(job)
    assert final is not None
    assert (final.state, final.attempts, final.error) == (JobState.FAILED, 3, "network down 2")
    assert world.out_files() == []
    assert backoff(1) == BACKOFF_FIRST
    assert backoff(2) == 2 * BACKOFF_FIRST


def test_retry_after_is_honoured(world: World) -> None:
    config = world.config()
    world.local.steps = [raises(TransientError("429", retry_after=7.0))]
    before = utcnow()
    record = world.runner(config).run_job(world.queue(config))
    assert record is not None
    assert record.not_before is not None
    assert timedelta(seconds=6) <= record.not_before - before <= timedelta(seconds=12)


def test_permanent_error_fails_with_the_reason(world: World) -> None:
    config = world.config()
    world.local.steps = [raises(PermanentError("not a video: moov atom not found"))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.attempts) == (JobState.FAILED, 1)
    assert final.error == "not a video: moov atom not found"
    assert final.output is None
    assert world.out_files() == []  # the scratch the engine wrote was removed


def test_an_unexpected_exception_fails_the_job(world: World) -> None:
    config = world.config()
    world.local.steps = [raises(RuntimeError("oops"))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert final.state is JobState.FAILED
    assert final.error == "internal error (RuntimeError: oops); see the log"


@pytest.mark.parametrize(
    "exc",
    [
        PermanentError("export refused", fallback_ok=True),
        TransientError("cloud unreachable", fallback_ok=True),
        PermanentError("out of credits", fallback_ok=True, pause_engine=True),
    ],
)
def test_fallback_makes_the_output(world: World, exc: Exception) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n")
    world.nemo.steps = [raises(exc)]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert final.state is JobState.DONE
    assert final.engine == "local"
    assert final.output is not None
    assert final.output.read_bytes() == b"made by local from IMG_0042.MOV"
    assert final.notes == (f"made by local (fallback: nemo: {exc})",)
    assert (len(world.nemo.calls), len(world.local.calls)) == (1, 1)


def test_top_level_fallback_applies_to_rules(world: World) -> None:
    config = world.config("    engine: nemo\n", "fallback: local\n")
    world.nemo.steps = [raises(PermanentError("export refused", fallback_ok=True))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.engine) == (JobState.DONE, "local")


def test_fallback_ok_without_a_fallback_fails(world: World) -> None:
    config = world.config("    engine: nemo\n")
    world.nemo.steps = [raises(PermanentError("export refused", fallback_ok=True))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.error) == (JobState.FAILED, "export refused")
    assert world.local.calls == []


def test_a_plain_permanent_error_does_not_fall_back(world: World) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n")
    world.nemo.steps = [raises(PermanentError("corrupt video"))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.error) == (JobState.FAILED, "corrupt video")
    assert world.local.calls == []


def test_exhausted_transient_errors_fall_back(world: World) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n", "max_attempts: 1\n")
    world.nemo.steps = [raises(TransientError("5xx"))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.engine) == (JobState.DONE, "local")


def test_an_unavailable_engine_hands_the_job_to_the_fallback(world: World) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n")
    world.nemo.is_available = False
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.engine, final.attempts) == (JobState.DONE, "local", 1)
    assert world.nemo.calls == []


def test_an_unavailable_engine_without_fallback_waits_without_spending_attempts(
    world: World,
) -> None:
    config = world.config("    engine: nemo\n")
    world.nemo.is_available = False
    runner = world.runner(config)
    job = world.queue(config)
    for _ in range(2):
        record = runner.run_job(job)
        assert record is not None
        assert record.state is JobState.QUEUED
        assert record.not_before is not None
        assert record.attempts == 0


def test_an_unavailable_engine_without_fallback_keeps_the_job_queued(world: World) -> None:
    config = world.config("    engine: nemo\n")
    world.nemo.is_available = False
    record = world.runner(config).run_job(world.queue(config))
    assert record is not None
    assert record.state is JobState.QUEUED
    assert record.not_before is not None
    assert record.not_before > utcnow() + timedelta(seconds=60)
    assert record.error == "engine nemo unavailable; waiting"
    assert world.nemo.calls == []
    assert world.local.calls == []


def test_checkpoints_come_back_on_the_next_attempt(world: World) -> None:
    config = world.config()
    world.local.steps = [
        raises(TransientError("blip"), {"uploaded": "a", "task": 1}),
        raises(TransientError("blip"), {"uploaded": "a", "task": 2}),
    ]
    runner = world.runner(config)
    job = world.queue(config)
    runner.run_job(job)
    assert world.record(job).checkpoint == {"local": {"uploaded": "a", "task": 1}}
    runner.run_job(job)
    final = runner.run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert [c["checkpoint"] for c in world.local.calls] == [
        {},
        {"uploaded": "a", "task": 1},
        {"uploaded": "a", "task": 2},
    ]


def test_checkpoints_are_kept_per_engine(world: World) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n")
    world.nemo.steps = [
        raises(TransientError("blip"), {"session": "s1"}),
        raises(PermanentError("refused", fallback_ok=True)),
    ]
    runner = world.runner(config)
    job = world.queue(config)
    runner.run_job(job)
    final = runner.run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert world.nemo.calls[1]["checkpoint"] == {"session": "s1"}
    assert world.local.calls[0]["checkpoint"] == {}  # not the other engine's state


def test_a_fallback_does_not_erase_the_primarys_checkpoint(world: World) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n")
    world.nemo.steps = [raises(TransientError("cloud down", fallback_ok=True), {"task": "t-9"})]
    world.local.steps = [raises(TransientError("disk busy"), {"step": 1})]
    runner = world.runner(config)
    job = world.queue(config)
    runner.run_job(job)
    assert world.record(job).checkpoint == {"nemo": {"task": "t-9"}, "local": {"step": 1}}


def test_cancel_during_a_run_requeues_without_counting_the_attempt(world: World) -> None:
    config = world.config("    engine: nemo\n    fallback: local\n")
    runner = world.runner(config)

    def shutdown(_job: JobSpec, ctx: JobContext) -> None:
        assert ctx.cancel is runner.cancel
        runner.cancel.set()
        raise TransientError("stopped by shutdown; the job will resume", fallback_ok=True)

    world.nemo.steps = [shutdown]
    job = world.queue(config)
    record = runner.run_job(job)
    assert record is not None
    assert (record.state, record.attempts, record.owner_pid) == (JobState.QUEUED, 0, None)
    assert world.local.calls == []  # no fallback during shutdown
    assert world.out_files() == []


def test_cancel_set_before_run_leaves_the_job_alone(world: World) -> None:
    config = world.config()
    runner = world.runner(config)
    job = world.queue(config)
    runner.cancel.set()
    record = runner.run_job(job)
    assert record is not None
    assert (record.state, record.attempts) == (JobState.QUEUED, 0)
    assert world.local.calls == []


def test_original_is_moved_after_delivery(world: World) -> None:
    originals = world.tmp / "originals"
    config = world.config(f"    original: {{move_to: {originals}}}\n")
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert final.state is JobState.DONE
    assert not (world.inbox / "IMG_0042.MOV").exists()
    assert (originals / "IMG_0042.MOV").read_bytes() == b"video bytes IMG_0042.MOV"


def test_original_is_not_moved_when_the_job_fails(world: World) -> None:
    originals = world.tmp / "originals"
    config = world.config(f"    original: {{move_to: {originals}}}\n")
    world.local.steps = [raises(PermanentError("bad"))]
    world.runner(config).run_job(world.queue(config))
    assert (world.inbox / "IMG_0042.MOV").exists()
    assert not originals.exists()


def test_an_output_name_that_escapes_fails_permanently(world: World) -> None:
    config = world.config("    output_name: 'link/{stem}.mp4'\n")
    world.out.mkdir()
    outside = world.tmp / "outside"
    outside.mkdir()
    os.symlink(outside, world.out / "link")
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert final.state is JobState.FAILED
    assert final.error is not None
    assert "leaves the output folder" in final.error
    assert list(outside.iterdir()) == []
    assert [p.name for p in world.out.iterdir()] == ["link"]  # the engine's file is gone


@pytest.mark.parametrize("state", [JobState.DONE, JobState.FAILED, JobState.RUNNING])
def test_only_queued_jobs_run(world: World, state: JobState) -> None:
    config = world.config()
    job = world.queue(config)
    world.ledger.claim(job, "local")
    if state is JobState.DONE:
        world.ledger.finish(job, world.out / "x.mp4", "local", [])
    elif state is JobState.FAILED:
        world.ledger.fail(job, "earlier")
    record = world.runner(config).run_job(job)
    assert record is not None
    assert (record.state, record.attempts) == (state, 1)
    assert world.local.calls == []
    assert world.runner(config).run_job(9999) is None


def test_a_cancelled_engine_requeues_the_job_without_spending_an_attempt(world: World) -> None:
    config = world.config()

    def cancelled(_job: JobSpec, _ctx: JobContext) -> None:
        raise Cancelled

    world.local.steps = [cancelled]
    record = world.runner(config).run_job(world.queue(config))
    assert record is not None
    assert (record.state, record.attempts) == (JobState.QUEUED, 0)


def test_an_output_folder_under_a_file_fails_the_job_saying_why(world: World) -> None:
    (world.tmp / "blocker").write_bytes(b"")
    config = world.config().model_copy()
    rule = config.rules[0].model_copy(update={"output": world.tmp / "blocker" / "out"})
    record, _ = queue_job(world.ledger, config, rule, [world.inbox / "a.mov"], "fp-a")
    assert record is not None
    final = world.runner(config).run_job(record.id)
    assert final is not None
    assert final.state is JobState.FAILED
    assert final.error is not None
    assert final.error.startswith(f"cannot write in the output folder {world.tmp}/blocker/out: ")
    assert "a part of the path is a file, not a folder" in final.error
    assert "internal error" not in final.error


def test_a_full_disk_inside_the_engine_is_retried(world: World) -> None:
    config = world.config()
    world.local.steps = [raises(OSError(errno.ENOSPC, "No space left on device", "/out/x"))]
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert (final.state, final.attempts) == (JobState.QUEUED, 1)
    assert final.error == (
        "local could not read or write a file: the disk is full; free some space (/out/x)"
    )


def test_a_delivery_blocked_by_a_file_fails_the_job_and_removes_the_result(world: World) -> None:
    config = world.config("    output_name: '{rule}/{stem}.mp4'\n")
    world.out.mkdir()
    (world.out / "phone").write_bytes(b"a file where the folder goes")
    final = world.runner(config).run_job(world.queue(config))
    assert final is not None
    assert final.state is JobState.FAILED
    assert final.error is not None
    assert final.error.startswith(f"cannot deliver to {world.out}/phone: ")
    assert world.out_files() == ["phone"]  # the finished scratch file was removed
