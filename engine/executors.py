"""Where tiles run: an interface and the local process pool (the default).

A worker reports when it starts a tile (so the tile shows PROCESSING) through a
queue, and returns a TileOutcome; it never touches the job store.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Optional, Protocol

from .tile_work import TileJob, TileOutcome

TileFunction = Callable[[TileJob], TileOutcome]


class TileExecutor(Protocol):
    capacity: int  # tiles that may be queued or running at once

    def submit(self, job: TileJob) -> Future: ...

    def started(self) -> list[tuple[str, int]]: ...

    def shutdown(self) -> None: ...


_started_queue: Optional[multiprocessing.Queue] = None


WORKER_NICENESS = 10  # tiles yield the CPU to the API process: status polls stay fast while a job runs
PARENT_CHECK_S = 0.5  # how often a worker looks whether the engine still lives


def _init_worker(started_queue: multiprocessing.Queue, engine_pid: int) -> None:
    global _started_queue
    _started_queue = started_queue
    os.nice(WORKER_NICENESS)
    _exit_when_orphaned(engine_pid)


def _exit_when_orphaned(engine_pid: int) -> None:
    """A worker whose engine died (kill -9, out of memory) would wait on the task pipe forever, since the
    workers themselves hold its other end. A daemon thread sees the parent change (the orphan is adopted
    by init or a subreaper) and ends the worker; it runs mid-tile too, since V8 is called through ctypes,
    which releases the GIL.

    Not prctl(PR_SET_PDEATHSIG): Linux only, and it fires when the *thread* that spawned the worker ends
    (the pool spawns from whichever thread submits), which would kill healthy workers. Once the engine and
    every worker are gone, multiprocessing's resource tracker reads EOF on its pipe and exits too."""

    def watch() -> None:
        while os.getppid() == engine_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)  # no cleanup to do: the tile in flight runs again when an engine starts

    threading.Thread(target=watch, name="tilewise-orphan-watch", daemon=True).start()


def run_tile(function: TileFunction, job: TileJob) -> TileOutcome:
    """Worker side: announce the start, run the tile, turn any exception into a reason."""
    if _started_queue is not None:
        _started_queue.put(job.key)
    start = time.monotonic()
    try:
        outcome = function(job)
    except Exception as exc:  # a tile's failure must never take the worker down
        reason = str(exc) or exc.__class__.__name__
        outcome = TileOutcome(
            job.request_id, job.tile_id, error=reason, warnings=[traceback.format_exc(limit=3)]
        )
    outcome.seconds = time.monotonic() - start
    return outcome


class LocalProcessExecutor:
    """A pool of worker processes on this machine (TILEWISE_WORKERS of them)."""

    def __init__(self, workers: int, function: TileFunction):
        self.workers = workers
        self.capacity = workers * 2  # one running and one waiting per worker keeps them busy
        self._function = function
        # spawn, not fork: the API process runs threads (uvicorn, scheduler) that fork would copy mid-flight.
        self._context = multiprocessing.get_context("spawn")
        self._started: multiprocessing.Queue = self._context.Queue()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(self._started, os.getpid()),
        )

    def submit(self, job: TileJob) -> Future:
        return self._pool.submit(run_tile, self._function, job)

    def started(self) -> list[tuple[str, int]]:
        keys = []
        while True:
            try:
                keys.append(self._started.get_nowait())
            except queue.Empty:
                return keys

    def replace_broken_pool(self) -> None:
        """After a worker died (killed, out of memory), start a fresh pool."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def shutdown(self) -> None:
        """Stop now: a tile in flight runs again when the engine restarts (the scheduler's recovery).

        The workers are terminated here rather than left to the pool's exit hook: uvicorn ends a server
        stopped by SIGTERM by raising SIGTERM again, which kills the process before exit hooks run, and
        the workers would live on, orphaned."""
        processes = list(getattr(self._pool, "_processes", {}).values())  # no public accessor
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
