"""Which ffmpeg binary to run."""

from __future__ import annotations

import os
import shutil

from daemon.errors import ConfigError

FFMPEG_HELP = (
    "install ffmpeg (e.g. `sudo apt install ffmpeg`, or `pip install imageio-ffmpeg`), "
    "or set `ffmpeg:` in rules.yaml to its path"
)


def find_ffmpeg(configured: str | None) -> str:
    """Return the ffmpeg to run: the configured path, else ffmpeg on PATH, else the one
    imageio-ffmpeg installed with pip. Raise ConfigError if none can be found."""
    if configured:
        path = shutil.which(os.path.expanduser(configured))
        if path is None:
            raise ConfigError(
                f"ffmpeg not found or not executable: {configured}; {FFMPEG_HELP}", key="ffmpeg"
            )
        return path
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - only needed when no ffmpeg is on PATH

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise ConfigError(f"no ffmpeg found ({exc}): {FFMPEG_HELP}") from None
