"""Tiles on a Dask distributed cluster: an existing scheduler (`dask://host:port`) or a LocalCluster.

The API process stays the only writer of the job store. A Dask worker gets the
self-contained TileJob, runs `run_tile` (the same wrapper as the process pool)
and returns the TileOutcome; nothing is shared between workers but the delivery
target (S3, or a folder every worker mounts at the same path).

- Start: the worker logs an event on the `tilewise-started` topic when it
  starts a tile; the executor is subscribed to it and `started()` hands the
  keys to the scheduler, which marks the tiles PROCESSING.
- A worker that dies mid-tile: Dask runs the task again on another worker
  (`distributed.scheduler.allowed-failures` times, 3 by default). The executor
  counts the start events of each submission, so it knows an attempt that
  followed one that died. If that attempt found outputs of the one that died
  and refused them as someone else's (before computing anything), the tile goes
  back to PENDING without counting an attempt and its next submission replaces
  them (`TileJob.resume`): each object is whole, the tile is delivered once.
  Nothing of this costs a message while workers live. When Dask gives up
  (KilledWorker) the tile fails that attempt and the engine's own retries submit
  it again, also resuming.
- The scheduler gone: unfinished tiles go back to PENDING without counting an
  attempt, `capacity` drops to 0 so the job pauses, and the executor reconnects
  in the background. If the scheduler stays away longer than the timeout
  (TILEWISE_DASK_TIMEOUT), submissions fail at once with a reason that names the
  scheduler, so the requests end FAILED saying why.
- Cancel and stop: a tile that has not started is cancelled on the cluster; a
  tile that has started finishes and is recorded (as with the process pool).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Optional

import dask
import yaml
from distributed import Client, LocalCluster, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from .executors import WORKER_NICENESS, TileFunction, run_tile
from .tile_work import TileJob

# The Dask settings tiles run best with (why: in the file); a cluster of your own installs the same file.
WORKER_CONFIG_FILE = Path(__file__).with_name("dask-worker.yaml")

log = logging.getLogger(__name__)

STARTED_TOPIC = "tilewise-started"
RECONNECT_PAUSE_S = 0.5
# How often the engine asks the scheduler how many worker threads it has (to size what it submits):
# each ask is a round trip that the scheduler's event loop answers, so not at the watchdog's pace.
WORKERS_REFRESH_S = 5.0


class SchedulerUnavailable(RuntimeError):
    """The Dask scheduler has been unreachable for longer than the engine waits."""


def scheduler_address(executor: str) -> Optional[str]:
    """`dask://host:port` → `tcp://host:port`, `dask+tls://host:port` → `tls://…`; None for `dask-local`."""
    if executor == "dask-local":
        return None
    for prefix, protocol in (("dask+tls://", "tls://"), ("dask://", "tcp://")):
        if executor.startswith(prefix) and len(executor) > len(prefix):
            return protocol + executor[len(prefix) :]
    raise ValueError(f"not a Dask executor: {executor!r}")


def worker_config(path: Path = WORKER_CONFIG_FILE) -> dict[str, object]:
    """The worker settings file as dotted keys for `dask.config.set` (which replaces whole subtrees
    given a nested dict)."""

    def flatten(prefix: str, value: object) -> dict[str, object]:
        if isinstance(value, dict) and value:
            return {k: v for key, item in value.items() for k, v in flatten(f"{prefix}{key}.", item).items()}
        return {prefix[:-1]: value}

    return flatten("", yaml.safe_load(path.read_text()))


# --- the worker side -------------------------------------------------------------------------------------


def run_dask_tile(function: TileFunction, job: TileJob, dask_key: str) -> object:
    """On a Dask worker: announce the start (one message, batched with the worker's others), run the tile."""
    get_worker().log_event(STARTED_TOPIC, [job.request_id, job.tile_id, dask_key])
    return run_tile(function, job)


class Niceness(WorkerPlugin):
    """Worker plugin of the LocalCluster: tiles yield the CPU to the API process, like the process pool."""

    name = "tilewise-niceness"
    idempotent = True

    def setup(self, worker) -> None:
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)


# --- the API side ----------------------------------------------------------------------------------------


class TileFuture(Future):
    """A tile's future in the API process. Cancel works until the tile has started on a worker;
    `requeue` cancels it whatever its state (the cluster lost it: the scheduler puts it back to PENDING)."""

    started = False

    def cancel(self) -> bool:
        if self.started:
            return False
        return super().cancel()

    def requeue(self) -> bool:
        return super().cancel()


