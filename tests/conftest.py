"""Hygiene for every test: a clean environment and no leaked threads."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator

import pytest
from loguru import logger

# Variables the daemon reads: a developer's own settings must not leak into a test.
_DAEMON_ENV = (
    "VIDEOFREE_CONFIG",
    "NEMO_TOKEN",
    "VIDEOFREE_WEBHOOK_SECRET",
    "VIDEOFREE_WEB_PASSWORD",
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "JOURNAL_STREAM",
    "DBUS_SESSION_BUS_ADDRESS",
    "VIDEOFREE_LEDGER_PASSWORD",
)
# A thread a test started may take a moment to notice it should stop.
_THREAD_GRACE = 2.0


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _DAEMON_ENV:
        monkeypatch.delenv(name, raising=False)


def _leaked(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]


@pytest.fixture(autouse=True)
def _no_thread_leaks() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + _THREAD_GRACE
    while _leaked(before) and time.monotonic() < deadline:
        time.sleep(0.05)
    leaked = _leaked(before)
    if leaked:
        pytest.fail(f"test leaked non-daemon threads: {[t.name for t in leaked]}")


def _to_current_stderr(message: str) -> None:
    sys.stderr.write(message)


def reset_loguru() -> None:
    """Loguru as a test starts: one sink, the stderr of the moment, no patcher.

    A test that runs `main([...])` in-process gets the daemon's setup(), whose sink is the
    sys.stderr pytest captured for that test only; left in place, every later log line
    (from the next test's threads too) fails with "I/O operation on closed file".
    """
    logger.remove()
    logger.configure(patcher=None, extra={})
    logger.add(_to_current_stderr)


reset_loguru()  # loguru's own default sink is the stderr of import time


@pytest.fixture(autouse=True)
def _fresh_loguru() -> Iterator[None]:
    yield
    reset_loguru()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole session (skips without PostgreSQL)."""
    from tests import pgcluster

    if pgcluster.bin_dir() is None:
        pytest.skip(pgcluster.NO_POSTGRES)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")
    with pgcluster.cluster() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str, request: pytest.FixtureRequest) -> str:
    """An empty database on the session's cluster, one per test."""
    from tests import pgcluster

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    return pgcluster.fresh_database(pg_server, name)
