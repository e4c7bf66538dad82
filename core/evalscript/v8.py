"""V8 contexts for evalscripts, in the engine and in the plugin's script check: one place that starts V8.

mini-racer starts V8 with `--single-threaded` unless told otherwise, for programs that fork after starting it
(a forked child would inherit V8's worker threads' locks, not the threads). Nothing of ours forks with V8
running: the engine's worker processes are spawned (engine/executors.py), so are Dask's, and QGIS does not
fork its Python. With its background threads V8 compiles and collects garbage concurrently: the tutorial's
compiled evaluation takes ~40 % less CPU time (docs/benchmarks.md, "V8 flags").

Inside QGIS, V8 only reads a script's setup() for the dock's checks: milliseconds, where background threads
gain nothing. There the plugin keeps mini-racer's single-threaded V8 and runs one inspection at a time
(core/evalscript/inspect.py): two editors inspecting at once in QgsTask threads (the job form's and the field
statistics tab's) once crashed QGIS 3.44 (Python 3.14) with V8's breakpoint trap.
"""

from __future__ import annotations

from typing import Any

V8_FLAGS: tuple[str, ...] = ()  # V8's own defaults: background compilation and garbage collection
PLUGIN_V8_FLAGS: tuple[str, ...] = ("--single-threaded",)  # mini-racer's default, for the QGIS process


def new_context(flags: tuple[str, ...] = V8_FLAGS) -> Any:
    """A fresh MiniRacer context; the first one in the process starts V8 with `flags` (if something else
    started V8 before, with other flags, those stay: V8 starts once per process)."""
    from py_mini_racer import MiniRacer, init_mini_racer

    init_mini_racer(flags=flags, ignore_duplicate_init=True)
    return MiniRacer()
