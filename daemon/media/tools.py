"""Which ffmpeg binary to run, and how every run of it starts."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from daemon.errors import ConfigError

FFMPEG_HELP = (
    "install ffmpeg (e.g. `sudo apt install ffmpeg`, or `pip install imageio-ffmpeg`), "
    "or set `ffmpeg:` in rules.yaml to its path"
)


def quiet_args(level: str = "error") -> tuple[str, ...]:
    """The flags every ffmpeg we run starts with: no banner, never reading stdin (a daemon
    has none to give, and a read would stall it), only messages of `level` and worse."""
    return ("-hide_banner", "-nostdin", "-loglevel", level)


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
    bundled = None if os.environ.get(_IMAGEIO_ENV) else _bundled_ffmpeg()
    if bundled is not None:
        return bundled
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - only needed when no ffmpeg is on PATH

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise ConfigError(f"no ffmpeg found ({exc}): {FFMPEG_HELP}") from None


_IMAGEIO_ENV = "IMAGEIO_FFMPEG_EXE"  # imageio-ffmpeg's own override; it reads it first


def _bundled_ffmpeg() -> str | None:
    """The one ffmpeg binary the imageio-ffmpeg wheel ships, found without importing it.

    Importing imageio_ffmpeg and its get_ffmpeg_exe() (which runs `ffmpeg -version` to
    vet the binary) cost ~90 ms of every `process` and `plan`. A failed run says what is
    wrong just as well. Anything unusual (no binary, several, not executable, a zipped
    install) returns None and the library decides as before.
    """
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for root in (spec.submodule_search_locations or []) if spec else []:
        found = [
            p
            for p in (Path(root) / "binaries").glob("ffmpeg-*")
            if p.is_file() and os.access(p, os.X_OK)
        ]
        if len(found) == 1:
            return str(found[0])
    return None
