"""Load and validate rules.yaml into typed objects.

Validation happens once, strictly: unknown keys are errors (a typo must not pass
silently), and every error names the file, the line and the key, e.g.
``rules.yaml:14: rules[2].glob: expected a string or a list of strings [got 42]``.
"""

from __future__ import annotations

import os
import re
import string
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from daemon import units, yamlines
from daemon.errors import ConfigError, ConfigErrors
from daemon.ledger.base import DEFAULT_LEASE_SECONDS, LEDGER_PASSWORD_ENV, LEDGER_SCHEMES
from daemon.media.encoders import Codec, EncoderChoice

if TYPE_CHECKING:
    from daemon.editplan.edits import EditsSpec

# The light half of the config (paths, the state dir) lives in daemon.paths for `status`;
# re-exported here for callers of daemon.config.
from daemon.paths import APP_NAME as APP_NAME  # noqa: PLC0414
from daemon.paths import CONFIG_ENV as CONFIG_ENV  # noqa: PLC0414
from daemon.paths import MAX_CONFIG_BYTES, read_config_mapping, read_state_dir
from daemon.paths import default_config_path as default_config_path  # noqa: PLC0414
from daemon.paths import default_state_dir as default_state_dir  # noqa: PLC0414
from daemon.paths import resolve_config_path as resolve_config_path  # noqa: PLC0414

DEFAULT_INBOX = "~/Inbox"
DEFAULT_OUTPUT_NAME = "{stem}-edited.mp4"
NEMO_API_BASE = "https://mega-api-prod.nemovideo.ai"

EngineName = Literal["local", "nemo"]

# Fields an output-name template may use; documented in rules.example.yaml.
TEMPLATE_FIELDS = frozenset(
    {"stem", "name", "ext", "rule", "engine", "job", "date", "time", "year", "month", "day"}
)

# A prompt is a sentence or a paragraph; longer ones are refused rather than parsed.
MAX_PROMPT_CHARS = 4000


