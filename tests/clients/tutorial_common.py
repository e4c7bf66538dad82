"""What the tutorial client scripts share: the tutorial's inputs, the engine's URLs and JSON-line output.

Imported by the scripts beside it, which run in the sentinelhub-py venvs of `.venv-clients/` (3.9 and 3.12:
the SHConfig fields used here are the same in both).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from sentinelhub import CRS, DataCollection, Geometry, MimeType, SentinelHubRequest, SHConfig

HERE = Path(__file__).parent
# the plugin's preset is the tutorial's script (its blank second line holds the preset's header)
INTERPOLATION_EVALSCRIPT = (
    HERE.parents[1] / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js"
).read_text()
TRUE_COLOR_EVALSCRIPT = (HERE / "tutorial_true_color_evalscript.js").read_text()
SHAPE = json.loads((HERE / "tutorial_shape.geojson").read_text())
GRID_ID = 1


def emit(step: str, **values) -> None:
    """One JSON line per step, for the test that runs the script."""
    print(json.dumps({"step": step, **values}, default=str), flush=True)


def make_config(base_url: str) -> SHConfig:
    """The tutorial's configuration with the engine's base and token URLs; credentials from the environment."""
    config = SHConfig()
    config.sh_base_url = base_url
    config.sh_token_url = base_url + "/auth/realms/main/protocol/openid-connect/token"
    config.sh_client_id = os.environ["SH_CLIENT_ID"]
    config.sh_client_secret = os.environ["SH_CLIENT_SECRET"]
    return config


def tutorial_request(config: SHConfig, feature: int = 0) -> SentinelHubRequest:
    """The tutorial's NDVI request without a size (a batch job sets it): feature 0 is the whole area,
    feature 1 its small test sub-area."""
    return SentinelHubRequest(
        evalscript=INTERPOLATION_EVALSCRIPT,
        input_data=[
            SentinelHubRequest.input_data(
                data_collection=DataCollection.SENTINEL2_L1C,
                time_interval=(dt.date(2023, 7, 1), dt.date(2023, 7, 30)),
            )
        ],
        responses=[
            SentinelHubRequest.output_response("NDVI", MimeType.TIFF),
            SentinelHubRequest.output_response("data_mask", MimeType.TIFF),
        ],
        geometry=Geometry(SHAPE["features"][feature]["geometry"], crs=CRS.WGS84),
        config=config,
    )
