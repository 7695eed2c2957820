"""``sdexl demo``: one command shows a whole round, on data that says it is synthetic.

The demo runs once for the module (about half a minute); LibreOffice resaves one
return when it is installed, and the demo works without it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from sdexl.cli import main
from sdexl.demo import DemoError, _resave, make_plan, run_demo, synthetic_population
from sdexl.reference import by_code
from sdexl.reference.population import FILE_NAME, read_population
from tests.conftest import soffice_path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "ws"
    return run_demo(root, progress=False, soffice=soffice_path())


def test_verdict_mix_shows_every_kind_of_return(demo):
    v = demo.verdicts
    assert v["accepted"] > 140  # about 83 + 84 clean returns
    assert v.get("accepted_with_warnings", 0) >= 1  # 'kvinde ' pasted over a dropdown
    assert v.get("needs_correction", 0) >= 2  # a category that does not exist; bands that do not add up
    assert v.get("duplicate") == 1  # the same file sent twice
    assert v.get("superseded") == 1  # an error file, then the corrected one
    assert "rejected" not in v


def test_special_returns_get_their_verdicts(demo):
    plan = make_plan(demo.seed)
    by_name = {Path(f.file).name: f for f in demo.files}
    renamed = by_name["Skema retur endelig.xlsx"]
    assert renamed.verdict == "accepted" and renamed.kommunekode == plan.mistakes["renamed"]
    corrected = [f for f in demo.files if f.kommunekode == plan.mistakes["missing_then_corrected"] and f.survey == "sde-2022"]
    assert sorted(f.verdict for f in corrected) == ["accepted", "superseded"]
    twice = [f for f in demo.files if f.kommunekode == plan.mistakes["sent_twice"] and f.survey == "sde-2022"]
    assert sorted(f.verdict for f in twice) == ["accepted", "duplicate"]
    silent = {f.kommunekode for f in demo.files if f.survey == "sde-2022"}
    assert not silent & plan.silent_2022
    assert len(plan.silent_2022) == 15


def test_masters_data_and_feedback_exist_for_both_surveys(demo):
    for survey in ("sde-2022", "sde-2024"):
        assert (demo.root / "output" / survey / "master.xlsx").stat().st_size > 0
        assert (demo.root / "output" / survey / "data.csv").stat().st_size > 0
    feedback = [f.feedback for f in demo.files if f.feedback]
    assert feedback and all(Path(p).exists() for p in feedback)
    assert any(f.verdict == "needs_correction" and f.feedback for f in demo.files)


def test_everything_says_it_is_synthetic(demo):
    readme = (demo.root / "README.txt").read_text(encoding="utf-8")
    assert "SYNTETISK" in readme and "SYNTHETIC" in readme
    with (demo.root / "reference" / FILE_NAME).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 98
    assert all("SYNTETISK" in r["kvartal"] and "SYNTETISK" in r["kilde"] for r in rows)
    assert "SYNTETISK" in read_population(demo.root / "reference").quarter  # the label the master prints
    assert "SYNTHETIC" in demo.lines()[0]
    assert "SYNTETISK" in (demo.root / "sdexl.yaml").read_text(encoding="utf-8")


def test_summary_names_the_files_to_open(demo):
    text = "\n".join(demo.lines())
    assert str(demo.root) in text
    assert str(demo.root / "output" / "sde-2022" / "master.xlsx") in text
    assert str(demo.root / "output" / "sde-2024" / "master.xlsx") in text
    assert "tilbagemelding" in text
    assert f"sdexl -w {demo.root} status sde-2022" in text
    for _, path in demo.open_first:
        assert path.exists(), path


def test_libreoffice_resaved_return_is_harvested(demo, soffice):
    assert demo.libreoffice
    code = make_plan(demo.seed).mistakes["libreoffice"]
    mine = [f for f in demo.files if f.kommunekode == code and f.survey == "sde-2022"]
    assert [f.verdict for f in mine] in (["accepted"], ["accepted_with_warnings"])


def test_without_libreoffice_the_original_is_used_and_said(tmp_path):
    source = tmp_path / "101_København.xlsx"
    source.write_bytes(b"not really a workbook")
    notes: list[str] = []
    assert _resave(str(tmp_path / "no-soffice"), source, tmp_path / "in" / source.name, notes) is False
    assert (tmp_path / "in" / source.name).read_bytes() == source.read_bytes()
    assert notes and "LibreOffice" in notes[0]


def test_synthetic_data_is_seeded_and_scaled_to_size():
    assert make_plan(7).cases_2022 == make_plan(7).cases_2022
    assert make_plan(7).cases_2022 != make_plan(8).cases_2022
    plan = make_plan(2024)
    assert set(plan.population) == set(by_code())
    assert 1_500 <= sum(plan.cases_2022.values()) <= 2_500
    assert list(plan.cases_2022.values()).count(0) >= 3
    big, small = max(plan.population, key=plan.population.get), min(plan.population, key=plan.population.get)
    assert plan.cases_2022[big] > 50 and plan.cases_2022[small] == 0
    assert any(plan.cases_2024[c] > plan.cases_2022[c] for c in by_code())
    assert any(plan.cases_2024[c] < plan.cases_2022[c] for c in by_code())
    assert synthetic_population(1) == synthetic_population(1)


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(DemoError, match="not empty"):
        run_demo(tmp_path, progress=False)
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "not empty" in result.output and "Traceback" not in result.output


def test_demo_help_has_an_example():
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert result.exit_code == 0
    assert "sdexl demo" in result.output and "SYNTHETIC" in result.output


def test_the_round_is_drafted_as_mail(demo):
    """Issue 11: invitations, a reminder round, feedback and receipts, as .eml drafts, and where they are."""
    from email import policy
    from email.parser import BytesParser

    from sdexl import ledger

    plan = make_plan(demo.seed)
    counts = demo.mail["sde-2022"]
    assert counts["invitations"] == 98
    assert counts["reminders"] == len(plan.silent_2022)  # exactly the municipalities that did not answer
    assert counts["feedback"] >= 1 and counts["receipts"] >= 80
    mail = demo.root / "outgoing" / "sde-2022" / "mail"
    assert len(list((mail / "invitations").glob("*.eml"))) == 98
    reminded = {p.name.split("_")[0] for p in (mail / "reminders").glob("*.eml")}
    assert reminded == plan.silent_2022
    msg = BytesParser(policy=policy.default).parsebytes(next((mail / "reminders").glob("*.eml")).read_bytes())
    assert msg["X-Unsent"] == "1" and msg["To"].addresses[0].domain == "example.invalid"
    assert "SYNTETISK" in str(msg["To"])
    assert any(str(mail) in line for line in demo.lines())
    conn = ledger.connect(demo.root / ".sdexl" / "ledger.sqlite")
    try:
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM mail WHERE survey_id = 'sde-2022' GROUP BY kind"))
    finally:
        conn.close()
    assert kinds == {"invitation": 98, "reminder": counts["reminders"], "feedback": counts["feedback"],
                     "receipt": counts["receipts"]}


def test_reports_are_written_and_printed_where_they_are(demo):
    plan = make_plan(demo.seed)
    for survey, silent in (("sde-2022", plan.silent_2022), ("sde-2024", plan.silent_2024)):
        folder, count, pdfs = demo.reports[survey]
        written = sorted(folder.glob("*.xlsx"))
        assert count == len(written) >= 98 - len(silent) - 2  # the files that must be corrected wait
        assert not {p.name.split("_")[0] for p in written} & silent
        assert any(f"Municipality reports {survey}" in line and str(folder) in line for line in demo.lines())
        if demo.libreoffice:
            assert pdfs and all(p.exists() and p.suffix == ".pdf" for p in pdfs)
