"""Build engines by name, lazily: a daemon that never runs a cloud job never touches it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from daemon.config import Config
from daemon.engines.base import Engine
from daemon.engines.local.engine import LocalEngine
from daemon.errors import PermanentError


class Engines:
    """The engines of one configuration; `get` builds each on first use."""

    def __init__(self, config: Config, ffmpeg: str) -> None:
        self._config = config
        self._ffmpeg = ffmpeg
        self._built: dict[str, Engine] = {}
        self._lock = threading.Lock()
        self._users = 0
        self._retired = False

    def get(self, name: str) -> Engine:
        with self._lock:
            if name not in self._built:
                self._built[name] = self._build(name)
            return self._built[name]

    def _build(self, name: str) -> Engine:
        if name == "local":
            return LocalEngine(self._config.local, self._ffmpeg)
        if name == "nemo":
            from daemon.engines.nemo import create_nemo_engine  # noqa: PLC0415 - httpx only if used

            engine: Engine = create_nemo_engine(self._config)
            return engine
        raise PermanentError(f"unknown engine {name!r}")

    @contextmanager
    def using(self) -> Iterator[Engines]:
        """Hold these engines open for one job, even if a reload retires them meanwhile."""
        with self._lock:
            self._users += 1
        try:
            yield self
        finally:
            with self._lock:
                self._users -= 1
                last = self._retired and self._users == 0
            if last:
                self.close()

    def retire(self) -> None:
        """A reload replaced these engines: close them now, or when their last job ends."""
        with self._lock:
            self._retired = True
            idle = self._users == 0
        if idle:
            self.close()

    def close(self) -> None:
        with self._lock:
            for engine in self._built.values():
                engine.close()
            self._built.clear()
