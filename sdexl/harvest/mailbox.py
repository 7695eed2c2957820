"""Returns that arrive as a saved mail (.eml) or a zip file: each attachment is harvested as its own file.

Municipalities forward the mail, or zip their workbook, and the consultant saves what came into
incoming/. Harvest unpacks such a file in memory, with the bounds workbooks have (container.LIMITS:
size, number of members, inflated bytes, compression ratio), and every spreadsheet inside becomes a
return of its own:

- its bytes are archived under their own hash like any return (intake.archive_bytes), and it is
  examined, recorded and answered like a file dropped in incoming/;
- its name is the container's followed by its own, "incoming/svar.eml/101_København.xlsx", so the
  ledger and ``sdexl status`` show where it came from, and its first issue is a note that says so
  ("mail svar.eml, attachment 101_København.xlsx"), which the feedback and the receipt repeat.

The mail or zip itself is archived byte for byte too, and recorded with the verdict "unpacked" and
a note listing what was taken out of it, or rejected with a Danish message when nothing in it can
be used. A container inside a container (a zip attached to a mail) is unpacked down to
``MAX_NESTING`` levels; deeper ones are rejected. Outlook's .msg format is not read: it is rejected
with a message asking for the workbook as a plain attachment.

Nothing here raises for a bad file: problems come back as ``Finding``s.
"""

from __future__ import annotations

import email
import email.policy
import io
import logging
import mimetypes
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sdexl.harvest.container import LIMITS, OLE_MAGIC, ZIP_MAGICS, Finding, Limits, _size_finding, _zip_kind
from sdexl.harvest.intake import Incoming, archive_bytes, is_ignored, sha256_bytes
from sdexl.harvest.report import FileReport

log = logging.getLogger(__name__)

CONTAINER_SUFFIXES = {".eml": "mail", ".zip": "zip", ".msg": "msg"}
# What is taken out of a container and harvested; anything else (a logo, a cover letter in .pdf) is
# skipped and named in the container's note. A part without a known suffix is taken when its bytes are
# a zip or OLE file (a workbook sent without its name).
HARVESTED_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".csv", *CONTAINER_SUFFIXES}
MAX_NESTING = 2  # a mail and a zip attached to it are unpacked; a container inside those is not
_JUNK_PARTS = ("__macosx",)  # the resource forks macOS puts in every zip it makes
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_MAX_PART = 200  # characters of one part of a member's name


@dataclass(frozen=True)
class Member:
    """A file taken out of a container: its name there (cleaned, "/"-separated) and its bytes."""

    name: str
    data: bytes


@dataclass
class Unpacked:
    kind: str  # mail, zip, msg
    members: list[Member] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # parts that are no spreadsheet, by name
    finding: Finding | None = None  # why nothing could be taken out
    workbook: bool = False  # a workbook named .zip: no container, examined as the workbook it is

    @property
    def ok(self) -> bool:
        return self.finding is None and bool(self.members)


# --- what is a container ------------------------------------------------------------------------


def container_kind(name: str, head: bytes) -> str | None:
    """"mail", "zip" or "msg" for a file harvest unpacks; None for anything else (a workbook, too)."""
    kind = CONTAINER_SUFFIXES.get(PurePosixPath(name).suffix.lower())
    if kind == "zip" and not head.startswith(ZIP_MAGICS):
        return None  # not a zip whatever its name: examined (and refused) as what it is
    if kind == "msg" and not head.startswith(OLE_MAGIC):
        return None
    return kind


def nesting(name: str) -> int:
    """How many containers ``name`` lies in: "incoming/a.eml/b.zip/c.xlsx" lies in 2."""
    parts = PurePosixPath(name).parts[1:-1]
    return sum(1 for part in parts if PurePosixPath(part).suffix.lower() in CONTAINER_SUFFIXES)


def source_of(name: str) -> tuple[str, str, str] | None:
    """(kind, container's name, member's name) for a file taken out of a container, else None."""
    parts = PurePosixPath(name).parts
    for i in range(len(parts) - 2, 0, -1):
        kind = CONTAINER_SUFFIXES.get(PurePosixPath(parts[i]).suffix.lower())
        if kind:
            return kind, parts[i], "/".join(parts[i + 1 :])
    return None


