"""Work computed on the other core: a forked child that only computes and hands back its result.

A build writes one workbook, and harvest writes its receipts, in one process: one core of the
two. ``Background(compute)`` forks a child running ``compute()``; ``join()`` returns its result
(pickled through a pipe), or None. Used for:

* the master's costliest figures (sdexl.publish.master.figures): every answer distribution of the
  country and of each KKR, and the correlations (whose p-values need scipy's 0.07 s import), while
  this process writes data.csv, data.parquet, Oversigt and Data, which need none of them;
* half of each batch of receipt workbooks (sdexl.harvest.receipt), while this process makes the
  other half.

The child only computes: it writes no file and touches neither the ledger nor the workspace, so a
kill anywhere leaves what it left before, and every file is still written by this process.
Whatever goes wrong in the child (an exception, a crash, a hang beyond ``TIMEOUT_SECONDS``), the
caller computes the same thing itself, as it does where it cannot fork. The result is the same
either way: the child is a copy of this process.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 120.0  # far beyond the 0.2 s it takes on the benchmark: a stuck child is given up


class Background:
    """One forked child computing ``compute()``; ``join`` returns its result, or None."""

    def __init__(self, compute: Callable[[], Any]):
        self.pid: int | None = None
        self.fd: int | None = None
        if not can_fork():
            return
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read)
            _run_child(compute, write)
        os.close(write)
        self.pid, self.fd = pid, read

    def join(self) -> Any | None:
        """The child's result; None when there is none (it failed, or there was no child)."""
        if self.pid is None:
            return None
        pid, fd = self.pid, self.fd
        self.pid = self.fd = None
        try:
            payload = _read_all(fd, TIMEOUT_SECONDS)
        finally:
            os.close(fd)
        if payload is None:
            log.warning("the figures computed in the background took too long; computing them here")
            _kill(pid)
        _, status = os.waitpid(pid, 0)
        if payload is None or status != 0:
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a truncated payload: compute here instead
            return None


def can_fork() -> bool:
    """Fork where it is safe and cheap: Linux (macOS forks badly once system frameworks are loaded)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _run_child(compute: Callable[[], Any], fd: int) -> None:
    code = 1
    try:
        data = pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        code = 0
    except BaseException:  # noqa: BLE001 - the parent computes the figures itself
        code = 1
    finally:
        os._exit(code)  # no atexit, no finalizers: the parent's open files and ledger are not ours to close


def _read_all(fd: int, timeout: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None when it takes longer than ``timeout``."""
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
