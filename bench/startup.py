"""CLI start-up: `videofree status`, `check` and `plan` against `python -c pass`.

Each command runs in a fresh interpreter on a generated rules.yaml, alternated with the
baseline; the best (least disturbed) wall time of each is reported. Target: < 0.15 s.

    python bench/startup.py [--quick]
"""

from __future__ import annotations

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


def _once(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


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
        best = {name: float("inf") for name in ["pass", *commands]}
        for _ in range(runs):
            best["pass"] = min(best["pass"], _once(base_argv))
            for name, argv in commands.items():
                best[name] = min(best[name], _once(argv))
        for name in commands:
            report.add(
                f"videofree {name}",
                f"{best[name]:.3f} s",
                baseline=f"{best['pass']:.3f} s (python -c pass)",
                ratio=f"+{best[name] - best['pass']:.3f} s",
                target=f"< {TARGET} s",
                met=best[name] < TARGET,
            )
        report.notes.append(f"best of {runs} alternated runs, each a fresh interpreter")
    return report


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
