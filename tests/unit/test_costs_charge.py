"""The expected charge of a batch job, as the start dialog shows it: the batch ⅓ factor, then the 100 PU
minimum, from the service's estimate when the analysis gave one and from ours otherwise."""

import pytest

from tilewise.core.costs import BATCH_MINIMUM_PU, batch_charge, estimate_batch_cost
from tilewise.core.jobs import BatchJob
from tilewise.core.submission import StartSummary


def summary(service_estimate, mosaicking="SIMPLE", budget=None) -> StartSummary:
    job = BatchJob("job-1", 1, "engine", "ANALYSIS_DONE", value_estimate=service_estimate)
    ours = estimate_batch_cost(
        [(1002, 1002)] * 40, ["B04", "B08"], ["FLOAT32"], 3
    )  # 2 bands, float, 3 samples
    return StartSummary(job, "Engine", 40, ours, budget, mosaicking)


def test_a_full_rate_estimate_is_charged_a_third_when_over_the_minimum():
    charge = batch_charge(305.1)
    assert (charge.full_rate, charge.discounted, charge.expected) == pytest.approx((305.1, 101.7, 101.7))
    assert not charge.minimum_applies


def test_a_small_job_is_charged_the_batch_minimum():
    charge = batch_charge(120.0)
    assert charge.discounted == pytest.approx(40.0)
    assert charge.expected == BATCH_MINIMUM_PU and charge.minimum_applies


def test_our_estimate_keeps_small_tiles_at_the_full_rate_in_its_charge():
    estimate = estimate_batch_cost([(99, 100), (100, 100)], ["B04"], ["UINT8"], 1000)
    small, large = 99 * 100 / 512**2 / 3 * 1000, 100 * 100 / 512**2 / 3 * 1000
    assert estimate.charge.discounted == pytest.approx(small + large / 3)
    assert estimate.charge.full_rate == estimate.value_estimate
    assert estimate.charge.expected == estimate.expected_charge == BATCH_MINIMUM_PU


def test_the_service_estimate_sets_the_expected_charge_when_there_is_one():
    with_service = summary(900.0, budget=250.0)
    assert with_service.service_charge is not None
    assert with_service.charge_pu == pytest.approx(300.0) and with_service.over_budget
    ours = with_service.estimate
    assert ours.value_estimate == pytest.approx(40 * 1002 * 1002 / 512**2 * 2 / 3 * 2 * 3)
    without = summary(None, budget=250.0)
    assert without.service_charge is None
    assert without.charge_pu == pytest.approx(ours.expected_charge) and not without.over_budget


def test_orbit_and_tile_estimates_say_their_samples_are_assumed():
    assert summary(None, "ORBIT").samples_assumed and summary(None, "tile").samples_assumed
    assert not summary(None).samples_assumed
