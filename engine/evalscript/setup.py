"""What an evalscript's setup() declares: inputs, outputs, mosaicking; parsed and checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ...core.evalscript.setup import (
    DATA_MASK,
    MOSAICKINGS,
    SAMPLE_TYPES,
    known_units,
    units_count_message,
    units_per_band,
    unknown_units_message,
)
from ...core.output_paths import UnsafeNameError, check_safe_name
from ..samples import Mosaicking, Units
from .errors import EvalscriptError

DEFAULT_UNITS = Units.REFLECTANCE  # Sentinel-2's default (reference §4); DATA_MASK has no unit
HOOKS = ("preProcessScenes", "updateOutput", "updateOutputMetadata")  # optional functions a script may define


@dataclass(frozen=True)
class OutputSpec:
    id: str
    bands: int
    sample_type: str = "AUTO"
    nodata_value: Optional[float] = None
    # `bands: ["red", "nir"]` names the bands (the Statistical API reports them, and the dataMask output's
    # names tie each mask to an output); `bands: 2` leaves them B0, B1
    band_names: Optional[tuple[str, ...]] = None


@dataclass(frozen=True)
class ScriptSetup:
    bands: tuple[str, ...]
    units: dict[str, Units]
    metadata: tuple[str, ...]
    outputs: tuple[OutputSpec, ...]
    mosaicking: Mosaicking
    has_pre_process_scenes: bool = False
    has_update_output: bool = False
    has_update_output_metadata: bool = False

    def output(self, id: str) -> OutputSpec:
        for output in self.outputs:
            if output.id == id:
                return output
        raise KeyError(id)


def parse_setup(raw: Any, hooks: dict[str, bool], default_sample_type: str = "AUTO") -> ScriptSetup:
    """`raw` is setup()'s return value as JSON-decoded Python; outputs without sampleType get
    `default_sample_type` (AUTO in the Process and Batch APIs, FLOAT32 in the Statistical API)."""
    if not isinstance(raw, dict):
        raise EvalscriptError("setup() must return an object with input and output.", "setup")
    bands, units, metadata = _inputs(raw.get("input"))
    outputs = _outputs(raw.get("output"), default_sample_type)
    mosaicking = raw.get("mosaicking", "SIMPLE")
    if mosaicking not in MOSAICKINGS:
        raise EvalscriptError(
            f"setup().mosaicking is {mosaicking!r}: use SIMPLE, ORBIT or TILE (or Mosaicking.ORBIT …).",
            "setup",
        )
    defined = [hooks.get(hook, False) for hook in HOOKS]  # has_pre_process_scenes, has_update_output…
    return ScriptSetup(bands, units, metadata, outputs, Mosaicking(mosaicking), *defined)


def _inputs(raw: Any) -> tuple[tuple[str, ...], dict[str, Units], tuple[str, ...]]:
    if raw is None:
        raise EvalscriptError(
            'setup() returns no input: list the bands, e.g. input: ["B04", "B08"].', "setup"
        )
    entries = raw if isinstance(raw, list) else [raw]
    bands: list[str] = []
    units: dict[str, Units] = {}
    metadata: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"bands": [entry]}
        if not isinstance(entry, dict):
            raise EvalscriptError(
                f"setup().input entries must be band names (strings) or objects {{bands, units}}, not {entry!r}.",
                "setup",
            )
        if "bands" not in entry:
            raise EvalscriptError(
                'Each setup().input object needs bands, e.g. {bands: ["B04"], units: "DN"}.', "setup"
            )
        names = entry["bands"]
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            raise EvalscriptError(
                "setup().input bands must be a non-empty list of band names (strings).", "setup"
            )
        entry_units = units_per_band(entry.get("units", DEFAULT_UNITS.value), names)
        if entry_units is None:
            raise EvalscriptError(units_count_message(entry.get("units"), names), "setup")
        for name, unit in zip(names, entry_units):
            if name not in bands:
                bands.append(name)
            if name == DATA_MASK:
                continue
            spelled = known_units(unit)
            if spelled is None:
                raise EvalscriptError(unknown_units_message(unit, name), "setup")
            units[name] = Units(spelled)
        for item in entry.get("metadata", []) or []:
            if item not in metadata:
                metadata.append(str(item))
    return tuple(bands), units, tuple(metadata)


def _outputs(raw: Any, default_sample_type: str) -> tuple[OutputSpec, ...]:
    if raw is None:
        raise EvalscriptError(
            "setup() returns no output: add output: {bands: 1} (or a list of outputs).", "setup"
        )
    entries = raw if isinstance(raw, list) else [raw]
    if not entries:
        raise EvalscriptError("setup().output is empty: declare at least one output.", "setup")
    outputs: list[OutputSpec] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise EvalscriptError(
                "Each setup().output entry must be an object {id, bands, sampleType}.", "setup"
            )
        output_id = entry.get("id", "default")
        try:
            check_safe_name(output_id, "setup().output id")
        except UnsafeNameError as exc:
            raise EvalscriptError(str(exc), "setup") from None
        bands, band_names = _output_bands(output_id, entry.get("bands", 1))
        sample_type = entry.get("sampleType", default_sample_type)
        if sample_type not in SAMPLE_TYPES:
            raise EvalscriptError(
                f"Output {output_id!r}: sampleType {sample_type!r} is not one of {', '.join(SAMPLE_TYPES)}.",
                "setup",
            )
        nodata = entry.get("nodataValue")
        if nodata is not None and not isinstance(nodata, (int, float)):
            raise EvalscriptError(f"Output {output_id!r}: nodataValue must be a number.", "setup")
        if any(o.id == output_id for o in outputs):
            raise EvalscriptError(
                f"Two outputs are called {output_id!r}: output ids must be unique.", "setup"
            )
        outputs.append(
            OutputSpec(output_id, bands, sample_type, None if nodata is None else float(nodata), band_names)
        )
    return tuple(outputs)


def _output_bands(output_id: str, bands: Any) -> tuple[int, Optional[tuple[str, ...]]]:
    """(band count, band names or None) of `bands`: a whole number or a list of distinct names."""
    if isinstance(bands, list):
        if (
            not bands
            or not all(isinstance(name, str) and name for name in bands)
            or len(set(bands)) != len(bands)
        ):
            raise EvalscriptError(
                f"Output {output_id!r}: bands must be a whole number or a list of distinct band names, such "
                f'as ["red", "nir"] (got {bands!r}).',
                "setup",
            )
        return len(bands), tuple(bands)
    if not isinstance(bands, (int, float)) or int(bands) != bands or bands < 0:
        raise EvalscriptError(f"Output {output_id!r}: bands must be a whole number (got {bands!r}).", "setup")
    return int(bands), None
