"""Awkward returns (issue 9): each is a real file in incoming/, harvested end to end.

- a file name that is not valid UTF-8, as unzipping a Windows archive leaves it;
- a copied entry sheet ("Sager (2)") holding the same cases as Sager;
- a return whose personal columns (Navn, Fødselsdato) were deleted;
- a text longer than an Excel cell can hold.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

from click.testing import CliRunner

from sdexl.cli import main
from sdexl.harvest.run import harvest
from tests import harvest_helpers as h

T0 = 1_700_000_000


def _cli(ws, *args):
    return CliRunner().invoke(main, ["-w", str(ws.root), *args], catch_exceptions=False)


def _ledger_files(ws) -> list[str]:
    conn = sqlite3.connect(ws.ledger_path)
    try:
        return [r[0] for r in conn.execute("SELECT file FROM submissions ORDER BY file")]
    finally:
        conn.close()


# --- 1. a file name that is not UTF-8 ----------------------------------------------------------

WINDOWS_NAME = b"101_K\xf8benhavn.xlsx"  # "København" in cp1252, as an unzipped Windows archive leaves it
SHOWN = "101_K\\xf8benhavn.xlsx"


def _bytes_named(ws, src, name: bytes = WINDOWS_NAME):
    target = os.fsencode(str(ws.incoming)) + b"/" + name
    shutil.copyfile(src, target)
    os.utime(target, (T0, T0))
    return target


def test_a_name_that_is_not_utf8_is_harvested_and_shown_escaped(workspace, tmp_path):
    ws = workspace
    _bytes_named(ws, h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx"))
    result = harvest(ws)
    [entry] = result.files
    assert entry.verdict == "accepted", [i.message for i in entry.issues]
    assert entry.file == f"incoming/{SHOWN}"
    assert entry.kommunekode == "101"
    assert _ledger_files(ws) == [f"incoming/{SHOWN}"]
    # The original bytes are archived under their hash, the name's bytes are not part of the archive path.
    archived = list(ws.archive.rglob("*.xlsx"))
    assert len(archived) == 1 and archived[0].read_bytes() == (tmp_path / "src" / "101.xlsx").read_bytes()


def test_json_and_text_output_stay_valid_utf8_for_such_a_name(workspace, tmp_path):
    ws = workspace
    _bytes_named(ws, h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx"))
    done = _cli(ws, "harvest", "--json")
    assert done.exit_code == 0, done.output
    text = done.stdout_bytes.decode("utf-8")  # strict: raises on invalid UTF-8
    [entry] = json.loads(text[text.index("["):])
    assert entry["file"] == f"incoming/{SHOWN}" and entry["verdict"] == "accepted"
    again = _cli(ws, "harvest")  # seen before: reported from the ledger
    assert again.exit_code == 0
    again.stdout_bytes.decode("utf-8")
    shown = _cli(ws, "status", "sde-2024", "--json")
    assert shown.exit_code == 0
    shown.stdout_bytes.decode("utf-8")


def test_feedback_for_such_a_name_names_the_file_escaped(workspace, tmp_path):
    ws = workspace
    src = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx", a02_over_2mio="mange")
    _bytes_named(ws, src)
    [entry] = harvest(ws).files
    assert entry.verdict == "needs_correction", [i.message for i in entry.issues]
    assert entry.feedback is not None and entry.feedback.exists()
    import openpyxl

    texts = [
        str(c.value) for sheet in openpyxl.load_workbook(entry.feedback).worksheets for row in sheet.iter_rows()
        for c in row if c.value is not None
    ]
    assert all("\udcf8" not in t for t in texts)
