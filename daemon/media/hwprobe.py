"""Which encoder works on this machine: device nodes and a one-frame test encode (I/O).

`pick` runs once per engine (the first render), so a job never pays for it twice; the
argv it runs comes from encoders.probe_encode_args.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from daemon.media.encoders import (
    DEVICE_NODES,
    HARDWARE,
    Codec,
    Encoder,
    EncoderChoice,
    concrete,
    probe_encode_args,
)

# A one-frame encode takes well under a second; a driver that hangs must not stall a job.
TEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class Selection:
    """The encoder to use and why, in words for the log and `status`."""

    encoder: Encoder
    reason: str


def works(ffmpeg: str, enc: Encoder) -> bool:
    """Given an encoder, return True when a one-frame test encode with it succeeds."""
    try:
        done = subprocess.run(
            probe_encode_args(ffmpeg, enc),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TEST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def pick(
    ffmpeg: str,
    choice: EncoderChoice,
    codec: Codec,
    *,
    exists: Callable[[str], bool] = os.path.exists,
    test: Callable[[str, Encoder], bool] = works,
) -> Selection:
    """Given the configured choice, return the encoder to use. `auto` takes the first
    hardware encoder whose device node is present and whose test encode succeeds, else
    software; an explicit choice is taken as it is (a failure mid-job falls back then)."""
    if choice != "auto":
        return Selection(concrete(choice, codec), f"{choice} (configured)")
    tried = []
    for name in HARDWARE:
        if not any(exists(node) for node in DEVICE_NODES[name]):
            continue
        enc = concrete(name, codec)
        if test(ffmpeg, enc):
            return Selection(enc, f"{enc.ffmpeg_name} (auto: test encode passed)")
        tried.append(enc.ffmpeg_name)
    soft = concrete("x264", codec)
    why = f"{', '.join(tried)} failed a test encode" if tried else "no hardware encoder device"
    return Selection(soft, f"{soft.ffmpeg_name} (auto: {why})")
