"""LocalEngine: probe the sources, plan the edit, render it with one ffmpeg pass."""

from __future__ import annotations

from daemon.config import LocalSettings
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.local.ffmpeg import build_render_args, planned_duration
from daemon.engines.local.probe import probe
from daemon.engines.local.prompt import plan_from
from daemon.engines.local.render import run_ffmpeg
from daemon.errors import PermanentError


class LocalEngine:
    """Free, offline, private: the default engine and the fallback."""

    name = "local"

    def __init__(self, settings: LocalSettings, ffmpeg: str) -> None:
        self.settings = settings
        self.ffmpeg = ffmpeg

    def run(self, job: JobSpec, ctx: JobContext) -> EngineResult:
        inputs = [probe(path) for path in job.sources]
        plan = plan_from(job.rule.prompt, job.rule.edits)
        for phrase in plan.ignored:
            ctx.note(f'ignored: "{phrase}"')
            ctx.log.warning('prompt not understood, ignored: "{}"', phrase)
        if plan.ignored and job.rule.strict:
            raise PermanentError(
                "strict rule: prompt not understood: " + "; ".join(f'"{p}"' for p in plan.ignored)
            )
        argv = build_render_args(self.ffmpeg, plan, inputs, ctx.scratch, self.settings)
        ctx.log.debug("ffmpeg: {}", " ".join(argv))
        run_ffmpeg(
            argv,
            expected_duration=planned_duration(plan, inputs),
            timeout=self.settings.timeout,
            on_progress=ctx.progress,
            cancel=ctx.cancel,
        )
        return EngineResult(path=ctx.scratch, engine=self.name, notes=tuple(ctx.notes))

    def available(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release: each render's ffmpeg ends with its job."""
