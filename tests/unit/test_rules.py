"""Rule matching, temporary names, output-name templates and numbered names (pure)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path, PurePosixPath

import pytest

from daemon.config import Rule
from daemon.rules import NameFields, glob_matches, is_temporary, match_rule, numbered, output_path


def rule(name: str, glob: str | list[str]) -> Rule:
    return Rule(name=name, glob=glob, output="/out")


@pytest.mark.parametrize(
    ("name", "temporary"),
    [
        ("IMG_0042.MOV", False),
        ("clip.mp4", False),
        ("clip.mp4.part", True),
        ("clip.MP4.PART", True),
        ("clip.crdownload", True),
        ("clip.tmp", True),
        ("clip.download", True),
        ("clip.partial", True),
        ("clip.filepart", True),
        (".hidden.mp4", True),
        ("._IMG_0042.MOV", True),
        (".syncthing.clip.mp4.tmp", True),
        ("~$clip.mp4", True),
        ("partial-clip.mp4", False),
        ("tmp.mp4", False),
    ],
)
def test_is_temporary(name: str, temporary: bool) -> None:
    assert is_temporary(name) is temporary


@pytest.mark.parametrize(
    ("pattern", "relative", "matches"),
    [
        ("*.mov", "IMG_0042.MOV", True),
        ("*.MOV", "img_0042.mov", True),
        ("IMG_*.mov", "img_0042.MoV", True),
        ("*.mov", "clip.mp4", False),
        ("*.mov", "sub/IMG_0042.MOV", True),  # no slash: the name alone is matched
        ("cloud/*", "cloud/a.mp4", True),
        ("Cloud/*.MP4", "cloud/a.mp4", True),
        ("cloud/*", "a.mp4", False),
        ("cloud/*", "other/a.mp4", False),
        ("cloud/*", "x/cloud/a.mp4", False),
        ("*/a.mp4", "cloud/a.mp4", True),
        ("clip?.mp4", "clip1.mp4", True),
        ("clip[0-9].mp4", "clipx.mp4", False),
    ],
)
def test_glob_matches(pattern: str, relative: str, matches: bool) -> None:
    rel = PurePosixPath(relative)
    assert glob_matches(pattern, rel.name, rel) is matches


RULES = [
    rule("cloud", "cloud/*"),
    rule("phone", ["*.mov", "*.mp4"]),
    rule("all-mp4", "*.mp4"),
]


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("cloud/a.mp4", "cloud"),  # first rule wins even though "phone" matches too
        ("a.mp4", "phone"),
        ("A.MOV", "phone"),
        ("sub/a.mov", "phone"),
        ("a.mkv", None),
        ("cloud.mp4", "phone"),
    ],
)
def test_match_rule_first_wins(relative: str, expected: str | None) -> None:
    rel = PurePosixPath(relative)
    found = match_rule(RULES, rel.name, rel)
    assert (found.name if found else None) == expected


def test_match_rule_without_a_relative_path_uses_the_name() -> None:
    found = match_rule(RULES, "clip.mp4")
    assert found is not None
    assert found.name == "phone"
    assert match_rule(RULES, "clip.txt") is None
    assert match_rule([], "clip.mp4") is None


WHEN = datetime(2024, 3, 7, 9, 5, 1)  # noqa: DTZ001 - a local wall-clock time, as in the daemon


def fields(source: str = "/in/IMG_0042.MOV", rule_name: str = "phone") -> NameFields:
    return NameFields(source=Path(source), rule=rule_name, engine="local", job=17, when=WHEN)


def test_name_fields() -> None:
    assert fields().as_dict() == {
        "stem": "IMG_0042",
        "name": "IMG_0042.MOV",
        "ext": "mov",
        "rule": "phone",
        "engine": "local",
        "job": "17",
        "date": "2024-03-07",
        "time": "090501",
        "year": "2024",
        "month": "03",
        "day": "07",
    }


@pytest.mark.parametrize(
    ("source", "rule_name", "key", "value"),
    [
        ("/in/..", "r", "stem", "_"),
        ("/in/a\nb.mov", "r", "stem", "a_b"),
        ("/in/a\\b.mov", "r", "stem", "a_b"),
        ("/in/x.mov", "../../etc", "rule", ".._.._etc"),
        ("/in/x.mov", "a/b", "rule", "a_b"),
        ("/in/x.mov", "..", "rule", "_"),
        ("/in/x.mov", " ", "rule", "_"),
    ],
)
def test_name_fields_are_one_safe_component(
    source: str, rule_name: str, key: str, value: str
) -> None:
    got = fields(source, rule_name).as_dict()[key]
    assert got == value
    assert "/" not in got
    assert got not in {"", ".", ".."}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{stem}-edited.mp4", "IMG_0042-edited.mp4"),
        ("{date}/{stem}.mp4", "2024-03-07/IMG_0042.mp4"),
        ("{year}/{month}/{day}/{time}-{job}-{engine}.mp4", "2024/03/07/090501-17-local.mp4"),
        ("{rule}-{name}.mp4", "phone-IMG_0042.MOV.mp4"),
        ("{stem}.{ext}.mp4", "IMG_0042.mov.mp4"),
    ],
)
def test_output_path_renders_inside_the_folder(
    tmp_path: Path, template: str, expected: str
) -> None:
    assert output_path(tmp_path, template, fields()) == tmp_path / expected


@pytest.mark.parametrize(
    ("template", "rule_name"),
    [
        ("../{stem}.mp4", "r"),
        ("/etc/{stem}.mp4", "r"),
        ("a/../../{stem}.mp4", "r"),
        ("{rule}/../../x.mp4", "r"),
    ],
)
def test_output_path_refuses_to_leave_the_folder(
    tmp_path: Path, template: str, rule_name: str
) -> None:
    with pytest.raises(ValueError, match="leaves the output folder"):
        output_path(tmp_path / "out", template, fields(rule_name=rule_name))


def test_output_path_refuses_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", out / "link")
    with pytest.raises(ValueError, match="leaves the output folder"):
        output_path(out, "link/{stem}.mp4", fields())
    assert output_path(out, "{stem}.mp4", fields()) == out / "IMG_0042.mp4"


def test_a_hostile_field_value_stays_inside(tmp_path: Path) -> None:
    target = output_path(tmp_path, "{rule}/{stem}.mp4", fields("/in/...mov", "../.."))
    assert target.resolve().is_relative_to(tmp_path.resolve())
    assert target == tmp_path / ".._.." / "_.mp4"  # the stem of "...mov" is ".."


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "a.mp4"),
        ({"a.mp4"}, "a-1.mp4"),
        ({"a.mp4", "a-1.mp4", "a-2.mp4"}, "a-3.mp4"),
        ({"a.mp4", "a-2.mp4"}, "a-1.mp4"),
        ({"a-1.mp4"}, "a.mp4"),
    ],
)
def test_numbered(taken: set[str], expected: str) -> None:
    got = numbered(Path("/out/a.mp4"), lambda p: p.name in taken)
    assert got == Path("/out") / expected
