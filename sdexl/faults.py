"""Kill points for the crash test (tests/test_crash.py), and nothing else.

``SDEXL_FAULT=<point>`` makes the process kill itself with SIGKILL where it
passes ``<point>``; ``<point>@<n>`` at the n-th pass. SIGKILL runs no cleanup
(no ``finally``, no atexit), like ``kill -9`` or a power cut, so the test sees
exactly what such a stop leaves. Unset, as always outside that test, a point
costs one environment look-up.

Points: ``archive`` (a partial archive copy written, not yet renamed),
``examined`` (a file examined, not yet recorded), ``record`` (a file recorded,
maybe not committed), ``recorded`` (every file recorded; supersede, feedback
and receipts not done), ``feedback`` (a feedback workbook written), and
``write:<file name>`` (an output's temporary written, not yet renamed into
place, sdexl.atomic).
"""

from __future__ import annotations

import os
import signal

_passes: dict[str, int] = {}


def point(name: str) -> None:
    wanted = os.environ.get("SDEXL_FAULT")
    if not wanted:
        return
    target, _, nth = wanted.partition("@")
    if target != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
