"""`videofree workers`, `status` and `retry` against a shared PostgreSQL ledger, in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main
from tests.e2e.daemonproc import write_config

pytestmark = pytest.mark.integration

pytest.importorskip("psycopg")
from daemon.ledger.postgres import PostgresLedger  # noqa: E402


def test_workers_status_and_retry_on_a_shared_ledger(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, ledger=pg_url)
    nas = PostgresLedger(pg_url, worker_id="nas:42", engines=("local",), concurrency=3)
    try:
        record = nas.add_job([Path("/srv/in/a.mov")], "fp", "clips", "{}", "local")
        assert record is not None
        nas.claim_next(1, lambda _r: "local")
        assert main(["workers", "--config", str(config)]) == 0
        shown = capsys.readouterr().out
        assert "nas:42" in shown
        assert len(shown.splitlines()) == 2  # the header and nas: the CLI is no worker
        assert f" {record.id}" in shown.splitlines()[-1]  # its running job
        assert main(["status", "--config", str(config)]) == 0
        assert "nas:42" in capsys.readouterr().out
        nas.fail(record.id, "broken")
        assert main(["retry", str(record.id), "--config", str(config)]) == 0
        again = nas.get(record.id)
        assert again is not None
        assert again.state == "queued"
    finally:
        nas.close()


def test_workers_on_sqlite_says_there_is_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["workers", "--config", str(config)]) == 1
    assert "SQLite" in capsys.readouterr().err