# --- unpacking ------------------------------------------------------------------------------------


def unpack(data: bytes, kind: str, limits: Limits = LIMITS) -> Unpacked:
    """The spreadsheets (and containers) in ``data``, bounded like a workbook; never raises."""
    if len(data) > limits.max_file_bytes:
        sizes = {"size_mb": _mb(len(data)), "limit_mb": _mb(limits.max_file_bytes)}
        return Unpacked(kind, finding=Finding("too-large", sizes))
    try:
        if kind == "zip":
            found = _unpack_zip(data, limits)
        elif kind == "mail":
            found = _unpack_mail(data, limits)
        else:
            return Unpacked(kind, finding=Finding("msg-unsupported"))
    except Exception as exc:  # noqa: BLE001 - zipfile and email raise many types for a broken file; all mean "broken"
        log.info("a %s could not be unpacked (%s)", kind, type(exc).__name__)
        return Unpacked(kind, finding=Finding("corrupt-file"))
    if found.finding is None and not found.members and not found.workbook:
        only = _only(found.skipped)
        found.finding = Finding("mail-without-workbook" if kind == "mail" else "zip-without-workbook", {"only": only})
    if found.finding is None and (total := sum(map(_expanded_size, found.members))) > limits.max_total_uncompressed:
        # Counted with what a zip or mail inside it will give, so the whole tree stays within one bound.
        found.finding = Finding("archive-too-large", {"detail": f"{_mb(total)} MB udpakket"})
        found.members = []
    return found


def _expanded_size(member: Member) -> int:
    """A member's bytes, and for a zip among them what its directory says it inflates to."""
    size = len(member.data)
    if container_kind(member.name, member.data[:8]) == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(member.data)) as zf:
                size += sum(i.file_size for i in zf.infolist())
        except (zipfile.BadZipFile, ValueError, OSError, UnicodeError, NotImplementedError):
            pass  # refused when it is examined itself
    elif container_kind(member.name, member.data[:8]) == "mail":
        size += len(member.data)  # decoded attachments are no larger than the mail
    return size


