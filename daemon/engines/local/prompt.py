"""Plain-words prompt → EditPlan (pure, deterministic, English).

How it reads a prompt:

1. Quoted text ("Urban Dreams", 'a.mp3', “…”) is set aside so its words are never read as
   instructions; patterns refer to it as a placeholder.
2. Clause passes, each reading a clause alone with every rule (a scratch draft) to see
   what its words mean: a negated request is blanked ("no transitions" asks for nothing);
   a range goes to its clause's operation (speed gets a SpeedRange, anything else is
   refused whole); a clause whose operation is limited by words no rule reads ("the middle
   part", "except …", "by about 3", "the second clip") is refused whole with the reason;
   a platform word that qualifies another operation is dropped.
3. Each rule below is a regular expression with a handler. Rules run in order over the
   whole prompt (so "trim 2 seconds from the start and 3 from the end" is read across the
   "and"); the text a rule matched is blanked out, so later, looser rules cannot reuse it.
   A rule whose words (read from its pattern) are absent from the prompt is skipped.
4. What is left is split into clauses. A clause made only of filler ("please", "export",
   "1080p MP4", "for free", "this video") is dropped; any other clause goes to
   EditPlan.ignored verbatim, so the user sees exactly which words were not understood.

The order matters and is deliberate: titles first (their "for the first 3 seconds" is
about the title, not a trim), then music (its "at 35%" is the music volume), silence
before trims ("cut the dead air" is not a trim), transitions before fades ("fade
transitions" is not a fade-in), flips before aspect ("flip vertically" is not 9:16).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from daemon.editplan.plan import (
    BYTES_PER_MB,
    COOLER_KELVIN,
    DEFAULT_FADE,
    DEFAULT_LOGO_SHARE,
    DEFAULT_MUSIC_FADE_OUT,
    DEFAULT_TITLE_SECONDS,
    DEFAULT_TRANSITION,
    LUFS_PODCAST,
    LUFS_SOCIAL,
    MAX_FPS,
    MAX_LOOP_SECONDS,
    MAX_LOOPS,
    MIN_FPS,
    TRANSITION_KINDS,
    WARMER_KELVIN,
    Aspect,
    EditPlan,
    Fill,
    FpsMode,
    Highlight,
    Logo,
    Music,
    Position,
    SilenceCut,
    SilenceWhere,
    Span,
    SpeedRange,
    Title,
    TitleSize,
    Transition,
    Trim,
    music_level,
    problems,
)
from daemon.editplan.vocab import RESOLUTION_NAMES, SIZE_TARGET_MB, TRANSITION_NAMES
from daemon.engines.local.lazyre import LazyPattern
from daemon.engines.local.prompt_needs import NEEDS
from daemon.units import (
    CLOCK,
    NUMBER,
    SIZE,
    TIME,
    TIME_WITH_UNIT,
    UNIT,
    fraction,
    number,
    seconds,
    size_bytes,
)

if TYPE_CHECKING:
    from daemon.editplan.edits import EditsSpec

# Factors for words without numbers. "speed up" alone is a gentle 1.5x (2x makes speech
# hard to follow); "slow motion" is the usual half speed; a timelapse is 4x.
SPEED_UP = 1.5
SLOW_MOTION = 0.5
TIMELAPSE = 4.0
LOUDER = 1.5
QUIETER = 0.6
MUSIC_QUIET = 0.15
MUSIC_LOUD = 0.6
# "a slow fade" is longer than the default, "a quick fade" shorter.
FADE_BY_WORD = {"slow": 2.0, "long": 2.0, "gentle": 2.0, "quick": 0.5, "short": 0.5, "fast": 0.5}
BRIGHTNESS_STEP = 0.06
CONTRAST_UP = 1.15
CONTRAST_DOWN = 0.87
SATURATION_UP = 1.3
SATURATION_DOWN = 0.7

# Words that carry no edit: politeness, "export", container/codec names we always use.
FILLER = frozenset(
    """
    please pls plz kindly can could would will you i i'd id i'm like want wanna need to
    make it its it's this that these those the a an video videos clip clips footage movie
    film file files export exported exporting render rendered save saved output as in into
    mp4 .mp4 h264 h.264 x264 avc aac format for free and then also with just me my our so
    of on all thanks thank thx ty edit edited nice good great quality high best version do
    some lets let's us be is should quick quickly simple ok okay hey hi both
    get give create produce turn up out over at by please. cheers standard normal regular
    usual default add put apply use post posting upload share convert converted encode send
    colour colours color colors picture image
    shaky wobbly whole entire raw phone thing stuff vid vids recording recordings everything
    mind adding possible help basically obviously really am we we'd gonna may might
    go play ready optimise optimize optimised optimized work friendly fit needs must has
    have got resolution u ur n + love if possibly firstly finally lastly making look
    kind lol haha lmao sure prefer maybe perhaps hello hiya dear editor regards following let
    """.split()  # noqa: SIM905 - a word list reads best as prose
)
_CONNECTORS = (
    "and ",
    "then ",
    "also ",
    "plus ",
    "but ",
    "please ",
    "& ",
    "first ",
    "firstly ",
    "finally ",
    "lastly ",
    "next ",
    "after that ",
    "afterwards ",
    "so ",
)
_CONNECTOR_WORDS = frozenset(c.strip() for c in _CONNECTORS)
_POLITE_TAIL = LazyPattern(
    r"(?:(?:^|[\s,]+)(?:please|pls|plz|thanks|thank\s+you|thx|ty|cheers)(?:\s+(?:so|very)\s+much|"
    r"\s+a\s+lot|\s+in\s+advance)?)+[\s.!]*$",
    re.I,
)

_Q = r"\x02(?P<{name}>\d+)\x03"
QUOTED = _Q.format(name="q")
_AUDIO_EXT = r"(?:mp3|m4a|aac|wav|flac|ogg|opus|wma|aiff?)"
# A file named from ~/ or / may have spaces in it ("~/songs/track 1.mp3"); it runs to the
# first audio extension. (Without spaces, "track 1.mp3" was read as a file "1.mp3".)
PATH = (
    rf"(?:\x02(?P<qpath>\d+)\x03|(?P<path>(?:~|\.{{1,2}})?/[^,;\"'\x00\n]*?\.{_AUDIO_EXT}\b|"
    rf"(?:~|\.{{1,2}})?/?[^\s,;\"'\x00]+\.{_AUDIO_EXT}\b))"
)
# One unquoted file name, from where a word starts (after a blank or at the start): tried
# once per word, so a long run like "a.a.a.a…" stays linear (tried at every dot, the
# file-name scan made it quadratic).
_TOKEN_PATH = rf"(?<![^\s(])(?P<path>[^\s,;\"'\x00]*?\.{_AUDIO_EXT}\b)"
_AS_BACKGROUND = (
    r"(?:\s+as\s+(?:the\s+|a\s+)?(?:background|bg|soundtrack)(?:\s+(?:music|audio|track|song|"
    r"sound))?)?(?:\s+in\s+the\s+background)?"
)
CUT = (
    # Common slips of the keyboard are read as the word they miss ("cutt", "trimm").
    r"(?:cut|cutt|trim|trimm|remove|remvoe|rmeove|drop|delete|skip|chop|lose|get\s+rid\s+of|"
    r"shave|take)"
    r"(?:\s+(?:off|out|away))?"
)
START = r"(?:start|beginning|begining|front|head|intro|opening)"
END = r"(?:end|ending|tail|outro|back)"
THE = r"(?:the\s+)?"
RANGE_SEP = r"\s*(?:to|until|till|through|thru|-|–|—|and)\s*"
CLIP_WORDS = r"(?:\s+(?:of|from)\s+(?:the\s+|each\s+|every\s+)?(?:video|clip|footage|recording)s?)?"
PRE_DUR = rf"(?:(?:an?\s+)?(?P<d1>{TIME_WITH_UNIT})\s+(?:long\s+)?)?"
MUSIC_VOL = (
    r"(?:\s+(?:underneath|in\s+the\s+background))?(?:\s*,?\s+(?:at|with|volume)\s+(?:(?P<v>\d+(?:\.\d+)?"
    r"\s*(?:%|percent))|(?:a\s+)?(?P<lv>low|quiet|soft|high|loud))(?:\s+volume)?)?"
)
POST_DUR = rf"(?:\s+(?:of|over|for|lasting)?\s*(?P<d2>{TIME_WITH_UNIT}))?"


@dataclass
class _Draft:
    """The plan being assembled; private and mutable, frozen into an EditPlan at the end."""

    plan: EditPlan = field(default_factory=EditPlan)
    quotes: list[str] = field(default_factory=list)
    # What was asked for but cannot be done, each as "words (reason)".
    refused: list[str] = field(default_factory=list)
    # Skip the rules whose words are absent (off only to prove it changes no plan).
    prefilter: bool = True
    # Two different shapes were asked for: the frame stays the clip's own.
    shape_conflict: bool = False
    shape_said: str = ""
    # Negated clauses that asked for nothing ("don't touch the audio"), as typed; a
    # change elsewhere in the plan may still contradict them (_check_negations).
    negated: list[str] = field(default_factory=list)
    # The whole-clip speed came from a word alone ("speed it up" = 1.5x), not a number.
    speed_word: bool = False
    # Whole-text searches a handler makes, once per text (per match, they were quadratic).
    _found: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def anywhere(self, pattern: LazyPattern, text: str) -> bool:
        """Whether `pattern` occurs anywhere in `text` (the text a rule is reading)."""
        key = pattern.pattern
        seen = self._found.get(key)
        if seen is None or seen[0] is not text:
            seen = (text, pattern.search(text) is not None)
            self._found[key] = seen
        return seen[1]

    def set(self, **changes: object) -> None:
        speed = changes.get("speed")
        if isinstance(speed, float) and self._speed_conflict(speed):
            raise ValueError("two different speeds for the whole clip")
        limit = changes.get("max_bytes")
        if isinstance(limit, int) and self.plan.max_bytes is not None:
            # "for discord under 8mb": every size asked for is met, so the smallest one
            # (the later one replaced the first: 10 MB for an 8 MB ask).
            changes["max_bytes"] = min(limit, self.plan.max_bytes)
        self._take(changes)

    def _speed_conflict(self, speed: float) -> bool:
        """ "play it 2x slower then 2x faster": two speeds for the whole clip, where the
        last one won without a word (the second is now reported, not done). A number may
        say how much a word meant ("speed it up, like 8x")."""
        current = self.plan.speed
        if speed in (1.0, current) or current == 1.0:
            return False
        return not (self.speed_word and (speed > 1) == (current > 1))

    def trim(self, **changes: object) -> None:
        self._take({"trim": replace(self.plan.trim, **changes)})  # type: ignore[arg-type]

    def color(self, **changes: object) -> None:
        self._take({"color": replace(self.plan.color, **changes)})  # type: ignore[arg-type]

    def append(self, name: str, item: object) -> None:
        """Add one item to a tuple field, checking only the new item (a prompt with
        thousands of ranges stays linear)."""
        problems_of = problems(replace(_EMPTY, **{name: (item,)}))  # type: ignore[arg-type]
        if problems_of:
            raise ValueError("; ".join(problems_of))
        self.plan = replace(self.plan, **{name: (*getattr(self.plan, name), item)})  # type: ignore[arg-type]

    def _take(self, changes: dict[str, object]) -> None:
        """Accept a reading only if what it changes stays renderable ("0x speed", "keep 5s
        to 2s" raise ValueError, so the words are reported as not understood, never
        rendered). Only the changed fields are checked, so a long prompt stays linear; a
        setting the plan already has (valid, since it was checked) costs nothing."""
        if all(getattr(self.plan, name) == value for name, value in changes.items()):
            return
        wrong = problems(replace(_EMPTY, **changes))  # type: ignore[arg-type]
        if wrong:
            raise ValueError("; ".join(wrong))
        self.plan = replace(self.plan, **changes)  # type: ignore[arg-type]

    def quoted(self, index: str) -> str:
        return self.quotes[int(index)]

    def restore(self, text: str) -> str:
        """`text` with its quote placeholders put back as "…"."""
        return re.sub(r"\x02(\d+)\x03", lambda m: f'"{self.quoted(m[1])}"', text)

    def refuse(self, text: str, reason: object) -> None:
        """Report `text` (as the user wrote it) as not done, with the reason."""
        self.refused.append(f"{self.restore(text).strip()} ({reason})")


# A handler returns False to decline a match (e.g. a music volume with no music given):
# the text then stays for later rules or for the ignored list.
Handler = Callable[[re.Match[str], _Draft], bool | None]


@dataclass(frozen=True)
class _Rule:
    source: str
    handler: Handler
    # Words one of which every match contains (lower case), or None when the pattern has
    # no such words; a text without any of them is not scanned at all (see _needs).
    needs: frozenset[str] | None = None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Compiled on first use: compiling all ~140 rules took ~90 ms of every `plan`
        start, and the prefilter skips most rules for any one prompt."""
        return re.compile(self.source, re.I)


# "2x", "x2": a factor, which is a speed only alone or with a speed word (_guard_bare_factors).
_FACTOR = LazyPattern(
    r"(?<![\w.])\d+(?:\.\d+)?\s*[x×](?![\w])|(?<![\w])[x×]\s*\d+(?:\.\d+)?(?![\w.])", re.I
)
# Readings of the shared time grammar that are English words here: "as" (a s), "am", "ah",
# and a bare "half" ("the first half", "half as long") are not times.
_NOT_A_TIME = LazyPattern(r"(?:half\s+)?an?\s*[smh]|half", re.I)


def _secs(text: str) -> float:
    """units.seconds, refusing the words above (ValueError: the reading is not taken)."""
    if _NOT_A_TIME.fullmatch(text.strip()):
        raise ValueError(f"not a time: {text!r}")
    return seconds(text)


def _dur(m: re.Match[str], default: float) -> float:
    for key in ("d1", "d2", "d3", "d4"):
        value = m.groupdict().get(key)
        if value:
            return _secs(value)
    return default


# --- titles --------------------------------------------------------------------------------

_TITLE_COLOURS = r"white|black|red|yellow|green|blue|orange|pink|purple|gr[ae]y"
# Words that start the next instruction after unquoted title words: "add title: Summer
# 2026 and trim the first 2 seconds" is a title and a trim, not one long title (which
# dropped the trim without a word). "Tom and Jerry" stays one title.
_NEXT_ORDER = (
    r"trim|cut|remove|delete|drop|add|make|speed|slow|fade|crop|rotate|flip|mirror|mute|"
    r"export|put|stabili[sz]e|zoom|turn|keep|loop|reverse|normali[sz]e|boost|increase|"
    r"decrease|lower|raise|reduce|brighten|darken|denoise|use|set|change|convert|compress|"
    r"shrink|resize|scale|play|insert|overlay|blur|sharpen|include|show|write|end|start|"
    r"finish|begin|skip|get\s+rid|take\s+out|go|give"
)
_TITLE_HEAD = LazyPattern(
    r"(?<![\w])(?:(?:add|put|show|with|overlay|write|display|include)\s+)?(?:an?\s+|the\s+|some\s+)?"
    # "a 5 second intro title", "an outro that says …": where and how long, said first.
    # Digits only: "as" reads as a time ("a s") and made "as title" a title length.
    rf"(?:(?P<tlen>\d+(?:\.\d+)?\s*-?\s*{UNIT})[\s-]+(?:long\s+)?)?"
    r"(?:(?P<where>intro|opening|outro|closing|end(?:ing)?)\s+(?=title|caption|text|card|heading))?"
    # Blanks only after a size word: "\s*" on its own was tried at every blank of a long run.
    r"(?:(?P<size>big|large|huge|small|little|tiny|medium)\s*)?"
    rf"(?:(?P<tcolor>{_TITLE_COLOURS})\s+)?"
    r"(?P<kind>title|caption|subtitle|text|heading|headline|label|words?|(?:intro|outro)(?:\s+card)?|"
    r"(?:title|end)\s+card)(?:s(?=\s*[:\x02]|\s+(?:saying|"
    r"that\s+says|which\s+says|reading)))?"
    # "caption it 'best day ever'": the verb's object before the text.
    r"(?:(?:\s+(?:saying|that\s+says|which\s+says|reading|of|with|it|this))?\s*:?\s*"
    rf"{QUOTED}|(?:\s*:|\s+(?:saying|that\s+says|which\s+says|reading))\s*"
    r"(?P<raw>[^,;.\n\x00\x02]+?)"
    r"(?=\s*(?:[,;.\n\x00]|$)|\s+(?:for|at|on|in|from)\s|"
    rf"\s+(?:and|then|plus|also|&)\s+(?:then\s+|also\s+)?(?:{_NEXT_ORDER})(?![\w])))",
    re.I,
)
_TITLE_MODS: tuple[tuple[LazyPattern, str], ...] = tuple(
    (LazyPattern(r"\s*,?\s*(?:and\s+)?" + pattern, re.I), kind)
    for pattern, kind in (
        (rf"(?:for|during|over|in)\s+(?:the\s+)?first\s+(?P<a>{TIME})", "first"),
        (rf"(?:for|during|over|in)\s+(?:the\s+)?last\s+(?P<a>{TIME})", "last"),
        (rf"(?:from|between)\s+(?P<a>{TIME}){RANGE_SEP}(?P<b>{TIME})", "range"),
        (rf"for\s+(?P<a>{TIME_WITH_UNIT})", "length"),
        (
            r"(?:throughout|the\s+whole\s+(?:time|video|clip)|all\s+the\s+time|the\s+entire\s+time)",
            "all",
        ),
        (rf"at\s+the\s+(?:very\s+)?{END}", "end"),
        (rf"at\s+the\s+(?:very\s+)?{START}", "start"),
        (
            r"(?:at|on|in)\s+(?:the\s+)?(?P<pos>top|bottom|center|centre|middle)"
            r"(?:\s+of\s+the\s+(?:screen|frame|video))?",
            "pos",
        ),
        (
            r"in\s+(?P<size>big|large|huge|small|little|tiny|medium)\s+(?:letters|text|font|type)",
            "size",
        ),
        (
            rf"(?:in|with|using)\s+(?:the\s+)?(?:font\s+{_Q.format(name='font')}|"
            rf"{_Q.format(name='font2')}\s+font|font\s+(?P<fontpath>\S+\.(?:ttf|otf|ttc)))",
            "font",
        ),
        (rf"in\s+(?P<color>{_TITLE_COLOURS})", "color"),
    )
)
_SIZES: dict[str, TitleSize] = {
    "big": "large",
    "large": "large",
    "huge": "large",
    "small": "small",
    "little": "small",
    "tiny": "small",
    "medium": "medium",
}
_POSITIONS: dict[str, Position] = {
    "top": "top",
    "bottom": "bottom",
    "center": "center",
    "centre": "center",
    "middle": "center",
}


# "write 'Happy Holidays' in the middle", "put 'Day 1' in big letters": quoted words after a
# writing verb are text on screen (unless they name a sound or picture file).
_BARE_TEXT = LazyPattern(
    r"(?<![\w])(?P<verb>write|put|show|display|type)\s+(?=\x02(?P<q>\d+)\x03)", re.I
)
_FILE_NAME = LazyPattern(rf"\.(?:{_AUDIO_EXT}|png|jpe?g|webp|ttf|otf|ttc)$", re.I)


def _bare_text(work: str, draft: _Draft) -> str:
    def add_kind(m: re.Match[str]) -> str:
        if _FILE_NAME.search(draft.quoted(m["q"])):
            return m[0]
        return f"{m['verb']} text "

    return _BARE_TEXT.sub(add_kind, work)


_INTRO = ("intro", "opening")
_OUTRO = ("outro", "closing", "end", "ending")


def _parse_titles(work: str, draft: _Draft) -> str:
    """Find titles and the modifiers that follow each; return `work` with them blanked."""
    pos = 0
    titles: list[Title] = []
    taken: list[tuple[int, int]] = []
    while (m := _TITLE_HEAD.search(work, pos)) is not None:
        text = draft.quoted(m["q"]) if m["q"] else (m["raw"] or "").strip()
        kind = m["kind"].lower()
        where = (m["where"] or kind).split()[0]
        card = where in _INTRO or where in _OUTRO or kind.endswith("card")
        caption = not card and kind not in ("title", "heading", "headline")
        title = Title(
            text=text,
            end=None if caption else DEFAULT_TITLE_SECONDS,
            position="bottom" if caption else "center",
            size=_SIZES[m["size"].lower()] if m["size"] else ("medium" if caption else "large"),
            color=(m["tcolor"] or "white").lower().replace("grey", "gray"),
        )
        length = _secs(m["tlen"]) if m["tlen"] else None
        if where in _OUTRO or kind == "end card":
            length = length or DEFAULT_TITLE_SECONDS
            title = replace(title, start=-length, end=None)
        elif length is not None:
            title = replace(title, start=0.0, end=length)
        end = m.end()
        progressed = True
        while progressed:
            progressed = False
            for pattern, kind in _TITLE_MODS:
                mod = pattern.match(work, end)
                if mod is None or mod.end() <= end:
                    continue
                try:
                    title = _title_mod(title, kind, mod, draft)
                except ValueError:
                    continue  # "for as long …" is no length: the words stay to be reported
                end = mod.end()
                progressed = True
        if text:
            titles.append(title)
            taken.append((m.start(), end))
        pos = end
    draft.set(titles=(*draft.plan.titles, *titles))
    return _blank_all(work, taken)


def _title_length(title: Title) -> float:
    """How long a title lasts where that is already said, else the default."""
    if title.start < 0:
        return -title.start
    if title.end is not None and title.start == 0:
        return title.end
    return DEFAULT_TITLE_SECONDS


def _title_mod(title: Title, kind: str, m: re.Match[str], draft: _Draft) -> Title:  # noqa: PLR0911 - one return per modifier kind
    if kind == "first":
        return replace(title, start=0.0, end=_secs(m["a"]))
    if kind == "last":
        return replace(title, start=-_secs(m["a"]), end=None)
    if kind == "range":
        return replace(title, start=_secs(m["a"]), end=_secs(m["b"]))
    if kind == "all":
        return replace(title, start=0.0, end=None)
    # "at the end for 3 seconds" and "for 3 seconds at the end" both mean the last 3 s.
    if kind == "length":
        length = _secs(m["a"])
        if title.start < 0:
            return replace(title, start=-length, end=None)
        return replace(title, end=title.start + length)
    if kind == "end":
        return replace(title, start=-_title_length(title), end=None)
    if kind == "start":
        return replace(title, start=0.0, end=_title_length(title))
    if kind == "pos":
        return replace(title, position=_POSITIONS[m["pos"].lower()])
    if kind == "size":
        return replace(title, size=_SIZES[m["size"].lower()])
    if kind == "font":
        index = m["font"] or m["font2"]
        return replace(title, font=draft.quoted(index) if index else m["fontpath"])
    return replace(title, color=m["color"].lower().replace("grey", "gray"))


# --- the rule table ----------------------------------------------------------------------


def _music(m: re.Match[str], d: _Draft) -> bool:
    found = m.groupdict()
    path = d.quoted(found["qpath"]) if found.get("qpath") else found["path"]
    if found.get("bare") is not None and not _AUDIO_FILE.search(path):
        return False  # quoted words named as nothing in particular are not a music file
    if d.plan.music is not None and d.plan.music.path != path:
        # "add a.mp3 then b.mp3": the last one was used, the first dropped without a word.
        d.refuse(m[0], ONE_MUSIC)
        return True
    music = Music(path=path)
    if m["v"]:
        music = replace(music, volume=fraction(m["v"]))
    elif m["lv"]:
        music = replace(
            music, volume=MUSIC_LOUD if m["lv"].lower() in ("high", "loud") else MUSIC_QUIET
        )
    d.set(music=music)
    return True


def _replace_sound(m: re.Match[str], d: _Draft) -> bool:
    """The music instead of the clip's own sound: the music, and the clip muted (unless the
    music itself was refused: a second file)."""
    refused = len(d.refused)
    took = _music(m, d)
    if took and len(d.refused) == refused:
        d.set(mute=True)
    return took


_AUDIO_FILE = LazyPattern(rf"\.{_AUDIO_EXT}\s*$", re.I)


def _music_option(m: re.Match[str], d: _Draft, **option: bool) -> None:
    """Duck or (not) loop the music; without a music file, say why nothing was done."""
    if d.plan.music is None:
        d.refuse(m.group(0), NO_MUSIC_FILE)
    else:
        d.set(music=replace(d.plan.music, **option))  # type: ignore[arg-type]


def _no_loop(m: re.Match[str], d: _Draft) -> None:
    """ "don't loop it": the added music is not looped; with no music it asks for nothing,
    since the video is never looped unless asked (it was refused for want of a music file)."""
    if d.plan.music is not None or "music" in m[0].lower():
        _music_option(m, d, loop=False)


