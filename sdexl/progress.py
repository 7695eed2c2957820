"""Progress for long commands: a rich bar in a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(total: int, title: str, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yields ``advance(label)``; call it once per finished item."""
    if not enabled:
        yield lambda label: None
        return
    if not sys.stderr.isatty():
        done = 0
        # A log (CI, a pipe) gets about ten lines, not one per file.
        step = max(1, total // 10)

        def plain(label: str) -> None:
            nonlocal done
            done += 1
            if done % step == 0 or done == total:
                # Files unpacked from a mail or zip can outnumber the files counted at the start.
                print(f"{title}: {done}/{max(total, done)} {label}", file=sys.stderr)

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.fields[label]}"), transient=False) as bar:
        task = bar.add_task(title, total=total, label="")
        yield lambda label: bar.update(task, advance=1, label=label)
