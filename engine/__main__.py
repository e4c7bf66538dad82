"""`python -m tilewise.engine`: run the engine in the foreground (configuration: TILEWISE_* variables)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .config import ConfigError, Settings
from .evalscript import cancel_running_scripts
from .store import StorageFull

# for the operator to fix, not crashes: one line, no traceback
OPERATOR_ERRORS = (ConfigError, StorageFull)  # StorageFull: the data folder's disk is full at start


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        app = create_app(settings)  # refuses a data folder another engine uses (DataDirInUse)
    except OPERATOR_ERRORS as error:
        sys.exit(f"tilewise engine: {error}")
    EngineServer(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info")).run()


class EngineServer(uvicorn.Server):
    """uvicorn, but a stop signal also stops the evalscripts that requests are running: uvicorn waits for
    open requests before it stops, and a request's script may run for the whole tile time limit."""

    def handle_exit(self, sig: int, frame) -> None:
        cancel_running_scripts()
        super().handle_exit(sig, frame)


if __name__ == "__main__":
    main()