def parse_duration(value: object) -> float:
    """Given 60, "60s", "1.5 min", "1:30" or "2h", return seconds. Raise ValueError otherwise.

    The program's one time parser (daemon.units) reads it, so `combine:` and `edits:` accept
    the same words; milliseconds are refused here (no setting is that fine)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a duration such as 60 or '60s'")
    if isinstance(value, str) and re.search(r"\d\s*(?:ms|millisec)", value, re.I):
        raise ValueError(f"expected a duration in seconds or more [got {value!r}]")
    try:
        return units.seconds(value)
    except ValueError:
        raise ValueError(
            f"expected a duration such as 60, '60s' or '1:30' [got {value!r}]"
        ) from None


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration", str(exc)) from None


def _path(value: object, info: ValidationInfo) -> str:
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError(
            "path", "expected a folder path [got {got}]", {"got": repr(value)}
        )
    path = Path(os.path.expandvars(value)).expanduser()
    base = (info.context or {}).get("base_dir")
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    # Returned as text: pydantic makes the Path, in Python and in JSON mode alike.
    return str(path)


def _globs(value: object) -> list[str]:
    if isinstance(value, str) and value:
        globs = [value]
    elif isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        globs = list(value)
    else:
        raise PydanticCustomError(
            "globs", "expected a string or a list of strings [got {got}]", {"got": repr(value)}
        )
    for glob in globs:
        _check_glob(glob)
    return globs


def _check_glob(glob: str) -> None:
    """Refuse globs that can never match what a user meant them to (rules.glob_matches reads
    a glob against the file name, or with a slash against the path inside the watch
    folder): a full path, and several globs written as one string."""
    if glob.startswith(("/", "~")):
        raise PydanticCustomError(
            "globs",
            "a glob matches the file name (or, with a slash, the path inside the watch"
            " folder), never a full path: name the folder under watch: and write"
            ' glob: "*.mp4" [got {got}]',
            {"got": repr(glob)},
        )
    parts = re.split(r"[\s,;|]+", glob.strip(" ,;|"))
    if len(parts) > 1 and all(p.startswith("*") for p in parts):
        listed = ", ".join(f'"{p}"' for p in parts)
        raise PydanticCustomError(
            "globs",
            "several globs in one string match nothing: write a list, glob: [{listed}] [got {got}]",
            {"listed": listed, "got": repr(glob)},
        )


Seconds = Annotated[float, BeforeValidator(_duration)]
FolderPath = Annotated[Path, BeforeValidator(_path)]


def _ledger_url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(LEDGER_SCHEMES):
        raise PydanticCustomError(
            "ledger", "expected postgresql://user@host/db [got {got}]", {"got": repr(value)}
        )
    userinfo = value.split("://", 1)[1].split("@", 1)
    if len(userinfo) == 2 and ":" in userinfo[0]:
        # rules.yaml is not a secret; the env file (0600) is.
        raise PydanticCustomError(
            "ledger",
            "put the password in the env file as {env}, not in the URL",
            {"env": LEDGER_PASSWORD_ENV},
        )
    return value


def _path_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k.startswith("/") and isinstance(v, str) and v.startswith("/")
        for k, v in value.items()
    ):
        raise PydanticCustomError(
            "path_map",
            "expected absolute paths, {{shared path: path on this machine}} [got {got}]",
            {"got": repr(value)},
        )
    return {k.rstrip("/") or "/": v.rstrip("/") or "/" for k, v in value.items()}


LedgerUrl = Annotated[str, BeforeValidator(_ledger_url)]
PathMapping = Annotated[dict[str, str], BeforeValidator(_path_map)]


# --- issue 12: skip conditions and metadata (sizes, codec names) ------------------------
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.I)
_SIZE_POWERS = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4}
# The names people write for a codec → the name the probe reports.
CODEC_ALIASES = {"h265": "hevc", "x265": "hevc", "avc": "h264", "x264": "h264", "vp09": "vp9"}


def parse_size(value: object) -> int:
    """Given 1000, "500MB", "1.5 GB" or "2GiB", return bytes. Raise ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    m = _SIZE.match(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"expected a size such as 500MB or 2GB [got {value!r}]")
    unit = (m.group(2) or "").lower()
    # MB is 10**6, as file managers and phones count; MiB is 2**20.
    base = 1024 if "i" in unit else 1000
    return int(float(m.group(1)) * base ** _SIZE_POWERS[unit[:1]])


def _size(value: object) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise PydanticCustomError("size", str(exc)) from None


def _codecs(value: object) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise PydanticCustomError(
            "codec", "expected a codec name or a list of them [got {got}]", {"got": repr(value)}
        )
    return [CODEC_ALIASES.get(n.strip().casefold(), n.strip().casefold()) for n in names]


Bytes = Annotated[int, BeforeValidator(_size)]
Codecs = Annotated[list[str], BeforeValidator(_codecs)]


class _Strict(BaseModel):
    # defer_build: a model's validator is built when it first validates, so a command
    # that reads one section (`plan` reads local:) does not pay for building them all.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, defer_build=True)


class WatchFolder(_Strict):
    """A folder to watch for new videos."""

    path: FolderPath
    recursive: bool = False
    # inotify does not see changes made by other machines on SMB/NFS shares: poll those.
    polling: bool = False


def _watch_list(value: object) -> object:
    if isinstance(value, str):
        return [{"path": value}]
    if isinstance(value, list):
        return [{"path": v} if isinstance(v, str) else v for v in value]
    return value


class OriginalAction(_Strict):
    """What to do with the original after its output is delivered."""

    move_to: FolderPath


def _original(value: object) -> object:
    if value == "keep" or value is None:
        return None
    if isinstance(value, dict):
        return value
    raise PydanticCustomError(
        "original", "expected 'keep' or a mapping with move_to [got {got}]", {"got": repr(value)}
    )


