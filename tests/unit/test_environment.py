"""The project venv keeps one numpy and one GDAL per process, both Debian's, on every Debian it is built on."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy
from osgeo import gdal, gdal_array

DEBIAN_PACKAGES = Path("/usr/lib/python3/dist-packages")


def test_numpy_is_debians_so_gdal_runs_with_the_numpy_it_was_built_against():
    assert Path(numpy.__file__).resolve().is_relative_to(DEBIAN_PACKAGES), (
        f"numpy {numpy.__version__} comes from {numpy.__file__}, not from Debian: something in requirements.txt "
        "pulled a numpy into the venv; Debian's GDAL is built against Debian's numpy"
    )
    assert Path(gdal.__file__).resolve().is_relative_to(DEBIAN_PACKAGES)
    # gdal_array is GDAL's numpy bridge: it fails to load against a numpy of the other major version.
    array = gdal_array.OpenArray(numpy.arange(12, dtype=numpy.int16).reshape(3, 4)).ReadAsArray()
    assert array.sum() == 66


def test_the_venv_runs_debians_python():
    assert Path(sys.base_prefix) == Path("/usr")
