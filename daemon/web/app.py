"""The Starlette app: pages, /api/jobs, /metrics, /healthz, guarded by security.Guard.

Every path parameter is a job id or a fixed word; no part of a request ever becomes a
file path (pictures are found by job id, files to plan for by job id too).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from daemon.checkup import config_warnings, ffmpeg_error, rule_warnings
from daemon.config import Config, load_config
from daemon.errors import JobError, VideofreeError
from daemon.ledger import JobRecord, JobState, LedgerBackend
from daemon.media.probe import probe
from daemon.rules import match_rule, path_in_watch
from daemon.web import metrics, views
from daemon.web.joblog import JobLog
from daemon.web.security import CSRF_FIELD, REALM, SECURITY_HEADERS, Guard
from daemon.web.thumbs import Kind, thumb_path

# Unauthenticated: a load balancer or systemd probe may ask, and it says nothing private.
OPEN_PATHS = frozenset({"/healthz"})
# Where explain()'s command lines begin: the job page shows the plan in words only.
PLAN_COMMAND_HEADINGS = ("ffmpeg:", "analysis pass")


@dataclass
class WebContext:
    """What the page reads and the one thing it may change (retry)."""

    ledger: LedgerBackend
    config: Callable[[], Config]
    ffmpeg: Callable[[], str]
    thumbs: Path
    joblog: JobLog
    counters: metrics.MetricsListener
    credits: metrics.CreditsCache
    guard: Guard
    requeued: Callable[[int], None]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


class GuardMiddleware:
    """Host check, password, and the security headers on every response."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        denied: Response | None = None
        if not self.guard.host_ok(headers.get("host")):
            denied = PlainTextResponse("unknown Host name", status_code=421)
        elif scope["path"] not in OPEN_PATHS and not self.guard.authorized(
            headers.get("authorization")
        ):
            denied = PlainTextResponse(
                "password required",
                status_code=401,
                headers={"www-authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if denied is not None:
            await denied(scope, receive, send_secured)
        else:
            await self.app(scope, receive, send_secured)


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("daemon.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["states"] = [str(s) for s in JobState]
    return env


@functools.lru_cache(maxsize=2048)
def _media(path: str, size: int, mtime_ns: int) -> float | None:
    """An output's duration, probed once per file version."""
    del size, mtime_ns  # part of the cache key only
    try:
        return probe(Path(path)).duration
    except JobError:
        return None


def _output_facts(job: JobRecord) -> tuple[int | None, float | None]:
    if job.output is None or job.state is not JobState.DONE:
        return None, None
    try:
        st = os.stat(job.output)
    except OSError:
        return None, None
    return st.st_size, _media(str(job.output), st.st_size, st.st_mtime_ns)


def create_app(ctx: WebContext) -> ASGIApp:  # noqa: PLR0915 - the routes are closures over ctx
    """Build the app over `ctx`."""
    env = _templates()

    def page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("csrf", ctx.guard.csrf_token)
        values.setdefault("csrf_field", CSRF_FIELD)
        return HTMLResponse(env.get_template(name).render(**values), status_code=status)

    def counts() -> dict[str, int]:
        return {str(s): ctx.ledger.count(s) for s in JobState}

    def job_or_404(request: Request) -> JobRecord | None:
        return ctx.ledger.get(int(request.path_params["job_id"]))

    async def job_list(request: Request) -> Response:
        state = views.state_filter(request.query_params.get("state"))
        by_state = counts()
        total = by_state[str(state)] if state else sum(by_state.values())
        pg = views.page_of(request.query_params.get("page"), None, total)
        jobs = ctx.ledger.jobs(states=[state] if state else (), limit=pg.size, offset=pg.offset)
        now = ctx.clock()
        rows = [views.row(j, now, *_output_facts(j)) for j in jobs]
        return page("jobs.html", rows=rows, page=pg, state=state, counts=by_state)

    async def job_page(request: Request) -> Response:
        job = job_or_404(request)
        if job is None:
            return page("missing.html", status=404, job_id=request.path_params["job_id"])
        r = views.row(job, ctx.clock(), *_output_facts(job))
        thumbs = {k: thumb_path(ctx.thumbs, job.id, k).is_file() for k in Kind}
        return page(
            "job.html",
            r=r,
            job=job,
            plan=_plan_text(ctx, job),
            log=ctx.joblog.lines(job.id),
            thumbs=thumbs,
            thumb_list=",".join(k for k, there in thumbs.items() if there),
            folder=str(job.output.parent) if job.output else None,
        )

    async def thumb(request: Request) -> Response:
        kind = Kind(request.path_params["kind"])
        path = thumb_path(ctx.thumbs, int(request.path_params["job_id"]), kind)
        if not path.is_file():
            return PlainTextResponse("no picture yet", status_code=404)
        return FileResponse(path, media_type="image/jpeg")

    async def retry(request: Request) -> Response:
        guard = ctx.guard
        form = await request.form()
        token = form.get(CSRF_FIELD)
        if not guard.origin_ok(
            request.headers.get("origin"), request.headers.get("host")
        ) or not guard.csrf_ok(token if isinstance(token, str) else None):
            return PlainTextResponse(
                "refused: not sent from this page (reload it and try again)", status_code=403
            )
        job_id = int(request.path_params["job_id"])
        if ctx.ledger.retry(job_id) is None:
            return PlainTextResponse("only failed or done jobs can be retried", status_code=409)
        ctx.requeued(job_id)
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    async def rules_page(request: Request) -> Response:
        config = ctx.config()
        check = _check(config)
        typed = request.query_params.get("path", "").strip()
        matched = None
        if typed:
            # A typed path is only matched as text: nothing on disk is read.
            candidate = Path(typed).expanduser()
            relative = path_in_watch(config.watch, candidate)
            found = match_rule(config.rules, candidate.name, relative)
            matched = found.name if found else ""
        return page(
            "rules.html",
            config=config,
            check=check,
            typed=typed,
            matched=matched,
            engine_for=config.engine_for,
            credits=_credits_text(ctx, config),
        )

    async def try_page(request: Request) -> Response:
        jobs = ctx.ledger.jobs(limit=100)
        chosen = request.query_params.get("job", "")
        prompt = request.query_params.get("prompt", "")
        result = None
        if prompt.strip():
            source = None
            if chosen.isdigit() and (job := ctx.ledger.get(int(chosen))) is not None:
                source = job.source
            result = _explain(ctx, prompt, source)
        return page("try.html", jobs=jobs, chosen=chosen, prompt=prompt, result=result)

    async def api_jobs(request: Request) -> Response:
        state = views.state_filter(request.query_params.get("state"))
        by_state = counts()
        total = by_state[str(state)] if state else sum(by_state.values())
        q = request.query_params
        pg = views.page_of(q.get("page"), q.get("per_page"), total)
        jobs = ctx.ledger.jobs(states=[state] if state else (), limit=pg.size, offset=pg.offset)
        headers = {"x-total-count": str(total), "x-page": str(pg.number)}
        if pg.number < pg.last:
            headers["link"] = f'</api/jobs?page={pg.number + 1}&per_page={pg.size}>; rel="next"'
        return JSONResponse([j.as_json() for j in jobs], headers=headers)

    async def api_job(request: Request) -> Response:
        job = job_or_404(request)
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        thumbs = [str(k) for k in Kind if thumb_path(ctx.thumbs, job.id, k).is_file()]
        return JSONResponse({**job.as_json(), "thumbs": thumbs})

    async def metrics_page(_request: Request) -> Response:
        snap = metrics.Snapshot(counts(), ctx.counters.counters(), ctx.credits.get())
        return PlainTextResponse(metrics.render(snap), media_type=metrics.CONTENT_TYPE)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    static = StaticFiles(directory=str(resources.files("daemon.web") / "static"))
    routes = [
        Route("/", job_list),
        Route("/jobs/{job_id:int}", job_page),
        Route("/jobs/{job_id:int}/{kind:str}.jpg", thumb_route(thumb)),
        Route("/jobs/{job_id:int}/retry", retry, methods=["POST"]),
        Route("/rules", rules_page),
        Route("/try", try_page),
        Route("/api/jobs", api_jobs),
        Route("/api/jobs/{job_id:int}", api_job),
        Route("/metrics", metrics_page),
        Route("/healthz", healthz),
        Mount("/static", static, name="static"),
    ]
    # Outside Starlette's own error handler, so even a 500 carries the security headers.
    return GuardMiddleware(Starlette(routes=routes), ctx.guard)


def thumb_route(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Only the two fixed picture names reach the handler."""

    async def checked(request: Request) -> Response:
        if request.path_params["kind"] not in {str(k) for k in Kind}:
            return PlainTextResponse("not found", status_code=404)
        return await handler(request)

    return checked


def _check(config: Config) -> str:
    """`videofree check`'s verdict on the rules file as it is on disk now."""
    if config.source is None:
        return f"OK, {len(config.rules)} rule(s)"
    try:
        fresh = load_config(config.source)
        if (error := ffmpeg_error(fresh)) is not None:
            raise error
    except VideofreeError as exc:
        return f"{config.source} has errors (the daemon keeps the last good rules):\n{exc}"
    lines = [f"{config.source}: OK, {len(fresh.rules)} rule(s)"]
    for rule in fresh.rules:
        lines += [f"{rule.name}: warning: {w}" for w in rule_warnings(fresh, rule)]
    lines += [f"warning: {w}" for w in config_warnings(fresh)]
    return "\n".join(lines)


def _credits_text(ctx: WebContext, config: Config) -> str | None:
    if not any(config.engine_for(r) == "nemo" for r in config.rules):
        return None
    value = ctx.credits.get()
    return "unknown (the service did not answer)" if value is None else f"{value:g} available"


def _explain(ctx: WebContext, prompt: str, source: Path | None) -> str:
    from daemon.engines.local.explain import explain  # noqa: PLC0415 - only for this page

    config = ctx.config()
    try:
        return explain(prompt, None, source, config.local, ctx.ffmpeg())
    except VideofreeError as exc:
        return f"cannot plan this: {exc}"


def _plan_text(ctx: WebContext, job: JobRecord) -> str | None:
    """The local engine's plan for the job's rule and source (a NemoVideo job's edit
    happens in the cloud: its notes say what was done)."""
    from daemon.engines.local.explain import explain  # noqa: PLC0415 - only for this page
    from daemon.scheduler import spec_rule  # noqa: PLC0415

    rule = spec_rule(job)
    if job.engine != "local" or not (rule.prompt.strip() or rule.edits):
        return None
    source = job.source if job.source.is_file() else None
    try:
        text = explain(rule.prompt, rule.edits, source, ctx.config().local, ctx.ffmpeg())
    except VideofreeError as exc:
        return f"cannot show the plan: {exc}"
    return plan_summary(text)


def plan_summary(text: str) -> str:
    """The plan in words, without the ffmpeg command lines (`videofree plan` shows those)."""
    lines = text.splitlines()
    cut = next(
        (i for i, line in enumerate(lines) if line.startswith(PLAN_COMMAND_HEADINGS)), len(lines)
    )
    return "\n".join(lines[:cut])
