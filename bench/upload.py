"""Upload: memory and speed while a big file streams to a loopback NemoVideo-like server.

The NemoVideo engine's own upload step (`NemoClient.upload`, on the engine's own httpx
client from `make_http`) runs in a child process whose RSS is sampled from /proc every
20 ms (and its kernel peak, VmHWM, reset just before the upload); `curl -F` sends the same
file to the same server as the baseline (alternated, medians). Targets: RSS growth
< 30 MB; throughput >= 0.9x curl's.

    python bench/upload.py [--quick] [--size-mb N]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import common

SAMPLE_EVERY = 0.02
GROWTH_TARGET_MB = 30.0
SPEED_TARGET = 0.9
SESSION = "bench-session"


class Sampler:
    """Peak RSS of a process, read from /proc every SAMPLE_EVERY seconds in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, common.rss_kb(self.pid))
            time.sleep(SAMPLE_EVERY)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the uploading child -------------------------------------------------------------------


def child(path: Path, url: str, state: Path) -> int:
    """Build the engine's client, say ready, upload on "go", print what it measured."""
    from daemon.config import NemoSettings
    from daemon.engines.nemo.auth import TokenStore
    from daemon.engines.nemo.client import NemoClient
    from daemon.engines.nemo.engine import make_http

    settings = NemoSettings(api_base=url, request_timeout=600)
    http = make_http(settings)
    client = NemoClient(http, TokenStore(state, env={"NEMO_TOKEN": "nmv_bench_token"}), settings)
    print("ready", flush=True)
    sys.stdin.readline()
    rss_before = common.status_kb(os.getpid(), "VmRSS")
    try:
        # "5" resets the peak RSS counter (VmHWM) to the current RSS (Linux >= 4.0).
        Path("/proc/self/clear_refs").write_text("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
    started = time.monotonic()
    client.upload(SESSION, path)
    seconds = time.monotonic() - started
    hwm = common.status_kb(os.getpid(), "VmHWM")
    http.close()
    result = {"seconds": seconds, "rss_before_kb": rss_before, "hwm_kb": hwm, "reset": hwm_reset}
    print(json.dumps(result), flush=True)
    return 0


def engine_upload(path: Path, url: str, state: Path) -> dict[str, float]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(path), url, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=common.child_env(),
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise common.BenchError("the upload child did not start")
        with Sampler(proc.pid) as sampler:
            proc.stdin.write("go\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        if proc.wait(timeout=60) != 0 or not line:
            raise common.BenchError("the engine's upload failed (see the traceback above)")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    got = json.loads(line)
    peak = max(sampler.peak_kb, got["hwm_kb"] if got["reset"] else 0)
    return {
        "seconds": got["seconds"],
        "growth_mb": (peak - got["rss_before_kb"]) / 1024,
        "sampled_growth_mb": (sampler.peak_kb - got["rss_before_kb"]) / 1024,
        "rss_before_mb": got["rss_before_kb"] / 1024,
    }


def curl_upload(path: Path, url: str) -> dict[str, float]:
    """curl's own transfer time (-w time_total), like the child's: process start-up excluded.

    `Expect:` (empty) stops curl's 100-continue round trip, which httpx does not make
    either: with it, curl lost 50-150 ms per upload here, which is not a fair baseline.
    """
    argv = [
        "curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{time_total}", "-H", "Expect:",
        "-H", "Authorization: Bearer nmv_bench", "-F", f"files=@{path};type=video/mp4",
        f"{url}/api/upload-video/nemo_agent/me/{SESSION}",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    with Sampler(proc.pid) as sampler:
        out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise common.BenchError(f"curl failed with exit code {proc.returncode}")
    return {"seconds": float(out.strip()), "peak_mb": sampler.peak_kb / 1024}


# --- the run -------------------------------------------------------------------------------


def start_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parent / "loopback_server.py")],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    port = server.stdout.readline().strip()
    if not port.isdigit():
        server.kill()
        server.wait()
        raise common.BenchError("the loopback server did not start")
    return server, f"http://127.0.0.1:{port}"


def run(args: object) -> common.Report:
    quick = getattr(args, "quick", False)
    size_mb = getattr(args, "size_mb", None) or (50 if quick else 500)
    repeats = 3  # cheap even in full mode; one run of a small file is mostly noise
    report = common.Report("upload", f"Upload: a {size_mb} MB file to a loopback server")
    if shutil.which("curl") is None:
        raise common.BenchError("curl is not installed: no baseline to compare with")
    with common.workdir("upload", getattr(args, "keep", False)) as root:
        video = root / "big.mp4"
        with video.open("wb") as f:
            f.truncate(size_mb * 1_000_000)  # sparse: made on the fly, no disk written
        server, url = start_server()
        try:
            ours, theirs = [], []
            for _ in range(repeats):
                ours.append(engine_upload(video, url, root / "state"))
                theirs.append(curl_upload(video, url))
        finally:
            server.terminate()
            server.wait(timeout=10)
    growth = max(r["growth_mb"] for r in ours)
    report.add(
        "engine upload: peak RSS growth (worst run)",
        f"{growth:.1f} MB",
        baseline=f"{max(r['peak_mb'] for r in theirs):.1f} MB curl peak",
        target=f"< {GROWTH_TARGET_MB:g} MB",
        met=growth < GROWTH_TARGET_MB,
    )
    mine = size_mb / common.median([r["seconds"] for r in ours])
    base = size_mb / common.median([r["seconds"] for r in theirs])
    report.add(
        "engine upload: throughput (median)",
        f"{mine:.0f} MB/s",
        baseline=f"{base:.0f} MB/s curl",
        ratio=common.fmt_ratio(mine, base),
        target=f">= {SPEED_TARGET:g}x",
        met=mine / base >= SPEED_TARGET,
    )
    sampled = ", ".join(f"{r['sampled_growth_mb']:.1f}" for r in ours)
    report.notes.append(
        f"{repeats} alternated runs; RSS before upload {ours[0]['rss_before_mb']:.1f} MB; "
        f"growth sampled every 20 ms: {sampled} MB (VmHWM included in the worst-run figure)"
    )
    report.notes.append(
        "server: bench/loopback_server.py (upload endpoint only); client: "
        "daemon.engines.nemo NemoClient.upload on make_http(); times exclude process start-up"
    )
    return report


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        return child(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, help="file size in MB (default 500, quick 50)")
    args = p.parse_args()
    return common.run_main(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
