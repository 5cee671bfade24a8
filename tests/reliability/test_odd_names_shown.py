"""Odd file names (a newline, an escape, a Latin-1 byte) stay on one line in `status`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.ledger import Ledger
from daemon.log import printable


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("IMG_0042.MOV", "IMG_0042.MOV"),
        ("a\nb.mp4", "a\\nb.mp4"),
        ("\x1b[31mred.mp4", "\\x1b[31mred.mp4"),
        (os.fsdecode(b"caf\xe9.mp4"), "caf\\xe9.mp4"),
        ("café.mp4", "café.mp4"),
    ],
)
def test_printable(name: str, shown: str) -> None:
    assert printable(name) == shown


def test_status_keeps_an_odd_name_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text(
        f"watch: [{tmp_path}/in]\nstate_dir: {tmp_path}/state\n"
        f"rules: [{{name: clips, glob: '*.mp4', output: {tmp_path}/out}}]\n"
    )
    ledger = Ledger(tmp_path / "state" / "jobs.db")
    odd = tmp_path / "in" / os.fsdecode(b"caf\xe9\nERROR forged.mp4")
    record = ledger.add_job([odd], "fp", "clips", "{}", "local")
    assert record is not None
    ledger.fail(record.id, "not a video")
    ledger.close()
    assert main(["status", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[1].endswith("caf\\xe9\\nERROR forged.mp4 → not a video")
