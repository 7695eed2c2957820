"""What kind of file came back, is it safe to open, and what does it say about itself.

A returned file is untrusted input from 98 mailboxes. Before any spreadsheet
library touches it we look at its bytes (the extension says nothing: people
rename files), check the zip directory against size and ratio limits (a 1 MB
file can inflate to 1 GB and a library would load all of it), verify every
member's CRC with bounded reads, and refuse XML with a DTD (entity expansion
attacks need one). Only then is metadata read: custom document properties with
defusedxml, the hidden ``_sdexl`` sheet and the Vejledning caption with calamine.

Nothing here raises for a bad file: problems come back as ``Finding``s, and a
finding with severity "error" means the file cannot be harvested.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from sdexl import layout, messages
from sdexl.harvest import opened
from sdexl.harvest.report import Issue, Severity

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # legacy .xls, and encrypted OOXML
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# Suffix a sniffed kind is parsed under: calamine picks its reader by suffix.
SUFFIX = {"xlsx": ".xlsx", "xlsm": ".xlsm", "xls": ".xls", "ods": ".ods"}

_CUSTOM_PROPS = "docProps/custom.xml"
_ODS_META = "meta.xml"
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Bounds checked on the zip directory before anything is inflated.

    Generated workbooks have 20-50 members, inflate to under 1 MB, and no
    member compresses more than about 20:1 (measured on sde-2022 and
    sde-2024). The limits leave ample room for files padded with formatting.
    """

    max_file_bytes: int = 100 * 1024 * 1024
    max_members: int = 2000
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_applies_above: int = 1024 * 1024  # small members compress wildly without harm
    max_metadata_part: int = 1024 * 1024


LIMITS = Limits()


@dataclass(frozen=True)
class Finding:
    """A file-level problem before rendering: a code from the message catalogue and its fields.

    Rendering waits until the file's display name is known (the parse runs on
    an archived copy with another name).
    """

    code: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return messages.severity(self.code)

    def issue(self, file: str) -> Issue:
        return Issue(
            code=self.code, severity=self.severity, message=messages.render(self.code, file=file, **self.fields)
        )


@dataclass
class Container:
    kind: str  # xlsx, xlsm, ods, xls, encrypted, pdf, text, zip, empty, unknown
    findings: list[Finding] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # custom document properties

    @property
    def readable(self) -> bool:
        return self.kind in SUFFIX and not any(f.severity == "error" for f in self.findings)

    @property
    def suffix(self) -> str:
        return SUFFIX.get(self.kind, "")


@dataclass
class WorkbookFacts:
    """What a readable workbook says about itself, read with calamine."""

    sheets: dict[str, str] = field(default_factory=dict)  # name -> visible / hidden / veryhidden
    meta_sheet: dict[str, str] = field(default_factory=dict)  # the _sdexl key/value pairs
    guide_title: str | None = None  # Vejledning!A1
    guide_kommune: str | None = None  # Vejledning!B3: "København (kommunekode 101)"


# --- sniffing -----------------------------------------------------------------


def inspect(path: Path, limits: Limits = LIMITS) -> Container:
    """Sniff and vet ``path``; never raises for a bad file."""
    size = path.stat().st_size
    if size == 0:
        return _fatal("empty", "not-a-workbook", looks_like="en tom fil")
    if size > limits.max_file_bytes:
        return _fatal("unknown", "too-large", size_mb=_mb(size), limit_mb=_mb(limits.max_file_bytes))
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        return _inspect_ole(path)
    if head.startswith(ZIP_MAGICS):
        return _inspect_zip(path, limits)
    kind, looks_like = _guess_other(head)
    return _fatal(kind, "not-a-workbook", looks_like=looks_like)


def _guess_other(head: bytes) -> tuple[str, str]:
    if head.startswith(b"%PDF"):
        return "pdf", "en PDF-fil"
    if head[:5].lower() in (b"<html", b"<!doc"):
        return "text", "en webside (HTML)"
    try:
        head.decode("utf-8")
        return "text", "en tekstfil"
    except UnicodeDecodeError:
        return "unknown", "en fil i et ukendt format"


