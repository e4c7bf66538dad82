"""The engine's data folder: private to its user.

The folder holds the job store (v2 requests' S3 keys while they run) and the token signing key, so it is
made 0700 and the process umask 0o077 before anything is created in it: SQLite's `-wal` and `-shm` files,
created later and by SQLite itself, are then private too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700


def make_private(data_dir: Path) -> None:
    """Files the engine creates from now on are readable by its user only; the folder is created (or
    tightened) to 0700, so files an older engine left readable are out of others' reach too."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(data_dir.stat().st_mode) != PRIVATE_FOLDER:
        data_dir.chmod(PRIVATE_FOLDER)
