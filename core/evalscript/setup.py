"""What an evalscript's setup() declares, as typed values, from the object setup() returned (in V8).

Every problem names the field at fault and, through `line_of`, the line of the user's script that holds it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .problems import EvalscriptProblem

SAMPLE_TYPES = ("AUTO", "UINT8", "UINT16", "INT8", "INT16", "FLOAT32")
MOSAICKINGS = ("SIMPLE", "TILE", "ORBIT")
UNITS = ("DN", "REFLECTANCE", "OPTICAL_DEPTH", "PERCENT", "DEGREES")  # the engine's samples.Units, in order
DEFAULT_OUTPUT_ID = "default"
DATA_MASK = "dataMask"

# Where a value sits in setup()'s result, e.g. ("output", 1, "sampleType"), to its line (None: unknown)
LineOf = Callable[[tuple], Optional[int]]


@dataclass(frozen=True)
class ScriptOutput:
    id: str  # "default" when setup() gives no id
    bands: int
    sample_type: str  # one of SAMPLE_TYPES


@dataclass(frozen=True)
class ScriptInfo:
    input_bands: tuple[str, ...]  # band names the script reads, dataMask included if listed
    outputs: tuple[ScriptOutput, ...]
    mosaicking: str  # "SIMPLE" (default), "TILE" or "ORBIT"


class JSValue:
    """A JavaScript value JSON has no form for (undefined, NaN, a function...), as setup() returned it."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


UNDEFINED = JSValue("undefined")


def band_problem(bands: Iterable[str], collection: str, available: Iterable[str]) -> Optional[str]:
    """Why a script cannot read `collection` (bands it does not have; dataMask is always there), or None."""
    available = sorted(available)
    missing = sorted(set(bands) - set(available) - {DATA_MASK})
    if not missing:
        return None
    return (
        f"The evalscript asks for {', '.join(missing)}, which {collection} does not have: "
        f"use bands among {', '.join(available)}."
    )


def units_per_band(units: Any, names: list[str]) -> Optional[list]:
    """setup().input's `units` as one unit per band of `names`: a string for all bands, or a list per band that may
    leave out dataMask (it has no unit); None when a list does not match the bands."""
    if isinstance(units, str):
        return [units] * len(names)
    real = [name for name in names if name != DATA_MASK]
    if isinstance(units, list) and len(units) == len(real) != len(names):
        return [units[real.index(name)] if name != DATA_MASK else "DN" for name in names]
    return units if isinstance(units, list) and len(units) == len(names) else None


def units_count_message(units: Any, names: list[str]) -> str:
    return (
        f"setup().input units {units!r} for bands {names}: give one unit for all bands "
        "or a list with one unit per band."
    )


def known_units(unit: Any) -> Optional[str]:
    """The unit as UNITS spells it, or None. Any case: Sentinel Hub runs its published bare_soil_detector
    script, which asks for units "reflectance"."""
    return unit.upper() if isinstance(unit, str) and unit.upper() in UNITS else None


def unknown_units_message(unit: Any, band: str) -> str:
    return f"Unknown units {unit!r} for band {band}: use {', '.join(UNITS)}."


def describe(value: Any) -> str:
    """A value as JavaScript would write it, for messages."""
    if isinstance(value, JSValue):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    return repr(value)


def read_setup(raw: Any, line_of: LineOf) -> ScriptInfo:
    """setup()'s JSON-decoded result (JSValue for what JSON cannot hold) as a ScriptInfo; raises EvalscriptProblem."""
    if raw is None or raw is UNDEFINED:
        raise EvalscriptProblem(
            "setup() returns nothing: return {input: [...], output: {...}}.", line_of(("return",))
        )
    if not isinstance(raw, dict):
        raise EvalscriptProblem(
            f"setup() returns {describe(raw)}: return an object {{input: [...], output: {{...}}}}.",
            line_of(("return",)),
        )
    bands = _input_bands(raw, line_of)
    outputs = _outputs(raw, line_of)
    mosaicking = raw.get("mosaicking", "SIMPLE")
    if mosaicking not in MOSAICKINGS:
        raise EvalscriptProblem(
            f"setup().mosaicking is {describe(mosaicking)}{_capitals_hint(mosaicking, MOSAICKINGS)}: use SIMPLE, "
            "TILE or ORBIT (or Mosaicking.ORBIT ...), or leave it out for SIMPLE.",
            line_of(("mosaicking",)),
        )
    return ScriptInfo(bands, outputs, mosaicking)


def _capitals_hint(value: Any, allowed: tuple[str, ...]) -> str:
    if isinstance(value, str) and value.upper() in allowed:
        return f" (write it in capitals: {value.upper()!r})"
    return ""


