"""What `videofree check` (and the status page's /rules) warn about in a valid rules.yaml:
things that would go wrong only after the first video, said before it.

Warnings, not errors: the daemon runs, and does the rest of each job.
"""

from __future__ import annotations

import shutil

from daemon import yamlines
from daemon.config import Config, Rule
from daemon.errors import ConfigError
from daemon.paths import read_config_mapping


def rule_warnings(config: Config, rule: Rule) -> list[str]:
    """Given a valid config and one of its rules, return what to warn about, one line each."""
    return [*_prompt_warnings(config, rule), *_hook_warnings(rule)]


def config_warnings(config: Config) -> list[str]:
    """Warnings about settings outside the rules, one line each."""
    return _notify_warnings(config)


def ffmpeg_error(config: Config) -> ConfigError | None:
    """The error `videofree run` would stop on when rules.yaml names an ffmpeg that is not
    there (None when it is, or none is named), at the `ffmpeg:` line."""
    if not config.ffmpeg:
        return None
    from daemon.media.tools import find_ffmpeg  # noqa: PLC0415 - only with ffmpeg: set

    try:
        find_ffmpeg(config.ffmpeg)
    except ConfigError as exc:
        data = read_config_mapping(config.source) if config.source else None
        line = yamlines.locate(data, ("ffmpeg",))[0] if data is not None else None
        return ConfigError(exc.message, file=config.source, line=line, key="ffmpeg")
    return None


def _prompt_warnings(config: Config, rule: Rule) -> list[str]:
    """What the local engine will not understand of a rule's prompt, when the local engine
    makes (or may make, as the fallback) its videos."""
    engine, fallback = config.engine_for(rule), config.fallback_for(rule)
    if "local" not in (engine, fallback) or not (rule.prompt.strip() or rule.edits):
        return []
    # The prompt grammar (~0.07 s) loads only for rules the local engine reads.
    from daemon.engines.local.prompt import plan_from  # noqa: PLC0415

    ignored = plan_from(rule.prompt, rule.edits).ignored
    if not ignored:
        return []
    who = (
        "the local engine"
        if engine == "local"
        else f"if {engine} cannot make a video, the local fallback"
    )
    consequence = (
        "its jobs fail (strict: true)"
        if rule.strict and engine == "local"
        else "the rest of the prompt is done"
    )
    words = "; ".join(f'"{phrase}"' for phrase in ignored)
    return [
        f"{who} does not understand {words}: {consequence}"
        f" (`videofree plan --rule {rule.name}` shows the plan)"
    ]


def _hook_warnings(rule: Rule) -> list[str]:
    """An on_done command that cannot start here: the hook would fail after every video.
    (Its argv[0] is run as written, without a shell: no ~ expansion.)"""
    if not rule.on_done or "{" in rule.on_done[0]:
        return []
    command = rule.on_done[0]
    if shutil.which(command) is not None:
        return []
    return [
        f"on_done command {command!r} is not found or not executable here"
        " (a service may have another PATH: give its full path); the hook would fail"
    ]


def _notify_warnings(config: Config) -> list[str]:
    """`apprise:` URLs without the optional package: every notification would fail."""
    if not any(config.notify_for(rule).apprise for rule in config.rules):
        return []
    try:
        import apprise  # noqa: F401, PLC0415 - only asked when apprise: is set
    except ImportError:
        return [
            "notify.apprise is set but apprise is not installed: pip install 'videofree[apprise]'"
        ]
    return []
