"""Delivery: atomic placement under a free name, scratch names, moving originals."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from daemon import placement
from daemon.placement import move_original, place, remove_scratch, scratch_path
from daemon.rules import is_temporary


def make(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "a.mp4"),
        (["a.mp4"], "a-1.mp4"),
        (["a.mp4", "a-1.mp4"], "a-2.mp4"),
    ],
)
def test_place_never_overwrites(tmp_path: Path, existing: list[str], expected: str) -> None:
    out = tmp_path / "out"
    for name in existing:
        make(out / name, f"old {name}".encode())
    tmp = make(out / ".videofree-1-ab.part.mp4", b"new video")
    final = place(tmp, out / "a.mp4")
    assert final == out / expected
    assert final.read_bytes() == b"new video"
    assert not tmp.exists()
    for name in existing:
        assert (out / name).read_bytes() == f"old {name}".encode()
    assert sorted(p.name for p in out.iterdir()) == sorted([*existing, expected])


def test_place_creates_the_target_folder(tmp_path: Path) -> None:
    tmp = make(tmp_path / "out" / ".scratch.part.mp4", b"v")
    final = place(tmp, tmp_path / "out" / "2024-03-07" / "a.mp4")
    assert final == tmp_path / "out" / "2024-03-07" / "a.mp4"
    assert final.read_bytes() == b"v"


@pytest.mark.parametrize("code", [errno.EPERM, errno.ENOTSUP, errno.EXDEV])
def test_place_without_hard_links_still_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def no_links(_src: object, _dst: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(placement.os, "link", no_links)
    out = tmp_path / "out"
    make(out / "a.mp4", b"old")
    tmp = make(out / ".s.part.mp4", b"new")
    final = place(tmp, out / "a.mp4")
    assert final == out / "a-1.mp4"
    assert (final.read_bytes(), (out / "a.mp4").read_bytes()) == (b"new", b"old")
    assert not tmp.exists()


def test_place_reraises_other_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_src: object, _dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(placement.os, "link", full)
    tmp = make(tmp_path / ".s.part.mp4", b"new")
    with pytest.raises(OSError, match="No space"):
        place(tmp, tmp_path / "out" / "a.mp4")
    assert tmp.read_bytes() == b"new"


def test_scratch_path_is_hidden_temporary_and_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "out"
    a, b = scratch_path(folder, 7), scratch_path(folder, 7)
    assert folder.is_dir()
    assert a.parent == folder
    assert a.name.startswith(".")
    assert a.name.endswith(".mp4")
    assert is_temporary(a.name)
    assert "7" in a.name
    assert a != b  # an orphaned writer of an earlier attempt never shares the file
    assert not a.exists()


def test_remove_scratch_removes_only_that_jobs_files(tmp_path: Path) -> None:
    mine = [make(scratch_path(tmp_path, 7), b"x"), make(scratch_path(tmp_path, 7), b"y")]
    other_job = make(scratch_path(tmp_path, 70), b"z")
    output = make(tmp_path / "a.mp4", b"done")
    remove_scratch(tmp_path, 7)
    assert not any(p.exists() for p in mine)
    assert other_job.exists()
    assert output.exists()


@pytest.mark.parametrize(("existing", "expected"), [([], "IMG.MOV"), (["IMG.MOV"], "IMG-1.MOV")])
def test_move_original(tmp_path: Path, existing: list[str], expected: str) -> None:
    original = make(tmp_path / "in" / "IMG.MOV", b"original")
    done = tmp_path / "done"
    for name in existing:
        make(done / name, b"earlier")
    moved = move_original(original, done)
    assert moved == done / expected
    assert moved.read_bytes() == b"original"
    assert not original.exists()
    for name in existing:
        assert (done / name).read_bytes() == b"earlier"


def test_move_original_across_filesystems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def cross_device(_src: object, _dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(placement.os, "link", cross_device)
    original = make(tmp_path / "in" / "IMG.MOV", b"original")
    moved = move_original(original, tmp_path / "done")
    assert moved == tmp_path / "done" / "IMG.MOV"
    assert moved.read_bytes() == b"original"
    assert not original.exists()
