"""The systemd unit: Type=notify with a watchdog, written under $XDG_CONFIG_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.service import executable, render_unit, user_unit_dir
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


# --- issue 11: the unit as systemd reads it ------------------------------------------------

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run(
        [ANALYZE, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _rendered(tmp_path: Path) -> Path:
    """The unit install-service writes for a config whose folders hold a space, a '%'
    and a '$' (each of which systemd would otherwise split, expand or substitute)."""
    root = tmp_path / "my conf 100% $nothere"
    root.mkdir()
    config = load_config(write_config(root))
    unit = tmp_path / "videofree.service"
    unit.write_text(render_unit(config, executable()))
    return unit


def test_install_service_quotes_and_escapes_paths(tmp_path: Path) -> None:
    text = _rendered(tmp_path).read_text()
    root = str(tmp_path / "my conf 100%% $nothere")
    assert f'"run" "--config" "{root.replace("$", "$$")}/rules.yaml"' in text
    assert f'"-{root}/state"' in text  # ReadWritePaths: no '$$' outside Exec lines


def test_start_limits_are_in_the_unit_section() -> None:
    unit = (ROOT / "systemd" / "videofree.service").read_text()
    unit_section = unit.split("\n[Service]")[0]
    assert "StartLimitIntervalSec=300" in unit_section
    assert "StartLimitBurst=5" in unit_section


@needs_analyze
def test_systemd_analyze_verify_accepts_the_rendered_unit(tmp_path: Path) -> None:
    result = _analyze("verify", str(_rendered(tmp_path)))
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # A container without a running manager cannot resolve these; not the unit's fault.
        if line.strip() and "RuntimeDirectory" not in line and "initialize manager" not in line
    ]
    assert complaints == []


@needs_analyze
def test_the_unit_is_rated_ok_by_systemd_analyze_security(tmp_path: Path) -> None:
    result = _analyze("security", "--offline=true", "--threshold=40", str(_rendered(tmp_path)))
    score = [line for line in result.stdout.splitlines() if "Overall exposure level" in line]
    assert score, result.stdout + result.stderr
    value = float(score[0].split(":")[1].split()[0])
    assert value <= 4.0, score[0]
