"""Which job actions apply in which status (the Batch API's state machines), and what is asked first."""

from __future__ import annotations

import pytest
from testkit import request_body

from tilewise.core.batch_models import parse_request
from tilewise.core.job_actions import (
    Action,
    confirmation,
    label_of,
    reprocess_confirmation,
    why_not,
    why_not_reprocess,
)
from tilewise.core.jobs import BatchJob
from tilewise.core.statuses import V1, V2


def job(status: str, version: int = V1, **extra) -> BatchJob:
    request = parse_request(version, request_body(version, "s3://bucket/folder"))
    return BatchJob("0123456789abcdef", version, "dep", status, request=request, **extra)


def allowed(status: str, version: int) -> set[Action]:
    return {action for action in Action if why_not(job(status, version), action) is None}


OUTPUTS = {Action.OPEN_OUTPUTS, Action.OPEN_MOSAIC, Action.DOWNLOAD}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("CREATED", {Action.START, Action.STOP, Action.DELETE}),
        ("ANALYSING", {Action.STOP}),
        ("ANALYSIS_DONE", {Action.SHOW_TILES, Action.START, Action.STOP, Action.DELETE}),
        ("PROCESSING", {Action.SHOW_TILES, Action.STOP} | OUTPUTS),
        ("PARTIAL", {Action.SHOW_TILES, Action.RESTART} | OUTPUTS),
        ("DONE", {Action.SHOW_TILES} | OUTPUTS),
        ("FAILED", {Action.SHOW_TILES, Action.DELETE} | OUTPUTS),
        ("CANCELED", {Action.SHOW_TILES, Action.DELETE} | OUTPUTS),
    ],
)
def test_v1_actions_follow_the_v1_state_machine(status, expected):
    assert allowed(status, V1) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("CREATED", {Action.START}),
        ("ANALYSING", {Action.STOP}),
        ("ANALYSIS_DONE", {Action.SHOW_TILES, Action.START, Action.STOP}),
        ("PROCESSING", {Action.SHOW_TILES, Action.STOP} | OUTPUTS),
        ("STOPPED", {Action.SHOW_TILES, Action.START} | OUTPUTS),
        ("DONE", {Action.SHOW_TILES} | OUTPUTS),
    ],
)
def test_v2_jobs_can_only_be_stopped_and_started_again(status, expected):
    assert allowed(status, V2) == expected


def test_every_refusal_says_why_and_what_to_do():
    assert "Restart failed" in why_not(job("PARTIAL"), Action.START)
    assert "cancel it" in why_not(job("PROCESSING"), Action.DELETE)
    assert "create a new job" in why_not(job("DONE", V2), Action.RESTART)
    assert "no output location" in why_not(BatchJob("x", V1, "d", "DONE"), Action.OPEN_OUTPUTS)
    assert why_not(None, Action.START) == "Select a job first."


def test_one_tile_is_reprocessed_only_when_it_failed_in_a_v1_job():
    assert why_not_reprocess(job("PARTIAL"), "FAILED") is None
    assert "only a FAILED tile" in why_not_reprocess(job("PARTIAL"), "PROCESSED")
    assert "no per-tile actions" in why_not_reprocess(job("DONE", V2), "FATAL")
    assert "CANCELED" in why_not_reprocess(job("CANCELED"), "FAILED")


def test_actions_that_spend_units_or_cannot_be_undone_are_asked_with_their_cost():
    analysed = job("ANALYSIS_DONE", value_estimate=900.0)
    assert "900 PU" in confirmation(analysed, Action.START) and "≈ 300 PU" in confirmation(
        analysed, Action.START
    )
    assert "not known yet" in confirmation(job("CREATED"), Action.START)
    assert "cannot be resumed" in confirmation(job("PROCESSING"), Action.STOP)
    assert "30 minutes" in confirmation(job("PROCESSING", V2), Action.STOP)
    assert "processing units" in confirmation(job("PARTIAL"), Action.RESTART)
    assert "cannot be undone" in confirmation(job("CREATED"), Action.DELETE)
    assert confirmation(job("DONE"), Action.OPEN_OUTPUTS) is None
    per_tile = reprocess_confirmation(job("PARTIAL", value_estimate=100.0, tile_count=4), "T11SLT_0_1")
    assert "T11SLT_0_1" in per_tile and "25.0 PU" in per_tile


def test_labels_name_the_version_s_action():
    assert label_of(Action.STOP, V1).label == "Cancel"
    assert label_of(Action.STOP, V2).label == "Stop"
