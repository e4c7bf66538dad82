"""From the values evaluatePixel returned (float64; float32 for FLOAT32 outputs) to the sample type.

Integer types round half away from zero (as JavaScript's Math.round does for
positive values and Java's for both) and clamp to the type's range; AUTO maps
[0, 1] to 0–255 UINT8. NaN (a returned NaN, null or undefined) becomes the
output's nodataValue when it has one, else 0 in integer types; FLOAT32 keeps NaN.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

RANGES = {
    "INT8": (np.int8, -128, 127),
    "UINT8": (np.uint8, 0, 255),
    "INT16": (np.int16, -32768, 32767),
    "UINT16": (np.uint16, 0, 65535),
}

DTYPES = {"FLOAT32": np.float32, **{name: dtype for name, (dtype, _, _) in RANGES.items()}}


def final_type(sample_type: str) -> str:
    return "UINT8" if sample_type == "AUTO" else sample_type


def convert(values: np.ndarray, sample_type: str, nodata_value: Optional[float]) -> tuple[np.ndarray, str]:
    """Returns the converted array and the final sample type (AUTO becomes UINT8)."""
    if sample_type == "FLOAT32":
        out = values.astype(np.float32, copy=False)
        nan = np.isnan(out)
        if nan.any():
            # one NaN: V8 leaves a NaN's sign and payload to how it was computed and by which tier, so the same
            # script would otherwise write different bits from run to run (and compiled or not)
            fill = np.float32(np.nan if nodata_value is None else nodata_value)
            out = np.where(nan, fill, out)
        return out, "FLOAT32"
    if sample_type == "AUTO":
        values = values * 255.0
        sample_type = "UINT8"
    dtype, low, high = RANGES[sample_type]
    nan = np.isnan(values)
    rounded = np.trunc(values + np.copysign(0.5, values))
    out = np.clip(rounded, low, high)
    out[nan] = 0 if nodata_value is None else np.clip(nodata_value, low, high)
    return out.astype(dtype), sample_type