def _fatal(kind: str, code: str, **fields: Any) -> Container:
    return Container(kind=kind, findings=[Finding(code, fields)])


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


# --- OLE: legacy .xls or an encrypted OOXML package --------------------------------


def _inspect_ole(path: Path) -> Container:
    streams = _ole_streams(path)
    if streams is None:
        return _fatal("unknown", "corrupt-file")
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return _fatal("encrypted", "encrypted")
    if "workbook" in streams or "book" in streams:
        return Container(kind="xls")  # the reader notes the format (formula errors look empty in it)
    return _fatal("unknown", "not-a-workbook", looks_like="et andet Office-dokument (fx Word)")


def _ole_streams(path: Path) -> set[str] | None:
    """Lower-case names of the OLE streams, or None when the container is broken."""
    try:
        import olefile
    except ImportError:  # msoffcrypto-tool brings olefile; without it, search the directory bytes
        return _ole_streams_by_bytes(path)
    try:
        with olefile.OleFileIO(str(path)) as ole:
            return {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=False)}
    except (OSError, ValueError, IndexError):  # olefile raises OSError for "not an OLE2 file" and truncation
        return None


def _ole_streams_by_bytes(path: Path) -> set[str]:
    data = path.read_bytes()
    names = ("EncryptedPackage", "EncryptionInfo", "Workbook", "Book")
    return {n.lower() for n in names if n.encode("utf-16-le") in data}


# --- zip: xlsx, xlsm, ods -------------------------------------------------------------


def _inspect_zip(path: Path, limits: Limits) -> Container:
    try:
        with opened.zip_file(path) as zf:
            return _inspect_open_zip(zf, limits)
    except RuntimeError:  # zipfile: "File ... is encrypted, password required"
        return _fatal("encrypted", "encrypted")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError):
        return _fatal("zip", "corrupt-file")


def _inspect_open_zip(zf: zipfile.ZipFile, limits: Limits) -> Container:
    infos = zf.infolist()
    bomb = _size_finding(infos, limits)
    if bomb:
        return Container(kind="zip", findings=[bomb])
    kind = _zip_kind(zf)
    if kind is None:
        xlsb = "xl/workbook.bin" in zf.namelist()
        looks_like = "en binær Excel-projektmappe (.xlsb)" if xlsb else "et zip-arkiv eller et andet dokument"
        return _fatal("zip", "not-a-workbook", looks_like=looks_like)
    if any(i.flag_bits & 0x1 for i in infos):
        return _fatal("encrypted", "encrypted")
    heads = _verify_members(zf, infos)
    hostile = _xml_finding(zf, infos, heads)
    if hostile:
        return Container(kind=kind, findings=[hostile])
    container = Container(kind=kind, findings=_content_findings(kind, zf.namelist()))
    container.properties = _read_properties(zf, kind, limits)
    return container


def _size_finding(infos: list[zipfile.ZipInfo], limits: Limits) -> Finding | None:
    """Judge the zip by its directory, before inflating a single byte."""
    if len(infos) > limits.max_members:
        return Finding("zip-bomb", {"detail": f"{len(infos)} dele i pakken"})
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_uncompressed:
        return Finding("zip-bomb", {"detail": f"{_mb(total)} MB udpakket"})
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_applies_above and ratio > limits.max_ratio:
            return Finding("zip-bomb", {"detail": f"en del pakkes ud {ratio:.0f} gange"})
    return None


def _zip_kind(zf: zipfile.ZipFile) -> str | None:
    names = set(zf.namelist())
    if "mimetype" in names and zf.getinfo("mimetype").file_size < 200 and zf.read("mimetype").strip() == ODS_MIMETYPE:
        return "ods"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
    return None  # includes .xlsb (xl/workbook.bin): binary parts we do not vet


