"""The batch tutorial's Process API previews, run by sentinelhub==3.12.0 (`SentinelHubRequest.get_data()`) against a
Tilewise engine.

Run with the interpreter of `.venv-clients/sh312`, with OAUTHLIB_INSECURE_TRANSPORT=1 (the engine speaks
plain HTTP on loopback). Credentials come from the environment (SH_CLIENT_ID, SH_CLIENT_SECRET), never from
the command line. Two requests, as in the tutorial (examples/batch_processing.ipynb):

1. the true-colour PNG (512 × 512 px) of the whole area, clipped to its geometry (L2A);
2. the NDVI-interpolation script on the test sub-area's bbox at 10 m (L1C, July 2023): two TIFF responses,
   which come back as a tar that sentinelhub-py decodes into {"NDVI.tif": ..., "data_mask.tif": ...}.

What `get_data()` returns is saved as .npy files in --out; each step prints one JSON line
`{"step": ..., ...}` for the test.

    python sh312_process.py --base-url http://127.0.0.1:8765 --out DIR

Besides the base and token URLs there is one change from the tutorial, the same one the Copernicus Data
Space Ecosystem needs: sentinelhub-py pins its Sentinel-2 collections to services.sentinel-hub.com for the
Process API (DataCollection.service_url wins over SHConfig.sh_base_url), so the collections are redefined
with the engine's URL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
from sentinelhub import (
    CRS,
    DataCollection,
    Geometry,
    MimeType,
    SentinelHubRequest,
    SHConfig,
    bbox_to_dimensions,
)
from tutorial_common import (
    INTERPOLATION_EVALSCRIPT,
    SHAPE,
    TRUE_COLOR_EVALSCRIPT,
    emit,
    make_config,
)

TRUE_COLOR, INTERPOLATION = TRUE_COLOR_EVALSCRIPT, INTERPOLATION_EVALSCRIPT


def describe(array: np.ndarray) -> dict:
    return {
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "min": array.min().item(),
        "max": array.max().item(),
    }


def true_color(config: SHConfig, l2a: DataCollection, out: Path) -> None:
    full_geometry = Geometry(SHAPE["features"][0]["geometry"], crs=CRS.WGS84)
    request = SentinelHubRequest(
        evalscript=TRUE_COLOR,
        input_data=[SentinelHubRequest.input_data(data_collection=l2a)],
        responses=[SentinelHubRequest.output_response("default", MimeType.PNG)],
        geometry=full_geometry,
        size=(512, 512),
        config=config,
    )
    image = request.get_data()[0]
    np.save(out / "true_color.npy", image)
    emit("true_color", bounds=list(full_geometry.bbox), **describe(image))


def ndvi(config: SHConfig, l1c: DataCollection, out: Path) -> None:
    test_bbox = Geometry(SHAPE["features"][1]["geometry"], crs=CRS.WGS84).bbox
    time_interval = dt.date(year=2023, month=7, day=1), dt.date(year=2023, month=7, day=30)
    request = SentinelHubRequest(
        evalscript=INTERPOLATION,
        input_data=[SentinelHubRequest.input_data(data_collection=l1c, time_interval=time_interval)],
        responses=[
            SentinelHubRequest.output_response("NDVI", MimeType.TIFF),
            SentinelHubRequest.output_response("data_mask", MimeType.TIFF),
        ],
        bbox=test_bbox,
        size=bbox_to_dimensions(test_bbox, 10),
        config=config,
    )
    results = request.get_data()[0]
    for name, array in results.items():
        np.save(out / f"{name.rsplit('.', 1)[0]}.npy", array)
    emit(
        "ndvi",
        members=list(results),
        bounds=list(test_bbox),
        size=list(bbox_to_dimensions(test_bbox, 10)),
        arrays={name: describe(array) for name, array in results.items()},
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["previews"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = make_config(args.base_url)
    # as on CDSE: the collections' own service URL would send the request to services.sentinel-hub.com
    l2a = DataCollection.SENTINEL2_L2A.define_from("tilewise-s2l2a", service_url=config.sh_base_url)
    l1c = DataCollection.SENTINEL2_L1C.define_from("tilewise-s2l1c", service_url=config.sh_base_url)
    true_color(config, l2a, args.out)
    ndvi(config, l1c, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
