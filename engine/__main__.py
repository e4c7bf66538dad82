"""`python -m tilewise.engine`: run the engine in the foreground (configuration: TILEWISE_* variables)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .config import ConfigError, Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        app = create_app(settings)  # refuses a data folder another engine uses (DataDirInUse)
    except ConfigError as error:  # a setting to fix, not a crash: one line, no traceback
        sys.exit(f"tilewise engine: {error}")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
