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
from daemon.media.ffmpeg_errors import cause

# A one-frame encode takes well under a second; a driver that hangs must not stall a job.
TEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class Selection:
    """The encoder to use and why, in words for the log and `status`."""

    encoder: Encoder
    reason: str


def test_encode(ffmpeg: str, enc: Encoder) -> str | None:
    """Given an encoder, run a one-frame test encode with it; return None when it
    succeeds, else why not, in ffmpeg's words ("Cannot load libcuda.so.1")."""
    try:
        done = subprocess.run(
            probe_encode_args(ffmpeg, enc),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TEST_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"no answer in {TEST_TIMEOUT:g} s"
    except OSError as exc:
        return exc.strerror or str(exc)
    if done.returncode == 0:
        return None
    return cause(done.stderr.splitlines(), limit=1) or f"exit code {done.returncode}"


def works(ffmpeg: str, enc: Encoder) -> bool:
    """Given an encoder, return True when a one-frame test encode with it succeeds."""
    return test_encode(ffmpeg, enc) is None


def pick(
    ffmpeg: str,
    choice: EncoderChoice,
    codec: Codec,
    *,
    exists: Callable[[str], bool] = os.path.exists,
    test: Callable[[str, Encoder], str | None] = test_encode,
) -> Selection:
    """Given the configured choice, return the encoder to use. `auto` takes the first
    hardware encoder whose device node is present and whose test encode succeeds, else
    software, saying why each present one failed; an explicit choice is taken as it is
    (a failure mid-job falls back then)."""
    if choice != "auto":
        enc = concrete(choice, codec)
        return Selection(enc, f"{enc.ffmpeg_name} (configured)")
    tried = []
    for name in HARDWARE:
        if not any(exists(node) for node in DEVICE_NODES[name]):
            continue
        enc = concrete(name, codec)
        failure = test(ffmpeg, enc)
        if failure is None:
            return Selection(enc, f"{enc.ffmpeg_name} (auto: test encode passed)")
        tried.append(f"{enc.ffmpeg_name}: {failure}")
    soft = concrete("x264", codec)
    why = f"test encode failed: {'; '.join(tried)}" if tried else "no hardware encoder device"
    return Selection(soft, f"{soft.ffmpeg_name} (auto: {why})")
