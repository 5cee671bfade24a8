"""Which font file draws a title.

A fresh machine may have no fonts at all, so videofree ships DejaVu Sans Bold (Latin,
Greek, Cyrillic, Arabic, Hebrew, Armenian, Georgian...). Scripts it lacks (Chinese,
Japanese, Korean, Thai, Indic) need a system font such as Noto; `resolve_titles` finds
one with fontconfig before a render and says so when none is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from importlib import resources
from pathlib import Path

from daemon.editplan.plan import EditPlan

BUNDLED_FONT = "DejaVuSans-Bold.ttf"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FC_MATCH_TIMEOUT = 10.0
# Unicode blocks DejaVu Sans does not cover (first, last code point, name).
MISSING_BLOCKS = (
    (0x0900, 0x0DFF, "Indic"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x1100, 0x11FF, "Hangul"),
    (0x3040, 0x30FF, "Kana"),
    (0x3400, 0x9FFF, "CJK"),
    (0xAC00, 0xD7AF, "Hangul"),
    (0xF900, 0xFAFF, "CJK"),
    (0x20000, 0x2FFFF, "CJK"),
)


def bundled_font() -> Path:
    """The font shipped in daemon/assets."""
    return Path(str(resources.files("daemon") / "assets" / BUNDLED_FONT))


def font_file(requested: str | None, text: str) -> Path:
    """Given a title's font (a file, or None) and its text, return the font file to use.

    Pure: a name that is not a file path is expected to have been resolved by
    `resolve_titles`; anything else falls back to the bundled font.
    """
    del text
    if requested and requested.lower().endswith(FONT_SUFFIXES):
        return Path(requested).expanduser()
    return bundled_font()


def uncovered_char(text: str) -> str | None:
    """The first character of `text` the bundled font cannot draw, or None."""
    for char in text:
        code = ord(char)
        if any(lo <= code <= hi for lo, hi, _ in MISSING_BLOCKS):
            return char
    return None


def resolve_titles(plan: EditPlan) -> tuple[EditPlan, list[str]]:
    """Given a plan, return it with every title's font as a file path, and notes for the
    user (a font that was not found). Reads the file system and runs fc-match."""
    notes: list[str] = []
    titles = []
    for title in plan.titles:
        font = title.font
        if font and font.lower().endswith(FONT_SUFFIXES):
            if not Path(font).expanduser().is_file():
                notes.append(f"font file not found, using the bundled font: {font}")
                font = None
        elif font:
            found = _fc_match(f"{font}:charset={ord(uncovered_char(title.text) or 'A'):x}")
            if found is None:
                notes.append(f"font {font!r} not found, using the bundled font")
            font = found
        if font is None and (char := uncovered_char(title.text)) is not None:
            font = _fc_match(f":charset={ord(char):x}")
            if font is None:
                notes.append(
                    f"no installed font can draw {char!r} in {title.text!r}; "
                    "install a Noto font (e.g. fonts-noto-cjk)"
                )
        titles.append(replace(title, font=font))
    return replace(plan, titles=tuple(titles)), notes


def _fc_match(pattern: str) -> str | None:
    # fc-list, unlike fc-match, lists only fonts that really have the asked characters.
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        done = subprocess.run(
            [fc_list, "-f", "%{file}\n", pattern],
            capture_output=True,
            text=True,
            timeout=FC_MATCH_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    paths = sorted(p for p in done.stdout.splitlines() if p.lower().endswith(FONT_SUFFIXES))
    return paths[0] if done.returncode == 0 and paths else None
