"""The start dialog: a small table of the job's tiles and processing units, the job id once, one sentence on how
the batch charge follows from the estimates, and the request (secrets masked) behind a "Show request" toggle."""

from __future__ import annotations

import json

import pytest

from tilewise.core.costs import estimate_batch_cost
from tilewise.core.jobs import BatchJob
from tilewise.core.submission import StartSummary
from tilewise.ui.start_dialog import StartJobDialog
from tilewise.ui.theme import text_style

from .conftest import wait_until

REQUEST = {"processRequest": {"evalscript": "//VERSION=3"},
           "output": {"delivery": {"s3": {"url": "s3://bucket/x", "accessKey": "AKIA", "secretAccessKey": "shh"}}}}  # fmt: skip
OURS = estimate_batch_cost([(1000, 1000)] * 6, ["B04", "B08"], ["FLOAT32"], 10)  # 2 bands, float, 10 samples
SMALL = estimate_batch_cost([(1000, 1000)] * 6, ["B04", "B08"], ["UINT8"], 1)  # under the 100 PU minimum


def summary(
    value_estimate, budget=None, mosaicking="ORBIT", tile_count=6, version=1, ours=OURS
) -> StartSummary:
    job = BatchJob("1f3a9c2e-job", version, "engine", "ANALYSIS_DONE", description="NDVI July",
                   value_estimate=value_estimate, request_body=REQUEST)  # fmt: skip
    return StartSummary(job, "Tilewise engine", tile_count, ours, budget, mosaicking)


@pytest.fixture
def open_dialog(qgis_app, undo_after):
    def make(start_summary: StartSummary) -> StartJobDialog:
        dialog = undo_after(StartJobDialog(start_summary), close)
        dialog.show()
        return dialog

    return make


def close(dialog: StartJobDialog) -> None:
    dialog.close()
    dialog.deleteLater()


def texts(dialog: StartJobDialog) -> dict[str, str]:
    return {key: label.text() for key, label in dialog.values.items()}


def test_the_table_shows_tiles_both_estimates_the_expected_charge_and_the_budget(open_dialog):
    dialog = open_dialog(summary(305.1, budget=500.0, tile_count=7))
    assert texts(dialog) == {
        "job": "1f3a9c2e-job",
        "tiles": "7 (the grid preview counted 6)",
        "ours": f"{OURS.value_estimate:,.1f} PU at the full rate",
        "service": "305.1 PU at the full rate",
        "charge": "<b>101.7 PU</b>",  # the service's estimate, a third of it for batch
        "budget": "500.0 PU",
    }
    everything = " ".join(label.text() for label in dialog.findChildren(type(dialog.verdict)))
    assert everything.count("1f3a9c2e-job") == 1  # the job id once
    explanation = dialog.explanation.text()
    assert "a third of the full rate" in explanation and "at least 100 PU" in explanation
    assert "the service's estimate of 305.1 PU is expected to cost 101.7 PU." in explanation
    assert "a scene every 3 days (ORBIT mosaicking)" in explanation  # why the final charge is often lower
    assert dialog.start_button.isEnabled() and dialog.values["charge"].styleSheet() == ""


def test_without_a_service_estimate_ours_sets_the_charge_and_a_small_job_costs_the_minimum(open_dialog):
    dialog = open_dialog(summary(None, mosaicking="SIMPLE", version=2, ours=SMALL))
    assert texts(dialog)["service"] == "none (a Batch API v2 analysis gives none)"
    assert texts(dialog)["charge"] == "<b>100.0 PU</b>" and texts(dialog)["budget"] == "no limit"
    explanation = dialog.explanation.text()
    assert SMALL.charge.discounted < 100.0
    assert (
        f"our estimate of {SMALL.value_estimate:,.1f} PU is expected to cost 100.0 PU (the minimum)."
        in explanation
    )
    assert "scene every 3 days" not in explanation


def test_over_budget_the_charge_is_red_and_start_is_refused(open_dialog):
    dialog = open_dialog(summary(900.0, budget=250.0))
    assert not dialog.start_button.isEnabled()
    assert dialog.values["charge"].styleSheet() == text_style("error")
    assert "over your budget" in dialog.verdict.text()
    dialog.accept()
    assert dialog.isVisible()  # accept is refused too


def test_the_request_is_behind_a_collapsed_toggle_with_secrets_masked(open_dialog):
    dialog = open_dialog(summary(305.1))
    assert not dialog.request_toggle.isChecked() and not dialog.request_text.isVisible()
    collapsed = dialog.height()
    dialog.request_toggle.click()
    wait_until(lambda: dialog.request_text.isVisible())
    shown = json.loads(dialog.request_text.toPlainText())
    assert shown["output"]["delivery"]["s3"]["url"] == "s3://bucket/x"
    assert "shh" not in dialog.request_text.toPlainText()
    wait_until(lambda: dialog.height() > collapsed)
    dialog.request_toggle.click()
    assert not dialog.request_text.isVisible()
