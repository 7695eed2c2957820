"""Sniffing and vetting returned files before any spreadsheet library opens them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sdexl import layout, messages
from sdexl.harvest import container
from sdexl.harvest.container import Limits, inspect, plain_text, read_facts, sdexl_properties
from tests import harvest_helpers as h


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from sdexl.workspace import init_workspace

    return init_workspace(tmp_path_factory.mktemp("container") / "ws")


@pytest.fixture(scope="module")
def clean(ws) -> Path:
    return h.generated(ws, "sde-2024", "101")


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_a_generated_workbook_is_a_readable_xlsx_with_its_metadata(clean):
    result = inspect(clean)
    assert result.kind == "xlsx" and result.readable and result.findings == []
    props = sdexl_properties(result)
    assert props["kommunekode"] == "101" and props["survey_id"] == "sde-2024" and len(props["token"]) == 16


def test_the_hidden_sheet_and_the_guide_caption_are_read(clean):
    facts = read_facts(clean)
    assert facts.sheets[layout.META_SHEET] == "veryhidden"
    assert facts.meta_sheet["kommunekode"] == "101" and facts.meta_sheet["kommune"] == "København"
    assert facts.guide_kommune == layout.kommune_caption("København", "101")


@pytest.mark.parametrize(
    ("build", "kind", "looks_like"),
    [(h.text_as_xlsx, "text", "en tekstfil"), (h.pdf_file, "pdf", "en PDF-fil")],
)
def test_a_file_that_is_not_a_workbook_is_named_for_what_it_is(tmp_path, build, kind, looks_like):
    result = inspect(build(tmp_path / "101_København.xlsx"))
    assert (result.kind, codes(result), result.readable) == (kind, ["not-a-workbook"], False)
    issue = result.findings[0].issue("101_København.xlsx")
    assert issue.severity == "error"
    assert issue.message == messages.render("not-a-workbook", file="101_København.xlsx", looks_like=looks_like)


def test_an_empty_file_is_not_a_workbook(tmp_path):
    empty = tmp_path / "svar.xlsx"
    empty.write_bytes(b"")
    assert codes(inspect(empty)) == ["not-a-workbook"]


def test_a_truncated_zip_is_corrupt(clean, tmp_path):
    result = inspect(h.truncated(clean, tmp_path / "halv.xlsx"))
    assert codes(result) == ["corrupt-file"] and not result.readable


def test_a_password_protected_workbook_is_encrypted(clean, tmp_path):
    result = inspect(h.encrypted(clean, tmp_path / "kode.xlsx"))
    assert (result.kind, codes(result)) == ("encrypted", ["encrypted"])


def test_a_member_that_inflates_hugely_is_a_zip_bomb(clean, tmp_path):
    result = inspect(h.zip_bomb(clean, tmp_path / "bombe.xlsx", inflated_mb=20))
    assert codes(result) == ["zip-bomb"]
    assert "pakkes ud" in result.findings[0].fields["detail"]


def test_a_huge_declared_size_is_refused_before_inflating(clean, tmp_path):
    lying = h.declared_size(clean, tmp_path / "stor.xlsx", "xl/worksheets/sheet2.xml", 3_000_000_000)
    assert codes(inspect(lying)) == ["zip-bomb"]


def test_a_member_larger_than_declared_fails_its_check(clean, tmp_path):
    """Inflation stops at the declared size and the CRC check fails: never an unbounded read."""
    lying = h.declared_size(clean, tmp_path / "lille.xlsx", "xl/worksheets/sheet2.xml", 100)
    assert codes(inspect(lying)) == ["corrupt-file"]


def test_too_many_members_is_a_zip_bomb(clean):
    assert codes(inspect(clean, Limits(max_members=5))) == ["zip-bomb"]


@pytest.mark.parametrize("member", ["docProps/custom.xml", "xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_dtd_in_any_xml_part_is_refused(clean, tmp_path, member):
    result = inspect(h.with_xxe(clean, tmp_path / "xxe.xlsx", member))
    assert codes(result) == ["xml-entities"] and result.findings[0].fields["part"] == member
    assert not result.readable


def test_a_macro_workbook_is_read_with_a_warning(clean, tmp_path):
    result = inspect(h.as_xlsm(clean, tmp_path / "makro.xlsm"))
    assert (result.kind, codes(result), result.readable) == ("xlsm", ["macro-file"], True)


def test_external_links_and_embedded_objects_are_warned_about(clean, tmp_path):
    linked = h.with_member(clean, tmp_path / "link.xlsx", "xl/externalLinks/externalLink1.xml", b"<externalLink/>")
    embedded = h.with_member(linked, tmp_path / "obj.xlsx", "xl/embeddings/oleObject1.bin", b"x")
    result = inspect(embedded)
    assert codes(result) == ["external-content"] and result.readable
    assert result.findings[0].fields["parts"] == "links til andre filer og indlejrede objekter"


def test_a_zip_that_is_no_workbook_is_refused(tmp_path):
    path = tmp_path / "svar.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("svar.txt", "12")
    assert codes(inspect(path)) == ["not-a-workbook"]


def test_an_xlsb_is_named_as_such(tmp_path):
    path = tmp_path / "svar.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01")
    result = inspect(path)
    assert codes(result) == ["not-a-workbook"] and "(.xlsb)" in result.findings[0].fields["looks_like"]


def test_broken_custom_properties_are_skipped_not_fatal(clean, tmp_path):
    broken = h.with_member(clean, tmp_path / "brudt.xlsx", "docProps/custom.xml", b"<Properties><property")
    result = inspect(broken)
    assert result.readable and result.properties == {}  # the hidden sheet can still identify it


def test_an_ods_is_recognised_by_its_mimetype_member(tmp_path):
    path = tmp_path / "svar.xlsx"  # the name does not matter
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", container.ODS_MIMETYPE)
        zf.writestr(
            "content.xml", "<office:document-content xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0'/>"
        )
    result = inspect(path)
    assert (result.kind, result.suffix, codes(result)) == ("ods", ".ods", [])


def test_an_ole_file_that_is_not_encrypted_is_a_legacy_xls(tmp_path, monkeypatch):
    path = tmp_path / "gammel.xlsx"
    path.write_bytes(container.OLE_MAGIC + bytes(504))
    monkeypatch.setattr(container, "_ole_streams", lambda p: {"workbook"})
    assert (inspect(path).kind, inspect(path).suffix) == ("xls", ".xls")


def test_encryption_is_found_by_stream_name_without_olefile(clean, tmp_path):
    locked = h.encrypted(clean, tmp_path / "kode.xlsx")
    assert "encryptedpackage" in container._ole_streams_by_bytes(locked)


@pytest.mark.parametrize(
    ("value", "text"), [(101.0, "101"), ("101.0", "101"), (7.0, "7"), ("0a1b", "0a1b"), (" x ", "x")]
)
def test_metadata_values_come_back_as_text(value, text):
    assert plain_text(value) == text


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_metadata_survives_a_libreoffice_resave(clean, tmp_path, lo_convert, fmt):
    converted = lo_convert(clean, fmt, tmp_path / fmt)
    result = inspect(converted)
    assert result.readable and result.suffix == f".{fmt}"
    facts = read_facts(converted)
    assert facts.meta_sheet["kommunekode"] == "101"
    assert facts.sheets[layout.META_SHEET] in ("hidden", "veryhidden")
    if fmt != "xls":  # .xls keeps custom properties in an OLE stream we do not read
        assert sdexl_properties(result)["kommunekode"] == "101"
