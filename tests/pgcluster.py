"""A throwaway PostgreSQL cluster in a temporary directory, for tests and bench/.

Uses the distribution's binaries (`apt-get install postgresql`: /usr/lib/postgresql/*/bin)
or any initdb on PATH. initdb refuses to run as root, so as root the cluster belongs to
`nobody` (through runuser). It listens on 127.0.0.1 on a free port with `trust` auth:
nothing outside this machine can reach it, and it is gone when the context ends.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

USER = "videofree"
NO_POSTGRES = (
    "no PostgreSQL binaries (initdb, pg_ctl) found: install the distribution's postgresql "
    "package to run the shared-ledger tests"
)


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *argv] if os.geteuid() == 0 else argv


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yield its URL (database `postgres`, user `videofree`)."""
    bins = bin_dir()
    if bins is None:
        raise FileNotFoundError(NO_POSTGRES)
    # Not under pytest's tmp dir: that is 0700 to root, and the cluster runs as nobody.
    root = Path(tempfile.mkdtemp(prefix="videofree-pg-"))
    data = root / "data"
    port = _free_port()
    try:
        if os.geteuid() == 0:
            os.chown(root, 65534, 65534)  # nobody
        subprocess.run(
            _as_owner(
                [str(bins / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_owner(
                [
                    str(bins / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(root / "log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_owner([str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database `name` on the cluster; return its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"'.encode())
        db.execute(f'CREATE DATABASE "{name}"'.encode())
    return server_url.rsplit("/", 1)[0] + f"/{name}"
