"""Processing-unit (PU) estimates, as Sentinel Hub defines them (Qt-free).

PU = A × B × F × S × X per request (reference §3):
  A  area factor: output pixels / (512 × 512), at least 0.01
  B  input bands / 3 (dataMask is not counted unless it is the only band)
  F  2 for 32-bit float output, 1 for 8/16-bit
  S  samples per pixel (ORBIT/TILE: the v1 analysis assumes one every 3 days)
  X  other multipliers (data fusion, Sentinel-1 processing), 1 by default
Batch: tiles of at least 10,000 px are charged 1/3, and a job costs at least 100 PU.
The v1 analysis `valueEstimate` leaves the 1/3 factor out (and the minimum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

PU_PIXELS = 512 * 512
MIN_AREA_FACTOR = 0.01
BATCH_DISCOUNT = 1 / 3
BATCH_DISCOUNT_MIN_PIXELS = 10_000
BATCH_MINIMUM_PU = 100.0
DAYS_PER_ASSUMED_SAMPLE = 3
FLOAT_SAMPLE_TYPES = {"FLOAT32"}
MOSAICKINGS = ("SIMPLE", "ORBIT", "TILE")


@dataclass(frozen=True)
class CostEstimate:
    value_estimate: float  # what a v1 analysis reports: full rate, no minimum
    discounted: float  # with the batch 1/3 factor (tiles of at least 10,000 px), before the minimum
    samples: int
    band_factor: float
    output_factor: float
    tile_count: int

    @property
    def charge(self) -> BatchCharge:
        return BatchCharge(self.value_estimate, self.discounted)

    @property
    def expected_charge(self) -> float:
        """With the batch 1/3 factor and the 100 PU minimum."""
        return self.charge.expected


@dataclass(frozen=True)
class BatchCharge:
    """How a full-rate estimate becomes the charge of a batch job: the 1/3 factor, then the 100 PU minimum."""

    full_rate: float  # what an analysis reports (no batch factor, no minimum)
    discounted: float  # with the batch 1/3 factor

    @property
    def expected(self) -> float:
        """At least the batch minimum."""
        return max(BATCH_MINIMUM_PU, self.discounted)

    @property
    def minimum_applies(self) -> bool:
        return self.discounted < BATCH_MINIMUM_PU


def batch_charge(full_rate: float) -> BatchCharge:
    """The charge of a service's full-rate estimate: its tiles are batch tiles (well over 10,000 px), so the
    whole estimate gets the 1/3 factor."""
    return BatchCharge(full_rate, full_rate * BATCH_DISCOUNT)


def input_band_factor(bands: Iterable[str]) -> float:
    """B: input bands / 3, with dataMask counted only when it is the only band."""
    names = list(dict.fromkeys(bands))
    if not names:
        raise ValueError("The evalscript reads no input band: declare at least one band in setup().input.")
    counted = [b for b in names if b != "dataMask"] or names
    return len(counted) / 3


def output_factor(sample_types: Iterable[str]) -> float:
    """F: 2 when any output is 32-bit float, else 1."""
    return 2.0 if any(str(t).upper() in FLOAT_SAMPLE_TYPES for t in sample_types) else 1.0


def assumed_samples(mosaicking: str, time_from: datetime, time_to: datetime) -> int:
    """S: 1 for SIMPLE; for ORBIT/TILE one sample every 3 days of the range (v1 analysis rule).

    Days are counted as started calendar days, so 2021-01-01..2021-01-31 gives the
    documentation's 10 samples; a range shorter than 3 days still has one sample.
    """
    mosaicking = mosaicking.upper()
    if mosaicking not in MOSAICKINGS:
        raise ValueError(f"Unknown mosaicking {mosaicking!r}: use one of {', '.join(MOSAICKINGS)}.")
    if time_to < time_from:
        raise ValueError("The time range ends before it starts: swap the dates.")
    if mosaicking == "SIMPLE":
        return 1
    days = math.ceil((time_to - time_from) / timedelta(days=1)) or 1
    return max(1, days // DAYS_PER_ASSUMED_SAMPLE)


def area_factor(width: int, height: int) -> float:
    return max(MIN_AREA_FACTOR, width * height / PU_PIXELS)


def request_pu(
    width: int, height: int, band_factor: float, out_factor: float, samples: int, multiplier: float = 1.0
) -> float:
    """PU of one request (one tile) at the regular rate."""
    return area_factor(width, height) * band_factor * out_factor * samples * multiplier


def estimate_batch_cost(
    tile_sizes: Sequence[tuple[int, int]],
    bands: Iterable[str],
    sample_types: Iterable[str],
    samples: int,
    multiplier: float = 1.0,
) -> CostEstimate:
    """Cost of a batch job whose tiles deliver rasters of the given (width, height) in pixels."""
    band_factor = input_band_factor(bands)
    out_factor = output_factor(sample_types)
    full = discounted = 0.0
    for width, height in tile_sizes:
        pu = request_pu(width, height, band_factor, out_factor, samples, multiplier)
        full += pu
        discounted += pu * BATCH_DISCOUNT if width * height >= BATCH_DISCOUNT_MIN_PIXELS else pu
    return CostEstimate(
        value_estimate=full,
        discounted=discounted,
        samples=samples,
        band_factor=band_factor,
        output_factor=out_factor,
        tile_count=len(tile_sizes),
    )
