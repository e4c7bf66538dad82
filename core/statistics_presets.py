"""Evalscript presets for field statistics (Qt-free): scripts with a `dataMask` output, as the Statistical and
Batch Statistical APIs require, shipped in resources/evalscripts/statistical/.

Each returns one index (output id: the index's name in lower case, one FLOAT32 band) and `dataMask`.
"""

from __future__ import annotations

from .presets import EVALSCRIPTS_DIR, Preset, description_of

STATISTICAL_EVALSCRIPTS_DIR = EVALSCRIPTS_DIR / "statistical"

# (name, file): the order is the order of the form's list.
STATISTICAL_FILES = (
    ("NDVI", "ndvi.js"),
    ("NDWI", "ndwi.js"),
    ("NDVI without clouds (SCL)", "ndvi_cloud_masked.js"),
)


def _load() -> tuple[Preset, ...]:
    presets = []
    for name, file_name in STATISTICAL_FILES:
        script = (STATISTICAL_EVALSCRIPTS_DIR / file_name).read_text(encoding="utf-8").replace("\r\n", "\n")
        presets.append(Preset(name, script, description_of(script), builtin=True))
    return tuple(presets)


STATISTICS_PRESETS: tuple[Preset, ...] = _load()


def statistics_preset(name: str) -> Preset:
    """The preset called `name`; KeyError naming the presets there are."""
    for preset in STATISTICS_PRESETS:
        if preset.name == name:
            return preset
    raise KeyError(
        f"No field statistics preset is called {name!r}: use one of "
        f"{', '.join(preset.name for preset in STATISTICS_PRESETS)}."
    )
