"""A ledger locked longer than the busy timeout while a file is admitted must not drop the
file until the next start (issue 11, item 5): the real Daemon, in-process."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from daemon.app import Daemon
from daemon.config import parse_config
from daemon.ledger import JobState
from tests.e2e.daemonproc import wait_for
from tests.mediagen import make_clip


def test_a_file_admitted_while_the_ledger_is_locked_is_queued_once_it_frees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("daemon.ledger.sqlite._BUSY_TIMEOUT_MS", 100)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = parse_config(
        f"watch: [{inbox}]\nstate_dir: {tmp_path / 'state'}\nsettle_seconds: 0.2\n"
        "rescan_seconds: 3600\n"  # only the observer reports the file: no second chance
        f"rules: [{{name: clips, glob: '*.mp4', output: {tmp_path / 'out'}}}]\n",
        tmp_path / "rules.yaml",
    )
    daemon = Daemon(config)
    main = threading.Thread(target=daemon.run_forever, name="test-main-loop")
    main.start()
    holder = sqlite3.connect(tmp_path / "state" / "jobs.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # a backup or the CLI holds the write lock
        clip = make_clip(tmp_path / "clip.mp4", duration=1)
        shutil.copyfile(clip, inbox / "a.mp4")
        # Long enough for the file to settle and meet the lock more than once.
        wait_for(lambda: daemon.intake.pending() == [] and not daemon._incoming, 10, "admit")
        threading.Event().wait(1.0)
        assert daemon.ledger.jobs() == []
        holder.execute("ROLLBACK")
        wait_for(lambda: daemon.ledger.count(JobState.DONE) == 1, 60, "the job done")
    finally:
        holder.close()
        daemon.stop_event.set()
        main.join(30)
    assert not main.is_alive()
