"""Processing-unit estimates against the documentation's worked examples."""

from datetime import datetime

import pytest

from tilewise.core.costs import (
    assumed_samples,
    estimate_batch_cost,
    input_band_factor,
    output_factor,
    request_pu,
)


def test_documented_example_1024px_4_bands_float32_2_samples_orthorectified():
    pu = request_pu(
        1024, 1024, input_band_factor(["B1", "B2", "B3", "B4"]), output_factor(["FLOAT32"]), 2, 2.0
    )
    assert pu == pytest.approx(42.667, abs=1e-3)


def test_documented_example_small_request_hits_the_area_floor():
    pu = request_pu(20, 20, input_band_factor(["B1", "B2"]), output_factor(["UINT16"]), 1)
    assert pu == pytest.approx(0.0067, abs=1e-4)


def test_grid0_tile_full_rate_and_batch_discount():
    estimate = estimate_batch_cost(
        [(2004, 2004)] * 3, ["B02", "B03", "B04", "B08", "dataMask"], ["UINT16"], 10
    )
    per_tile = 2004 * 2004 / 512**2 * 4 / 3 * 10  # 204.27 PU
    assert per_tile == pytest.approx(204.27, abs=0.01)
    assert estimate.value_estimate == pytest.approx(3 * per_tile)
    assert estimate.expected_charge == pytest.approx(3 * per_tile / 3)


def test_batch_minimum_is_100_pu_and_the_v1_estimate_has_no_minimum():
    estimate = estimate_batch_cost([(1000, 1000)], ["B04", "B08"], ["UINT8"], 1)
    assert estimate.value_estimate == pytest.approx(1000 * 1000 / 512**2 * 2 / 3)
    assert estimate.expected_charge == 100.0


def test_small_tiles_are_charged_at_the_regular_rate():
    estimate = estimate_batch_cost(
        [(99, 100)] * 1000 + [(100, 100)] * 1000, ["B02", "B03", "B04"], ["UINT8"], 1
    )
    small = 99 * 100 / 512**2 * 1000
    large = 100 * 100 / 512**2 * 1000
    assert estimate.value_estimate == pytest.approx(small + large)
    assert estimate.expected_charge == pytest.approx(max(100, small + large / 3))


def test_datamask_counts_only_when_it_is_the_only_band():
    assert input_band_factor(["B04", "B08", "dataMask"]) == pytest.approx(2 / 3)
    assert input_band_factor(["dataMask"]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="at least one band"):
        input_band_factor([])


def test_float32_output_doubles_the_cost():
    assert output_factor(["UINT8", "FLOAT32"]) == 2.0
    assert output_factor(["UINT16", "AUTO"]) == 1.0


def test_orbit_assumes_one_sample_every_three_days():
    assert assumed_samples("ORBIT", datetime(2021, 1, 1), datetime(2021, 1, 31)) == 10  # documented example
    assert assumed_samples("TILE", datetime(2023, 7, 1), datetime(2023, 7, 30, 23, 59, 59)) == 10
    assert assumed_samples("ORBIT", datetime(2023, 7, 1), datetime(2023, 7, 1, 12)) == 1
    assert assumed_samples("SIMPLE", datetime(2021, 1, 1), datetime(2021, 12, 31)) == 1


def test_bad_mosaicking_or_inverted_range_is_refused():
    with pytest.raises(ValueError, match="Unknown mosaicking"):
        assumed_samples("DAILY", datetime(2021, 1, 1), datetime(2021, 1, 2))
    with pytest.raises(ValueError, match="swap the dates"):
        assumed_samples("ORBIT", datetime(2021, 1, 2), datetime(2021, 1, 1))
