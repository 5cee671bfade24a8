"""One NemoVideo job, step by step, with a checkpoint after every step.

    check sources → token → session (+ review link) → upload → draft before
    → prompt (SSE, once ever; export phrases stripped) → state until the draft changed
    → render (one id; one more after `failed`) → poll → download → EngineResult

The checkpoint (saved in the ledger at once) holds ids and flags only, never the token:

    step          the last step finished: session | uploaded | prompted | edited | rendering
    session_id    task_id     uploaded (names of files already uploaded)
    draft_before  a fingerprint of the draft before the prompt: the edit is the change
    prompt_sent   set once the service took the prompt (HTTP 200 and the stream began, or
                  no answer in time): a restart never sends it a second time. A refusal
                  before that leaves it unset, so the next attempt sends the prompt.
    last_text     the last thing the agent said (the reason when nothing can be exported)
    render_id     set BEFORE the export request: a restart polls this render, never a new one
    render_posted the export request was accepted
    render_retried a render ended `failed` and the one new render was started
    claim_logged  the review link was logged for this job
    restarts      how often the job started over in a new session after a 1002

A 1002 (session gone) is the one case that starts the job over, as the service asks: the
old session and its draft no longer exist, so nothing can be reused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon.config import NemoSettings
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.nemo import constants as C
from daemon.engines.nemo.client import DuplicateRender, NemoClient
from daemon.engines.nemo.errors import (
    NemoEditChangedNothing,
    NemoError,
    NemoNothingToExport,
    NemoOutOfCredits,
    NemoRejected,
    NemoSessionGone,
    NemoTransientError,
)
from daemon.engines.nemo.models import RenderStatus, SessionState
from daemon.engines.nemo.prompt import edit_prompt
from daemon.engines.nemo.shrink import check_source, shrink
from daemon.engines.nemo.sse import EditOutcome, run_sse
from daemon.engines.nemo.timeline import Timeline, fingerprint, parse_draft, summary
from daemon.errors import Cancelled, PermanentError

ENGINE_NAME = "nemo"
# Starting over after a lost session more than once in one run points at a service problem.
_MAX_RESTARTS = 1
_MP4_MARK = b"ftyp"
STEPS = ("session", "uploaded", "prompted", "edited", "rendering")

Shrinker = Callable[[Path, Path, JobContext], Path]


class NemoJob:
    """Runs one job against NemoVideo, resuming from `ctx.checkpoint`."""

    def __init__(
        self,
        client: NemoClient,
        settings: NemoSettings,
        job: JobSpec,
        ctx: JobContext,
        *,
        shrinker: Shrinker | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.settings = settings
        self.job = job
        self.ctx = ctx
        self.log = ctx.log
        self.cp: dict[str, Any] = dict(ctx.checkpoint)
        self._shrinker = shrinker
        self._clock = clock
        self._wall_clock = wall_clock

    def run(self) -> EngineResult:
        if not self.job.prompt.strip():
            raise PermanentError("engine nemo needs a prompt on the rule", fallback_ok=True)
        oversize = [
            check_source(p, shrink_oversize=self.job.rule.shrink_oversize) for p in self.job.sources
        ]
        while True:
            try:
                return self._steps(oversize)
            except NemoSessionGone:
                restarts = int(self.cp.get("restarts", 0)) + 1
                self.cp = {"restarts": restarts}
                self._save()
                if restarts > _MAX_RESTARTS:
                    raise NemoSessionGone(
                        "NemoVideo lost the session again (1002); the job will start over "
                        "on its next attempt"
                    ) from None
                self.log.warning(
                    "NemoVideo session not found (1002): starting this job over in a new session"
                )

    # -- steps -----------------------------------------------------------------------

    def _steps(self, oversize: list[bool]) -> EngineResult:
        session_id = self._session()
        self._review_link(session_id)
        self._upload(session_id, oversize)
        draft, timeline = self._edit(session_id)
        self.log.info("{}", summary(timeline))
        render_id, status = self._render_until_done(session_id, draft)
        return self._download(render_id, status)

    def _session(self) -> str:
        if "session_id" in self.cp:
            return str(self.cp["session_id"])
        self._check_cancel()
        info = self.client.create_session()
        self._save(step="session", session_id=info.session_id, task_id=info.task_id)
        self.log.info("NemoVideo session {} created", info.session_id)
        return info.session_id

    def _review_link(self, session_id: str) -> None:
        if self.cp.get("claim_logged"):
            return
        try:
            claim = self.client.claim_token(str(self.cp.get("task_id", "")), session_id)
        except NemoOutOfCredits:
            raise
        except NemoError as exc:
            self.log.warning("no review link for this job: {}", exc.reason)
        else:
            self.log.info(
                "review in the NemoVideo editor: {}", C.CLAIM_URL.format(claim_token=claim)
            )
        self._save(claim_logged=True)

    def _upload(self, session_id: str, oversize: list[bool]) -> None:
        done: list[str] = list(self.cp.get("uploaded", []))
        for index, (path, too_big) in enumerate(zip(self.job.sources, oversize, strict=True)):
            key = f"{index}:{path.name}"
            if key in done:
                continue
            self._check_cancel()
            sent = self._shrunk(path, index) if too_big else path
            try:
                files = self.client.upload(session_id, sent)
            finally:
                if sent != path:
                    sent.unlink(missing_ok=True)
            if files is None:
                self._confirm_upload(session_id, sent.name, len(done) + 1)
                self.log.info("uploaded {} (confirmed by the session state)", path.name)
            for f in files or ():
                self.log.info(
                    "uploaded {} ({})", path.name, _describe(f.duration, f.width, f.height)
                )
            done.append(key)
            self._save(uploaded=done)
        self._advance("uploaded")

    def _confirm_upload(self, session_id: str, name: str, count: int) -> None:
        """The upload answer listed no files: the session state must show the upload."""
        infos = self.client.state(session_id).video_infos
        names = {str(i.get(k)) for i in infos for k in ("filename", "name", "file_name")}
        if name not in names and len(infos) < count:
            raise NemoTransientError(f"NemoVideo did not confirm the upload of {name}")

    def _shrunk(self, path: Path, index: int) -> Path:
        if self._shrinker is None:
            raise PermanentError("shrink_oversize needs ffmpeg, and none was found")
        dest = self.ctx.scratch.with_name(f"{self.ctx.scratch.name}.shrink{index}.mp4")
        self.log.info(
            "{} is over {} MB: re-encoding it smaller before upload",
            path.name,
            C.MAX_UPLOAD_BYTES // 1_000_000,
        )
        return self._shrinker(path, dest, self.ctx)

    def _edit(self, session_id: str) -> tuple[dict[str, Any], Timeline]:
        """Have the agent edit the draft; return the edited draft (never the one before)."""
        ask = edit_prompt(self.job.prompt)
        if ask.stripped:
            self.log.debug(
                "not sent to the agent (the export is the render call): {}",
                "; ".join(ask.stripped),
            )
        if not ask.text:
            self.log.info("the prompt asks for nothing but the export: rendering the upload")
            return self._exportable(self.client.state(session_id), said=None)
        before = self._draft_before(session_id)
        outcome = self._prompt(session_id, ask.text)
        return self._changed_state(session_id, before, outcome)

    def _draft_before(self, session_id: str) -> str | None:
        """The fingerprint of the draft before the prompt (None: an older checkpoint that
        has none, so any exportable draft counts as the edit)."""
        if "draft_before" in self.cp or self.cp.get("prompt_sent"):
            saved = self.cp.get("draft_before")
            return str(saved) if saved is not None else None
        self._check_cancel()
        before = fingerprint(self.client.state(session_id).draft)
        self._save(draft_before=before)
        return before

    def _prompt(self, session_id: str, text: str) -> EditOutcome:
        if self._reached("edited"):
            return EditOutcome(texts=_texts(self.cp.get("last_text")))
        if self.cp.get("prompt_sent"):
            self.log.info(
                "the edit prompt was already sent for this job; not sending it "
                "again, reading the session state"
            )
            return EditOutcome(texts=_texts(self.cp.get("last_text")), broken=True)
        self._check_cancel()
        self.log.info("sending the edit prompt to NemoVideo")
        outcome = run_sse(
            self.client,
            session_id,
            text,
            log=self.log,
            cancel=self.ctx.cancel,
            timeout=self.settings.sse_timeout,
            on_taken=self._prompt_taken,
        )
        _raise_for_agent_error(outcome)
        if not outcome.texts and not outcome.broken:
            self.log.info("the edit stream closed without a word; checking the session state")
        self._save(last_text=outcome.last_text)
        self._advance("edited")
        return outcome

    def _prompt_taken(self) -> None:
        # Saved the moment the service may have the prompt: from here on, a restart or a
        # retry reads the state and never pays for the edit a second time.
        self._save(prompt_sent=True)
        self._advance("prompted")

    def _changed_state(
        self, session_id: str, before: str | None, outcome: EditOutcome
    ) -> tuple[dict[str, Any], Timeline]:
        """Re-read the state until the draft differs from `before`; return the new draft.

        The edit often lands seconds after the stream ends (silent, broken or not), so the
        state is polled up to `change_deadline`. Raise NemoEditChangedNothing when the draft
        never changed: rendering it would deliver the unedited video.
        """
        give_up = self._clock() + self.settings.change_deadline
        every = min(self.settings.poll_interval, C.STATE_POLL_EVERY)
        said = outcome.last_text or self.cp.get("last_text") or outcome.error
        while True:
            state = self.client.state(session_id)
            changed = before is None or fingerprint(state.draft) != before
            if changed and parse_draft(state.draft).exportable:
                return self._exportable(state, said=said)
            if self._clock() >= give_up:
                if changed:
                    return self._exportable(state, said=said)
                reason = f"; NemoVideo said: {said}" if said else ""
                raise NemoEditChangedNothing(
                    f"the edit changed nothing within {self.settings.change_deadline:.0f} s "
                    f"({summary(parse_draft(state.draft))}){reason}",
                    fallback_ok=True,
                )
            self._wait(every)

    def _exportable(self, state: SessionState, *, said: object) -> tuple[dict[str, Any], Timeline]:
        timeline = parse_draft(state.draft)
        if state.draft is None or not timeline.exportable:
            reason = f"; NemoVideo said: {said}" if said else ""
            raise NemoNothingToExport(
                f"the edit left nothing to export ({summary(timeline)}){reason}"
            )
        return dict(state.draft), timeline

    def _render_until_done(
        self, session_id: str, draft: dict[str, Any]
    ) -> tuple[str, RenderStatus]:
        """Render and poll; a render that ends `failed` gets one new id, then the job fails."""
        render_id = self._render(session_id, draft)
        while True:
            status = self._poll(render_id)
            if status.status != "failed":
                return render_id, status
            reason = status.error or "no reason given"
            if self.cp.get("render_retried"):
                raise NemoRejected(f"NemoVideo render failed twice: {reason}")
            failed_id = render_id
            render_id = self._new_render_id(after=failed_id)
            self.log.warning(
                "render {} failed ({}); rendering once more as {}", failed_id, reason, render_id
            )
            self._save(render_retried=True)
            self._post_render(render_id, session_id, draft)
            self._save(render_posted=True)

    def _render(self, session_id: str, draft: dict[str, Any]) -> str:
        render_id = self.cp.get("render_id")
        if render_id and self.cp.get("render_posted"):
            self.log.info("resuming render {}", render_id)
            return str(render_id)
        if render_id and self.client.render_status(str(render_id)) is not None:
            self._save(render_posted=True)
            self._advance("rendering")
            self.log.info("resuming render {}", render_id)
            return str(render_id)
        render_id = str(render_id) if render_id else self._new_render_id()
        try:
            self._post_render(render_id, session_id, draft)
        except DuplicateRender:
            render_id = self._new_render_id(after=render_id)
            self.log.info("render id refused as a duplicate; retrying once as {}", render_id)
            self._post_render(render_id, session_id, draft)
        self._save(render_posted=True)
        self._advance("rendering")
        self.log.info("render {} requested", render_id)
        return render_id

    def _post_render(self, render_id: str, session_id: str, draft: dict[str, Any]) -> None:
        self._check_cancel()
        # Saved before posting: a restart polls this id instead of paying for a new render.
        self._save(render_id=render_id, render_posted=False)
        self.client.start_render(render_id, session_id, draft)

    def _new_render_id(self, after: str | None = None) -> str:
        stamp = int(self._wall_clock() * 1000)
        fresh = f"render_{stamp}"
        if fresh == after:
            fresh = f"render_{stamp + 1}"
        return fresh

    def _poll(self, render_id: str) -> RenderStatus:
        """Poll until the render is completed or failed (returned) or past its deadline."""
        # The deadline counts from this run's first poll, so a restarted daemon gives a
        # render that was already running a full window instead of failing it at once.
        deadline = self._clock() + self.settings.render_deadline
        last_logged: tuple[str, int] | None = None
        while True:
            status = self.client.render_status(render_id)
            if status is None:
                raise NemoRejected(f"NemoVideo no longer knows render {render_id}")
            pct = int(status.progress) if status.progress is not None else None
            if pct is not None:
                self.ctx.progress(float(pct))
            shown = (status.status, (pct or 0) // 10)
            if shown != last_logged:
                self.log.info("render {}{}", status.status, f" {pct} %" if pct is not None else "")
                last_logged = shown
            if status.status in ("completed", "failed"):
                return status
            if self._clock() >= deadline:
                minutes = self.settings.render_deadline / 60
                raise PermanentError(
                    f"NemoVideo render {render_id} did not finish within {minutes:.0f} min",
                    fallback_ok=True,
                )
            self._wait(self.settings.poll_interval)

    def _download(self, render_id: str, status: RenderStatus) -> EngineResult:
        dest = self.ctx.scratch
        got = 0
        if status.output_url:
            try:
                got = self.client.download(status.output_url, dest, self.ctx.cancel)
            except NemoError as exc:
                self.log.warning(
                    "download from the render URL failed ({}); trying the proxy", exc.reason
                )
        if not _looks_like_mp4(dest, got):
            got = self.client.download_render(render_id, dest, self.ctx.cancel)
        if not _looks_like_mp4(dest, got):
            raise NemoTransientError(f"the download of render {render_id} is not an MP4")
        self.ctx.progress(100.0)
        self.log.info("downloaded the render ({:.1f} MB)", got / 1_000_000)
        return EngineResult(path=dest, engine=ENGINE_NAME, notes=tuple(self.ctx.notes))

    # -- helpers ---------------------------------------------------------------------

    def _save(self, **updates: Any) -> None:
        self.cp.update(updates)
        self.ctx.checkpoint = dict(self.cp)
        self.ctx.save_checkpoint(dict(self.cp))

    def _reached(self, step: str) -> bool:
        current = self.cp.get("step")
        return current in STEPS and STEPS.index(current) >= STEPS.index(step)

    def _advance(self, step: str) -> None:
        """Record `step` as reached, never moving the checkpoint backwards."""
        if not self._reached(step):
            self._save(step=step)

    def _check_cancel(self) -> None:
        if self.ctx.cancel.is_set():
            raise Cancelled

    def _wait(self, seconds: float) -> None:
        if self.ctx.cancel.wait(seconds):
            raise Cancelled


def _raise_for_agent_error(outcome: EditOutcome) -> None:
    """An agent error that will not go away by reading the state ends the job here."""
    code = outcome.error_code
    detail = outcome.error or ""
    if code == C.CODE_OUT_OF_CREDITS:
        raise NemoOutOfCredits(detail)
    if code in (C.CODE_UNSUPPORTED_FILE, C.CODE_FILE_TOO_LARGE):
        raise NemoRejected(f"NemoVideo refused the file ({code}): {detail}")


def _texts(last: object) -> tuple[str, ...]:
    return (last,) if isinstance(last, str) and last else ()


def _describe(duration: float | None, width: int | None, height: int | None) -> str:
    parts = []
    if duration is not None:
        parts.append(f"{duration:.1f} s")
    if width and height:
        parts.append(f"{width}x{height}")
    return ", ".join(parts) or "accepted"


def _looks_like_mp4(path: Path, size: int) -> bool:
    """A cheap check that the bytes are an MP4 and not, say, an HTML error page."""
    if size <= 8 or not path.exists():
        return False
    with path.open("rb") as handle:
        return handle.read(12)[4:8] == _MP4_MARK


def shrinker_for(ffmpeg: str, timeout: float) -> Shrinker:
    """Bind the local ffmpeg to the shrink step."""

    def run(source: Path, dest: Path, ctx: JobContext) -> Path:
        return shrink(
            ffmpeg, source, dest, timeout=timeout, on_progress=lambda _p: None, cancel=ctx.cancel
        )

    return run
