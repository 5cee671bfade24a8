"""The cost-ordered chain keeps the colour of the old one: scale-first vs tone-map-first."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from daemon.engines.local.ffmpeg import TONEMAP, scale_step
from daemon.media.probe import probe
from tests.mediagen import FFMPEG, HDR_TAGS, make_phone_clip

OUT = (320, 180)
# Per channel, 0-255, on smooth camera-like colour: the resize moves from float RGB
# after the tone-map to the transfer step (measured ≤ 0.91 on mediagen's deterministic
# "smooth" clip); a wrong transfer moves a channel far more.
TOLERANCE = 1.5


def _rgb(source: Path, chain: str) -> list[bytes]:
    """Frame 10 of `source` through `chain`, as three planes of 8-bit R, G, B."""
    raw = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(source),
            "-vf",
            f"{chain},format=yuv420p,select=eq(n\\,10)",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gbrp",
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout
    plane = OUT[0] * OUT[1]
    assert len(raw) == 3 * plane
    return [raw[i * plane : (i + 1) * plane] for i in range(3)]


def _mad(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def _old_chain(source: Path) -> str:
    """The chain before issue 13: tone-map every source pixel in float, then scale."""
    info = probe(source)
    return (
        f"zscale=tin={info.color_transfer}:pin={info.color_primaries}:min={info.color_space}:"
        + TONEMAP.removeprefix("zscale=")
        + f",scale={OUT[0]}:{OUT[1]}:flags=lanczos:in_color_matrix=bt709:"
        "out_color_matrix=bt709:out_range=tv"
    )


@pytest.mark.parametrize("kind", ["hlg", "pq"])
def test_scale_first_keeps_the_colour(tmp_path: Path, kind: str) -> None:
    source = make_phone_clip(
        tmp_path / f"{kind}.mov", size=(640, 360), hdr=kind, audio=False, pattern="smooth"
    )
    info = probe(source)
    old = _rgb(source, _old_chain(source))
    new = _rgb(source, scale_step(info, OUT))
    for name, a, b in zip("GBR", old, new, strict=True):
        assert _mad(a, b) <= TOLERANCE, f"{kind} {name}: mean difference {_mad(a, b):.2f}"
    # The comparison can fail: read with the other HDR transfer, the picture is far off.
    other = HDR_TAGS["pq" if kind == "hlg" else "hlg"][1]
    wrong = _rgb(
        source, scale_step(info, OUT).replace(f"tin={info.color_transfer}", f"tin={other}")
    )
    assert max(_mad(a, b) for a, b in zip(old, wrong, strict=True)) > 3 * TOLERANCE
