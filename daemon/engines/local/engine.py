"""LocalEngine: probe the sources, plan the edit, render it with one ffmpeg pass.

Analysis passes come first and only when the plan needs them: silencedetect per clip
for "remove silence", vidstabdetect for "stabilise". They read, never encode; the
picture is encoded once, by the render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from daemon.config import LocalSettings
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.local import fonts
from daemon.engines.local.ffmpeg import (
    build_render_args,
    build_silence_args,
    build_stabilize_args,
    music_path,
    planned_duration,
    transforms_path,
)
from daemon.engines.local.plan import EditPlan
from daemon.engines.local.prompt import plan_from
from daemon.engines.local.silence import parse_silences
from daemon.errors import PermanentError
from daemon.facts import source_facts
from daemon.media.probe import MediaInfo, probe
from daemon.media.render import run_analysis, run_ffmpeg
from daemon.metadata import output_metadata, with_metadata

# Share of the progress bar the stabilisation analysis pass takes (it decodes once more).
STABILIZE_SHARE = 40.0


class LocalEngine:
    """Free, offline, private: the default engine and the fallback."""

    name = "local"
    # The render pass writes the sources' capture metadata (daemon.retag need not remux).
    writes_metadata = True

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
        plan, notes = fonts.resolve_titles(plan)
        for note in notes:
            ctx.note(note)
            ctx.log.warning(note)
        music = music_path(plan, inputs)
        if music is not None and not music.is_file():
            raise PermanentError(f"music file not found: {music}")
        inputs = self._find_silences(plan, inputs, ctx)
        duration = planned_duration(plan, inputs)
        ctx.log.info("plan: {:.1f} s out of {} clip(s)", duration, len(inputs))
        progress = ctx.progress
        if plan.stabilize:
            progress = self._stabilize(plan, inputs, ctx, duration)
        argv = build_render_args(self.ffmpeg, plan, inputs, ctx.scratch, self.settings)
        facts = source_facts(job.sources)
        if facts:
            argv = with_metadata(argv, output_metadata(facts, job.rule.metadata))
        ctx.log.debug("ffmpeg: {}", " ".join(argv))
        try:
            run_ffmpeg(
                argv,
                expected_duration=duration,
                timeout=self.settings.timeout,
                on_progress=progress,
                cancel=ctx.cancel,
            )
        finally:
            transforms_path(ctx.scratch).unlink(missing_ok=True)
        return EngineResult(
            path=ctx.scratch, engine=self.name, notes=tuple(ctx.notes), expected_duration=duration
        )

    def _find_silences(
        self, plan: EditPlan, inputs: list[MediaInfo], ctx: JobContext
    ) -> list[MediaInfo]:
        if plan.silence is None:
            return inputs
        found = []
        for info in inputs:
            if not info.has_audio:
                found.append(info)
                continue
            argv = build_silence_args(self.ffmpeg, info, plan.silence)
            log = run_analysis(argv, timeout=self.settings.timeout, cancel=ctx.cancel)
            silences = parse_silences(log, info.duration)
            ctx.log.info("{}: {} silent stretch(es) to cut", info.path.name, len(silences))
            found.append(replace(info, silences=silences))
        return found

    def _stabilize(
        self, plan: EditPlan, inputs: list[MediaInfo], ctx: JobContext, duration: float
    ) -> Callable[[float], None]:
        argv = build_stabilize_args(self.ffmpeg, plan, inputs, ctx.scratch)
        run_ffmpeg(
            argv,
            expected_duration=duration,
            timeout=self.settings.timeout,
            on_progress=lambda pct: ctx.progress(pct * STABILIZE_SHARE / 100),
            cancel=ctx.cancel,
        )
        return lambda pct: ctx.progress(STABILIZE_SHARE + pct * (100 - STABILIZE_SHARE) / 100)

    def available(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release: each render's ffmpeg ends with its job."""
