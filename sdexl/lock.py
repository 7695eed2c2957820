"""One writer at a time: the workspace lock.

Commands that change the workspace (harvest, build, generate, send, import)
hold ``.sdexl/lock`` while they run. The lock itself is an operating-system
lock on that file (POSIX ``fcntl`` record lock; ``msvcrt`` on Windows): the
system drops it when the holder ends, however it ends, so a killed run never
leaves a lock that blocks the next one, and a forked child (harvest's parse
workers) does not inherit it. The file's content is only for people: who holds
it (pid, host, command) and since when. A second writer waits and says so, or
with ``wait=False`` raises ``WorkspaceBusy`` with that sentence.

Read-only commands (``status``) take no lock and never wait.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "lock"
POLL_SECONDS = 0.2

_held: dict[Path, int] = {}  # lock files this process holds, and how deep: a command calling another does not wait on itself


class WorkspaceBusy(Exception):
    """Another sdexl process holds the workspace lock."""


@dataclass(frozen=True)
class Holder:
    pid: int | None
    host: str
    command: str
    since: str

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid else "another sdexl process"
        if self.host and self.host != socket.gethostname():
            who += f" on {self.host}"
        what = f" ('sdexl {self.command}')" if self.command else ""
        return f"{who}{what} since {self.since or 'an unknown time'}"


@dataclass(frozen=True)
class Acquired:
    """What the caller may want to tell: that the previous holder did not end cleanly."""

    stale: Holder | None  # the holder named in the file when it ended without releasing (killed)


@contextmanager
def workspace_lock(
    state_dir: Path, command: str, wait: bool = True, say: Callable[[str], None] | None = None
) -> Iterator[Acquired]:
    """Hold the lock of the workspace whose state folder (.sdexl/) is ``state_dir``."""
    path = (Path(state_dir) / LOCK_NAME).resolve()
    if path in _held:  # already ours (sdexl demo harvesting inside one process): no second lock
        _held[path] += 1
        try:
            yield Acquired(stale=None)
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, wait, say)
        stale = _holder_in(fd)  # content left while nobody holds the lock: the holder was killed
        _write_holder(fd, command)
        _held[path] = 1
        try:
            yield Acquired(stale=stale)
        finally:
            del _held[path]
            os.ftruncate(fd, 0)  # released cleanly: nobody to name
            _unlock(fd)
    finally:
        os.close(fd)


def read_holder(state_dir: Path) -> Holder | None:
    """Who the lock file of this workspace names (None when nobody, or unreadable). For another process:
    opening and closing the file here would drop a POSIX lock this process holds."""
    try:
        return _parse((Path(state_dir) / LOCK_NAME).read_bytes())
    except OSError:
        return None


def _holder_in(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    return _parse(os.read(fd, 4096))


def _parse(raw: bytes) -> Holder | None:
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    return Holder(pid if isinstance(pid, int) else None, str(data.get("host", "")), str(data.get("command", "")),
                  str(data.get("since", "")))


def _acquire(fd: int, wait: bool, say: Callable[[str], None] | None) -> None:
    told = False
    while not _try_lock(fd):
        holder = _holder_in(fd) or Holder(None, "", "", "")
        if not wait:
            raise WorkspaceBusy(
                f"The workspace is busy: {holder.describe()} is changing it. Run the command again when that "
                "has finished, or without --no-wait to wait for it."
            )
        if not told and say is not None:
            say(f"Waiting for the workspace lock held by {holder.describe()} ...")
            told = True
        time.sleep(POLL_SECONDS)


def _write_holder(fd: int, command: str) -> None:
    since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": since})
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8"))


def _alive(holder: Holder | None) -> bool:
    """Whether the process a lock file names still runs (only knowable on this host)."""
    if holder is None or holder.pid is None or holder.host != socket.gethostname():
        return holder is not None and holder.pid is not None  # another host: assume it runs
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by somebody else
        return True
    return holder.pid != os.getpid()


def _by_content(fd: int) -> bool:
    """Where the file system has no locks (some network shares): the content decides. A holder that no
    longer runs left a stale lock, which is taken over."""
    return not _alive(_holder_in(fd))


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _REGION = 1 << 30  # lock a region past the content, so reading the content is never refused

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _REGION, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _REGION, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # A POSIX record lock, not flock: it belongs to this process only, so parse workers forked by
        # harvest do not keep it alive after a kill of the harvest itself.
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            return _by_content(fd)  # ENOLCK and the like: no locks on this file system
        return True

    def _unlock(fd: int) -> None:
        try:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError:  # never locked (no locks on this file system): closing is enough
            pass
