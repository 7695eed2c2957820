"""One open zip per file while it is examined.

The container check, the sheet scan and the defined-name look-up each read the
same file's zip directory. ``examine`` opens the zip once for the whole
examination (``once``); the readers ask ``zip_file(path)`` instead of calling
``zipfile.ZipFile(path)`` and get that open zip when the path is the same file
(the hard link the reader is given counts: same device and inode), or their own
otherwise, exactly as before. A file that does not open as a zip is left to the
readers, which report it as they always did.

The container check inflates every member once to verify its CRC; it keeps the
bytes of those under 1 MB (``keep``), so the prolog check and the sheet scan read
them from memory instead of inflating the same member again (``read``).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_open: dict[tuple[int, int, int], zipfile.ZipFile] = {}
_members: dict[int, dict[str, bytes]] = {}  # id of an open shared zip -> member name -> its verified bytes


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size


@contextmanager
def once(path: Path, max_bytes: int) -> Iterator[None]:
    """Keep ``path``'s zip open for every ``zip_file(path)`` inside this block.

    A file over ``max_bytes`` is not opened here: the container check rejects it unread.
    """
    key = _identity(path)
    if key is None or key in _open or key[2] > max_bytes:
        yield
        return
    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # noqa: BLE001 - not a zip, or a broken one: the readers report it themselves
        yield
        return
    _open[key] = zf
    _members[id(zf)] = {}
    try:
        yield
    finally:
        del _open[key]
        del _members[id(zf)]
        zf.close()


@contextmanager
def zip_file(path: Path) -> Iterator[zipfile.ZipFile]:
    """``zipfile.ZipFile(path)`` as a context, or the zip ``once`` keeps open for the same file."""
    shared = _open.get(_identity(path)) if _open else None
    if shared is not None:
        yield shared
        return
    with zipfile.ZipFile(path) as zf:
        yield zf


def keep(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Remember a verified member of a shared zip for ``read`` (ignored for a zip of one's own)."""
    kept = _members.get(id(zf))
    if kept is not None:
        kept[name] = data


def read(zf: zipfile.ZipFile, name: str) -> bytes:
    """``zf.read(name)``, from memory when the container check kept it."""
    kept = _members.get(id(zf))
    if kept is not None and name in kept:
        return kept[name]
    return zf.read(name)