def _volume_factor(m: re.Match[str], d: _Draft) -> bool:
    """ "2x louder", "3 times quieter", "louder x2", "volume x2": the volume times that (a
    factor of 1 or less is declined, so its number is reported)."""
    factor = float(m["n"] or m["n2"])
    if factor <= 1:
        return False
    quieter = (m["w"] or "").lower() in ("quieter", "softer")
    d.set(volume=round(1 / factor if quieter else factor, 3))
    return True


def _music_fade(m: re.Match[str], d: _Draft) -> None:
    if d.plan.music is None:
        d.refuse(m.group(0), NO_MUSIC_FILE)
    elif (m["dir"] or m["dir2"] or m["dir3"]).lower() == "in":
        d.refuse(m.group(0), MUSIC_FADES_OUT_ONLY)
    else:
        d.set(music=replace(d.plan.music, fade_out=_dur(m, DEFAULT_MUSIC_FADE_OUT)))


def _music_level(m: re.Match[str], d: _Draft) -> None:
    word = (m["dir"] or m["verb"]).lower()
    louder = word in ("louder", "up", "raise", "increase", "boost", "turn up")
    if d.plan.music is None:
        d.refuse(m.group(0), OWN_MUSIC)
        return
    volume = MUSIC_LOUD if louder else MUSIC_QUIET
    factor = float(m["n"] or 0)
    if factor > 1:  # "make the music 2x louder": that factor of its level
        level = music_level(d.plan.music, beside_clip_sound=not d.plan.mute)
        volume = round(level * factor if louder else level / factor, 3)
    d.set(music=replace(d.plan.music, volume=volume))


def _music_complaint(m: re.Match[str], d: _Draft) -> None:
    if m["word"] is None:  # "keep the music": an added music file is kept anyway
        if d.plan.music is None:
            d.refuse(m.group(0), OWN_MUSIC_KEPT)
        return
    if d.plan.music is None:
        d.refuse(m.group(0), OWN_MUSIC)
        return
    louder = m["word"].lower() != "loud"
    d.set(music=replace(d.plan.music, volume=MUSIC_LOUD if louder else MUSIC_QUIET))


def _music_volume(m: re.Match[str], d: _Draft) -> bool:
    if d.plan.music is None:
        return False
    gd = m.groupdict()
    word = (gd.get("word") or gd.get("word2") or "").lower()
    value = gd.get("v")
    volume = fraction(value) if value else MUSIC_LOUD if word.startswith("loud") else MUSIC_QUIET
    d.set(music=replace(d.plan.music, volume=volume))
    return True


def _transition(m: re.Match[str], d: _Draft) -> None:
    word = re.sub(r"[\s-]+", " ", (m["kind"] or "fade").lower())
    chosen = TRANSITION_NAMES.get(word, "fade")
    direction = (m.groupdict().get("dir") or "").lower()
    directed = f"{word}{direction}"
    if direction and directed in TRANSITION_KINDS:
        chosen = directed
    d.set(transition=Transition(kind=chosen, duration=_dur(m, DEFAULT_TRANSITION)))


_TRANSITION_KIND = (
    r"(?P<kind>cross[\s-]?fade|cross[\s-]?dissolve|dissolve|fade\s+(?:through|to)\s+black|"
    r"dip\s+to\s+black|fade\s+(?:through|to)\s+white|fade|wipe|slide|zoom|circle|pixelate|"
    r"pixelize|radial)s?(?:\s+(?P<dir>left|right|up|down))?"
)
_BETWEEN = (
    r"(?:\s+(?:between|at)\s+(?:the\s+|all\s+|each\s+|every\s+)?"
    r"(?:clips?|shots?|cuts?|scenes?|videos?|parts?))?"
)


# A ratio in digits ("4:5", "9 x 16"): the shape itself, where a word only says which way.
_RATIO_WORDS = LazyPattern(r"\d+\s*[:x/×]\s*\d+")
# The ratios a shape word allows: "portrait mode 4:5", "4:5 for the instagram feed" ask for
# 4:5 (they were refused as two shapes: "portrait" alone is 9:16, "instagram" alone 1:1).
_WORD_ALLOWS: tuple[tuple[LazyPattern, frozenset[str]], ...] = (
    (LazyPattern(r"insta|instagram|(?<![\w])ig(?![\w])", re.I), frozenset({"4:5", "1:1", "9:16"})),
    (LazyPattern(r"vertical|portrait", re.I), frozenset({"4:5", "9:16"})),
    (LazyPattern(r"horizontal|landscape|wide", re.I), frozenset({"16:9"})),
)


def _agreeing(first: Aspect, first_words: str, value: Aspect, words: str) -> Aspect | None:
    """Of two shapes said, the ratio in digits when the other is a word that allows it
    (see _WORD_ALLOWS); None when they are two different asks."""

    def allows(shape_words: str, ratio: Aspect) -> bool:
        if _RATIO_WORDS.search(shape_words):
            return False
        return any(ratio in allowed for word, allowed in _WORD_ALLOWS if word.search(shape_words))

    if _RATIO_WORDS.search(first_words) and allows(words, first):
        return first
    if _RATIO_WORDS.search(words) and allows(first_words, value):
        return value
    return None


def _aspect(value: Aspect) -> Handler:
    """Set the shape; a second, different shape ("for youtube and tiktok", "vertical and
    also horizontal") leaves the frame as it is and says so: the rule that ran last won."""

    def handle(m: re.Match[str], d: _Draft) -> None:
        first = d.plan.aspect
        if not d.shape_conflict and first not in (_EMPTY.aspect, value):
            kept = _agreeing(first, d.shape_said, value, m[0])
            if kept is not None:
                d.set(aspect=kept)
                d.shape_said = d.shape_said if kept == first else m[0]
                return
        if d.shape_conflict or first not in (_EMPTY.aspect, value):
            if not d.shape_conflict:  # the first shape's words are reported with it
                d.refuse(d.shape_said, SHAPE_CONFLICT)
            d.shape_conflict = True
            d.set(aspect=_EMPTY.aspect)
            d.refuse(m[0], SHAPE_CONFLICT)
            return
        d.set(aspect=value)
        d.shape_said = d.shape_said or m[0]

    return handle


def _fill(value: Fill) -> Handler:
    return lambda _m, d: d.set(fill=value)


def _speed(m: re.Match[str], d: _Draft) -> None:
    d.set(speed=number(m["f"] or m["f2"] or m["f3"]))
    d.speed_word = False


def _louder_by(m: re.Match[str], d: _Draft) -> None:
    up = (m["w"] or m["w2"]).lower() == "louder"
    amount = float(m["n"] or m["n2"])
    if m["db"] or m["db2"]:
        d.set(volume=round(10 ** ((amount if up else -amount) / 20), 3))
    else:
        d.set(volume=round(1 + amount / 100 * (1 if up else -1), 3))


def _fixed_speed(factor: float) -> Handler:
    def handle(m: re.Match[str], d: _Draft) -> None:
        gd = m.groupdict()
        value = gd.get("f") or gd.get("f0") or gd.get("fx")
        # "speed it up a bit" goes half way: 1.25x; "slow it down a bit" 0.75x.
        if gd.get("half"):
            value = "0.5"
        if not value:
            d.set(speed=round(_scaled(factor, _degree(m)), 3))
            d.speed_word = True
            return
        given = number(value)
        if factor < 1 and given > 1:
            # "slow it down 2x" is half the speed, not twice it.
            given = round(1 / given, 4)
        elif (factor < 1) != (given < 1):
            # "speed it up 0.5x", "slow it down 1x": the words and the number disagree, so
            # neither is done (the number alone would have been read as a speed).
            d.refuse(m[0], SPEED_DISAGREES)
            return
        d.set(speed=given)
        d.speed_word = False

    return handle


def _fade(which: str) -> Handler:
    """A fade; its length from the words ("over 2 s", "the last 3 seconds", "a slow fade").
    A range at the wrong end ("fade in the last 3 seconds") is not a fade: raise."""

    def handle(m: re.Match[str], d: _Draft) -> None:
        end = (m["w"] or "").lower()
        if end and {"in": "first", "out": "last"}.get(which) != end.replace("final", "last"):
            raise ValueError("a fade-in starts the clip and a fade-out ends it")
        adj = (m["adj"] or "").lower()
        length = _dur(m, FADE_BY_WORD.get(adj, DEFAULT_FADE))
        after = m.groupdict().get("d2")
        if which == "both" and m["d1"] and after:
            # "2 second fade in and fade out 3s": a length for each (both were 2 s).
            d.set(fade_in=_secs(m["d1"]), fade_out=_secs(after))
            return
        if which in ("in", "both"):
            d.set(fade_in=length)
        if which in ("out", "both"):
            d.set(fade_out=length)

    return handle


def _loudness(m: re.Match[str], d: _Draft) -> None:
    gd = m.groupdict()
    if gd.get("lufs"):
        d.set(loudness=-abs(float(gd["lufs"])))
    elif (gd.get("target") or gd.get("target2") or "").lower().startswith("podcast"):
        d.set(loudness=LUFS_PODCAST)
    else:
        d.set(loudness=LUFS_SOCIAL)


def _rotate(m: re.Match[str], d: _Draft) -> None:
    deg = int(m.groupdict().get("deg") or 90) % 360
    direction = (m.groupdict().get("dir") or "").lower()
    if direction and (
        "counter" in direction or "anti" in direction or direction in ("left", "ccw")
    ):
        deg = (360 - deg) % 360
    d.set(rotate=(d.plan.rotate + deg) % 360)


def _step(kind: str, sign: int) -> Handler:
    def handle(m: re.Match[str], d: _Draft) -> None:
        scale = _degree(m)
        if kind == "brightness":
            # Set, like contrast and colour: "make it brighter, it's too dark" says one
            # step twice (adding them gave two steps, where the same with louder gave one).
            d.color(brightness=round(sign * BRIGHTNESS_STEP * scale, 3))
        elif kind == "contrast":
            base = CONTRAST_UP if sign > 0 else CONTRAST_DOWN
            d.color(contrast=round(1 + (base - 1) * scale, 3))
        else:
            base = SATURATION_UP if sign > 0 else SATURATION_DOWN
            d.color(saturation=round(1 + (base - 1) * scale, 3))

    return handle


_PCT_VERB = (
    r"(?:(?P<pverb>increase|raise|boost|up|more|reduce|lower|decrease|cut|less)\s+(?:the\s+)?)?"
)


def _percent(kind: str) -> Handler:
    def handle(m: re.Match[str], d: _Draft) -> None:
        pct = float(m["pct"]) / 100
        if (m["pverb"] or "").lower() in ("reduce", "lower", "decrease", "cut", "less"):
            pct = -abs(pct)  # "reduce saturation by 20%" is less, whatever the sign
        if kind == "brightness":
            d.color(brightness=pct)
        elif kind == "contrast":
            d.color(contrast=1 + pct)
        else:
            d.color(saturation=1 + pct)

    return handle


def _after_cut(d: _Draft, **changes: float) -> bool:
    if not (d.plan.trim.head or d.plan.trim.tail):
        return False
    d.trim(**changes)
    return True


def _remove_range(m: re.Match[str], d: _Draft) -> None:
    span = Span(_secs(m["a"]), _secs(m["b"]))
    wrong = problems(replace(_EMPTY, trim=Trim(remove=(span,))))  # the new span alone
    if wrong:
        raise ValueError("; ".join(wrong))
    d.plan = replace(d.plan, trim=replace(d.plan.trim, remove=(*d.plan.trim.remove, span)))


_LISTED_RANGE = LazyPattern(rf"(?P<a>{TIME}){RANGE_SEP}(?P<b>{TIME})", re.I)


def _remove_listed_ranges(m: re.Match[str], d: _Draft) -> None:
    for one in _LISTED_RANGE.finditer(m[0]):
        _remove_range(one, d)


# "put clip 3 at the start", "move video 2 to the end": a clip's number, not seconds.
_CLIP_NUMBER_BEFORE = LazyPattern(
    r"(?:(?<![\w])(?:clip|video|file|shot|take|part|number|no\.?|#)\s*)$", re.I
)


def _edge_cut(end: str) -> Handler:
    """Cut "3 at the start" off `end` ("head" or "tail"): a bare number is a cut only after
    a cut verb or before "off"/"from", and never after a clip's name ("put clip 3 at the
    start" cut 3 s)."""

    def handle(m: re.Match[str], d: _Draft) -> bool:
        if not _secs_has_unit(m["t"]):
            at = m.start("t")
            if _CLIP_NUMBER_BEFORE.search(m.string[max(0, at - 12) : at]):
                return False
            if not m["verb"] and m["prep"].lower() not in ("off", "from"):
                return False
        d.trim(**{end: _t(m)})
        return True

    return handle


def _secs_has_unit(text: str) -> bool:
    return not re.fullmatch(rf"\s*{NUMBER}\s*", text, re.I)


def _keep_range(m: re.Match[str], d: _Draft) -> None:
    span = Span(_secs(m["a"]), _secs(m["b"]))
    if d.plan.trim.keep is not None and d.plan.trim.keep != span:
        # One part can be kept; a second would silently replace the first ("keep 0:05-0:10
        # and 0:20-0:25" kept only the second): left to be reported instead.
        raise ValueError("only one part can be kept")
    d.trim(keep=span)


def _keep_from(m: re.Match[str], d: _Draft) -> None:
    keep = d.plan.trim.keep or Span()
    d.trim(keep=Span(_secs(m["t"]), keep.end))


def _keep_until(m: re.Match[str], d: _Draft) -> None:
    keep = d.plan.trim.keep or Span()
    d.trim(keep=Span(keep.start, _secs(m["t"])))


def _t(m: re.Match[str]) -> float:
    return _secs(m["t"] or m.groupdict().get("t2") or "")


def _volume(factor: float) -> Handler:
    def handle(m: re.Match[str], d: _Draft) -> None:
        gd = m.groupdict()
        if gd.get("v") or gd.get("v2"):
            d.set(volume=fraction(gd.get("v") or gd["v2"]))
        elif gd.get("db"):
            d.set(volume=round(10 ** (float(gd["db"]) / 20), 3))
        else:
            d.set(volume=round(_scaled(factor, _degree(m)), 3))

    return handle


def _silence(m: re.Match[str], d: _Draft) -> None:
    db = m.groupdict().get("db")
    d.set(silence=SilenceCut(threshold_db=-abs(float(db))) if db else SilenceCut())


# How much: "a bit brighter", "lower the volume a little", "much darker", "boost it a lot".
_MILD_WORDS = (
    r"slight(?:ly)?|a\s+(?:little\s+|tiny\s+|wee\s+|teeny\s+)?(?:bit|little|touch|tad)|a\s+little\s+bit|"
    r"just\s+a\s+(?:(?:little|tiny)\s+)?(?:bit|little|touch)"
)
_STRONG_WORDS = r"much|a\s+lot|way|far|loads|lots"
_DEG_PRE = rf"(?:(?P<how>{_MILD_WORDS}|{_STRONG_WORDS})\s+)?"
_DEG_POST = rf"(?:\s+(?P<how2>{_MILD_WORDS}|a\s+lot|loads|lots|much\s+more|way\s+more))?"
# A strong colour-temperature step goes half as far again (4250 K / 8750 K), no further.
STRONG_KELVIN_SCALE = 1.5


def _degree(m: re.Match[str]) -> float:
    """0.5 for "a bit", 2 for "a lot", 1 when nothing is said."""
    gd = m.groupdict()
    how = str(gd.get("how") or gd.get("how2") or "").lower()
    if not how:
        return 1.0
    return 2.0 if re.fullmatch(rf"{_STRONG_WORDS}|much\s+more|way\s+more", how) else 0.5


def _scaled(factor: float, degree: float) -> float:
    """A factor made milder (half way to 1) or stronger (squared)."""
    if degree < 1:
        return 1 + (factor - 1) * degree
    return float(factor**degree)


def _graded(pattern: str, handler: Handler) -> _Rule:
    """A rule whose amount words ("a bit", "a lot") may come before or after it."""
    return _rule(rf"{_DEG_PRE}(?:{pattern}){_DEG_POST}", handler)


def _rule(pattern: str, handler: Handler, needs: frozenset[str] | None = None) -> _Rule:
    """A rule; `needs` is given only where the handler itself declines every match without
    one of those words (the pattern alone cannot say so)."""
    # The group matters: without it the word boundaries bind only to the first and last
    # alternatives, and "piano sound" read as "no sound".
    source = rf"(?<![\w])(?:{pattern})(?![\w])"
    return _Rule(source, handler, needs or _stored_needs(source))


# --- the keyword prefilter -----------------------------------------------------------------
# About 110 rules each scanning a long prompt cost seconds; most rules cannot match at all
# because their words are absent. Each rule's pattern is read once (its parse tree) for
# literal words that every match must contain; a plain substring test then skips the rule.
# tests/prompts/test_prefilter.py proves the plans identical with and without it.

# re.IGNORECASE also matches these to ASCII letters, which str.lower() does not produce.
_CASE_EXTRA = str.maketrans({"ſ": "s", "ı": "i", "İ": "i"})
# A character range this small (0-9 at most) still says something; a-z says nothing.
_SMALL_CLASS = 10
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT)


def fold(text: str) -> str:
    """`text` as the prefilter compares it (lower case, IGNORECASE's extra letters mapped)."""
    return text.translate(_CASE_EXTRA).lower()


def needs_key(source: str) -> str:
    """The key of a rule's pattern in prompt_needs.NEEDS."""
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def _stored_needs(source: str) -> frozenset[str] | None:
    """A rule's words from the table written ahead (prompt_needs.py): reading them from the
    pattern's parse tree took ~60 ms of every start. A pattern changed since the table was
    written is read here instead: still right, only slower (and a test says to rewrite it)."""
    key = needs_key(source)
    if key in NEEDS:
        words = NEEDS[key]
        return None if words is None else frozenset(words)
    return needs_of(source)


def needs_of(source: str) -> frozenset[str] | None:
    """Given a rule's pattern, return words one of which every match contains, or None."""
    return _seq_needs(list(_parser.parse(source, re.I)))


def needs_table() -> dict[str, tuple[str, ...] | None]:
    """What prompt_needs.NEEDS should hold: every rule's words, read from its pattern."""
    table: dict[str, tuple[str, ...] | None] = {}
    for rule in RULES:
        words = needs_of(rule.source)
        table[needs_key(rule.source)] = None if words is None else tuple(sorted(words))
    return table


