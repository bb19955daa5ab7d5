"""Run progress: a rich bar on a terminal, silence otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress

# rich's progress bar loads only when one is drawn (not with -q, nor off a terminal)


class Reporter:
    """The no-op reporter; :class:`RichReporter` draws what these calls describe."""

    def add_total(self, amount: int) -> None:
        """More papers to go through (the input's estimated size, or a chunk at a time)."""

    def advance(self, amount: int = 1) -> None:
        """Papers finished: cached, skipped, extracted or failed."""

    def spend(self, tokens: int, cost: float, failed: int) -> None:
        """Running totals for the bar's right-hand side."""

    def flight(self, in_flight: int, limit: int) -> None:
        """Calls in flight now, and how many the engine currently allows."""


class RichReporter(Reporter):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task(
            "extract", total=None, tokens=0, cost=0.0, failed=0, flight="-"
        )

    def add_total(self, amount: int) -> None:
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.task, total=total + amount)

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)

    def spend(self, tokens: int, cost: float, failed: int) -> None:
        self.progress.update(self.task, tokens=tokens, cost=cost, failed=failed)

    def flight(self, in_flight: int, limit: int) -> None:
        self.progress.update(self.task, flight=f"{in_flight}/{limit}")


@contextmanager
def progress_reporter(enabled: bool = True, *, paid: bool = False) -> Iterator[Reporter]:
    """Papers done of the input's (estimated) total, rate and ETA; spend and failures for paid
    runs. Fits 80 columns; quiet off a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield Reporter()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "--/s")

    columns: list[Any] = [
        TextColumn("papers"),
        BarColumn(bar_width=16),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(compact=True, elapsed_when_finished=True),
    ]
    if paid:
        columns += [
            TextColumn("${task.fields[cost]:.4f}"),
            TextColumn("failed {task.fields[failed]}"),
            TextColumn("in flight {task.fields[flight]}"),
        ]
    with Progress(*columns, transient=True) as progress:
        yield RichReporter(progress)
