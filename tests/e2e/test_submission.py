"""The submission flow (core/submission.py) against a live engine, v1 and v2: prepare → create → analyse →
estimate, as the dock, the Processing algorithms and `make demo` run it."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from testkit import NDVI_WITH_MASK, TEST_BBOX, TEST_CLIENT_ID, TEST_CLIENT_SECRET

from tilewise.core import submission
from tilewise.core.auth import ClientCredentials
from tilewise.core.batch_models import TilingGridSpec
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.http import Cancel
from tilewise.core.job_form import FieldProblem, FormInvalid, JobDraft
from tilewise.core.statuses import V1, V2

SQUARE = shapely.box(*TEST_BBOX)


@pytest.fixture(scope="module")
def engine(small_catalog, s3_server, tmp_path_factory):
    from testkit import local_engine

    server = local_engine(tmp_path_factory.mktemp("submission-engine"), small_catalog, s3_server).start()
    yield server
    server.stop()


@pytest.fixture
def client_of(engine):
    clients: list[BatchClient] = []

    def make(version: int) -> BatchClient:
        deployment = custom_deployment("Test engine", engine.url, api_versions=(V2, V1))
        client = BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), version)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def draft(output_url: str, **changes) -> JobDraft:
    values = dict(
        evalscript=NDVI_WITH_MASK,
        time_from=date(2023, 7, 1),
        time_to=date(2023, 7, 30),
        grid=TilingGridSpec(1, 20.0),
        output_url=output_url,
        description="submission flow",
    )
    values.update(changes)
    return JobDraft(**values)


@pytest.mark.parametrize("version", [V1, V2])
def test_a_job_goes_from_the_form_to_its_confirmation(engine, client_of, s3_server, version):
    client = client_of(version)
    bucket = s3_server.new_bucket()
    keys = (
        dict(s3_access_key=s3_server.access_key, s3_secret_key=s3_server.secret_key) if version == V2 else {}
    )
    prepared = submission.prepare(draft(f"s3://{bucket}/flow", **keys), [SQUARE], "EPSG:4326", version, True)
    assert [tile.name for tile in prepared.selection.tiles] == ["11SKV_9_0", "11SLV_0_0"]
    assert prepared.estimate.tile_count == 2 and prepared.estimate.value_estimate > 0
    assert len(prepared.footprint_wkb) == 2

    cancel = Cancel()
    created = submission.create(client, prepared, cancel)
    assert created.status == "CREATED" and created.api_version == version
    analysed = submission.analyse(client, created, cancel, poll_s=0.2)
    assert analysed.id == created.id and analysed.status == "ANALYSIS_DONE"
    assert (
        engine.call("GET", f"/api/v{version}/batch/process/{created.id}").json()["status"] == "ANALYSIS_DONE"
    )

    summary = submission.estimate(analysed, prepared, client.deployment.name, budget_pu=1.0)
    assert summary.tile_count == analysed.tile_count == 2
    assert summary.estimate is prepared.estimate and summary.deployment_name == "Test engine"
    assert summary.over_budget  # at least the 100 PU minimum charge, over a 1 PU budget
    assert not submission.estimate(analysed, prepared, client.deployment.name, budget_pu=0).over_budget

    # analysing again waits for the job without asking the service a second time
    assert submission.analyse(client, analysed, cancel, poll_s=0.2).status == "ANALYSIS_DONE"


def test_a_job_whose_analysis_did_not_end_well_is_not_offered_to_start(client_of, s3_server):
    client = client_of(V1)
    prepared = submission.prepare(draft(f"s3://{s3_server.new_bucket()}/x"), [SQUARE], "EPSG:4326", V1, True)
    job = submission.create(client, prepared)
    with pytest.raises(submission.AnalysisFailed, match=f"job {job.id} ended CREATED"):
        submission.estimate(job, prepared, "Test engine")


def test_every_problem_of_the_form_and_the_area_is_reported_at_once():
    earlier = FieldProblem("s3_keys", "The chosen S3 authentication configuration is gone.")
    bad = draft("ftp://nowhere", collection="landsat", time_from=date(2023, 8, 1))
    with pytest.raises(FormInvalid) as caught:
        submission.prepare(bad, [shapely.Point(0, 0)], "EPSG:4326", V2, True, problems=[earlier])
    assert {"s3_keys", "collection", "time", "output", "area"} <= caught.value.fields()
    with pytest.raises(FormInvalid) as caught:
        submission.prepare(None, [], "", V2, True)
    assert caught.value.fields() == {"area"}
    unreadable = FieldProblem("time", "Give the dates.")
    with pytest.raises(FormInvalid) as caught:  # a draft that could not be read: the area is still tiled
        submission.prepare(None, [SQUARE], "EPSG:4326", V2, True, 1, [unreadable], TilingGridSpec(1, 20.0))
    assert caught.value.fields() == {"time", "grid"}
    with pytest.raises(FormInvalid) as caught:
        submission.prepare(draft("s3://my-bucket/x"), [SQUARE], "EPSG:4326", V2, True, max_tiles=1)
    assert caught.value.fields() == {"grid"}