def _seq_needs(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """The best requirement among a sequence's parts: the set whose shortest word is longest."""
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in [*items, (None, None)]:
        if op is _sre.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            options.append(frozenset({fold("".join(run))}))
            run = []
        found = _node_needs(op, arg)
        if found is not None:
            options.append(found)
    if not options:
        return None
    return max(options, key=lambda s: (min(map(len, s)), -len(s)))


def _node_needs(op: Any, arg: Any) -> frozenset[str] | None:  # noqa: PLR0911 - one per node kind
    if op is _sre.SUBPATTERN:
        return _seq_needs(list(arg[-1]))
    if op is _sre.ATOMIC_GROUP:
        return _seq_needs(list(arg))
    if op in _REPEATS:
        low, _high, sub = arg
        return _seq_needs(list(sub)) if low >= 1 else None
    if op is _sre.BRANCH:
        words: set[str] = set()
        for branch in arg[1]:
            found = _seq_needs(list(branch))
            if found is None:
                return None
            words |= found
        return frozenset(words)
    if op is _sre.IN:
        return _class_needs(arg)
    return None  # categories, lookarounds, anchors: no word to require


def _class_needs(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """A small character class ([x×], [0-9]) as one-letter words; None for anything else."""
    chars: set[str] = set()
    for op, arg in items:
        if op is _sre.LITERAL:
            chars.add(fold(chr(arg)))
        elif op is _sre.RANGE and arg[1] - arg[0] < _SMALL_CLASS:
            chars |= {fold(chr(c)) for c in range(arg[0], arg[1] + 1)}
        else:
            return None
    return frozenset(chars) or None


def _run(rules: tuple[_Rule, ...], work: str, draft: _Draft) -> str:
    """`work` after each rule in order has read (and blanked) what it matched. Blanking only
    removes text, so a word absent from the text at the start stays absent."""
    if draft.prefilter:
        folded = fold(work)
        present = {w for w in _ALL_NEEDS if w in folded}
        rules = tuple(r for r in rules if r.needs is None or not r.needs.isdisjoint(present))
    for rule in rules:
        work = _apply(rule, work, draft)
    return work


_SILENCE_WORDS = (
    r"(?:silen(?:ce|ces|t\s+(?:parts?|bits?|sections?|gaps?|moments?))|dead\s+air|pauses?|"
    r"gaps?|quiet\s+(?:parts?|bits?)|awkward\s+pauses?|(?:the\s+)?parts?\s+where\s+"
    r"(?:nobody|no\s+one)\s+(?:talks|speaks))"
)
_SILENCE_DB = r"(?:\s+(?:below|under|quieter\s+than)\s+(?P<db>-?\d+(?:\.\d+)?)\s*db)?"
_KEEP = (
    r"(?:(?:i\s+|we\s+)?(?:(?:only|just)\s+)?(?:keep|use|want|need)\s+(?:(?:only|just)\s+)?|"
    r"(?:only|just)\s+)"
)
_VOL_WORDS = r"(?:volume|audio|sound)"

# --- refusals: things asked for that cannot be done here, each with its reason -----------

ASPECT_NOT_MADE = (
    "the frame can be 16:9, 9:16, 1:1 or 4:5, or the clip's own shape; this one was not made"
)
MUSIC_FADES_OUT_ONLY = "added music starts at its level and fades out at the end; no fade-in"
SPEED_DISAGREES = 'the speed word and its number disagree; say e.g. "2x faster" or "half speed"'
NO_MUSIC_FILE = 'no music file was given: name one, e.g. "add music ~/Music/song.mp3 at 30%"'
NO_SPEECH_MODEL = (
    "captions from speech need a speech-to-text model, which the local engine does not "
    'have; give the words in quotes instead, e.g. add a caption "Happy birthday"'
)
NOT_BUILT = "the local engine cannot do this yet; nothing was changed for it"
CROP_OUT = (
    "cropping one thing out of the picture is not done here; the frame is only cropped to "
    'fill a new shape ("vertical, crop to fill")'
)
KEEP_OR_CUT = 'keep that part or cut it out? say e.g. "keep 0:05-0:12" or "cut out 0:05-0:12"'
FADE_HOW_LONG = (
    'say how long, e.g. "2 second fades" or "0.3s transitions"; nothing was done for this'
)
PICTURE_NOISE = (
    'grain, noise in the picture, is not reduced here; for the sound say "remove the '
    'background noise"; nothing was done for this'
)
FADE_BLACK_ONLY = (
    'fades go to and from black here, e.g. "fade to black at the end"; nothing was done for this'
)
SHAPE_CONFLICT = (
    "two different shapes were asked for and one video has one; the frame was left as it "
    'is: say one, e.g. "vertical" or "16:9"'
)
AUDIO_ONLY = "the output is always an MP4 video; a sound-only file is not made here"
ZOOM_FACTOR = (
    'only a slow zoom over the whole video is made, e.g. "slow zoom in"; a zoom to a factor is not'
)
SPEED_RAMP = (
    'a speed that changes along the clip is not made here; say which part, e.g. "the first 3 '
    'seconds in slow motion"'
)
FACTOR_OF_WHAT = (
    'a factor such as 2x is a speed only alone or with a speed word ("2x speed"); here it goes '
    "with something else, so nothing was done for this"
)
SPEED_TO_LENGTH = (
    'a speed is not worked out from a length here; say the speed, e.g. "2x", or the length to '
    'keep, e.g. "trim it to 30 seconds"'
)
PER_CLIP_LENGTH = (
    "a length for each clip is not made here; a length limit is for the whole edit, e.g. "
    '"max 30 seconds"'
)
ROTATE_WHICH_WAY = (
    'which way should it turn? say "rotate right" for 90° clockwise, or "rotate left"'
)
ONE_MUSIC = "one music file is added to a video; another one named here is used and this one is not"
FORMAT_FIXED = "the output is always an H.264 MP4; other formats are not made here"
SDR_ONLY = "the output is SDR: phone HDR is tone-mapped to SDR, and HDR is not made here"
LOOK_NOT_MADE = (
    'a look or colour grade is not made here; say what to change, e.g. "warmer", "more '
    'contrast" or "black and white"'
)
NO_SIZE_TARGET = (
    'say how small, e.g. "under 25 MB", or where it goes: "for WhatsApp" (16 MB), '
    '"for Discord" (10 MB), "for email" (20 MB)'
)
RANGE_ONLY_SPEED = "only speed can be applied to part of the clip; this was not done"
UNREAD_RANGED = (
    "the words limited to this range were not understood, so the range was neither kept nor cut; "
    "nothing was done for this"
)
FADE_OPEN_RANGE = (
    'a fade is given by its length, e.g. "fade out over the last 3 seconds"; nothing was done '
    "for this"
)
OWN_MUSIC = (
    "music already in the clip's sound cannot be turned up or down on its own; nothing was "
    'changed; say "quieter" for the whole sound'
)
ONE_CLIP = (
    "edits apply to every clip of a job; one clip cannot be picked out here, so nothing was "
    "done for this"
)
STRAY_NUMBER = "a number here was not understood; nothing was done for this"
HOW_SHORT = 'say how long, e.g. "trim it to 30 seconds"; what runs past it is cut off the end'
MUSIC_NOT_REMOVABLE = (
    "music in the clip's own sound cannot be taken out of it, only all sound muted with "
    '"mute"; music this rule adds is left out by not asking for it'
)
OWN_MUSIC_KEPT = (
    "music already in the clip's sound cannot be kept apart from its other sound; whatever "
    "is done to the sound is done to it too"
)
EXCEPT_PART = "a part left out of an operation cannot be done here; nothing was done for this"
EXCEPT_RANGE = (
    'say the part to use with times, e.g. "speed up 0:05-0:30" or "cut the first 5 seconds"; '
    "nothing was done for this"
)
VAGUE_RANGE = (
    'which part? give times, e.g. "speed up 0:10-0:20" or "the first 5 seconds"; '
    "nothing was done for this"
)
LOOP_HOW = 'say how many times or how long, e.g. "loop it 3 times" or "loop it to 30 seconds"'


def _refuse(reason: str) -> Handler:
    def handle(m: re.Match[str], d: _Draft) -> None:
        d.refuse(m.group(0), reason)

    return handle


_ROTATION_SAID = LazyPattern(
    r"(?<![\w])(?:rotate|turn)\s+(?:it\s+|the\s+video\s+)?(?:by\s+)?(?:to\s+the\s+)?(?:90|180|270|left|"
    r"right|clockwise|counter|anti|cw|ccw)",
    re.I,
)


def _sideways(m: re.Match[str], d: _Draft) -> None:
    """A sideways picture asks for a rotation: said elsewhere ("it's sideways, rotate
    right"), the complaint is that one; alone, ask which way."""
    if not d.anywhere(_ROTATION_SAID, m.string):
        d.refuse(m[0], ROTATE_WHICH_WAY)


def _back_to_normal(m: re.Match[str], d: _Draft) -> None:
    """ "slow motion, then back to normal": the speed was meant for a part that is not
    named, so the whole-clip speed read earlier is withdrawn and the words reported."""
    d.set(speed=1.0)
    d.refuse(m.group(0), VAGUE_RANGE)


def _shorter(m: re.Match[str], d: _Draft) -> None:
    plan = d.plan
    if plan.max_duration is None and plan.trim == Trim() and plan.highlight is None:
        d.refuse(m.group(0), HOW_SHORT)


def _highlight(m: re.Match[str], d: _Draft) -> bool:
    if m["boring"] and not _REMOVING.search(m[0]):
        return False  # "speed up the boring bits" is not a cut: left to the range guard
    if m["boring"]:
        d.set(highlight=Highlight(mode="boring"))
        return True
    length = m["d1"] or m["d2"] or m["d3"]
    d.set(highlight=Highlight(seconds=_secs(length)) if length else Highlight())
    return True


_REMOVING = LazyPattern(
    r"(?<![\w])(?:cut|trim|remove|drop|skip|delete|take\s+out|edit\s+out|lose|get\s+rid\s+of)"
    r"(?![\w])",
    re.I,
)


def _date_caption(m: re.Match[str], d: _Draft) -> bool:
    if m["time"]:
        return False  # the time of day is not drawn; leave "date and time" to be reported
    if not re.search(r"date", m[0], re.I):
        return False
    vertical = (m["v"] or m["v2"] or "bottom").lower().replace("lower", "bottom")
    vertical = vertical.replace("upper", "top")
    d.set(date_corner=f"{vertical}-{(m['h'] or 'right').lower()}")
    return True


def _refuse_music(m: re.Match[str], d: _Draft) -> bool:
    if d.plan.music is not None:
        return False
    d.refuse(m.group(0), NO_MUSIC_FILE)
    return True


_MUSIC_ADJ = (
    r"(?:(?:lo-?fi|chill|upbeat|happy|epic|calm|relaxing|royalty[\s-]free|copyright[\s-]free|"
    r"some|nice|cool|fun|trending|sad|emotional|cinematic|dramatic|jazz|jazzy|piano|acoustic|"
    r"electronic|quiet|soft|low|loud|soothing|funky|background|bg|a|the)\s+){0,4}"
)
_SIZE_WORDS = r"(?:whatsapp|discord|e-?mail|gmail|telegram|messenger|imessage|slack|signal)"

_IMAGE = (
    r"(?:\x02(?P<q>\d+)\x03|(?P<p>(?:~|\.{1,2})?/[^,;\"'\x00\n]*?\.(?:png|jpe?g|webp)\b|"
    r"(?:~|\.{1,2})?/?[^\s,;\"'\x00]+\.(?:png|jpe?g|webp)))"
)
_CORNER = (
    r"(?:,?\s+(?:(?:in|at|on|to)\s+the\s+)?(?:(?P<v>top|bottom|lower|upper)(?:[\s-]+(?P<h>left|right))?|"
    r"(?P<h2>left|right)|(?=corner))(?:[\s-]hand)?(?:[\s-]*corner)?)?"
)
_LOGO_SIZE = r"(?:,?\s+(?:(?:in\s+)?(?P<size>small|tiny|large|big)(?:\s+size)?))?"
# Logo widths for size words, as shares of the frame's width.
LOGO_SIZES = {"tiny": 0.08, "small": 0.1, "large": 0.25, "big": 0.25}


def _logo(m: re.Match[str], d: _Draft) -> None:
    gd = {k.removeprefix("b"): v for k, v in m.groupdict().items() if v is not None}
    path = d.quoted(gd["q"]) if "q" in gd else gd["p"]
    vertical = (gd.get("v") or "top").lower()
    vertical = {"lower": "bottom", "upper": "top"}.get(vertical, vertical)
    corner = f"{vertical}-{gd.get('h') or gd.get('h2') or 'right'}".lower()
    share = LOGO_SIZES.get(gd.get("size", "").lower(), DEFAULT_LOGO_SHARE)
    d.set(logo=Logo(path=path, corner=corner, share=share))  # type: ignore[arg-type]


_REFUSAL_RULES: tuple[_Rule, ...] = (
    # "start slow then speed up", "slow at first then fast": a speed that
    # changes along the clip. Its fast half was taken as a speed for the whole clip (1.5x
    # from the first frame) and the slow half reported; nothing of it is done.
    _rule(
        r"(?:(?:(?:start|begin)(?:\s+it)?\s+)?(?P<a>slow(?:ly)?|fast|quick(?:ly)?)(?:\s+at\s+(?:the\s+)?"
        r"(?:first|start|beginning))?\s*,?\s*(?:and\s+)?then\s+(?:(?:it\s+)?(?:gets?\s+|goes?\s+)?)?"
        r"(?:speed(?:s)?\s+up|slow(?:s)?\s+down|fast(?:er)?|slow(?:er)?|quick(?:er)?)"
        r"(?!\s+(?:transitions?|fades?|cuts?|zoom))|"
        r"(?P<b>speed\s+(?:it\s+)?up|slow\s+(?:it\s+)?down)\s*,?\s*(?:and\s+)?then\s+"
        r"(?!(?P=b))(?:speed\s+(?:it\s+)?up|slow\s+(?:it\s+)?down))"
        # Not with a time soon after it (bounded: the scan stays linear): the range binding
        # refuses that whole.
        r"(?![^,;.!?\n\x00]{0,40}\d)",
        _refuse(SPEED_RAMP),
    ),
    # "make the fades quicker", "faster transitions": the length of a fade or transition,
    # not the clip's speed ("faster" was read as 1.5x speed, and the fades added at their
    # default length). How much quicker is not said: ask for the length.
    _rule(
        r"(?:(?:make|have|set)\s+)?(?:the\s+|all\s+the\s+|those\s+|my\s+)?(?P<what>fade[sd]?(?:[\s-]?"
        r"(?:ins?|outs?))?|transitions?|cross[\s-]?fades?|dissolves?)\s+(?:a\s+(?:bit|little)\s+|"
        r"much\s+|way\s+)?(?:faster|quicker|slower|longer|shorter|more\s+(?:slow|fast|quick))|"
        r"(?:faster|quicker|slower|longer|shorter)\s+(?:fade[sd]?(?:[\s-]?(?:ins?|outs?))?|transitions?|"
        r"cross[\s-]?fades?|dissolves?)(?:\s+(?:between|at)\s+(?:the\s+)?(?:clips|start|end))?",
        _refuse(FADE_HOW_LONG),
    ),
    # "crop out the person on the left", "crop the logo out": one thing taken out of the
    # picture, not the crop that fills a new shape ("crop" alone set that fill, and the rest
    # was reported as "out the person on the left"). Black bars or borders are that fill.
    _rule(
        r"crop(?:\s+(?:it|this))?\s+(?:out|away|off)\s+(?!(?:the\s+|any\s+)?(?:black\s+)?(?:bars|borders|"
        r"edges|sides)(?![\w]))[^,;.!?\x00\n]+?(?=\s*(?:$|[,;.!?\x00\n]|\s(?:and|then|but)\s))|"
        r"crop\s+(?!(?:it|this|to|in|the\s+(?:black\s+)?(?:bars|borders|edges|sides))\s)"
        r"(?:[\w'’]+\s+){1,4}?(?:out|away|off)",
        _refuse(CROP_OUT),
    ),
    # "fix the audio sync": not a loudness fix (it was read as "fix the audio").
    _rule(
        r"(?:(?:fix|correct|adjust|repair|sort\s+out)\s+(?:the\s+)?)?(?:audio|sound|lip|a/?v)[\s-]?"
        r"sync(?:hroni[sz]ation)?(?:\s+(?:issues?|problems?|delay|offset))?|(?:the\s+)?(?:audio|sound|"
        r"voices?)\s+(?:is\s+|are\s+)?(?:out\s+of|off)\s+sync|out\s+of\s+sync",
        _refuse(
            "the local engine cannot move the sound against the picture; nothing was changed for it"
        ),
    ),
    _rule(
        rf"(?:(?:add|with|use|put|play|include|plus)\s+)?(?:only\s+)?{_MUSIC_ADJ}"
        r"(?:music|song|soundtrack|tune)s?(?:\s+(?:volume\s+)?(?:at|with|to)\s+\d+(?:\.\d+)?\s*"
        r"(?:%|percent)(?:\s+volume)?)?(?:\s+in\s+the\s+background|\s+only|\s+underneath)?",
        _refuse_music,
    ),
    _rule(
        r"(?:(?:add|with|generate|create|make|burn\s+in|include|put)\s+)?(?:the\s+|some\s+)?"
        r"(?:auto(?:matic)?(?:ally)?[\s-]?(?:generated\s+)?)?(?:closed\s+)?"
        r"(?:captions?|subtitles?|subs|cc)(?:\s+(?:from|for|of|to)\s+(?:the\s+|what\s+)?"
        r"(?:speech|audio|dialogue|voices?|talking|people\s+say|(?:i|we|they)\s+say|it))?|"
        r"transcri(?:be|pt|ption)(?:\s+(?:it|the\s+(?:audio|speech)))?|speech[\s-]to[\s-]text",
        _refuse(NO_SPEECH_MODEL),
    ),
    _rule(
        rf"(?:(?:make|create|give\s+me|cut|trim|remove|drop|skip|delete|edit|take\s+out|"
        rf"turn\s+(?:it|this)\s+into|pick|find|just\s+keep|keep|only\s+keep)\s+)?"
        rf"(?:(?:it|this)\s+into\s+)?(?:out\s+)?(?:me\s+)?(?:the\s+|an?\s+|all\s+the\s+)?"
        rf"(?:(?P<d1>{TIME_WITH_UNIT})[\s-]+(?:long\s+)?)?(?:short\s+)?"
        r"(?:highlights?(?:\s+reel)?|teaser|trailer|recap|best[\s-]of|montage|"
        r"(?:best|funniest|most\s+(?:interesting|exciting|important))\s+(?:parts?|bits?|"
        r"moments?|scenes?|shots?)|(?P<boring>boring\s+(?:parts?|bits?|stuff|sections?|moments?)|"
        r"parts?\s+where\s+nothing\s+happens)|best\s+(?P<d3>"
        rf"{TIME_WITH_UNIT}))"
        r"(?:\s+(?:from|of|with)\s+(?:the\s+)?(?:best|most\s+\w+)\s+(?:parts?|bits?|moments?))?"
        rf"(?:,?\s+(?:of\s+|in\s+)?(?P<d2>{TIME_WITH_UNIT})(?:\s+long)?)?",
        _highlight,
    ),
    _rule(
        # "reduce the file size to 50 MB", "compress it to 50 MB": the verb is part of it
        # (left over, it was reported as "say how small" beside the size it had set).
        r"(?:(?:(?:reduce|lower|shrink|cut|get)\s+(?:the\s+)?(?:file\s+)?size(?:\s+down)?|"
        r"(?:compress|shrink)(?:\s+(?:it|this|the\s+(?:file|video)))?)\s+)?"
        r"(?:(?:make\s+it\s+|keep\s+it\s+|get\s+it\s+)?(?:under|below|less\s+than|smaller\s+than|"
        r"max(?:imum)?|at\s+most|no\s+(?:bigger|larger|more)\s+than|fit\s+(?:in|into|under)|within|"
        rf"to)\s+)?(?P<n>\d+(?:\.\d+)?)\s*(?P<u>{SIZE})(?:\s+(?:file\s+size|or\s+less|max(?:imum)?))?"
        rf"(?:\s+(?:for|on|via|to\s+send\s+(?:on|via|by|over))\s+(?:my\s+)?{_SIZE_WORDS}"
        r"(?:\s+status)?)?",
        lambda m, d: d.set(max_bytes=size_bytes(f"{m['n']}{m['u']}")),
    ),
    # "compress it so I can email it", "small enough to whatsapp it": the target is the verb.
    _rule(
        r"(?:(?:make\s+it\s+)?(?:small\s+enough|smaller)\s+|(?:compress(?:ed)?|shrink)(?:\s+(?:it|this|"
        r"the\s+(?:file|video)))?\s+)(?:so\s+(?:that\s+)?(?:i|we|you)\s+can\s+|to\s+)"
        r"(?P<where>e-?mail|whatsapp|discord)\s+(?:it|this)(?:\s+to\s+\w+)?",
        lambda m, d: d.set(max_bytes=int(SIZE_TARGET_MB[m["where"].lower()] * BYTES_PER_MB)),
    ),
    _rule(
        r"(?:(?:make\s+it\s+)?(?:small\s+enough|smaller)\s+|(?:compress(?:ed)?|shrink)(?:\s+(?:it|this|the\s+"
        r"(?:file|video)))?\s+)?(?:for|to\s+send\s+(?:on|via|by|over)|on|via|over|by|to)\s+"
        r"(?:my\s+)?(?P<where>whatsapp|discord|e-?mail|gmail)(?:\s+status)?",
        lambda m, d: d.set(max_bytes=int(SIZE_TARGET_MB[m["where"].lower()] * BYTES_PER_MB)),
    ),
    _rule(
        rf"(?:small\s+enough\s+)?(?:for|to\s+send\s+(?:on|via|by|over)|on|via|over|by)\s+"
        rf"{_SIZE_WORDS}|(?:compress(?:ed)?|shrink)(?:\s+(?:it|the\s+(?:file|video)))?|"
        r"smaller\s+file(?:\s+size)?|(?:reduce|lower|shrink)\s+(?:the\s+)?file\s+size|make\s+"
        r"(?:the|this)\s+file\s+smaller",
        _refuse(NO_SIZE_TARGET),
    ),
    _rule(
        r"(?:(?:put|add|show|stamp|burn\s+in|include|overlay)\s+)?(?:the\s+|a\s+)?(?:capture\s+|"
        r"recording\s+|shooting\s+|filming\s+|original\s+)?(?P<time>date\s+and\s+time|"
        r"time\s*stamp)?(?:date|date\s*stamp)?(?:\s+(?:it\s+was\s+|when\s+it\s+was\s+)?"
        r"(?:taken|filmed|shot|recorded))?(?:\s+(?:in|on|at)\s+the\s+(?:(?P<v>top|bottom|lower|upper)"
        r"\s+)?(?:(?P<h>left|right)(?:[\s-]hand)?\s+)?(?:corner|(?P<v2>bottom|top)))?",
        _date_caption,
        frozenset({"date"}),
    ),
    _rule(
        r"(?:(?:add|put|overlay|place|stamp|insert|with|use)\s+)?(?:(?:my|our|the|a)\s+)?"
        # "watermark it with ~/brand.png": it was refused for naming no file.
        rf"(?:logo|watermark)\s+(?:from\s+|file\s+|(?:it\s+|the\s+video\s+)?with\s+)?{_IMAGE}{_CORNER}"
        rf"{_LOGO_SIZE}|"
        rf"(?:add|put|overlay|place|stamp|use)\s+{_IMAGE.replace('(?P<', '(?P<b')}\s+as\s+"
        rf"(?:a\s+|the\s+|my\s+)?(?:logo|watermark){_CORNER.replace('(?P<', '(?P<b')}"
        rf"{_LOGO_SIZE.replace('(?P<', '(?P<b')}",
        _logo,
    ),
    _rule(r"remove\s+(?:the\s+)?(?:logo|watermark)", _refuse(NOT_BUILT)),
    _rule(
        r"(?:(?:add|put|overlay|place|stamp|insert|with)\s+)?(?:my\s+|our\s+|the\s+|a\s+)?"
        rf"(?:logo|watermark){_CORNER}",
        _refuse('name the image file, e.g. "add my logo ~/logo.png in the top right corner"'),
    ),
    _rule(
        r"(?:make\s+(?:it\s+)?(?:into\s+)?|export\s+(?:it\s+)?as\s+|turn\s+it\s+into\s+)?(?:an?\s+)?"
        r"(?:(?:youtube|yt)\s+)?(?:thumbnail|gif)|boomerang(?:\s+effect)?|ping[\s-]?pong(?:\s+loop)?|(?:play\s+(?:it\s+)?)?backwards?\s+"
        r"(?:and|then)\s+(?:(?:play\s+(?:it\s+)?)?forwards?|(?:back\s+)?again)|(?:play\s+(?:it\s+)?)?"
        r"forwards?\s+(?:and|then)\s+backwards?",
        _refuse(NOT_BUILT),
    ),
    _rule(
        r"(?:reverse|change|swap|shuffle)\s+(?:the\s+)?order(?:\s+of\s+(?:the\s+)?clips)?",
        _refuse(NOT_BUILT),
    ),
    # "speed it up to 10 seconds long": a speed worked out from a length (it was 1.5x and
    # then cut off at 10 s, losing the rest).
    _rule(
        r"(?:speed|slow)\s+(?:it\s+|this\s+|the\s+(?:video|clip)\s+)?(?:up|down)\s+(?:(?:so|until)\s+"
        r"(?:that\s+)?it(?:['’]?s|\s+is|\s+lasts|\s+fits(?:\s+in(?:to)?)?)\s+|to\s+(?:fit\s+(?:in(?:to)?\s+)?)?)"
        rf"(?:about\s+|around\s+|only\s+|just\s+)?{TIME_WITH_UNIT}(?:\s+long)?",
        _refuse(SPEED_TO_LENGTH),
    ),
    # "make every clip 3 seconds long": a length for each clip; the cap is for the whole edit
    # (it capped the whole video at 3 s and reported "make every clip").
    _rule(
        r"(?:make\s+|keep\s+|cut\s+|trim\s+)?(?:each|every)\s+(?:clip|video|part|shot|photo)s?\s+(?:to\s+)?"
        r"(?:(?:max(?:imum)?|at\s+most|no\s+more\s+than|under|only)\s+)?"
        rf"{TIME_WITH_UNIT}(?:\s+(?:long|max(?:imum)?|each))?",
        _refuse(PER_CLIP_LENGTH),
    ),
    # "the phone was vertical but the video is horizontal", "it's sideways": the picture is
    # turned, which way is not said (the first was made 9:16 with the sideways picture in it).
    _rule(
        r"(?:the\s+|my\s+)?(?:phone|camera)\s+was\s+(?:held\s+)?(?:vertical(?:ly)?|horizontal(?:ly)?|"
        r"upright|portrait|landscape|sideways)(?:\s+but\s+(?:the\s+)?(?:video|clip|it)\s+(?:is|came\s+"
        r"out|looks|shows(?:\s+up)?)\s+(?:horizontal|vertical|sideways|landscape|portrait|on\s+its\s+"
        r"side))?|(?:(?:it\s+)?was\s+|it['’]?s\s+|(?:the\s+)?(?:video|clip)\s+is\s+|(?:recorded|filmed|"
        r"shot)\s+(?:it\s+)?)(?:sideways|on\s+its\s+side)",
        _sideways,
    ),
    # "make it webm", "save as .mov": the container is fixed (it was reported with no reason).
    _rule(
        r"(?:(?:make|convert|export|save|render|encode|turn|change)\s+(?:it\s+|this\s+|the\s+(?:video|"
        r"file)\s+)?(?:(?:in)?to\s+|as\s+|in\s+)?(?:an?\s+)?)?\.?(?:webm|mov|avi|mkv|wmv|flv|hevc|"
        r"h\.?265|x265|prores|vp9|av1)(?:\s+(?:file|format|video))?",
        _refuse(FORMAT_FIXED),
    ),
    _rule(
        r"(?:(?:make|convert|export|save|render|turn)\s+(?:it\s+)?(?:(?:in)?to\s+|as\s+|in\s+)?)?"
        r"(?:an?\s+)?hdr(?:10\+?)?(?:\s+(?:video|look|effect))?",
        _refuse(SDR_ONLY),
    ),
    # "add a film look", "make it look like a movie": every word is filler alone, so it
    # vanished without a word.
    _rule(
        r"(?:(?:add|give\s+it|apply)\s+)?(?:an?\s+|the\s+)?(?:film|movie|cinema|hollywood)\s+"
        r"(?:look|style|feel|vibe|grade|effect)|(?:make\s+(?:it|this)\s+)?look\s+like\s+(?:an?\s+)?"
        r"(?:movie|film)(?![\w])",
        _refuse(LOOK_NOT_MADE),
    ),
    # "turn it over": upside down or mirrored? All its words are filler alone, so it
    # vanished without a word.
    _rule(
        r"(?:turn|flip)\s+(?:it|this|the\s+(?:video|clip|picture|image))\s+over",
        _refuse('which way? say "rotate 180", "flip vertically" or "mirror it"'),
    ),
    # "picture in picture": all three words are filler alone, so it vanished without a word.
    _rule(
        r"(?:an?\s+)?(?:picture[\s-]in[\s-]picture|pip)(?:\s+(?:effect|mode|view))?",
        _refuse(NOT_BUILT),
    ),
    # "keep audio only", "i only want the audio", "extract the audio as mp3": a sound file,
    # which is not made here ("keep the audio" was read as keeping the sound, and only
    # "only" was reported). "remove the audio only" is a mute.
    _rule(
        r"(?:(?:i\s+|we\s+)?(?:only|just)\s+)?(?:keep|want|need|export|save|give\s+me)\s+"
        r"(?:(?:only|just)\s+)?(?:the\s+)?(?:audio|sound)(?:\s+track)?\s+only|(?:i\s+|we\s+)?only\s+"
        r"(?:keep|want|need)\s+(?:the\s+)?(?:audio|sound)(?:\s+track)?|(?:extract|rip|separate|"
        r"pull\s+out)\s+(?:the\s+)?(?:audio|sound)(?:\s+track)?(?:\s+(?:as|to|into|in)\s+(?:an?\s+)?"
        rf"(?:{_AUDIO_EXT}|audio\s+file))?|(?:convert|turn|save|export)\s+(?:it\s+)?(?:(?:in)?to|as)\s+"
        rf"(?:an?\s+)?(?:{_AUDIO_EXT}|audio\s+file)(?:\s+file)?",
        _refuse(AUDIO_ONLY),
    ),
)
_ZOOM_REFUSAL_RULES: tuple[_Rule, ...] = (
    # "zoom in 2x", "2x zoom": a zoom factor, never a speed (it was played at 2x speed).
    _rule(
        r"(?:(?:add\s+)?(?:an?\s+)?zoom(?:ed)?(?:\s+(?:it\s+)?(?:in|out))?\s+(?:by\s+|to\s+|at\s+)?"
        r"(?:\d+(?:\.\d+)?\s*(?:x|times)|x\s*\d+(?:\.\d+)?|\d+\s*%)|(?:\d+(?:\.\d+)?\s*x|\d+\s*%)\s+"
        r"zoom(?:ed)?(?:\s+(?:in|out))?)(?![\w])",
        _refuse(ZOOM_FACTOR),
    ),
    _rule(
        r"zoom\s+in\s+on\s+(?:the\s+)?(?:faces?|people|subject|\w+)",
        _refuse(NOT_BUILT),
    ),
    _rule(
        r"(?:(?:add|with|do|use)\s+)?(?:an?\s+|the\s+)?(?:(?P<kb>ken\s+burns)(?:\s+effect)?|"
        r"(?:slow(?:ly)?|gentle|gradual)\s+zoom(?:ing)?(?:[\s-]+(?P<d1>in|out))?|zoom(?:ing)?\s+"
        r"(?P<d2>in|out)\s+(?:slowly|gently|gradually)|(?:slow\s+)?(?P<push>push[\s-]in))",
        lambda m, d: d.set(zoom="out" if (m["d1"] or m["d2"] or "").lower() == "out" else "in"),
    ),
)

# --- loop, reverse, frame rate, pitch, noise, relative volume, colour temperature ----------


def _loop_count(m: re.Match[str], d: _Draft) -> bool:
    word = re.sub(r"\s*times$", "", (m["n"] or m["n2"] or m["n3"] or "").lower())
    count = {"once": 1.0, "twice": 2.0, "thrice": 3.0}.get(word) or number(word)
    if count != int(count) or not 1 <= count <= MAX_LOOPS:
        return False
    d.set(loop_count=int(count))
    return True


def _loop_seconds(m: re.Match[str], d: _Draft) -> bool:
    value = _secs(m["t"])
    if not 0 < value <= MAX_LOOP_SECONDS:
        return False
    d.set(loop_seconds=value)
    return True


def _fps(m: re.Match[str], d: _Draft) -> bool:
    value = float(m["fps"])
    if not MIN_FPS <= value <= MAX_FPS:
        return False
    mode = (m.groupdict().get("mode") or m.groupdict().get("smooth") or "").lower()
    d.set(fps=value, fps_mode=_fps_mode_of(mode) if mode else d.plan.fps_mode)
    return True


def _fps_mode_of(words: str) -> FpsMode:
    if "blend" in words:
        return "blend"
    return "interpolate"


def _fps_mode(m: re.Match[str], d: _Draft) -> bool:
    if d.plan.fps is None:
        return False
    d.set(fps_mode=_fps_mode_of(m.group(0).lower()))
    return True


def _relative_volume(m: re.Match[str], d: _Draft) -> None:
    gd = m.groupdict()
    down = any(
        (gd.get(k) or "").lower() in ("down", "reduce", "lower", "decrease", "cut", "drop")
        for k in ("dir", "dir2", "verb")
    )
    value = float(gd["n"] or gd["n2"] or gd["n3"])
    if (gd["u"] or gd["u2"] or gd["u3"] or "").lower() == "db":
        factor = 10 ** ((-value if down else value) / 20)
    else:
        factor = 1 - value / 100 if down else 1 + value / 100
    if factor <= 0:
        raise ValueError("a volume cannot go below silence")
    d.set(volume=round(factor, 3))


def _temperature(kelvin: int) -> Handler:
    def handle(m: re.Match[str], d: _Draft) -> None:
        shift = (kelvin - d.plan.color.temperature) * min(_degree(m), STRONG_KELVIN_SCALE)
        d.color(temperature=round(d.plan.color.temperature + shift))

    return handle


def _silence_edges(m: re.Match[str], d: _Draft) -> None:
    ends = {(m[k] or "").lower()[:3] for k in ("e1", "e2")} - {""}
    where: SilenceWhere = "edges"
    if m["both"] is None and len(ends) == 1:
        where = "end" if ends == {"end"} else "start"
    d.set(silence=SilenceCut(where=where))


_VOL = r"(?:volume|audio|sound|it)"

_LOOP_RULES: tuple[_Rule, ...] = (
    _rule(
        rf"(?:loop|repeat)(?:\s+(?:it|this|the\s+(?:video|clip|edit)))?\s+(?P<n>{NUMBER}|once|"
        r"twice|thrice)(?:\s*(?:times|x|×))?(?:\s+in\s+a\s+row)?|(?:loop|repeat)(?:\s+it)?\s+so\s+"
        rf"(?:that\s+)?it\s+plays\s+(?P<n3>{NUMBER})\s*times|play\s+(?:it\s+|this\s+)?"
        rf"(?P<n2>twice|thrice|{NUMBER}\s*times)(?!\s+(?:faster|slower|quicker|as\s+fast|(?:the\s+)?"
        r"speed))(?:\s+in\s+a\s+row)?",
        _loop_count,
    ),
    _rule(
        r"(?:loop|repeat)(?:\s+(?:it|this|the\s+(?:video|clip|edit)))?\s+(?:to|until|for|up\s+to|"
        rf"to\s+fill|so\s+(?:it|that\s+it)\s+(?:lasts|is|fills))\s+(?P<t>{TIME_WITH_UNIT})"
        r"(?:\s+long)?",
        _loop_seconds,
    ),
    _rule(
        r"(?:make\s+(?:it\s+)?)?(?:an?\s+)?(?:seamless\s+|endless\s+|infinite\s+)?"
        r"loop(?:ing|ed)?(?:\s+(?:it|this|the\s+(?:video|clip)|video))?(?!\s+(?:the\s+)?music)"
        r"(?:\s+(?:forever|seamlessly|endlessly|infinitely|continuously|smoothly))?",
        _refuse(LOOP_HOW),
    ),
)
_PITCH_RULES: tuple[_Rule, ...] = (
    # Every speed change keeps the pitch (atempo), so these ask for what is done anyway.
    _rule(
        r"(?:but\s+)?(?:keep|preserve|maintain|don'?t\s+change|do\s+not\s+change)\s+(?:the\s+)?"
        r"(?:original\s+)?(?:audio\s+|voice\s+|sound\s+)?pitch(?:\s+(?:normal|the\s+same|natural|"
        r"unchanged|as\s+(?:it\s+)?is))?|(?:without|no)\s+(?:changing\s+(?:the\s+)?pitch|"
        r"pitch\s+(?:change|shift)|(?:the\s+)?chipmunk(?:\s+(?:voice|effect|sound))?)|"
        r"(?:with\s+)?(?:normal|natural)\s+(?:pitch|voices?)",
        lambda _m, _d: None,
    ),
)
_SILENCE_EDGE_RULES: tuple[_Rule, ...] = (
    _rule(
        r"(?:remove|cut|trim|delete|drop|skip|get\s+rid\s+of|strip)\s+(?:out\s+)?(?:the\s+|any\s+)?"
        rf"{_SILENCE_WORDS}\s+(?:at|from|in|on)\s+(?:(?P<both>both\s+ends|either\s+end|each\s+end)|"
        rf"the\s+(?P<e1>{START}|{END})(?:\s+(?:and|&|or)\s+(?:the\s+)?(?P<e2>{START}|{END}))?)",
        _silence_edges,
    ),
)
_REVERSE_RULES: tuple[_Rule, ...] = (
    _rule(
        r"(?:play\s+(?:it\s+|this\s+)?)?(?:backwards?|in\s+reverse)|reversed?(?:\s+(?:it|this|"
        r"the\s+(?:video|clip|footage)))?(?:\s+playback)?(?!\s+(?:the\s+)?order)|rewind\s+effect",
        lambda _m, d: d.set(reverse=True),
    ),
)
_FPS_RULES: tuple[_Rule, ...] = (
    _rule(
        r"(?P<smooth>smooth(?:er)?\s+(?:it\s+)?(?:out\s+)?(?:to\s+)?)?(?:(?:convert|change|set|reduce|lower|"
        r"drop|raise|increase|bump)\s+(?:it\s+|the\s+frame\s*rate\s+)?"
        r"to\s+|(?:make\s+(?:it\s+)?)|(?:at|in)\s+|frame\s*rate\s+(?:of\s+|to\s+)?)?"
        r"(?P<fps>\d+(?:\.\d+)?)\s*(?:fps|frames?\s+(?:per|a)\s+second|frame\s*rate|hz)"
        r"(?:\s+(?:with|using|by)\s+(?P<mode>(?:motion\s+|frame\s+)?interpolation|frame\s+blending|"
        r"blending|optical\s+flow))?",
        _fps,
    ),
    # "change the frame rate to 50": the number with no "fps" after it.
    _rule(
        r"(?:(?:convert|change|set|reduce|lower|drop|raise|increase|bump|make)\s+)?(?:the\s+)?"
        r"(?:frame\s*rate|fps)\s+(?:to|of|at)\s+(?P<fps>\d+(?:\.\d+)?)(?![\d.])(?!\s*(?:%|x))",
        _fps,
    ),
    _rule(
        r"(?:with\s+|use\s+|using\s+)?(?:motion\s+interpolation|frame\s+interpolation|"
        r"optical\s+flow|interpolate(?:\s+(?:the\s+)?frames)?|frame\s+blending|blend\s+frames)",
        _fps_mode,
    ),
)
_DENOISE_RULES: tuple[_Rule, ...] = (
    _rule(
        r"(?:remove|reduce|cut|clean\s+up|get\s+rid\s+of|eliminate|fix|less|lower|kill|filter\s+out|"
        r"take\s+out)\s+(?:the\s+|any\s+|all\s+|some\s+|that\s+)?(?:annoying\s+)?(?:background\s+|"
        r"wind\s+|audio\s+|static\s+|fan\s+|room\s+|traffic\s+|electrical\s+)?(?:noise|hiss|hum|"
        r"buzz(?:ing)?|static|rumble|wind)(?:\s+(?:in|from)\s+the\s+(?:audio|sound|background))?|"
        r"de-?noise\s+(?:the\s+)?(?:audio|sound)|(?:audio\s+)?noise\s+(?:reduction|removal|"
        r"suppression)|clean\s+up\s+the\s+(?:audio|sound)",
        lambda _m, d: d.set(denoise=True),
    ),
    # "denoise", "denoise the video", "remove the grain": noise in the sound or in the
    # picture? Only the sound's is reduced here; say so rather than guess.
    _rule(
        r"de-?noise(?:\s+(?:it|this|the\s+(?:video|clip|footage|picture|image)))?|(?:remove|reduce|"
        r"fix|less|get\s+rid\s+of)\s+(?:the\s+|some\s+)?(?:grain|graininess|video\s+noise|"
        r"picture\s+noise|image\s+noise)|(?:too\s+|so\s+|very\s+)grainy",
        _refuse(PICTURE_NOISE),
    ),
)
_NOISE = (
    r"(?:(?:background|wind|traffic|fan|room|static|electrical|annoying)\s+)?"
    r"(?:noise|hiss|hum|buzz(?:ing)?|wind)"
)
_NOISE_COMPLAINT_RULES: tuple[_Rule, ...] = (
    _rule(
        rf"(?:there'?s|there\s+is|it\s+has)\s+(?:(?:a\s+lot|lots|loads|tons)\s+of\s+|too\s+much\s+|so\s+"
        rf"much\s+|some\s+|a\s+bit\s+of\s+|an?\s+)?(?:[\w-]+\s+)?{_NOISE}(?:\s+in\s+(?:it|the\s+(?:audio|sound|background)))?|"
        rf"(?:the\s+)?{_NOISE}\s+is\s+(?:so\s+|really\s+|very\s+|too\s+)?(?:terrible|awful|bad|"
        r"annoying|loud|horrible|distracting)",
        lambda _m, d: d.set(denoise=True),
    ),
)
_RELATIVE_VOLUME_RULES: tuple[_Rule, ...] = (
    _rule(
        rf"(?:turn|bring)\s+(?:the\s+)?{_VOL}\s+down\s+by\s+(?:a\s+)?half|turn\s+down\s+(?:the\s+)?"
        rf"{_VOL}\s+by\s+(?:a\s+)?half|(?:halve|half)\s+the\s+{_VOL}|(?:reduce|lower|cut|decrease)"
        rf"\s+(?:the\s+)?{_VOL}\s+(?:by\s+)?(?:a\s+)?half|{_VOL}\s+down\s+by\s+(?:a\s+)?half|"
        rf"(?:reduce|lower|cut|decrease)\s+(?:the\s+)?{_VOL_WORDS}\s+in\s+half|"
        r"half\s+as\s+loud",
        lambda _m, d: d.set(volume=0.5),
    ),
    _rule(rf"double\s+the\s+{_VOL}|twice\s+as\s+loud", lambda _m, d: d.set(volume=2.0)),
    _rule(
        rf"(?:turn|bring)\s+(?:the\s+)?{_VOL}\s+(?P<dir>down|up)\s+(?:by\s+)?(?P<n>\d+(?:\.\d+)?)"
        rf"\s*(?P<u>%|percent|db)|(?P<verb>reduce|lower|decrease|cut|drop|raise|increase|boost)"
        rf"\s+(?:the\s+)?{_VOL}\s+by\s+(?P<n2>\d+(?:\.\d+)?)\s*(?P<u2>%|percent|db)|"
        rf"{_VOL}\s+(?P<dir2>down|up)\s+(?:by\s+)?(?P<n3>\d+(?:\.\d+)?)\s*(?P<u3>%|percent|db)",
        _relative_volume,
    ),
    # "louder by 50%", "quieter by 20 percent", "quieter by 3 dB"
    _rule(
        r"(?P<w>louder|quieter|softer)\s+by\s+(?P<n>\d+(?:\.\d+)?)\s*(?:%|percent|(?P<db>db))|"
        # "make it 50% quieter", "20 percent louder": the amount said first
        r"(?P<n2>\d+(?:\.\d+)?)\s*(?:%|percent|(?P<db2>db))\s+(?P<w2>louder|quieter|softer)",
        _louder_by,
    ),
    # "make the audio louder", "make the voices a bit quieter": the clip's own sound. The
    # object is read here (the next rule reads the level), so it is not reported as
    # "not understood" although the request was done.
    _rule(
        r"(?:make|get)\s+(?:the\s+|its\s+|my\s+|our\s+)?(?:audio|sound|volume|voices?|speech|"
        r"talking|dialogue)(?=(?:\s+[\w'’]+){0,3}?\s+(?:louder|quieter|softer)(?![\w]))",
        lambda _m, _d: None,
    ),
    _graded(
        r"(?P<w>quieter|softer|louder)",
        lambda m, d: d.set(
            volume=round(_scaled(LOUDER if m["w"].lower() == "louder" else QUIETER, _degree(m)), 3)
        ),
    ),
)
_TEMPERATURE_RULES: tuple[_Rule, ...] = (
    _graded(
        r"(?:warmer(?:\s+(?:tones?|colou?rs|look))?|warm(?:\s+it)?\s+up|more\s+warmth|"
        r"warm\s+(?:tones?|colou?rs|look|colou?r\s+grade))|(?:fix\s+the\s+|(?:it\s+)?(?:looks?|is|"
        r"seems?)\s+|it'?s\s+)?(?:too|very|so|a\s+bit|a\s+little|kinda|kind\s+of)\s+"
        r"(?:blue|bluish|cold|cool)|(?:fix|remove|correct)\s+(?:the\s+)?blue\s+(?:tint|cast)|"
        r"less\s+(?:blue|bluish|cold)",
        _temperature(WARMER_KELVIN),
    ),
    _graded(
        r"(?:cooler(?:\s+(?:tones?|colou?rs|look))?|colder|cool(?:\s+it)?\s+down|"
        r"cool\s+(?:tones?|colou?rs|look|colou?r\s+grade))|(?:fix\s+the\s+|(?:it\s+)?(?:looks?|is|"
        r"seems?)\s+|it'?s\s+)?(?:too|very|so|a\s+bit|a\s+little|kinda|kind\s+of)\s+"
        r"(?:yellow|yellowish|orange|warm)|(?:fix|remove|correct)\s+(?:the\s+)?(?:yellow|orange)\s+"
        r"(?:tint|cast)|less\s+(?:yellow|yellowish|orange)",
        _temperature(COOLER_KELVIN),
    ),
    # "it looks washed out" is a complaint: more contrast and colour, not less.
    _rule(
        r"(?:(?:it\s+)?(?:looks?|is|seems?)\s+|it'?s\s+|too\s+|fix\s+(?:the\s+)?|very\s+|so\s+|"
        r"a\s+bit\s+|kinda\s+)+washed[\s-]out(?:\s+colou?rs)?|washed[\s-]out(?!\s+(?:look|style|"
        r"effect|filter|vibe))",
        lambda _m, d: d.color(contrast=CONTRAST_UP, saturation=SATURATION_UP),
    ),
)


_MUSIC_RULES: tuple[_Rule, ...] = (
    # "replace the audio with song.mp3", "swap the sound for 'x.m4a'", "use song.mp3 instead
    # of the original sound": the clip's sound goes and the music is all there is (it was
    # mixed in at 30 % under the clip's sound, and "replace the audio" reported).
    _rule(
        r"(?:replace|swap|switch|change)\s+(?:the\s+|its\s+|my\s+)?(?:original\s+|clip'?s\s+|"
        r"video'?s\s+)?(?:audio|sound|soundtrack|music)(?:\s+track)?\s+(?:with|for|by|to)\s+"
        rf"(?:the\s+|some\s+)?(?:music\s+|song\s+|track\s+|file\s+)?{PATH}{MUSIC_VOL}",
        _replace_sound,
    ),
    _rule(
        rf"(?:use|play|put)\s+{PATH}{MUSIC_VOL}\s+instead\s+of\s+(?:the\s+|its\s+)?"
        r"(?:original\s+)?(?:audio|sound|soundtrack)",
        _replace_sound,
    ),
    # music: "add music ~/Music/lofi.mp3 at 35%", "use 'My Song.mp3' as background music"
    _rule(
        # Not inside a path: in "~/songs/track 1.mp3" the word "track" is part of the name.
        r"(?<![/~])(?:(?:add|with|use|put|play|include)\s+)?(?:some\s+|the\s+)?(?:background\s+|"
        rf"bg\s+)?(?:music|song|track|soundtrack|audio\s+track)\s+(?:from\s+|file\s+)?{PATH}{MUSIC_VOL}",
        _music,
    ),
    _rule(
        rf"(?:add|use|play|put)\s+{PATH}\s+(?:as\s+)?(?:the\s+|a\s+)?(?:background\s+|bg\s+)?"
        rf"(?:music|soundtrack|song|track)(?:\s+in\s+the\s+background)?{MUSIC_VOL}",
        _music,
    ),
    # "add song.mp3", "song.mp3 as background": a sound file named with no music word is
    # music (it was refused for having no music file).
    _rule(
        rf"(?P<bare>)(?:add|use|play|put|include|with)\s+(?:the\s+)?(?:song\s+|file\s+)?"
        rf"(?:\x02(?P<qpath>\d+)\x03|{_TOKEN_PATH}){_AS_BACKGROUND}{MUSIC_VOL}",
        _music,
    ),
    # Unquoted only: any quoted words would otherwise be tried as a file (a cost per quote).
    _rule(
        rf"(?P<bare>)(?:the\s+)?(?:song\s+|file\s+)?{_TOKEN_PATH}{_AS_BACKGROUND}{MUSIC_VOL}",
        _music,
    ),
    # "fade the music out over 3 seconds", "fade in the music": the added music's fade, never
    # the picture's ("fade in the music" faded the video in).
    _rule(
        r"(?:fade\s+(?P<dir>in|out)\s+(?:the\s+)?(?:background\s+)?music|fade\s+(?:the\s+)?"
        r"(?:background\s+)?music\s+(?P<dir2>in|out)|(?:the\s+)?(?:background\s+)?music\s+(?:should\s+)?"
        r"fades?\s+(?P<dir3>in|out))"
        rf"(?:\s+(?:over|for|of|in|during)?\s*(?:the\s+)?(?:last\s+|first\s+)?(?P<d2>{TIME_WITH_UNIT}))?"
        r"(?:\s+at\s+the\s+(?:very\s+)?(?:end|start|beginning))?",
        _music_fade,
    ),
    # "mute the music", "remove the background music": music in the clip's own sound cannot
    # be taken out of it ("mute the music" muted everything). Added music is the rule's own
    # choice: asking to mute it as well is a contradiction, refused.
    _rule(
        r"(?:mute|silence|remove|delete|turn\s+off|kill|drop|get\s+rid\s+of|take\s+out|cut(?:\s+out)?)"
        r"\s+(?:the\s+|all\s+(?:the\s+)?|any\s+)?(?:background\s+|bg\s+)?(?:music|song|soundtrack)",
        _refuse(MUSIC_NOT_REMOVABLE),
    ),
    # "turn the music down", "make the music quieter": the added music's level.
    _rule(
        r"(?:(?:make|turn|set|bring|get)\s+(?:the\s+)?(?:background\s+)?music\s+"
        r"(?:(?P<n>\d+(?:\.\d+)?)\s*(?:[x×]|times)\s+)?(?P<dir>quieter|softer|"
        r"lower|louder|down|up)|(?P<verb>lower|reduce|raise|increase|decrease|boost|turn\s+down|"
        # "turn down the music": the whole sound was turned down, "the music" reported
        r"turn\s+up)\s+(?:the\s+)?(?:background\s+)?music(?:\s+volume)?)",
        _music_level,
    ),
    # "the music is too loud": the added music's level, or (none added) not possible.
    _rule(
        r"(?:the\s+|background\s+)*music\s+(?:is|'s|sounds?)\s+(?:(?:way|much|a\s+bit|really|"
        r"very|so)\s+)?too\s+(?P<word>loud|quiet|soft|low)|(?:but\s+)?keep\s+(?:the\s+)?"
        r"(?:background\s+)?music",
        _music_complaint,
    ),
    _rule(r"music\s+(?:volume\s+)?(?:at|to)\s+(?P<v>\d+(?:\.\d+)?\s*(?:%|percent))", _music_volume),
    _rule(
        r"(?P<word>quiet(?:ly)?|soft(?:ly)?|low|loud(?:ly)?)\s+(?:background\s+)?music"
        r"|music\s+(?:should\s+be\s+)?(?P<word2>quiet(?:ly)?|soft(?:ly)?|low)",
        _music_volume,
    ),
    _rule(
        r"(?:(?:and\s+)?duck(?:ed|ing)?(?:\s+the\s+music)?(?:\s+(?:it\s+)?(?:under|below|during|"
        r"when|while)\s+(?:the\s+|people\s+|someone\s+)?(?:speech|speaking|voices?|talking|talks?|"
        r"dialogue))?|(?:lower|duck|dip)\s+(?:the\s+)?music\s+(?:when|while|during)\s+"
        r"(?:people\s+|someone\s+|i\s+|we\s+|they\s+)?(?:talk|speak|speech|talking|speaking)s?)",
        lambda m, d: _music_option(m, d, duck=True),
    ),
    _rule(
        r"(?:don'?t|do\s+not|no)\s+loop(?:ing)?(?:\s+the\s+music)?",
        _no_loop,
    ),
    _rule(
        r"loop(?:ed|ing)?\s+(?:the\s+)?music|music\s+loop(?:ed|ing)?",
        lambda m, d: _music_option(m, d, loop=True),
    ),
)

_SILENCE_RULES: tuple[_Rule, ...] = (
    _rule(
        r"(?:with\s+)?(?:the\s+|all\s+(?:the\s+)?)?(?:silences?|silent\s+(?:parts|bits)|pauses|dead\s+air)"
        r"\s+(?:removed|cut(?:\s+out)?|taken\s+out|gone)",
        _silence,
    ),
    # silence: "remove silence", "cut the dead air", "jump cuts"
    _rule(
        r"(?:remove|cut|trim|delete|drop|skip|get\s+rid\s+of|strip|eliminate)\s+"
        rf"(?:out\s+)?(?:all\s+)?(?:the\s+|any\s+)?(?:long\s+)?{_SILENCE_WORDS}{_SILENCE_DB}",
        _silence,
    ),
    _rule(
        rf"(?:jump[\s-]?cuts?|silence\s+removal|no\s+(?:dead\s+air|silences?|pauses?)){_SILENCE_DB}",
        _silence,
    ),
)

_TRANSITION_RULES: tuple[_Rule, ...] = (
    # transitions: "fade transitions", "crossfade between clips", "0.5 s dissolve"
    # "join all clips with 0.5s fades": a fade that joins clips is a transition, not a
    # fade in and out (which is how it was read).
    _rule(
        r"(?:join|combine|merge|stitch|connect|link|put)\s+(?:them|(?:the\s+|all\s+(?:the\s+)?|"
        r"each\s+)?(?:clips?|videos?|shots?|parts?))(?:\s+together)?\s+(?:with|using)\s+"
        rf"(?:an?\s+)?{PRE_DUR}{_TRANSITION_KIND}{_BETWEEN}{POST_DUR}",
        _transition,
    ),
    _rule(rf"{PRE_DUR}{_TRANSITION_KIND}\s+transitions?{_BETWEEN}{POST_DUR}", _transition),
    _rule(
        rf"{PRE_DUR}transitions?\s+(?:with\s+|using\s+|of\s+)?(?:an?\s+)?{_TRANSITION_KIND}"
        rf"{_BETWEEN}{POST_DUR}",
        _transition,
    ),
    _rule(
        rf"{PRE_DUR}(?P<kind>cross[\s-]?fade|cross[\s-]?dissolve|dissolve)s?{_BETWEEN}{POST_DUR}",
        _transition,
    ),
    _rule(
        rf"{PRE_DUR}{_TRANSITION_KIND}\s+between\s+(?:the\s+|all\s+|each\s+)?"
        rf"(?:clips?|shots?|cuts?|scenes?|videos?|parts?){POST_DUR}",
        _transition,
    ),
    _rule(
        rf"(?:some\s+|nice\s+|smooth\s+)?transitions?{_BETWEEN}{POST_DUR}",
        lambda m, d: d.set(transition=Transition(duration=_dur(m, DEFAULT_TRANSITION))),
    ),
)

_FADE_ADJ = r"(?:(?P<adj>soft|gentle|smooth|slow|nice|quick|short|long|subtle|fast)\s+)?"
# "a slow 3 second fade", "2 second fade-in"
FADE_PRE = rf"(?:an?\s+)?{_FADE_ADJ}(?:(?P<d1>{TIME_WITH_UNIT})[\s-]+(?:long\s+)?)?"
# "… over 2 seconds", "… the last 3 seconds" (a fade's range is its length)
FADE_POST = (
    rf"(?:\s*,?\s+(?:about|around|roughly|approximately|maybe)\s+(?P<d4>{TIME_WITH_UNIT})|"
    # "2s fade in 3s fade out": after a fade with its length before it, a length followed by
    # "fade" is the next fade's own (it made the fade-out 1 s without a word).
    rf"\s+(?:(?:of|over|for|lasting)?\s*(?P<d2>{TIME_WITH_UNIT})(?(d1)(?![\s-]*(?:long\s+)?fade))|"
    r"(?:over|during|for|in|on|"
    rf"across)?\s*(?:the\s+)?(?P<w>first|last|final)\s+(?P<d3>{TIME_WITH_UNIT}|{TIME})))?"
)

_FADE_RULES: tuple[_Rule, ...] = (
    # fades: "fade in and out", "2 second fade-in", "fade to black at the end"
    _rule(
        rf"{FADE_PRE}fades?[\s-]?(?:it\s+)?in\s*(?:and|&|/|\+)\s*(?:fade[\s-]?)?out{FADE_POST}",
        _fade("both"),
    ),
    # "fade to white", "fade in from white": fades here go to and from black (it faded
    # both ends through black and reported only "to white").
    _rule(
        r"(?:add\s+)?(?:an?\s+)?fade(?:[\s-]?(?:in|out|up))?\s+(?:to|from|through|into)\s+(?:a\s+)?"
        r"(?P<colour>white|red|blue|yellow|green|pink|gr[ae]y|colou?r)(?:\s+(?:at\s+(?:the\s+)?"
        rf"(?:very\s+)?(?:{START}|{END})))?",
        _refuse(FADE_BLACK_ONLY),
    ),
    _rule(
        rf"{FADE_PRE}fades?\s+(?:at\s+(?:the\s+)?{START}\s+and\s+(?:the\s+)?{END}|"
        rf"(?:at|on)\s+both\s+ends){FADE_POST}",
        _fade("both"),
    ),
    _rule(
        rf"{FADE_PRE}fade[\s-]?(?:it\s+)?in(?:\s+from\s+black)?(?:\s+at\s+(?:the\s+)?(?:very\s+)?"
        rf"{START})?{FADE_POST}",
        _fade("in"),
    ),
    _rule(
        rf"{FADE_PRE}fade\s+(?:up\s+)?from\s+black(?:\s+at\s+(?:the\s+)?(?:very\s+)?{START})?"
        rf"{FADE_POST}",
        _fade("in"),
    ),
    _rule(
        rf"{FADE_PRE}fade[\s-]?(?:it\s+)?out(?:\s+to\s+black)?(?:\s+at\s+(?:the\s+)?(?:very\s+)?"
        rf"{END})?{FADE_POST}",
        _fade("out"),
    ),
    _rule(
        rf"{FADE_PRE}fade\s+to\s+black(?:\s+at\s+the\s+(?:very\s+)?{END})?{FADE_POST}",
        _fade("out"),
    ),
    # "a 3 second fade at the end" is a fade-out; "a fade at the start" a fade-in.
    _rule(rf"{FADE_PRE}fade\s+at\s+the\s+(?:very\s+)?{START}{FADE_POST}", _fade("in")),
    _rule(rf"{FADE_PRE}fade\s+at\s+the\s+(?:very\s+)?{END}{FADE_POST}", _fade("out")),
    _rule(rf"{FADE_PRE}fades{FADE_POST}", _fade("both")),
    _rule(rf"(?:add\s+)?{FADE_PRE}fade{FADE_POST}", _fade("both")),
)

# "it's way too dark", "the video looks too bright", "the audio is too quiet": a complaint
# asks for the step that fixes it.
_SUBJECT = (
    r"(?:(?:the\s+|my\s+|this\s+)?(?:video|picture|image|footage|clip|audio|sound|volume|voices?|"
    r"speech|dialogue|talking|people|everything)|it)"
)
_COMPLAINT = (
    rf"(?:(?:{_SUBJECT}\s+(?:is|are|looks?|seems?|sounds?)|it'?s|it’s|looks?|sounds?|seems?)\s+)?"
    r"(?:(?:still\s+)?(?:way|much|a\s+bit|a\s+little|really|very|so|kinda|kind\s+of|far)\s+)?"
)
_STABILISE_RULES: tuple[_Rule, ...] = (
    # stabilise
    _rule(
        r"(?:stabili[sz]e[ds]?|stabili[sz]ation|stabili[sz]ing|de-?shake|"
        r"(?:remove|reduce|fix|less|no|smooth\s+out)\s+(?:the\s+)?(?:camera\s+)?"
        r"(?:shake|shakes|shaking|shakiness|jitter|wobble)|fix\s+(?:the\s+)?shaky\s+(?:footage|video|camera)|"
        r"(?:make\s+(?:it\s+)?)?steady|steadier|"
        r"(?:make\s+(?:it|the\s+(?:video|footage|clip))\s+)?(?:less|not\s+so)\s+"
        r"(?:shaky|wobbly|jittery|jerky)|"
        rf"{_COMPLAINT}(?:too\s+)?(?:shaky|wobbly|jittery|jerky|unstable))",
        lambda _m, d: d.set(stabilize=True),
    ),
)

_FLIP_RULES: tuple[_Rule, ...] = (
    # flips before aspect words
    _rule(
        r"(?:flip|mirror)(?:\s+it|\s+the\s+(?:video|image|picture))?\s+(?:horizontally|"
        r"left\s+to\s+right|sideways)|mirror(?:ed)?(?:\s+(?:it|the\s+(?:video|image|picture)))?|"
        r"horizontal\s+flip",
        lambda _m, d: d.set(hflip=True),
    ),
    _rule(
        r"flip(?:\s+it|\s+the\s+(?:video|image|picture))?\s+(?:vertically|top\s+to\s+bottom)|"
        r"vertical\s+flip",
        lambda _m, d: d.set(vflip=True),
    ),
    _rule(
        r"(?:rotate|turn)(?:\s+it|\s+the\s+video)?\s+(?:by\s+)?(?P<deg>90|180|270)\s*"
        r"(?:°|degrees?|deg)?(?:\s+(?:to\s+the\s+)?(?P<dir>clockwise|counter[\s-]?clockwise|"
        r"anti[\s-]?clockwise|left|right|cw|ccw))?",
        _rotate,
    ),
    _rule(
        r"(?:rotate|turn)(?:\s+it|\s+the\s+video)?\s+(?:to\s+the\s+)?(?P<dir>clockwise|"
        r"counter[\s-]?clockwise|anti[\s-]?clockwise|left|right|cw|ccw)(?:\s+90\s*(?:°|degrees?))?",
        _rotate,
    ),
    _rule(
        r"(?:(?:turn|flip|rotate)\s+(?:it\s+)?)?upside[\s-]down|(?:fix|correct)\s+(?:the\s+)?"
        r"upside[\s-]down(?:\s+video)?",
        lambda _m, d: d.set(rotate=(d.plan.rotate + 180) % 360),
    ),
)

_ASPECT_RULES: tuple[_Rule, ...] = (
    # "it was filmed horizontal, make it vertical", "it's landscape, make it vertical": the
    # shape the clip has, which asks for nothing (both shape words were read, and the one
    # whose rule ran last won: 16:9 here). "make sure it's vertical" is a request.
    _rule(
        r"(?<!sure\s)(?<!that\s)(?:it|this|the\s+(?:video|clip|footage|original))(?:\s+(?:was|is)|['’]s)\s+"
        r"(?:(?:filmed|shot|recorded|taken)\s+)?(?:in\s+)?(?:vertical|horizontal|landscape|portrait)"
        r"(?:ly)?(?:\s+(?:mode|format|orientation))?|(?:i|we)\s+(?:filmed|shot|recorded)\s+(?:it\s+|"
        r"this\s+)?(?:in\s+)?(?:vertical|horizontal|landscape|portrait)(?:ly)?(?:\s+(?:mode|format|"
        r"orientation))?",
        lambda _m, _d: None,
    ),
    # Shapes the engine does not make ("4:3", "21:9"): refused with the ones it does.
    _rule(
        r"(?:(?:make\s+it|crop(?:\s+it)?\s+to|convert(?:\s+it)?\s+to|change(?:\s+it)?\s+to|set\s+it\s+"
        r"to|in|to)\s+)?(?:an?\s+)?(?:4\s*:\s*3|3\s*:\s*4|3\s*:\s*2|2\s*:\s*3|21\s*:\s*9|9\s*:\s*21|"
        r"5\s*:\s*4|2\s*:\s*1|1\s*:\s*2|18\s*:\s*9|9\s*:\s*18|16\s*:\s*10|10\s*:\s*16|"
        r"2\.35\s*:\s*1|2\.39\s*:\s*1|1\.85\s*:\s*1)(?![\d.])(?:\s+(?:aspect(?:\s+ratio)?|ratio|"
        r"format|frame|shape))?",
        _refuse(ASPECT_NOT_MADE),
    ),
    # "no blur": the other two fills are opposites, so which one is asked.
    _rule(
        r"(?:no|without)\s+(?:the\s+|any\s+)?blur(?:red|ry)?(?:\s+(?:background|bg|bars|sides|fill|"
        r"edges|borders))?",
        _refuse('say how to fill the frame instead: "crop to fill" or "black bars"'),
    ),
    _rule(
        r"(?:keep\s+)?(?:the\s+|its\s+)?(?:original|source|own)\s+(?:aspect(?:\s+ratio)?|shape|"
        r"frame|orientation)",
        _aspect("source"),
    ),
    # "30 sec tiktok", "a 15s story": that length, on that platform (it was refused as a
    # part named without seconds). "a 10 second loop" stays refused.
    _rule(
        rf"(?:an?\s+)?(?P<t>{TIME_WITH_UNIT})[\s-]+(?:long\s+)?(?:(?:instagram|insta|ig|youtube|yt)\s+)?"
        r"(?:tik\s?tok|reels?|shorts|stor(?:y|ies))(?:\s+(?:video|clip|post))?",
        lambda m, d: d.set(max_duration=_t(m), aspect="9:16"),
    ),
    # aspect and platform
    _rule(
        r"(?:for\s+|on\s+)?(?:an?\s+)?(?:youtube\s+|yt\s+)shorts?|(?:for\s+|on\s+)?(?:instagram|insta|ig)\s+"
        r"(?:reels?|stor(?:y|ies))|(?:for\s+|on\s+|as\s+)?(?:an?\s+)?(?:tik\s?tok|reels?|shorts|"
        r"stor(?:y|ies)|snapchat|snap)",
        _aspect("9:16"),
    ),
    _rule(
        r"(?:for\s+|on\s+)?(?:instagram|insta|ig)\s+(?:portrait|feed\s+portrait)|4\s*[:x/×]\s*5",
        _aspect("4:5"),
    ),
    _rule(
        r"(?:for\s+|on\s+|as\s+)?(?:an?\s+)?(?:instagram|insta|ig)(?:\s+(?:post|feed|square))?|"
        r"square(?:\s+(?:format|video|1:1))?|1\s*[:x/×]\s*1",
        _aspect("1:1"),
    ),
    _rule(
        r"(?:(?:make\s+(?:it\s+)?)?(?:vertical|portrait)(?:\s+(?:format|mode|orientation|video))?)|"
        r"9\s*[:x/×]\s*16",
        _aspect("9:16"),
    ),
    _rule(
        r"(?:for\s+|on\s+)?(?:youtube|yt|vimeo)|(?:horizontal|landscape|widescreen|wide\s+screen)"
        r"(?:\s+(?:format|mode|orientation|video))?|16\s*[:x/×]\s*9",
        _aspect("16:9"),
    ),
    # "remove the black bars", "zoom in to get rid of the bars": no bars, so the crop fill
    # (the pad rule below read "black bars" in it and padded: the opposite).
    _rule(
        rf"(?:zoom\s+in\s+to\s+)?(?:{CUT}|lose|hide)\s+(?:the\s+|any\s+|those\s+|all\s+(?:the\s+)?)?"
        r"(?:black\s+)?(?:bars|borders)(?:\s+(?:on|at)\s+(?:the\s+)?(?:top\s+and\s+(?:the\s+)?bottom|"
        r"(?:both\s+)?sides|left\s+and\s+(?:the\s+)?right))?",
        _fill("crop"),
    ),
    _rule(
        r"(?:don'?t|do\s+not|no|without)\s+crop(?:ping)?|(?<!no )(?<!without )black\s+bars"
        r"(?:\s+(?:on|at)\s+(?:the\s+)?"
        r"(?:top\s+and\s+(?:the\s+)?bottom|(?:both\s+)?sides|left\s+and\s+(?:the\s+)?right))?|"
        r"letter[\s-]?box(?:ed|ing)?|"
        r"pillar[\s-]?box(?:ed|ing)?|pad(?:ded)?\s+with\s+black|fit\s+(?:it\s+)?(?:inside|in)\s+"
        r"(?:the\s+)?frame",
        _fill("pad"),
    ),
    _rule(
        r"(?<!no )(?<!without )blur(?:red|ry)?\s+(?:background|bg|bars|sides|fill|edges|borders)|"
        r"(?<!no )(?<!without )blur\s+fill",
        _fill("blur"),
    ),
    _rule(
        r"crop(?:ped|ping)?(?:\s+(?:it\s+)?(?:to\s+fill|to|in))?|fill\s+the\s+(?:frame|screen)|"
        r"zoom\s+(?:in\s+)?to\s+fill|(?:no|without)\s+(?:black\s+|blurred\s+)?bars|full[\s-]?screen",
        _fill("crop"),
    ),
)


def _resolution_and_rate(m: re.Match[str], d: _Draft) -> None:
    d.set(resolution=2160 if m["k"] else int(m["p"]), fps=float(m["fps"]))


_RES_VERB = (
    r"(?:(?:upscale|downscale|scale|resize|lower|raise|increase|reduce|change|set|bump|drop)"
    r"(?:\s+(?:it|the\s+(?:resolution|video|quality)))?(?:\s+(?:up|down))?\s+to\s+)?"
)
_RESOLUTION_RULES: tuple[_Rule, ...] = (
    # resolution
    # "1080p60", "4k60": a resolution and a frame rate in one word.
    _rule(
        rf"{_RES_VERB}(?:(?P<p>2160|1440|1080|720|540|480|360|240)\s*p|(?P<k>4)\s*k)"
        r"(?P<fps>24|25|30|48|50|60)(?:\s*fps)?",
        _resolution_and_rate,
    ),
    _rule(
        # "downscale to 720": after a scaling verb, a bare number of lines is a resolution.
        rf"{_RES_VERB}(?P<p>2160|1440|1080|720|540|480|360|240)\s*p|"
        r"(?:upscale|downscale|scale|resize)(?:\s+(?:it|the\s+video))?(?:\s+(?:up|down))?\s+to\s+"
        r"(?P<p2>2160|1440|1080|720|540|480|360|240)",
        lambda m, d: d.set(resolution=int(m["p"] or m["p2"])),
    ),
    _rule(rf"{_RES_VERB}(?:4\s*k|uhd|ultra\s*hd)", lambda _m, d: d.set(resolution=2160)),
    _rule(rf"{_RES_VERB}(?:2\s*k|qhd|2\.5\s*k)", lambda _m, d: d.set(resolution=1440)),
    _rule(
        r"full\s*hd|fhd|hd",
        lambda m, d: d.set(resolution=RESOLUTION_NAMES[re.sub(r"full\s*", "full ", m[0].lower())]),
    ),
)


SPEED_RULES: tuple[_Rule, ...] = (
    # speed
    # "speed it up by 20%", "slow it down by 25%"
    _rule(
        r"(?P<pct2>\d+(?:\.\d+)?)\s*(?:%|percent)\s+(?P<dir2>faster|quicker|slower)",
        lambda m, d: d.set(
            speed=round(
                1 + float(m["pct2"]) / 100 * (-1 if m["dir2"].lower() == "slower" else 1), 4
            )
        ),
    ),
    _rule(
        r"(?P<dir>speed|slow)(?:\s+(?:it|this|the\s+(?:video|clip)))?\s+(?:up|down)"
        r"(?:\s+(?:it|this|the\s+(?:video|clip)))?\s+by\s+"
        r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent)",
        lambda m, d: d.set(
            speed=round(1 + float(m["pct"]) / 100 * (1 if m["dir"].lower() == "speed" else -1), 4)
        ),
    ),
    # Before the looser speed rules below: "speed it up to 150%" is one request, and
    # "3x slower" is a third of the speed (the bare "3x" rule read it as 3x faster).
    _rule(
        r"(?:(?:play|playback|speed)\s+(?:it\s+)?(?:up\s+)?(?:at|to)\s+|speed\s+)"
        r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent)(?:\s+speed)?|(?P<pct2>\d+)\s*%\s+speed",
        lambda m, d: d.set(speed=float(m["pct"] or m["pct2"]) / 100),
    ),
    # "play at 0.75 speed", "at 1.25x speed"
    _rule(
        r"(?:play(?:back)?\s+(?:it\s+)?)?at\s+(?P<f>\d*\.\d+|\d+)\s*[x×]?\s+speed",
        lambda m, d: d.set(speed=float(m["f"])),
    ),
    # "2 times slower", "3x slower": a third of the speed.
    _rule(
        r"(?:make\s+it\s+|play\s+(?:it\s+)?)?(?P<n>\d+(?:\.\d+)?)\s*(?:[x×]|times)\s+slower",
        lambda m, d: d.set(speed=round(1 / float(m["n"]), 4)) if float(m["n"]) > 1 else False,
    ),
    _graded(
        rf"slow(?:[\s-]?mo(?:tion)?|\s+it\s+down|\s+down)(?:\s+(?:at|to)?\s*"
        rf"(?P<f>{NUMBER})\s*[x×]|\s+by\s+(?P<half>half))?",
        _fixed_speed(SLOW_MOTION),
    ),
    # "make it slower", "play the video a bit slower": a slow-down ("faster" was read, and
    # "slower" reported as not understood). Only said of the clip: "slower fades" is not it.
    _rule(
        r"(?:make|play|run)\s+(?:it|this|(?:the\s+)?(?:video|clip|footage|whole\s+thing))\s+"
        rf"(?:(?P<how>{_MILD_WORDS}|{_STRONG_WORDS})\s+)?slower{_DEG_POST}",
        _fixed_speed(SLOW_MOTION),
    ),
    _rule(
        r"(?:play\s+(?:it\s+)?(?:at\s+)?)?half[\s-]speed|half\s+as\s+fast|halve\s+the\s+speed",
        _fixed_speed(0.5),
    ),
    _rule(
        r"(?:play\s+(?:it\s+)?(?:at\s+)?)?double[\s-]speed|twice\s+as\s+fast|double\s+the\s+speed",
        _fixed_speed(2.0),
    ),
    # "speed it up 10x for a timelapse": the number says how fast; "timelapse" alone is 4x.
    _rule(
        r"time[\s-]?lapse",
        lambda m, d: None if d.anywhere(_FACTOR, m.string) else _fixed_speed(TIMELAPSE)(m, d),
    ),
    _rule(r"fast[\s-]forward(?:ed)?", _fixed_speed(2.0)),
    _graded(
        rf"(?:(?P<f0>{NUMBER})\s*(?:[x×]|times)\s+(?=faster|quicker))?"
        rf"(?:speed(?:\s+(?:it|this|the\s+(?:video|clip)))?\s+up|make\s+it\s+(?:faster|"
        rf"quicker)|faster|quicker|speed(?:ed)?[\s-]up)(?:\s+(?:(?:the\s+video|it)\s+)?(?:by|to)?"
        rf"\s*(?P<f>{NUMBER})\s*(?:[x×]|times)|\s+[x×]\s*(?P<fx>{NUMBER}))?",
        _fixed_speed(SPEED_UP),
    ),
    # A bare "3 times" is not a speed ("plays 3 times" is a loop): it needs a speed word.
    _BARE_FACTOR := _rule(
        rf"(?:(?:play|playback|speed)\s+(?:it\s+)?(?:at|to)\s+)?(?P<f>{NUMBER})\s*[x×]"
        r"(?:\s+(?:speed|faster|as\s+fast|playback))?|(?P<f2>\d+(?:\.\d+)?)\s*times\s+(?:the\s+)?"
        r"(?:speed|faster|as\s+fast)|(?:play|playback|speed)\s+(?:it\s+)?(?:at|to)\s+"
        rf"(?P<f3>{NUMBER})\s*times(?:\s+(?:speed|faster|as\s+fast))?",
        _speed,
    ),
)

