"""The `videofree` command: parse arguments, call the library, print. Nothing more.

Exit codes: 0 ok, 1 a failure or a config problem, 2 bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from types import FrameType

from daemon import __version__
from daemon import log as logsetup
from daemon.config import (
    Config,
    LocalSettings,
    Rule,
    load_config,
    resolve_config_path,
    state_dir_of,
)
from daemon.errors import ConfigError, VideofreeError
from daemon.ledger import JobRecord, JobState, Ledger

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
SERVICE_NAME = "videofree.service"


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logsetup.setup(args.log_level)
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
        return 130


def _config_path(args: argparse.Namespace) -> Path:
    return resolve_config_path(args.config)


def _load(args: argparse.Namespace) -> Config:
    return load_config(_config_path(args))


def example_rules_text() -> str:
    """The example rules.yaml shipped with the package."""
    return resources.files("daemon").joinpath("rules.example.yaml").read_text(encoding="utf-8")


# --- commands ------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    path = _config_path(args)
    if path.exists() and not args.force:
        _err(f"{path} exists; edit it, or pass --force to replace it with the example")
        return EXIT_FAIL
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example_rules_text(), encoding="utf-8")
    config = load_config(path)
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
    daemon.run_forever()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from daemon.rules import NameFields, match_rule, numbered, output_path  # noqa: PLC0415

    config = _load(args)
    _out(f"{config.source}: OK, {len(config.rules)} rule(s)")
    for rule in config.rules:
        engine = config.engine_for(rule)
        fallback = config.fallback_for(rule)
        _out(
            f"  {rule.name}: {', '.join(rule.glob)} → {rule.output} "
            f"[{engine}{' → ' + fallback if fallback else ''}]"
        )
    for name in args.files:
        path = Path(name).expanduser().absolute()
        rel = _relative_to_watch(config, path)
        matched = match_rule(config.rules, path.name, rel)
        if matched is None:
            _out(f"{name}: no rule matches; it would be left alone")
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
    return EXIT_OK


def _relative_to_watch(config: Config, path: Path) -> PurePosixPath:
    for folder in config.watch:
        if path.is_relative_to(folder.path):
            return PurePosixPath(path.relative_to(folder.path).as_posix())
    return PurePosixPath(path.name)


def cmd_process(args: argparse.Namespace) -> int:
    from daemon.app import queue_job  # noqa: PLC0415
    from daemon.engines.local.tools import find_ffmpeg  # noqa: PLC0415
    from daemon.engines.registry import Engines  # noqa: PLC0415
    from daemon.fileio import fingerprint  # noqa: PLC0415
    from daemon.scheduler import Runner  # noqa: PLC0415

    config = _load(args)
    path = Path(args.file).expanduser().absolute()
    if not path.is_file():
        _err(f"{args.file}: no such file")
        return EXIT_FAIL
    rule = _rule_for_process(config, path, args)
    if rule is None:
        return EXIT_FAIL
    ledger = Ledger.in_state_dir(config.state_dir)
    try:
        record, earlier = queue_job(ledger, config, rule, [path], fingerprint(path))
        if record is None:
            if earlier is None:  # deleted between the insert and the lookup
                _err("the ledger changed underneath; try again")
                return EXIT_FAIL
            if earlier.state is JobState.DONE:
                _out(f"already done as job {earlier.id}: {earlier.output}")
                return EXIT_OK
            if earlier.state is JobState.FAILED:
                _err(
                    f"job {earlier.id} failed before: {earlier.error}\n"
                    f"run `videofree retry {earlier.id}` to try again"
                )
                return EXIT_FAIL
            record = earlier
        runner = Runner(config, ledger, Engines(config, find_ffmpeg(config.ffmpeg)))
        signal.signal(signal.SIGTERM, lambda _s, _f: runner.cancel.set())
        try:
            final = runner.run_job(record.id)
        except KeyboardInterrupt:
            runner.cancel.set()
            raise
        finally:
            runner.engines.close()
        return _report(final)
    finally:
        ledger.close()


def _rule_for_process(config: Config, path: Path, args: argparse.Namespace) -> Rule | None:
    from daemon.rules import match_rule  # noqa: PLC0415

    if args.prompt is not None:
        digest = hashlib.sha1(args.prompt.encode(), usedforsecurity=False).hexdigest()[:8]
        matched = match_rule(config.rules, path.name)
        output = (
            Path(args.output).expanduser().absolute()
            if args.output
            else ((matched or config.rules[0]).output)
        )
        rule = Rule(name=f"prompt-{digest}", glob=["*"], prompt=args.prompt, output=output)
    elif args.rule is not None:
        found = config.rule_named(args.rule)
        if found is None:
            _err(f"no rule named {args.rule!r}; rules: {', '.join(r.name for r in config.rules)}")
            return None
        rule = found
    else:
        found = match_rule(config.rules, path.name)
        if found is None:
            _err(f"{path.name}: no rule matches; pass --rule NAME or --prompt TEXT")
            return None
        rule = found
    if args.engine:
        rule = rule.model_copy(update={"engine": args.engine})
    if args.output and args.prompt is None:
        rule = rule.model_copy(update={"output": Path(args.output).expanduser().absolute()})
    return rule


def _report(record: JobRecord | None) -> int:
    if record is None:
        _err("the job vanished from the ledger")
        return EXIT_FAIL
    for note in record.notes:
        _out(f"note: {note}")
    if record.state is JobState.DONE:
        _out(str(record.output))
        return EXIT_OK
    if record.state is JobState.QUEUED:
        _err(
            f"job {record.id} did not finish ({record.error}); it stays queued and "
            "the daemon will retry it"
        )
        return EXIT_FAIL
    _err(f"job {record.id} failed: {record.error}")
    return EXIT_FAIL


def _ledger(args: argparse.Namespace) -> Ledger:
    return Ledger.in_state_dir(state_dir_of(_config_path(args)))


def cmd_status(args: argparse.Namespace) -> int:
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
    _out(f"{'ID':>4}  {'STATE':<8} {'RULE':<16} {'ENGINE':<6} SOURCE → RESULT")
    for j in jobs:
        state = f"{j.state}" + (f" {j.progress:.0f}%" if j.state is JobState.RUNNING else "")
        result = str(j.output) if j.output else (j.error or "")
        _out(f"{j.id:>4}  {state:<8} {j.rule[:16]:<16} {j.engine:<6} {j.source.name} → {result}")
        for note in j.notes:
            _out(f"{'':>6}{note}")
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
    from daemon.engines.local.tools import find_ffmpeg  # noqa: PLC0415

    config: Config | None
    prompt, file_arg, edits = args.prompt, args.file, None
    if args.rule is not None:
        config = _load(args)
        rule = config.rule_named(args.rule)
        if rule is None:
            _err(f"no rule named {args.rule!r}; rules: {', '.join(r.name for r in config.rules)}")
            return EXIT_FAIL
        # `plan --rule NAME FILE`: the one positional is the file.
        prompt, file_arg, edits = rule.prompt, file_arg or args.prompt, rule.edits
    else:
        if prompt is None:
            _err("give a PROMPT, or --rule NAME")
            return EXIT_USAGE
        try:
            config = _load(args)
        except ConfigError:
            config = None  # planning a prompt needs no rules.yaml
    settings = config.local if config else LocalSettings()
    ffmpeg = find_ffmpeg(config.ffmpeg if config else None)
    file = Path(file_arg).expanduser() if file_arg else None
    _out(explain(prompt, edits, file, settings, ffmpeg))
    return EXIT_OK


def cmd_credits(args: argparse.Namespace) -> int:
    from daemon.engines.nemo import credits_summary  # noqa: PLC0415

    _out(credits_summary(_load(args)))
    return EXIT_OK


def cmd_install_service(args: argparse.Namespace) -> int:
    config = _load(args)
    unit = render_unit(config, _executable())
    if args.print_only:
        _out(unit)
        return EXIT_OK
    target = user_unit_dir(os.environ) / SERVICE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(unit, encoding="utf-8")
    _out(f"wrote {target}")
    _out(
        "start it with:  systemctl --user daemon-reload && systemctl --user enable --now videofree"
    )
    _out("follow it with: journalctl --user -u videofree -f")
    return EXIT_OK


def user_unit_dir(env: Mapping[str, str]) -> Path:
    """$XDG_CONFIG_HOME/systemd/user; the XDG spec says to ignore a relative value."""
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "systemd" / "user"


def _executable() -> str:
    found = shutil.which("videofree")
    return found or f"{sys.executable} -m daemon"


def render_unit(config: Config, executable: str) -> str:
    """The shipped unit, with this install's command, config and writable folders."""
    template = resources.files("daemon").joinpath("assets", SERVICE_NAME).read_text("utf-8")
    folders = [config.state_dir, *(w.path for w in config.watch)]
    for rule in config.rules:
        folders.append(rule.output)
        if rule.original is not None:
            folders.append(rule.original.move_to)
    paths = " ".join(f"-{p}" for p in dict.fromkeys(folders))
    lines = []
    for line in template.splitlines():
        if line.startswith("ExecStart="):
            lines.append(f"ExecStart={executable} run --config {config.source}")
        elif line.startswith("ReadWritePaths="):
            lines.append(f"ReadWritePaths={paths}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


_COMMANDS = {
    "init": cmd_init,
    "run": cmd_run,
    "check": cmd_check,
    "process": cmd_process,
    "status": cmd_status,
    "retry": cmd_retry,
    "plan": cmd_plan,
    "credits": cmd_credits,
    "install-service": cmd_install_service,
}
