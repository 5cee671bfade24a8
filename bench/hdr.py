"""HDR phone clip: a 4K HLG HEVC portrait clip → 1080p SDR, near the decode floor.

In one run, alternated, median of N:
   A  the local engine's own ffmpeg argv (its functions: plan_from → build_render_args)
   B  the hand-written scale-first command: one zscale resizing in the transfer step,
      the float tone-map at 1080x1920, the engine's encoder settings (baseline)
   C  decode only (`-f null`): the floor no render can beat
Targets: A ≤ 1.1x B and A ≤ 3x C. The encoder `auto` picks here is reported.

    python bench/hdr.py [--quick]
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import common

from tests.mediagen import make_phone_clip

TARGET_VS_HAND = 1.1
TARGET_VS_DECODE = 3.0
HAND_VF = (
    "zscale=w=1080:h=1920:f=lanczos:tin=arib-std-b67:pin=bt2020:min=bt2020nc:t=linear:npl=100,"
    "format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,"
    "zscale=t=bt709:m=bt709:r=tv,format=yuv420p"
)


def hand_written(clip: Path, out: Path) -> list[str]:
    from daemon.config import LocalSettings

    s = LocalSettings()
    return [
        common.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-i", str(clip), "-vf", HAND_VF,
        "-c:v", "libx264", "-preset", s.preset, "-crf", str(s.crf), "-profile:v", "high",
        "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def decode_only(clip: Path) -> list[str]:
    return [
        common.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-i", str(clip), "-map", "0:v:0", "-f", "null", "-",
    ]  # fmt: skip


def timed(argv: list[str] | tuple[str, ...]) -> tuple[float, float]:
    """Run one command quietly; return its wall and CPU (user + system) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = common.run_quiet(argv)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def auto_encoder() -> str:
    """What `encoder: auto` picks on this machine, and why."""
    try:
        from daemon.media.hwprobe import pick
    except ImportError:
        return "libx264 (this revision has no encoder choice)"
    return pick(common.ffmpeg_exe(), "auto", "h264").reason


def run(args: object) -> common.Report:
    quick = getattr(args, "quick", False)
    rounds, seconds = (1, 2.0) if quick else (3, 10.0)
    report = common.Report("hdr", "HDR 4K HEVC portrait → 1080p SDR")
    with common.workdir("hdr", getattr(args, "keep", False)) as root:
        clip = make_phone_clip(
            root / "hlg.mov", duration=seconds, size=(3840, 2160), hdr="hlg", rotation=90
        )
        engine, how = common.engine_argv([clip], root / "engine.mp4", "")
        if engine is None:
            raise common.BenchError(how)
        runs: dict[str, list[tuple[float, float]]] = {"a": [], "b": [], "c": []}
        for _ in range(rounds):
            runs["a"].append(timed(engine))
            runs["b"].append(timed(hand_written(clip, root / "hand.mp4")))
            runs["c"].append(timed(decode_only(clip)))
        for kind in ("wall", "CPU"):
            i = 0 if kind == "wall" else 1
            a, b, c = (common.median([r[i] for r in runs[k]]) for k in "abc")
            report.add(
                f"4K HLG → 1080p SDR, {kind}: engine vs hand-written scale-first",
                f"{a:.2f} s",
                baseline=f"{b:.2f} s",
                ratio=common.fmt_ratio(a, b),
                target=f"≤ {TARGET_VS_HAND}x",
                met=a <= TARGET_VS_HAND * b,
            )
            report.add(
                f"the same, {kind}: vs decode only",
                f"{a:.2f} s",
                baseline=f"{c:.2f} s",
                ratio=common.fmt_ratio(a, c),
                target=f"≤ {TARGET_VS_DECODE:g}x",
                met=a <= TARGET_VS_DECODE * c,
            )
        report.add("encoder: auto", auto_encoder())
        report.notes.append(
            f"a {seconds:g} s 3840x2160 HLG HEVC 10-bit clip shown portrait (rotation 90), "
            f"medians of {rounds} alternated runs; A and B encode with libx264 (the bench "
            "compares the graph, not the encoder); CPU = user + system time of the ffmpeg "
            "process, the fairer figure on a shared machine "
            f"(load average at the end: {os.getloadavg()[0]:.1f})"
        )
    return report


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
