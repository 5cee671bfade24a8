"""How long the prompt parser takes on very long prompts (it must stay linear).

    .venv/bin/python bench/prompt_parse.py

Prints, per kind of input, the time for 10,000 and 100,000 characters and their ratio
(about 10 for a linear parser; about 100 would mean quadratic), and the CPU time of the
100K parse (what one idle core would take; wall time on a shared machine includes waiting
for the CPU). Target: 100K characters in under 1 s on one idle core.
"""

from __future__ import annotations

import time

from daemon.engines.local.prompt import parse_prompt

SIZE = 100_000
KINDS = {
    "everyday": "make it vertical for TikTok, loop it 3 times, the first 5 s in slow motion. ",
    "trims": "cut the first 2 seconds and fade in, ",
    "titles": "title: x, ",
    "quotes": "'a' ",
    "clock": "1:",
    "digits": "1",
    "music": "add music ",
    "dots": ".",
    "blanks": " \u00a0\t",
}


def seconds(text: str) -> tuple[float, float]:
    """Wall and CPU seconds of one parse."""
    start, cpu = time.perf_counter(), time.process_time()
    parse_prompt(text)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    print(f"{'input':10} {'10K':>8} {'100K':>8} {'ratio':>6} {'100K cpu':>9}")
    for name, unit in KINDS.items():
        big = (unit * (SIZE // len(unit) + 1))[:SIZE]
        (small, _), (large, cpu) = seconds(big[: SIZE // 10]), seconds(big)
        print(f"{name:10} {small:8.3f} {large:8.3f} {large / max(small, 1e-6):6.1f} {cpu:9.3f}")


if __name__ == "__main__":
    main()
