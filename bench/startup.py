"""CLI start-up: `videofree status`, `check` and `plan` against `python -c pass`.

Each command runs in a fresh interpreter on a generated rules.yaml, alternated with the
baseline; the best (least disturbed) wall time of each is reported. Target: < 0.15 s.

    python bench/startup.py [--quick]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import common

TARGET = 0.15
COMMANDS = {
    "status": ["status"],
    "check": ["check"],
    "plan": ["plan", "trim the first second, speed up 2x"],
}


def _once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run: on a shared machine the CPU time
    says what the command costs, the wall time what a person waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(args: object) -> common.Report:
    runs = 5 if getattr(args, "quick", False) else 15
    report = common.Report("startup", "CLI start-up vs python -c pass")
    with common.workdir("startup", getattr(args, "keep", False)) as root:
        config = root / "rules.yaml"
        config.write_text(
            f"state_dir: {root / 'state'}\nwatch: [{root / 'in'}]\n"
            f'rules: [{{name: r, glob: "*", output: {root / "out"}}}]\n',
            encoding="utf-8",
        )
        base_argv = [sys.executable, "-c", "pass"]
        commands = {
            name: [sys.executable, "-m", "daemon", *args, "--config", str(config)]
            for name, args in COMMANDS.items()
        }
        best = {name: (float("inf"), float("inf")) for name in ["pass", *commands]}
        for _ in range(runs):
            best["pass"] = min(best["pass"], _once(base_argv))
            for name, argv in commands.items():
                best[name] = min(best[name], _once(argv))
        base = best["pass"]
        for name in commands:
            wall, cpu = best[name]
            report.add(
                f"videofree {name}",
                f"{wall:.3f} s ({cpu:.3f} s CPU)",
                baseline=f"{base[0]:.3f} s ({base[1]:.3f} s CPU) python -c pass",
                ratio=f"+{wall - base[0]:.3f} s",
                target=f"< {TARGET} s",
                met=wall < TARGET,
            )
        report.notes.append(
            f"best of {runs} alternated runs (by wall time), each a fresh interpreter; "
            f"load average at the end: {os.getloadavg()[0]:.1f}"
        )
    return report


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
