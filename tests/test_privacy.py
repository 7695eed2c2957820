"""Personal data never leaves sdexl: CPR-like numbers, the row's own name and birth date.

The end-to-end tests fill real generated workbooks (tests/harvest_helpers.py),
harvest them through the command line and look for the raw values in every
output: ``harvest --json``, the ledger's bytes, data.csv and master.xlsx.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdexl import messages, privacy
from sdexl.cli import main
from sdexl.publish.dataset import csv_safe
from tests import harvest_helpers as h
from tests.fill_helpers import cell_values

# --- the one CPR pattern ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["010180-1234", "0101801234", "010180 1234", "010180\u20131234", "01.01.80-1234", "cpr: 311299-0001 ok"],
)
def test_cpr_numbers_in_every_common_form_are_found_and_masked(text):
    assert privacy.find_cpr(text)
    masked = privacy.mask_cpr(text)
    assert privacy.CPR_MASK in masked and "1234" not in masked and "0001" not in masked


@pytest.mark.parametrize(
    "text", ["2500000", "2.500.000 kr.", "1234567890", "991399-1234", "tlf 12345678", "3212801234"]
)
def test_ordinary_numbers_are_not_cpr(text):
    assert privacy.find_cpr(text) == [] and privacy.mask_cpr(text) == text


def test_numbers_are_never_masked_as_text():
    assert privacy.mask_cpr(2500000) == 2500000 and privacy.mask_cpr(None) is None
    assert privacy.is_cpr_number(101801234) and not privacy.is_cpr_number(2500000)


def test_the_harvest_and_publish_code_share_the_pattern():
    from sdexl.harvest import run, values
    from sdexl.publish import masking

    for text in ("010180\u20131234", "01.01.80-1234", "1234567890"):
        assert run.scrub(text) == masking.mask_cpr(text) == values.mask_cpr(text)[0] == privacy.mask_cpr(text)


def test_messages_never_show_a_cpr_number():
    text = messages.render("not-a-category", sheet="Sager", cell="B9", value="0101801234", question="q", choices="a")
    assert "0101801234" not in text and privacy.CPR_MASK in text


def test_the_rows_name_and_birth_date_are_removed_from_text():
    person = privacy.Personal.of("Karen Blixen", dt.date(1985, 4, 17))
    for text in ("karen blixen er flyttet", "Blixen, 17-04-1985", "født 17.04.1985", "170485 er datoen"):
        scrubbed, name, born = person.scrub(text)
        assert "blixen" not in scrubbed.lower() and "1985" not in scrubbed and "170485" not in scrubbed
        assert name or born
    assert person.scrub("Karensdal bo")[0] == "Karensdal bo"  # whole words only
    assert privacy.Personal.of("Bo", None).scrub("Bo bor her")[0] == "Bo bor her"  # names under 3 letters


# --- the pre-check never skips a real match -----------------------------------------------------------


def _reference_scrub(person: privacy.Personal, text):
    """Personal.scrub as it was before the pre-check: every pattern run on every text."""
    import re

    if not isinstance(text, str) or not person:
        return text, False, False
    found_name = found_date = False
    if person.birth_date is not None:
        text, n = privacy._date_pattern(person.birth_date).subn(privacy.DATE_MASK, text)
        found_date = n > 0
    for name in person.names:
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, name.split(" "))) + r"(?!\w)", re.IGNORECASE)
        text, n = pattern.subn(privacy.NAME_MASK, text)
        found_name = found_name or n > 0
    return text, found_name, found_date


def _written_dates(date: dt.date) -> list[str]:
    d, m, y = date.day, date.month, date.year
    forms = [f"{d:02d}{m:02d}{y % 100:02d}", f"{d:02d}{m:02d}{y}"]
    for sep in "-./ ":
        for day in {str(d), f"{d:02d}"}:
            for month in {str(m), f"{m:02d}"}:
                forms += [f"{day}{sep}{month}{sep}{y}", f"{day}{sep}{month}{sep}{y % 100:02d}"]
    return forms


def test_case_folding_matches_the_regex_engine_for_every_character():
    """The name pre-check compares privacy.fold()ed text: it may only skip a text when the regex would.

    re.IGNORECASE treats two characters alike when their simple lowercase is equal, or when they are
    in the engine's table of extra cases; either way their fold() must be equal.
    """
    import _sre
    import sys
    from re import _casefix

    different = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if privacy.fold(char) != privacy.fold(chr(_sre.unicode_tolower(code))):
            different.append(hex(code))
    for code, alike in _casefix._EXTRA_CASES.items():
        different += [hex(other) for other in alike if privacy.fold(chr(code)) != privacy.fold(chr(other))]
    assert different == []


def test_the_turkish_and_other_odd_letters_still_find_the_name():
    person = privacy.Personal.of("Kim Østergård", dt.date(1990, 2, 3))
    for text in ("\u212aim østergård", "KİM ØSTERGÅRD", "kım Østergård", "kim\u00a0\t østergård", "Kim ØSTERGÅRD."):
        assert person.scrub(text) == _reference_scrub(person, text)
        assert person.scrub(text)[1], text


_PEOPLE = [
    privacy.Personal.of("Karen Blixen", dt.date(1985, 4, 17)),
    privacy.Personal.of("Søren Aabye Kierkegaard", dt.date(2001, 1, 5)),
    privacy.Personal.of("Ida", dt.date(1999, 12, 31)),
    privacy.Personal.of("  Ib   Åse-Marie  ", None),
    privacy.Personal.of(None, dt.date(1970, 10, 1)),
]


@st.composite
def _texts(draw):
    """Text around the person's own words and dates, in any case, with odd letters and separators."""
    person = draw(st.sampled_from(_PEOPLE))
    pieces = []
    words = [w for name in person.names for w in name.split(" ")]
    dates = _written_dates(person.birth_date) if person.birth_date else []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["noise", "word", "date", "space"]))
        if kind == "word" and words:
            word = draw(st.sampled_from(words))
            flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
            pieces.append("".join(c.swapcase() if f else c for c, f in zip(word, flips, strict=True)))
        elif kind == "date" and dates:
            pieces.append(draw(st.sampled_from(dates)))
        elif kind == "space":
            pieces.append(draw(st.sampled_from([" ", "  ", "\t", "\u00a0", "\n", "-", ".", ","])))
        else:
            pieces.append(
                draw(
                    st.text(alphabet=st.sampled_from("aeKkSsIi\u0130\u0131\u017f\u212aØøÅå0123456789 .-/"), max_size=8)
                )
            )
    return person, "".join(pieces)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts())
