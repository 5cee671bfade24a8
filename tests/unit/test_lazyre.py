"""LazyPattern: compiled once, on first use, and answers as re.Pattern does."""

from __future__ import annotations

import re
import subprocess
import sys

from daemon.engines.local import prompt
from daemon.engines.local.lazyre import LazyPattern


def test_compiled_on_first_use_only_and_once() -> None:
    lazy = LazyPattern(r"(\d+)\s*s", re.I)
    assert lazy._compiled is None and lazy.pattern == r"(\d+)\s*s"
    assert lazy.search("cut 3 S")
    first = lazy._compiled
    assert first is not None and lazy.compiled is first and first.flags & re.I


def test_answers_like_re() -> None:
    lazy, real = LazyPattern(r"a(b)?", re.I), re.compile(r"a(b)?", re.I)
    text = "xAb a ab"
    assert lazy.search(text, 2).span() == real.search(text, 2).span()  # type: ignore[union-attr]
    assert lazy.match(text) is None and real.match(text) is None
    assert lazy.fullmatch("ab") is not None
    assert lazy.findall(text) == real.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert lazy.sub(lambda m: m.group(0).upper(), text, 1) == real.sub(
        lambda m: m.group(0).upper(), text, 1
    )
    assert lazy.split(text) == real.split(text)


def test_loading_the_grammar_compiles_none_of_its_helpers() -> None:
    code = (
        "import daemon.engines.local.prompt as p\n"
        "from daemon.engines.local.lazyre import LazyPattern\n"
        "lazy = [v for v in vars(p).values() if isinstance(v, LazyPattern)]\n"
        "print(len(lazy), sum(v._compiled is not None for v in lazy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    helpers, compiled = map(int, done.stdout.split())
    assert helpers > 20 and compiled == 0


def test_every_helper_of_the_grammar_is_a_valid_pattern() -> None:
    helpers = [v for v in vars(prompt).values() if isinstance(v, LazyPattern)]
    for helper in helpers:
        assert isinstance(helper.compiled, re.Pattern)
