"""NemoEngine: the Engine protocol over NemoVideo, with the pause on out-of-credits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
from loguru import logger

from daemon.config import Config, NemoSettings
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.nemo import constants as C
from daemon.engines.nemo.auth import TokenStore
from daemon.engines.nemo.client import NemoClient
from daemon.engines.nemo.errors import NemoError, NemoOutOfCredits
from daemon.engines.nemo.models import Credits
from daemon.engines.nemo.session import ENGINE_NAME, NemoJob, Shrinker, shrinker_for
from daemon.media.tools import find_ffmpeg


def make_http(settings: NemoSettings) -> httpx.Client:
    """The one httpx.Client the engine uses; tests pass their own instead."""
    return httpx.Client(base_url=settings.api_base, timeout=httpx.Timeout(settings.request_timeout))


class NemoEngine:
    """Edits videos in the NemoVideo cloud. Unavailable while out of credits."""

    name = ENGINE_NAME

    def __init__(
        self,
        settings: NemoSettings,
        state_dir: Path,
        *,
        http: httpx.Client | None = None,
        env: Mapping[str, str] | None = None,
        shrinker: Shrinker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        credits_check_every: float = C.CREDITS_CHECK_EVERY,
    ) -> None:
        self.settings = settings
        self._owns_http = http is None
        self.http = http if http is not None else make_http(settings)
        self.tokens = TokenStore(state_dir, env)
        self.client = NemoClient(self.http, self.tokens, settings, sleep=sleep)
        self._shrinker = shrinker
        self._clock = clock
        self._credits_check_every = credits_check_every
        self._lock = threading.Lock()
        self._paused_since: float | None = None
        self._last_credits_check = 0.0

    def run(self, job: JobSpec, ctx: JobContext) -> EngineResult:
        if self._paused_since is not None:
            raise NemoOutOfCredits(f"NemoVideo jobs are paused. {self._how_to_get_credits()}")
        try:
            with self.client.cancelled_by(ctx.cancel):
                return NemoJob(self.client, self.settings, job, ctx, shrinker=self._shrinker).run()
        except NemoOutOfCredits as exc:
            self._pause(ctx)
            detail = f"{exc.detail}. " if exc.detail else ""
            raise NemoOutOfCredits(detail + self._how_to_get_credits()) from None

    def available(self) -> bool:
        """True unless out of credits; while paused, ask the service at most every 10 min."""
        with self._lock:
            if self._paused_since is None:
                return True
            now = self._clock()
            if now - self._last_credits_check < self._credits_check_every:
                return False
            self._last_credits_check = now
        try:
            credits = self.client.credits()
        except NemoError as exc:
            logger.debug("NemoVideo credits check failed: {}", exc.reason)
            return False
        if credits.available <= 0:
            return False
        with self._lock:
            self._paused_since = None
        logger.info("NemoVideo has {:g} credits again: NemoVideo jobs resume", credits.available)
        return True

    def credits(self) -> Credits:
        return self.client.credits()

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def _pause(self, ctx: JobContext) -> None:
        with self._lock:
            first = self._paused_since is None
            if first:
                self._paused_since = self._clock()
                self._last_credits_check = self._paused_since
        if first:
            ctx.log.error(
                "NemoVideo is out of credits: NemoVideo jobs are paused (local jobs go on) until "
                "credits come back (checked every {:.0f} min) or the daemon restarts. {}",
                self._credits_check_every / 60,
                self._how_to_get_credits(),
            )

    def _how_to_get_credits(self) -> str:
        if self.tokens.from_env:
            return "Top up the credits of the account whose token is in $NEMO_TOKEN."
        bind_id = self.tokens.bind_id()
        url = C.REGISTER_BIND_URL.format(bind_id=bind_id) if bind_id else C.REGISTER_URL
        return (
            f"For more credits, register at {url} (this links the anonymous account to yours) "
            "and set $NEMO_TOKEN to your account's token."
        )


def create_nemo_engine(config: Config) -> NemoEngine:
    """Build the engine for a loaded config (the token files live in config.state_dir)."""
    return NemoEngine(
        config.nemo, config.state_dir, shrinker=_lazy_shrinker(config.ffmpeg, config.local.timeout)
    )


def _lazy_shrinker(configured: str | None, timeout: float) -> Shrinker:
    # ffmpeg is looked up only when a rule actually needs shrinking, so a machine with
    # no ffmpeg can still use NemoVideo for files under the limit.
    def run(source: Path, dest: Path, ctx: JobContext) -> Path:
        return shrinker_for(find_ffmpeg(configured), timeout)(source, dest, ctx)

    return run


def credits_summary(config: Config) -> str:
    """One line for `videofree credits`. Raise NemoError when the service cannot say."""
    engine = create_nemo_engine(config)
    try:
        credits = engine.credits()
        source = engine.tokens.describe()
    finally:
        engine.close()
    return (
        f"NemoVideo credits: {credits.available:g} available, {credits.frozen:g} frozen, "
        f"{credits.total:g} total ({source})"
    )