_BACK_TO_NORMAL: tuple[_Rule, ...] = (
    _rule(
        r"(?:then\s+)?(?:speed\s+(?:it\s+)?back\s+up|(?:go\s+|goes\s+|come\s+)?back\s+to\s+"
        r"normal(?:\s+speed)?|slow\s+(?:it\s+)?back\s+down|return\s+to\s+normal\s+speed)",
        _back_to_normal,
    ),
)

_TO_LENGTH = (
    r"(?:trim|trimm|cut|shorten|chop|reduce|edit|bring|get)(?:\s+(?:it|this|the\s+(?:video|clip)))?"
    r"(?:\s+down)?\s+to\s+(?:about\s+|around\s+|roughly\s+|just\s+|only\s+)?"
)
_TRIM_RULES: tuple[_Rule, ...] = (
    _rule(
        rf"{CUT}\s+{THE}first\s+and\s+(?:the\s+)?last\s+(?P<t>{TIME}){CLIP_WORDS}",
        lambda m, d: d.trim(head=_t(m), tail=_t(m)),
    ),
    # "remove the first and last second": a unit with no number is one of it (it was
    # reported in two pieces, "remove the first" and "last second").
    _rule(
        rf"{CUT}\s+{THE}first\s+and\s+(?:the\s+)?last\s+(?P<unit>second|minute){CLIP_WORDS}",
        lambda m, d: d.trim(head=_secs(f"1 {m['unit']}"), tail=_secs(f"1 {m['unit']}")),
    ),
    # "remove everything after 2 minutes" keeps up to 2:00; "… before 0:10" keeps from 0:10.
    _rule(
        rf"{CUT}\s+(?:everything|anything|all|the\s+rest|whatever\s+comes)\s+after\s+(?P<t>{TIME})",
        _keep_until,
    ),
    _rule(
        rf"{CUT}\s+(?:everything|anything|all|whatever\s+comes)\s+before\s+(?P<t>{TIME})",
        _keep_from,
    ),
    # "trim it to the first 10 seconds" keeps them; "trim to 15 seconds" caps the length
    # (what runs past 15 s is cut off the end), which is what `max_duration` does.
    _rule(
        rf"{_TO_LENGTH}(?:the\s+)?first\s+(?P<t>{TIME}){CLIP_WORDS}",
        lambda m, d: d.trim(keep=Span(0.0, _t(m))),
    ),
    _rule(
        rf"{_TO_LENGTH}(?:the\s+)?last\s+(?P<t>{TIME}){CLIP_WORDS}",
        lambda m, d: d.trim(last=_t(m)),
    ),
    _rule(
        r"(?:(?:make|give|send|create|cut|edit)\s+(?:it\s+|me\s+|us\s+)?|i\s+(?:want|need)\s+)?(?:an?\s+|the\s+)?"
        rf"(?:short\s+|quick\s+|shorter\s+)?(?<!first\s)(?<!last\s)(?P<t>{TIME_WITH_UNIT})[\s-]+"
        r"(?:long\s+)?(?:short\s+)?"
        r"(?:clip|version|video|edit|cut)",
        lambda m, d: d.set(max_duration=_t(m)),
    ),
    _rule(
        rf"(?:make|keep|get)\s+it\s+(?:just\s+|only\s+)?(?P<t>{TIME_WITH_UNIT})"
        r"(?=\s*(?:$|[,;.!?\x00])|\s+(?:and|then|but|please)\b)",
        lambda m, d: d.set(max_duration=_t(m)),
    ),
    _rule(
        rf"{_TO_LENGTH}(?P<t>{TIME_WITH_UNIT})(?:\s+(?:long|total|in\s+total|max(?:imum)?|or\s+"
        rf"(?:less|so)))?(?!\s*(?:-|–|—|to|and)\s*\d)",
        lambda m, d: d.set(max_duration=_t(m)),
    ),
    _rule(
        rf"{CUT}\s+(?P<t>{TIME})\s+(?:from|off|at|of)\s+(?:both\s+ends|each\s+end|either\s+end|"
        rf"(?:the\s+)?{START}\s+and\s+(?:the\s+)?{END})",
        lambda m, d: d.trim(head=_t(m), tail=_t(m)),
    ),
    _rule(
        rf"{_KEEP}{THE}first\s+(?P<t>{TIME}){CLIP_WORDS}|{THE}first\s+(?P<t2>{TIME})\s+only",
        lambda m, d: d.trim(keep=Span(0.0, _t(m))),
    ),
    _rule(
        rf"{_KEEP}{THE}last\s+(?P<t>{TIME}){CLIP_WORDS}|{THE}last\s+(?P<t2>{TIME})\s+only",
        lambda m, d: d.trim(last=_t(m)),
    ),
    _rule(
        rf"{CUT}\s+{THE}first\s+(?P<t>{TIME}){CLIP_WORDS}(?:\s+off)?",
        lambda m, d: d.trim(head=_t(m)),
    ),
    _rule(
        rf"{CUT}\s+{THE}last\s+(?P<t>{TIME}){CLIP_WORDS}(?:\s+off)?",
        lambda m, d: d.trim(tail=_t(m)),
    ),
    # "first 4 seconds cut please", "the last 3 seconds off": the verb after the range (read
    # as "a 4 second cut", a 4 s length: the opposite; "first 3 seconds out" was reported).
    _rule(
        rf"{THE}(?P<which>first|last)\s+(?P<t>{TIME}){CLIP_WORDS}\s+(?:(?:cut|chopped|trimmed)"
        r"(?:\s+(?:off|out))?|removed|deleted|gone|off|out(?!\s+of\b))(?![\w-])",
        lambda m, d: d.trim(**{"head" if m["which"].lower() == "first" else "tail": _t(m)}),
    ),
    # "cut 3 first seconds", "delete 2 last seconds": the number before "first"/"last", as
    # in several languages (it was reported as not understood).
    _rule(
        rf"{CUT}\s+{THE}(?P<n>{NUMBER})\s+(?P<which>first|last)\s+(?P<u>{UNIT}){CLIP_WORDS}",
        lambda m, d: d.trim(
            **{"head" if m["which"].lower() == "first" else "tail": _secs(f"{m['n']} {m['u']}")}
        ),
    ),
    # "trim the first second": a unit with no number is one of it.
    _rule(
        rf"{CUT}\s+{THE}(?P<which>first|last)\s+(?P<unit>second|minute)",
        lambda m, d: d.trim(
            **{"head" if m["which"].lower() == "first" else "tail": _secs(f"1 {m['unit']}")}
        ),
    ),
    # "cut the first 2 s and the last 3 s": the verb is not repeated.
    _rule(
        rf"(?:and|then|plus|&|,)(?:\s+then)?\s+{THE}last\s+(?P<t>{TIME}){CLIP_WORDS}",
        lambda m, d: _after_cut(d, tail=_t(m)),
    ),
    _rule(
        rf"(?:and|then|plus|&|,)(?:\s+then)?\s+{THE}first\s+(?P<t>{TIME}){CLIP_WORDS}",
        lambda m, d: _after_cut(d, head=_t(m)),
    ),
    _rule(
        rf"(?:(?P<verb>{CUT})\s+)?(?P<t>{TIME})\s+(?P<prep>from|off|at|of)\s+{THE}(?:very\s+)?{START}"
        rf"{CLIP_WORDS}",
        _edge_cut("head"),
    ),
    _rule(
        rf"(?:(?P<verb>{CUT})\s+)?(?P<t>{TIME})\s+(?P<prep>from|off|at|of)\s+{THE}(?:very\s+)?{END}"
        rf"{CLIP_WORDS}",
        _edge_cut("tail"),
    ),
    _rule(rf"{CUT}\s+{THE}{START}\s+by\s+(?P<t>{TIME})", lambda m, d: d.trim(head=_t(m))),
    _rule(rf"{CUT}\s+{THE}{END}\s+by\s+(?P<t>{TIME})", lambda m, d: d.trim(tail=_t(m))),
    # "trim the start by two seconds and the end by three": the verb is not repeated (the
    # end was reported as "the end by three").
    _rule(
        rf"(?:and|then|plus|&|,)(?:\s+then)?\s+{THE}{END}\s+by\s+(?P<t>{TIME})",
        lambda m, d: _after_cut(d, tail=_t(m)),
    ),
    _rule(
        rf"(?:and|then|plus|&|,)(?:\s+then)?\s+{THE}{START}\s+by\s+(?P<t>{TIME})",
        lambda m, d: _after_cut(d, head=_t(m)),
    ),
    # "delete from 0:07 to the end", "remove everything from 0:30 onwards": what is cut is
    # the tail (the range was read as "keep from 0:07" and the verb reported: the opposite).
    # A bare "take" is not a cut here ("take everything from 0:30 on" keeps it).
    _rule(
        rf"(?!take\s+(?!off|out|away))(?:{CUT})\s+(?:everything\s+|anything\s+|all\s+|the\s+(?:part\s+|"
        rf"bit\s+|section\s+|rest\s+))?(?:from|after)\s+(?P<t>{TIME})\s+(?:onwards?|on|to\s+the\s+end|"
        r"till\s+the\s+end|until\s+the\s+end)",
        _keep_until,
    ),
    # "trim it from 0:05 to 0:12", "cut the video from 0:03 to the end": the video trimmed
    # to that part, or that part cut out of it? Both are said; ask rather than guess (it
    # kept the part and reported "trim it" as saying nothing).
    _rule(
        rf"{CUT}\s+(?:it|this|(?:the|this|my)\s+(?:video|clip|footage))\s+(?:from|between)\s+"
        rf"{TIME}{RANGE_SEP}(?:{TIME}|the\s+end)|{CUT}\s+(?:it|this|(?:the|this|my)\s+(?:video|"
        rf"clip|footage))\s+(?:from|after)\s+{TIME}\s+(?:onwards?|on)",
        _refuse(KEEP_OR_CUT),
    ),
    # "cut 0:05 to 0:10 and 0:20 to 0:25": the ranges listed after a cut are cut too (the
    # second was read as "keep 0:20-0:25").
    _rule(
        rf"{CUT}\s+(?:out\s+)?{THE}(?:part\s+|bit\s+|section\s+|portion\s+)?(?:from\s+|between\s+)?"
        rf"(?P<a>{TIME}){RANGE_SEP}(?P<b>{TIME})(?:(?:\s*,)?\s*(?:and|&|plus|,)\s+(?:also\s+)?"
        rf"(?:(?:from|between)\s+)?{TIME}{RANGE_SEP}{TIME})*",
        _remove_listed_ranges,
    ),
    _rule(
        rf"(?:{_KEEP}{THE}(?:part\s+|bit\s+|section\s+|portion\s+)?(?:from\s+|between\s+)?|"
        rf"from\s+|between\s+)(?P<a>{TIME}){RANGE_SEP}(?P<b>{TIME})",
        _keep_range,
    ),
    _rule(
        r"(?P<a>\d{1,2}:\d{2}(?:\.\d+)?)\s*(?:-|–|—|to)\s*(?P<b>\d{1,2}:\d{2}(?:\.\d+)?)",
        _keep_range,
    ),
    _rule(rf"(?:start|begin)(?:\s+(?:it|the\s+video))?\s+(?:at|from)\s+(?P<t>{TIME})", _keep_from),
    _rule(
        rf"(?:keep\s+|use\s+)?(?:everything\s+)?(?:from|after)\s+(?P<t>{TIME})\s+(?:onwards?|"
        r"on|to\s+the\s+end|till\s+the\s+end|until\s+the\s+end)",
        _keep_from,
    ),
    _rule(rf"(?:end|stop|finish)(?:\s+(?:it|the\s+video))?\s+at\s+(?P<t>{TIME})", _keep_until),
    # "end it 5 seconds before the end", "start 3 seconds in": the same cuts said from where
    # the clip stops or starts (each was reported as not understood).
    _rule(
        rf"(?:end|stop|finish)(?:\s+(?:it|the\s+video))?\s+(?P<t>{TIME_WITH_UNIT})\s+(?:before|from)\s+"
        r"the\s+(?:very\s+)?end",
        lambda m, d: d.trim(tail=_t(m)),
    ),
    _rule(
        rf"(?:start|begin)(?:\s+(?:it|the\s+video))?\s+(?P<t>{TIME_WITH_UNIT})\s+in(?![\w])",
        lambda m, d: d.trim(head=_t(m)),
    ),
    _rule(
        rf"{CUT}\s+(?P<t>{TIME_WITH_UNIT})\s+(?:from|off|at)\s+(?:both\s+(?:sides|ends)|each\s+end)",
        lambda m, d: d.trim(head=_t(m), tail=_t(m)),
    ),
    # "keep 5 sec to the end", "keep up to 0:20", "delete after 45s": one end named, the
    # other the clip's own (each was reported as not understood).
    _rule(
        rf"(?:keep|use)\s+(?:everything\s+)?(?:from\s+)?(?P<t>{TIME})\s+(?:onwards?|to\s+the\s+end|"
        r"till\s+the\s+end|until\s+the\s+end)",
        _keep_from,
    ),
    _rule(
        rf"(?:keep|use)\s+(?:everything\s+|it\s+|only\s+|just\s+)?(?:till|until|up\s+to|before)\s+"
        rf"(?P<t>{TIME})",
        _keep_until,
    ),
    _rule(
        rf"(?!take\s+(?!off|out|away))(?:{CUT})\s+(?:it\s+|the\s+(?:video|clip)\s+)?(?:off\s+)?after\s+"
        rf"(?P<t>{TIME_WITH_UNIT})",
        _keep_until,
    ),
    _rule(
        rf"(?:(?:keep|make)\s+it\s+)?(?:max(?:imum)?|at\s+most|(?:no|not|never)\s+(?:be\s+)?(?:any\s+)?(?:longer|more)\s+than|under|"
        r"(?:shouldn|mustn|can)[’']?t\s+be\s+(?:any\s+)?(?:longer|more)\s+than|"
        r"(?:i\s+)?(?:don[’']?t|dont|do\s+not)\s+want\s+it\s+(?:to\s+be\s+)?(?:any\s+)?(?:longer|more)\s+than|"
        rf"shorter\s+than|"
        rf"less\s+than|limit(?:ed)?\s+(?:it\s+)?to|cap(?:ped)?\s+(?:it\s+)?(?:at|to)|"
        rf"(?:make\s+it\s+|keep\s+it\s+)?(?:short|shorten(?:ed)?)\s+(?:to|under))\s+"
        rf"(?P<t>{TIME_WITH_UNIT})(?:\s+(?:long|max(?:imum)?|in\s+length))?|"
        rf"(?P<t2>{TIME_WITH_UNIT})\s+(?:max(?:imum)?|or\s+less|tops|long)",
        lambda m, d: d.set(max_duration=_t(m)),
    ),
)

