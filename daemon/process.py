"""`videofree process FILE`: one file, edited now, through the same ledger and runner as
the daemon (so a file done here is never done again by the daemon, and vice versa)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from daemon.config import Config, Rule
from daemon.engines.registry import Engines
from daemon.errors import VideofreeError
from daemon.fileio import fingerprint
from daemon.ledger import JobRecord, JobState, LedgerBackend, open_ledger
from daemon.media.tools import find_ffmpeg
from daemon.procs import Owner, videofree_alive
from daemon.queue import queue_job
from daemon.rules import match_rule, path_in_watch
from daemon.scheduler import Runner
from daemon.verify import output_check

# How often `process` looks at a job another videofree process is making (the running
# daemon claims a queued job within ~2 s, so it often takes the one `process` just queued).
FOLLOW_SECONDS = 0.5


class ProcessError(VideofreeError):
    """`process` cannot start: no such file, no rule, a rule name that does not exist."""


@dataclass(frozen=True)
class Override:
    """What the command line may change about the rule: all optional."""

    rule: str | None = None
    prompt: str | None = None
    engine: str | None = None
    output: Path | None = None


def rule_for(config: Config, path: Path, override: Override) -> Rule:
    """The rule `process` uses for `path`. Raise ProcessError when there is none."""
    matched = match_rule(config.rules, path.name, path_in_watch(config.watch, path))
    if override.prompt is not None:
        digest = hashlib.sha1(override.prompt.encode(), usedforsecurity=False).hexdigest()[:8]
        output = override.output or (matched or config.rules[0]).output
        rule = Rule(name=f"prompt-{digest}", glob=["*"], prompt=override.prompt, output=output)
    elif override.rule is not None:
        found = config.rule_named(override.rule)
        if found is None:
            names = ", ".join(r.name for r in config.rules)
            raise ProcessError(f"no rule named {override.rule!r}; rules: {names}")
        rule = found
    elif matched is None:
        raise ProcessError(f"{path.name}: no rule matches; pass --rule NAME or --prompt TEXT")
    else:
        rule = matched
    if override.engine:
        rule = rule.model_copy(update={"engine": override.engine})
    if override.output and override.prompt is None:
        rule = rule.model_copy(update={"output": override.output})
    return rule


@dataclass(frozen=True)
class Outcome:
    """The job's record (done, failed, or queued again after a transient error), and
    whether it was finished before this call (the same content processed earlier)."""

    record: JobRecord
    earlier: bool = False


def process(
    config: Config,
    path: Path,
    override: Override,
    cancel: threading.Event,
    notice: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Queue `path` (or find the job already made for this content) and run it here, or
    follow it to its end when another videofree process (the daemon) took it first;
    `notice` is told so. Setting `cancel` stops the job (or the wait) and leaves it to the
    daemon. Raise ProcessError when it cannot start."""
    if not path.is_file():
        raise ProcessError(f"{path}: no such file")
    rule = rule_for(config, path, override)
    ledger = open_ledger(
        config.ledger,
        config.state_dir,
        concurrency=1,
        lease_seconds=config.lease_seconds,
        worker=True,
    )
    try:
        record, earlier = queue_job(ledger, config, rule, [path], fingerprint(path))
        if record is None:
            if earlier is None:  # deleted between the insert and the lookup
                raise ProcessError("the ledger changed underneath; try again")
            if earlier.state in (JobState.DONE, JobState.FAILED):
                return Outcome(earlier, earlier=True)
            record = earlier
        ffmpeg = find_ffmpeg(config.ffmpeg)
        # The daemon's check of the output before it is placed: an edit that lost its
        # picture or stopped short is not delivered as done.
        runner = Runner(config, ledger, Engines(config, ffmpeg), verify=output_check(ffmpeg))
        runner.cancel = cancel
        try:
            with runner.lease_keeper():  # a shared ledger: others must see this job alive
                final = runner.run_job(record.id)
        finally:
            runner.engines.close()
        if final is not None and final.state is JobState.RUNNING:
            notice(
                f"job {final.id} is being made by another videofree process (the daemon);"
                " waiting for it to finish"
            )
            final = _follow(ledger, final, cancel)
        if final is None:
            raise ProcessError("the job vanished from the ledger")
        return Outcome(final)
    finally:
        ledger.close()


def _follow(ledger: LedgerBackend, record: JobRecord, cancel: threading.Event) -> JobRecord | None:
    """Wait while another process runs the job; return its record once it has ended (done,
    failed, or queued again after a passing error), `cancel` is set, or (on this machine's
    ledger) the process that claimed it is gone: its next start resumes it."""
    latest: JobRecord | None = record
    while latest is not None and latest.state is JobState.RUNNING:
        owner = Owner(latest.owner_pid, latest.owner_start) if latest.owner_pid else None
        if not ledger.shared and owner is not None and not videofree_alive(owner):
            break
        if cancel.wait(FOLLOW_SECONDS):
            break
        latest = ledger.get(record.id)
    return latest
