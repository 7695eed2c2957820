"""Harvest end to end: every kind of return gets the right verdict and message, and nothing is lost.

Workbooks come from the real generator and are filled like a municipality
would; the bad ones are built from them (tests/harvest_helpers.py).
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from click.testing import CliRunner

from sdexl import messages
from sdexl.cli import main
from sdexl.harvest import examine as examine_module
from sdexl.harvest.run import FileResult, Options, harvest
from sdexl.harvest.store import load_snapshot
from tests import harvest_helpers as h

T0 = 1_700_000_000  # received times, as file modification times


def by_name(result) -> dict[str, FileResult]:
    return {f.file.rsplit("/", 1)[-1]: f for f in result.files}


def issue(entry: FileResult, code: str):
    found = [i for i in entry.issues if i.code == code]
    assert found, f"{entry.file}: no {code} among {[i.code for i in entry.issues]}"
    return found[0]


def rendered(code: str, file: str, **fields) -> str:
    return messages.render(code, file=file, **fields)


# --- the family of bad returns, in one harvest -----------------------------------------------------


@pytest.fixture
def family(workspace, tmp_path):
    """One incoming/ folder holding every kind of return, each received a second apart."""
    ws, inc, src = workspace, workspace.incoming, tmp_path / "src"
    clean = h.filled_form(ws, "101", inc / "runde 2024" / "101_København.xlsx")
    blank = h.generated(ws, "sde-2024", "147")
    h.text_as_xlsx(inc / "svar.xlsx")
    h.pdf_file(inc / "bilag.pdf")
    h.truncated(clean, inc / "halv.xlsx")
    h.encrypted(clean, inc / "kode.xlsx")
    shutil.copyfile(clean, inc / "~$101_København.xlsx")
    h.zip_bomb(blank, inc / "bombe.xlsx")
    h.with_xxe(blank, inc / "xxe.xlsx")
    h.as_xlsm(h.filled_form(ws, "153", src / "153.xlsx"), inc / "Brøndby med makro.xlsm")
    gentofte = h.filled_form(ws, "157", src / "157.xlsx")
    h.copied_without_metadata(gentofte, inc / "ny projektmappe.xlsx", ["Vejledning", "Skema"])
    gladsaxe = h.filled_form(ws, "159", src / "159.xlsx")
    h.copied_without_metadata(gladsaxe, inc / "159_Gladsaxe.xlsx", ["Skema"])
    glostrup = h.filled_form(ws, "161", src / "161.xlsx", over=4)
    h.copied_without_metadata(glostrup, inc / "kopi.xlsx", ["Skema"])
    for n, path in enumerate(sorted(p for p in inc.rglob("*") if p.is_file())):
        h.set_received(path, T0 + n)
    return ws


def test_each_return_gets_its_verdict_and_message(family):
    files = by_name(harvest(family))
    verdicts = {name: f.verdict for name, f in files.items()}
    assert verdicts == {
        "101_København.xlsx": "accepted",
        "svar.xlsx": "rejected",
        "bilag.pdf": "rejected",
        "halv.xlsx": "rejected",
        "kode.xlsx": "rejected",
        "~$101_København.xlsx": "ignored",
        "bombe.xlsx": "rejected",
        "xxe.xlsx": "rejected",
        "Brøndby med makro.xlsm": "accepted_with_warnings",
        "ny projektmappe.xlsx": "accepted_with_warnings",
        "159_Gladsaxe.xlsx": "accepted_with_warnings",
        "kopi.xlsx": "rejected",
    }
    assert files["101_København.xlsx"].issues == [] and files["101_København.xlsx"].cases == 6
    assert issue(files["svar.xlsx"], "not-a-workbook").message == rendered(
        "not-a-workbook", "svar.xlsx", looks_like="en tekstfil"
    )
    assert issue(files["bilag.pdf"], "not-a-workbook").message == rendered(
        "not-a-workbook", "bilag.pdf", looks_like="en PDF-fil"
    )
    assert issue(files["halv.xlsx"], "corrupt-file").message == rendered("corrupt-file", "halv.xlsx")
    assert issue(files["kode.xlsx"], "encrypted").message == rendered("encrypted", "kode.xlsx")
    assert issue(files["bombe.xlsx"], "zip-bomb").severity == "error"
    assert issue(files["xxe.xlsx"], "xml-entities").message == rendered(
        "xml-entities", "xxe.xlsx", part="docProps/custom.xml"
    )
    assert issue(files["~$101_København.xlsx"], "ignored-file").severity == "info"
    macro = files["Brøndby med makro.xlsm"]
    assert (macro.kommunekode, macro.cases) == ("153", 6)
    assert issue(macro, "macro-file").message == rendered("macro-file", "Brøndby med makro.xlsm")
    guide = files["ny projektmappe.xlsx"]
    assert (guide.kommunekode, guide.survey) == ("157", "sde-2024")
    assert issue(guide, "identified-by-guide").message == rendered(
        "identified-by-guide", "ny projektmappe.xlsx", kommune="Gentofte", kommunekode="157"
    )
    by_file = files["159_Gladsaxe.xlsx"]
    assert (by_file.kommunekode, by_file.survey, by_file.cases) == ("159", "sde-2024", 6)
    assert issue(by_file, "identified-by-filename").message == rendered(
        "identified-by-filename", "159_Gladsaxe.xlsx", kommune="Gladsaxe", kommunekode="159"
    )
    assert issue(files["kopi.xlsx"], "unidentified").message == rendered("unidentified", "kopi.xlsx")


def test_incoming_is_never_modified_and_originals_are_archived_byte_for_byte(family):
    before = h.tree_hashes(family.incoming)
    result = harvest(family)
    assert h.tree_hashes(family.incoming) == before
    for entry in result.files:
        if entry.verdict == "ignored":
            continue
        original = (family.root / entry.file).read_bytes()
        archived = list((family.archive / entry.sha256[:2]).glob(f"{entry.sha256}.*"))
        assert len(archived) == 1 and archived[0].read_bytes() == original


def test_a_second_run_changes_nothing(family):
    first = harvest(family)
    ledger, archive, output = h.ledger_dump(family), h.tree_hashes(family.archive), h.tree_hashes(family.output)
    second = harvest(family)
    assert h.ledger_dump(family) == ledger
    assert h.tree_hashes(family.archive) == archive and h.tree_hashes(family.output) == output
    assert [(f.file, f.verdict, f.cases) for f in second.files] == [(f.file, f.verdict, f.cases) for f in first.files]
    assert not any(f.new for f in second.files) and second.touched == set()


def test_accepted_files_get_a_receipt_and_no_feedback(family):
    from sdexl.harvest.receipt import receipt_path
    from sdexl.reference import by_code

    files = by_name(harvest(family))
    assert files["Brøndby med makro.xlsm"].feedback is None  # accepted with a note: nothing to correct
    assert files["101_København.xlsx"].feedback is None  # nothing to fix
    assert files["kopi.xlsx"].feedback is None  # whose would it be?
    for code in ("101", "153", "157", "159"):
        assert receipt_path(family, "sde-2024", by_code()[code]).exists()
    assert not receipt_path(family, "sde-2024", by_code()["161"]).exists()  # rejected: no receipt


# --- duplicates and resubmissions ------------------------------------------------------------------


def test_the_same_bytes_under_another_name_are_a_duplicate(workspace):
    first = h.set_received(h.filled_form(workspace, "101", workspace.incoming / "101_København.xlsx"), T0)
    h.set_received(shutil.copyfile(first, workspace.incoming / "101_København (2).xlsx"), T0 + 60)
    files = by_name(harvest(workspace))
    dup = files["101_København (2).xlsx"]
    assert (files["101_København.xlsx"].verdict, dup.verdict) == ("accepted", "duplicate")
    assert dup.sha256 == files["101_København.xlsx"].sha256
    assert issue(dup, "duplicate").message == rendered(
        "duplicate", "101_København (2).xlsx", original="101_København.xlsx"
    )
    again = by_name(harvest(workspace))
    assert again["101_København (2).xlsx"].verdict == "duplicate" and not again["101_København (2).xlsx"].new


def test_a_later_return_supersedes_the_earlier_which_is_kept(workspace):
    inc = workspace.incoming
    h.set_received(h.filled_form(workspace, "101", inc / "101_København.xlsx", over=6), T0)
    first = by_name(harvest(workspace))["101_København.xlsx"]
    h.set_received(h.filled_form(workspace, "101", inc / "rettet" / "101_København.xlsx", over=8), T0 + 3600)
    result = harvest(workspace)
    files = {f.file: f for f in result.files}
    old, new = files["incoming/101_København.xlsx"], files["incoming/rettet/101_København.xlsx"]
    assert (old.verdict, new.verdict) == ("superseded", "accepted")
    assert result.touched == {"sde-2024"}
    snapshot = load_snapshot(workspace, "sde-2024")
    assert snapshot.records["a02_over_2mio"].tolist() == [8]
    assert snapshot.submissions.set_index("sha256")["superseded"].to_dict() == {first.sha256: True, new.sha256: False}
    assert list(workspace.archive.rglob(f"{first.sha256}.xlsx"))  # the earlier file stays archived


def test_an_old_file_arriving_late_does_not_replace_a_newer_one(workspace):
    inc = workspace.incoming
    h.set_received(h.filled_form(workspace, "101", inc / "ny.xlsx", over=8), T0 + 3600)
    harvest(workspace)
    h.set_received(h.filled_form(workspace, "101", inc / "gammel.xlsx", over=6), T0)
    files = by_name(harvest(workspace))
    assert (files["gammel.xlsx"].verdict, files["ny.xlsx"].verdict) == ("superseded", "accepted")
    assert load_snapshot(workspace, "sde-2024").records["a02_over_2mio"].tolist() == [8]


def test_a_rejected_resubmission_does_not_hide_the_accepted_one(workspace):
    inc = workspace.incoming
    good = h.set_received(h.filled_form(workspace, "101", inc / "101_København.xlsx"), T0)
    h.set_received(h.encrypted(good, inc / "101_København_v2.xlsx"), T0 + 60)
    files = by_name(harvest(workspace))
    assert (files["101_København.xlsx"].verdict, files["101_København_v2.xlsx"].verdict) == ("accepted", "rejected")
    assert files["101_København_v2.xlsx"].kommunekode == "101"  # named after its municipality, for status
    assert load_snapshot(workspace, "sde-2024").participants == ["101"]


def test_a_good_return_supersedes_an_earlier_rejected_one(workspace):
    inc = workspace.incoming
    good = h.filled_form(workspace, "101", inc / "101_København_v2.xlsx")
    h.set_received(h.encrypted(good, inc / "101_København.xlsx"), T0)
    h.set_received(good, T0 + 60)
    files = by_name(harvest(workspace))
    assert (files["101_København.xlsx"].verdict, files["101_København_v2.xlsx"].verdict) == ("superseded", "accepted")
    assert issue(files["101_København.xlsx"], "superseded").message == rendered(
        "superseded", "101_København.xlsx", newer="101_København_v2.xlsx"
    )
    assert [f.verdict for f in harvest(workspace).files] == ["superseded", "accepted"]


# --- identification against the ledger -------------------------------------------------------------


def test_a_workbook_claiming_another_municipality_than_its_token_is_rejected(workspace, tmp_path):
    filled = h.filled_form(workspace, "101", tmp_path / "101.xlsx")
    h.with_meta_value(filled, workspace.incoming / "svar.xlsx", "kommunekode", "147")
    entry = harvest(workspace).files[-1]
    assert entry.verdict == "rejected"
    assert issue(entry, "token-mismatch").message == rendered(
        "token-mismatch",
        "svar.xlsx",
        issued_kommune="København",
        issued_kode="101",
        kommune="Frederiksberg",
        kommunekode="147",
    )


def test_an_unknown_token_is_accepted_with_a_warning(workspace, tmp_path):
    filled = h.filled_form(workspace, "101", tmp_path / "101.xlsx")
    h.with_meta_value(filled, workspace.incoming / "101_København.xlsx", "token", "0000000000000000")
    entry = harvest(workspace).files[-1]
    assert entry.verdict == "accepted_with_warnings" and entry.kommunekode == "101"
    assert issue(entry, "unknown-token").severity == "warning"


def test_a_file_for_another_survey_is_routed_to_it(workspace):
    h.filled_form(workspace, "101", workspace.incoming / "sde-2022" / "101_København.xlsx")
    entry = harvest(workspace).files[-1]
    assert (entry.survey, entry.verdict) == ("sde-2024", "accepted")
    assert issue(entry, "other-survey").message == rendered(
        "other-survey", "101_København.xlsx", folder="sde-2022", survey="sde-2024"
    )


# --- a file never stops the run ---------------------------------------------------------------------


@pytest.mark.parametrize("isolated", [True, False])
def test_a_failing_reader_rejects_that_file_and_the_run_goes_on(workspace, monkeypatch, isolated):
    inc = workspace.incoming
    h.set_received(h.filled_form(workspace, "101", inc / "101_København.xlsx"), T0)
    h.set_received(h.filled_form(workspace, "147", inc / "147_Frederiksberg.xlsx"), T0 + 1)
    real = examine_module.read_answers

    def flaky(path, survey, ident):
        if ident.kommunekode == "101":
            raise RuntimeError("cell A1 held 010180-1234")  # the message must not travel
        return real(path, survey, ident)

    monkeypatch.setattr(examine_module, "read_answers", flaky)
    files = by_name(harvest(workspace, options=Options(isolate=isolated)))
    failed = files["101_København.xlsx"]
    assert (failed.verdict, files["147_Frederiksberg.xlsx"].verdict) == ("rejected", "accepted")
    assert issue(failed, "unreadable-file").message == rendered(
        "unreadable-file",
        "101_København.xlsx",
        reason="uventet fejl af typen RuntimeError; fejlen er noteret hos os",
    )
    assert b"010180" not in workspace.ledger_path.read_bytes()


def test_a_file_that_takes_too_long_is_stopped_and_rejected(workspace, monkeypatch):
    inc = workspace.incoming
    h.set_received(h.filled_form(workspace, "101", inc / "101_København.xlsx"), T0)
    h.set_received(h.filled_form(workspace, "147", inc / "147_Frederiksberg.xlsx"), T0 + 1)
    real = examine_module.read_answers

    def stuck(path, survey, ident):
        if ident.kommunekode == "101":
            time.sleep(120)
        return real(path, survey, ident)

    monkeypatch.setattr(examine_module, "read_answers", stuck)
    files = by_name(harvest(workspace, options=Options(timeout=2)))
    slow = files["101_København.xlsx"]
    assert (slow.verdict, files["147_Frederiksberg.xlsx"].verdict) == ("rejected", "accepted")
    assert issue(slow, "too-slow").message == rendered("too-slow", "101_København.xlsx", seconds="2")


def test_a_file_that_needs_too_much_memory_is_stopped_and_rejected(workspace, monkeypatch):
    inc = workspace.incoming
    h.set_received(h.filled_form(workspace, "101", inc / "101_København.xlsx"), T0)
    h.set_received(h.filled_form(workspace, "147", inc / "147_Frederiksberg.xlsx"), T0 + 1)
    real = examine_module.read_answers

    def greedy(path, survey, ident):
        if ident.kommunekode == "101":
            return bytearray(8 * 1024**3)  # what a zip bomb would do to a reader
        return real(path, survey, ident)

    monkeypatch.setattr(examine_module, "read_answers", greedy)
    files = by_name(harvest(workspace, options=Options(memory_mb=256)))
    assert (files["101_København.xlsx"].verdict, files["147_Frederiksberg.xlsx"].verdict) == ("rejected", "accepted")
    assert issue(files["101_København.xlsx"], "too-slow").severity == "error"


# --- personal data ----------------------------------------------------------------------------------


def test_personal_fields_and_cpr_numbers_never_reach_the_ledger(workspace):
    survey = workspace.survey("sde-2022")
    case = h.valid_case(survey, "SAG-17") | {
        "navn": "Jens Hansen",
        "foedselsdato": "1980-01-01",
        "bemaerkninger": "Se 010180-1234",
    }
    entry = harvest_one(workspace, h.filled_cases(workspace, "101", workspace.incoming / "101.xlsx", [case]))
    assert entry.verdict in ("accepted", "accepted_with_warnings") and entry.cases == 1
    stored = workspace.ledger_path.read_bytes()
    assert b"SAG-17" in stored
    for secret in ("Jens Hansen", "010180-1234", "0101801234", "1980-01-01"):
        assert secret.encode() not in stored, secret
    records = load_snapshot(workspace, "sde-2022").records
    assert "navn" not in records.columns and "foedselsdato" not in records.columns
    assert records["sagsnr"].tolist() == ["SAG-17"]


def harvest_one(ws, path) -> FileResult:
    return {f.file: f for f in harvest(ws).files}[path.relative_to(ws.root).as_posix()]


# --- the snapshot analysis reads ---------------------------------------------------------------------


def test_snapshot_holds_current_answers_participants_and_zero_cases(workspace):
    inc = workspace.incoming
    h.filled_form(workspace, "101", inc / "101.xlsx", over=6)
    h.filled_form(workspace, "147", inc / "147.xlsx", over=3)
    h.filled_cases(workspace, "151", inc / "151.xlsx")  # zero cases
    harvest(workspace)
    form = load_snapshot(workspace, "sde-2024")
    assert form.participants == ["101", "147"]
    assert list(form.records.columns[:2]) == ["kommunekode", "a01_botilbud_i_alt"]
    assert form.records.set_index("kommunekode")["a02_over_2mio"].to_dict() == {"101": 6, "147": 3}
    assert set(form.submissions.columns) >= {"file", "sha256", "verdict", "superseded"}
    cases = load_snapshot(workspace, "sde-2022")
    assert (cases.participants, cases.zero_cases, len(cases.records)) == (["151"], ["151"], 0)
    assert list(cases.records.columns[:2]) == ["kommunekode", "sagsnr"]


def test_an_empty_ledger_gives_an_empty_snapshot(workspace):
    snapshot = load_snapshot(workspace, "sde-2024")
    assert snapshot.participants == [] and snapshot.records.empty and "kommunekode" in snapshot.records.columns


# --- the command line -------------------------------------------------------------------------------


def run_cli(ws, *args):
    return CliRunner().invoke(main, ["-w", str(ws.root), *args], catch_exceptions=False)


def test_harvest_json_lists_every_file_and_strict_sets_the_exit_status(workspace):
    h.filled_form(workspace, "101", workspace.incoming / "101_København.xlsx")
    h.pdf_file(workspace.incoming / "bilag.pdf")
    done = run_cli(workspace, "harvest", "--json")
    assert done.exit_code == 0
    rows = {r["file"]: r for r in json.loads(done.stdout)}
    assert set(rows) == {"incoming/101_København.xlsx", "incoming/bilag.pdf"}
    good = rows["incoming/101_København.xlsx"]
    assert set(good) == {"file", "sha256", "verdict", "survey", "kommunekode", "cases", "issues"}
    assert (good["verdict"], good["survey"], good["kommunekode"], good["cases"]) == ("accepted", "sde-2024", "101", 6)
    bad = rows["incoming/bilag.pdf"]
    assert bad["verdict"] == "rejected"
    assert set(bad["issues"][0]) == {"code", "severity", "sheet", "cell", "message"}
    assert run_cli(workspace, "harvest", "--strict").exit_code == 2


def test_harvest_prints_a_line_per_file(workspace):
    h.filled_form(workspace, "101", workspace.incoming / "101_København.xlsx")
    done = run_cli(workspace, "harvest")
    assert done.exit_code == 0
    line = next(line for line in done.stdout.splitlines() if line.endswith("incoming/101_København.xlsx"))
    assert line.split()[:2] == ["accepted", "sde-2024/101"]


def test_harvest_help_has_examples():
    done = CliRunner().invoke(main, ["harvest", "--help"])
    assert done.exit_code == 0 and "sdexl harvest --json" in done.stdout


# --- LibreOffice: the real client ------------------------------------------------------------------


@pytest.mark.libreoffice
def test_returns_resaved_by_libreoffice_read_back_identically(workspace, lo_convert, tmp_path):
    sources = {"xlsx": "147", "xls": "151", "ods": "153"}
    for fmt, code in sources.items():
        filled = h.filled_form(workspace, code, tmp_path / "src" / f"{code}_svar.xlsx", over=5)
        converted = lo_convert(filled, fmt, tmp_path / fmt)
        shutil.copyfile(converted, workspace.incoming / f"{code}_svar.{fmt}")
    h.filled_form(workspace, "101", workspace.incoming / "101_svar.xlsx", over=5)
    files = by_name(harvest(workspace))
    for fmt, code in sources.items():
        entry = files[f"{code}_svar.{fmt}"]
        assert entry.kommunekode == code and entry.verdict in ("accepted", "accepted_with_warnings"), entry.issues
        assert [i.code for i in entry.issues if i.severity != "info"] == []
    records = load_snapshot(workspace, "sde-2024").records.set_index("kommunekode")
    reference = records.loc["101"].to_dict()
    for code in sources.values():
        assert records.loc[code].to_dict() == reference


@pytest.mark.libreoffice
def test_an_xls_renamed_to_xlsx_is_read_as_what_it_is(workspace, lo_convert, tmp_path):
    filled = h.filled_form(workspace, "147", tmp_path / "147.xlsx")
    converted = lo_convert(filled, "xls", tmp_path / "xls")
    shutil.copyfile(converted, workspace.incoming / "147_Frederiksberg.xlsx")
    entry = harvest(workspace).files[-1]
    assert (entry.verdict, entry.kommunekode, entry.cases) == ("accepted", "147", 6)
    assert [i.severity for i in entry.issues] in ([], ["info"])  # the reader notes the .xls format


# --- untouched templates, old feedback, workers ------------------------------------------------------


def test_an_untouched_template_needs_correction_but_makes_no_participant(workspace):
    from sdexl.harvest.status import status_from
    from sdexl.ledger import connect

    inc = workspace.incoming
    blank = h.generated(workspace, "sde-2022", "101")
    (inc / "sde-2022").mkdir(parents=True, exist_ok=True)
    h.set_received(shutil.copyfile(blank, inc / "sde-2022" / "101_København.xlsx"), T0)
    entry = by_name(harvest(workspace))["101_København.xlsx"]
    assert entry.verdict == "needs_correction" and entry.cases == 0
    issue(entry, "empty-file")
    assert load_snapshot(workspace, "sde-2022").participants == []
    conn = connect(workspace.ledger_path)
    try:
        rows = {r.kommunekode: r for r in status_from(conn, "sde-2022")}
    finally:
        conn.close()
    assert rows["101"].status == "needs_correction"


def test_old_feedback_is_moved_aside_when_a_clean_return_follows(workspace, tmp_path):
    inc = workspace.incoming
    wrong = h.filled_form(workspace, "153", inc / "153_Brøndby.xlsm", a01_botilbud_i_alt=2)
    h.set_received(wrong, T0)  # bands that do not add up: feedback
    first = by_name(harvest(workspace))["153_Brøndby.xlsm"]
    assert first.feedback is not None and first.feedback.exists()
    h.set_received(h.filled_form(workspace, "153", inc / "153_Brøndby_v2.xlsx"), T0 + 10)
    second = by_name(harvest(workspace))["153_Brøndby_v2.xlsx"]
    assert second.verdict == "accepted" and second.feedback is None
    assert not first.feedback.exists()
    retired = list((first.feedback.parent / "forældet").glob("*.xlsx"))
    assert len(retired) == 1 and retired[0].name.startswith(first.feedback.stem)


def test_files_are_examined_in_parallel_and_reported_in_order(workspace):
    inc = workspace.incoming
    for n, code in enumerate(["101", "147", "151", "153"]):
        h.set_received(h.filled_form(workspace, code, inc / f"{code}.xlsx"), T0 + n)
    shutil.copyfile(inc / "101.xlsx", inc / "101 kopi.xlsx")  # same bytes in one run: a duplicate
    h.set_received(inc / "101 kopi.xlsx", T0 + 9)
    seen = []
    result = harvest(workspace, options=Options(workers=3), on_file=lambda f: seen.append(f.file))
    names = [f.file for f in result.files]
    verdicts = {f.file.rsplit("/", 1)[-1]: f.verdict for f in result.files}
    assert verdicts == {"101.xlsx": "accepted", "147.xlsx": "accepted", "151.xlsx": "accepted",
                        "153.xlsx": "accepted", "101 kopi.xlsx": "duplicate"}
    assert seen == names


def test_a_closed_pipe_ends_the_cli_quietly():
    import click

    from sdexl.cli import FriendlyGroup

    @click.group(cls=FriendlyGroup)
    def group():
        pass

    @group.command()
    def status():
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(group, ["status"])
    assert result.exit_code == 141 and "Error" not in result.output
