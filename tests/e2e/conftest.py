"""Fixtures for tests that start the real daemon process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.daemonproc import DaemonProcess, terminate_quietly


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Daemons a test started (via daemonproc.start); any still running are killed after."""
    started: list[DaemonProcess] = []
    yield started
    for d in started:
        terminate_quietly(d)