_MUTE_RULES: tuple[_Rule, ...] = (
    # audio
    _rule(
        r"mute(?:d)?(?:\s+(?:it|the\s+(?:audio|sound|clip|video|original(?:\s+(?:audio|sound))?)))?|"
        r"(?:remove|drop|strip|kill|delete|cut|get\s+rid\s+of|take\s+(?:out|off|away)|lose)\s+(?:the\s+|all\s+(?:the\s+)?)?"
        r"(?:original\s+)?(?:audio|sound)(?:\s+track)?(?:\s+(?:completely|entirely|altogether))?"
        r"(?!\s+(?:in\s+half|by\s))|"
        r"(?:no|without)\s+(?:original\s+)?(?:audio|sound)|(?:the\s+)?(?:audio|sound)\s+off|(?:turn|switch)\s+off\s+(?:the\s+)?"
        r"(?:audio|sound)|(?:only\s+(?:the\s+)?music|music\s+only)|"
        # "make it silent", "silence it" (reported as not understood)
        r"make\s+(?:it|the\s+(?:video|clip))\s+(?:completely\s+)?silent|silence\s+(?:it|the\s+(?:video|clip))",
        lambda _m, d: d.set(mute=True),
    ),
    # "I don't want any sound", "without the sound pls": the whole sound, said with a
    # negation (the negation pass blanked them, and the clip kept its sound without a word).
    # Only where the sound ends the request: "without the sound of the wind", "don't want
    # the sound to change" are about something else.
    _rule(
        r"(?:(?:i\s+)?(?:don[’']?t|dont|do\s+not)\s+(?:want|need|keep)|without|no\s+need\s+for|"
        # "make the video not have sound": nothing was done and nothing said
        r"not\s+have|(?:doesn[’']?t|does\s+not)\s+have)\s+"
        r"(?:the\s+|any\s+)?"
        r"(?:audio|sound)(?=\s*(?:$|[,.;!?\x00]|(?:at\s+all|please|pls|plz|thanks|and|but|then)\b))",
        lambda _m, d: d.set(mute=True),
    ),
)

