"""Helpers the benchmarks share (bench/ is on sys.path when a benchmark runs as a script)."""

from __future__ import annotations

import time
from typing import Callable


def best_of(function: Callable[[], object], repeat: int = 5, warm_up: bool = False) -> float:
    """The fastest of `repeat` runs, in seconds; `warm_up` runs it once first (V8 optimises hot code)."""
    if warm_up:
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)
