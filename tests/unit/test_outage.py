"""An outage is said once, reminded now and then, and its end said once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger

from daemon.outage import Outage
from tests.fakes.clock import FakeClock


@pytest.fixture
def said() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(
        lambda m: lines.append(str(m).strip()), level="INFO", format="{level} {message}"
    )
    yield lines
    logger.remove(sink)


def test_a_long_outage_is_said_once_then_reminded_then_its_end(said: list[str]) -> None:
    clock = FakeClock()
    outage = Outage("the job ledger", remind=600, clock=clock)
    down = ConnectionRefusedError("connection refused")
    for _ in range(100):  # a tick a second for 100 s
        outage.failed("claiming jobs", down)
        clock.now += 1
    assert said == [
        "WARNING the job ledger is out of reach (claiming jobs: connection refused); "
        "will keep trying"
    ]
    assert outage.ongoing
    clock.now += 600
    outage.failed("renewing leases", down)
    outage.failed("renewing leases", down)
    assert said[1:] == [
        "WARNING the job ledger still out of reach after 12 min "
        "(renewing leases: connection refused)"
    ]
    outage.ok()
    outage.ok()
    assert said[2:] == ["INFO the job ledger is reachable again (after 700 s)"]
    assert not outage.ongoing
    outage.failed("claiming jobs", down)  # a new outage is news again
    assert said[3].startswith("WARNING the job ledger is out of reach")


def test_nothing_is_said_while_all_is_well(said: list[str]) -> None:
    outage = Outage("the job ledger")
    for _ in range(10):
        outage.ok()
    assert said == []
