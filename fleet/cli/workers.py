"""Simulated services in worker processes, with a progress bar (or a line now and
then when there is no terminal): what ``fleet bench floors`` and ``fleet size``
share. One service a process at a time, so the runs use every core and a run's
virtual clock is its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Call = tuple[tuple[Any, ...], Mapping[str, Any]]
"""The positional and keyword arguments of one call."""


def run_in_workers(fn: Callable[..., dict[str, Any]], calls: Sequence[Call], *, jobs: int,
                   label: str) -> list[dict[str, Any]]:
    """``fn(*args, **kwargs)`` for each call in ``jobs`` processes, in the order they
    finish (callers sort). ``fn`` must be a top-level function of picklable arguments."""
    err = Console(stderr=True, highlight=False)
    rows: list[dict[str, Any]] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar, \
            ProcessPoolExecutor(max_workers=jobs) as pool:
        task = bar.add_task(label, total=len(calls))
        futures = [pool.submit(fn, *args, **kwargs) for args, kwargs in calls]
        for future in as_completed(futures):
            rows.append(future.result())
            bar.advance(task)
            if not err.is_terminal and (len(rows) % 10 == 0 or len(rows) == len(calls)):
                # No bar without a terminal: a line now and then, so a log shows progress.
                err.print(f"{len(rows)}/{len(calls)} services run")
    return rows
