"""Work computed on the other core: a forked child that only computes and hands back its result.

A build writes one workbook, and harvest writes its receipts, in one process: one core of the
two. ``Background(compute)`` forks a child running ``compute()`` (sdexl.harvest.isolate, as the
parse of a returned file, bounded in memory); ``join()`` returns its result, or None. Used for:

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
from collections.abc import Callable
from typing import Any

from sdexl.harvest import isolate

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 120.0  # far beyond the 0.2 s it takes on the benchmark: a stuck child is given up
MEMORY_BYTES = 2 * 1024**3  # beyond what the child inherits: a runaway child cannot take the machine


class Background:
    """One forked child computing ``compute()``; ``join`` returns its result, or None."""

    def __init__(self, compute: Callable[[], Any]):
        self._pending = isolate.start_isolated(compute, memory_bytes=MEMORY_BYTES) if can_fork() else None

    def join(self) -> Any | None:
        """The child's result; None when there is none (it failed, or there was no child)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        try:
            return pending.result(TIMEOUT_SECONDS)
        except isolate.IsolationError as exc:
            log.warning("work in the background failed (%s); doing it here", type(exc).__name__)
            return None


def can_fork() -> bool:
    """The same rule as the parse of returned files (sdexl.harvest.isolate)."""
    return isolate.can_fork()
