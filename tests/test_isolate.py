"""The pool of forked workers behind a harvest: every file bounded, order kept, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sdexl.harvest import isolate

pytestmark = pytest.mark.skipif(not isolate.can_fork(), reason="the pool needs fork")

MB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, state) of every process whose parent is ``pid``, zombies included."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append((int(entry.name), fields[0]))
    return found


@pytest.fixture(autouse=True)
def no_processes_left():
    before = {p for p, _ in _children(os.getpid())}
    yield
    left = [(p, s) for p, s in _children(os.getpid()) if p not in before]
    assert left == [], f"processes left behind (pid, state): {left}"


def square(n, delay):
    time.sleep(delay)
    return n * n


def sleeper(n, seconds):
    time.sleep(seconds)
    return n


def allocate(n, megabytes):
    block = bytearray(megabytes * MB)
    return n + len(block) // MB - megabytes


def exit_hard(n, code):
    if code:
        os._exit(code)
    return n


def raise_value_error(n, secret):
    if n == 1:
        raise ValueError(f"cell text {secret}")
    return n


def pid_of_worker(n):
    return os.getpid()


def shared_and_varying(n, lock, table):
    return n, table[n]


def run_all(fn, jobs, **kw):
    kw.setdefault("timeout", 20)
    kw.setdefault("memory_bytes", 512 * MB)
    return list(isolate.map_isolated(fn, jobs, **kw))


def test_results_come_back_in_the_order_of_the_jobs():
    # Later jobs finish first, so the pool must hold their answers back.
    jobs = [(n, 0.05 * (6 - n)) for n in range(7)]
    out = run_all(square, jobs, workers=3)
    assert [(i, r, e) for i, r, e in out] == [(n, n * n, None) for n in range(7)]


def test_a_job_past_the_time_limit_is_rejected_and_the_others_finish():
    jobs = [(0, 0.0), (1, 60.0), (2, 0.0), (3, 0.0), (4, 0.0)]
    started = time.monotonic()
    out = run_all(sleeper, jobs, workers=2, timeout=1.0)
    assert time.monotonic() - started < 15
    assert [r for _, r, _ in out] == [0, None, 2, 3, 4]
    assert isinstance(out[1][2], isolate.TimedOut)
    assert all(e is None for i, _, e in out if i != 1)


def test_a_job_past_the_memory_limit_is_rejected_and_its_worker_replaced():
    jobs = [(0, 1), (1, 2000), (2, 1), (3, 1)]
    out = run_all(allocate, jobs, workers=1, memory_bytes=200 * MB)
    assert [r for _, r, _ in out] == [0, None, 2, 3]
    assert isinstance(out[1][2], isolate.OutOfMemory)


def test_a_worker_that_dies_rejects_its_job_only():
    jobs = [(0, 0), (1, 7), (2, 0), (3, 0)]
    out = run_all(exit_hard, jobs, workers=1)
    assert [r for _, r, _ in out] == [0, None, 2, 3]
    assert isinstance(out[1][2], isolate.Crashed)
    assert out[1][2].args == (7,)
    # A death counts as a breach of the bounds for harvest (the "too slow / too much memory" message).
    assert isinstance(out[1][2], isolate.OutOfMemory)


def test_an_exception_comes_back_as_its_type_name_only():
    out = run_all(raise_value_error, [(n, "Jens Hansen") for n in range(3)], workers=1)
    assert [r for _, r, _ in out] == [0, None, 2]
    error = out[1][2]
    assert isinstance(error, isolate.ChildFailed) and error.args == ("ValueError",)
    assert "Jens" not in repr(error)


def test_workers_are_reused_and_replaced_after_n_jobs():
    out = run_all(pid_of_worker, [(n,) for n in range(7)], workers=1, jobs_per_worker=3)
    pids = [r for _, r, _ in out]
    assert os.getpid() not in pids
    assert pids[0] == pids[1] == pids[2] != pids[3]
    assert pids[3] == pids[4] == pids[5] != pids[6]
    assert len(set(pids)) == 3


def test_the_pool_is_no_larger_than_the_jobs():
    out = run_all(pid_of_worker, [(n,) for n in range(2)], workers=8)
    assert len({r for _, r, _ in out}) <= 2
    out = run_all(square, [(n, 0.3) for n in range(4)], workers=2)
    assert [r for _, r, _ in out] == [0, 1, 4, 9]


def test_arguments_shared_by_every_job_are_inherited_not_pickled():
    lock = threading.Lock()  # a lock cannot be pickled: it can only reach the worker by fork
    table = {n: f"row {n}" for n in range(5)}
    out = run_all(shared_and_varying, [(n, lock, table) for n in range(5)], workers=2)
    assert [r for _, r, _ in out] == [(n, f"row {n}") for n in range(5)]


def test_stopping_early_leaves_no_worker_behind():
    results = isolate.map_isolated(sleeper, [(n, 0.2) for n in range(6)], timeout=20, memory_bytes=512 * MB, workers=2)
    assert next(results) == (0, 0, None)
    results.close()  # the no_processes_left fixture checks that the workers were stopped


def test_workers_stop_when_the_harvest_process_is_killed():
    script = textwrap.dedent(
        """
        import os, signal, sys, time
        from sdexl.harvest import isolate
        def work(n, seconds):
            time.sleep(seconds)
            return n
        jobs = [(0, 0.0)] + [(n, 1.0) for n in range(1, 10)]
        for index, result, error in isolate.map_isolated(work, jobs, timeout=30, memory_bytes=2**29, workers=2):
            children = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
            print(" ".join(children), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == -signal.SIGKILL, done.stderr
    workers = [int(p) for p in done.stdout.splitlines()[0].split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.1)
    alive = [
        p for p in workers if Path(f"/proc/{p}").exists() and "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]
    ]
    assert alive == []


def test_call_isolated_bounds_one_call():
    assert isolate.call_isolated(square, 3, 0.0, timeout=10, memory_bytes=512 * MB) == 9
    with pytest.raises(isolate.TimedOut):
        isolate.call_isolated(sleeper, 1, 30.0, timeout=0.5, memory_bytes=512 * MB)
    with pytest.raises(isolate.Crashed):
        isolate.call_isolated(exit_hard, 1, 5, timeout=10, memory_bytes=512 * MB)
