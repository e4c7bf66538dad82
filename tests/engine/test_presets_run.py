"""Every built-in preset runs on the engine's runtime, which reads its setup() as the plugin's form does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from tilewise.core.evalscript import inspect_evalscript
from tilewise.core.presets import BUILTIN_PRESETS, builtin_preset
from tilewise.engine.evalscript import EvalscriptRuntime, Limits, compile_script
from tilewise.engine.samples import Sample, SampleStack, Scene

JULY = datetime(2023, 7, 1, tzinfo=timezone.utc)


def scene(day: int) -> Scene:
    return Scene(
        f"S2B_11SKA_202307{day:02d}_0_L2A", JULY + timedelta(days=day - 1, hours=18), 5.0, f"s3://x/{day}"
    )


def simple_stack(bands: dict[str, np.ndarray], mask: np.ndarray) -> SampleStack:
    """One mosaicked sample from 2-D planes."""
    h, w = mask.shape
    sample = Sample(JULY, JULY + timedelta(days=30), (scene(3), scene(8)))
    planes = {name: plane[None].astype(np.float32) for name, plane in bands.items()}
    return SampleStack([sample], planes, mask[None].astype(np.uint8), h, w)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20230701)


@pytest.mark.parametrize("preset", BUILTIN_PRESETS, ids=lambda p: p.name)
def test_the_engine_reads_each_preset_as_the_form_does(preset):
    setup = compile_script(preset.script, Limits())
    info = inspect_evalscript(preset.script)
    assert setup.bands == info.input_bands
    assert setup.mosaicking.value == info.mosaicking
    assert [(o.id, o.bands, o.sample_type) for o in setup.outputs] == [
        (o.id, o.bands, o.sample_type) for o in info.outputs
    ]


def test_true_colour_is_reflectance_times_2_5_in_uint8_with_the_data_mask_as_alpha(rng):
    bands = {b: rng.uniform(-0.05, 0.6, (23, 31)) for b in ("B02", "B03", "B04")}
    mask = rng.uniform(size=(23, 31)) > 0.2
    with EvalscriptRuntime(builtin_preset("True colour").script, Limits()) as runtime:
        raster = runtime.evaluate(simple_stack(bands, mask)).outputs["default"]
    assert raster.data.dtype == np.uint8 and raster.data.shape == (4, 23, 31)
    planes = [bands[b].astype(np.float32).astype(np.float64) for b in ("B04", "B03", "B02")]
    expected = np.clip(np.floor(255 * 2.5 * np.stack(planes) + 0.5), 0, 255)
    np.testing.assert_array_equal(raster.data[:3], expected)
    np.testing.assert_array_equal(raster.data[3], np.where(mask, 255, 0))


@pytest.mark.parametrize("name, high, low", [("NDVI", "B08", "B04"), ("NDWI", "B03", "B08")])
def test_a_normalised_difference_preset_is_float32_and_nan_where_there_is_no_data(rng, name, high, low):
    bands = {high: rng.uniform(0.01, 0.6, (17, 19)), low: rng.uniform(0.01, 0.6, (17, 19))}
    mask = rng.uniform(size=(17, 19)) > 0.25
    with EvalscriptRuntime(builtin_preset(name).script, Limits()) as runtime:
        raster = runtime.evaluate(simple_stack(bands, mask)).outputs["default"]
    assert raster.data.dtype == np.float32 and raster.data.shape == (1, 17, 19)
    a, b = (bands[k].astype(np.float32).astype(np.float64) for k in (high, low))
    expected = np.where(mask, (a - b) / (a + b), np.nan).astype(np.float32)
    np.testing.assert_allclose(raster.data[0], expected, rtol=1e-6, equal_nan=True)
    assert np.isnan(raster.data[0][~mask]).all() and not np.isnan(raster.data[0][mask]).any()
