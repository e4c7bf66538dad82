"""sentinelhub==3.12.0's Statistical and Batch Statistical clients, unchanged, against a Tilewise engine.

Run with the interpreter of `.venv-clients/sh312`; only URLs differ from sentinelhub-py's own example
(examples/batch_statistical.ipynb): the engine's base and token URLs, and the local S3 server's endpoint, which
boto3 reads from AWS_ENDPOINT_URL. Credentials come from the environment (SH_CLIENT_ID, SH_CLIENT_SECRET,
S3_ACCESS_KEY, S3_SECRET_KEY), never from the command line. Each step prints one JSON line for the test.

    python sh312_statistical.py statistical --base-url URL --out DIR
    python sh312_statistical.py batch --base-url URL --features s3://bucket/fields.gpkg --output s3://bucket/out
"""

from __future__ import annotations

import argparse
import os
import sys

from sentinelhub import (
    CRS,
    BBox,
    DataCollection,
    SentinelHubBatchStatistical,
    SentinelHubStatistical,
    SHConfig,
    monitor_batch_statistical_job,
)
from sentinelhub.aws import AwsBatchStatisticalResults
from sentinelhub.data_utils import get_failed_statistical_requests
from tutorial_common import emit, make_config

# the notebook's script: NDVI and dataMask, FLOAT32
EVALSCRIPT = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08", "dataMask"]}],
          output: [{id: "ndvi", bands: 1, sampleType: "FLOAT32"}, {id: "dataMask", bands: 1}]};
}
function evaluatePixel(samples) {
  return {ndvi: [index(samples.B08, samples.B04)], dataMask: [samples.dataMask]};
}
"""
CALCULATIONS = {
    "ndvi": {
        "histograms": {"default": {"nBins": 20, "lowEdge": -1.0, "highEdge": 1.0}},
        "statistics": {"default": {"percentiles": {"k": [5, 50, 95]}}},
    }
}
TIME_INTERVAL = ("2023-07-01", "2023-07-17")
RESOLUTION = (20, 20)


def engine_collection(config: SHConfig) -> DataCollection:
    """Sentinel-2 L2A served by the engine (a collection's own service_url wins over sh_base_url)."""
    return DataCollection.SENTINEL2_L2A.define_from("TILEWISE_S2_L2A", service_url=config.sh_base_url)


def aggregation() -> dict:
    return SentinelHubStatistical.aggregation(
        evalscript=EVALSCRIPT, time_interval=TIME_INTERVAL, aggregation_interval="P1D", resolution=RESOLUTION
    )


def statistical(args, config: SHConfig) -> None:
    bbox = BBox(tuple(args.bbox), crs=CRS(32611))
    request = SentinelHubStatistical(
        aggregation=aggregation(),
        input_data=[SentinelHubStatistical.input_data(engine_collection(config))],
        bbox=bbox,
        calculations=CALCULATIONS,
        config=config,
    )
    (response,) = request.get_data()
    emit(
        "statistical",
        status=response["status"],
        intervals=[entry["interval"]["from"] for entry in response["data"]],
        means=[mean_ndvi(entry) for entry in response["data"]],
        percentiles=[ndvi_stats(entry)["percentiles"] for entry in response["data"]],
    )


def ndvi_stats(entry: dict) -> dict:
    return entry["outputs"]["ndvi"]["bands"]["B0"]["stats"]


def mean_ndvi(entry: dict):
    return ndvi_stats(entry)["mean"]


def batch(args, config: SHConfig) -> None:
    client = SentinelHubBatchStatistical(config=config)
    keys = {"access_key": os.environ["S3_ACCESS_KEY"], "secret_access_key": os.environ["S3_SECRET_KEY"]}
    request = client.create(
        input_features=client.s3_specification(url=args.features, **keys),
        input_data=[SentinelHubStatistical.input_data(engine_collection(config))],
        aggregation=aggregation(),
        calculations=CALCULATIONS,
        output=client.s3_specification(url=args.output, **keys),
    )
    emit("created", id=request.request_id, status=request.status.value, request=request.request)
    client.start_job(request)
    emit("status", **client.get_status(request))
    monitor_batch_statistical_job(request, config=config, sleep_time=15, analysis_sleep_time=5)
    finished = client.get_request(request)
    emit(
        "finished",
        status=finished.status.value,
        completion=finished.completion_percentage,
        cost=finished.cost_pu,
    )
    config.aws_access_key_id = os.environ["S3_ACCESS_KEY"]
    config.aws_secret_access_key = os.environ["S3_SECRET_KEY"]
    results = AwsBatchStatisticalResults(finished, config=config).get_data()  # lists the results folder
    emit(
        "results",
        by_id={
            result["id"]: {
                "identifier": result["identifier"],
                "intervals": [entry["interval"]["from"] for entry in result["response"]["data"]],
                "means": [mean_ndvi(entry) for entry in result["response"]["data"]],
            }
            for result in results
            if "response" in result
        },
        failed=get_failed_statistical_requests(results),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["statistical", "batch"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--bbox", type=float, nargs=4)
    parser.add_argument("--features")
    parser.add_argument("--output")
    args = parser.parse_args()
    config = make_config(args.base_url)
    {"statistical": statistical, "batch": batch}[args.command](args, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
