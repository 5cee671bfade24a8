"""A reload looks at every file in the inbox again; the skips already said (a copy of a
done video, a rule's condition) must not be said again, one line per file per save of
rules.yaml. The new-user trial saw each copy logged again at every reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.intake import Examine, Skip, SkipWhy
from daemon.ledger import Ledger
from tests.unit.test_intake import (
    INBOX,
    PHONE,
    SHORT_OK,
    FakeClock,
    config,
    facts,
    make_intake,
    media,
    settle_and_decide,
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(tmp_path / "jobs.db")
    yield led
    led.close()


def test_a_duplicate_is_news_once_across_reloads(ledger: Ledger) -> None:
    intake = make_intake(FakeClock())
    first = ledger.add_job([INBOX / "IMG_10.MOV"], "fp-10", "phone", "{}", "local")
    assert first is not None
    copy, rule = INBOX / "IMG_10 copy.MOV", config(PHONE).rules[0]
    said = intake.fingerprinted(copy, rule, "fp-10", ledger)
    assert isinstance(said, Skip) and said.why is SkipWhy.DUPLICATE and said.news
    cfg = config(PHONE)
    intake.reconfigure(cfg.rules, cfg.watch, cfg.settle_seconds)
    again = intake.fingerprinted(copy, rule, "fp-10", ledger)
    assert isinstance(again, Skip) and again.why is SkipWhy.DUPLICATE
    assert not again.news
    # Another copy is news of its own.
    other = intake.fingerprinted(INBOX / "IMG_10 (2).MOV", rule, "fp-10", ledger)
    assert isinstance(other, Skip) and other.news


def test_a_condition_skip_is_news_once_across_reloads(ledger: Ledger) -> None:
    clock = FakeClock()
    intake = make_intake(clock, SHORT_OK)
    for news in (True, False):
        need = settle_and_decide(intake, clock, facts("a.mov"), ledger)
        assert isinstance(need, Examine)
        decision = intake.examined(need, media("a.mov", 4.0), ledger)
        assert isinstance(decision, Skip) and decision.why is SkipWhy.CONDITION
        assert decision.news is news
        cfg = config(SHORT_OK)
        intake.reconfigure(cfg.rules, cfg.watch, cfg.settle_seconds)
