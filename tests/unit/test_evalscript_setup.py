"""The kernel's reading of setup()'s result, shared by the form and the engine's checks."""

from __future__ import annotations

from tilewise.core.evalscript.setup import band_problem


def test_bands_a_collection_has_are_no_problem_and_data_mask_is_always_there():
    assert band_problem(["B04", "B08", "dataMask"], "sentinel-2-l2a", ["B08", "B04", "SCL"]) is None


def test_missing_bands_are_named_with_the_bands_to_choose_from():
    assert band_problem(["VV", "B04", "HH", "dataMask"], "sentinel-2-l2a", ["B08", "B04"]) == (
        "The evalscript asks for HH, VV, which sentinel-2-l2a does not have: use bands among B04, B08."
    )
