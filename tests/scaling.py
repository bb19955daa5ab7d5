"""How work grows with its input, measured in a way a slow or busy machine does not change.

A bound like "20,000 characters in under 50 ms" fails on a slow runner and misses a
regression on a fast one. Comparing the same work on two input sizes, in this thread's
CPU time (other processes do not count), is the same check on every machine: linear work
on 8x the input costs about 8x, quadratic work about 64x.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def growth(
    work: Callable[[str], object], text: Callable[[int], str], small: int, large: int
) -> float:
    """How many times the CPU time of ``work(text(small))`` that ``work(text(large))`` takes.

    Each side is the best of a few interleaved runs, which drops one-off stalls.
    """
    inputs = (text(small), text(large))
    best = [float("inf"), float("inf")]
    for _ in range(5):
        for side, value in enumerate(inputs):
            started = time.thread_time()
            work(value)
            best[side] = min(best[side], time.thread_time() - started)
    return best[1] / max(best[0], 1e-9)


def repeated(chunk: str) -> Callable[[int], str]:
    """A text of any length made of ``chunk`` over and over."""
    return lambda length: (chunk * (length // len(chunk) + 1))[:length]
