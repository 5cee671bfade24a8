"""One vocabulary for prompts and `edits:`: the names people use for values.

The prompt grammar (prompt.py) and the `edits:` YAML (edits.py) both read their words
from these tables, so a word means one thing everywhere ("hd" is 1080p in both; say
"720p" for 720). tests/unit/test_vocab.py asserts that each word gives the same plan
whether it is typed in a prompt or given as an `edits:` value.
"""

from __future__ import annotations

from daemon.editplan.plan import (
    COOLER_KELVIN,
    LUFS_PODCAST,
    LUFS_SOCIAL,
    WARMER_KELVIN,
    Aspect,
    FpsMode,
    TransitionKind,
)

# Friendly names for aspect ratios.
ASPECT_NAMES: dict[str, Aspect] = {
    "vertical": "9:16",
    "portrait": "9:16",
    "tiktok": "9:16",
    "reels": "9:16",
    "shorts": "9:16",
    "stories": "9:16",
    "horizontal": "16:9",
    "landscape": "16:9",
    "youtube": "16:9",
    "widescreen": "16:9",
    "square": "1:1",
    "instagram": "1:1",
    "original": "source",
    "source": "source",
}
# "hd" is 1080p: the default export is 1080p, and asking for "HD" should never lower it.
RESOLUTION_NAMES: dict[str, int] = {
    "4k": 2160,
    "uhd": 2160,
    "2k": 1440,
    "qhd": 1440,
    "full hd": 1080,
    "fhd": 1080,
    "hd": 1080,
}
LOUDNESS_NAMES: dict[str, float] = {"social": LUFS_SOCIAL, "podcast": LUFS_PODCAST}
# Names for transitions besides ffmpeg's own (fade, wipeleft, ...). "smooth" is what people
# say for a gentle transition, so it is a fade (ffmpeg's smoothleft keeps its own name).
TRANSITION_NAMES: dict[str, TransitionKind] = {
    "fade": "fade",
    "crossfade": "fade",
    "cross fade": "fade",
    "smooth": "fade",
    "cross dissolve": "dissolve",
    "crossdissolve": "dissolve",
    "dissolve": "dissolve",
    "fade through black": "fadeblack",
    "fade to black": "fadeblack",
    "dip to black": "fadeblack",
    "fade through white": "fadewhite",
    "fade to white": "fadewhite",
    "wipe": "wipeleft",
    "slide": "slideleft",
    "zoom": "zoomin",
    "circle": "circleopen",
    "pixelate": "pixelize",
    "pixelize": "pixelize",
    "radial": "radial",
}
FPS_MODE_NAMES: dict[str, FpsMode] = {
    "duplicate": "duplicate",
    "blend": "blend",
    "interpolate": "interpolate",
    "smooth": "interpolate",
}
# Size limits of places people send videos to, in MB (1,000,000 bytes): WhatsApp sends
# videos up to 16 MB as media; Discord's free upload limit is 10 MB; most mail services
# refuse attachments over 20-25 MB (Outlook.com 20 MB, Gmail 25 MB), so email is 20 MB.
SIZE_TARGET_MB: dict[str, float] = {
    "whatsapp": 16,
    "discord": 10,
    "email": 20,
    "e-mail": 20,
    "gmail": 25,
}

# Colour temperature words → kelvin (lower is warmer; see plan.NEUTRAL_KELVIN).
# ("cool" alone is left out on purpose: "make it cool" is praise, not a colour.)
TEMPERATURE_NAMES: dict[str, int] = {
    "warmer": WARMER_KELVIN,
    "cooler": COOLER_KELVIN,
    "colder": COOLER_KELVIN,
}
