"""The systemd unit: Type=notify with a watchdog, written under $XDG_CONFIG_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.service import user_unit_dir
from tests.e2e.daemonproc import write_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [("/cfg", "/cfg/systemd/user"), ("", "/home/u/.config/systemd/user"),
     ("relative/cfg", "/home/u/.config/systemd/user")],  # the XDG spec ignores relative ones
)  # fmt: skip
def test_user_unit_dir(xdg: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/u")
    assert user_unit_dir({"XDG_CONFIG_HOME": xdg}) == Path(expected)


def test_install_service_writes_under_xdg_config_home(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    elsewhere = tmp_path / "xdg-config"
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(elsewhere)}
    subprocess.run(
        [sys.executable, "-m", "daemon", "install-service", "--config", str(config)],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    unit = (elsewhere / "systemd" / "user" / "videofree.service").read_text()
    assert not (tmp_path / "home" / ".config").exists()
    lines = unit.splitlines()
    for setting in ("Type=notify", "NotifyAccess=main", "WatchdogSec=120"):
        assert setting in lines


def test_shipped_unit_is_the_packaged_one() -> None:
    shipped = (ROOT / "systemd" / "videofree.service").read_text()
    assert shipped == (ROOT / "daemon" / "assets" / "videofree.service").read_text()