_LOUDNESS_RULES: tuple[_Rule, ...] = (
    # "make the audio 2x louder", "3 times quieter": a volume factor, read before the speed
    # rules (whose bare "2x" made it 2x speed, plus a plain "louder").
    _rule(
        r"(?:make\s+(?:it|the\s+(?:audio|sound|voices?))\s+)?(?<!music\s)(?P<n>\d+(?:\.\d+)?)\s*"
        r"(?:[x×]|times)\s+"
        r"(?P<w>louder|quieter|softer)|(?P<w2>louder|volume)\s*[x×]\s*(?P<n2>\d+(?:\.\d+)?)",
        _volume_factor,
    ),
    _rule(
        r"(?:with\s+)?(?:the\s+)?(?:audio|sound|loudness|volume|levels?)\s+(?:normali[sz]ed|levell?ed|"
        r"evened\s+out|balanced)",
        _loudness,
    ),
    _rule(
        r"(?:normali[sz]e|level|even\s+out|balance|fix)\s+(?:the\s+)?(?:audio|sound|volume|"
        r"loudness|levels?)(?:\s+levels?)?(?:\s+(?:to|at)\s+(?P<lufs>-?\d+(?:\.\d+)?)\s*lufs)?"
        r"(?:\s+for\s+(?:a\s+)?(?P<target>podcasts?|social(?:\s+media)?|streaming|youtube|tiktok|"
        r"instagram|the\s+web))?",
        _loudness,
    ),
    _rule(
        r"(?:loudness\s+)?(?:normali[sz]ation|loudnorm|ebu\s*r\s*128)(?:\s+(?:to|at)\s+"
        r"(?P<lufs>-?\d+(?:\.\d+)?)\s*lufs)?(?:\s+for\s+(?P<target>podcasts?|social(?:\s+media)?))?",
        _loudness,
    ),
    _rule(
        r"(?:(?:loudness|target|normali[sz]e\s+to)\s+)?(?P<lufs>-\d+(?:\.\d+)?)\s*lufs|(?P<target>podcast)\s+(?:loudness|levels?|audio)|"
        r"(?:loudness|levels?)\s+for\s+(?P<target2>podcasts?|social(?:\s+media)?)",
        _loudness,
    ),
)

_VOLUME_RULES: tuple[_Rule, ...] = (
    _rule(
        # "set the volume to 120%", "reduce the volume to 50%": the verb is part of it.
        r"(?:(?:set|put|change|turn|bring|reduce|lower|drop|raise|increase|boost)\s+(?:the\s+)?)?"
        rf"{_VOL_WORDS}\s+(?:to\s+|at\s+|by\s+)?(?P<v>\d+(?:\.\d+)?\s*(?:%|percent))|"
        rf"(?P<v2>\d+\s*%)\s+volume|{_VOL_WORDS}\s+(?P<db>[+-]\d+(?:\.\d+)?)\s*db",
        _volume(1.0),
    ),
    _graded(
        rf"louder|boost\s+(?:the\s+)?{_VOL_WORDS}|turn\s+(?:it\s+|the\s+{_VOL_WORDS}\s+)?up(?!\s+(?:the\s+)?(?:brightness|contrast|saturation|colou?rs?|speed|music|zoom|heat|lights?))|"
        rf"(?:increase|raise)\s+(?:the\s+)?{_VOL_WORDS}|more\s+volume(?!\s+(?:on|for|of|to)\b)",
        _volume(LOUDER),
    ),
    _graded(
        rf"quieter|softer|(?:lower|reduce|decrease)\s+(?:the\s+)?{_VOL_WORDS}|less\s+volume(?!\s+(?:on|for|of|to)\b)|"
        rf"turn\s+(?:it\s+|the\s+{_VOL_WORDS}\s+)?down(?!\s+(?:the\s+)?(?:brightness|contrast|saturation|colou?rs?|speed|music|zoom|heat|lights?))",
        _volume(QUIETER),
    ),
)

# "it's a bit dark", "the sound is quite quiet": said of the clip, with a degree word.
_SAID_OF = (
    rf"(?:{_SUBJECT}\s+(?:is|are|looks?|seems?|sounds?)|it'?s|it’s)\s+(?:a\s+(?:bit|little)|quite|"
    r"very|really|so|kinda|kind\s+of|rather|pretty|super)\s+"
)
_COMPLAINT_RULES: tuple[_Rule, ...] = (
    _rule(
        rf"{_COMPLAINT}too\s+(?:quiet|soft|low)|{_SAID_OF}(?:quiet|soft)|(?:i\s+|we\s+|you\s+|he\s+|she\s+|they\s+)?(?:can'?t|can’t|cannot|"
        rf"can\s+not|could\s*n[’']?t|barely)\s+hear(?:\s+(?:it|anything|them|him|her|what\s+"
        rf"(?:they|he|she|we|people)\s+(?:say|says|said)|the\s+\w+))?(?:\s+(?:well|properly|clearly))?|{_COMPLAINT}(?:hard|"
        r"difficult)\s+to\s+hear",
        lambda _m, d: d.set(volume=LOUDER),
    ),
    _rule(
        rf"{_COMPLAINT}too\s+loud|{_SAID_OF}loud|(?:it\s+)?hurts\s+my\s+ears",
        lambda _m, d: d.set(volume=QUIETER),
    ),
)

_COLOUR_RULES: tuple[_Rule, ...] = (
    # colour
    _rule(
        r"black\s*(?:and|&|n|'n'?)\s*white|b\s*&\s*w|b/w|gr[ae]y\s*scale|monochrome|"
        r"no\s+colou?rs?|desaturate\s+(?:completely|fully)",
        lambda _m, d: d.color(grayscale=True),
    ),
    _rule(
        rf"{_PCT_VERB}brightness\s+(?:to\s+|by\s+)?(?P<pct>[+-]?\d+)\s*%", _percent("brightness")
    ),
    _rule(rf"{_PCT_VERB}contrast\s+(?:to\s+|by\s+)?(?P<pct>[+-]?\d+)\s*%", _percent("contrast")),
    _rule(
        rf"{_PCT_VERB}saturation\s+(?:to\s+|by\s+)?(?P<pct>[+-]?\d+)\s*%", _percent("saturation")
    ),
    _graded(
        r"(?:brighter|brighten(?:\s+(?:it|up|the\s+video))*|lighter|lighten(?:\s+it)?(?:\s+up)?)|"
        rf"(?:increase|raise|boost|more)\s+(?:the\s+)?brightness|fix\s+(?:the\s+)?dark(?:ness)?|"
        r"turn\s+(?:the\s+)?brightness\s+up|turn\s+up\s+the\s+brightness|"
        rf"{_COMPLAINT}(?:too\s+dark|under[\s-]?exposed)|{_SAID_OF}(?:dark|dim|gloomy)",
        _step("brightness", +1),
    ),
    _graded(
        r"(?:darker|darken(?:\s+it)?)|(?:decrease|lower|reduce|less)\s+(?:the\s+)?brightness|"
        r"turn\s+(?:the\s+)?brightness\s+down|turn\s+down\s+the\s+brightness|"
        rf"{_COMPLAINT}(?:too\s+bright|over[\s-]?exposed)|{_SAID_OF}(?:bright|blown\s+out)",
        _step("brightness", -1),
    ),
    _graded(
        r"(?:(?:more|increase|boost|raise|higher|add)\s+(?:the\s+|some\s+)?contrast|punchier|"
        r"(?:more\s+)?punchy)",
        _step("contrast", +1),
    ),
    _graded(
        r"(?:less|reduce|decrease|lower)\s+(?:the\s+)?contrast|flatter|flat\s+look",
        _step("contrast", -1),
    ),
    _graded(
        r"(?:(?:more|increase|boost|raise)\s+(?:the\s+)?(?:saturation|colou?rs?)|more\s+"
        r"(?:saturated|colou?rful|vivid|vibrant)|saturate|vivid|vibrant|colou?rful"
        r"(?:\s+colou?rs)?|(?:make\s+)?(?:the\s+)?colou?rs\s+pop(?:\s+more)?)",
        _step("saturation", +1),
    ),
    _graded(
        r"(?:less|reduce|decrease|lower)\s+(?:the\s+)?(?:saturation|colou?rs?)|desaturated?(?:\s+(?:it|the\s+(?:colou?rs|video|image)))?|tone\s+down\s+(?:the\s+)?colou?rs|"
        r"muted\s+colou?rs|less\s+saturated|washed[\s-]out\s+(?:look|style|effect|filter|vibe)",
        _step("saturation", -1),
    ),
)

_DEFAULT_RULES: tuple[_Rule, ...] = (
    # "keep the sound", "keep the original colours": what is done anyway.
    _rule(
        r"(?:but\s+)?(?:keep|leave)\s+(?:the\s+|its\s+|my\s+)?(?:original\s+)?(?:sound|audio|voices?|"
        r"colou?rs?|speed|quality|resolution)(?:\s+(?:as\s+(?:it\s+)?is|on|the\s+same|unchanged|"
        r"too|as\s+well|intact))?",
        lambda _m, _d: None,
    ),
    # "make it shorter" with a length said elsewhere is that length; without one, ask.
    _rule(
        r"(?:make|keep|get)\s+it\s+(?:short|shorter|brief)|shorten\s+it|(?:it'?s|it\s+is)\s+"
        r"(?:way\s+|much\s+|really\s+|very\s+|a\s+bit\s+)?too\s+long",
        _shorter,
    ),
)

_BARE_VERB_RULES: tuple[_Rule, ...] = (
    # "trim, add transitions": a cut with nothing said about what to cut.
    _rule(
        r"(?:trim|cut|shorten)(?:\s+(?:it|this|the\s+(?:video|clip)))?(?=\s*(?:[,;.!\x00]|$))",
        _refuse('say what to cut, e.g. "cut the first 2 seconds" or "remove silence"'),
    ),
)

