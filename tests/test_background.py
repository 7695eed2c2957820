"""The master's figures computed by a child on the other core: used when it delivers, and the same
master whatever the child does (delivers, fails, hangs, or cannot be forked)."""

from __future__ import annotations

import os
import re
import time
import zipfile

import pytest

from sdexl import background
from sdexl.publish import context
from sdexl.publish import master as master_module
from sdexl.publish.master import build_outputs
from tests.synthetic_snapshots import all_snapshots
from tests.test_master import workspace_with_population

pytestmark = pytest.mark.skipif(not background.can_fork(), reason="the figures are computed in the background only where sdexl forks")


def _parts(path) -> dict[str, bytes]:
    """Every part of the workbook, with the build time taken out (the one thing two builds differ in)."""
    with zipfile.ZipFile(path) as zf:
        return {n: BUILD_TIME.sub(b"<time>", zf.read(n)) for n in zf.namelist() if n != "docProps/core.xml"}


BUILD_TIME = re.compile(rb"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d")


def _build(ws, snapshots, monkeypatch, calls: list) -> dict[str, bytes]:
    real = context.distribution

    def counted(*args, **kwargs):
        calls.append(os.getpid())  # in the child, this list is the child's copy: the parent never sees it
        return real(*args, **kwargs)

    monkeypatch.setattr(context, "distribution", counted)
    build_outputs(ws, "sde-2022", snapshots)
    monkeypatch.setattr(context, "distribution", real)
    return _parts(ws.output_dir("sde-2022") / "master.xlsx")


@pytest.fixture
def ws(tmp_path):
    return workspace_with_population(tmp_path / "ws")


def _no_child_left() -> bool:
    """True when this process has no child, running or unreaped."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_child_computes_the_distributions_and_the_master_is_the_one_built_without_it(ws, monkeypatch):
    snapshots = all_snapshots()
    in_child: list = []
    with_child = _build(ws, snapshots, monkeypatch, in_child)
    assert in_child == []  # every distribution the sheets showed came from the child
    assert _no_child_left()

    monkeypatch.setattr(background, "can_fork", lambda: False)
    here: list = []
    alone = _build(ws, snapshots, monkeypatch, here)
    assert here and set(here) == {os.getpid()}  # without a child, this process computes them
    assert with_child == alone


@pytest.mark.parametrize("trouble", ["raises", "dies", "hangs"])
def test_whatever_goes_wrong_in_the_child_the_master_is_the_same(ws, monkeypatch, trouble):
    snapshots = all_snapshots()
    monkeypatch.setattr(background, "can_fork", lambda: False)
    expected = _build(ws, snapshots, monkeypatch, [])
    monkeypatch.undo()

    real_figures = master_module.figures

    def troubled(ctx):
        if trouble == "raises":
            raise RuntimeError("a bug in the background")
        if trouble == "dies":
            os._exit(3)
        time.sleep(30)  # longer than the timeout below
        real_figures(ctx)

    monkeypatch.setattr(master_module, "figures", troubled)
    monkeypatch.setattr(background, "TIMEOUT_SECONDS", 1.0)
    here: list = []
    started = time.monotonic()
    assert _build(ws, snapshots, monkeypatch, here) == expected
    assert here  # computed in this process instead
    assert time.monotonic() - started < 25  # a hanging child is given up, not waited for
    assert _no_child_left()


def _fake_workbooks(monkeypatch, fail_in_child: bool = False) -> list:
    """receipt_workbook replaced by one that says which process made it (the real one is xlsxwriter's)."""
    from sdexl.harvest import receipt as receipt_module

    parent = os.getpid()

    def made_by(receipt, config):
        if fail_in_child and os.getpid() != parent:
            raise RuntimeError("a bug in the background")
        return f"{receipt}:{os.getpid()}".encode()

    monkeypatch.setattr(receipt_module, "receipt_workbook", made_by)
    return receipt_module


def test_half_the_receipts_of_a_batch_are_made_on_the_other_core_in_their_order(monkeypatch, tmp_path):
    receipt_module = _fake_workbooks(monkeypatch)
    batch = [(tmp_path / f"{n}.xlsx", f"kvittering {n}") for n in range(10)]
    made = receipt_module._workbooks(batch, config=None)
    assert [path for path, _ in made] == [path for path, _ in batch]
    assert [data.split(b":")[0].decode() for _, data in made] == [r for _, r in batch]
    makers = [int(data.split(b":")[1]) for _, data in made]
    assert makers[:5] == [os.getpid()] * 5 and os.getpid() not in makers[5:]
    assert _no_child_left()


def test_a_small_batch_is_made_here_and_a_failing_child_is_made_up_for(monkeypatch, tmp_path):
    receipt_module = _fake_workbooks(monkeypatch, fail_in_child=True)
    small = [(tmp_path / f"{n}.xlsx", f"kvittering {n}") for n in range(receipt_module.SPLIT_FROM - 1)]
    assert {int(d.split(b":")[1]) for _, d in receipt_module._workbooks(small, None)} == {os.getpid()}
    batch = [(tmp_path / f"{n}.xlsx", f"kvittering {n}") for n in range(12)]
    made = receipt_module._workbooks(batch, None)
    assert [d.split(b":")[0].decode() for _, d in made] == [r for _, r in batch]
    assert {int(d.split(b":")[1]) for _, d in made} == {os.getpid()}
    assert _no_child_left()
