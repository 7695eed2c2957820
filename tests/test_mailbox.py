"""Returns that arrive as a saved mail (.eml) or a zip file (issue 9, harvest/mailbox.py).

Each test writes a real .eml (stdlib email) or .zip holding workbooks from the generator into
incoming/ and harvests it end to end: every attachment becomes a return of its own, named after the
mail or zip it came in, and the mail or zip itself is archived byte for byte and recorded.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from email.message import EmailMessage
from pathlib import Path

from click.testing import CliRunner

from sdexl import messages
from sdexl.cli import main
from sdexl.harvest import mailbox
from sdexl.harvest.container import Limits
from sdexl.harvest.run import harvest
from tests import harvest_helpers as h

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def mail(dst: Path, attachments: list[tuple[str, bytes]], subject: str = "Svar fra København") -> Path:
    """A mail as Outlook or Thunderbird saves it ("Gem som" .eml): text, a logo, and the attachments."""
    msg = EmailMessage()
    msg["From"] = "sagsbehandler@kk.dk"
    msg["To"] = "screening@kl.dk"
    msg["Subject"] = subject
    msg.set_content("Hej\n\nHer er vores skema.\n\nVenlig hilsen")
    msg.add_related(b"\x89PNG\r\n\x1a\n" + bytes(64), "image", "png", cid="<logo>", filename="image001.png")
    for name, data in attachments:
        maintype, subtype = XLSX if name.endswith(".xlsx") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(bytes(msg))
    return dst


def zipped(dst: Path, members: list[tuple[str, bytes]]) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return dst


def by_file(result) -> dict:
    return {f.file: f for f in result.files}


def ledger_rows(ws, sql: str, *args) -> list[sqlite3.Row]:
    conn = sqlite3.connect(ws.ledger_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def codes(entry) -> list[str]:
    return [i.code for i in entry.issues]


# --- a saved mail ------------------------------------------------------------------------------------


def test_each_attachment_of_a_saved_mail_is_harvested_as_its_own_file(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    dragoer = h.filled_form(ws, "155", tmp_path / "src" / "155.xlsx", over=4).read_bytes()
    eml = mail(ws.incoming / "Svar fra København.eml", [("101_København.xlsx", kbh), ("Dragør.xlsx", dragoer)])
    files = by_file(harvest(ws))
    assert {name: f.verdict for name, f in files.items()} == {
        "incoming/Svar fra København.eml": "unpacked",
        "incoming/Svar fra København.eml/101_København.xlsx": "accepted",
        "incoming/Svar fra København.eml/Dragør.xlsx": "accepted",
    }
    assert files["incoming/Svar fra København.eml/Dragør.xlsx"].kommunekode == "155"
    # The mail is archived byte for byte under its hash, and so is each attachment.
    container = files["incoming/Svar fra København.eml"]
    assert container.sha256 == hashlib.sha256(eml.read_bytes()).hexdigest()
    [archived] = ledger_rows(ws, "SELECT archive, container FROM submissions WHERE sha256 = ?", container.sha256)
    assert (ws.root / archived["archive"]).read_bytes() == eml.read_bytes() and archived["container"] == "mail"
    member = files["incoming/Svar fra København.eml/101_København.xlsx"]
    [row] = ledger_rows(ws, "SELECT archive FROM submissions WHERE sha256 = ?", member.sha256)
    assert (ws.root / row["archive"]).read_bytes() == kbh
    # Where it came from: the note on the attachment (ledger, feedback, receipt) and the mail's own note.
    assert member.issues[0].message == messages.render(
        "from-mail", file="101_København.xlsx", container="Svar fra København.eml"
    )
    stored = ledger_rows(ws, "SELECT code FROM issues WHERE submission = ?", member.sha256)
    assert "from-mail" in [r["code"] for r in stored]
    assert container.issues[-1].message == messages.render(
        "unpacked-mail", file="Svar fra København.eml", names="101_København.xlsx og Dragør.xlsx",
        skipped=messages.PHRASES["skipped-files"].format(names="image001.png"),
    )
    assert not any(i.severity == "error" for i in container.issues)


def test_a_mail_harvested_again_is_seen_before_and_status_names_the_mail(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    mail(ws.incoming / "svar.eml", [("101_København.xlsx", kbh)])
    first = harvest(ws)
    again = harvest(ws)
    assert [f.new for f in again.files] == [False, False]
    assert [f.verdict for f in again.files] == [f.verdict for f in first.files]
    assert len(ledger_rows(ws, "SELECT * FROM submissions")) == 2
    done = CliRunner().invoke(main, ["-w", str(ws.root), "status", "sde-2024", "--json"], catch_exceptions=False)
    status = json.loads(done.output)
    [kbh_row] = [m for m in status["municipalities"] if m["kommunekode"] == "101"]
    assert kbh_row["file"] == "incoming/svar.eml/101_København.xlsx" and kbh_row["status"] == "accepted"
    assert status.get("unattributed", []) == []  # the mail itself is no unattributed return


def test_an_attachment_that_needs_correction_gets_feedback_that_names_the_mail(workspace, tmp_path):
    ws = workspace
    bad = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx", a02_over_2mio="mange").read_bytes()
    mail(ws.incoming / "svar.eml", [("101_København.xlsx", bad)])
    member = by_file(harvest(ws))["incoming/svar.eml/101_København.xlsx"]
    assert member.verdict == "needs_correction" and member.feedback is not None
    import openpyxl

    texts = [str(c.value) for sheet in openpyxl.load_workbook(member.feedback).worksheets
             for row in sheet.iter_rows() for c in row if c.value is not None]
    assert messages.render("from-mail", file="101_København.xlsx", container="svar.eml") in texts


def test_a_mail_without_a_workbook_is_rejected_with_a_message_that_says_what_was_attached(workspace):
    ws = workspace
    mail(ws.incoming / "svar.eml", [("bilag.pdf", b"%PDF-1.4\n%%EOF\n")])
    [entry] = harvest(ws).files
    assert entry.verdict == "rejected"
    only = messages.PHRASES["only-other-files"].format(names="image001.png og bilag.pdf")
    assert entry.issues[-1].message == messages.render("mail-without-workbook", file="svar.eml", only=only)


def test_the_same_workbook_in_a_mail_and_in_incoming_is_a_duplicate(workspace, tmp_path):
    ws = workspace
    src = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx")
    h.set_received(mail(ws.incoming / "a.eml", [("101_København.xlsx", src.read_bytes())]), 1_700_000_000)
    h.set_received(Path(src.replace(ws.incoming / "101_København.xlsx")), 1_700_000_100)
    files = by_file(harvest(ws))
    assert files["incoming/a.eml/101_København.xlsx"].verdict == "accepted"
    assert files["incoming/101_København.xlsx"].verdict == "duplicate"


# --- a zip file -----------------------------------------------------------------------------------


def test_each_workbook_in_a_zip_is_harvested_and_the_zip_archived(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    fred = h.filled_form(ws, "147", tmp_path / "src" / "147.xlsx", over=3).read_bytes()
    archive = zipped(ws.incoming / "svar.zip", [("svar/101_København.xlsx", kbh), ("svar/147_Frederiksberg.xlsx", fred),
                                                ("__MACOSX/svar/._101_København.xlsx", b"junk"),
                                                ("svar/~$101_København.xlsx", b"lock")])
    files = by_file(harvest(ws))
    assert {name: f.verdict for name, f in files.items()} == {
        "incoming/svar.zip": "unpacked",
        "incoming/svar.zip/svar/101_København.xlsx": "accepted",
        "incoming/svar.zip/svar/147_Frederiksberg.xlsx": "accepted",
    }
    member = files["incoming/svar.zip/svar/147_Frederiksberg.xlsx"]
    assert member.kommunekode == "147"
    assert member.issues[0].message == messages.render(
        "from-zip", file="147_Frederiksberg.xlsx", container="svar.zip"
    )
    [row] = ledger_rows(ws, "SELECT archive FROM submissions WHERE file = ?", "incoming/svar.zip")
    assert (ws.root / row["archive"]).read_bytes() == archive.read_bytes()


def test_a_windows_zip_name_in_cp850_is_shown_as_the_sender_wrote_it(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    # Windows' own zip writes names in the OEM code page (cp850 in Denmark) without the UTF-8 flag:
    # written here with a placeholder of the same length, whose bytes are then replaced.
    placeholder, cp850 = b"101_KXbenhavn.xlsx", "101_København.xlsx".encode("cp850")
    assert len(placeholder) == len(cp850)
    dst = zipped(ws.incoming / "fra windows.zip", [(placeholder.decode(), kbh)])
    dst.write_bytes(dst.read_bytes().replace(placeholder, cp850))
    with zipfile.ZipFile(dst) as zf:
        assert zf.namelist() == [cp850.decode("cp437")]  # what Python alone makes of it: "101_K¢benhavn.xlsx"
    files = by_file(harvest(ws))
    assert files["incoming/fra windows.zip/101_København.xlsx"].verdict == "accepted"


def test_a_zip_bomb_is_refused_before_anything_is_inflated(workspace):
    ws = workspace
    zipped(ws.incoming / "bombe.zip", [("101_København.xlsx", bytes(20 * 1024 * 1024))])
    [entry] = harvest(ws).files
    assert entry.verdict == "rejected" and entry.issues[-1].code == "archive-too-large"
    assert not list(ws.archive.rglob("*.xlsx"))  # nothing was taken out


def test_too_many_members_are_refused(tmp_path):
    limits = Limits(max_members=5)
    path = zipped(tmp_path / "mange.zip", [(f"{n}.xlsx", b"x") for n in range(6)])
    found = mailbox.unpack(path.read_bytes(), "zip", limits)
    assert found.finding is not None and found.finding.code == "archive-too-large" and not found.members


def test_the_bound_covers_a_zip_inside_a_zip(tmp_path):
    limits = Limits(max_total_uncompressed=10 * 1024 * 1024)
    inner = zipped(tmp_path / "inner.zip", [(f"{n}.xlsx", bytes(1024 * 1024)) for n in range(8)]).read_bytes()
    outer = zipped(tmp_path / "outer.zip", [("a.zip", inner), ("b.zip", inner)]).read_bytes()
    assert mailbox.unpack(inner, "zip", limits).ok  # 8 MB: within the bound on its own
    found = mailbox.unpack(outer, "zip", limits)  # 16 MB in all once both are unpacked
    assert found.finding is not None and found.finding.code == "archive-too-large" and not found.members


def test_a_password_protected_zip_is_rejected_with_its_own_message(workspace, tmp_path):
    ws = workspace
    dst = zipped(ws.incoming / "kode.zip", [("101_København.xlsx", b"PK\x03\x04 not really")])
    data = bytearray(dst.read_bytes())
    data[6] |= 0x1  # the encryption flag in the local header ...
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1  # ... and in the central directory, as a zip tool with a password writes it
    dst.write_bytes(bytes(data))
    [entry] = harvest(ws).files
    assert entry.verdict == "rejected"
    assert entry.issues[-1].message == messages.render("archive-encrypted", file="kode.zip")


def test_a_workbook_renamed_to_zip_is_read_as_the_workbook_it_is(workspace, tmp_path):
    ws = workspace
    src = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx")
    src.replace(ws.incoming / "101_København.zip")
    [entry] = harvest(ws).files
    assert entry.verdict == "accepted" and entry.kommunekode == "101"


# --- nesting, and Outlook's .msg -----------------------------------------------------------------------


def test_a_zip_attached_to_a_mail_is_unpacked_and_one_deeper_is_not(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    inner = zipped(tmp_path / "inderst.zip", [("147.xlsx", kbh)]).read_bytes()
    outer = zipped(tmp_path / "svar.zip", [("101_København.xlsx", kbh), ("inderst.zip", inner)]).read_bytes()
    mail(ws.incoming / "svar.eml", [("svar.zip", outer)])
    files = by_file(harvest(ws))
    assert files["incoming/svar.eml"].verdict == "unpacked"
    assert files["incoming/svar.eml/svar.zip"].verdict == "unpacked"
    assert files["incoming/svar.eml/svar.zip/101_København.xlsx"].verdict == "accepted"
    deepest = files["incoming/svar.eml/svar.zip/inderst.zip"]
    assert deepest.verdict == "rejected" and deepest.issues[-1].code == "nested-too-deep"
    assert "incoming/svar.eml/svar.zip/inderst.zip/147.xlsx" not in files
    assert files["incoming/svar.eml/svar.zip"].issues[0].code == "from-mail"


def test_an_outlook_msg_is_rejected_asking_for_the_workbook_as_an_attachment(workspace, tmp_path):
    ws = workspace
    src = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx")
    h.encrypted(src, ws.incoming / "Svar fra København.msg")  # any OLE compound file, as a .msg is one
    [entry] = harvest(ws).files
    assert entry.verdict == "rejected"
    assert entry.issues[-1].message == messages.render("msg-unsupported", file="Svar fra København.msg")


def test_member_names_never_leave_their_container():
    assert mailbox.clean_name("../../etc/passwd") == "etc/passwd"
    assert mailbox.clean_name("C:\\Users\\kbh\\Skema.xlsx") == "C:/Users/kbh/Skema.xlsx"
    assert mailbox.clean_name("a\nb.xlsx") == "a_b.xlsx"
    assert mailbox.source_of("incoming/runde/a.eml/b.zip/c.xlsx") == ("zip", "b.zip", "c.xlsx")
    assert mailbox.source_of("incoming/runde/101.xlsx") is None
    assert mailbox.nesting("incoming/a.eml/b.zip/c.xlsx") == 2


def test_a_broken_zip_is_rejected_as_damaged(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    whole = zipped(tmp_path / "svar.zip", [("101_København.xlsx", kbh)]).read_bytes()
    (ws.incoming / "svar.zip").write_bytes(whole[: len(whole) // 2])  # the download stopped half way
    [entry] = harvest(ws).files
    assert entry.verdict == "rejected"
    assert entry.issues[-1].message == messages.render("corrupt-file", file="svar.zip")


def test_an_attachment_name_in_raw_8bit_bytes_is_read_as_the_sender_wrote_it(workspace, tmp_path):
    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    eml = mail(ws.incoming / "svar.eml", [("101_KXbenhavn.xlsx", kbh)])
    # An old mail client writes the name's Latin-1 bytes straight into the header, unencoded.
    data = eml.read_bytes().replace(b'filename="101_KXbenhavn.xlsx"', b'filename="101_K\xf8benhavn.xlsx"')
    assert b"\xf8" in data
    eml.write_bytes(data)
    files = by_file(harvest(ws))
    entry = files["incoming/svar.eml/101_København.xlsx"]
    assert entry.verdict == "accepted"
    done = CliRunner().invoke(main, ["-w", str(ws.root), "harvest", "--json"], catch_exceptions=False)
    done.stdout_bytes.decode("utf-8")  # strict


def test_a_mail_is_unpacked_alike_without_isolation(workspace, tmp_path):
    from sdexl.harvest.run import Options

    ws = workspace
    kbh = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx").read_bytes()
    mail(ws.incoming / "svar.eml", [("101_København.xlsx", kbh)])
    files = by_file(harvest(ws, options=Options(isolate=False)))
    assert [f.verdict for f in files.values()] == ["unpacked", "accepted"]