# The order is the grammar's precedence: a phrase that qualifies another operation is
# taken by that operation before a looser rule can read it alone ("loudness for YouTube"
# is a loudness target, not a 16:9 frame; "loop it 3 times" is a loop, not 3x speed).
RULES: tuple[_Rule, ...] = (
    *_MUSIC_RULES,
    *_REFUSAL_RULES,
    *_LOOP_RULES,
    *_PITCH_RULES,
    *_SILENCE_EDGE_RULES,
    *_SILENCE_RULES,
    *_TRANSITION_RULES,
    *_FADE_RULES,
    *_ZOOM_REFUSAL_RULES,
    *_STABILISE_RULES,
    *_REVERSE_RULES,
    *_FPS_RULES,
    *_FLIP_RULES,
    *_LOUDNESS_RULES,
    *_DENOISE_RULES,
    *_NOISE_COMPLAINT_RULES,
    *_ASPECT_RULES,
    *_RESOLUTION_RULES,
    *SPEED_RULES,
    *_BACK_TO_NORMAL,
    *_TRIM_RULES,
    *_MUTE_RULES,
    *_RELATIVE_VOLUME_RULES,
    *_COMPLAINT_RULES,
    *_VOLUME_RULES,
    *_TEMPERATURE_RULES,
    *_COLOUR_RULES,
    *_DEFAULT_RULES,
    *_BARE_VERB_RULES,
)

_NOT_BARE = tuple(rule for rule in RULES if rule is not _BARE_FACTOR)
_ALL_NEEDS = frozenset().union(*(r.needs for r in RULES if r.needs is not None))

_QUOTE_RE = LazyPattern(r"\"([^\"]*)\"|“([^”]*)”|‘([^’]*)’|(?<![\w])'([^']*)'(?![\w])")
# Blank runs are read once, from where they start, and never given back: a long run of
# newlines and spaces was tried at every blank (quadratic; main hung on 2,000 characters).
_CLAUSE_SPLIT = LazyPattern(
    r"\x00+|[,;!?\n]+|\.(?=\s|$)|(?<!\s)\s++(?:and|then|also|plus|but|&)\s+|^\s*+(?:and|then)\s+",
    re.I,
)
_WORD_RE = LazyPattern(r"[\w'’.%/~:+-]+|[^\s\w]")


def plan_from(prompt: str, edits: EditsSpec | None = None) -> EditPlan:
    """Given a rule's prompt and structured edits, return the EditPlan (pure).

    Edits given in YAML override what the prompt says for the same setting (titles and
    removed ranges are added to the prompt's). Words not understood land in `ignored`.
    """
    plan = parse_prompt(prompt)
    return edits.apply(plan) if edits is not None else plan


def parse_prompt(prompt: str, *, prefilter: bool = True) -> EditPlan:
    """Given a prompt, return the EditPlan it describes, with the not-understood clauses
    in `ignored`. (`prefilter=False` scans every rule; tests use it to prove the two equal.)"""
    draft = _Draft(prefilter=prefilter)
    typed = _DECIMAL_COMMA.sub(".", _SPACES.sub(" ", prompt))
    typed = _AND_A_HALF.sub(_and_a_half, _TYPO_RE.sub(_fix_typo, typed))
    work = _protect_quotes(typed, draft)
    work = _parse_titles(_bare_text(work, draft), draft)
    work = _as_meant(work)
    work = _DESCRIPTION.sub(_description, work, count=1)
    work = _MILD.sub(_mild, work)
    work = _bind_negations(work, draft)
    work = _bind_ranges(work, draft)
    work = _guard_vague_ranges(work, draft)
    work = _guard_bare_factors(work, draft)
    work = _bind_platforms(work, draft)
    work = _run(RULES, work, draft)
    _check_negations(draft)
    leftovers = [*draft.refused, *_leftovers(work, draft)]
    return replace(draft.plan, ignored=tuple(dict.fromkeys(leftovers)))


# Any run of blanks (Unicode ones too) or control characters becomes one space: no pattern
# can then backtrack over a long blank run, and the parser's own markers (\x00 for text a
# rule took, \x02…\x03 around quotes) cannot come from the user.
_SPACES = LazyPattern(r"(?:[^\S\n]|[\x00-\x08\x0e-\x1f\x7f])+")
# A part of the clip: "the first 5 seconds", "the last 3 s", "from 0:10 to 0:20", "0:10-0:20",
# or "the rest" (after a range that starts at 0).
_RANGE_Q = LazyPattern(
    rf"(?<![\w])(?:(?:for|during|in|over|on)\s+)?(?:the\s+)?(?P<which>first|last|final)\s+"
    rf"(?P<t>{TIME})(?![\w])|(?<![\w])(?:from|between)\s+(?P<a>{TIME}){RANGE_SEP}(?P<b>{TIME})"
    rf"(?![\w])|(?<![\w])(?P<ca>{CLOCK})\s*(?:-|–|—|to)\s*(?P<cb>{CLOCK})(?![\w])|"
    r"(?<![\w])(?:the\s+)?(?P<rest>rest|remainder|everything\s+else)(?![\w])|"
    # "from 0:05 to the end", "from 10s onwards": open at the end. (Not read as a range,
    # "mute from 0:05 to the end" kept 0:05-end and muted the whole clip.)
    rf"(?<![\w])from\s+(?P<oa>{TIME})\s*(?:(?:to|until|till|through|thru)\s+(?:the\s+)?(?:very\s+)?"
    r"end(?:ing)?(?:\s+of\s+(?:it|the\s+(?:video|clip)))?|on(?:wards?)?|forwards?)(?![\w])",
    re.I,
)
# Clauses whose range belongs to a cut, a fade or a title: the global rules read those.
_RANGE_OWNERS = LazyPattern(
    # (Not "title", "caption", "text": a title the title grammar read is gone by now, so one
    # left here was not read, and its range was kept: "add a title from 0:02 to 0:04 saying
    # hi" cut the video to those 2 s.)
    rf"(?<![\w])(?:{CUT}|keep|only|just|use|start|begin|end|stop|finish|fade[sd]?|"
    r"max(?:imum)?|under|limit)(?![\w])",
    re.I,
)
# Operations that cannot be limited to part of the clip (only speed can).
_UNRANGED_OPS = LazyPattern(
    r"(?<![\w])(?:mute[sd]?|silence|volume|louder|quieter|softer|music|song|sound|audio|"
    r"black\s+and\s+white|b&w|gr[ae]yscale|brighter|darker|contrast|saturat\w*|colou?rs?|"
    r"warmer|cooler|reverse[sd]?|backwards?|loop\w*|zoom\w*|blur\w*|vertical|horizontal|"
    r"square|rotate|flip|mirror|stabili[sz]e|noise|denoise|bright\w*|dark\w*|fps)(?![\w])",
    re.I,
)
_CLAUSE_BOUNDS = LazyPattern(
    r"\x00+|(?<![\s,;!?])[^\S\n]*+[,;!?\n][\s,;!?]*+(?!(?:but\s+)?not\b|except\b|apart\s+from\b|"
    r"other\s+than\b|excluding\b)|\.(?=\s|$)|(?<!\s)\s++(?:and|then|but|also|plus|&)\s+"
    rf"(?!white\b|not\b|only\b|just\b|{TIME}(?![\w]))",
    re.I,
)


# "family video: …", "christmas morning: …" at the start names the video; it asks for
# nothing. (Titles, "title: Summer Trip", are read before this.)
_DESCRIPTION = LazyPattern(r"^\s*(?:[\w'’-]+\s+){0,3}[\w'’-]+\s*:(?!\d)", re.I)
# "cut: first 2 secs", "volume: 50%": a setting's name with its value, not a name for the
# video (the head was dropped and the value reported alone). Only heads whose rules read
# them with the value after a space.
_SETTING_HEAD = LazyPattern(
    r"(?:cut|trim|volume|fade|fades|rotate|loop|brightness|contrast|saturation)"
    r"\s*:$",
    re.I,
)


def _description(m: re.Match[str]) -> str:
    if _SETTING_HEAD.fullmatch(m[0].strip()):
        spaced = m.string[m.end() : m.end() + 1].isspace()
        return m[0].replace(":", "" if spaced else " ")
    return "\x00" * len(m[0])


# Slips of the keyboard common enough to read as the word meant; whole words only.
TYPOS = {
    "adn": "and",
    "nad": "and",
    "teh": "the",
    "wiht": "with",
    "viedo": "video",
    "vidoe": "video",
    "stabalize": "stabilize",
    "stabalise": "stabilise",
    "stablize": "stabilize",
    "stablise": "stabilise",
    "transistions": "transitions",
    "transitons": "transitions",
    "secconds": "seconds",
    "secods": "seconds",
    "verticle": "vertical",
    "vertial": "vertical",
    "brigher": "brighter",
    "brigter": "brighter",
    "wite": "white",
    "whtie": "white",
    "blakc": "black",
    "speeed": "speed",
    "spped": "speed",
    "muisc": "music",
    "musci": "music",
    "trasnitions": "transitions",
    "transtions": "transitions",
    "quiter": "quieter",
    "slomo": "slow-mo",
    "stabilze": "stabilize",
    "stabilse": "stabilise",
    "horizonal": "horizontal",
    "potrait": "portrait",
    "protrait": "portrait",
    "saturaion": "saturation",
    "contrst": "contrast",
    "motoin": "motion",
    "moiton": "motion",
    "remoev": "remove",
    "silance": "silence",
    "titel": "title",
    "tittle": "title",
    "vert": "vertical",
    "1st": "first",
    "remov": "remove",
    "blak": "black",
    "brigthen": "brighten",
    "squre": "square",
    "sqaure": "square",
    "vertikal": "vertical",
    "musik": "music",
    "rotat": "rotate",
    "mak": "make",
    "voise": "voice",
    "cn": "can",
    "donw": "down",
    "shakey": "shaky",
}
_TYPO_RE = LazyPattern(r"(?<![\w])(?:" + "|".join(map(re.escape, TYPOS)) + r")(?![\w])", re.I)


def _fix_typo(m: re.Match[str]) -> str:
    return TYPOS[m[0].lower()]


# "its to dark", "the sound is to quiet": "to" for "too" in a complaint (the complaint was
# reported as not understood). Only after a word that starts one, before its adjective.
_TO_FOR_TOO = LazyPattern(
    r"(?:"
    + "|".join(
        f"(?<=(?<![\\w']){w} )"
        for w in ("is", "its", "it's", "it’s", "are", "way", "bit", "little", "kinda", "looks")
    )
    + r")to(?=\s+(?:dark|bright|loud|quiet|long|short|shaky|fast|slow|blue|yellow|orange|warm|"
    r"cold|noisy|dim|grainy|saturated|washed)(?![\w]))",
    re.I,
)


# "the voice is too quite": "quite" for "quiet" after "too" (reported as not understood).
_QUITE_QUIET = LazyPattern(r"(?<=too\s)quite(?![\w'-])", re.I)


# "a minute and a half", "2 seconds and a half", "one and a half minutes": the shared time
# grammar reads only the first part, so they are rewritten as 1.5 minutes, 2.5 seconds.
_AND_A_HALF = LazyPattern(
    r"(?<![\w])(?:(?:(?P<n>an?|one|two|three|\d+)\s+|(?<=first\s)|(?<=last\s))"
    r"(?P<u>hour|minute|min|second|sec)s?\s+and\s+a\s+half|"
    r"(?P<n2>an?|one|two|three|\d+)\s+and\s+a\s+half\s+(?P<u2>hour|minute|min|second|sec)s?)(?![\w])",
    re.I,
)
# "2,5 seconds" is 2.5 seconds where a comma is the decimal mark (it trimmed 2 s and reported
# "5 seconds"). Only one or two digits before a unit: "1,000 seconds" stays a thousand.
_DECIMAL_COMMA = LazyPattern(
    r"(?<=\d),(?=\d{1,2}\s*(?:s|secs?|seconds?|mins?|minutes?|x|fps|db)(?![\w])|\d{1,2}\s*%)", re.I
)


# "twenty percent", "fifty-five per cent": a percentage in words is rewritten in digits, so
# the rules (and the stray-number guard) read it as they read "20%". Left as words, "increase
# the volume by twenty percent" was a plain "louder" (150 %) with "by twenty percent" reported.
_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = (
    "ten", "eleven", "twelve", "thirteen", "fourteen",
    "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_VALUE = {
    "a": 1,
    "an": 1,
    **{w: i + 1 for i, w in enumerate(_ONES)},
    **{w: i + 10 for i, w in enumerate(_TEENS)},
    **{w: 10 * (i + 2) for i, w in enumerate(_TENS)},
}
_PERCENT_WORDS = LazyPattern(
    r"(?<![\w-])(?:(?:(?P<h>a|one|two|three)\s+)?(?P<hundred>hundred)(?:\s+and)?\s*)?"
    rf"(?:(?P<tens>{'|'.join(_TENS)})(?:[\s-]*(?P<ones>{'|'.join(_ONES)}))?|"
    rf"(?P<teen>{'|'.join(_TEENS)})|(?P<one>{'|'.join(_ONES)}))?"
    r"(?<=[a-z])\s*(?=%|percent\b|per\s+cent\b)",
    re.I,
)


def _percent_in_digits(m: re.Match[str]) -> str:
    hundreds = _WORD_VALUE[(m["h"] or "one").lower()] if m["hundred"] else 0
    rest = (m["tens"], m["ones"], m["teen"], m["one"])
    return f"{100 * hundreds + sum(_WORD_VALUE[w.lower()] for w in rest if w)} "


# "fade in over like 2 secs", "cut about 3 seconds off the start": a length given roughly
# is that length (the plan prints it). Left in, the word between the operation and its time
# made the time look like a part named without seconds ("which part?").
# (Only "like", and the others after "over"/"lasting": rules of their own read "about 2
# seconds" after a fade and "maybe 30 seconds" after "make it shorter".)
_ROUGHLY = LazyPattern(
    r"(?:(?<![\w])(?<!would\s)(?<!['’]d\s)(?<!i\s)(?<!we\s)(?<!you\s)like|(?<=over\s)(?:about|around|roughly|approximately|approx\.?|~)|"
    r"(?<=lasting\s)(?:about|around|roughly|approximately|approx\.?|~))\s*"
    rf"(?={TIME_WITH_UNIT}(?![\w:])|\d+(?:\.\d+)?\s*[x×](?![\w]))(?!{CLOCK})",
    re.I,
)


# "make video more slow", "more fast", "less bright": the comparative as a learner may say
# it, rewritten as the one word the rules read (they were reported as not understood).
_MORE_LESS = {
    ("more", "slow"): "slower",
    ("more", "slowly"): "slower",
    ("more", "fast"): "faster",
    ("more", "quick"): "quicker",
    ("more", "quickly"): "quicker",
    ("more", "bright"): "brighter",
    ("more", "dark"): "darker",
    ("more", "loud"): "louder",
    ("more", "quiet"): "quieter",
    ("more", "warm"): "warmer",
    ("more", "cold"): "colder",
    ("more", "cool"): "cooler",
    ("more", "long"): "longer",
    ("more", "short"): "shorter",
    ("more", "light"): "lighter",
    ("less", "bright"): "darker",
    ("less", "dark"): "brighter",
    ("less", "loud"): "quieter",
    ("less", "quiet"): "louder",
}
_COMPARATIVE = LazyPattern(
    r"(?<![\w'])(?P<more>more|less)\s+(?P<word>slowly|slow|fast|quickly|quick|bright|dark|loud|"
    r"quiet|warm|cold|cool|long|short|light)(?![\w'-])(?!\s*mo(?:tion)?\b)",
    re.I,
)


def _comparative(m: re.Match[str]) -> str:
    return _MORE_LESS.get((m["more"].lower(), m["word"].lower()), m[0])


# "make the video not so dark", "make it not as loud", "not so loud pls": the opposite step
# (the negation pass blanked it, and nothing was done or said). Only after "make …" or at
# the start of a clause, so "darker but not too dark" stays a limit on the step.
_NOT_SO = LazyPattern(
    r"(?:(?P<pre>make\s+(?:it|this|everything|(?:the\s+)?(?:video|clip|picture|image|sound|audio|"
    r"footage))\s+)not\s+(?:so|as|too|that)|(?:^|(?<=[,.;!?\x00]))\s*not\s+(?:so|as|that))\s+"
    r"(?P<word>dark|bright|loud|quiet|fast|slow)(?![\w'-])",
    re.I,
)
_OPPOSITE = {
    "dark": "brighter",
    "bright": "darker",
    "loud": "quieter",
    "quiet": "louder",
    "fast": "slower",
    "slow": "faster",
}


def _not_so(m: re.Match[str]) -> str:
    return (m["pre"] or " ") + _OPPOSITE[m["word"].lower()]


# "vertical 4 tiktok", "compress it 4 whatsapp": "4" for "for" before a platform (the clause
# was refused for a number no rule reads).
_FOUR_FOR = LazyPattern(
    r"(?<![\w.:,])4(?=\s+(?:(?:my|the|a|an)\s+)?(?:tik\s?tok|insta(?:gram)?|ig|youtube|yt|reels?|shorts|"
    r"stor(?:y|ies)|whatsapp|e-?mail|discord|facebook|fb|snapchat|snap)(?![\w]))",
    re.I,
)


# "make it twenty five seconds long", "keep from five to twelve seconds": a number in words
# the shared time grammar does not know (it knows one to ten, fifteen, twenty, thirty) is
# written in digits. Left as words, "twenty five seconds" was read as 5 s with "twenty"
# reported. Only teens and tens (with their ones): "one" alone has other meanings.
_NUMBER_WORDS = LazyPattern(
    rf"(?<![\w-])(?:(?P<tens>{'|'.join(_TENS)})(?:[\s-]+(?P<ones>{'|'.join(_ONES)}))?|"
    rf"(?P<teen>{'|'.join(_TEENS)}))(?![\w-])",
    re.I,
)


def _number_in_digits(m: re.Match[str]) -> str:
    return str(sum(_WORD_VALUE[w.lower()] for w in (m["tens"], m["ones"], m["teen"]) if w))


# "- cut the first 3 seconds", "1. mute it", "* fade in": a list marker at the start of a
# line asks for nothing (each was reported as not understood: "1", "*"). The line break
# itself still ends the clause.
_LIST_MARK = LazyPattern(r"(?:^|(?<=\n))[^\S\n]*(?:[-*•·–—]|\d{1,2}[.)])(?=[^\S\n])", re.I)
# "Step 2: mute", "1) cut first 3 sec 2) slow mo", "trim 2s / mute / vertical": numbered
# steps inside a line, and a slash or plus between instructions, end a clause ("Step 2: mute" was
# refused for a stray number, and the slashes made one clause of three).
_STEP_MARK = LazyPattern(
    r"(?<![\w.:,(])(?:step\s+\d{1,2}\s*[:.)-]|\d{1,2}\))(?=\s)|(?<![\w]b)\s+/\s+(?!w(?![\w]))|"
    r"\s+\+\s+",
    re.I,
)
# ":)", ";-)", ":D", "<3": a mood, like 🙂 (":D" was reported as "D").
_EMOTICON = LazyPattern(r"(?:^|(?<=\s))(?:[:;=]-?[()DPpO3]+|<3+|xD+)(?=\s|$|[!.,?])")
# "slow mo for 3 secs at the end", "2 seconds at the start": that part of the clip, said the
# way the range grammar reads it ("the last 3 secs"). Left as it was, "3 secs at the end"
# was a cut of the last 3 s, and the slow motion went to the whole clip.
_AT_THE_END = LazyPattern(
    rf"(?<![\w])(?:for\s+|the\s+)?(?P<t>{TIME_WITH_UNIT})\s+(?:at|in)\s+the\s+(?:very\s+)?"
    r"(?P<w>end|ending|start|beginning|begining)(?![\w])"
    r"(?!\s*(?:and|&|or)\s+(?:at\s+)?(?:the\s+)?(?:end|start|beginning))",
    re.I,
)


def _at_the_end(m: re.Match[str]) -> str:
    which = "last" if m["w"].lower().startswith("end") else "first"
    return f"the {which} {m['t']}"


_BLANK_RUN = LazyPattern(r"[^\S\n]{2,}")
_LIST_STARTS = frozenset("-*•·–—0123456789")
_DIGIT = LazyPattern(r"\d")
# "1m30s", "1 min 30 sec", "2 minutes and 15 seconds": one length in two units, which the
# shared time grammar reads as two ("trim it to 1m30s" was reported whole).
_TWO_UNITS = LazyPattern(
    r"(?<![\w.:])(?P<m>\d{1,3})\s*(?:m|mins?|minutes?)\s*(?:and\s+)?(?P<s>\d{1,2}(?:\.\d+)?)\s*"
    r"(?:s|secs?|seconds?)(?![\w])",
    re.I,
)
# "at the 30 second mark", "from the 1:10 mark": the time itself ("start at the 30 second
# mark" and "cut everything after the 20 second mark" were reported as not understood).
_MARK = LazyPattern(rf"(?<![\w])the\s+(?P<t>{TIME_WITH_UNIT})\s+mark(?![\w])", re.I)
# "make it lighter for whatsapp", "a lighter file": a smaller file, not a brighter picture
# (it was made brighter, and 16 MB).
_LIGHTER_FILE = LazyPattern(
    r"(?<![\w])lighter(?=\s+file|(?:\s+file)?(?:\s+size)?\s+(?:for|on|to\s+send\s+(?:on|via|by|over))\s+"
    rf"(?:my\s+)?{_SIZE_WORDS}(?![\w]))|(?<=file\s)lighter(?![\w])",
    re.I,
)


def _two_units(m: re.Match[str]) -> str:
    return f"{60 * int(m['m']) + float(m['s']):g} seconds"


def _as_meant(work: str) -> str:
    """`work` with what people type for the words the rules read: "its to dark", "more
    slow", "4 tiktok", "twenty percent", "forty five seconds", "over like 2 secs", "1m30s",
    "the 30 second mark", list markers. Run after quotes and titles are set aside, so their
    text is never changed."""
    # Each rewrite only where its word can be there: a pass over a long prompt costs.
    lowered = work.lower()
    if any(c in work for c in ":;=<"):
        # Blanked, then blank runs made one space again: a long run of blanks lets later
        # patterns backtrack over it (":) :) :) …" took minutes).
        work = _BLANK_RUN.sub(" ", _EMOTICON.sub(" ", work))
    if "\n" in work or work.lstrip()[:1] in _LIST_STARTS:
        work = _LIST_MARK.sub("", work)
    if any(c in work for c in ")/+") or "step" in lowered:
        work = _STEP_MARK.sub("\n", work)
    if _DIGIT.search(work):
        work = _TWO_UNITS.sub(_two_units, work)
    if " at the " in lowered or " in the " in lowered:
        work = _AT_THE_END.sub(_at_the_end, work)
    if "mark" in lowered:
        work = _MARK.sub(r"\g<t>", work)
    if "lighter" in lowered:
        work = _LIGHTER_FILE.sub("smaller", work)
    if "quite" in lowered:
        work = _QUITE_QUIET.sub("quiet", work)
    work = _TO_FOR_TOO.sub("too", work)
    work = _COMPARATIVE.sub(_comparative, _NOT_SO.sub(_not_so, work))
    work = _FOUR_FOR.sub("for", work)
    work = _PERCENT_WORDS.sub(_percent_in_digits, work)
    work = _NUMBER_WORDS.sub(_number_in_digits, work)
    return _ROUGHLY.sub("", work)


def _and_a_half(m: re.Match[str]) -> str:
    word = (m["n"] or m["n2"] or "one").lower()  # "the first minute and a half"
    value = _WORD_VALUE.get(word) or int(word)
    return f"{value + 0.5:g} {(m['u'] or m['u2']).lower()}s"


# A platform named alone ("for YouTube"), not a frame word ("YouTube Shorts", "vertical").
_PLATFORM = LazyPattern(
    r"(?<![\w])(?:for|on|to|in)\s+(?:my\s+|an?\s+|the\s+|our\s+)?(?:(?:youtube|yt|vimeo|"
    r"tik\s?tok|instagram|insta|ig|facebook|fb)(?:\s+(?:shorts|reels?|stor(?:y|ies)))?|"
    r"shorts|reels?|stor(?:y|ies))(?!\s*(?:portrait|post|feed|square))(?![\w])",
    re.I,
)


