"""Shared helpers for the bench scripts: the real daemon on temp folders, test clips,
/proc readings, percentiles, and one result format that prints as a table.

Every script reports rows of (metric, result, baseline, ratio, target, verdict), the
baseline measured in the same run, and writes them to bench/results/<script>.json so
run_all.py can combine them. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# The one daemon harness and clip generator, shared with the tests.
sys.path.insert(0, str(REPO))

from tests import mediagen  # noqa: E402
from tests.e2e import daemonproc  # noqa: E402
from tests.e2e.daemonproc import DaemonProcess, HarnessError, child_env  # noqa: E402

__all__ = ["DaemonProcess", "child_env"]

RESULTS = BENCH_DIR / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Source of the `daemon` package under test: the working tree, or a `git archive` of --rev.
_SOURCE: dict[str, Path | None] = {"path": None}


# --- arguments and the code under test ---------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a smoke run of seconds")
    p.add_argument(
        "--rev",
        metavar="REV",
        help="benchmark this git revision (exported to a temp dir) instead of the working tree",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp folders (paths printed)")
    return p


def use_source(rev: str | None) -> None:
    """Make `import daemon` (here and in children) load `rev` when given; else the tree."""
    if not rev:
        return
    target = Path(tempfile.mkdtemp(prefix="vf-bench-src-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    _SOURCE["path"] = target
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(target), os.environ.get("PYTHONPATH", "")) if p
    )
    import atexit

    atexit.register(shutil.rmtree, target, ignore_errors=True)


def compile_source() -> None:
    """Write the bytecode of the `daemon` under test, as `pip install` does for an
    installed package. Without it, a checkout run with PYTHONDONTWRITEBYTECODE=1 (some CI
    and sandbox machines set it) compiles every module from source at every start: +20 ms
    for `check` and +50 ms for `plan` here, time no installed videofree spends."""
    import compileall

    compileall.compile_dir(str((_SOURCE["path"] or REPO) / "daemon"), quiet=1)


@contextlib.contextmanager
def workdir(name: str, keep: bool = False) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=f"vf-bench-{name}-"))
    try:
        yield root
    finally:
        if keep:
            print(f"(kept {root})")
        else:
            shutil.rmtree(root, ignore_errors=True)


# --- media ---------------------------------------------------------------------------------


def ffmpeg_exe() -> str:
    return mediagen.FFMPEG


def make_clip(
    path: Path, *, duration: float = 1.0, size: tuple[int, int] = (320, 180), seed: int = 0
) -> Path:
    """A testsrc2 + sine H.264/AAC clip (tests/mediagen.py); `seed` makes its content
    differ from other clips'."""
    return mediagen.make_clip(path, duration=duration, size=size, seed=seed)


def variant(src: bytes, seed: int) -> bytes:
    """Same clip, different bytes: a trailing free-space MP4 box carrying `seed`."""
    payload = f"bench-{seed}".encode()
    box = (8 + len(payload)).to_bytes(4, "big") + b"free" + payload
    return src + box


# --- config and the daemon process -----------------------------------------------------------


def write_config(root: Path, **overrides: Any) -> Path:
    """The harness's rules.yaml (inbox/, out/, state/ under `root`) with the bench's
    defaults: one rule with a prompt, settle 5 s, and the baselines' own ffmpeg."""
    for name in ("inbox", "out", "state"):
        (root / name).mkdir(exist_ok=True)
    rule: dict[str, Any] = {
        "name": "clips",
        "glob": ["*.mp4", "*.mov"],
        "prompt": overrides.pop("prompt", "export as a 1080p MP4"),
        "output": str(root / "out"),
    }
    bench: dict[str, Any] = {
        "settle_seconds": 5,
        "rescan_seconds": 60,
        "concurrency": 2,
        "local": {"preset": "veryfast"},
        # The same binary the baselines run, whatever is on PATH.
        "ffmpeg": ffmpeg_exe(),
        "rules": [rule],
    }
    return daemonproc.write_config(root, **{**bench, **overrides})


