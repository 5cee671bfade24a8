"""The job ledger: one interface (`LedgerBackend`), two backends.

    base.py      JobRecord, JobState, LeaseLost, the LedgerBackend Protocol
    sqlite.py    Ledger: one machine, one SQLite file in the state dir (the default)
    postgres.py  PostgresLedger: several workers on one PostgreSQL (`ledger: postgresql://…`)

`open_ledger` picks the backend from the config; the PostgreSQL driver is only imported
when a config asks for it, so a one-machine install never needs it.
"""

from __future__ import annotations

from pathlib import Path

from daemon.ledger.base import (
    DEFAULT_LEASE_SECONDS,
    Acceptor,
    JobRecord,
    JobState,
    LeaseLost,
    LedgerBackend,
    WorkerRecord,
    file_identity,
    utcnow,
)
from daemon.ledger.sqlite import LEDGER_FILE, Ledger

__all__ = [
    "LEDGER_FILE",
    "Acceptor",
    "JobRecord",
    "JobState",
    "LeaseLost",
    "Ledger",
    "LedgerBackend",
    "WorkerRecord",
    "file_identity",
    "open_ledger",
    "utcnow",
]


def open_ledger(
    url: str | None,
    state_dir: Path,
    *,
    engines: tuple[str, ...] = (),
    concurrency: int = 0,
    lease_seconds: float | None = None,
    worker: bool = False,
) -> LedgerBackend:
    """Given the config's `ledger:` (None: SQLite in the state dir), open that ledger.

    `worker`: this process takes part (runs jobs); `engines` and `concurrency` describe it
    to the others. Shared ledgers only; the CLI's status and retry are not workers.
    """
    if url is None:
        return Ledger.in_state_dir(state_dir)
    # Only when asked: psycopg is an optional extra.
    from daemon.ledger.postgres import PostgresLedger  # noqa: PLC0415

    return PostgresLedger(
        url,
        engines=engines,
        concurrency=concurrency,
        lease_seconds=lease_seconds or DEFAULT_LEASE_SECONDS,
        register=worker,
    )
