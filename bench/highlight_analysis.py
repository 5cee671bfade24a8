"""What the highlight analysis pass costs, as a share of the clip's duration.

    .venv/bin/python bench/highlight_analysis.py [SECONDS] [--size 1920x1080]

Makes a phone-like clip (moving pattern + tone, H.264/AAC, 30 fps) of SECONDS (default 60),
runs the local engine's own analysis argv (ffmpeg.build_highlight_args) with the machine's
cores (the target machine has 2), and prints wall time / clip duration. Target: <= 0.3.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.engines.local.ffmpeg import build_highlight_args
from daemon.engines.local.highlights import parse_analysis
from daemon.media.probe import probe
from daemon.media.tools import find_ffmpeg

TARGET = 0.3


def make_clip(ffmpeg: str, path: Path, seconds: float, size: str) -> None:
    subprocess.run(
        [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60.0)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    ffmpeg = find_ffmpeg(None)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        make_clip(ffmpeg, clip, args.seconds, args.size)
        info = probe(clip)
        argv = build_highlight_args(ffmpeg, info)
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        motion, _ = parse_analysis(done.stderr, info.duration)
    ratio = wall / info.duration
    print(
        f"clip {args.size} {info.duration:.1f} s, {os.cpu_count()} cores: analysis {wall:.2f} s "
        f"= {ratio:.3f}x the clip ({len(motion)} seconds scored); target <= {TARGET}x "
        f"{'OK' if ratio <= TARGET else 'OVER'}"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
