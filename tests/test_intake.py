"""Finding returned files and archiving their original bytes."""

from __future__ import annotations

import hashlib
import stat

import pytest

from sdexl.harvest.intake import ArchiveMismatch, archive, archive_path, discover, is_ignored, sha256_file
from tests.harvest_helpers import set_received


@pytest.mark.parametrize(
    "name",
    [
        "~$101_København.xlsx",
        ".~lock.101_København.xlsx#",
        "101_København.xlsx.tmp",
        ".DS_Store",
        "Thumbs.db",
        "README.md",
    ],
)
def test_lock_temp_and_hidden_files_are_ignored(tmp_path, name):
    assert is_ignored(tmp_path / name)


@pytest.mark.parametrize("name", ["101_København.xlsx", "svar fra kommunen.XLS", "skema.ods", "vedhæftet.pdf"])
def test_anything_else_is_harvested(tmp_path, name):
    assert not is_ignored(tmp_path / name)


def test_discover_walks_sub_folders_oldest_first(workspace):
    inc = workspace.incoming
    (inc / "uge 48").mkdir()
    (inc / ".git").mkdir()
    set_received(_write(inc / "uge 48" / "b.xlsx"), 2_000)
    set_received(_write(inc / "a.xlsx"), 3_000)
    set_received(_write(inc / "c.xlsx"), 2_000)  # same time as b: the name breaks the tie
    _write(inc / ".git" / "x.xlsx")
    _write(inc / "~$a.xlsx")
    found = discover(workspace)
    assert [f.name for f in found if not f.ignored] == ["incoming/c.xlsx", "incoming/uge 48/b.xlsx", "incoming/a.xlsx"]
    assert [f.name for f in found if f.ignored] == ["incoming/~$a.xlsx"]
    assert found[0].received_at.startswith("1970-01-01T00:33:20")


def test_discover_without_incoming_finds_nothing(workspace):
    workspace.incoming.rmdir()
    assert discover(workspace) == []


def test_archive_keeps_the_bytes_read_only_and_write_once(workspace):
    source = _write(workspace.incoming / "101_København.xlsx", b"PK\x03\x04 original")
    sha = sha256_file(source)
    assert sha == hashlib.sha256(b"PK\x03\x04 original").hexdigest()
    target = archive(workspace, source, sha)
    assert target == archive_path(workspace, sha, ".xlsx") == workspace.archive / sha[:2] / f"{sha}.xlsx"
    assert target.read_bytes() == source.read_bytes()
    assert not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    before = target.stat().st_mtime_ns
    assert archive(workspace, source, sha) == target and target.stat().st_mtime_ns == before


def test_a_file_that_changes_while_archived_is_not_archived(workspace):
    source = _write(workspace.incoming / "101.xlsx", b"new bytes")
    wrong = hashlib.sha256(b"old bytes").hexdigest()
    with pytest.raises(ArchiveMismatch):
        archive(workspace, source, wrong)
    assert not archive_path(workspace, wrong, ".xlsx").exists()
    assert list(workspace.archive.rglob("*")) == [workspace.archive / wrong[:2]]  # no stray temp file


def _write(path, data: bytes = b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