def _unpack_zip(data: bytes, limits: Limits) -> Unpacked:
    found = Unpacked("zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if _zip_kind(zf) is not None:  # a workbook named .zip: examined as the workbook it is
            found.workbook = True
            return found
        infos = [i for i in zf.infolist() if not i.is_dir()]
        bomb = _size_finding(infos, limits)
        if bomb is not None:
            found.finding = Finding("archive-too-large", bomb.fields)
            return found
        if any(i.flag_bits & 0x1 for i in infos):
            found.finding = Finding("archive-encrypted")
            return found
        for info in infos:
            name = clean_name(_zip_member_name(info))
            if not name or _junk(name):
                continue
            with zf.open(info) as member:
                head = member.read(8)
            if not harvested(name, head):
                found.skipped.append(name)
                continue
            with zf.open(info) as member:  # zipfile stops at the declared size and checks the CRC
                body = member.read(limits.max_file_bytes + 1)
            if len(body) > limits.max_file_bytes:
                found.finding = Finding("archive-too-large", {"detail": f"{_mb(len(body))} MB i én fil"})
                return found
            found.members.append(Member(name, body))
    return found


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """The name as the sender saw it. Without the UTF-8 flag zipfile reads cp437; Windows in Denmark writes
    cp850, and macOS writes UTF-8 without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp850", errors="replace")


def _unpack_mail(data: bytes, limits: Limits) -> Unpacked:
    found = Unpacked("mail")
    message = email.message_from_bytes(data, policy=email.policy.default)
    total = 0
    for n, part in enumerate(_attachments(message), start=1):
        if n > limits.max_members:
            detail = f"mere end {limits.max_members} vedhæftede filer"
            found.finding = Finding("archive-too-large", {"detail": detail})
            return found
        body = part.get_payload(decode=True) or b""
        name = clean_name(_attachment_name(part, n))
        if not harvested(name, body[:8]):
            found.skipped.append(name)
            continue
        total += len(body)
        if total > limits.max_total_uncompressed:
            found.finding = Finding("archive-too-large", {"detail": f"{_mb(total)} MB vedhæftet"})
            return found
        found.members.append(Member(name, body))
    return found


def _attachments(message) -> Iterator:
    """Every leaf part that is a file (named, or sent as an attachment); the mail's own text is not."""
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        if part.get_filename() is None and disposition != "attachment":
            continue
        yield part


def _attachment_name(part, n: int) -> str:
    name = part.get_filename()
    if name and "\ufffd" in str(name):
        name = _raw_filename(part) or name
    if name:
        return _unescape(str(name))
    suffix = mimetypes.guess_extension(part.get_content_type() or "") or ""
    return f"vedhæftet fil {n}{suffix}"


_FILENAME_PARAM = re.compile(r'(?i)\b(?:file)?name="?([^";\r\n]+)')


def _raw_filename(part) -> str | None:
    """A name written into the header as raw 8-bit bytes (no RFC 2231 encoding), which the parser shows as
    U+FFFD: its bytes as UTF-8 when they are, else as cp1252, as a Danish Windows mail client wrote them."""
    for key, value in part.raw_items():
        if key.lower() not in ("content-disposition", "content-type"):
            continue
        found = _FILENAME_PARAM.search(str(value))
        if found is None:
            continue
        raw = found[1].strip().encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return None


def _unescape(text: str) -> str:
    """A header with raw 8-bit bytes comes out of the parser with lone surrogates: show the bytes as \\xNN."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def clean_name(name: str) -> str:
    """A member's name as text that is safe to show and store: "/"-separated, no "..", no control characters.

    The name is never used to write a file (members are archived by hash), only to be shown.
    """
    parts = []
    for part in name.replace("\\", "/").split("/"):
        part = _UNSAFE_CHARS.sub("_", part).strip()
        if part in ("", ".", ".."):
            continue
        parts.append(part[:_MAX_PART])
    return "/".join(parts)


def harvested(name: str, head: bytes) -> bool:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in HARVESTED_SUFFIXES:
        return True
    return suffix in ("", ".bin", ".dat") and head.startswith((OLE_MAGIC, *ZIP_MAGICS))


def _junk(name: str) -> bool:
    parts = name.split("/")
    return parts[0].lower() in _JUNK_PARTS or is_ignored(Path(parts[-1]))


def _only(skipped: list[str]) -> str:
    if not skipped:
        return ""
    from sdexl import messages

    return messages.PHRASES["only-other-files"].format(names=_names(skipped))


def _names(names: list[str]) -> str:
    from sdexl import messages

    shown = [PurePosixPath(n).name for n in names[:10]]
    more = len(names) - len(shown)
    return messages.join_and(shown + ([f"{more} andre"] if more else []))


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


# --- in harvest: the parent's side (members into the archive and the list of files) ----------------


@dataclass(frozen=True)
class Bounds:
    """How the parse of one container is bounded, as a workbook's (run.Options)."""

    timeout: float = 60.0
    memory_mb: int = 1536
    isolate: bool = True
    limits: Limits = LIMITS


def expand(ws, files: list[Incoming], bounds: Bounds | None = None) -> list[Incoming]:
    """``files`` with the members of each mail and zip right after it, archived and described like files
    found in incoming/. A container that cannot be unpacked stays alone: its examination says why."""
    bounds = bounds or Bounds()
    out: list[Incoming] = []
    for incoming in files:
        out.append(incoming)
        if incoming.ignored:
            continue
        try:
            out += list(_members(ws, incoming, 0, bounds))
        except Exception as exc:  # noqa: BLE001 - a bug here must not stop the harvest; the examination reports it
            log.warning("a container could not be unpacked (%s)", type(exc).__name__)
    return out


def _members(ws, incoming: Incoming, level: int, bounds: Bounds) -> Iterator[Incoming]:
    if PurePosixPath(incoming.name).suffix.lower() not in CONTAINER_SUFFIXES:
        return  # the common case, decided without opening the file
    with incoming.path.open("rb") as fh:
        head = fh.read(8)
    kind = container_kind(incoming.name, head)
    if kind is None or level >= MAX_NESTING or incoming.size > bounds.limits.max_file_bytes:
        return
    found = _unpack_bounded(incoming.path, kind, bounds)
    if not found.ok:
        return
    taken: set[str] = set()
    for member in found.members:
        name = _unique(f"{incoming.name}/{member.name}", taken)
        sha = sha256_bytes(member.data)
        path = archive_bytes(ws, member.data, sha, PurePosixPath(member.name).suffix)
        child = Incoming(path=path, name=name, size=len(member.data), received_at=incoming.received_at,
                         ignored=False)
        yield child
        yield from _members(ws, child, level + 1, bounds)


def _unpack_bounded(path: Path, kind: str, bounds: Bounds) -> Unpacked:
    """``unpack`` in a child bounded in time and memory, like a workbook's parse: the mail parser and zipfile
    see untrusted bytes. A container that exceeds a bound yields nothing; its examination rejects it."""
    from sdexl.harvest import isolate

    if not bounds.isolate or not isolate.can_fork():
        return unpack(path.read_bytes(), kind, bounds.limits)
    try:
        return isolate.call_isolated(
            _unpack_path, path, kind, bounds.limits, timeout=bounds.timeout, memory_bytes=bounds.memory_mb << 20
        )
    except isolate.IsolationError as exc:
        log.warning("a %s could not be unpacked in time and memory (%s)", kind, type(exc).__name__)
        return Unpacked(kind, finding=Finding("too-slow", {"seconds": f"{bounds.timeout:.0f}"}))


def _unpack_path(path: Path, kind: str, limits: Limits) -> Unpacked:
    return unpack(path.read_bytes(), kind, limits)


def _unique(name: str, taken: set[str]) -> str:
    """Two attachments with the same name ("Skema.xlsx" twice) get "Skema (2).xlsx"."""
    candidate, n = name, 1
    path = PurePosixPath(name)
    while candidate in taken:
        n += 1
        candidate = str(path.with_name(f"{path.stem} ({n}){path.suffix}"))
    taken.add(candidate)
    return candidate


# --- in the examination: the child's side (verdicts and notes) ----------------------------------


def examine_container(archived: Path, name: str, limits: Limits = LIMITS):
    """The outcome for a mail or zip ("unpacked", or rejected with the reason); None for any other file."""
    from sdexl.harvest.examine import Outcome

    with archived.open("rb") as fh:
        head = fh.read(8)
    kind = container_kind(name, head)
    if kind is None:
        return None
    display = PurePosixPath(name).name
    notes = source_notes(name)
    if nesting(name) >= MAX_NESTING:
        finding = Finding("nested-too-deep")
        return Outcome("rejected", kind, FileReport(issues=notes + [finding.issue(display)]))
    found = unpack(archived.read_bytes(), kind, limits)
    if found.workbook:
        return None
    if found.finding is not None:
        return Outcome("rejected", kind, FileReport(issues=notes + [found.finding.issue(display)]))
    skipped = _skipped_text(found.skipped)
    note = Finding(f"unpacked-{kind}", {"names": _names([m.name for m in found.members]), "skipped": skipped})
    return Outcome("unpacked", kind, FileReport(issues=notes + [note.issue(display)]))


def _skipped_text(skipped: list[str]) -> str:
    if not skipped:
        return ""
    from sdexl import messages

    return messages.PHRASES["skipped-files"].format(names=_names(skipped))


def source_notes(name: str) -> list:
    """A note saying which mail or zip the file came out of (none for a file found in incoming/ itself)."""
    source = source_of(name)
    if source is None:
        return []
    kind, container_name, member = source
    code = "from-mail" if kind == "mail" else "from-zip"
    return [Finding(code, {"container": container_name, "member": member}).issue(PurePosixPath(name).name)]
