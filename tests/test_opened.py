"""A file's zip is opened once while it is examined, and the verdict is the same as opening it each time."""

from __future__ import annotations

import os
import zipfile

from sdexl import ledger
from sdexl.harvest import examine as examine_module
from sdexl.harvest import opened
from sdexl.harvest.examine import examine
from tests import harvest_helpers as h


def _count_zip_opens(monkeypatch) -> list[str]:
    opens: list[str] = []
    real = zipfile.ZipFile

    class Counting(real):
        def __init__(self, file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)):
                opens.append(os.fspath(file))
            super().__init__(file, *args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipFile", Counting)
    return opens


def _return(workspace, tmp_path):
    survey = workspace.survey("sde-2022")
    path = h.filled_cases(workspace, "101", tmp_path / "in" / "101_København.xlsx", [h.valid_case(survey, "S1")])
    with ledger.opened(workspace.ledger_path) as conn:
        issued = {i.token: i for i in ledger.issued_for(conn, "sde-2022")}
    return path, {"sde-2022": survey}, issued


def _examined(workspace, tmp_path, start_counting):
    """A valid return, examined as harvest does once it is written (counting from then on)."""
    path, surveys, issued = _return(workspace, tmp_path)
    (tmp_path / "w1").mkdir()
    counted = start_counting()
    outcome = examine(path, "incoming/101_København.xlsx", surveys, issued, tmp_path / "w1")
    assert outcome.verdict == "accepted", outcome.report.issues
    return outcome, counted


def test_examining_a_return_opens_its_zip_once(workspace, tmp_path, monkeypatch):
    outcome, opens = _examined(workspace, tmp_path, lambda: _count_zip_opens(monkeypatch))
    assert len(outcome.report.records) == 1
    assert len(opens) == 1, opens


def test_the_shared_zip_gives_the_same_outcome_as_opening_it_each_time(workspace, tmp_path, monkeypatch):
    path, surveys, issued = _return(workspace, tmp_path)
    (tmp_path / "w1").mkdir()
    (tmp_path / "w2").mkdir()
    shared = examine(path, "incoming/101_København.xlsx", surveys, issued, tmp_path / "w1")
    monkeypatch.setattr(examine_module.opened, "once", lambda p, max_bytes: _nothing())
    separate = examine(path, "incoming/101_København.xlsx", surveys, issued, tmp_path / "w2")
    assert shared == separate


def test_a_hard_link_to_the_open_file_shares_its_zip_and_others_get_their_own(workspace, tmp_path):
    path, _, _ = _return(workspace, tmp_path)
    link = tmp_path / "link.xlsx"
    os.link(path, link)
    other = tmp_path / "other.xlsx"
    other.write_bytes(path.read_bytes())
    with opened.once(path, max_bytes=10**9):
        with opened.zip_file(link) as a, opened.zip_file(path) as b:
            assert a is b
        with opened.zip_file(other) as c:
            assert c is not a
        assert a.fp is not None  # still open for the next reader
    assert a.fp is None  # closed when the examination ends


def test_a_file_that_is_not_a_zip_is_left_to_the_readers(tmp_path):
    text = tmp_path / "x.xlsx"
    text.write_text("not a zip", encoding="utf-8")
    with opened.once(text, max_bytes=10**9):
        assert opened._open == {}


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _count_member_inflations(monkeypatch) -> list[str]:
    """The names of the zip members opened for reading (each open inflates the member from its start)."""
    inflated: list[str] = []
    real = zipfile.ZipFile.open

    def counting(self, name, *args, **kwargs):
        inflated.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting)
    return inflated


def test_the_entry_sheet_is_inflated_once_while_a_return_is_examined(workspace, tmp_path, monkeypatch):
    # The container check verifies every member's CRC; the prolog check and the formula/error scan of
    # the sheet XML used to inflate the same members again. calamine reads the zip with its own code.
    _, inflated = _examined(workspace, tmp_path, lambda: _count_member_inflations(monkeypatch))
    sheets = [n for n in inflated if n.startswith("xl/worksheets/sheet")]
    assert sheets and len(sheets) == len(set(sheets)), sheets
    assert opened._members == {}  # the kept bytes go with the examination


def test_kept_bytes_are_only_those_of_the_shared_zip(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.xml", b"<a/>")
    with zipfile.ZipFile(path) as own:
        opened.keep(own, "x.xml", b"changed")  # not a shared zip: nothing kept
        assert opened.read(own, "x.xml") == b"<a/>"
    with opened.once(path, max_bytes=10**9), opened.zip_file(path) as shared:
        opened.keep(shared, "x.xml", b"kept")
        assert opened.read(shared, "x.xml") == b"kept"
