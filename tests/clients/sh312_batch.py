"""The sentinelhub-py batch tutorial (v2, `BatchProcessClient`), run by sentinelhub==3.12.0 against a Tilewise engine.

Run with the interpreter of `.venv-clients/sh312`; only the base and token URLs differ from the tutorial,
and the delivery uses access keys (the engine cannot assume IAM roles). Each step prints one JSON line
`{"step": ..., ...}` so the test can check what the client saw. Credentials come from the environment
(SH_CLIENT_ID, SH_CLIENT_SECRET, S3_ACCESS_KEY, S3_SECRET_KEY), never from the command line.

    python sh312_batch.py workflow --base-url http://127.0.0.1:8765 --bucket NAME
    python sh312_batch.py stop-and-start --base-url ... --bucket NAME --resolution 20
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from sentinelhub import (
    BatchProcessClient,
    BatchRequestStatus,
    SHConfig,
    monitor_batch_process_analysis,
    monitor_batch_process_job,
)
from tutorial_common import (
    GRID_ID,
    INTERPOLATION_EVALSCRIPT,
    emit,
    make_config,
    tutorial_request,
)

EVALSCRIPT = INTERPOLATION_EVALSCRIPT


def create(args, config: SHConfig, client: BatchProcessClient):
    sentinelhub_request = tutorial_request(config)
    request = client.create(
        sentinelhub_request,
        input=client.tiling_grid_input(grid_id=GRID_ID, resolution=args.resolution, buffer_x=50, buffer_y=50),
        output=client.raster_output(
            delivery=client.s3_specification(
                url=f"s3://{args.bucket}/{args.folder}",
                access_key=os.environ["S3_ACCESS_KEY"],
                secret_access_key=os.environ["S3_SECRET_KEY"],
                region="us-east-1",
            )
        ),
        description="sentinelhub-py tutorial batch job",
    )
    emit("created", id=request.request_id, status=request.status.value, request=request.request)
    return request


def workflow(args, config: SHConfig) -> None:
    client = BatchProcessClient(config=config)
    grids = list(client.iter_tiling_grids())
    emit("grids", ids=[g["id"] for g in grids])
    emit("grid", grid=client.get_tiling_grid(GRID_ID))
    request = create(args, config, client)
    emit("listed", ids=[r.request_id for r in client.iter_requests()])
    client.start_analysis(request)
    request = monitor_batch_process_analysis(request, client, sleep_time=5)
    emit("analysed", status=request.status.value, completion=request.completion_percentage)
    client.start_job(request)
    request = monitor_batch_process_job(request, client, sleep_time=60)
    emit(
        "finished",
        status=request.status.value,
        completion=request.completion_percentage,
        cost=request.cost_PU,
        error=request.error,
        user_action=request.user_action.value,
    )


def stop_and_start(args, config: SHConfig) -> None:
    client = BatchProcessClient(config=config)
    request = create(args, config, client)
    client.start_job(request)
    deadline = time.monotonic() + args.timeout
    while client.get_request(request).completion_percentage == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("no feature finished")
        time.sleep(0.2)
    client.stop_job(request)
    stopped = client.get_request(request)
    emit(
        "stopped",
        status=stopped.status.value,
        reason=stopped.stopped_status_reason.value if stopped.stopped_status_reason else None,
        completion=stopped.completion_percentage,
        is_stopped=stopped.status is BatchRequestStatus.STOPPED,
    )
    time.sleep(3)  # features that were running finish
    client.start_job(request)
    request = monitor_batch_process_job(request, client, sleep_time=60)
    emit(
        "finished", status=request.status.value, completion=request.completion_percentage, error=request.error
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["workflow", "stop-and-start"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--folder", default="tutorial")
    parser.add_argument("--resolution", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    config = make_config(args.base_url)
    {"workflow": workflow, "stop-and-start": stop_and_start}[args.command](args, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
