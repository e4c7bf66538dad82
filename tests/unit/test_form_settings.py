"""The dock's form settings: one dataclass, under the keys the dock always used, so an older saved form
still restores; values missing or unreadable keep their defaults."""

from __future__ import annotations

from datetime import date, timedelta

from tilewise.core.form_settings import FOLDER, SETTINGS_PREFIX, FormSettings
from tilewise.core.grids import DEFAULT_MAX_TILES


class FakeSettings:
    """QSettings' value()/setValue() as QGIS stores them in an ini file: strings, converted on the way out."""

    def __init__(self, values: dict[str, object] | None = None):
        self.values = {key: str(value) for key, value in (values or {}).items()}

    def value(self, key: str, default, type=str):  # noqa: A002 (QSettings' keyword)
        if key not in self.values:
            return default
        text = self.values[key]
        if type is bool:
            return text.lower() in ("true", "1")
        return type(text)

    def setValue(self, key: str, value) -> None:  # noqa: N802 (QSettings API)
        self.values[key] = str(value)


def test_an_empty_profile_gives_the_defaults():
    form = FormSettings.load(FakeSettings())
    assert form == FormSettings(time_from=form.time_from, time_to=form.time_to)
    assert form.time_to - form.time_from == timedelta(days=30) and form.time_to == date.today()
    assert (form.grid, form.resolution, form.max_tiles, form.cloud) == (1, 10.0, DEFAULT_MAX_TILES, -1)
    assert form.preset == "True colour" and form.script == ""


def test_a_form_saved_by_an_older_dock_restores():
    older = {
        "grid": 3, "resolution": 0.0001, "buffer_x": 5, "buffer_y": 7, "max_tiles": 500,
        "collection": "byoc-abc", "from": "2021-03-04", "to": "2021-04-05", "cloud": 20,
        "mosaicking_order": "leastCC", "cog": "true", "location": "folder", "s3_url": "s3://b/f",
        "folder": "/data/out", "s3_authcfg": "abc1234", "s3_region": "eu-central-1", "budget": 250.0,
        "script": "//VERSION=3", "preset": "NDVI",
    }  # fmt: skip
    form = FormSettings.load(FakeSettings({SETTINGS_PREFIX + key: value for key, value in older.items()}))
    assert form == FormSettings(
        grid=3, resolution=0.0001, buffer_x=5, buffer_y=7, max_tiles=500, collection="byoc-abc",
        time_from=date(2021, 3, 4), time_to=date(2021, 4, 5), cloud=20, mosaicking_order="leastCC", cog=True,
        location=FOLDER, s3_url="s3://b/f", folder="/data/out", s3_authcfg="abc1234", s3_region="eu-central-1",
        budget=250.0, script="//VERSION=3", preset="NDVI",
    )  # fmt: skip


def test_saving_and_loading_gives_the_same_form_under_the_same_keys():
    form = FormSettings(
        grid=6, resolution=100.0, time_from=date(2023, 7, 1), time_to=date(2023, 7, 30), cog=True
    )
    settings = FakeSettings()
    form.save(settings)
    assert settings.values[SETTINGS_PREFIX + "from"] == "2023-07-01"
    assert settings.values[SETTINGS_PREFIX + "to"] == "2023-07-30"
    assert SETTINGS_PREFIX + "time_from" not in settings.values
    assert FormSettings.load(settings) == form


def test_an_unreadable_value_keeps_its_default():
    settings = FakeSettings({SETTINGS_PREFIX + "grid": "one", SETTINGS_PREFIX + "from": "last week"})
    form = FormSettings.load(settings)
    assert form.grid == 1 and form.time_from == FormSettings().time_from
