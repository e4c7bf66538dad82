"""The sentinelhub-py batch tutorial (v1, `SentinelHubBatch`), run by sentinelhub==3.9.5 against a Tilewise engine.

Run with the interpreter of `.venv-clients/sh39`; only the base and token URLs
differ from the tutorial. Each step prints one JSON line `{"step": ..., ...}` so
the test can check what the client saw. Credentials come from the environment
(SH_CLIENT_ID, SH_CLIENT_SECRET), never from the command line.

    python sh39_tutorial.py workflow --base-url http://127.0.0.1:8765 --bucket NAME
    python sh39_tutorial.py prepare --base-url ... --bucket NAME --feature 1   (create and analyse only)
    python sh39_tutorial.py start --base-url ... --request-id ID
    python sh39_tutorial.py restart-job --base-url ... --request-id ID
    python sh39_tutorial.py reprocess-tile --base-url ... --request-id ID --tile-id N
    python sh39_tutorial.py cancel --base-url ... --request-id ID
"""

from __future__ import annotations

import argparse
import sys
import time

from sentinelhub import (
    BatchRequestStatus,
    BatchSplitter,
    SentinelHubBatch,
    SHConfig,
    monitor_batch_job,
)
from sentinelhub.constants import RequestType
from tutorial_common import (
    GRID_ID,
    INTERPOLATION_EVALSCRIPT,
    emit,
    make_config,
    tutorial_request,
)

EVALSCRIPT = INTERPOLATION_EVALSCRIPT


def wait_for(batch: SentinelHubBatch, request_id: str, statuses: set[str], timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        request = batch.get_request(request_id)
        if request.status.value in statuses:
            return request
        if time.monotonic() > deadline:
            raise TimeoutError(f"request {request_id} still {request.status.value} after {timeout} s")
        time.sleep(0.5)


def workflow(args, config: SHConfig) -> None:
    batch = SentinelHubBatch(config=config)
    grids = list(batch.iter_tiling_grids())
    emit("grids", ids=[g["id"] for g in grids], names=[g["name"] for g in grids])
    grid = batch.get_tiling_grid(GRID_ID)
    emit("grid", grid=grid)
    batch_request = create_and_analyse(args, config, batch)
    if args.command == "prepare":
        return
    run(args, config, batch, batch_request)


def create_and_analyse(args, config: SHConfig, batch: SentinelHubBatch):
    sentinelhub_request = tutorial_request(config, args.feature)
    batch_request = batch.create(
        sentinelhub_request,
        tiling_grid=SentinelHubBatch.tiling_grid(
            grid_id=GRID_ID, resolution=args.resolution, buffer=(50, 50)
        ),
        bucket_name=args.bucket,
        description="NDVI batch job",
    )
    emit(
        "created",
        id=batch_request.request_id,
        status=batch_request.status.value,
        payload=batch_request.to_dict(),
    )

    listed = [r.request_id for r in batch.iter_requests()]
    emit("listed", ids=listed)

    batch.start_analysis(batch_request)
    batch_request = wait_for(batch, batch_request.request_id, {"ANALYSIS_DONE", "FAILED"}, 120)
    emit(
        "analysed",
        status=batch_request.status.value,
        value_estimate=batch_request.value_estimate,
        tile_count=batch_request.tile_count,
        error=batch_request.error,
    )
    tiles = list(batch.iter_tiles(batch_request))
    emit("tiles", tiles=[{k: t[k] for k in ("id", "name", "status", "origin")} for t in tiles])
    one = batch.get_tile(batch_request, tiles[0]["id"])
    emit("tile", tile=one)
    splitter = BatchSplitter(batch_request=batch_request, config=config)
    emit(
        "splitter",
        bboxes=[list(b) for b in splitter.get_bbox_list()],
        crs=[str(b.crs.epsg) for b in splitter.get_bbox_list()],
    )
    return batch_request


def start(args, config: SHConfig) -> None:
    batch = SentinelHubBatch(config=config)
    run(args, config, batch, batch.get_request(args.request_id))


def run(args, config: SHConfig, batch: SentinelHubBatch, batch_request) -> None:
    batch.start_job(batch_request)
    batch_request = wait_for(batch, batch_request.request_id, {"DONE", "PARTIAL", "FAILED"}, args.timeout)
    per_status = monitor_batch_job(batch_request, config=config, sleep_time=60)
    emit(
        "finished",
        status=batch_request.status.value,
        error=batch_request.error,
        per_status={status.value: len(tiles) for status, tiles in per_status.items() if tiles},
    )


def restart_job(args, config: SHConfig) -> None:
    batch = SentinelHubBatch(config=config)
    batch.restart_job(args.request_id)
    request = wait_for(batch, args.request_id, {"DONE", "PARTIAL", "FAILED"}, args.timeout)
    emit("restarted", status=request.status.value, error=request.error)


def reprocess_tile(args, config: SHConfig) -> None:
    # sentinelhub 3.9 dropped `reprocess_tile`; the tutorial's call is this endpoint, through the client's session.
    batch = SentinelHubBatch(config=config)
    url = f"{batch.service_url}/process/{args.request_id}/tiles/{args.tile_id}/restart"
    batch.client.get_json(url, request_type=RequestType.POST, use_session=True)
    request = wait_for(batch, args.request_id, {"DONE", "PARTIAL", "FAILED"}, args.timeout)
    emit("reprocessed", status=request.status.value, tile=batch.get_tile(args.request_id, args.tile_id))


def cancel(args, config: SHConfig) -> None:
    batch = SentinelHubBatch(config=config)
    batch.cancel_job(args.request_id)
    request = wait_for(batch, args.request_id, {"CANCELED", "DONE", "PARTIAL", "FAILED"}, args.timeout)
    emit("canceled", status=request.status.value, is_canceled=request.status is BatchRequestStatus.CANCELED)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "command", choices=["workflow", "prepare", "start", "restart-job", "reprocess-tile", "cancel"]
    )
    parser.add_argument("--feature", type=int, default=0)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--bucket")
    parser.add_argument("--request-id")
    parser.add_argument("--tile-id", type=int)
    parser.add_argument("--resolution", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    config = make_config(args.base_url)
    commands = {"workflow": workflow, "prepare": workflow, "start": start, "restart-job": restart_job}
    commands.update({"reprocess-tile": reprocess_tile, "cancel": cancel})
    commands[args.command](args, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
