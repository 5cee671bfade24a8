"""LocalEngine: probe the sources, plan the edit, render it with one ffmpeg pass.

Analysis passes come first and only when the plan needs them: silencedetect per clip
for "remove silence", one low-resolution scoring pass for highlights, vidstabdetect for
"stabilise". They read, never encode; the
picture is encoded once, by the render.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from daemon.config import LocalSettings
from daemon.editplan.plan import BYTES_PER_MB, SIZE_ATTEMPTS, EditPlan
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.local import datecaption, fonts, highlights
from daemon.engines.local.ffmpeg import (
    build_highlight_args,
    build_render_args,
    build_silence_args,
    build_stabilize_args,
    logo_path,
    music_path,
    transforms_path,
)
from daemon.engines.local.prompt import plan_from
from daemon.engines.local.silence import parse_silences
from daemon.engines.local.timeline import Timeline, timeline
from daemon.errors import PermanentError
from daemon.facts import source_facts
from daemon.media import hwprobe
from daemon.media.encoders import Encoder
from daemon.media.hwprobe import Selection
from daemon.media.probe import MediaInfo, probe
from daemon.media.render import run_analysis, run_ffmpeg
from daemon.metadata import OutputMetadata, output_metadata, with_metadata

# Each size retry aims this far under what the overshoot says would just fit.
SIZE_RETRY_MARGIN = 0.95
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
        self._selection: Selection | None = None
        self._pick_lock = threading.Lock()

    def run(self, job: JobSpec, ctx: JobContext) -> EngineResult:
        inputs = [probe(path) for path in job.sources]
        for info in inputs:
            if info.header_duration is not None:
                note = (
                    f"{info.path.name} is cut short (an incomplete copy?): "
                    f"{info.duration:.1f} s of {info.header_duration:.1f} s can be read"
                )
                ctx.note(note)
                ctx.log.warning(note)
        plan = plan_from(job.rule.prompt, job.rule.edits)
        for phrase in plan.ignored:
            ctx.note(f'ignored: "{phrase}"')
            ctx.log.warning('prompt not understood, ignored: "{}"', phrase)
        if plan.ignored and job.rule.strict:
            raise PermanentError(
                "strict rule: prompt not understood: " + "; ".join(f'"{p}"' for p in plan.ignored)
            )
        plan, dated = datecaption.with_capture_date(plan, inputs[0])
        plan, notes = fonts.resolve_titles(plan)
        notes = [*dated, *notes]
        for note in notes:
            ctx.note(note)
            ctx.log.warning(note)
        music = music_path(plan, inputs)
        if music is not None and not music.is_file():
            raise PermanentError(f"music file not found: {music}")
        logo = logo_path(plan, inputs)
        if logo is not None and not logo.is_file():
            raise PermanentError(f"logo image not found: {logo}")
        inputs = self._find_silences(plan, inputs, ctx)
        plan = self._find_highlights(plan, inputs, ctx)
        # The one timeline of this render: the analysis pass and the render share it.
        tl = timeline(plan, inputs)
        duration = tl.total
        ctx.log.info("plan: {:.1f} s out of {} clip(s)", duration, len(inputs))
        progress = ctx.progress
        if plan.stabilize:
            progress = self._stabilize(plan, inputs, tl, ctx)
        facts = source_facts(job.sources)
        # Capture time, place and device go into the output in the same pass (docs/metadata.md).
        meta = output_metadata(facts, job.rule.metadata) if facts else None
        try:
            self._render(plan, inputs, tl, ctx, progress, meta=meta)
        finally:
            transforms_path(ctx.scratch).unlink(missing_ok=True)
        return EngineResult(
            path=ctx.scratch, engine=self.name, notes=tuple(ctx.notes), expected_duration=tl.total
        )

    def _render(
        self,
        plan: EditPlan,
        inputs: list[MediaInfo],
        tl: Timeline,
        ctx: JobContext,
        progress: Callable[[float], None],
        *,
        meta: OutputMetadata | None,
    ) -> None:
        """Encode once; with a size limit, measure the file and encode again lower while it
        is over (never hand on a file over the asked size)."""
        scale, limit = 1.0, plan.max_bytes
        enc = self.encoder(ctx).encoder
        for attempt in range(1, SIZE_ATTEMPTS + 1):

            def encode(enc: Encoder, scale: float = scale) -> None:
                argv = build_render_args(
                    self.ffmpeg,
                    plan,
                    inputs,
                    tl,
                    output=ctx.scratch,
                    settings=self.settings,
                    size_scale=scale,
                    encoder=enc,
                )
                if meta is not None:
                    argv = with_metadata(argv, meta)
                ctx.log.debug("ffmpeg: {}", " ".join(argv))
                run_ffmpeg(
                    argv,
                    expected_duration=tl.total,
                    timeout=self.settings.timeout,
                    on_progress=progress,
                    cancel=ctx.cancel,
                )

            enc = self._encode_or_fall_back(encode, enc, ctx)
            if limit is None:
                return
            size = ctx.scratch.stat().st_size
            if size <= limit:
                ctx.note(f"size {size / BYTES_PER_MB:.1f} MB (limit {limit / BYTES_PER_MB:g} MB)")
                return
            ctx.log.info("encode {} is {} bytes, over {}: again lower", attempt, size, limit)
            scale *= limit / size * SIZE_RETRY_MARGIN
        ctx.scratch.unlink(missing_ok=True)
        raise PermanentError(
            f"could not make the file smaller than {(limit or 0) / BYTES_PER_MB:g} MB "
            f"in {SIZE_ATTEMPTS} encodes; cut it shorter or allow a bigger file"
        )

    def encoder(self, ctx: JobContext) -> Selection:
        """The encoder this engine uses, chosen once (a test encode for `auto`)."""
        with self._pick_lock:
            if self._selection is None:
                s = self.settings
                self._selection = hwprobe.pick(self.ffmpeg, s.encoder, s.codec)
                ctx.log.info("encoder: {}", self._selection.reason)
            return self._selection

    @staticmethod
    def _encode_or_fall_back(
        encode: Callable[[Encoder], None], enc: Encoder, ctx: JobContext
    ) -> Encoder:
        """Encode with `enc`; when a hardware encoder fails, encode again in software
        (this job only) and say so. Return the encoder that made the file."""
        try:
            encode(enc)
            return enc
        except PermanentError as exc:
            if not enc.hardware:
                raise
            soft = enc.software()
            note = (
                f"hardware encoder {enc.ffmpeg_name} failed ({exc}); "
                f"encoded with {soft.ffmpeg_name} instead"
            )
            ctx.note(note)
            ctx.log.warning(note)
            encode(soft)
            return soft

    def _find_highlights(
        self, plan: EditPlan, inputs: list[MediaInfo], ctx: JobContext
    ) -> EditPlan:
        """Score the clip in one low-resolution pass and turn the highlight into trims."""
        if plan.highlight is None:
            return plan
        if len(inputs) != 1:
            raise PermanentError(
                f"highlights are picked from one clip at a time; this job combines {len(inputs)}"
            )
        argv = build_highlight_args(self.ffmpeg, inputs[0])
        log = run_analysis(argv, timeout=self.settings.timeout, cancel=ctx.cancel)
        plan, lines = highlights.resolve(plan, inputs[0], log)
        for line in lines:
            ctx.log.info("{}", line)
        ctx.note(lines[-1])
        return plan

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
        self, plan: EditPlan, inputs: list[MediaInfo], tl: Timeline, ctx: JobContext
    ) -> Callable[[float], None]:
        argv = build_stabilize_args(self.ffmpeg, plan, inputs, tl, ctx.scratch)
        run_ffmpeg(
            argv,
            expected_duration=tl.total,
            timeout=self.settings.timeout,
            on_progress=lambda pct: ctx.progress(pct * STABILIZE_SHARE / 100),
            cancel=ctx.cancel,
        )
        return lambda pct: ctx.progress(STABILIZE_SHARE + pct * (100 - STABILIZE_SHARE) / 100)

    def available(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release: each render's ffmpeg ends with its job."""
