"""The dock's job form as the user last left it (Qt-free): one dataclass, read and written in one place.

The keys are those the dock has always used (`tilewise/job_form/<key>`), so a form saved by an older
version restores as it was. Nothing secret is kept: S3 keys are the id of an authentication configuration.
`load` and `save` take any object with QSettings' `value(key, default, type=…)` and `setValue(key, value)`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .grids import DEFAULT_MAX_TILES

SETTINGS_PREFIX = "tilewise/job_form/"
S3, FOLDER = "s3", "folder"  # where the outputs go
DEFAULT_PRESET = "True colour"
DEFAULT_DAYS = 30  # a new form asks for the last month
KEYS = {"time_from": "from", "time_to": "to"}  # field → settings key, where they differ


def _today() -> date:
    return date.today()


def _month_ago() -> date:
    return date.today() - timedelta(days=DEFAULT_DAYS)


@dataclass
class FormSettings:
    grid: int = 1
    resolution: float = 10.0
    buffer_x: int = 0
    buffer_y: int = 0
    max_tiles: int = DEFAULT_MAX_TILES
    collection: str = "sentinel-2-l2a"
    time_from: date = field(default_factory=_month_ago)
    time_to: date = field(default_factory=_today)
    cloud: int = -1  # percent; -1: any
    mosaicking_order: str = "mostRecent"
    cog: bool = False
    location: str = S3
    s3_url: str = ""
    folder: str = ""
    s3_authcfg: str = ""  # an authentication configuration id, never the keys
    s3_region: str = ""
    budget: float = 0.0  # PU; 0: no limit
    script: str = ""  # empty: the preset's script
    preset: str = DEFAULT_PRESET
    advanced_open: bool = False  # the form's "Advanced" options, collapsed until the user opens them

    @classmethod
    def load(cls, settings) -> FormSettings:
        """The saved form; a value missing or unreadable keeps its default."""
        defaults = cls()
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            default = getattr(defaults, item.name)
            key = SETTINGS_PREFIX + KEYS.get(item.name, item.name)
            if isinstance(default, date):
                text = settings.value(key, default.isoformat(), type=str)
                try:
                    values[item.name] = date.fromisoformat(text)
                except (TypeError, ValueError):
                    values[item.name] = default
                continue
            try:
                values[item.name] = settings.value(key, default, type=type(default))
            except (TypeError, ValueError):  # a value of another type, written by hand
                values[item.name] = default
        return cls(**values)

    def save(self, settings) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            key = SETTINGS_PREFIX + KEYS.get(item.name, item.name)
            settings.setValue(key, value.isoformat() if isinstance(value, date) else value)


__all__ = ["FOLDER", "S3", "SETTINGS_PREFIX", "FormSettings"]
