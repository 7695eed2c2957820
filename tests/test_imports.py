"""What each entry point imports: start-up cost a user waits for on every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=True,
    )
    return set(done.stdout.split())


def test_scipy_is_imported_only_when_a_correlation_is_computed():
    build = "import sdexl.analysis.stats, sdexl.analysis.tables, sdexl.analysis.indicators, sdexl.publish.master"
    assert "scipy" not in _modules_after(build)
    computed = build + "\nfrom sdexl.analysis.stats import correlation\n"
    computed += "c = correlation({k: float(ord(k)) for k in 'abcdef'}, {k: float(ord(k)) ** 2 for k in 'abcdef'})\n"
    computed += "assert c.pearson_r is not None and c.spearman_rho == 1.0"
    loaded = _modules_after(computed)
    assert "scipy.special" in loaded and "scipy.stats" not in loaded  # scipy.stats alone costs about 0.7 s


def test_help_and_the_harvest_engine_import_neither_pandas_nor_scipy():
    for code in ("import sdexl.cli", "import sdexl.harvest.run, sdexl.harvest.read, sdexl.harvest.examine"):
        loaded = _modules_after(code)
        assert "pandas" not in loaded and "scipy" not in loaded, code
