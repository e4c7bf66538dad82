"""The engine's data folder: private to its user, and used by one engine at a time.

The folder holds the job store (v2 requests' S3 keys while they run) and the token signing key, so it is
made 0700 and the process umask 0o077 before anything is created in it: SQLite's `-wal` and `-shm` files,
created later and by SQLite itself, are then private too. An exclusive lock on `engine.lock`, held for the
process lifetime, keeps a second engine from resetting the first one's tiles; the kernel frees it when the
process ends, even by kill -9, so a restart never finds a stale lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Optional

from .config import ConfigError

try:  # POSIX; on Windows a second engine is not detected
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700
LOCK_NAME = "engine.lock"


class DataDirInUse(ConfigError):
    """Another engine runs on this data folder; the message names it and what to do."""


def make_private(data_dir: Path) -> None:
    """Files the engine creates from now on are readable by its user only; the folder is created (or
    tightened) to 0700, so files an older engine left readable are out of others' reach too."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(data_dir.stat().st_mode) != PRIVATE_FOLDER:
        data_dir.chmod(PRIVATE_FOLDER)


class DataDirLock:
    """An exclusive, non-blocking flock on `<data dir>/engine.lock`, naming its holder (pid and URL)."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / LOCK_NAME
        self._descriptor: Optional[int] = None

    def acquire(self, url: str) -> None:
        """Take the lock or raise DataDirInUse; kept until release() or the end of the process."""
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by workers
        if fcntl is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(descriptor)
                os.close(descriptor)
                raise DataDirInUse(self._in_use_message(holder)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps({"pid": os.getpid(), "url": url}).encode(), 0)
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the last descriptor frees the flock
            self._descriptor = None

    def _in_use_message(self, holder: dict) -> str:
        running = f"pid {holder.get('pid', 'unknown')}, {holder.get('url', 'URL unknown')}"
        return (
            f"another engine ({running}) already uses the data folder {self.path.parent}: stop it, "
            "or set another TILEWISE_DATA_DIR for this one."
        )


def _read_holder(descriptor: int) -> dict:
    """What the running engine wrote in the lock file (empty while it is still starting)."""
    with contextlib.suppress(OSError, ValueError):
        holder = json.loads(os.pread(descriptor, 4096, 0) or b"{}")
        if isinstance(holder, dict):
            return holder
    return {}