def _verify_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Inflate each member with bounded reads; raises BadZipFile on a bad CRC. Returns the first
    ``_PROLOG_BYTES`` of each member, for the prolog check (no member is inflated twice).

    zipfile never reads past a member's declared size, so a member that lies
    about its size fails its CRC here instead of inflating without bound in a
    spreadsheet library later. A small member's bytes are kept for the rest of
    the examination (``opened.keep``): the sheet scan reads them from memory.
    """
    heads: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        with zf.open(info) as member:
            first = member.read(_READ_CHUNK)
            heads[info.filename] = first[:_PROLOG_BYTES]
            if len(first) < _READ_CHUNK:  # the whole member, under 1 MB (its CRC was checked at its end)
                opened.keep(zf, info.filename, first)
                continue
            while member.read(_READ_CHUNK):
                pass
    return heads


def _xml_finding(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], heads: dict[str, bytes]) -> Finding | None:
    """Refuse any XML part with a DTD. A DTD can only stand in the prolog, before the root element,
    so only the prolog's bytes are looked at (no parse); a prolog we cannot judge by its bytes
    (UTF-16, or implausibly long) is parsed up to its first start tag."""
    for info in infos:
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        verdict = _prolog_verdict(heads.get(info.filename, b""))
        if verdict == "dtd":
            return Finding("xml-entities", {"part": info.filename})
        if verdict == "unsure" and (finding := _xml_finding_parsed(zf, info)) is not None:
            return finding
    return None


_PROLOG_BYTES = 64 * 1024


def _prolog_verdict(head: bytes) -> str:
    """"dtd", "clean" or "unsure": walk the prolog (XML declaration, PIs, comments, white space)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:200]:
        return "unsure"  # UTF-16: let the parser judge
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    n = len(head)
    while i < n:
        ch = head[i]
        if ch in b" \t\r\n":
            i += 1
        elif head.startswith(b"<?", i):
            end = head.find(b"?>", i + 2)
            if end < 0:
                return "unsure"
            i = end + 2
        elif head.startswith(b"<!--", i):
            end = head.find(b"-->", i + 4)
            if end < 0:
                return "unsure"
            i = end + 3
        elif head.startswith(b"<!", i):
            return "dtd"  # <!DOCTYPE (or <!ENTITY): the only other thing a prolog may hold
        elif ch == ord("<"):
            return "clean"  # the root element: no DTD can follow
        else:
            return "unsure"  # not well-formed here; the parser decides
    return "unsure" if n else "clean"


