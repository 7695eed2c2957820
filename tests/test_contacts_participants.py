"""Issue 11: who receives the mail (reference/kontakter.csv) and who takes part in a round."""

from __future__ import annotations

from click.testing import CliRunner

from sdexl import ledger
from sdexl.cli import main
from sdexl.contacts import ContactsError, contacts_path, import_contacts, load_contacts, parse
from sdexl.participants import ParticipantsError, add, participation, record_agreement, remove

GOOD = "kommunekode;navn;email;cc\n101;Anna Andersen;anna@kk.dk;\n147;Bo Berg;bo@frederiksberg.dk;a@frb.dk b@frb.dk\n"


def run(ws, *args):
    return CliRunner().invoke(main, ["-w", str(ws.root), *args])


# --- contacts --------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_line(tmp_path):
    text = (
        "kommunekode;navn;email;cc\n"
        "101;Anna Andersen;anna@kk.dk;\n"
        "151;;x(at)ballerup.dk;\n"  # no name, bad address
        "0101;Igen;igen@kk.dk;\n"  # 0101 is 101 again
        "abc;X;x@y.dk;\n"
        "147;Bo;bo@frederiksberg.dk;ikke en adresse\n"
        "153;Dorte;;\n"
    )
    try:
        parse(text, "k.csv")
    except ContactsError as exc:
        problems = exc.problems
    else:
        raise AssertionError("no error")
    assert problems == [
        "line 3: no name of the contact person",
        "line 3: 'x(at)ballerup.dk' is not an email address (like navn@kommune.dk)",
        "line 4: kommunekode 101 (København) is also on line 2; give one line per municipality and put further "
        "addresses in cc",
        "line 5: 'abc' is not the kommunekode of one of the 98 municipalities (e.g. 101 for København)",
        "line 6: cc 'ikke' is not an email address (like navn@kommune.dk)",
        "line 6: cc 'en' is not an email address (like navn@kommune.dk)",
        "line 6: cc 'adresse' is not an email address (like navn@kommune.dk)",
        "line 7: no email address",
    ]


def test_a_header_without_the_columns_says_what_is_missing():
    try:
        parse("kode,navn\n101,Anna\n", "k.csv")
    except ContactsError as exc:
        assert exc.problems == ["line 1: the header must name the columns kommunekode, name and email (cc is "
                                "optional); missing email; found 'kode', 'navn'"]
    else:
        raise AssertionError("no error")


def test_a_name_that_contradicts_the_code_is_caught():
    try:
        parse("kommunekode;kommune;navn;email\n101;Aarhus;Anna;anna@kk.dk\n102;x;y;z@q.dk\n", "k.csv")
    except ContactsError as exc:
        assert exc.problems[0] == "line 2: kommunekode 101 is København, but the line says 'Aarhus'"
        assert exc.problems[1].startswith("line 3: '102' is not the kommunekode")
    else:
        raise AssertionError("no error")


def test_excel_csv_variants_are_read(tmp_path):
    """Comma separated with a BOM (Excel's 'CSV UTF-8'), and Windows-1252 (older Excel)."""
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes("\ufeffKommunekode,Navn,E-mail\n751,Åse Ørsted,aase@aarhus.dk\n".encode())
    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes("kommunekode;navn;email\n751;Åse Ørsted;aase@aarhus.dk\n".encode("cp1252"))
    for path in (utf8, ansi):
        report = import_contacts(path, tmp_path / "ref")
        assert report.contacts["751"].name == "Åse Ørsted"
        assert load_contacts(tmp_path / "ref")["751"].email == "aase@aarhus.dk"


def test_import_replaces_the_list_and_names_those_without_an_address(workspace, tmp_path):
    source = tmp_path / "k.csv"
    source.write_text(GOOD, encoding="utf-8")
    done = run(workspace, "reference", "contacts", str(source))
    assert done.exit_code == 0, done.output
    assert "Imported 2 contacts" in done.stdout and "96 municipalities have no address yet: 151 Ballerup" in done.stdout
    contacts = load_contacts(workspace.reference)
    assert contacts["147"].cc == ("a@frb.dk", "b@frb.dk")
    assert contacts_path(workspace.reference).read_text(encoding="utf-8-sig").splitlines()[0] == \
        "kommunekode;kommune;name;email;cc"


def test_a_file_with_errors_imports_nothing_and_exits_1(workspace, tmp_path):
    source = tmp_path / "k.csv"
    source.write_text(GOOD, encoding="utf-8")
    run(workspace, "reference", "contacts", str(source))
    before = contacts_path(workspace.reference).read_bytes()
    source.write_text(GOOD + "999;X;x@y.dk;\n", encoding="utf-8")
    done = run(workspace, "reference", "contacts", str(source))
    assert done.exit_code == 1
    assert "line 4: '999' is not the kommunekode" in done.output and "Nothing was imported" in done.output
    assert "--debug" not in done.output
    assert contacts_path(workspace.reference).read_bytes() == before


# --- participants --------------------------------------------------------------------------------------


def test_all_98_by_default_then_a_sign_up_list(workspace):
    conn = ledger.connect(workspace.ledger_path)
    try:
        start = participation(conn, "sde-2023")
        assert not start.explicit and len(start.members) == 98
        now = add(conn, "sde-2023", ["101", "0147"])
        assert now.explicit and now.ordered() == ["101", "147"]
        now = record_agreement(conn, "sde-2023", ["147"])
        assert set(now.agreements) == {"147"} and now.ordered() == ["101", "147"]
        now = remove(conn, "sde-2023", ["101"])
        assert now.ordered() == ["147"] and set(now.agreements) == {"147"}
        try:
            record_agreement(conn, "sde-2023", ["101"])
        except ParticipantsError as exc:
            assert "101 København do(es) not take part in sde-2023" in str(exc)
        else:
            raise AssertionError("an agreement for a non-participant was recorded")
    finally:
        conn.close()


def test_removing_from_the_default_keeps_the_others(workspace):
    conn = ledger.connect(workspace.ledger_path)
    try:
        now = remove(conn, "sde-2024", ["860"])
        assert len(now.members) == 97 and "860" not in now.members
        assert participation(conn, "sde-2022").members == frozenset(participation(conn, "sde-2022").members)
        assert len(participation(conn, "sde-2022").members) == 98  # other rounds untouched
    finally:
        conn.close()


def test_participants_cli_and_generate_uses_them(workspace):
    done = run(workspace, "participants", "sde-2022", "add", "101", "147")
    assert done.exit_code == 0 and "sde-2022 now has a sign-up list" in done.stdout
    assert "2 of 98 municipalities take part in sde-2022" in done.stdout
    done = run(workspace, "participants", "sde-2022", "agreement", "101")
    assert "Data transfer agreements received: 1 of 2 participants." in done.stdout
    bad = run(workspace, "participants", "sde-2022", "add", "1O1")
    assert bad.exit_code == 1 and "1O1" in bad.output and "--debug" not in bad.output
    done = run(workspace, "generate", "sde-2022")
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in workspace.outgoing_dir("sde-2022").glob("*.xlsx")) == [
        "101_København.xlsx", "147_Frederiksberg.xlsx"]
    status = run(workspace, "status", "sde-2022", "--json")
    import json

    rows = {r["kommunekode"]: r for r in json.loads(status.stdout)["municipalities"]}
    assert rows["101"]["agreement_at"] and rows["147"]["agreement_at"] is None
    assert rows["151"]["status"] == "not_participating" and rows["147"]["status"] == "missing"
