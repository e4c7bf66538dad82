"""The job store keeps requests and tiles durably, and changes status atomically."""

from __future__ import annotations

import os
import stat

from tilewise.core.statuses import RequestStatus
from tilewise.core.tile_status import TileStatus
from tilewise.engine.store import JobStore, RequestRecord, TileRecord


def record(**overrides) -> RequestRecord:
    values = dict(id=RequestRecord.new_id(), api_version=1, status=RequestStatus.CREATED, payload={"a": 1})
    values.update(overrides)
    return RequestRecord(**values)


def tiles_for(request_id: str, count: int) -> list[TileRecord]:
    polygon = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    return [
        TileRecord(request_id, i, f"T_{i}", 32611, (i * 10.0, 0.0, i * 10.0 + 10, 10.0), polygon)
        for i in range(count)
    ]


def test_requests_and_tiles_survive_reopening_the_store(tmp_path):
    path = tmp_path / "jobs.sqlite"
    store = JobStore(path)
    saved = record(description="ndvi july", secrets={"accessKey": "AK", "secretAccessKey": "SK"})
    store.add_request(saved)
    store.replace_tiles(saved.id, tiles_for(saved.id, 5))
    store.set_tiles(saved.id, [1, 2], status=TileStatus.PROCESSED, cost=1.5)

    reopened = JobStore(path)
    again = reopened.get_request(saved.id)
    assert again.description == "ndvi july" and again.payload == {"a": 1}
    assert again.secrets == {"accessKey": "AK", "secretAccessKey": "SK"}
    assert reopened.tile_counts(saved.id) == {TileStatus.PENDING: 3, TileStatus.PROCESSED: 2}
    assert reopened.tile(saved.id, 2).cost == 1.5
    assert reopened.tile(saved.id, 4).bounds == (40.0, 0.0, 50.0, 10.0)


def test_database_file_is_private_because_it_holds_delivery_credentials(tmp_path):
    JobStore(tmp_path / "jobs.sqlite")
    mode = stat.S_IMODE(os.stat(tmp_path / "jobs.sqlite").st_mode)
    assert mode == 0o600


def test_transition_only_applies_from_the_expected_status(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    saved = record(status=RequestStatus.PROCESSING)
    store.add_request(saved)
    assert not store.transition(saved.id, [RequestStatus.CREATED], status=RequestStatus.ANALYSING)
    assert store.get_request(saved.id).status == RequestStatus.PROCESSING
    assert store.transition(saved.id, [RequestStatus.PROCESSING], status=RequestStatus.DONE, cost_pu=3.0)
    done = store.get_request(saved.id)
    assert done.status == RequestStatus.DONE and done.cost_pu == 3.0


def test_listing_pages_sorts_and_searches(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    for index in range(5):
        store.add_request(
            record(
                description=f"job {index} {'ndvi' if index % 2 else 'truecolor'}",
                created=f"2026-01-0{index + 1}T00:00:00Z",
            )
        )
    store.add_request(record(api_version=2, description="a v2 ndvi job"))
    newest_first = store.list_requests(1, None, "created:desc", 0, 3)
    assert [r.description[:5] for r in newest_first] == ["job 4", "job 3", "job 2"]
    second_page = store.list_requests(1, None, "created:desc", 3, 3)
    assert [r.description[:5] for r in second_page] == ["job 1", "job 0"]
    assert {r.description for r in store.list_requests(1, "ndvi", "created", 0, 10)} == {
        "job 1 ndvi",
        "job 3 ndvi",
    }
    both = store.list_requests(1, "job 0|job 3", "created", 0, 10)
    assert [r.description for r in both] == ["job 0 truecolor", "job 3 ndvi"]
    assert store.list_requests(1, "ndvi&job 3", "created", 0, 10)[0].description == "job 3 ndvi"


def test_interrupted_tiles_are_reset_to_pending(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    saved = record(status=RequestStatus.PROCESSING)
    store.add_request(saved)
    store.replace_tiles(saved.id, tiles_for(saved.id, 4))
    store.set_tiles(saved.id, [0], status=TileStatus.QUEUED)
    store.set_tiles(saved.id, [1], status=TileStatus.PROCESSING)
    store.set_tiles(saved.id, [2], status=TileStatus.PROCESSED)
    moved = store.reset_tiles(
        saved.id, [TileStatus.SCHEDULED, TileStatus.QUEUED, TileStatus.PROCESSING], TileStatus.PENDING
    )
    assert moved == 2
    assert store.tile_counts(saved.id) == {TileStatus.PENDING: 3, TileStatus.PROCESSED: 1}