def _xml_finding_parsed(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Finding | None:
    try:
        with zf.open(info) as member:
            for _event in SafeET.iterparse(member, events=("start",), forbid_dtd=True):
                break
    except DefusedXmlException:
        return Finding("xml-entities", {"part": info.filename})
    except SafeET.ParseError:
        return Finding("corrupt-file", {})
    return None


def _content_findings(kind: str, names: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    if kind == "xlsm" or any(n.lower().startswith("basic/") for n in names):
        findings.append(Finding("macro-file", {}))
    parts = []
    if any(n.startswith("xl/externalLinks/") for n in names):
        parts.append("links til andre filer")
    # An .ods keeps its charts as "Object N/" parts: normal, so only OOXML objects count.
    if any(n.startswith(("xl/embeddings/", "xl/activeX/")) for n in names):
        parts.append("indlejrede objekter")
    if parts:
        findings.append(Finding("external-content", {"parts": " og ".join(parts)}))
    return findings


# --- custom document properties ------------------------------------------------------


def _read_properties(zf: zipfile.ZipFile, kind: str, limits: Limits) -> dict[str, str]:
    part = _ODS_META if kind == "ods" else _CUSTOM_PROPS
    try:
        info = zf.getinfo(part)
    except KeyError:
        return {}
    if info.file_size > limits.max_metadata_part:
        return {}
    try:
        root = SafeET.fromstring(zf.read(info), forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException):  # broken properties: the hidden sheet may still tell
        return {}
    return _ods_properties(root) if kind == "ods" else _ooxml_properties(root)


def _ooxml_properties(root) -> dict[str, str]:
    """<property name="sdexl_kommunekode"><vt:lpwstr>101</vt:lpwstr></property>; after a
    resave the value element may be vt:r8 or vt:i4: take its text whatever the type."""
    props: dict[str, str] = {}
    for prop in root:
        name = prop.get("name")
        value = next(iter(prop), None)
        if name and value is not None:
            props[name] = (value.text or "").strip()
    return props


def _ods_properties(root) -> dict[str, str]:
    """<meta:user-defined meta:name="sdexl_kommunekode">101</meta:user-defined> in meta.xml."""
    ns_meta = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
    props: dict[str, str] = {}
    for element in root.iter(f"{{{ns_meta}}}user-defined"):
        name = element.get(f"{{{ns_meta}}}name")
        if name:
            props[name] = (element.text or "").strip()
    return props


def sdexl_properties(container: Container) -> dict[str, str]:
    """The sdexl metadata among the custom properties, keyed without the prefix."""
    prefix = layout.PROPERTY_PREFIX
    return {
        key[len(prefix) :]: value
        for key, value in container.properties.items()
        if key.startswith(prefix) and key[len(prefix) :] in layout.META_KEYS
    }


# --- sheets, with calamine ----------------------------------------------------------------


def read_facts(path: Path) -> WorkbookFacts:
    """Sheet visibility, the _sdexl sheet and the Vejledning caption.

    ``path`` must carry the suffix of its sniffed kind (calamine chooses its
    reader by suffix). Raises calamine's errors for a file it cannot open.
    """
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        facts = WorkbookFacts(sheets={m.name: _visibility(m.visible) for m in workbook.sheets_metadata})
        meta_name = _find_sheet(facts.sheets, layout.META_SHEET)
        if meta_name:
            facts.meta_sheet = _key_values(_rows(workbook, meta_name, len(layout.META_KEYS) + 5))
        guide_name = _find_sheet(facts.sheets, layout.GUIDE_SHEET)
        if guide_name:
            rows = _rows(workbook, guide_name, 10)
            facts.guide_title = _cell_text(rows, 0, 0)
            facts.guide_kommune = _find_caption(rows)
        return facts
    finally:
        workbook.close()


def read_column_ids(path: Path, sheet: str, max_rows: int = 400) -> set[str]:
    """Every short text in the first rows of ``sheet``: where question ids sit.

    Used only when the metadata is gone, to tell which survey a file answers.
    """
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        found = _find_sheet({m.name: "" for m in workbook.sheets_metadata}, sheet)
        if not found:
            return set()
        rows = _rows(workbook, found, max_rows)
    finally:
        workbook.close()
    return {str(v).strip() for row in rows for v in row if isinstance(v, str) and 0 < len(v.strip()) <= 48}


def _visibility(value: Any) -> str:
    return str(value).rsplit(".", 1)[-1].lower()  # SheetVisibleEnum.VeryHidden -> "veryhidden"


def _find_sheet(sheets: dict[str, str], wanted: str) -> str | None:
    """Exact name first; a resave or a hand copy may change the case."""
    if wanted in sheets:
        return wanted
    return next((name for name in sheets if name.strip().casefold() == wanted.casefold()), None)


def _rows(workbook, sheet: str, limit: int) -> list[list[Any]]:
    data = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=limit)
    return [list(row) for row in data[:limit]]


def _key_values(rows: list[list[Any]]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() in layout.META_KEYS:
            pairs[row[0].strip()] = plain_text(row[1])
    return pairs


def _cell_text(rows: list[list[Any]], r: int, c: int) -> str | None:
    if r < len(rows) and c < len(rows[r]) and rows[r][c] not in (None, ""):
        return plain_text(rows[r][c])
    return None


def _find_caption(rows: list[list[Any]]) -> str | None:
    """Vejledning!B3, or wherever "(kommunekode NNN)" moved to if rows were inserted."""
    expected = _cell_text(rows, 2, 1)
    if expected and "kommunekode" in expected.lower():
        return expected
    for row in rows:
        for value in row:
            if isinstance(value, str) and "kommunekode" in value.lower():
                return value.strip()
    return expected


def plain_text(value: Any) -> str:
    """A metadata value as text: 101.0 (a resaved number) is "101"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text
