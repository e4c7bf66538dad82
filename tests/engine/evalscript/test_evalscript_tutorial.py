"""The sentinelhub-py batch tutorial's two evalscripts, copied verbatim, checked against independent numpy/Python."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from tilewise.core.presets import EVALSCRIPTS_DIR
from tilewise.engine.evalscript import EvalscriptRuntime, Limits, compile_script
from tilewise.engine.samples import Mosaicking, Units

# Verbatim from the tutorial notebook: the true-colour one beside the client scripts, the NDVI one as the
# built-in preset (whose blank second line holds its header).
CLIENTS = Path(__file__).resolve().parents[2] / "clients"
TRUE_COLOR = (CLIENTS / "tutorial_true_color_evalscript.js").read_text()
INTERPOLATION = (EVALSCRIPTS_DIR / "04_ndvi_interpolation_tutorial.js").read_text()

SAMPLED = [datetime(2023, 7, d) for d in (1, 8, 15, 22, 29)]  # sample_timestamps(Jul 1, Jul 30, 7 days)


def true_color_expected(planes: list[np.ndarray]) -> np.ndarray:
    """AUTO: value x 255, rounded half up, clamped to 0-255."""
    values = np.stack(planes).astype(np.float64) * 255
    return np.clip(np.floor(values + 0.5), 0, 255).astype(np.uint8)


def interpolation_expected(b04, b08, clm, mask, days):
    """What the script computes per pixel, re-implemented in plain Python.

    Samples arrive most recent first; the script walks them backwards, keeps the
    valid ones (CLM not 1/255, dataMask 1), returns their NDVI * 10000 + 10000
    (one value per valid sample, padded/cut to 5 bands) and a data mask that is 1
    where a sampled date falls in [first valid date, last valid date).
    """
    n, h, w = b04.shape
    ndvi = np.zeros((5, h, w), np.uint16)
    dm = np.zeros((5, h, w), np.uint8)
    mismatched = 0
    for y in range(h):
        for x in range(w):
            valid = [i for i in range(n - 1, -1, -1) if clm[i, y, x] not in (1, 255) and mask[i, y, x] == 1]
            values = [
                (float(b08[i, y, x]) - float(b04[i, y, x]))
                / (float(b08[i, y, x]) + float(b04[i, y, x]))
                * 10000
                + 10000
                for i in valid
            ]
            mismatched += len(values) != 5
            for k, v in enumerate(values[:5]):
                ndvi[k, y, x] = min(65535, max(0, int(np.floor(v + 0.5))))
            dates = [datetime(2023, 7, days[i]) for i in valid]
            if len(dates) >= 2:
                for k, date in enumerate(SAMPLED):
                    dm[k, y, x] = 1 if dates[0] <= date < dates[-1] else 0
    return ndvi, dm, mismatched


def test_true_color_setup_is_read_as_sentinel_hub_does():
    setup = compile_script(TRUE_COLOR, Limits())
    assert setup.bands == ("B02", "B03", "B04")
    assert all(setup.units[b] == Units.REFLECTANCE for b in setup.bands)  # the default unit
    assert setup.mosaicking == Mosaicking.SIMPLE
    assert [(o.id, o.bands, o.sample_type, o.nodata_value) for o in setup.outputs] == [
        ("default", 3, "AUTO", None)
    ]


def test_true_color_returns_b04_b03_b02_stretched_to_uint8(rng, kit):
    bands = {b: rng.uniform(-0.1, 1.2, (37, 53)).astype(np.float32) for b in ("B02", "B03", "B04")}
    with EvalscriptRuntime(TRUE_COLOR, Limits()) as runtime:
        result = runtime.evaluate(kit.simple(bands))
    raster = result.outputs["default"]
    assert (
        raster.sample_type == "UINT8" and raster.data.dtype == np.uint8 and raster.data.shape == (3, 37, 53)
    )
    np.testing.assert_array_equal(
        raster.data, true_color_expected([bands["B04"], bands["B03"], bands["B02"]])
    )
    assert result.warnings == [] and result.userdata is None


def test_interpolation_setup():
    setup = compile_script(INTERPOLATION, Limits())
    assert setup.bands == ("B04", "B08", "CLM", "dataMask")
    assert setup.units == {"B04": Units.DN, "B08": Units.DN, "CLM": Units.DN}
    assert setup.mosaicking == Mosaicking.ORBIT
    assert [(o.id, o.bands, o.sample_type) for o in setup.outputs] == [
        ("NDVI", 5, "UINT16"),
        ("data_mask", 5, "UINT8"),
    ]
    assert not (setup.has_pre_process_scenes or setup.has_update_output or setup.has_update_output_metadata)


@pytest.mark.parametrize("chunk_pixels", [262_144, 50])
def test_interpolation_runs_unmodified_on_orbits(rng, kit, chunk_pixels):
    days = [27, 22, 17, 12, 7, 3]  # most recent first, as Sentinel Hub orders ORBIT samples
    n, h, w = len(days), 13, 17
    b04 = rng.uniform(300, 3000, (n, h, w)).astype(np.float32)
    b08 = rng.uniform(300, 5000, (n, h, w)).astype(np.float32)
    clm = rng.choice(np.array([0, 0, 0, 1, 255], np.float32), (n, h, w))
    mask = (rng.random((n, h, w)) > 0.1).astype(np.uint8)
    mask[:, 0, 0] = 0  # a pixel with no valid sample at all
    data = kit.stack({"B04": b04, "B08": b08, "CLM": clm}, [kit.orbit(d) for d in days], mask)
    with EvalscriptRuntime(INTERPOLATION, Limits(chunk_pixels=chunk_pixels)) as runtime:
        result = runtime.evaluate(data)
    ndvi, dm, mismatched = interpolation_expected(b04, b08, clm, mask, days)
    assert (
        result.outputs["NDVI"].data.dtype == np.uint16 and result.outputs["data_mask"].data.dtype == np.uint8
    )
    np.testing.assert_array_equal(result.outputs["NDVI"].data, ndvi)
    np.testing.assert_array_equal(result.outputs["data_mask"].data, dm)
    assert dm.any() and not dm.all()  # the data is rich enough for the check to mean something
    # one warning for NDVI (an array per valid sample into 5 bands), none for data_mask
    assert len(result.warnings) == 1
    assert "'NDVI'" in result.warnings[0] and f"for {mismatched} pixel(s)" in result.warnings[0]


def test_interpolation_handles_a_tile_without_samples(kit):
    empty = kit.stack(
        {"B04": np.zeros((0, 3, 4)), "B08": np.zeros((0, 3, 4)), "CLM": np.zeros((0, 3, 4))}, []
    )
    with EvalscriptRuntime(INTERPOLATION, Limits()) as runtime:
        result = runtime.evaluate(empty)
    assert (result.outputs["NDVI"].data == 0).all() and (result.outputs["data_mask"].data == 0).all()
    assert "for 12 pixel(s)" in result.warnings[0]
