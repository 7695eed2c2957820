"""Outputs are replaced whole: a failed write leaves the old file and no temporary."""

from __future__ import annotations

import pytest

from sdexl import atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "master.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "data.csv"
    atomic.write_text(target, "kommunekode\n101\n")
    assert target.read_text(encoding="utf-8") == "kommunekode\n101\n"
    assert [p.name for p in target.parent.iterdir()] == ["data.csv"]


def test_stale_temporaries_are_removed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".master.xlsx.x1y2.tmp").write_bytes(b"")
    (tmp_path / "keep.tmp").write_bytes(b"")  # not ours: no leading dot
    assert atomic.remove_stale_temporaries(tmp_path) == 1
    assert (tmp_path / "keep.tmp").exists()


def test_write_all_writes_every_file_whole_and_leaves_no_temporaries(tmp_path):
    old = tmp_path / "b.xlsx"
    old.write_bytes(b"old")
    written = atomic.write_all([(tmp_path / "a.xlsx", b"A"), (old, b"B"), (tmp_path / "sub" / "c.xlsx", b"C")])
    assert written == [tmp_path / "a.xlsx", old, tmp_path / "sub" / "c.xlsx"]
    assert [p.read_bytes() for p in written] == [b"A", b"B", b"C"]
    assert not list(tmp_path.rglob("*.tmp")) and atomic.write_all([]) == []