def _bind_platforms(work: str, draft: _Draft) -> str:
    """Blank a platform word that qualifies another operation in its clause ("export in
    HD for YouTube", "normalize the loudness for YouTube"): it then sets no frame. A clause
    with nothing else ("for YouTube", "make this a TikTok", "vertical for TikTok") keeps it."""
    taken: list[tuple[int, int]] = []
    for start, end in _clauses(work):
        clause = work[start:end]
        found = _PLATFORM.search(clause)
        if found is None:
            continue
        rest = clause[: found.start()] + " " + clause[found.end() :]
        # With the quotes: "vertical for tiktok, use 'Song.m4a' as background music" read
        # its quoted file in a draft without them and crashed the parser (IndexError).
        scratch = _Draft(quotes=draft.quotes, prefilter=draft.prefilter)
        rest = _run(RULES, rest, scratch)
        # Another operation read words of this clause (even one that changes nothing, such
        # as "HD" = the default 1080p) and none of them was about the frame.
        frame = (scratch.plan.aspect, scratch.plan.fill) != (_EMPTY.aspect, _EMPTY.fill)
        if "\x00" in rest and not frame:
            taken.append((start + found.start(), start + found.end()))
    return _blank_all(work, taken)


_EMPTY = EditPlan()


def _clauses(work: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _CLAUSE_BOUNDS.finditer(work):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(work)))
    return [(a, b) for a, b in spans if work[a:b].strip()]


def _scratch(clause: str, draft: _Draft) -> str:
    """`clause` as every rule would leave it, read on its own with an empty plan."""
    return _run(RULES, clause, _Draft(quotes=draft.quotes, prefilter=draft.prefilter))


def _asks_for_something(text: str, draft: _Draft) -> bool:
    """Whether `text` read on its own changes the plan ("square" does; "the music" does not)."""
    scratch = _Draft(quotes=draft.quotes, prefilter=draft.prefilter)
    _run(RULES, text, scratch)
    return scratch.plan != _EMPTY


# Words that negate what follows them in a clause.
_NEGATOR = LazyPattern(
    r"(?<![\w'’])(?:don[’']?t|dont|do\s+not|does\s+not|doesn[’']?t|no|not|without|never|w/o)"
    r"(?![\w'’])",
    re.I,
)


def _bind_negations(work: str, draft: _Draft) -> str:
    """A negated request asks for nothing: "don't add music", "no transitions", "without
    a fade" are blanked, from the negation to the end of its clause, so they are neither
    done nor reported. A negation that is itself a request ("no sound" = mute, "don't crop",
    "no black bars", "no more than 30 seconds") is read by a rule, which takes the negating
    word too; those clauses are left to the rules."""
    taken: list[tuple[int, int]] = []
    for start, end in _clauses(work):
        clause = work[start:end]
        negation = _NEGATOR.search(clause)
        if negation is None:
            continue
        word = negation[0].lower()
        if word in ("not", "without") and _RANGE_Q.search(clause, negation.end()):
            # "mute it but not the last 3 seconds", "… without the first 5 seconds": a part
            # left out of an operation, which cannot be done; say so rather than guess.
            draft.refuse(clause, EXCEPT_RANGE)
            taken.append((start, end))
            continue
        exception = _EXCEPT.search(clause, negation.end())
        if exception is not None and word != "not":
            # "don't change anything except making it vertical": what follows is asked for.
            taken.append((start + negation.start(), start + exception.end()))
            continue
        rest = _scratch(clause, draft)
        if "\x00" in rest[negation.start() : negation.end()]:
            continue  # a rule reads the negation as a request of its own
        read_before = rest[: negation.start()].count("\x00") > clause[: negation.start()].count(
            "\x00"
        )
        if (
            word == "not"
            and read_before
            and not _DEGREE_LIMIT.match(clause, negation.end())
            and not _asks_for_something(clause[negation.end() :], draft)
        ):
            # "mute it but not the music": a part left out of an operation cannot be done.
            # ("vertical, not square" names another choice instead: that is dropped.)
            draft.refuse(clause, EXCEPT_PART)
            taken.append((start, end))
            continue
        taken.append((start + negation.start(), end))
        draft.negated.append(clause[negation.start() :])
    return _blank_all(work, taken)


# "don't touch the audio", "leave the sound as it is", "no changes to the audio": the sound
# to stay as recorded.
_SOUND_UNTOUCHED = LazyPattern(
    r"(?:touch|change|alter|edit|modify|mess\s+with|speed\s+up|slow\s+down|changes?\s+to)\s+"
    r"(?:the\s+|my\s+)?(?:audio|sound|voices?|original\s+(?:audio|sound))(?![\w])",
    re.I,
)
SOUND_FOLLOWS_SPEED = (
    "the sound plays at the new speed with the picture, its pitch kept: it cannot stay as "
    'recorded and in sync; say "mute" to drop it'
)


def _check_negations(draft: _Draft) -> None:
    """Report a "leave it alone" that the plan does not keep: a speed change retimes the
    sound too (it was absorbed as asking for nothing, and the sound sped up unsaid)."""
    plan = draft.plan
    retimed = plan.speed != 1 or bool(plan.speed_ranges)
    for clause in draft.negated:
        if retimed and not plan.mute and _SOUND_UNTOUCHED.search(clause):
            draft.refuse(clause, SOUND_FOLLOWS_SPEED)


# "quieter but not silent", "warmer but not orange": a limit on how far, which the default
# step already keeps to.
_DEGREE_LIMIT = LazyPattern(
    r"\s+(?:too|so|overly|completely|entirely|fully|silent|mute[sd]?|orange|blue|black|white|"
    r"washed|extreme|crazy|over)(?![\w])",
    re.I,
)


# A time said with a number ("10 seconds", "0:30", "two minutes"; not the "a s" in "as").
_SOME_TIME = (
    rf"{CLOCK}|\d+(?:\.\d+)?\s*(?:ms|secs?|seconds?|s|mins?|minutes?|m|hrs?|hours?|h)"
    r"|(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|half\s+a)"
    r"\s+(?:secs?|seconds?|mins?|minutes?|hours?)"
)
# Words that limit an operation to some part of the clip without saying which seconds:
# "the middle part", "that section", "the end bit", "after 10 seconds", "when he talks".
_VAGUE_RANGE = LazyPattern(
    rf"""(?<![\w])(?:
      (?:the|that|this|those|these)\s+(?:[\w'’-]+\s+){{0,2}}?(?:parts?|bits?|sections?|portions?|
        segments?|moments?|scenes?|middle|ending|half|end|start|beginning|intro|outro)
      |halfway(?:\s+through)?|half\s+way(?:\s+through)?|midway
      |ending|intro|outro|beginning|middle
      |(?:the\s+)?(?:first|second|third|fourth|fifth|last|final|other|next|previous|\d+(?:st|nd|rd|th))
        \s+(?:clip|video|one|shot|file|take|recording)s?
      |(?:clip|video|file|shot|take)\s+(?:number\s+|no\.?\s*|\#\s*)?\d+
      |(?:when|whenever|while|where|after|before|until|till|during)\s+[\w'’]+
      |for\s+a\s+(?:bit|while|moment)|at\s+some\s+point|here\s+and\s+there|in\s+places
      |sometimes|occasionally
      |except|excluding|apart\s+from|other\s+than|besides|but\s+not
      |{_SOME_TIME}
    )(?![\w])""",
    re.I | re.X,
)


# "the second clip", "clip 2": one clip of a combined job.
_CLIP_PICK = LazyPattern(
    r"(?:the\s+)?(?:first|second|third|fourth|fifth|last|final|other|next|previous|\d+(?:st|nd|rd|th))"
    r"\s+(?:clip|video|one|shot|file|take|recording)s?|(?:clip|video|file|shot|take)\s+"
    r"(?:number\s+|no\.?\s*|\#\s*)?\d+",
    re.I,
)
# A number no rule read ("speed it up by about 3", "mute 2"): it says how much or where,
# so the operation next to it cannot be done without it.
_STRAY_NUMBER = LazyPattern(
    r"(?:(?<![\w.\x02])|(?<=[x×]))\d+(?:[.,]\d+)?(?:\s*(?:%|percent|x|×|db|fps|mb))?(?![\w])",
    re.I,
)
_STRAY_COUNT = r"(?<![\w])(?:twice|thrice|three\s+times|two\s+times)(?![\w])"
_QUALIFIER = LazyPattern(
    f"{_VAGUE_RANGE.pattern}|{_STRAY_NUMBER.pattern}|{_STRAY_COUNT}", re.I | re.X
)


def _guard_vague_ranges(work: str, draft: _Draft) -> str:
    """Refuse whole a clause whose operation is limited by words that name no seconds
    ("speed up the boring middle part") or by a number no rule read: done without them
    it would be a misread, and reporting only the qualifier would hide that."""
    taken: list[tuple[int, int]] = []
    for start, end in _clauses(work):
        clause = work[start:end]
        vague = [m.span() for m in _QUALIFIER.finditer(clause)]
        if not vague:
            continue
        rest = _scratch(clause, draft)
        if rest.count("\x00") == clause.count("\x00"):
            continue  # nothing in the clause is an operation: its words are reported as they are
        unread = [clause[a:b] for a, b in vague if "\x00" not in rest[a:b]]
        if unread:
            if _CLIP_PICK.fullmatch(unread[0]):
                reason = ONE_CLIP
            elif _VAGUE_RANGE.fullmatch(unread[0]):
                reason = VAGUE_RANGE
            else:
                reason = STRAY_NUMBER
            draft.refuse(clause, reason)
            taken.append((start, end))
    return _blank_all(work, taken)


# "brighter but not too much", "warmer, though not too warm": the step is read as "a bit";
# where the operation does not come right before it, "a bit" is reported as not understood.
# The leading blanks start only after a word and never give back what they took: tried at
# every blank of a long run of newlines and spaces, they took minutes (main hung on 2,000
# characters of "\n \n \n …").
_MILD = LazyPattern(
    r"(?<![\s,])\s*+,?\s*+(?:but|though|although)\s+not\s+(?:too\s+much|too\s+(?:bright|dark|loud|quiet|fast|slow|"
    r"warm|cold|cool|strong|extreme|drastic|saturated|much|many)|overboard|over\s+the\s+top|a\s+lot|"
    r"crazy)(?![\w])"
    # "slow motion but only a little": the step was done in full and "only a little" reported
    r"|(?<![\s,])\s*+,?\s*+(?:but\s+)?only\s+(?:a\s+(?:little|bit|tiny\s+bit)(?:\s+bit)?|slightly)"
    r"(?=\s*(?:$|[,.;!?]))",
    re.I,
)


def _mild(_m: re.Match[str]) -> str:
    return " a bit"


def _bind_ranges(work: str, draft: _Draft) -> str:
    """Give a clause's range ("the first 5 seconds") to the clause's operation.

    Speed can apply to a range (a SpeedRange). A range next to a cut, fade or title is
    left to those rules. Any other operation limited to a range is refused whole, so it is
    never done to the entire clip by mistake."""
    taken: list[tuple[int, int]] = []
    last_speed: float | None = None  # the speed of the last clause that set one for a range
    for start, end in _clauses(work):
        clause = work[start:end]
        found = _RANGE_Q.search(clause)
        if found is not None and last_speed is not None and _only_a_range(clause, found):
            # "slow motion from 0:02 to 0:04 and from 0:06 to 0:08": a range listed after a
            # ranged speed gets that speed (alone it was read as "keep 0:06-0:08").
            span = _range_span(found, draft)
            if span is not None:
                _add_speed_range(draft, clause, span, last_speed)
                taken.append((start, end))
                continue
        last_speed = None
        if found is None:
            continue
        owned = _owned_part(clause, found)
        refusal = _range_refusal(clause, found, owned)
        if refusal is not None:
            draft.refuse(clause, refusal)
            taken.append((start, end))
            continue
        if _RANGE_OWNERS.search(owned) and not _CUT_NOT_TIME.search(clause):
            continue
        scratch = _Draft(quotes=draft.quotes, prefilter=draft.prefilter)
        # The speed words are read without the range between them: in "speed up the last
        # 5 seconds by 3 times" the factor comes after the range (read with it, the
        # default 1.5x was used and "by 3 times" vanished with the clause).
        rest = _run(SPEED_RULES, f"{clause[: found.start()]} {clause[found.end() :]}", scratch)
        span = _range_span(found, draft)
        if scratch.plan.speed != 1.0 and _UNRANGED_OPS.search(rest):
            # "loop the first 5 seconds 3x": another operation is limited to the range, and
            # the number may be its own (it was read as 3x speed there, and "loop" reported).
            draft.refuse(clause, RANGE_ONLY_SPEED)
            taken.append((start, end))
        elif scratch.plan.speed != 1.0 and span is not None:
            if _add_speed_range(draft, clause, span, scratch.plan.speed):
                # Whatever else the clause said is reported, never dropped with it.
                draft.refused.extend(scratch.refused + _leftovers(rest, scratch))
                last_speed = scratch.plan.speed
            taken.append((start, end))
        elif scratch.plan.speed != 1.0 or _UNRANGED_OPS.search(clause):
            draft.refuse(clause, RANGE_ONLY_SPEED)
            taken.append((start, end))
        elif _timed(found) and _leftovers(_scratch(rest, draft), draft):
            # "add sparkles from 0:05 to 0:08", "freeze frame from 0:05 to 0:08": words no
            # rule reads are limited to the range; alone, the range was read as a keep, so
            # the video was cut to those 3 s while only the words were reported.
            draft.refuse(clause, UNREAD_RANGED)
            taken.append((start, end))
    return _blank_all(work, taken)


def _owned_part(clause: str, found: re.Match[str]) -> str:
    """The words of `clause` that may name the range's owner (a cut, a keep, a fade)."""
    # "reverse it but only the first 3 seconds": the range limits the operation before it;
    # "only"/"just" there is not a keep.
    owned = _BUT_ONLY.sub(" ", clause)
    if found["oa"]:
        # "to the end" names no owner: "mute from 0:05 to the end" is a mute, not a cut.
        owned = f"{owned[: found.start()]} {owned[found.end() :]}"
    return owned


def _range_refusal(clause: str, found: re.Match[str], owned: str) -> str | None:
    """Why a clause with a range is refused before any rule reads it, or None."""
    if _EXCEPT.search(clause):
        # "speed up everything except the first 5 seconds": the range is the part left
        # alone, so no rule below may read it as the part to change.
        return EXCEPT_RANGE
    if _timed(found) and _FADE_WORD.search(owned):
        others = [w[0].lower() for w in _RANGE_OWNERS.finditer(owned)]
        if all(_FADE_WORD.fullmatch(w) for w in others):
            # "fade from 0:00 to 0:02", "fade out from 0:50 to the end": a fade is given by
            # its length (they kept 0:00-0:02 or 0:50-end, with 1 s fades).
            return FADE_OPEN_RANGE
    return None


# "remove the audio from 0:10 to 0:20" cuts sound, not time: its range is no cut's. (It was
# read as "keep 0:10-0:20" plus "mute everything".)
_CUT_NOT_TIME = LazyPattern(
    r"(?<![\w])(?:remove|cut|drop|delete|kill|strip|take\s+out|get\s+rid\s+of)\s+"
    r"(?:the\s+|all\s+(?:the\s+)?)?(?:audio|sound|music|noise|volume|voices?|colou?rs?)(?![\w])",
    re.I,
)


# A speed word in a bare factor's clause, which makes the factor a speed.
_SPEED_WORD = LazyPattern(
    r"(?<![\w])(?:speed\w*|fast\w*|quick\w*|slow\w*|play\w*|tempo|pace|motion|mo|"
    r"time[\s-]?lapse|rate)(?![\w])",
    re.I,
)


# Words that ask for nothing alone ("keep the resolution") but that a factor may qualify.
_FACTOR_NOUN = LazyPattern(
    r"(?<![\w])(?:resolution|res|size|quality|length|picture|image)(?![\w])", re.I
)


def _guard_bare_factors(work: str, draft: _Draft) -> str:
    """Refuse whole a clause whose bare factor ("2x") goes with another word: "2x brighter",
    "stabilize 2x", "make it 2x bigger", "2x resolution" were all played at 2x speed.

    A bare factor is a speed alone ("make it 2x") or with a speed word ("2x speed"); a rule
    that owns its factor ("louder x2", "loop it 3x", "zoom in 2x") reads it first."""
    if ("x" not in work.lower() and "×" not in work) or _FACTOR.search(work) is None:
        return work
    taken: list[tuple[int, int]] = []
    for start, end in _clauses(work):
        clause = work[start:end]
        factor = _FACTOR.search(clause)
        if factor is None or _SPEED_WORD.search(clause):
            continue
        scratch = _Draft(quotes=draft.quotes, prefilter=draft.prefilter)
        rest = _run(_NOT_BARE, clause, scratch)
        if "\x00" in rest[factor.start() : factor.end()]:
            continue  # another rule owns the factor
        rest = f"{rest[: factor.start()]} {rest[factor.end() :]}"
        if (
            rest.count("\x00") > clause.count("\x00")
            or _leftovers(rest, scratch)
            or _FACTOR_NOUN.search(rest)
        ):
            draft.refuse(clause, FACTOR_OF_WHAT)
            taken.append((start, end))
    return _blank_all(work, taken)


def _timed(found: re.Match[str]) -> bool:
    """True for a range with its own times ("from 0:05 to 0:08", "0:05-0:08", "from 5s on")."""
    return bool(found["a"] or found["ca"] or found["oa"])


def _add_speed_range(draft: _Draft, clause: str, span: Span, factor: float) -> bool:
    """Add `factor` for `span`, or refuse `clause` saying why it cannot be; say which."""
    try:
        draft.append("speed_ranges", SpeedRange(span, factor))
    except ValueError as exc:
        draft.refuse(clause, exc)
        return False
    return True


def _only_a_range(clause: str, found: re.Match[str]) -> bool:
    """True when nothing but the range (and joining words) is in the clause."""
    rest = f"{clause[: found.start()]} {clause[found.end() :]}".replace("\x00", " ")
    return _JOINERS.fullmatch(rest) is not None


_FADE_WORD = LazyPattern(r"(?<![\w])fade[sd]?(?![\w])", re.I)
_JOINERS = LazyPattern(r"\s*(?:(?:and|also|then|plus|&|from|between|,)\s*)*", re.I)
_BUT_ONLY = LazyPattern(
    r"(?<![\w])(?:but\s+)?(?:only|just)(?=\s+(?:for\s+|during\s+|in\s+)?(?:the\s+)?(?:first|last|final|"
    r"from|between|\d))",
    re.I,
)
_EXCEPT = LazyPattern(
    r"(?<![\w])(?:except|excluding|apart\s+from|other\s+than|besides|but\s+not|not\s+(?:during|in|for))"
    r"(?![\w])",
    re.I,
)


def _range_span(m: re.Match[str], draft: _Draft) -> Span | None:
    """The Span a range phrase names, or None when it cannot be placed."""
    try:
        if m["which"]:
            length = _secs(m["t"])
            return Span(0.0, length) if m["which"].lower() == "first" else Span(-length, None)
        if m["a"] or m["ca"]:
            a, b = _secs(m["a"] or m["ca"]), _secs(m["b"] or m["cb"])
            return Span(a, b) if b > a else None
        if m["oa"]:
            return Span(_secs(m["oa"]), None)
    except ValueError:
        return None
    previous = draft.plan.speed_ranges[-1].span if draft.plan.speed_ranges else None
    if previous is not None and previous.start == 0 and previous.end is not None:
        return Span(previous.end, None)
    return None


def _apply(rule: _Rule, work: str, draft: _Draft) -> str:
    taken: list[tuple[int, int]] = []
    for m in rule.pattern.finditer(work):
        if m.end() == m.start():
            continue
        try:
            took = rule.handler(m, draft) is not False
        except (ValueError, ArithmeticError):
            # Words that look like a setting but hold an impossible value ("0x", "1e400
            # dB"): leave them to be reported as not understood rather than guess.
            took = False
        if took:
            taken.append((m.start(), m.end()))
    return _blank_all(work, taken)


def _blank_all(work: str, spans: list[tuple[int, int]]) -> str:
    """`work` with each (start, end) span blanked, in one pass (the parser stays linear)."""
    if not spans:
        return work
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        parts += [work[pos:start], "\x00" * (end - start)]
        pos = end
    parts.append(work[pos:])
    return "".join(parts)


def _protect_quotes(prompt: str, draft: _Draft) -> str:
    def stash(m: re.Match[str]) -> str:
        draft.quotes.append(next(g for g in m.groups() if g is not None))
        return f"\x02{len(draft.quotes) - 1}\x03"

    return _QUOTE_RE.sub(stash, prompt)


# Emoji that only carry a mood ("🙏", "😅", "❤️", "🔥", "✨"), with their skin-tone and joining
# marks: absorbed like "please" (they were reported, and failed a strict rule). Emoji that
# could name an edit ("🔇", "🎵", "🎬", "🤫") are still reported.
_MOOD_EMOJI = LazyPattern(
    "[\U0001f600-\U0001f637\U0001f642-\U0001f644\U0001f64c\U0001f64f\U0001f970\U0001f973"
    "\U0001f979\U0001f914\U0001f917\U0001f923\U0001f929\U0001f44b-\U0001f44d\U0001f44f"
    "\U0001f918\U0001f919\U0001f91d-\U0001f91f\u270c\u2764\U0001f493-\U0001f49f\U0001f5a4"
    "\U0001f90d\U0001f90e\U0001f9e1\u2728\U0001f389\U0001f38a\U0001f525\U0001f4af\u2b50"
    "\U0001f31f\U0001f4ab\U0001f3fb-\U0001f3ff\ufe0f\u200d]+"
)


def _absorbed(word: str) -> bool:
    """Whether a word of a leftover clause asks for nothing (politeness, "export", a mood)."""
    return word.strip(".'’") in FILLER or word in FILLER or _MOOD_EMOJI.fullmatch(word) is not None


def _leftovers(work: str, draft: _Draft) -> list[str]:
    restored = re.sub(r"\x02(\d+)\x03", lambda m: f'"{draft.quoted(m[1])}"', work)
    found: list[str] = []
    for clause in _CLAUSE_SPLIT.split(restored):
        text = clause.strip(" \t.,:-—–")
        lowered = text.lower()
        while lowered.startswith(_CONNECTORS):
            cut = lowered.index(" ") + 1
            text, lowered = text[cut:].lstrip(), lowered[cut:].lstrip()
        if lowered.strip() in _CONNECTOR_WORDS:
            continue
        text = _POLITE_TAIL.sub("", text)
        words = _WORD_RE.findall(text.lower())
        if words and not all(_absorbed(w) for w in words) and not _FOR_WHOM.fullmatch(text):
            found.append(text)
    return found


# "make it vertical for my mum", "this is for my dad", "send it to my sister": who the video
# is for asks for nothing (it was reported as not understood). Only when that is all a
# leftover says: "birthday video for grandma" is still reported whole.
_FOR_WHOM = LazyPattern(
    r"(?:(?:this\s+is|it\s+is|it['’]?s|it['’]s\s+going)\s+|(?:send|sending|give|show|share)\s+"
    r"(?:it|this|the\s+video|the\s+clip)\s+)?(?:for|to)\s+(?:my|our|the|his|her|your)\s+"
    r"(?:mum|mom|mother|mam|dad|father|parents|grandma|grandpa|grandmother|grandfather|granny|"
    r"gran|nan|nana|nanna|grandparents|sister|brother|wife|husband|partner|girlfriend|boyfriend|"
    r"kids|son|daughter|friends?|mates?|family|boss|team|colleagues?|co-?workers|teacher|class|"
    r"(?:family\s+)?group(?:\s+chat)?|aunt|auntie|uncle|cousins?)(?:['’]s\s+(?:birthday|party|"
    r"wedding|anniversary))?[\s.!]*|(?:for|to)\s+(?:grandma|grandpa|granny|nan|nana|mum|mom|dad)",
    re.I,
)


def write_needs_table(path: Path | None = None) -> None:
    """Write prompt_needs.py (in the layout `ruff format` keeps) from the rules as they are."""
    path = path or Path(__file__).with_name("prompt_needs.py")
    lines = [
        '"""Each prompt rule\'s prefilter words, keyed by its pattern (see prompt.needs_key).',
        "",
        "Written by `python -m daemon.engines.local.prompt` after a rule changes; do not edit.",
        "tests/prompts/test_prefilter.py fails when it no longer matches the rules.",
        '"""',
        "",
        "NEEDS: dict[str, tuple[str, ...] | None] = {",
    ]
    for key, words in needs_table().items():
        if words is None:
            lines.append(f'    "{key}": None,')
            continue
        items = [json.dumps(w, ensure_ascii=False) for w in words]
        one = f'    "{key}": ({", ".join(items)}{"," if len(items) == 1 else ""}),'
        if len(one) <= _LINE:
            lines.append(one)
        else:
            lines += [f'    "{key}": (', *(f"        {i}," for i in items), "    ),"]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


_LINE = 100  # pyproject's ruff line-length

if __name__ == "__main__":
    write_needs_table()
