"""The work sent to a tile worker: the stored request read once into the model, picklable for Dask, with the
v2 delivery keys beside it and never in its repr."""

from __future__ import annotations

import pickle

from testkit import request_body

from tilewise.core.batch_models import ProcessRequest, RasterOutput, strip_v2_secrets
from tilewise.core.s3 import S3Credentials
from tilewise.core.statuses import V1, V2, RequestStatus
from tilewise.engine.analysis import Analyser
from tilewise.engine.config import Settings
from tilewise.engine.store import RequestRecord, TileRecord

BOUNDS = (300000.0, 3990000.0, 305000.0, 3995000.0)


def tile(tile_id: int, **size) -> TileRecord:
    return TileRecord("r1", tile_id, f"T{tile_id}", 32611, BOUNDS, {}, **size)


def record(api_version: int, body: dict) -> RequestRecord:
    payload, secrets = strip_v2_secrets(body) if api_version == V2 else (body, None)
    return RequestRecord("r1", api_version, RequestStatus.PROCESSING, payload, secrets=secrets or None)


def test_v2_tile_jobs_carry_the_model_and_the_delivery_keys_and_survive_pickling(tmp_path):
    body = request_body(V2, "s3://bucket/out/<tileName>/<outputId>.<format>", ("ndvi", "mask"))
    body["input"].update(resolution=20, bufferX=4, bufferY=2)
    body["output"].update(overwrite=True, cogOutput=True)
    body["output"]["delivery"]["s3"].update(accessKey="AKIA", secretAccessKey="very-secret", region="eu-1")
    jobs = Analyser(Settings(data_dir=tmp_path)).tile_jobs(
        record(V2, body), [(tile(1), False), (tile(2), True)]
    )
    assert [(j.tile_id, j.resume) for j in jobs] == [(1, False), (2, True)]
    job = jobs[0]
    assert isinstance(job.process_request, ProcessRequest) and isinstance(job.output, RasterOutput)
    assert [r.identifier for r in job.process_request.responses] == ["ndvi", "mask"]
    assert (job.output.path, job.output.overwrite, job.output.cog_output) == (
        "s3://bucket/out/<tileName>/<outputId>.<format>",
        True,
        True,
    )
    assert (job.resolution, job.buffer_x, job.buffer_y, job.raster_size) == (20.0, 4, 2, (258, 254))
    assert job.credentials == S3Credentials("AKIA", "very-secret", "eu-1")
    assert "very-secret" not in repr(job)
    assert pickle.loads(pickle.dumps(job)) == job


def test_a_v1_tile_job_delivers_with_the_engines_identity_and_a_feature_keeps_its_own_size(tmp_path):
    body = {**request_body(V1, "unused"), "bucketName": "bucket"}
    del body["output"]
    analyser = Analyser(Settings(data_dir=tmp_path))
    (job,) = analyser.tile_jobs(record(V1, body), [(tile(1), False)])
    assert (job.output.path, job.credentials, job.resolution) == ("s3://bucket", None, 10.0)
    (feature,) = analyser.tile_jobs(record(V1, body), [(tile(2, width=100, height=50), False)])
    assert feature.raster_size == (100, 50)