class LocalSettings(_Strict):
    """Encoder settings of the local engine."""

    # veryfast is the best speed/size trade-off for 1080p on a 2-core machine;
    # CRF 20 is visually clean for phone footage. "ultrafast" is not offered: it turns off
    # CABAC and 8x8 transforms, so the output would be Baseline, not the promised High profile.
    preset: Literal["superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"] = (
        "veryfast"
    )
    crf: int = Field(default=20, ge=0, le=51)
    timeout: Seconds = 4 * 3600.0
    # auto: a hardware encoder when one passes a one-frame test encode, else x264
    # (daemon/media/encoders.py maps crf per encoder; docs/encoders.md).
    encoder: EncoderChoice = "auto"
    codec: Codec = "h264"


class NemoSettings(_Strict):
    """How to reach the NemoVideo API."""

    api_base: str = NEMO_API_BASE
    platform: str = "unknown"
    language: str = "en"
    poll_interval: Seconds = 30.0
    render_deadline: Seconds = 20 * 60.0
    sse_timeout: Seconds = 15 * 60.0
    request_timeout: Seconds = 120.0
    # The service asks for 30 s after a 429 before the one retry; tests set it near zero.
    rate_limit_wait: Seconds = 30.0
    # After a 5xx or a connection reset before any answer, wait this long and repeat once.
    retry_wait: Seconds = 5.0
    # After the prompt, re-read the session state this long for a draft that differs from
    # the one before it (the edit often lands after a silent or broken stream).
    change_deadline: Seconds = 2 * 60.0

    @field_validator("api_base")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise PydanticCustomError(
                "url", "expected an http(s) URL [got {got}]", {"got": repr(value)}
            )
        return value.rstrip("/")


# --- notifications and the after-delivery hook (issue 14) ------------------------------

# Fields an on_done argument may use: the output-name fields plus the two full paths.
HOOK_FIELDS = TEMPLATE_FIELDS | {"output", "source"}
# The env file (EnvironmentFile= of the unit) may hold this secret for webhook signatures.
WEBHOOK_SECRET_ENV = "VIDEOFREE_WEBHOOK_SECRET"  # noqa: S105 - a variable's name


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise PydanticCustomError(
            "url", "expected an http(s) URL [got {got}]", {"got": repr(value)}
        )
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class NotifySettings(_Strict):
    """Where job events are sent: ntfy, a webhook, the desktop, Apprise URLs."""

    ntfy: HttpUrl | None = None
    webhook: HttpUrl | None = None
    desktop: bool = False
    apprise: tuple[str, ...] = ()
    # Events that arrive within this of each other are sent as one summary.
    batch: Seconds = 5.0

    @property
    def has_targets(self) -> bool:
        return bool(self.ntfy or self.webhook or self.desktop or self.apprise)


