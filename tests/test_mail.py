"""Issue 11: the round's mail, built with the email package, drafted or sent, recorded, never twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from sdexl import ledger, messages
from sdexl.cli import main
from sdexl.contacts import import_contacts
from sdexl.generate.run import generate_all
from sdexl.harvest.feedback import feedback_path
from sdexl.harvest.receipt import receipt_path
from sdexl.harvest.run import harvest
from sdexl.harvest.status import survey_status
from sdexl.mail.deliver import DeliveryError, SmtpSettings
from sdexl.mail.send import SendError, send
from sdexl.mail.templates import TemplateError, load_template
from sdexl.participants import add
from sdexl.reference import by_code
from sdexl.workspace import open_workspace
from tests import harvest_helpers as h
from tests import smtp_server
from tests.fill_helpers import cell_values, fill_cases, simple_valid_answers

T0 = 1_733_000_000
CODES = ("101", "147", "151", "153")
CONTACTS = (
    "kommunekode;navn;email;cc\n"
    "101;Anna Andersen;anna@kk.dk;\n"
    "147;Bo Berg;bo@frederiksberg.dk;sekretariat@frederiksberg.dk\n"
    "151;Carl Cold;carl@ballerup.dk;\n"
    "153;Dorte Dam;dorte@brondby.dk;\n"
)
CITIZEN = "Hans Hansen"
CPR = "010180-1234"


def parse(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # lines as a mail client shows them


def attachment(msg) -> tuple[str, bytes]:
    part = next(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def mail_rows(ws) -> list[sqlite3.Row]:
    conn = ledger.connect(ws.ledger_path)
    try:
        return conn.execute("SELECT * FROM mail ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.fixture
def round_ws(workspace, tmp_path):
    """Four participants of sde-2024 (and of sde-2022), with contacts, a re-send deadline and workbooks."""
    config = workspace.root / "sdexl.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("sde-2024: {deadline: 2024-12-09}", "sde-2024: {deadline: 2024-12-09, resend_deadline: 2024-12-16}")
    text = text.replace("sde-2022: {deadline: 2022-12-12}", "sde-2022: {deadline: 2022-12-12, resend_deadline: 2022-12-19}")
    config.write_text(text, encoding="utf-8")
    ws = open_workspace(workspace.root)
    (tmp_path / "k.csv").write_text(CONTACTS, encoding="utf-8")
    import_contacts(tmp_path / "k.csv", ws.reference)
    conn = ledger.connect(ws.ledger_path)
    try:
        add(conn, "sde-2024", list(CODES))
        add(conn, "sde-2022", list(CODES))
    finally:
        conn.close()
    generate_all(ws, "sde-2024", list(CODES))
    return ws


def harvested(ws, tmp_path):
    """101 accepted with a note, 147 needs correction, 151 encrypted, 153 silent."""
    inc = ws.incoming
    h.set_received(h.filled_form(ws, "101", inc / "101_København.xlsx", a01_botilbud_i_alt=" 20 "), T0)
    h.set_received(h.filled_form(ws, "147", inc / "147_Frederiksberg.xlsx", a01_botilbud_i_alt=2), T0 + 1)
    h.set_received(h.encrypted(h.filled_form(ws, "151", tmp_path / "151.xlsx"), inc / "151_Ballerup.xlsx"), T0 + 2)
    harvest(ws)
    return ws


# --- building the message -------------------------------------------------------------------------------


def test_an_invitation_draft_carries_the_issued_workbook_and_danish_text(round_ws):
    result = send(round_ws, "sde-2024", "invitations")
    assert [o.action for o in result.outcomes] == ["drafted"] * 4
    path = round_ws.outgoing_dir("sde-2024") / "mail" / "invitations" / "147_Frederiksberg.eml"
    msg = parse(path)
    assert msg["X-Unsent"] == "1"  # Outlook opens it as a draft
    assert msg["From"].addresses[0].addr_spec == round_ws.config.sender.email
    assert str(msg["To"]) == "Bo Berg <bo@frederiksberg.dk>" and str(msg["Cc"]) == "sekretariat@frederiksberg.dk"
    survey = round_ws.survey("sde-2024")
    assert msg["Subject"] == f"{survey.title} – skema til Frederiksberg"  # every space survives the encoding
    text = body(msg)
    assert text.startswith("Kære Bo Berg\n")
    assert "Svarfrist: 9. december 2024." in text and "Frederiksberg (kommunekode 147)" in text
    assert messages.ROUND_TEXTS["mail-data-protection-aggregate"] in text
    assert "maku@komponent.dk" in text and "{" not in text
    name, data = attachment(msg)
    workbook = round_ws.outgoing_dir("sde-2024") / "147_Frederiksberg.xlsx"
    assert name == "147_Frederiksberg.xlsx" and data == workbook.read_bytes()
    part = next(msg.iter_attachments())
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    raw = path.read_bytes()
    assert msg.get_body(("plain",)).get_content_charset() == "utf-8"
    header, _, parts = raw.partition(b"\r\n\r\n")
    encoded = [line for line in parts.split(b"\r\n") if b": " not in line]  # base64 and quoted-printable
    assert encoded and max(len(line) for line in encoded) <= 78
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_every_message_is_recorded_in_the_ledger(round_ws):
    send(round_ws, "sde-2024", "invitations", ["101"])
    [row] = mail_rows(round_ws)
    eml = round_ws.root / row["eml"]
    msg = parse(eml)
    workbook = round_ws.outgoing_dir("sde-2024") / "101_København.xlsx"
    sha = hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert (row["kind"], row["kommunekode"], row["mode"], row["key"]) == ("invitation", "101", "draft", sha)
    assert row["attachment"] == "outgoing/sde-2024/101_København.xlsx" and row["attachment_sha256"] == sha
    assert row["message_id"] == msg["Message-ID"] and row["recipients"] == "anna@kk.dk"
    assert row["subject"] == msg["Subject"]


def test_nothing_is_drafted_twice_unless_again(round_ws):
    send(round_ws, "sde-2024", "invitations")
    second = send(round_ws, "sde-2024", "invitations")
    assert {o.action for o in second.outcomes} == {"skipped"}
    assert all("already drafted" in o.detail for o in second.outcomes)
    assert len(mail_rows(round_ws)) == 4
    third = send(round_ws, "sde-2024", "invitations", ["153"], again=True)
    assert [o.action for o in third.outcomes] == ["drafted"] and len(mail_rows(round_ws)) == 5


def test_a_regenerated_workbook_is_a_new_invitation(round_ws):
    send(round_ws, "sde-2024", "invitations", ["101"])
    generate_all(round_ws, "sde-2024", ["101"])
    again = send(round_ws, "sde-2024", "invitations", ["101"])
    assert [o.action for o in again.outcomes] == ["drafted"]


def test_a_dry_run_writes_and_records_nothing(round_ws):
    before = h.tree_hashes(round_ws.root / "outgoing")
    result = send(round_ws, "sde-2024", "invitations", dry_run=True)
    assert [o.action for o in result.outcomes] == ["would draft"] * 4
    assert "Kære Anna Andersen" in result.sample and "[attachment: 101_København.xlsx" in result.sample
    assert h.tree_hashes(round_ws.root / "outgoing") == before
    assert mail_rows(round_ws) == [] and not (round_ws.templates / "mail").exists()
    done = CliRunner().invoke(main, ["-w", str(round_ws.root), "send", "sde-2024", "invitations", "--dry-run"])
    assert done.exit_code == 0 and "Dry run: 4 invitations would be drafted" in done.stdout


def test_the_templates_are_copied_to_the_workspace_and_their_edits_used(round_ws):
    send(round_ws, "sde-2024", "invitations", ["101"])
    own = round_ws.templates / "mail" / "invitation.txt"
    assert own.exists()
    own.write_text(own.read_text(encoding="utf-8").replace("Kære {modtager}", "Hej {modtager} i {kommune}"),
                   encoding="utf-8")
    send(round_ws, "sde-2024", "invitations", ["101"], again=True)
    assert body(parse(round_ws.outgoing_dir("sde-2024") / "mail" / "invitations" / "101_København.eml")).startswith(
        "Hej Anna Andersen i København")


def test_a_template_with_an_unknown_field_names_its_line(round_ws):
    own = round_ws.templates / "mail" / "reminder.txt"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text("# kommentar\nEmne: Påmindelse\n\nKære {modtager}\nFristen er {svarfrist}.\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"reminder.txt, line 5: unknown field \{svarfrist\}"):
        load_template(round_ws, "reminder")
    own.write_text("Kære {modtager}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="must be the subject"):
        load_template(round_ws, "reminder")


# --- everything checked before the first message ------------------------------------------------------


def test_a_recipient_without_an_address_stops_everything_before_anything_is_written(round_ws, tmp_path):
    (tmp_path / "k.csv").write_text("\n".join(CONTACTS.splitlines()[:3]) + "\n", encoding="utf-8")  # 151, 153 gone
    import_contacts(tmp_path / "k.csv", round_ws.reference)
    with pytest.raises(SendError) as caught:
        send(round_ws, "sde-2024", "invitations")
    assert "2 recipient(s) have no address in reference/kontakter.csv: 151 Ballerup, 153 Brøndby" in str(caught.value)
    assert not (round_ws.outgoing_dir("sde-2024") / "mail").exists() and mail_rows(round_ws) == []
    done = CliRunner().invoke(main, ["-w", str(round_ws.root), "send", "sde-2024", "invitations"])
    assert done.exit_code == 1 and "151 Ballerup" in done.output and "--debug" not in done.output


def test_all_blocking_problems_are_listed_at_once(round_ws):
    config = round_ws.root / "sdexl.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(", resend_deadline: 2024-12-16", ""), encoding="utf-8")
    ws = open_workspace(round_ws.root)
    (ws.outgoing_dir("sde-2024") / "153_Brøndby.xlsx").write_bytes(b"changed")
    with pytest.raises(SendError) as caught:
        send(ws, "sde-2024", "reminders")
    problems = caught.value.problems
    assert any(p.startswith("no re-send deadline for sde-2024") for p in problems)
    assert any("153_Brøndby.xlsx is not the workbook issued to Brøndby" in p for p in problems)
    with pytest.raises(SendError, match="860 Hjørring do\\(es\\) not take part"):
        send(ws, "sde-2024", "invitations", ["860"])


# --- who gets what ------------------------------------------------------------------------------------


def test_reminders_go_only_to_participants_without_usable_answers(round_ws, tmp_path):
    harvested(round_ws, tmp_path)
    result = send(round_ws, "sde-2024", "reminders")
    actions = {o.kommunekode: o.action for o in result.outcomes}
    assert actions == {"101": "skipped", "147": "skipped", "151": "drafted", "153": "drafted"}
    text = body(parse(round_ws.outgoing_dir("sde-2024") / "mail" / "reminders" / "151_Ballerup.eml"))
    assert "senest 16. december 2024" in text and messages.title("encrypted") in text
    assert "Svarfristen var 9. december 2024" in text
    assert {r["key"] for r in mail_rows(round_ws)} == {"resend:2024-12-16"}
    assert {o.action for o in send(round_ws, "sde-2024", "reminders").outcomes} == {"skipped"}
    rows = {r.kommunekode: r for r in survey_status(round_ws, "sde-2024")}
    assert rows["151"].reminded_at and rows["151"].reminders == 1 and rows["101"].reminded_at is None


def test_feedback_goes_to_files_with_problems_and_receipts_to_accepted_ones(round_ws, tmp_path):
    harvested(round_ws, tmp_path)
    feedback = send(round_ws, "sde-2024", "feedback")
    assert {o.kommunekode: o.action for o in feedback.outcomes if o.action != "skipped"} == {
        "147": "drafted", "151": "drafted"}
    msg = parse(round_ws.outgoing_dir("sde-2024") / "mail" / "feedback" / "147_Frederiksberg.eml")
    survey = round_ws.survey("sde-2024")
    assert attachment(msg)[1] == feedback_path(round_ws, survey, by_code()["147"]).read_bytes()
    assert "der er ét punkt, der skal rettes" in body(msg)
    receipts = send(round_ws, "sde-2024", "receipts")
    assert [o.kommunekode for o in receipts.outcomes if o.action == "drafted"] == ["101"]
    msg = parse(round_ws.outgoing_dir("sde-2024") / "mail" / "receipts" / "101_København.eml")
    assert attachment(msg)[1] == receipt_path(round_ws, "sde-2024", by_code()["101"]).read_bytes()
    text = body(msg)
    assert "Status: Godkendt med bemærkninger" in text and "Modtaget: " in text
    assert "101_København.xlsx" not in text  # no file name in a mail text: it can carry a citizen's name
    assert f"- {messages.title('number-as-text')}" in text
    rows = {r.kommunekode: r for r in survey_status(round_ws, "sde-2024")}
    assert rows["101"].receipt_sent_at and rows["147"].feedback_sent_at and rows["101"].feedback_sent_at is None
    assert rows["101"].invited_at is None


def test_a_receipt_missing_on_disk_is_made_from_the_ledger(round_ws, tmp_path):
    harvested(round_ws, tmp_path)
    path = receipt_path(round_ws, "sde-2024", by_code()["101"])
    path.unlink()
    send(round_ws, "sde-2024", "receipts")
    assert path.exists()


def test_no_personal_data_in_any_body(round_ws, tmp_path):
    """A case return with a citizen's name, birth date and a CPR number in a comment: the feedback
    workbook (theirs) keeps their own fields, but no mail text carries any of it."""
    ws = round_ws
    generate_all(ws, "sde-2022", list(CODES))
    survey = ws.survey("sde-2022")
    a, b = simple_valid_answers(survey, "S1"), simple_valid_answers(survey, "S2")
    personal = {"navn": CITIZEN, "foedselsdato": dt.date(1980, 1, 1), "bemaerkninger": f"cpr {CPR} {CITIZEN}"}
    rows = [cell_values(a, survey) | personal | {"q11_forhandling": "Måske"}, cell_values(b, survey) | personal]
    inc = ws.incoming / "sde-2022"
    inc.mkdir(parents=True)
    h.set_received(fill_cases(h.generated(ws, "sde-2022", "147"), inc / f"147 {CITIZEN}.xlsx", survey, rows), T0)
    clean = [cell_values(a, survey) | personal]
    h.set_received(fill_cases(h.generated(ws, "sde-2022", "101"), inc / "101.xlsx", survey, clean), T0 + 1)
    harvest(ws)
    for what in ("invitations", "reminders", "feedback", "receipts"):
        send(ws, "sde-2022", what)
    bodies = [(p, body(parse(p))) for p in (ws.outgoing_dir("sde-2022") / "mail").rglob("*.eml")]
    assert {p.parent.name for p, _ in bodies} == {"invitations", "reminders", "feedback", "receipts"}
    for path, text in bodies:
        for secret in (CITIZEN, "Hans", CPR, "010180", "1980", "01-01-1980"):
            assert secret not in text, f"{secret} in {path.name}"
        assert not re.search(r"\d{6}-?\d{4}", text)
    feedback = parse(ws.outgoing_dir("sde-2022") / "mail" / "feedback" / "147_Frederiksberg.eml")
    assert messages.ROUND_TEXTS["mail-data-protection-feedback-cases"] in body(feedback)
    with pytest.raises(SendError, match="secure mail"):
        send(ws, "sde-2022", "feedback", again=True, smtp=SmtpSettings("127.0.0.1", 1))


# --- SMTP ---------------------------------------------------------------------------------------------


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    controller, handler, cert = smtp_server.start(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test server's certificate
    yield controller, handler
    controller.stop()


def test_sending_through_smtp_with_starttls(round_ws, tmp_path, smtp):
    controller, handler = smtp
    harvested(round_ws, tmp_path)
    waits: list[float] = []
    settings = SmtpSettings(controller.hostname, controller.port, user=smtp_server.USER,
                            password=smtp_server.PASSWORD, per_minute=30)
    result = send(round_ws, "sde-2024", "reminders", smtp=settings, sleep=waits.append)
    assert [o.action for o in result.outcomes if o.action != "skipped"] == ["sent", "sent"]
    assert len(handler.received) == 2 and len(waits) == 1 and 1.9 < waits[0] <= 2.0  # 30 a minute
    first = handler.received[0]
    msg = BytesParser(policy=policy.default).parsebytes(first.data)
    assert first.rcpt_tos == ["carl@ballerup.dk"] and msg["X-Unsent"] is None
    assert msg["Subject"].startswith("Påmindelse: ") and "Kære Carl Cold" in body(msg)
    assert attachment(msg)[1] == (round_ws.outgoing_dir("sde-2024") / "151_Ballerup.xlsx").read_bytes()
    rows = [r for r in mail_rows(round_ws) if r["mode"] == "smtp"]
    assert [r["message_id"] for r in rows] == [BytesParser(policy=policy.default).parsebytes(r.data)["Message-ID"]
                                               for r in handler.received]
    copy = round_ws.root / rows[0]["eml"]
    assert copy.parent == round_ws.outgoing_dir("sde-2024") / "mail" / "sent" / "reminders"
    # idempotent through SMTP too, and the password is written nowhere
    again = send(round_ws, "sde-2024", "reminders", smtp=settings, sleep=waits.append)
    assert {o.action for o in again.outcomes} == {"skipped"} and len(handler.received) == 2
    for path in round_ws.root.rglob("*"):
        if path.is_file():
            assert smtp_server.PASSWORD.encode() not in path.read_bytes(), path


def test_cc_addresses_receive_the_message(round_ws, smtp):
    controller, handler = smtp
    settings = SmtpSettings(controller.hostname, controller.port, user=smtp_server.USER, password=smtp_server.PASSWORD)
    send(round_ws, "sde-2024", "invitations", ["147"], smtp=settings)
    assert handler.received[0].rcpt_tos == ["bo@frederiksberg.dk", "sekretariat@frederiksberg.dk"]


def test_a_wrong_password_is_one_clear_sentence_and_nothing_is_recorded(round_ws, smtp):
    controller, handler = smtp
    settings = SmtpSettings(controller.hostname, controller.port, user=smtp_server.USER, password="forkert")
    with pytest.raises(DeliveryError, match="refused the login of kl-sde"):
        send(round_ws, "sde-2024", "invitations", smtp=settings)
    assert handler.received == [] and mail_rows(round_ws) == []


def test_a_server_without_starttls_is_refused(round_ws, tmp_path, monkeypatch):
    controller, handler, _ = smtp_server.start(tmp_path, tls=False)
    try:
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            send(round_ws, "sde-2024", "invitations", smtp=SmtpSettings(controller.hostname, controller.port))
    finally:
        controller.stop()
    assert handler.received == []


def test_the_cli_reads_the_password_from_the_environment(round_ws, smtp, monkeypatch):
    controller, handler = smtp
    target = f"{controller.hostname}:{controller.port}"
    args = ["-w", str(round_ws.root), "send", "sde-2024", "invitations", "-k", "101", "--smtp", target,
            "--smtp-user", smtp_server.USER]
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 1 and "SDEXL_SMTP_PASSWORD" in missing.output
    monkeypatch.setenv("SDEXL_SMTP_PASSWORD", smtp_server.PASSWORD)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "Sent 1 invitation" in done.stdout and len(handler.received) == 1


def test_a_receipt_checksum_never_looks_like_a_cpr_number():
    from sdexl.harvest.receipt import checksum_text

    digits_only = "4579011215" + "3" * 54  # the unlucky hash that once made a receipt mail look like CPR
    shown = checksum_text(digits_only)
    assert shown == "4579 0112 1533 3333"
    assert not re.search(r"\d{6}-?\d{4}", shown)
