"""Both demo masters (sde-2022 with sde-2023, and sde-2024), built once per test process.

``sdexl demo`` runs a whole round on synthetic data (generate, returns with the
usual mistakes, harvest, masters); it takes a minute or two, so the tests that
read or render its masters share one run.
"""

from __future__ import annotations

import functools
from pathlib import Path

from sdexl.demo import run_demo

MASTERS = ("sde-2022", "sde-2024")


@functools.lru_cache(maxsize=1)
def demo_root() -> Path:
    """The workspace of one demo run (a temporary folder, without LibreOffice resaving: faster)."""
    return run_demo(None, progress=False, soffice=None).root


def demo_master(survey_id: str) -> Path:
    return demo_root() / "output" / survey_id / "master.xlsx"