class _Task:
    __slots__ = ("job", "future", "dask_key", "dask_future", "starts")

    def __init__(self, job: TileJob, future: TileFuture, dask_key: str):
        self.job = job
        self.future = future
        self.dask_key = dask_key  # one per submission
        self.dask_future = None
        self.starts = 0  # attempts that started: more than one when a worker died running it


class DaskExecutor:
    """Tiles as Dask tasks on `address` (a running scheduler), or on a LocalCluster of `workers` processes."""

    def __init__(
        self,
        function: TileFunction,
        address: Optional[str] = None,
        workers: int = 1,
        lost_timeout_s: float = 600.0,
        connect_timeout_s: float = 10.0,
    ):
        self.kind = "dask" if address else "dask-local"
        self.address = address
        self.workers = workers
        self.lost_timeout_s = lost_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._function = function
        self._lock = threading.RLock()
        self._tasks: dict[str, _Task] = {}  # by Dask key
        self._started: deque[tuple[str, int]] = deque()
        self._resume: set[tuple[str, int]] = set()  # keys whose last attempt may have delivered part
        self._client = None
        self._cluster = None
        self._dashboard: Optional[str] = None
        self._threads = 0
        self._lost_since: Optional[float] = time.monotonic()  # not connected yet
        self._last_error: Optional[str] = None
        self._closing = threading.Event()
        self._connected = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="tilewise-dask", daemon=True)
        self._watchdog.start()

    # --- connection ------------------------------------------------------------------------------------

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _watch(self) -> None:
        refreshed = time.monotonic()
        while not self._closing.is_set():
            client = self._client
            if client is None:
                try:
                    self._connect()
                except Exception as exc:  # keep trying: the scheduler may come back
                    self._last_error = f"{exc.__class__.__name__}: {exc}"
                    log.warning("Dask scheduler %s not reachable: %s", self.address or "(local)", exc)
                    self._closing.wait(RECONNECT_PAUSE_S)
                continue
            if client.status != "running":
                log.warning("Lost the Dask scheduler %s (client %s)", self.address, client.status)
                self._drop_client()
                continue
            if time.monotonic() - refreshed >= WORKERS_REFRESH_S:
                self._refresh_workers()
                refreshed = time.monotonic()
            self._closing.wait(RECONNECT_PAUSE_S)

    def _connect(self) -> None:
        if self.address is None:
            if self._cluster is None:
                with dask.config.set(worker_config()):  # the nannies apply it to the workers they spawn
                    self._cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0" if _has_dashboard() else None,
                        host="127.0.0.1",
                        silence_logs=logging.WARNING,
                    )
            client = Client(self._cluster, set_as_default=False)
            client.register_plugin(Niceness())
        else:
            client = Client(self.address, timeout=self._connect_timeout_s, set_as_default=False)
        client.subscribe_topic(STARTED_TOPIC, self._on_started)
        self._dashboard = _dashboard_link(client)
        self._client = client
        self._refresh_workers()
        with self._lock:
            self._lost_since = None
            self._last_error = None
        self._connected.set()
        log.info(
            "Dask executor connected to %s (%d worker threads, dashboard %s)",
            client.scheduler.address,
            self._threads,
            self._dashboard,
        )

    def _refresh_workers(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            info = client.sync(client.scheduler.identity, n_workers=0)  # totals, no per-worker records
        except Exception:
            return
        self._threads = int(info.get("total_threads", 0))

    def _drop_client(self) -> None:
        """The scheduler is gone: every unfinished tile goes back to PENDING, resuming next time."""
        client, self._client = self._client, None
        self._connected.clear()
        with self._lock:
            if self._lost_since is None:
                self._lost_since = time.monotonic()
            tasks = list(self._tasks.values())
            self._tasks.clear()
        for task in tasks:
            if task.future.started:
                self._resume.add(task.job.key)
            task.future.requeue()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=2)

    def _on_started(self, event) -> None:
        """On the client's event loop, before the outcome of the same attempt: a worker started a tile."""
        _, message = event
        request_id, tile_id, dask_key = message
        with self._lock:
            task = self._tasks.get(dask_key)
            if task is None:
                return
            task.starts += 1
            if not task.future.started:
                task.future.started = True
                self._started.append((request_id, tile_id))

    # --- the executor interface ---------------------------------------------------------------------

    def _live_client(self):
        client = self._client
        return client if client is not None and client.status == "running" else None

    @property
    def capacity(self) -> int:
        if self._live_client() is None:
            # paused while the scheduler is away; after the timeout, submissions fail with the reason
            return 16 if self._gave_up() else 0
        return max(2, 2 * self._threads)  # one running and one waiting per worker thread

    def _gave_up(self) -> bool:
        lost = self._lost_since
        return (
            bool(self.lost_timeout_s) and lost is not None and time.monotonic() - lost > self.lost_timeout_s
        )

    def submit(self, job: TileJob) -> Future:
        future = TileFuture()
        client = self._live_client()
        if client is None and not self._gave_up():
            future.requeue()  # the scheduler went away between capacity and submit: the tile waits
            return future
        if client is None:
            where = self.address or "the local Dask cluster"
            seconds = time.monotonic() - (self._lost_since or time.monotonic())
            reason = f" ({self._last_error})" if self._last_error else ""
            future.set_exception(
                SchedulerUnavailable(
                    f"The Dask scheduler at {where} has been unreachable for {seconds:.0f} s{reason}."
                )
            )
            return future
        if job.key in self._resume:
            self._resume.discard(job.key)
            job = replace(job, resume=True)
        dask_key = f"tilewise-{job.request_id}-{job.tile_id}-{uuid.uuid4().hex[:12]}"
        task = _Task(job, future, dask_key)
        with self._lock:
            self._tasks[dask_key] = task
        try:
            dask_future = client.submit(
                run_dask_tile, self._function, job, dask_key, key=dask_key, pure=False, retries=0
            )
        except Exception as exc:  # the client is closing: the tile waits for the scheduler, as PENDING
            log.info("Dask scheduler unavailable at submission: %s", exc)
            with self._lock:
                self._tasks.pop(dask_key, None)
            future.requeue()
            return future
        task.dask_future = dask_future
        future.add_done_callback(lambda f: self._cancelled(task) if f.cancelled() else None)
        dask_future.add_done_callback(lambda df: self._finished(task, df))
        return future

    def _cancelled(self, task: _Task) -> None:
        """Withdrawn by the engine before it started: cancel the Dask task too."""
        client, dask_future = self._client, task.dask_future
        with self._lock:
            self._tasks.pop(task.dask_key, None)
        if client is not None and dask_future is not None and not dask_future.done():
            client.loop.add_callback(client._cancel, [dask_future], reason="tilewise: withdrawn")

    def _finished(self, task: _Task, dask_future) -> None:
        """In Dask's callback thread: hand the outcome (or the reason) to the engine's future."""
        with self._lock:
            if self._tasks.pop(task.dask_key, None) is None:
                return  # cancelled, or requeued when the scheduler went away
        future = task.future
        task.dask_future = None
        if future.done():
            dask_future.release()
            return
        try:
            if dask_future.status == "finished":
                outcome = dask_future.result()
                if getattr(outcome, "outputs_exist", False) and task.starts > 1:
                    # the attempt after one that died found what that one delivered: the next replaces it
                    self._resume.add(task.job.key)
                    future.requeue()
                else:
                    future.set_result(outcome)
            elif dask_future.status == "error":
                exc = dask_future.exception()
                self._resume.add(task.job.key)  # KilledWorker: every attempt died mid-tile
                future.set_exception(exc)
            else:  # cancelled (the client lost the scheduler) or lost: back to PENDING, no attempt counted
                if future.started:
                    self._resume.add(task.job.key)
                future.requeue()
        except Exception as exc:  # the result could not be fetched: the tile runs again
            if future.started:
                self._resume.add(task.job.key)
            if not future.done():
                future.set_exception(exc)
        dask_future.release()  # the result is ours now: Dask must not recompute it if its worker dies

    def started(self) -> list[tuple[str, int]]:
        with self._lock:
            keys = list(self._started)
            self._started.clear()
        return keys

    def describe(self) -> dict:
        """For the status endpoint: what the executor is and where its dashboard is."""
        client = self._live_client()
        return {
            "kind": self.kind,
            "scheduler": client.scheduler.address if client is not None else self.address,
            "connected": client is not None,
            "workerThreads": self._threads if client is not None else 0,
            "dashboard": self._dashboard,
            "error": self._last_error,
        }

    def shutdown(self) -> None:
        self._closing.set()
        with self._lock:
            tasks = list(self._tasks.values())
            self._tasks.clear()
        client = self._client
        if client is not None and tasks:
            with contextlib.suppress(Exception):
                client.cancel([t.dask_future for t in tasks if t.dask_future is not None])
        for task in tasks:
            task.future.requeue()
        self._watchdog.join(timeout=self._connect_timeout_s + 5)
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=5)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=10)
            self._cluster = None


def _has_dashboard() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def _dashboard_link(client) -> Optional[str]:
    """The scheduler's dashboard, when it serves one (it needs bokeh on the scheduler's machine)."""
    try:
        info = client.scheduler_info()
        if "dashboard" not in info.get("services", {}):
            return None
        return client.dashboard_link
    except Exception:
        return None
