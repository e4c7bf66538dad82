"""The dock's job list against a live engine (newest first, pages, server-side search, the project filter,
details, failures that keep the rows) and the jobs a QGIS project remembers."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid

import pytest
from qgis.core import QgsProject
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, free_port, process_request_json

from tilewise.core import project_jobs
from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.http import RetryPolicy
from tilewise.core.jobs import BatchJob
from tilewise.core.project_jobs import RememberedJob, parse_timestamp
from tilewise.core.statuses import V1, V2
from tilewise.ui.jobs_panel import (
    COLUMN_COUNT,
    CREATED,
    DESCRIPTION,
    ID,
    PROGRESS,
    PU,
    STATUS,
    TILES,
    JobsPanel,
    JobsTableModel,
    masked,
)

from .conftest import wait_until

SCRIPT = """//VERSION=3
function setup() { return { input: ["B04"], output: { bands: 1, sampleType: "UINT16" } }; }
function evaluatePixel(s) { return [s.B04]; }
"""
FAST = RetryPolicy(attempts=1, not_found_delays_s=())


OPEN: list[BatchClient] = []


@pytest.fixture(autouse=True)
def close_clients():
    yield
    while OPEN:
        OPEN.pop().close()


def client_for(url: str, version: int = V1, policy: RetryPolicy = FAST) -> BatchClient:
    deployment = custom_deployment("Panel test", url, api_versions=(V2, V1))
    client = BatchClient(
        deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), api_version=version, policy=policy
    )
    OPEN.append(client)
    return client


def create_jobs(client: BatchClient, bucket: str, *descriptions: str) -> list[BatchJob]:
    """v1 jobs, oldest first (a few ms apart so that their creation times order them)."""
    jobs = []
    for description in descriptions:
        body = {
            "processRequest": process_request_json(SCRIPT),
            "tilingGrid": {"id": 1, "resolution": 20},
            "output": {"defaultTilePath": f"s3://{bucket}/panel/<tileName>/<outputId>.tif"},
            "description": description,
        }
        jobs.append(client.create_raw(body))
        time.sleep(0.01)
    return jobs


@pytest.fixture
def panel(qgis_app, qgis_new_project):
    widget = JobsPanel(page_size=3)
    yield widget
    widget.unload()
    widget.deleteLater()


def loaded(panel: JobsPanel, action, timeout: float = 60) -> bool:
    """Run `action` (which starts a load) and wait for its page; True when it arrived, False on a failure."""
    results: list[bool] = []
    panel.loadFinished.connect(results.append)
    try:
        action()
        wait_until(lambda: results, timeout)
    finally:
        panel.loadFinished.disconnect(results.append)
    return results[0]


def show(panel: JobsPanel, client: BatchClient, search: str = "") -> bool:
    panel.search_edit.setText(search)
    return loaded(panel, lambda: panel.set_client(client, client.deployment.id, client.deployment.name))


def ids(panel: JobsPanel) -> list[str]:
    return [job.id for job in panel.model.jobs()]


def cell(panel: JobsPanel, row: int, column: int) -> str:
    return panel.model.index(row, column).data()


def load_more_shown(panel: JobsPanel) -> bool:
    return not panel.load_more_button.isHidden()


# --- the list ------------------------------------------------------------------------------------------


def test_without_a_deployment_the_panel_says_what_to_do(panel):
    panel.set_client(None, "", "")
    assert panel.status_label.text() == "Set up a deployment to list its batch jobs."
    assert panel.model.rowCount() == 0 and not panel.refresh_button.isEnabled() and not load_more_shown(panel)
    assert not panel.is_loading()


def test_the_newest_job_comes_first_with_readable_columns(panel, engine, bucket):
    client = client_for(engine.url)
    older, newest = create_jobs(client, bucket, "panel: older", "panel: newest")
    assert show(panel, client)
    assert ids(panel)[:2] == [newest.id, older.id]
    created = [parse_timestamp(job.created) for job in panel.model.jobs()]
    assert all(created) and created == sorted(created, reverse=True)
    assert [panel.model.headerData(c, 1) for c in range(COLUMN_COUNT)] == [
        "Created", "Status", "Progress", "PU", "Tiles", "Description", "ID",
    ]  # fmt: skip
    local = parse_timestamp(newest.created).astimezone().strftime("%Y-%m-%d %H:%M")
    assert cell(panel, 0, CREATED) == local
    assert cell(panel, 0, STATUS) == "CREATED"
    assert cell(panel, 0, PROGRESS) == "—"  # v1: no completion before processing
    assert cell(panel, 0, PU) == ("—" if newest.cost_pu is None else "0.00")  # the engine reports costPU 0
    assert cell(panel, 0, TILES) == ("—" if newest.tile_count is None else str(newest.tile_count))
    assert cell(panel, 0, DESCRIPTION) == "panel: newest" and cell(panel, 0, ID) == newest.id
    assert panel.error_label.isHidden() and "Panel test" in panel.status_label.text()


def test_pages_load_more_until_the_last_one(panel, engine, bucket):
    client = client_for(engine.url)
    tag = uuid.uuid4().hex[:10]
    jobs = create_jobs(client, bucket, *(f"paging {tag} #{i}" for i in range(7)))
    newest_first = [job.id for job in reversed(jobs)]
    assert show(panel, client, search=tag)
    assert ids(panel) == newest_first[:3] and load_more_shown(panel) and panel.has_more()
    assert loaded(panel, panel.load_more_button.click)
    assert ids(panel) == newest_first[:6] and load_more_shown(panel)
    assert loaded(panel, panel.load_more_button.click)
    assert ids(panel) == newest_first and not load_more_shown(panel) and not panel.has_more()
    assert loaded(panel, panel.refresh)  # page 1 again
    assert ids(panel) == newest_first[:3] and load_more_shown(panel)


def test_buttons_are_disabled_while_a_page_loads(panel, engine, bucket):
    client = client_for(engine.url)
    create_jobs(client, bucket, *(f"busy {i}" for i in range(4)))
    assert show(panel, client)
    panel.refresh()
    assert panel.is_loading() and panel.status_label.text() == "Loading…"
    assert not panel.refresh_button.isEnabled() and not panel.load_more_button.isEnabled()
    wait_until(lambda: not panel.is_loading())
    assert panel.refresh_button.isEnabled() and panel.load_more_button.isEnabled()


def test_search_runs_on_the_server_after_a_pause_in_typing(panel, engine, bucket):
    client = client_for(engine.url)
    tag = uuid.uuid4().hex[:10]
    needle, *_ = create_jobs(client, bucket, f"needle-{tag}", *(f"hay-{tag} {i}" for i in range(4)))
    assert show(panel, client)
    assert needle.id not in ids(panel)  # not on page 1: only the service can find it
    results: list[bool] = []
    panel.loadFinished.connect(results.append)
    for length in range(1, len(f"needle-{tag}") + 1):  # typing
        panel.search_edit.setText(f"needle-{tag}"[:length])
    assert panel.search_timer.isActive() and not panel.is_loading()  # nothing asked yet
    wait_until(lambda: results)
    time.sleep(0.6)
    wait_until(lambda: not panel.is_loading())
    assert results == [True]  # one search, for the whole text
    assert ids(panel) == [needle.id] and not load_more_shown(panel)
    assert "matching" in panel.status_label.text()
    assert loaded(panel, panel.search_edit.clear)  # the full list again
    assert len(ids(panel)) == 3 and needle.id not in ids(panel)


def test_a_new_load_cancels_the_one_in_flight(panel, engine, bucket):
    client = client_for(engine.url)
    first = create_jobs(client, bucket, "cancel me")[0]
    assert show(panel, client)
    results: list[bool] = []
    panel.loadFinished.connect(results.append)
    panel.refresh()
    stale = panel._task
    panel.refresh()
    assert stale.isCanceled() and panel._task is not stale
    wait_until(lambda: results)
    time.sleep(0.3)
    wait_until(lambda: not panel.is_loading())
    assert results == [True] and ids(panel)[0] == first.id


def test_the_project_filter_shows_only_the_projects_jobs(panel, engine, bucket):
    client = client_for(engine.url)
    mine_old, other, mine_new, deleted, unrelated = create_jobs(
        client, bucket, "project job 1", "someone else's", "project job 2", "deleted since", "not mine"
    )
    for job in (mine_old, mine_new, deleted):
        project_jobs.remember(job)
    project_jobs.remember(dataclasses.replace(mine_old, id="elsewhere", deployment="sentinel-hub-eu"))
    project_jobs.remember(dataclasses.replace(mine_old, id="a-v2-job", api_version=V2))
    client.delete(deleted.id)
    assert show(panel, client)
    assert ids(panel)[0] == unrelated.id
    assert loaded(panel, lambda: panel.project_only_check.setChecked(True))
    assert ids(panel) == [mine_new.id, mine_old.id]  # newest first; gone and foreign jobs left out
    assert "of this project" in panel.status_label.text() and panel.error_label.isHidden()
    panel.add_or_update(other)  # not the project's: not listed
    assert other.id not in ids(panel)
    project_jobs.remember(other)
    panel.add_or_update(other)
    assert ids(panel) == [mine_new.id, other.id, mine_old.id]
    assert loaded(panel, lambda: panel.project_only_check.setChecked(False))
    assert ids(panel)[0] == unrelated.id


def test_selecting_a_row_shows_the_job_and_emits_it(panel, engine, bucket):
    client = client_for(engine.url)
    job = create_jobs(client, bucket, "select me")[0]
    assert show(panel, client)
    selected: list = []
    panel.jobSelected.connect(selected.append)
    panel.table.selectRow(ids(panel).index(job.id))
    assert [s.id for s in selected] == [job.id] and panel.selected_job().id == job.id
    request = json.loads(panel.request_view.toPlainText())
    assert request["processRequest"]["evalscript"] == SCRIPT
    assert request["tilingGrid"]["id"] == 1
    assert panel.request_view.isReadOnly()
    assert panel.detail_labels["id"].text() == job.id
    assert panel.detail_labels["status"].text() == "CREATED"
    assert panel.detail_labels["output"].text() == f"s3://{bucket}/panel/<tileName>/<outputId>.tif"
    assert loaded(panel, panel.refresh)  # a reload keeps the selection and says nothing new
    assert panel.selected_job().id == job.id and len(selected) == 1
    panel.table.clearSelection()
    assert selected[-1] is None and panel.request_view.toPlainText() == ""
    assert panel.detail_labels["id"].text() == ""


def test_an_unreachable_deployment_shows_the_error_and_keeps_the_rows(panel, engine, bucket):
    client = client_for(engine.url)
    create_jobs(client, bucket, "still here")
    assert show(panel, client)
    rows = ids(panel)
    assert rows
    client.base = f"http://127.0.0.1:{free_port()}/api/v1/batch"  # the service goes away
    assert not loaded(panel, panel.refresh)
    assert not panel.error_label.isHidden() and "did not answer" in panel.error_label.text()
    assert ids(panel) == rows and panel.refresh_button.isEnabled()
    client.base = f"{engine.url}/api/v1/batch"
    assert loaded(panel, panel.refresh)
    assert panel.error_label.isHidden()

    nowhere = client_for(f"http://127.0.0.1:{free_port()}")
    assert not show(panel, nowhere)
    assert "did not answer" in panel.error_label.text() and panel.model.rowCount() == 0


def test_add_or_update_shows_a_job_at_once(panel, engine, bucket):
    client = client_for(engine.url)
    create_jobs(client, bucket, "before")
    assert show(panel, client)
    count = panel.model.rowCount()
    job = create_jobs(client, bucket, "from the job form")[0]
    panel.add_or_update(job)  # no reload, no waiting
    assert ids(panel)[0] == job.id and panel.model.rowCount() == count + 1 and not panel.is_loading()
    panel.table.selectRow(0)
    selected: list = []
    panel.jobSelected.connect(selected.append)
    analysing = dataclasses.replace(job, status="ANALYSING", user_action="ANALYSE")
    panel.add_or_update(analysing)
    assert panel.model.rowCount() == count + 1 and cell(panel, 0, STATUS) == "ANALYSING"
    assert selected == [analysing] and panel.detail_labels["user_action"].text() == "ANALYSE"
    panel.add_or_update(dataclasses.replace(job, id="x", deployment="sentinel-hub-eu"))
    panel.add_or_update(dataclasses.replace(job, id="y", api_version=V2))
    assert panel.model.rowCount() == count + 1  # another deployment's or version's jobs are not listed here


def test_v2_jobs_show_their_completion_and_delivery(panel, engine, bucket, s3_server):
    client = client_for(engine.url, version=V2)
    body = {
        "processRequest": process_request_json(SCRIPT),
        "input": {"type": "tiling-grid", "id": 1, "resolution": 20},
        "output": {
            "type": "raster",
            "delivery": {
                "s3": {
                    "url": f"s3://{bucket}/v2-panel",
                    "accessKey": s3_server.access_key,
                    "secretAccessKey": s3_server.secret_key,
                }
            },
        },
        "description": "a v2 job",
    }
    job = client.create_raw(body)
    v1_job = create_jobs(client_for(engine.url), bucket, "a v1 job")[0]
    assert show(panel, client)
    assert ids(panel)[0] == job.id and v1_job.id not in ids(panel)  # one API version's jobs
    expected = "—" if job.completion is None else f"{job.completion:.0f} %"
    assert cell(panel, 0, PROGRESS) == expected
    panel.table.selectRow(0)
    assert panel.detail_labels["output"].text() == f"s3://{bucket}/v2-panel"
    assert s3_server.secret_key not in panel.request_view.toPlainText()
    assert json.loads(panel.request_view.toPlainText())["description"] == "a v2 job"


# --- the model ---------------------------------------------------------------------------------------


def test_cells_show_progress_cost_colours_and_errors(qgis_app):
    from qgis.PyQt.QtCore import Qt

    model = JobsTableModel()
    v2 = BatchJob(
        "b",
        V2,
        "d",
        "PROCESSING",
        created="2024-05-01T10:00:00Z",
        tile_count=1200,
        completion=42.4,
        value_estimate=3.0,
    )  # fmt: skip (expected charge: the 100 PU minimum)
    v1 = BatchJob("a", V1, "d", "FAILED", created="2024-05-01T09:00:00.5Z", cost_pu=12.5, error="No data.")
    done = BatchJob("c", V1, "d", "DONE", created=None, completion=100.0)
    model.set_jobs([v2, v1])
    model.upsert(done)  # no creation time: at the top
    model.upsert(BatchJob("e", V2, "d", "ANALYSIS_DONE", created="2024-05-01T09:30:00+00:00", cost_pu=0.0,
                          value_estimate=450.0))  # fmt: skip
    assert [j.id for j in model.jobs()] == ["c", "b", "e", "a"]

    def text(row, column, role=Qt.ItemDataRole.DisplayRole):
        return model.index(row, column).data(role)

    assert (text(1, PROGRESS), text(1, PU), text(1, TILES)) == ("42 %", "≈ 100", "1,200")
    assert (text(3, PROGRESS), text(3, PU), text(3, TILES)) == ("—", "12.50", "—")
    assert text(0, PROGRESS) == "100 %" and text(0, CREATED) == "—"
    assert text(2, PU) == "≈ 150"  # nothing spent yet: the expected charge, a third of the full-rate estimate
    assert (
        text(3, DESCRIPTION, Qt.ItemDataRole.ToolTipRole)
        == "No data."
        == text(3, STATUS, Qt.ItemDataRole.ToolTipRole)
    )
    colours = {row: text(row, STATUS, Qt.ItemDataRole.BackgroundRole) for row in range(4)}
    assert colours[0].green() > colours[0].red()  # done: green
    assert colours[1].blue() > colours[1].red()  # running: blue
    assert colours[3].red() > colours[3].green()  # failed: red
    assert colours[2] is None  # created: plain
    assert text(1, DESCRIPTION, Qt.ItemDataRole.ToolTipRole) is None


def test_the_request_view_hides_secrets():
    request = {"output": {"delivery": {"s3": {"url": "s3://b", "accessKey": "id", "secretAccessKey": "s"}}}}
    assert masked(request) == {
        "output": {"delivery": {"s3": {"url": "s3://b", "accessKey": "id", "secretAccessKey": "••••••"}}}
    }


# --- jobs remembered in the project ----------------------------------------------------------------------


def job(job_id: str, created, deployment: str = "local-engine", version: int = V2, **changes) -> BatchJob:
    made = BatchJob(job_id, version, deployment, "CREATED", description=f"job {job_id}", created=created,
                    request_body={"output": {"delivery": {"s3": {"secretAccessKey": "never"}}}})  # fmt: skip
    return dataclasses.replace(made, **changes)


def test_project_jobs_survive_a_project_write_and_read(qgis_app, tmp_path):
    project = QgsProject()
    project_jobs.remember(job("one", "2024-05-01T10:00:00Z"), project)
    project_jobs.remember(job("two", "2024-05-02T08:00:00.123456789Z"), project)
    project_jobs.remember(job("three", "2024-05-01T11:00:00+02:00", deployment="sentinel-hub-eu", version=V1),
                          project)  # fmt: skip
    project_jobs.remember(job("one", None, description="renamed"), project)  # an update keeps the time
    assert project.isDirty()
    path = tmp_path / "jobs.qgz"
    assert project.write(str(path))

    again = QgsProject()
    assert again.read(str(path))
    assert project_jobs.remembered(again) == [
        RememberedJob("two", "local-engine", V2, "job two", "2024-05-02T08:00:00.123456789Z"),
        RememberedJob("one", "local-engine", V2, "renamed", "2024-05-01T10:00:00Z"),
        RememberedJob("three", "sentinel-hub-eu", V1, "job three", "2024-05-01T11:00:00+02:00"),
    ]
    assert [j.id for j in project_jobs.remembered(again, deployment="sentinel-hub-eu")] == ["three"]
    stored, _ = again.readEntry("tilewise", "jobs", "")
    assert "never" not in stored and "secret" not in stored.lower()
    assert {key for item in json.loads(stored) for key in item} == {
        "id", "deployment", "api_version", "description", "created",
    }  # fmt: skip
    project_jobs.forget("one", again)
    assert [j.id for j in project_jobs.remembered(again)] == ["two", "three"]
    assert again.isDirty()


def test_a_corrupt_project_entry_is_skipped_with_a_warning(qgis_app, tmp_path, caplog):
    project = QgsProject()
    good = {
        "id": "good",
        "deployment": "local-engine",
        "api_version": 2,
        "description": "ok",
        "created": None,
    }
    bad = [
        "not an object",
        {"deployment": "local-engine", "api_version": 2},
        {"id": "v", "deployment": "local-engine", "api_version": "2"},
        {"id": "w", "deployment": "local-engine", "api_version": 3},
        {"id": "x", "deployment": None, "api_version": 1},
        {"id": "y", "deployment": "local-engine", "api_version": 1, "created": 12},
        {"id": "z", "deployment": "local-engine", "api_version": True},
    ]
    project.writeEntry("tilewise", "jobs", json.dumps([*bad, good]))
    path = tmp_path / "corrupt.qgz"
    assert project.write(str(path))
    again = QgsProject()
    assert again.read(str(path))
    with caplog.at_level(logging.WARNING, logger="tilewise.core.project_jobs"):
        assert project_jobs.remembered(again) == [RememberedJob("good", "local-engine", 2, "ok", None)]
    assert len([r for r in caplog.records if "skipped entry" in r.getMessage()]) == len(bad)
    project_jobs.remember(job("new", "2024-01-01T00:00:00Z"), again)  # still writable
    assert [j.id for j in project_jobs.remembered(again)] == ["new", "good"]

    for garbage in ("{not json", '{"id": "a"}', "42"):
        project.writeEntry("tilewise", "jobs", garbage)
        assert project_jobs.remembered(project) == []
        project_jobs.remember(job("fresh", None), project)
        assert [j.id for j in project_jobs.remembered(project)] == ["fresh"]
