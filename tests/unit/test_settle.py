"""SettleTracker: a file is due once size and mtime are stable for settle_seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.settle import SettleTracker
from tests.fakes.clock import FakeClock

A, B = Path("/in/a.mov"), Path("/in/b.mov")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# Each step: (seconds to advance, observation (size, mtime) or None, due afterwards?)
SCENARIOS = {
    "stable file becomes due after exactly settle_seconds": [
        (0, (10, 1), False),
        (4.9, None, False),
        (0.1, None, True),
    ],
    "observing the same values again does not restart the wait": [
        (0, (10, 1), False),
        (3, (10, 1), False),
        (2, None, True),
    ],
    "a growing file restarts the wait": [
        (0, (10, 1), False),
        (4, (20, 2), False),
        (4, None, False),
        (1, None, True),
    ],
    "a changed mtime alone restarts the wait": [
        (0, (10, 1), False),
        (4, (10, 2), False),
        (4.5, None, False),
        (0.5, None, True),
    ],
    "a file that shrinks (rewritten) restarts the wait": [
        (0, (10, 1), False),
        (6, None, True),
        (0, (5, 1), False),
        (5, None, True),
    ],
    "slow writes, each within the settle time, are never due": [
        (0, (1, 1), False),
        (4, (2, 2), False),
        (4, (3, 3), False),
        (4, (4, 4), False),
        (4, (5, 5), False),
    ],
}


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_settle_scenarios(
    clock: FakeClock, steps: list[tuple[float, tuple[int, int] | None, bool]]
) -> None:
    tracker = SettleTracker(5.0, clock=clock)
    for advance, observation, due in steps:
        clock.now += advance
        if observation is not None:
            tracker.observe(A, *observation)
        assert (A in tracker.due()) is due, (clock.now, observation)


def test_files_settle_independently(clock: FakeClock) -> None:
    tracker = SettleTracker(5.0, clock=clock)
    tracker.observe(A, 1, 1)
    clock.now += 3
    tracker.observe(B, 1, 1)
    clock.now += 2
    assert tracker.due() == [A]
    clock.now += 3
    assert sorted(tracker.due()) == [A, B]
    assert sorted(tracker.pending()) == [A, B]


def test_forget(clock: FakeClock) -> None:
    tracker = SettleTracker(5.0, clock=clock)
    tracker.observe(A, 1, 1)
    assert A in tracker
    tracker.forget(A)
    tracker.forget(B)  # unknown paths are fine
    assert A not in tracker
    clock.now += 10
    assert tracker.due() == []
    assert tracker.pending() == []


def test_zero_settle_time_is_due_at_once(clock: FakeClock) -> None:
    tracker = SettleTracker(0.0, clock=clock)
    tracker.observe(A, 1, 1)
    assert tracker.due() == [A]


def test_after_forget_a_file_waits_again(clock: FakeClock) -> None:
    tracker = SettleTracker(5.0, clock=clock)
    tracker.observe(A, 1, 1)
    clock.now += 10
    tracker.forget(A)
    tracker.observe(A, 1, 1)
    assert tracker.due() == []
    clock.now += 5
    assert tracker.due() == [A]


@pytest.mark.parametrize(
    ("age", "wait_left"),
    [
        (0.0, 5.0),  # just written: the full wait
        (2.0, 3.0),  # written 2 s before we looked: 2 s already count
        (60.0, 0.0),  # long finished: due at once, but never credited beyond settle
        (-30.0, 5.0),  # mtime in the future (clock skew on a share): no credit
    ],
)
def test_mtime_age_is_credited(clock: FakeClock, age: float, wait_left: float) -> None:
    tracker = SettleTracker(5.0, clock=clock)
    tracker.observe(A, 10, 1, age=age)
    if wait_left > 0:
        clock.now += wait_left - 0.01
        assert tracker.due() == []
    clock.now += 0.01
    assert tracker.due() == [A]


def test_a_change_after_credit_restarts_the_full_wait(clock: FakeClock) -> None:
    tracker = SettleTracker(5.0, clock=clock)
    tracker.observe(A, 10, 1, age=60.0)
    tracker.observe(A, 20, 2)  # it grew: a fresh write, no credit
    clock.now += 4.99
    assert tracker.due() == []
    clock.now += 0.01
    assert tracker.due() == [A]