def _input_bands(raw: dict, line_of: LineOf) -> tuple[str, ...]:
    if "input" not in raw:
        raise EvalscriptProblem(
            'setup() returns no input: list the bands the script reads, e.g. input: ["B04", "B08"].',
            line_of(("return",)),
        )
    value = raw["input"]
    entries = value if isinstance(value, list) else [value]
    seen: dict[Any, list[str]] = {}  # bands per datasource: data fusion may read B04 of two collections
    for k, entry in enumerate(entries):
        where: tuple = ("input", k)
        if isinstance(entry, str):
            names: Any = [entry]
            source = None
        elif isinstance(entry, dict):
            source = entry.get("datasource")
            source = source if isinstance(source, str) else None
            if "bands" not in entry:
                raise EvalscriptProblem(
                    'Each setup().input object needs bands, e.g. {bands: ["B04", "B08"], units: "DN"}.',
                    line_of(where),
                )
            names = entry["bands"]
            where = (*where, "bands")
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list):
                raise EvalscriptProblem(
                    f'setup().input bands is {describe(names)}: give a list of band names, e.g. ["B04", "B08"].',
                    line_of(where),
                )
            if not names:
                raise EvalscriptProblem(
                    'setup().input lists no bands: name the bands the script reads, e.g. ["B04", "B08"].',
                    line_of(where),
                )
        else:
            raise EvalscriptProblem(
                f"setup().input holds {describe(entry)}: list band names (strings) or objects "
                '{bands: ["B04"], units: "DN"}.',
                line_of(where),
            )
        for b, name in enumerate(names):
            if not isinstance(name, str) or not name:
                raise EvalscriptProblem(
                    f'setup().input band {describe(name)} is not a band name: write names as strings, e.g. "B04".',
                    line_of((*where, b)),
                )
            listed = seen.setdefault(source, [])
            if name not in listed:
                listed.append(name)
        if isinstance(entry, dict) and "units" in entry:
            _check_units(entry["units"], names, line_of((*where[:2], "units")))
    return tuple(name for names in seen.values() for name in names)


def _check_units(units: Any, names: list[str], line: Optional[int]) -> None:
    per_band = units_per_band(units, names)
    if per_band is None:
        raise EvalscriptProblem(units_count_message(units, names), line)
    for name, unit in zip(names, per_band):
        if name != DATA_MASK and known_units(unit) is None:
            raise EvalscriptProblem(unknown_units_message(unit, name), line)


def _outputs(raw: dict, line_of: LineOf) -> tuple[ScriptOutput, ...]:
    value = raw.get("output", UNDEFINED)
    if value is UNDEFINED or value is None:
        raise EvalscriptProblem(
            "setup() returns no output: add output: {bands: 1} (or a list of outputs with ids).",
            line_of(("output",)) or line_of(("return",)),
        )
    entries = value if isinstance(value, list) else [value]
    if not entries:
        raise EvalscriptProblem(
            'setup().output is an empty list: declare at least one output, e.g. {id: "default", bands: 1}.',
            line_of(("output",)),
        )
    outputs: list[ScriptOutput] = []
    for j, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise EvalscriptProblem(
                f"setup().output holds {describe(entry)}: each output is an object {{id, bands, sampleType}}.",
                line_of(("output", j)),
            )
        output = _output(entry, j, line_of)
        if any(o.id == output.id for o in outputs):
            raise EvalscriptProblem(
                f"Two outputs are called {output.id!r}: give each output its own id.",
                line_of(("output", j, "id")),
            )
        outputs.append(output)
    return tuple(outputs)


def _output(entry: dict, j: int, line_of: LineOf) -> ScriptOutput:
    output_id = entry.get("id", DEFAULT_OUTPUT_ID)
    if not isinstance(output_id, str) or not output_id:
        raise EvalscriptProblem(
            f'An output id is {describe(output_id)}: give each output a non-empty string id, e.g. id: "NDVI".',
            line_of(("output", j, "id")),
        )
    # Sentinel Hub's docs give bands no default; the engine takes 1, and so does the form.
    bands = entry.get("bands", 1)
    if (
        isinstance(bands, bool)
        or not isinstance(bands, (int, float))
        or not math.isfinite(bands)
        or int(bands) != bands
    ):
        raise EvalscriptProblem(
            f"Output {output_id!r}: bands is {describe(bands)}; it must be a whole number of bands, e.g. bands: 1.",
            line_of(("output", j, "bands")),
        )
    if bands < 1:
        raise EvalscriptProblem(
            f"Output {output_id!r} has {int(bands)} bands: an output needs at least 1 band (bands: 1 or more).",
            line_of(("output", j, "bands")),
        )
    sample_type = entry.get("sampleType", "AUTO")
    if sample_type not in SAMPLE_TYPES:
        raise EvalscriptProblem(
            f"Output {output_id!r}: sampleType {describe(sample_type)} is not allowed"
            f"{_capitals_hint(sample_type, SAMPLE_TYPES)}; use one of {', '.join(SAMPLE_TYPES)} "
            "(or SampleType.UINT8 ...).",
            line_of(("output", j, "sampleType")),
        )
    return ScriptOutput(output_id, int(bands), sample_type)
