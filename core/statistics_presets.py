"""Evalscript presets for field statistics (Qt-free): scripts with a `dataMask` output, as the Statistical and
Batch Statistical APIs require, shipped in resources/evalscripts/statistical/.

Each returns one index (output id: the index's name in lower case, one FLOAT32 band) and `dataMask`.
"""

from __future__ import annotations

from .presets import EVALSCRIPTS_DIR, Preset, builtin_preset, load_presets

STATISTICAL_EVALSCRIPTS_DIR = EVALSCRIPTS_DIR / "statistical"

# (name, file): the order is the order of the form's list.
STATISTICAL_FILES = (
    ("NDVI", "ndvi.js"),
    ("NDWI", "ndwi.js"),
    ("NDVI without clouds (SCL)", "ndvi_cloud_masked.js"),
)


STATISTICS_PRESETS: tuple[Preset, ...] = load_presets(STATISTICAL_FILES, STATISTICAL_EVALSCRIPTS_DIR)


def statistics_preset(name: str) -> Preset:
    """The preset called `name`; KeyError naming the presets there are."""
    return builtin_preset(name, STATISTICS_PRESETS)