def _argv(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        for arg in value:
            check_fields(arg, HOOK_FIELDS)
        return tuple(value)
    raise PydanticCustomError(
        "argv",
        "expected a list of strings, e.g. [rsync, '{output}', 'host:videos/'] [got {got}]",
        {"got": repr(value)},
    )


Argv = Annotated[tuple[str, ...] | None, BeforeValidator(_argv)]


def _edits(value: object, info: ValidationInfo) -> EditsSpec | None:
    """A rule's `edits:`, validated by EditsSpec, which is imported (and its schema built)
    only when some rule has them: that is a third of what building the config costs, and
    most rules have only a prompt. Its errors keep their place (rules.0.edits.cut_start)."""
    if value is None:
        return None
    from daemon.editplan.edits import EditsSpec  # noqa: PLC0415 - see the docstring

    if isinstance(value, EditsSpec):
        return value
    return EditsSpec.model_validate(value, context=info.context)


if TYPE_CHECKING:
    Edits = EditsSpec | None
else:
    Edits = Annotated[Any, PlainValidator(_edits)]


class Rule(_Strict):
    """One rule: files matching `glob` get `prompt` applied and land in `output`."""

    name: str = Field(min_length=1)
    glob: Annotated[list[str], BeforeValidator(_globs)]
    prompt: str = Field(default="", max_length=MAX_PROMPT_CHARS)
    edits: Edits = None
    output: FolderPath
    output_name: str = DEFAULT_OUTPUT_NAME
    engine: EngineName | None = None
    fallback: EngineName | None = None
    original: Annotated[OriginalAction | None, BeforeValidator(_original)] = None
    strict: bool = False
    shrink_oversize: bool = False
    combine: Seconds | None = None
    # Issue 12: capture metadata and what not to edit (daemon/metadata.py, daemon/skips.py).
    metadata: Literal["keep", "strip"] = "keep"
    live_photos: Literal["skip", "edit"] = "skip"
    min_duration: Seconds | None = None
    max_duration: Seconds | None = None
    min_size: Bytes | None = None
    max_size: Bytes | None = None
    min_height: int | None = Field(default=None, ge=1)
    codec: Codecs | None = None
    # Issue 14: a per-rule notify: replaces the global one; on_done runs after delivery.
    notify: NotifySettings | None = None
    on_done: Argv = None

    @field_validator("output_name")
    @classmethod
    def _template(cls, value: str) -> str:
        check_template(value)
        return value

    @model_validator(mode="after")
    def _fallback_differs(self) -> Rule:
        if self.fallback is not None and self.fallback == self.engine:
            raise _located(("fallback",), "fallback must differ from engine")
        for low, high in (("min_duration", "max_duration"), ("min_size", "max_size")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise _located((low,), f"{low} is larger than {high}; no file could match")
        return self


# --- the status page (issue 15) ------------------------------------------------------------

# A non-loopback `web.host` needs this password in the env file (HTTP basic auth, any user).
WEB_PASSWORD_ENV = "VIDEOFREE_WEB_PASSWORD"  # noqa: S105 - a variable's name
WEB_DEFAULT_HOST = "127.0.0.1"
WEB_DEFAULT_PORT = 8765


def _web(value: object) -> object:
    # YAML reads `web: off` / `web: on` as booleans.
    if value is False:
        return {"enabled": False}
    if value is True or value is None:
        return {}
    return value


class WebSettings(_Strict):
    """The status page: where it listens and which Host names it answers to."""

    enabled: bool = True
    host: str = WEB_DEFAULT_HOST
    port: int = Field(default=WEB_DEFAULT_PORT, ge=0, le=65535)  # 0: any free port (tests)
    # Host header names accepted besides localhost and the bind address (DNS rebinding).
    names: tuple[str, ...] = ()


class Config(_Strict):
    """The whole rules.yaml."""

    watch: Annotated[list[WatchFolder], BeforeValidator(_watch_list)] = Field(
        default_factory=lambda: [WatchFolder(path=Path(DEFAULT_INBOX).expanduser())],
        min_length=1,
    )
    state_dir: FolderPath = Field(default_factory=default_state_dir)
    settle_seconds: Seconds = 5.0
    rescan_seconds: Seconds = 60.0
    concurrency: int = Field(default=2, ge=1, le=32)
    max_attempts: int = Field(default=4, ge=1, le=20)
    engine: EngineName = "local"
    fallback: EngineName | None = None
    ffmpeg: str | None = None
    local: LocalSettings = Field(default_factory=LocalSettings)
    nemo: NemoSettings = Field(default_factory=NemoSettings)
    rules: list[Rule] = Field(min_length=1)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    # Several workers (issue 16): a shared PostgreSQL ledger instead of jobs.db.
    ledger: LedgerUrl | None = None
    path_map: PathMapping = Field(default_factory=dict)
    lease_seconds: Seconds = Field(default=DEFAULT_LEASE_SECONDS, ge=3, le=600)
    web: Annotated[WebSettings, BeforeValidator(_web)] = Field(default_factory=WebSettings)

    # Set by load_config: where this config came from (for messages and reloads).
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        seen: set[str] = set()  # a set, not a list: 160k rules must not take minutes
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                raise _located(("rules", i, "name"), f"duplicate rule name {rule.name!r}")
            seen.add(rule.name)
        for i, rule in enumerate(self.rules):
            if self.engine_for(rule) == "nemo" and not rule.prompt.strip():
                raise _located(("rules", i, "prompt"), "a NemoVideo rule needs a prompt")
            self._check_lands_outside(i, rule)
        return self

    def _check_lands_outside(self, i: int, rule: Rule) -> None:
        """Outputs (folder + the fixed part of output_name) and moved originals must not
        land in a watched folder: the daemon would edit its own work again, forever."""
        places = [
            ("output", rule.output, "its outputs"),
            ("output_name", template_folder(rule.output, rule.output_name), "its outputs"),
        ]
        if rule.original is not None:
            places.append(("original", rule.original.move_to, "moved originals"))
        for key, folder, what in places:
            for w in self.watch:
                if _inside(folder, w.path, w.recursive):
                    raise _located(
                        ("rules", i, key),
                        f"{what} would land in the watched folder {w.path} and be edited again",
                    )

    def engine_for(self, rule: Rule) -> EngineName:
        return rule.engine or self.engine

    def fallback_for(self, rule: Rule) -> EngineName | None:
        fallback = rule.fallback if rule.fallback is not None else self.fallback
        return None if fallback == self.engine_for(rule) else fallback

    def notify_for(self, rule: Rule) -> NotifySettings:
        return rule.notify if rule.notify is not None else self.notify

    def rule_named(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


class PlanSettings(_Strict):
    """The part of rules.yaml that `videofree plan PROMPT` reads: the local engine's
    settings and the ffmpeg to run. The rest is not validated here, so a plan starts
    quickly and a mistake in some rule does not hide these."""

    model_config = ConfigDict(extra="ignore")

    local: LocalSettings = Field(default_factory=LocalSettings)
    ffmpeg: str | None = None


def load_plan_settings(path: Path) -> PlanSettings:
    """Read the `local:` and `ffmpeg:` settings of the config file at `path`. Raise
    ConfigError (naming the file, line and key) when they are wrong or it cannot be read."""
    data = _mapping(read_config_text(path), path)
    try:
        return PlanSettings.model_validate(data)
    except ValidationError as exc:
        raise _errors_from(exc, data, path) from None


def template_folder(output: Path, template: str) -> Path:
    """The folder an output-name template certainly writes into: the output folder plus
    the template's leading folders that hold no {field}."""
    folder = output
    for part in Path(template).parent.parts:
        if "{" in part:
            break
        folder = folder / part
    return folder


def _inside(child: Path, parent: Path, recursive: bool) -> bool:
    child, parent = child.resolve(), parent.resolve()
    if child == parent:
        return True
    return recursive and child.is_relative_to(parent)


def _located(loc: tuple[str | int, ...], message: str) -> PydanticCustomError:
    # Cross-field errors are raised by a model validator, whose loc is the model itself;
    # carry the offending key (relative to that model) in the context so the formatter can
    # point at its line.
    return PydanticCustomError("located", "{message}", {"message": message, "loc": list(loc)})


def check_fields(template: str, known_fields: frozenset[str]) -> None:
    """Raise a validation error unless `template` uses only `known_fields`."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise PydanticCustomError("template", "bad template: {err}", {"err": str(exc)}) from None
    for field in fields:
        base = field.split("!")[0].split(":")[0]
        if base not in known_fields:
            known = ", ".join(sorted(known_fields))
            raise PydanticCustomError(
                "template",
                "unknown field '{field}' (known: {known})",
                {"field": base, "known": known},
            )


def check_template(template: str) -> None:
    """Raise ValueError unless `template` uses only known fields and names an .mp4 file."""
    check_fields(template, TEMPLATE_FIELDS)
    if not template.lower().endswith(".mp4"):
        raise PydanticCustomError("template", "the output name must end in .mp4")
    if template.startswith("/") or ".." in Path(template).parts:
        raise PydanticCustomError("template", "the output name must stay inside the output folder")


def parse_config(text: str, file: Path) -> Config:
    """Given the text of a rules.yaml and its path, return the Config. Raise ConfigError."""
    data = _mapping(text, file)
    try:
        config = Config.model_validate(data, context={"base_dir": file.parent})
    except ValidationError as exc:
        raise _errors_from(exc, data, file) from None
    return config.model_copy(update={"source": file})


def _mapping(text: str, file: Path) -> dict[Any, Any]:
    """The top-level mapping of a rules.yaml, with its lines. Raise ConfigError."""
    try:
        data = yamlines.load(text)
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", file=file) from None
    except yaml.YAMLError as exc:
        message, line = yamlines.advice(exc)
        raise ConfigError(f"not valid YAML: {message}", file=file, line=line) from None
    if data is None:
        data = yamlines.LineMap()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of settings at the top level", file=file, line=1)
    return data


def load_config(path: Path) -> Config:
    """Read and validate the config file at `path`. Raise ConfigError."""
    return parse_config(read_config_text(path), path)


def read_config_text(path: Path) -> str:
    """The text of a config file, read with a size bound. Raise ConfigError (with the
    line of the first byte that is not UTF-8)."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            # The full path: the file's name alone does not say where it was looked for.
            f"not found (looked for {path.absolute()}); run `videofree init` to write one,"
            " or pass --config",
            file=path,
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"larger than {MAX_CONFIG_BYTES // 1024} KiB; is this really a rules file?", file=path
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            file=path,
            line=line,
        ) from None


def state_dir_of(path: Path) -> Path:
    """The state dir a config names, read leniently: `status` and `retry` must work even
    while the rest of rules.yaml has an error. Raise ConfigError if even that is unreadable."""
    found = read_state_dir(path)
    return found if found is not None else load_config(path).state_dir


def ledger_of(path: Path) -> str | None:
    """The shared ledger URL a config names (None: SQLite), read as leniently as
    `state_dir_of`. Raise ConfigError if it is unreadable or not a PostgreSQL URL."""
    try:
        return load_config(path).ledger
    except ConfigError as exc:
        data = read_config_mapping(path)
        if data is None:
            raise exc from None
        raw = data.get("ledger")
        if raw is None:
            return None
        try:
            return _ledger_url(raw)
        except PydanticCustomError:
            raise exc from None


def _errors_from(exc: ValidationError, data: Any, file: Path) -> ConfigError:
    errors: list[ConfigError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        if "loc" in ctx:
            loc = (*loc, *ctx["loc"])
        message = _message(err)
        if err["type"] == "missing":
            line, path = yamlines.locate(data, loc[:-1])
            path = f"{path}.{loc[-1]}" if path else str(loc[-1])
        else:
            line, path = yamlines.locate(data, loc)
        errors.append(ConfigError(message, file=file, line=line, key=path or None))
    return errors[0] if len(errors) == 1 else ConfigErrors(errors)


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see rules.example.yaml)"
    if kind == "missing":
        return "required key is missing"
    message = str(err["msg"])
    message = message.removeprefix("Value error, ")
    if kind in {
        "string_type",
        "int_type",
        "int_parsing",
        "float_type",
        "float_parsing",
        "bool_type",
        "bool_parsing",
        "literal_error",
        "model_type",
        "dict_type",
        "list_type",
        "greater_than_equal",
        "less_than_equal",
        "too_short",
        "string_too_short",
    }:
        got = repr(err.get("input"))
        got = got if len(got) <= 80 else f"{got[:77]}..."  # a huge value must not flood
        message = f"{message[0].lower()}{message[1:]} [got {got}]"
    return message