def wait_for(
    cond: Callable[[], Any],
    timeout: float,
    what: str,
    daemon: DaemonProcess | None = None,
    poll: float = 0.05,
) -> Any:
    """The harness's wait_for, polling faster: the bench measures these moments."""
    return daemonproc.wait_for(cond, timeout, what, daemon, poll)


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to: it ran and missed a target)."""


# --- the ledger, read from outside -----------------------------------------------------------


def ledger_jobs(state_dir: Path) -> list[dict[str, Any]]:
    """Every job row of `<state_dir>/jobs.db` (empty when there is no ledger yet)."""
    path = state_dir / "jobs.db"
    if not path.exists():
        return []
    db = sqlite3.connect(path, timeout=10)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM jobs ORDER BY id")]
    except sqlite3.OperationalError:
        return []  # the daemon is still creating the schema
    finally:
        db.close()


def epoch(iso: str | None) -> float | None:
    """A ledger timestamp (ISO 8601 with offset) as Unix seconds."""
    return datetime.fromisoformat(iso).timestamp() if iso else None


# --- /proc -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuTimes:
    """Seconds of CPU from /proc/<pid>/stat: the process's own and its reaped children's."""

    utime: float
    stime: float
    cutime: float
    cstime: float

    @property
    def own(self) -> float:
        return self.utime + self.stime

    @property
    def children(self) -> float:
        return self.cutime + self.cstime

    def __sub__(self, other: CpuTimes) -> CpuTimes:
        return CpuTimes(
            self.utime - other.utime,
            self.stime - other.stime,
            self.cutime - other.cutime,
            self.cstime - other.cstime,
        )


def cpu_times(pid: int) -> CpuTimes:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    # Fields 14-17 of stat(5) are utime, stime, cutime, cstime; `fields` starts at field 3.
    utime, stime, cutime, cstime = (int(x) / CLK_TCK for x in fields[11:15])
    return CpuTimes(utime, stime, cutime, cstime)


def status_kb(pid: int, key: str = "VmRSS") -> int:
    """A kB value from /proc/<pid>/status (VmRSS, VmHWM, ...); 0 if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


def rss_kb(pid: int) -> int:
    """Resident set size from /proc/<pid>/statm (cheaper to read than status)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


# --- numbers ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear between closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- results ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One measured figure against its same-run baseline and its target."""

    metric: str
    result: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: bool | None = None  # None: nothing to judge

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "-"}[self.met]


@dataclass
class Report:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    quick: bool = False

    def add(self, *args: Any, **kwargs: Any) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for row, raw in zip(self.rows, data["rows"], strict=True):
            raw["verdict"] = row.verdict
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        rows = [Row(**{k: v for k, v in r.items() if k != "verdict"}) for r in data["rows"]]
        return cls(data["name"], data["title"], rows, data["notes"], data["seconds"], data["quick"])


HEADERS = ("metric", "result", "baseline", "ratio", "target", "verdict")


def table(rows: Sequence[Row], prefix: str = "") -> list[list[str]]:
    return [[prefix + r.metric, r.result, r.baseline, r.ratio, r.target, r.verdict] for r in rows]


def render_text(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def render_markdown(headers: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return "\n".join(lines)


def finish(report: Report, started: float) -> None:
    """Print the report and save it as bench/results/<name>.json."""
    report.seconds = round(time.monotonic() - started, 1)
    print()
    print(f"{report.title}  ({report.seconds:.0f} s{', quick' if report.quick else ''})")
    print(render_text(HEADERS, table(report.rows)))
    for note in report.notes:
        print(f"  note: {note}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{report.name}.json").write_text(json.dumps(report.to_json(), indent=2))


def run_main(body: Callable[[argparse.Namespace], Report], args: argparse.Namespace) -> int:
    """Run one script's body: 0 when it ran (whatever the verdicts), 1 when it could not."""
    use_source(args.rev)
    compile_source()
    started = time.monotonic()
    try:
        report = body(args)
    except (BenchError, HarnessError, OSError, subprocess.CalledProcessError) as exc:
        print(f"bench could not run: {exc}", file=sys.stderr)
        return 1
    report.quick = args.quick
    finish(report, started)
    return 0


def fmt_ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline > 0 else "-"


# --- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, AttributeError):
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if m:
            ram = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    ffmpeg = "unknown"
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True).stdout
        ffmpeg = " ".join(out.splitlines()[0].split()[:3])
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "ffmpeg": ffmpeg,
    }


# --- the local engine's own command ----------------------------------------------------------


def engine_argv(
    sources: Sequence[Path], output: Path, prompt: str, preset: str = "veryfast", crf: int = 20
) -> tuple[tuple[str, ...] | None, str]:
    """The ffmpeg argv the local engine would run for `prompt` on `sources`, built by the
    engine's own pure functions, and a one-line account of its plan. (None, why) when
    the engine cannot build it (it is still growing: the failure is reported, not fatal)."""
    try:
        from daemon.config import LocalSettings
        from daemon.engines.local.ffmpeg import build_render_args
        from daemon.engines.local.prompt import plan_from
        from daemon.engines.local.timeline import timeline
        from daemon.media.probe import probe

        plan = plan_from(prompt, None)
        inputs = [probe(s) for s in sources]
        settings = LocalSettings(preset=preset, crf=crf)
        argv = build_render_args(
            ffmpeg_exe(), plan, inputs, timeline(plan, inputs), output=output, settings=settings
        )
    except Exception as exc:
        return None, f"the engine could not build a command: {type(exc).__name__}: {exc}"
    ignored = getattr(plan, "ignored", ())
    summary = "plan understood fully" if not ignored else f"ignored: {'; '.join(ignored)}"
    return tuple(argv), summary


def run_quiet(argv: Sequence[str], timeout: float = 600) -> float:
    """Run a command to completion, output discarded; return its wall time in seconds."""
    started = time.monotonic()
    subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
        timeout=timeout,
    )
    return time.monotonic() - started
