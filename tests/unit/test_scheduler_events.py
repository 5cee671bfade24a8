"""The runner publishes one event per outcome: done (+ not understood), failed, paused."""

from __future__ import annotations

from typing import Any

from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.nemo.constants import REGISTER_URL
from daemon.errors import PermanentError, TransientError
from daemon.events import EventBus, EventKind, JobEvent
from daemon.scheduler import Runner
from tests.unit import test_scheduler as base
from tests.unit.test_scheduler import FakeEngine, FakeEngines, World, raises

world = base.world  # the same fixture: a real ledger and folders under tmp_path


class NotingEngine(FakeEngine):
    """Like the local engine with a prompt it half understands: returns its notes."""

    def run(self, job: JobSpec, ctx: JobContext) -> EngineResult:
        ctx.note('ignored: "sparkles"')
        result = super().run(job, ctx)
        return EngineResult(result.path, result.engine, tuple(ctx.notes))


def runner_with_events(w: World, config: Any) -> tuple[Runner, list[JobEvent]]:
    bus = EventBus()
    seen: list[JobEvent] = []
    bus.subscribe(seen.append)
    runner = Runner(config, w.ledger, FakeEngines(w.local, w.nemo), events=bus)  # type: ignore[arg-type]
    return runner, seen


def test_done_names_the_output_and_its_size(world: World) -> None:
    config = world.config()
    job = world.queue(config)
    runner, seen = runner_with_events(world, config)
    runner.run_job(job)
    [done] = seen
    assert (done.kind, done.job_id, done.rule.name, done.engine) == (
        EventKind.DONE,
        job,
        "phone",
        "local",
    )
    assert done.output == world.out / "IMG_0042-edited.mp4"
    assert done.size == len(b"made by local from IMG_0042.MOV")


def test_ignored_words_add_a_not_understood_event(world: World) -> None:
    config = world.config()
    job = world.queue(config)
    world.local = NotingEngine("local")
    runner, seen = runner_with_events(world, config)
    runner.run_job(job)
    assert [e.kind for e in seen] == [EventKind.DONE, EventKind.NOT_UNDERSTOOD]
    assert seen[1].ignored == ("sparkles",)


def test_a_permanent_failure_publishes_failed_with_the_reason(world: World) -> None:
    world.local.steps = [raises(PermanentError("not a readable video"))]
    config = world.config()
    job = world.queue(config)
    runner, seen = runner_with_events(world, config)
    runner.run_job(job)
    [failed] = seen
    assert (failed.kind, failed.error, failed.output) == (
        EventKind.FAILED,
        "not a readable video",
        None,
    )


def test_a_retry_is_not_an_outcome(world: World) -> None:
    world.local.steps = [raises(TransientError("network down"))]
    config = world.config()
    job = world.queue(config)
    runner, seen = runner_with_events(world, config)
    runner.submit = lambda *_a, **_k: None  # type: ignore[method-assign]
    runner.run_job(job)
    assert seen == []


def test_out_of_credits_publishes_paused_with_the_link_then_the_fallback_delivers(
    world: World,
) -> None:
    world.nemo.steps = [
        raises(PermanentError("out of credits", fallback_ok=True, pause_engine=True))
    ]
    config = world.config("    engine: nemo\n    fallback: local\n")
    job = world.queue(config)
    runner, seen = runner_with_events(world, config)
    runner.run_job(job)
    assert [e.kind for e in seen] == [EventKind.PAUSED, EventKind.DONE]
    assert (seen[0].engine, seen[0].error, seen[0].link) == ("nemo", "out of credits", REGISTER_URL)
    assert seen[1].engine == "local"


def test_a_listener_that_raises_does_not_fail_the_job(world: World) -> None:
    config = world.config()
    job = world.queue(config)
    bus = EventBus()

    def broken(_event: JobEvent) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(broken)
    runner = Runner(config, world.ledger, FakeEngines(world.local, world.nemo), events=bus)  # type: ignore[arg-type]
    final = runner.run_job(job)
    assert final is not None and final.state.value == "done"
