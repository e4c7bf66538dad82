"""The end of a job is announced in the message bar with "Open outputs" and "Show job"; "Show job" and Start
bring the Jobs tab forward with the job selected; the Jobs tab fits the dock's minimum width."""

from __future__ import annotations

import dataclasses
import json

import pytest
from qgis.core import Qgis
from qgis.gui import QgsMessageBar
from qgis.PyQt.QtWidgets import QDockWidget, QTabWidget, QWidget
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, free_port, request_body

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.http import RetryPolicy
from tilewise.core.jobs import BatchJob
from tilewise.core.statuses import V1, V2, RequestStatus
from tilewise.ui.job_end_notice import brief, end_summary, notice_buttons, notice_label, push_end_notice
from tilewise.ui.jobs_panel import DESCRIPTION, ID, TILES, JobsPanel

from .conftest import wait_until

OPEN_OUTPUTS, SHOW_JOB = "Open outputs", "Show job"
LONG_DESCRIPTION = "NDVI of the whole Central Valley for July, every field, " * 4


def job(status: str, version: int = V1, **changes) -> BatchJob:
    body = {"id": "5f0c8a2e-1b7d-4c44-9a55-0d1e2f3a4b5c", "status": status, "description": "NDVI July"}
    url = "s3://bucket/jobs/<tileName>/<outputId>.tif"
    if version == V2:
        made = BatchJob.from_v2({**body, "request": request_body(V2, url)}, "dead-port")
    else:
        made = BatchJob.from_v1({**request_body(V1, url), **body}, "dead-port")
    return dataclasses.replace(made, tile_count=12, cost_pu=61.04, **changes)


@pytest.fixture
def bar(qgis_app):
    widget = QgsMessageBar()
    yield widget
    widget.deleteLater()


def pushed(bar: QgsMessageBar, ended: BatchJob, counts: dict) -> tuple[dict, list]:
    acted: list = []
    item = push_end_notice(
        bar, ended, counts, lambda j: acted.append(("outputs", j.id)), lambda j: acted.append(("show", j.id))
    )
    assert item is not None and bar.currentItem() is item
    return notice_buttons(item), acted


def test_a_done_job_is_announced_with_open_outputs_and_show_job(bar):
    done = job(RequestStatus.DONE)
    buttons, acted = pushed(bar, done, {"PROCESSED": 12})
    assert set(buttons) == {OPEN_OUTPUTS, SHOW_JOB}
    item = bar.currentItem()
    assert item.level() == Qgis.MessageLevel.Success
    label = notice_label(item)
    assert label.text() == "<b>Job DONE</b> “NDVI July” · 12/12 tiles · 61.04 PU"
    assert label.toolTip() == "Job “NDVI July” ended DONE: 12 of 12 tiles done, 61.04 PU charged."
    buttons[OPEN_OUTPUTS].click()
    assert acted == [("outputs", done.id)] and bar.currentItem() is None  # acting closes the notice


def test_a_failed_job_offers_outputs_only_when_some_tiles_were_delivered(bar):
    nothing = job(RequestStatus.FAILED)
    buttons, acted = pushed(bar, nothing, {"FAILED": 12})
    assert set(buttons) == {SHOW_JOB}  # nothing delivered: nothing to open
    assert bar.currentItem().level() == Qgis.MessageLevel.Critical
    assert "0/12 tiles, 12 failed" in notice_label(bar.currentItem()).text()
    assert "0 of 12 tiles done, 12 failed" in notice_label(bar.currentItem()).toolTip()
    buttons[SHOW_JOB].click()
    assert acted == [("show", nothing.id)]

    some = job(RequestStatus.FAILED, version=V2, description="")
    buttons, _ = pushed(bar, some, {"DONE": 3, "FATAL": 9})
    assert set(buttons) == {OPEN_OUTPUTS, SHOW_JOB}
    assert "</b> “5f0c8a2e” ·" in notice_label(bar.currentItem()).text()  # no description: the short id


def test_stopped_partial_and_failed_tiles_are_warnings_and_long_descriptions_are_cut(bar):
    for ended, counts in (
        (job(RequestStatus.STOPPED, version=V2, completion=40.0), {}),
        (job(RequestStatus.PARTIAL), {"PROCESSED": 10, "FAILED": 2}),
        (job(RequestStatus.DONE, version=V2), {"DONE": 10, "FATAL": 2}),
    ):
        buttons, _ = pushed(bar, ended, counts)
        assert bar.currentItem().level() == Qgis.MessageLevel.Warning
        assert OPEN_OUTPUTS in buttons
    assert "40 % complete" in end_summary(job(RequestStatus.STOPPED, version=V2, completion=40.0), {})
    long = job(RequestStatus.DONE, description=LONG_DESCRIPTION)
    assert len(end_summary(long, {})) < 100 and len(brief(long, {})) < 50 and "…" in brief(long, {})


