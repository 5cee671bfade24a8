"""Which ffmpeg runs: configured, then PATH, then the one imageio-ffmpeg installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest

from daemon.errors import ConfigError
from daemon.media.tools import find_ffmpeg

ROOT = Path(__file__).resolve().parents[2]


def test_without_ffmpeg_on_path_the_bundled_binary_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_ffmpeg(None) == str(Path(imageio_ffmpeg.get_ffmpeg_exe()))


def test_the_bundled_binary_is_found_without_importing_imageio_ffmpeg(tmp_path: Path) -> None:
    code = (
        "import sys; from daemon.media.tools import find_ffmpeg; exe = find_ffmpeg(None); "
        "assert 'imageio_ffmpeg' not in sys.modules, 'imported'; print(exe)"
    )
    env = {**os.environ, "PATH": str(tmp_path)}
    env.pop("IMAGEIO_FFMPEG_EXE", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    exe = done.stdout.strip()
    assert exe == str(Path(imageio_ffmpeg.get_ffmpeg_exe()))
    version = subprocess.run([exe, "-version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("ffmpeg version")


def test_imageio_s_own_override_is_honoured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chosen = tmp_path / "my-ffmpeg"
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(chosen))
    assert find_ffmpeg(None) == str(chosen)


def test_an_ffmpeg_on_path_comes_before_the_bundled_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_ffmpeg(None) == str(fake)


def test_a_configured_ffmpeg_that_is_missing_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ffmpeg not found") as info:
        find_ffmpeg(str(tmp_path / "nope"))
    assert info.value.key == "ffmpeg"
