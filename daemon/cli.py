"""The `videofree` command: parse arguments, call the library, print. Nothing more.

Exit codes: 0 ok, 1 a failure or a config problem, 2 bad usage.
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from daemon import __version__
from daemon.errors import ConfigError, VideofreeError
from daemon.paths import read_config_mapping, read_state_dir, resolve_config_path
from daemon.terminal import printable

if TYPE_CHECKING:
    from daemon.config import Config
    from daemon.ledger import JobRecord, LedgerBackend

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# What a shell reports for a program ended by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _out_now(text: str) -> None:
    """A line said before a wait: flushed, so a pipe or a log sees it at once."""
    _out(text)
    sys.stdout.flush()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videofree", description="A hands-off video inbox: phone videos in, edited MP4s out."
    )
    parser.add_argument("--version", action="version", version=f"videofree {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help="rules.yaml to use (default: $VIDEOFREE_CONFIG, then ~/.config/videofree/rules.yaml)",
    )
    common.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", parents=[common], help="write rules.yaml from the example")
    p.add_argument("--force", action="store_true", help="overwrite an existing rules.yaml")
    sub.add_parser("run", parents=[common], help="run the daemon in the foreground")
    p = sub.add_parser(
        "check", parents=[common], help="validate rules.yaml; show the rule and output for FILES"
    )
    p.add_argument("files", nargs="*", metavar="FILE")
    p = sub.add_parser("process", parents=[common], help="edit one file now")
    p.add_argument("file", metavar="FILE")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--rule", metavar="NAME", help="use this rule (default: the matching rule)")
    how.add_argument("--prompt", metavar="TEXT", help="use this edit prompt")
    p.add_argument("--engine", choices=["local", "nemo"], help="override the rule's engine")
    p.add_argument("--output", metavar="DIR", help="output folder (with --prompt)")
    p = sub.add_parser("status", parents=[common], help="list jobs")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.add_argument("--limit", type=int, default=50, help="newest N jobs (0: all)")
    p = sub.add_parser("workers", parents=[common], help="list workers on a shared ledger")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p = sub.add_parser("retry", parents=[common], help="queue a failed job again")
    p.add_argument("job_id", type=int, metavar="JOB_ID")
    p = sub.add_parser(
        "plan", parents=[common], help="show the local edit plan and ffmpeg command for a prompt"
    )
    p.add_argument("prompt", nargs="?", metavar="PROMPT")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--rule", metavar="NAME", help="plan this rule's prompt and edits: instead")
    sub.add_parser("credits", parents=[common], help="show NemoVideo credits")
    p = sub.add_parser(
        "install-service", parents=[common], help="install the systemd user unit for this config"
    )
    p.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="print the unit instead of writing it",
    )
    return parser


def entry() -> NoReturn:
    """The `videofree` program: main() in a process that ends when it returns.

    Start-up allocates some 100,000 long-lived objects (imports, the rules.yaml models, the
    prompt grammar) and next to no garbage. The cyclic collector would walk them again and
    again while they load, and once more at exit: ~25 ms of a 0.15 s `check` or `plan`.
    So it is off while a command loads and at exit; a long-running command turns it back
    on once loaded (_loaded), with what was loaded frozen out of its sight.
    """
    gc.disable()
    # Secrets kept in ~/.config/videofree/env (the unit's EnvironmentFile=) count in a
    # terminal too: `videofree run` there must behave as the service does. Done here, not
    # in main(), so in-process callers (tests) keep their environment as it is.
    from daemon.envfile import load_user_env_file  # noqa: PLC0415

    load_user_env_file()
    code = main()
    gc.freeze()
    raise SystemExit(code)


def _loaded() -> None:
    """A long-running command has loaded what it needs: collect garbage from here on.
    (No-op when main() was called with the collector on, as tests do.)"""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in _UNLOGGED:
        from daemon import log  # noqa: PLC0415 - loguru costs ~0.1 s; status never logs

        log.setup(args.log_level)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        _err(exc.render())
        return EXIT_FAIL
    except VideofreeError as exc:
        _err(f"videofree: {exc}")
        return EXIT_FAIL
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _config_path(args: argparse.Namespace) -> Path:
    return resolve_config_path(args.config)


def _load(args: argparse.Namespace) -> Config:
    # pydantic and the models cost ~0.1 s to import: only commands that read rules pay it.
    from daemon.config import load_config  # noqa: PLC0415

    return load_config(_config_path(args))


def example_rules_text() -> str:
    """The example rules.yaml shipped with the package."""
    from importlib import resources  # noqa: PLC0415 - ~10 ms that only `init` needs

    return resources.files("daemon").joinpath("rules.example.yaml").read_text(encoding="utf-8")


# --- commands ------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    path = _config_path(args)
    if path.exists() and not args.force:
        _err(f"{path} exists; edit it, or pass --force to replace it with the example")
        return EXIT_FAIL
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example_rules_text(), encoding="utf-8")
    config = _load(args)
    folders = [w.path for w in config.watch] + [r.output for r in config.rules]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    _out(f"wrote {path}")
    for folder in dict.fromkeys(folders):
        _out(f"folder ready: {folder}")
    _out("next: `videofree check`, then `videofree run` (or `videofree install-service`)")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from daemon.app import Daemon  # noqa: PLC0415 - keeps `status` and `check` light

    config = _load(args)
    daemon = Daemon(config)

    def stop(signum: int, _frame: FrameType | None) -> None:
        del signum
        daemon.stop_event.set()

    def reload(signum: int, _frame: FrameType | None) -> None:
        del signum
        daemon.request_reload()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    _loaded()
    daemon.run_forever()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from daemon.checkup import config_warnings, ffmpeg_error, rule_warnings  # noqa: PLC0415

    config = _load(args)
    if (error := ffmpeg_error(config)) is not None:
        raise error  # `run` would stop on it: not OK
    _out(f"{config.source}: OK, {len(config.rules)} rule(s)")
    for rule in config.rules:
        engine = config.engine_for(rule)
        fallback = config.fallback_for(rule)
        _out(
            f"  {rule.name}: {', '.join(rule.glob)} → {rule.output} "
            f"[{engine}{' → ' + fallback if fallback else ''}]"
        )
        for line in rule_warnings(config, rule):
            _out(f"    warning: {line}")
    for line in config_warnings(config):
        _out(f"  warning: {line}")
    if args.files:
        _check_files(config, args.files)
    return EXIT_OK


def _check_files(config: Config, files: Sequence[str]) -> None:
    """Say, for each file, which rule takes it and where its edit would go."""
    # Reading capture facts loads PyAV: only when there are files to check.
    from daemon.facts import read_facts  # noqa: PLC0415
    from daemon.rules import (  # noqa: PLC0415
        NameFields,
        match_rule,
        numbered,
        output_path,
        path_in_watch,
    )
    from daemon.skips import skip_for  # noqa: PLC0415

    for name in files:
        path = Path(name).expanduser().absolute()
        matched = match_rule(config.rules, path.name, path_in_watch(config.watch, path))
        if matched is None:
            _out(f"{name}: no rule matches; it would be left alone")
            continue
        if (reason := skip_for(path, matched, read_facts)) is not None:
            _out(f"{name}: rule {matched.name} skips it: {reason}")
            continue
        fields = NameFields(
            source=path,
            rule=matched.name,
            engine=config.engine_for(matched),
            job=0,
            when=datetime.now().astimezone(),
        )
        target = output_path(matched.output, matched.output_name, fields)
        target = numbered(target, lambda p: p.exists())
        _out(f"{name}: rule {matched.name} ({config.engine_for(matched)}) → {target}")


def cmd_process(args: argparse.Namespace) -> int:
    from daemon.ledger import JobState  # noqa: PLC0415
    from daemon.process import Override, process  # noqa: PLC0415 - keeps `status` light

    config = _load(args)
    path = Path(args.file).expanduser().absolute()
    output = Path(args.output).expanduser().absolute() if args.output else None
    override = Override(rule=args.rule, prompt=args.prompt, engine=args.engine, output=output)
    cancel = threading.Event()
    interrupted: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        # Ctrl-C stops the job the way SIGTERM does: ffmpeg is stopped and the job left
        # queued. (A KeyboardInterrupt raised mid-job left ffmpeg running and the job
        # 'running' in the ledger.) A second Ctrl-C quits at once.
        interrupted.append(signum)
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A closed terminal (SIGHUP) would otherwise end it at once, the job left 'running'.
    signal.signal(signal.SIGHUP, stop)
    _loaded()
    outcome = process(config, path, override, cancel, notice=_out_now)
    record = outcome.record
    if outcome.earlier and record.state is JobState.DONE:
        _out(f"already done as job {record.id}: {record.output}")
        # --output or a changed rule do not make a new job for the same content and rule.
        _out(
            f"`videofree retry {record.id}` makes it again (with job {record.id}'s rule and output)"
        )
        return EXIT_OK
    if outcome.earlier:
        _err(
            f"job {record.id} failed before: {record.error}\n"
            f"run `videofree retry {record.id}` to try again"
        )
        return EXIT_FAIL
    code = _report(record)
    return EXIT_INTERRUPTED if code != EXIT_OK and signal.SIGINT in interrupted else code


def _report(record: JobRecord) -> int:
    from daemon.ledger import JobState  # noqa: PLC0415

    for note in record.notes:
        _out(f"note: {note}")
    if record.state is JobState.DONE:
        _out(str(record.output))
        return EXIT_OK
    if record.state is JobState.QUEUED:
        why = f" ({record.error})" if record.error else " (stopped)"
        _err(
            f"job {record.id} did not finish{why}; it stays queued: a running daemon, or the"
            " next `videofree run`, makes it"
        )
        return EXIT_FAIL
    if record.state is JobState.RUNNING:
        _err(
            f"job {record.id} is still with another videofree process, which stopped or"
            " was not waited for; `videofree status` shows how it ends (a stopped daemon"
            " resumes it at its next start)"
        )
        return EXIT_FAIL
    _err(f"job {record.id} failed: {record.error}")
    return EXIT_FAIL


def _ledger(args: argparse.Namespace) -> LedgerBackend:
    from daemon.ledger import open_ledger  # noqa: PLC0415

    path = _config_path(args)
    data = read_config_mapping(path)
    if data is not None and "ledger" not in data:
        # One machine: read leniently and without pydantic; the full config only to say
        # why it cannot be read.
        return open_ledger(None, read_state_dir(path) or _load(args).state_dir)
    from daemon.config import ledger_of, state_dir_of  # noqa: PLC0415

    return open_ledger(ledger_of(path), state_dir_of(path))


def cmd_status(args: argparse.Namespace) -> int:
    from daemon.ledger import JobState  # noqa: PLC0415

    ledger = _ledger(args)
    try:
        jobs = ledger.jobs(limit=args.limit or None)
    finally:
        ledger.close()
    if args.json:
        _out(json.dumps([j.as_json() for j in jobs], indent=2))
        return EXIT_OK
    if not jobs:
        _out("no jobs yet")
        return EXIT_OK
    # A shared ledger says which worker has (or made) each job.
    shared = any(j.worker for j in jobs)
    head = f"{'WORKER':<20} " if shared else ""
    # Wide enough for "running 100%": the columns after it stay lined up while jobs run.
    _out(f"{'ID':>4}  {'STATE':<12} {'RULE':<16} {'ENGINE':<6} {head}SOURCE → RESULT")
    for j in jobs:
        state = f"{j.state}" + (f" {j.progress:.0f}%" if j.state is JobState.RUNNING else "")
        result = printable(str(j.output) if j.output else (j.error or ""))
        name = printable(j.source.name)
        who = f"{(j.worker or '-')[:20]:<20} " if shared else ""
        _out(f"{j.id:>4}  {state:<12} {j.rule[:16]:<16} {j.engine:<6} {who}{name} → {result}")
        for note in j.notes:
            _out(f"{'':>6}{note}")
    return EXIT_OK


def cmd_workers(args: argparse.Namespace) -> int:
    from daemon.ledger import utcnow  # noqa: PLC0415

    ledger = _ledger(args)
    try:
        if not ledger.shared:
            _err("this ledger is SQLite on this machine: one worker; set ledger: for several")
            return EXIT_FAIL
        workers = ledger.workers()
    finally:
        ledger.close()
    if args.json:
        _out(json.dumps([w.as_json() for w in workers], indent=2))
        return EXIT_OK
    now = utcnow()
    _out(f"{'WORKER':<24} {'HEARTBEAT':>10} {'SLOTS':>5} {'ENGINES':<12} RUNNING")
    for w in workers:
        age = f"{(now - w.heartbeat_at).total_seconds():.0f} s ago"
        running = ", ".join(str(i) for i in w.running) or "-"
        engines = ",".join(w.engines)
        _out(f"{w.id[:24]:<24} {age:>10} {w.concurrency:>5} {engines:<12} {running}")
    return EXIT_OK


def cmd_retry(args: argparse.Namespace) -> int:
    ledger = _ledger(args)
    try:
        record = ledger.retry(args.job_id)
        if record is None:
            existing = ledger.get(args.job_id)
            if existing is None:
                _err(f"no job {args.job_id}")
            else:
                _err(f"job {args.job_id} is {existing.state}; only failed or done jobs are retried")
            return EXIT_FAIL
    finally:
        ledger.close()
    _out(f"job {record.id} queued again; a running daemon starts it within seconds")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from daemon.engines.local.explain import explain  # noqa: PLC0415
    from daemon.media.tools import find_ffmpeg  # noqa: PLC0415

    if args.rule is None:
        if args.prompt is None:
            _err("give a PROMPT, or --rule NAME")
            return EXIT_USAGE
        return _plan_prompt(args, args.prompt, args.file)
    config = _load(args)
    rule = config.rule_named(args.rule)
    if rule is None:
        _err(f"no rule named {args.rule!r}; rules: {', '.join(r.name for r in config.rules)}")
        return EXIT_FAIL
    # `plan --rule NAME FILE`: the one positional is the file.
    file_arg = args.file or args.prompt
    file = Path(file_arg).expanduser() if file_arg else None
    _out(explain(rule.prompt, rule.edits, file, config.local, find_ffmpeg(config.ffmpeg)))
    return EXIT_OK


def _plan_prompt(args: argparse.Namespace, prompt: str, file_arg: str | None) -> int:
    """`plan PROMPT [FILE]`: rules.yaml is optional here; only its local: and ffmpeg: are
    read (a broken one is said, and the defaults used)."""
    from daemon.config import LocalSettings, load_plan_settings  # noqa: PLC0415
    from daemon.engines.local.explain import explain  # noqa: PLC0415
    from daemon.media.tools import find_ffmpeg  # noqa: PLC0415

    path = _config_path(args)
    settings, configured_ffmpeg = LocalSettings(), None
    # No rules.yaml in the default place is normal here; one named with --config is read.
    if path.exists() or args.config:
        try:
            read = load_plan_settings(path)
            settings, configured_ffmpeg = read.local, read.ffmpeg
        except ConfigError as exc:
            _err(f"{exc}; planning with the default local settings")
    ffmpeg = find_ffmpeg(configured_ffmpeg)
    file = Path(file_arg).expanduser() if file_arg else None
    _out(explain(prompt, None, file, settings, ffmpeg))
    return EXIT_OK


def cmd_credits(args: argparse.Namespace) -> int:
    from daemon.engines.nemo import credits_summary  # noqa: PLC0415

    _out(credits_summary(_load(args)))
    return EXIT_OK


def cmd_install_service(args: argparse.Namespace) -> int:
    from daemon.service import executable, render_unit, unit_path  # noqa: PLC0415

    unit = render_unit(_load(args), executable())
    if args.print_only:
        _out(unit)
        return EXIT_OK
    target = unit_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(unit, encoding="utf-8")
    _out(f"wrote {target}")
    _out(
        "start it with:  systemctl --user daemon-reload && systemctl --user enable --now videofree"
    )
    _out("follow it with: journalctl --user -u videofree -f")
    return EXIT_OK


# Commands that print and never log: they skip loguru's import and set-up.
_UNLOGGED = frozenset({"status", "retry", "init", "check", "plan"})
_COMMANDS = {
    "init": cmd_init,
    "run": cmd_run,
    "check": cmd_check,
    "process": cmd_process,
    "status": cmd_status,
    "workers": cmd_workers,
    "retry": cmd_retry,
    "plan": cmd_plan,
    "credits": cmd_credits,
    "install-service": cmd_install_service,
}