# --- the Jobs tab ---------------------------------------------------------------------------------------------


@pytest.fixture
def docked_panel(qgis_app, qgis_new_project):
    """A JobsPanel as the dock holds it: the second tab of a QTabWidget in a QDockWidget, 440 px wide."""
    dock = QDockWidget("Tilewise")
    tabs = QTabWidget(dock)
    tabs.addTab(QWidget(tabs), "New job")
    panel = JobsPanel(tabs)
    tabs.addTab(panel, "Jobs")
    dock.setWidget(tabs)
    dock.resize(440, 760)
    dock.show()
    deployment = custom_deployment("Nowhere", f"http://127.0.0.1:{free_port()}", api_versions=(V1,))
    client = BatchClient(
        deployment,
        ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET),
        api_version=V1,
        policy=RetryPolicy(attempts=1, not_found_delays_s=()),
    )
    panel.set_client(client, deployment.id, deployment.name)
    wait_until(lambda: not panel.is_loading())
    yield dock, tabs, panel
    panel.unload()
    dock.close()
    dock.deleteLater()
    client.close()


def test_show_job_selects_the_job_and_brings_the_jobs_tab_forward(docked_panel):
    dock, tabs, panel = docked_panel
    ended = job(RequestStatus.DONE, deployment=panel._deployment_id)
    panel.search_edit.setText("something else")  # a search that would hide it: it is shown all the same
    panel.search_timer.stop()
    assert tabs.currentIndex() == 0
    panel.show_job(ended)
    assert tabs.currentWidget() is panel and panel.selected_job().id == ended.id
    assert panel.detail_labels["id"].text() == ended.id


def test_the_jobs_tab_never_scrolls_sideways_at_the_docks_minimum_width(docked_panel):
    dock, tabs, panel = docked_panel
    request = {
        "processRequest": {"evalscript": "//VERSION=3\n" + "x" * 2000},
        "description": LONG_DESCRIPTION,
    }
    long_job = job(
        RequestStatus.FAILED,
        deployment=panel._deployment_id,
        description=LONG_DESCRIPTION,
        error="The tile failed: " + "no data " * 40,
        request_body=request,
    )
    panel.show_job(long_job)
    for _ in range(5):
        qgis_app_process()
    assert panel.minimumSizeHint().width() <= 440 - 20  # the panel never forces the dock wider
    scroll = panel.table.horizontalScrollBar()
    assert not scroll.isVisible() and scroll.maximum() == 0
    viewport = panel.table.viewport().width()
    header = panel.table.horizontalHeader()
    assert header.length() <= viewport  # the columns fit; the description elides
    assert header.sectionSize(DESCRIPTION) >= 80  # and keeps a readable width: the id is in the details
    assert panel.table.isColumnHidden(ID) and panel.table.isColumnHidden(TILES)
    dock.resize(900, 760)  # a wider dock has room for them
    qgis_app_process()
    assert not panel.table.isColumnHidden(ID) and not panel.table.isColumnHidden(TILES)
    dock.resize(440, 760)
    qgis_app_process()
    # the request is collapsed until asked for, then wraps instead of scrolling
    assert panel.request_view.isHidden() and panel.request_toggle.text() == "Show request"
    panel.request_toggle.click()
    qgis_app_process()
    assert panel.request_view.isVisible() and panel.request_toggle.text() == "Hide request"
    assert json.loads(panel.request_view.toPlainText())["description"] == LONG_DESCRIPTION
    assert panel.request_view.horizontalScrollBar().maximum() == 0
    assert panel.minimumSizeHint().width() <= 440 - 20


def test_a_tile_selected_on_the_map_shows_under_its_job(docked_panel):
    _dock, _tabs, panel = docked_panel
    running = job(RequestStatus.PROCESSING, deployment=panel._deployment_id)
    panel.show_job(running)
    assert panel.detail_labels["tile"].isHidden()
    tile = {"id": 4, "name": "33UVP_3_7", "status": "FAILED", "failure": "no data here", "cost": 1.5}
    panel.show_tile(running.id, tile)
    label = panel.detail_labels["tile"]
    assert not label.isHidden() and label.text() == "33UVP_3_7: FAILED — no data here (1.50 PU)"
    panel.show_tile(running.id, None)
    assert label.isHidden()


def qgis_app_process() -> None:
    from qgis.PyQt.QtCore import QCoreApplication

    QCoreApplication.processEvents()
