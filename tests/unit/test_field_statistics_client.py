"""BatchStatisticalJob read from the service's bodies (reference §1.5, §1.7, §1.9), without a service."""

from __future__ import annotations

import json

import pytest

from tilewise.core.http import BadResponse
from tilewise.core.statistical_client import BatchStatisticalJob
from tilewise.core.statuses import RequestStatus

# the tutorial's real /status output (reference §1.5)
TUTORIAL_STATUS = {
    "id": "4700adcb-0000-4000-8000-000000000000",
    "status": "DONE",
    "completionPercentage": 100,
    "lastUpdated": "2022-08-26T08:55:08.962021Z",
    "costPU": 6.027410152775339,
    "created": "2022-08-26T08:40:36.127266Z",
}


def test_the_tutorials_status_reads_with_cost_and_completion():
    job = BatchStatisticalJob.from_api(TUTORIAL_STATUS)
    assert job.status is RequestStatus.DONE and job.is_terminal
    assert job.completion_percentage == 100.0 and job.cost_pu == 6.027410152775339
    assert (job.created, job.last_updated) == (TUTORIAL_STATUS["created"], TUTORIAL_STATUS["lastUpdated"])


def test_the_published_schemas_cost_spelling_also_reads():
    job = BatchStatisticalJob.from_api({"id": "a", "status": "PROCESSING", "costPu": 1.5})
    assert job.cost_pu == 1.5 and not job.is_terminal and job.completion_percentage == 0.0


def test_a_stopped_job_keeps_its_reason_and_its_request_loses_its_keys():
    body = {
        "id": "b",
        "status": "STOPPED",
        "stoppedStatusReason": "USER_ACTION",
        "request": {
            "input": {"features": {"s3": {"url": "s3://f/x.gpkg", "accessKey": "AKIAKEY123", "secretAccessKey": "s3cret-value"}}},
            "output": {"s3": {"url": "s3://f/out", "accessKey": "AKIAKEY123", "secretAccessKey": "s3cret-value"}},
        },
    }  # fmt: skip
    job = BatchStatisticalJob.from_api(body)
    assert job.stopped_reason == "USER_ACTION" and job.is_terminal
    assert job.output_url == "s3://f/out"
    assert "s3cret-value" not in json.dumps(job.request) and "AKIAKEY123" not in json.dumps(job.request)


@pytest.mark.parametrize("body", [None, {"status": "DONE"}, {"id": "c", "status": "WAITING"}])
def test_a_body_that_is_no_batch_statistical_request_is_a_bad_response(body):
    with pytest.raises(BadResponse):
        BatchStatisticalJob.from_api(body)
