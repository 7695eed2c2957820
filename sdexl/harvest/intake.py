"""Find returned files under incoming/ and archive their original bytes.

Harvest never writes to incoming/: consultants drop files there by hand and may
look at them later. Every file that is harvested is first copied, byte for byte,
to ``.sdexl/archive/<sha[:2]>/<sha><suffix>``; that copy is written once and
made read-only, so the ledger can always point at exactly what was received.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sdexl import faults
from sdexl.workspace import Workspace

# Files a consultant's tools leave behind. Excel writes "~$name.xlsx" while a
# file is open; LibreOffice ".~lock.name#"; mail clients and editors "*.tmp".
_IGNORED_PREFIXES = ("~$", ".~lock", ".")
_IGNORED_SUFFIXES = (".tmp", ".crdownload", ".part")
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", "readme.md"}  # readme.md: the note that explains incoming/
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Incoming:
    """One file found under incoming/."""

    path: Path
    name: str  # path relative to the workspace root, with "/": "incoming/runde1/101_København.xlsx"
    size: int
    received_at: str  # the file's modification time, ISO 8601 UTC: when it was saved from the mail
    ignored: bool

    @property
    def order_key(self) -> tuple[str, str]:
        """Received time first, the name breaks ties: deterministic supersede order."""
        return (self.received_at, self.name)


def is_ignored(path: Path) -> bool:
    """Lock files, temporary files and hidden files are never harvested."""
    lower = path.name.lower()
    return lower.startswith(_IGNORED_PREFIXES) or lower.endswith(_IGNORED_SUFFIXES) or lower in _IGNORED_NAMES


def discover(ws: Workspace) -> list[Incoming]:
    """Every regular file under incoming/ (recursively), oldest first.

    Hidden folders are skipped entirely (".git", ".Trash"); files inside
    them would not be something a consultant meant to drop.
    """
    if not ws.incoming.is_dir():
        return []
    found: list[Incoming] = []
    for dirpath, dirnames, filenames in os.walk(ws.incoming):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_symlink() or not path.is_file():
                continue
            found.append(_describe(ws, path))
    return sorted(found, key=lambda f: f.order_key)


def _describe(ws: Workspace, path: Path) -> Incoming:
    info = path.stat()
    received = dt.datetime.fromtimestamp(info.st_mtime, tz=dt.UTC)
    return Incoming(
        path=path,
        name=shown_path(path.relative_to(ws.root).as_posix()),
        size=info.st_size,
        received_at=received.isoformat(timespec="microseconds"),
        ignored=is_ignored(path),
    )


def shown_path(text: str) -> str:
    """``text`` as valid Unicode: bytes of a name that are not UTF-8 become ``\\xNN``.

    Unzipping a Windows archive leaves names in the archive's code page ("K\\xf8benhavn" for
    København in cp1252). Python reads such bytes as lone surrogates, which neither sqlite, JSON
    nor a terminal accepts; the escaped text is what the ledger, feedback and the CLI show, while
    the file itself is still opened by its real ``Path``.
    """
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def archive_suffix(path: Path) -> str:
    """The suffix the archive copy keeps: only a plain one (".xlsx"), never bytes from a broken name."""
    suffix = path.suffix.lower()
    return suffix if _PLAIN_SUFFIX.fullmatch(suffix) else ""


_PLAIN_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_bytes(ws: Workspace, data: bytes, sha256: str, suffix: str) -> Path:
    """As ``archive``, for bytes taken out of a mail or zip (harvest/mailbox.py): written once, read-only."""
    target = archive_path(ws, sha256, suffix if _PLAIN_SUFFIX.fullmatch(suffix.lower()) else "")
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def archive_path(ws: Workspace, sha256: str, suffix: str) -> Path:
    return ws.archive / sha256[:2] / f"{sha256}{suffix.lower()}"


def archive(ws: Workspace, source: Path, sha256: str) -> Path:
    """Copy ``source`` into the archive once; an existing copy is never touched.

    The copy is hashed while it is written and must match ``sha256``: a file
    still being saved into incoming/ cannot end up archived under the wrong
    hash. Raises ``ArchiveMismatch`` in that case.
    """
    target = archive_path(ws, sha256, archive_suffix(source))
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ArchiveMismatch(f"{source.name} changed while it was being archived")
        tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        faults.point("archive")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


class ArchiveMismatch(Exception):
    """The file changed between hashing and copying (it was still being written)."""
