"""Builders for the evalscript tests: seeded random SampleStacks and their sample/scene metadata."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pytest

from tilewise.engine.samples import Sample, SampleStack, Scene

JULY = datetime(2023, 7, 1, tzinfo=timezone.utc)


def scene(day: int, hour: int = 10, cloud: float | None = None, name: str = "") -> Scene:
    moment = JULY + timedelta(days=day - 1, hours=hour)
    return Scene(
        name or f"S2B_33TWM_202307{day:02d}_0_L2A",
        moment,
        float(day * 3) if cloud is None else cloud,
        f"s3://sentinel-cogs/33/T/WM/2023/7/{day}",
        {"sat:relative_orbit": 100 + day},
    )


def orbit(day: int, *scenes: Scene) -> Sample:
    start = JULY + timedelta(days=day - 1)
    return Sample(start, start + timedelta(days=1), scenes or (scene(day),))


def tile(day: int, **kwargs) -> Sample:
    item = scene(day, **kwargs)
    return Sample(item.datetime, item.datetime, (item,))


def stack(bands: dict[str, np.ndarray], samples: list[Sample], mask: np.ndarray | None = None) -> SampleStack:
    """bands: name -> (n_samples, h, w); the mask defaults to all data."""
    n, h, w = next(iter(bands.values())).shape if bands else (len(samples), 1, 1)
    if mask is None:
        mask = np.ones((n, h, w), np.uint8)
    return SampleStack(samples, {k: v.astype(np.float32) for k, v in bands.items()}, mask, h, w)


def simple(bands: dict[str, np.ndarray], mask: np.ndarray | None = None) -> SampleStack:
    """A SIMPLE stack from 2-D planes: one mosaicked sample."""
    return stack(
        {k: v[None] for k, v in bands.items()},
        [Sample(JULY, JULY + timedelta(days=30), (scene(3), scene(8)))],
        None if mask is None else mask[None].astype(np.uint8),
    )


def orbit_stack(rng: np.random.Generator, samples: int = 4, size=(7, 9)) -> SampleStack:
    """ORBIT samples every third day of July, most recent first, with random B04, B08 and a 30 % CLM."""
    shape = (samples, *size)
    bands = {
        "B04": rng.uniform(0.01, 0.5, shape),
        "B08": rng.uniform(0.01, 0.6, shape),
        "CLM": (rng.random(shape) < 0.3).astype(np.float32),
    }
    return stack(bands, [orbit(1 + 3 * k) for k in range(samples)][::-1])


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20230701)


@pytest.fixture
def kit() -> SimpleNamespace:
    return SimpleNamespace(
        JULY=JULY, scene=scene, orbit=orbit, tile=tile, stack=stack, simple=simple, orbit_stack=orbit_stack
    )
