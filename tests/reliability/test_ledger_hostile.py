"""A ledger that is empty, damaged, locked or holds odd names (issue 11, items 7, 9, 11)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from daemon.errors import LedgerError
from daemon.ledger import Ledger


def test_a_zero_byte_ledger_is_moved_aside_never_silently_replaced(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    db.touch()
    with pytest.raises(LedgerError) as info:
        Ledger(db)
    assert "is empty (0 bytes); moved it to jobs.db.broken-" in str(info.value)
    assert not db.exists()
    assert [p.name.startswith("jobs.db.broken-") for p in tmp_path.iterdir()] == [True]


def test_a_damaged_ledger_is_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    db.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(LedgerError) as info:
        Ledger(db)
    assert "is damaged (file is not a database); moved it to" in str(info.value)
    assert not db.exists()


def test_a_locked_ledger_says_so_and_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "jobs.db"
    Ledger(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr("daemon.ledger.sqlite._BUSY_TIMEOUT_MS", 100)
    try:
        with pytest.raises(LedgerError) as info:
            Ledger(db)
    finally:
        holder.close()
    assert "is locked by another program" in str(info.value)
    assert db.exists()


def test_ledger_files_are_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    ledger = Ledger(state / "jobs.db")
    ledger.remember(Path("/in/a.mp4"), 1, 1, "fp")
    try:
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        for name in ("jobs.db", "jobs.db-wal", "jobs.db-shm"):
            assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
    finally:
        ledger.close()


def test_non_utf8_paths_round_trip(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "jobs.db")
    odd = tmp_path / os.fsdecode(b"caf\xe9 \xff.mp4")
    try:
        record = ledger.add_job([odd], "fp", "rule", "{}", "local")
        assert record is not None
        assert record.source == odd
        assert record.sources == (odd,)
        ledger.remember(odd, 1, 2, "fp")
        assert ledger.seen_fingerprint(odd, 1, 2) == "fp"
        ledger.finish(record.id, odd.with_name(odd.stem + "-edited.mp4"), "local", [])
        done = ledger.get(record.id)
        assert done is not None
        assert done.output is not None
        assert os.fsencode(done.output).endswith(b"caf\xe9 \xff-edited.mp4")
    finally:
        ledger.close()
