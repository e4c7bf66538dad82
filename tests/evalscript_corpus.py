"""Sentinel Hub's public evalscripts (../shared/data/evalscript-corpus) and generated inputs for them.

The inputs are plausible for each band (reflectance or DN, SCL classes, cloud masks, angles, some pixels
without data) and seeded, so a script's per-pixel and compiled runs see the same tile. Shared by
tests/engine/evalscript/test_evalscript_corpus.py and bench/bench_evalscript_corpus.py.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Optional

import numpy as np
from testkit import shared_file

from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits, TileResult
from tilewise.engine.evalscript.compiler.dates import NO_DATE_MADE_PER_PIXEL
from tilewise.engine.samples import Mosaicking, Sample, SampleStack, Scene, Units

MANIFEST = shared_file("data/evalscript-corpus/MANIFEST.tsv")
SUMMER = datetime(2023, 6, 1, tzinfo=timezone.utc)
TIME_FROM, TIME_TO = SUMMER, SUMMER + timedelta(days=91)


@dataclass(frozen=True)
class CorpusScript:
    name: str
    mosaicking: str  # as the manifest declares it
    source: str
    uses_helpers: bool  # calls Sentinel Hub's utility functions (the manifest's helper_functions)


def corpus_scripts() -> list[CorpusScript]:
    with open(MANIFEST, encoding="utf-8", newline="") as manifest:
        rows = list(csv.DictReader(manifest, delimiter="\t"))
    return [
        CorpusScript(
            row["file"],
            row["mosaicking"].split()[0],
            (MANIFEST.parent / row["file"]).read_text(encoding="utf-8"),
            row["helper_functions"] not in ("", "-"),
        )
        for row in rows
    ]


def _scene(day: int) -> Scene:
    moment = SUMMER + timedelta(days=day, hours=10)
    return Scene(
        f"S2B_33TWM_{moment:%Y%m%d}_0_L2A",
        moment,
        float(day % 40),
        f"s3://sentinel-cogs/33/T/WM/{moment:%Y/%-m/%-d}",
        {"sat:relative_orbit": 79},
    )


def samples_for(mosaicking: Mosaicking, count: int = 6) -> list[Sample]:
    """Samples across the summer, most recent first (Sentinel Hub's order)."""
    if mosaicking == Mosaicking.SIMPLE:
        return [Sample(TIME_FROM, TIME_TO, tuple(_scene(day) for day in (5, 20, 40)))]
    days = [5 + 15 * k for k in range(count)][::-1]
    out = []
    for day in days:
        scene = _scene(day)
        if mosaicking == Mosaicking.TILE:
            out.append(Sample(scene.datetime, scene.datetime, (scene,)))
        else:
            start = SUMMER + timedelta(days=day)
            out.append(Sample(start, start + timedelta(days=1), (scene,)))
    return out


def band_values(
    rng: np.random.Generator, band: str, unit: Optional[Units], shape: tuple[int, ...]
) -> np.ndarray:
    if band == "SCL":
        return rng.integers(0, 12, shape).astype(np.float32)
    if band in ("CLM",):
        return rng.choice(np.array([0, 0, 0, 1, 255], np.float32), shape)
    if band in ("CLP", "CLD", "SNW"):
        return rng.integers(0, 101, shape).astype(np.float32)
    if "Angle" in band or "Zenith" in band or "Azimuth" in band:
        return rng.uniform(0, 90, shape).astype(np.float32)
    if band == "AOT":
        return rng.uniform(0, 0.5, shape).astype(np.float32)
    reflectance = rng.uniform(0.0, 0.6, shape)
    reflectance[rng.random(shape) < 0.05] = 0.0  # dark and no-data pixels
    if unit == Units.DN:
        return np.round(reflectance * 10000).astype(np.float32)
    return (np.round(reflectance * 10000) / 10000).astype(np.float32)


def generated_stack(runtime: EvalscriptRuntime, seed: int, height: int = 24, width: int = 37) -> SampleStack:
    setup = runtime.setup
    samples = runtime.pre_process_scenes(samples_for(setup.mosaicking), TIME_FROM, TIME_TO)
    rng = np.random.default_rng(seed)
    shape = (len(samples), height, width)
    bands = {
        band: band_values(rng, band, setup.units.get(band), shape)
        for band in setup.bands
        if band != "dataMask"
    }
    mask = (rng.random(shape) >= 0.05).astype(np.uint8)
    for plane in bands.values():
        plane[mask == 0] = 0  # pixels without data hold 0 in every band
    return SampleStack(samples, bands, mask, height, width)


@dataclass
class Run:
    result: Optional[TileResult] = None
    error: Optional[str] = None


def run(
    source: str, compile: bool, seed: int = 7, planes: bool = False, engine_dates: bool = False
) -> tuple[EvalscriptRuntime, Run]:
    """Evaluates a generated tile; the runtime is returned closed, with its compilation verdict. With
    `engine_dates`, a compiled script gets the engine's Date even where the compiler would keep V8's for speed."""
    runtime = EvalscriptRuntime(source, Limits(compile=compile, planes=planes))
    if engine_dates and runtime.compilation.dates_reason == NO_DATE_MADE_PER_PIXEL:
        runtime.compilation = replace(runtime.compilation, dates_reason=None)
    try:
        stack = generated_stack(runtime, seed)
        return runtime, Run(runtime.evaluate(stack, time_from=TIME_FROM, time_to=TIME_TO))
    except EvalscriptError as error:
        return runtime, Run(error=str(error))
    finally:
        runtime.close()