def test_the_pre_check_never_skips_a_name_or_date_the_patterns_find(case):
    person, text = case
    assert person.scrub(text) == _reference_scrub(person, text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789-. \u2013x"), max_size=16))
def test_the_length_check_never_skips_a_cpr_number(text):
    import re

    assert privacy.find_cpr(text) == [
        m[0] for m in privacy._CPR.finditer(text) if privacy._plausible(m["d"] or m["d2"], m["m"] or m["m2"])
    ]
    assert privacy.mask_cpr(text) == privacy._CPR.sub(
        lambda m: privacy.CPR_MASK if privacy._plausible(m["d"] or m["d2"], m["m"] or m["m2"]) else m[0], text
    )
    assert re.search(r"\d{6}", text) or privacy.find_cpr(text) == []


# --- CSV --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","klik")', "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_is_quoted(text):
    assert csv_safe(text) == "'" + text


def test_other_values_are_left_alone_in_csv():
    assert [csv_safe(v) for v in ("tekst", -5, 2.5, None)] == ["tekst", -5, 2.5, None]


# --- end to end on real workbooks -------------------------------------------------------------------

CPR_A, CPR_B, CPR_CHOICE, CPR_TEXT = "0101801234", "020290-4321", "0303751111", "040470 2222"
RAW = ["0101801234", "010180-1234", "0202904321", "020290-4321", "0303751111", "040470 2222", "0404702222"]
NAME, SURNAME = "Karen Blixen", "Blixen"
FORMULA = '=HYPERLINK("http://example.invalid","klik")'


@pytest.fixture
def harvested(workspace):
    survey = workspace.survey("sde-2022")

    def case(ref: str, **more):
        return {**h.valid_case(survey, ref), **more}

    rows = [
        case(CPR_A),
        case(CPR_B),
        case(
            "S3", navn=NAME, foedselsdato="1985-04-17", bemaerkninger=f"{NAME} flyttede ind 17-04-1985, cpr {CPR_TEXT}"
        ),
        case("S4", q01_koen=CPR_CHOICE),
        case("Karen-7", navn="Karen Hansen"),
        case("S6", bemaerkninger=FORMULA, q04_tekst="+SUM(1;2)"),
    ]
    src = h.generated(workspace, "sde-2022", "101")
    dst = workspace.incoming / "101_København.xlsx"
    h.fill_cases(src, dst, survey, [cell_values(r, survey) for r in rows])
    done = CliRunner().invoke(main, ["-w", str(workspace.root), "harvest", "--json"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    (entry,) = json.loads(done.stdout)
    return workspace, done.stdout, entry


def _no_personal(text: str) -> None:
    for raw in RAW + [SURNAME, "17-04-1985"]:
        assert raw not in text, raw


def test_no_cpr_or_name_in_the_json_output(harvested):
    _, stdout, entry = harvested
    _no_personal(stdout)
    assert entry["verdict"] == "needs_correction"


def test_distinct_cpr_case_numbers_are_errors_not_duplicates(harvested):
    _, _, entry = harvested
    codes = [i["code"] for i in entry["issues"]]
    assert "duplicate-case-ref" not in codes
    cpr = [i for i in entry["issues"] if i["code"] == "case-ref-is-cpr"]
    assert [i["cell"][1:] for i in cpr] == ["7", "8"]
    assert cpr[0]["message"] == messages.render("case-ref-is-cpr", sheet="Sager", cell=cpr[0]["cell"], header="Sag nr.")
    assert all(privacy.CPR_MASK not in i["message"] for i in cpr)
    assert "case-ref-is-personal" in codes and "personal-in-text" in codes
    choice = next(i for i in entry["issues"] if i["code"] == "not-a-category")
    assert privacy.CPR_MASK in choice["message"]
    assert any(i["code"] == "cpr-masked" and i["cell"] == choice["cell"] for i in entry["issues"])


def test_no_cpr_or_name_in_the_ledger_bytes(harvested):
    ws, _, _ = harvested
    data = ws.ledger_path.read_bytes()
    for raw in RAW + [SURNAME]:
        assert raw.encode() not in data, raw


def test_no_cpr_or_name_in_the_data_set_and_master_and_formulas_are_quoted(harvested):
    ws, _, _ = harvested
    out = ws.output_dir("sde-2022")
    text = (out / "data.csv").read_text(encoding="utf-8")
    _no_personal(text)
    rows = list(csv.DictReader(text.splitlines()))
    by_ref = {r["sagsnr"]: r for r in rows}
    assert by_ref["S6"]["bemaerkninger"] == "'" + FORMULA and by_ref["S6"]["q04_tekst"] == "'+SUM(1;2)"
    assert "[navn fjernet]" in by_ref["S3"]["bemaerkninger"] and "[dato fjernet]" in by_ref["S3"]["bemaerkninger"]
    assert "Karen-7" not in by_ref and "" in by_ref  # CPR and name case numbers are not kept
    with zipfile.ZipFile(out / "master.xlsx") as z:
        for name in z.namelist():
            _no_personal(z.read(name).decode("utf-8", "replace"))


# --- demo outputs say they are synthetic ------------------------------------------------------------


def test_the_demo_workspace_is_marked_synthetic():
    import yaml

    from sdexl.demo import DEMO_CONFIG
    from sdexl.workspace import Config

    assert Config.model_validate(yaml.safe_load(DEMO_CONFIG)).synthetic is True
    assert Config().synthetic is False


def test_synthetic_outputs_carry_the_banner_properties_and_a_note(harvested):
    import openpyxl

    from sdexl.publish.master import SYNTHETIC_BANNER, SYNTHETIC_NOTE_NAME, build_from_ledger

    ws, _, _ = harvested
    out = ws.output_dir("sde-2022")
    plain = openpyxl.load_workbook(out / "master.xlsx", read_only=True)
    assert "SYNTETISK" not in (plain.properties.title or "") and not (out / SYNTHETIC_NOTE_NAME).exists()
    ws.config.synthetic = True
    written = build_from_ledger(ws, "sde-2022")
    assert out / SYNTHETIC_NOTE_NAME in written
    assert "SYNTETISKE DATA" in (out / SYNTHETIC_NOTE_NAME).read_text(encoding="utf-8")
    book = openpyxl.load_workbook(out / "master.xlsx", read_only=True)
    assert "SYNTETISKE DATA" in book.properties.title and "SYNTETISK" in (book.properties.keywords or "")
    for sheet in book.worksheets:
        assert next(sheet.iter_rows(max_row=1, max_col=1, values_only=True))[0] == SYNTHETIC_BANNER, sheet.title


# --- validation, cell by cell -------------------------------------------------------------------------


def test_a_cpr_number_typed_as_a_number_in_a_choice_cell_is_masked_and_warned():
    from tests.test_validate import VALID, check, row

    report = check(row(**{**VALID, "koen": 101801234}))
    codes = [i.code for i in report.issues]
    assert codes[0] == "cpr-masked" and "not-a-category" in codes
    assert all("101801234" not in i.message and "101.801.234" not in i.message for i in report.issues)
    assert all("101801234" not in (i.value or "") for i in report.issues)


def test_an_amount_is_never_masked():
    from tests.test_validate import VALID, check, row

    report = check(row(**{**VALID, "sagsnr": "A2"}))
    assert report.issues == []
    assert not privacy.is_cpr_number(2_500_000) and privacy.mask_cpr(110_000_000) == 110_000_000
