"""A job's tile layer (ui/job_tile_layer.py) from real tiles: v1 tiles from a live engine's tile endpoint, v2
features from a live engine's bucket artefacts; checked through QGIS and, for durability, through OGR on
the GeoPackage file itself."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication
from testkit import (
    NDVI_WITH_MASK,
    TEST_BBOX,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    WIDE_BBOX,
    local_engine,
    ndvi_request,
    process_request_json,
)

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.jobs import BatchJob, Tile
from tilewise.core.monitor import JobWatcher
from tilewise.core.statuses import V1, V2
from tilewise.core.storage import S3Access
from tilewise.core.v2_progress import v2_tiles
from tilewise.ui.job_end_notice import progress_counts
from tilewise.ui.job_tile_layer import (
    PROP_API,
    PROP_DEPLOYMENT,
    PROP_JOB,
    PROP_STALE,
    PROP_STALE_REASON,
    JobTileLayer,
    JobTileLayerError,
    gpkg_path,
)
from tilewise.ui.qgis_compat import layer_abstract
from tilewise.ui.theme import text_colour

# Fails the tiles that have pixels without data (most of WIDE_BBOX's), processes the others.
FAILS_WITHOUT_DATA = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 1, sampleType: "UINT8"}}; }
function evaluatePixel(s) {
  if (s.dataMask == 0) { throw new Error("no data at this pixel"); }
  return [s.dataMask];
}
"""
V1_STATUSES = ["PENDING", "SCHEDULED", "QUEUED", "PROCESSING", "PROCESSED", "FAILED"]


@pytest.fixture(scope="module")
def engine(small_catalog, s3_server, tmp_path_factory):
    # a failed tile fails at once (no retries): the failing job below ends quickly
    server = local_engine(
        tmp_path_factory.mktemp("tile-layer-engine"), small_catalog, s3_server, 2, TILEWISE_TILE_RETRIES="0"
    ).start()
    yield server
    server.stop()


def client_for(engine, version: int = V1) -> BatchClient:
    deployment = custom_deployment("Tile layer test", engine.url, api_versions=(V2, V1))
    return BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), api_version=version)


def wait(client: BatchClient, job_id: str, statuses: set[str], timeout: float = 240) -> BatchJob:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(job_id)
        if job.status in statuses:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.3)


@pytest.fixture(scope="module")
def v1_analysed(engine, s3_server):
    """A v1 job over WIDE_BBOX (a dozen 10 km tiles in UTM 11N), analysed, with its tiles."""
    body = {
        "processRequest": process_request_json(NDVI_WITH_MASK, WIDE_BBOX, responses=("ndvi", "mask")),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/layer"},
        "description": "tile layer v1",
    }
    with client_for(engine) as client:
        job = client.create_raw(body)
        client.analyse(job.id)
        job = wait(client, job.id, {"ANALYSIS_DONE", "FAILED"})
        assert job.status == "ANALYSIS_DONE", job.error
        tiles = list(client.tiles(job.id))
    assert len(tiles) > 6 and {t.status for t in tiles} == {"PENDING"}
    return job, tiles


@pytest.fixture
def project(qgis_new_project):
    project = QgsProject.instance()
    yield project
    project.clear()


# --- helpers ----------------------------------------------------------------------------------------------


def rows(path: Path) -> dict[int, dict]:
    """Every feature of the GeoPackage's `tiles` table, read with OGR (not through QGIS), by tile id."""
    from osgeo import ogr

    source = ogr.Open(str(path))
    layer = source.GetLayerByName("tiles")
    result = {}
    for feature in layer:
        values = {
            name: feature.GetField(name) for name in ("name", "status", "failure", "cost", "epsg", "updated")
        }
        values["fid"] = feature.GetFID()
        geometry = feature.GetGeometryRef()
        values["wkt"] = geometry.ExportToIsoWkt() if geometry is not None else None
        result[feature.GetField("tile_id")] = values
    srs = layer.GetSpatialRef()
    result_srs = srs.GetAuthorityCode(None) if srs is not None else None
    del layer, source
    assert result_srs == "4326"
    return result


def footprint_in_4326(tile: Tile) -> QgsGeometry:
    """The tile's footprint transformed with QGIS's own transform (the layer is built through osr)."""
    ring = [QgsPointXY(float(x), float(y)) for x, y, *_ in tile.footprint["coordinates"][0]]
    geometry = QgsGeometry.fromPolygonXY([ring])
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(f"EPSG:{tile.epsg}"),
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsProject.instance(),
    )
    geometry.transform(transform)
    return geometry


def check_geometries(tile_layer: JobTileLayer, tiles: list[Tile]) -> None:
    layer = tile_layer.layer
    assert layer.crs().authid() == "EPSG:4326"
    assert QgsWkbTypes.geometryType(layer.wkbType()) == QgsWkbTypes.GeometryType.PolygonGeometry
    for tile in tiles:
        feature = layer.getFeature(tile_layer.fid_of(tile.id))
        assert feature["tile_id"] == tile.id and feature["name"] == tile.name and feature["epsg"] == tile.epsg
        geometry, expected = feature.geometry(), footprint_in_4326(tile)
        assert geometry.hausdorffDistance(expected) < 1e-7, tile.name  # about a centimetre
        assert abs(geometry.area() - expected.area()) < 1e-6 * expected.area()


def synthetic_tiles(count: int, status: str = "PENDING") -> list[Tile]:
    """10 km UTM squares, 90% in zone 11N and 10% in 12N (as bench_v2_progress)."""
    tiles = []
    for i in range(count):
        epsg = 32611 if i % 10 else 32612
        x0, y0 = 200_000 + 10_000 * (i % 100), 3_500_000 + 10_000 * (i // 100)
        ring = [[x0, y0], [x0 + 10_000, y0], [x0 + 10_000, y0 + 10_000], [x0, y0 + 10_000], [x0, y0]]
        tiles.append(
            Tile(5_000_000 + i, f"T{i:05d}", status, epsg, {"type": "Polygon", "coordinates": [ring]})
        )
    return tiles


def with_status(tile: Tile, status: str, failure=None, cost=None) -> Tile:
    return Tile(tile.id, tile.name, status, tile.epsg, tile.footprint, failure, cost)


def fake_job(job_id: str = "5d2c9e1a-0000-4000-8000-000000000001", version: int = V1) -> BatchJob:
    return BatchJob(job_id, version, "test-deployment", "ANALYSIS_DONE", description="synthetic")


# --- v1 ---------------------------------------------------------------------------------------------------


def test_a_v1_job_becomes_a_styled_gpkg_layer_in_its_group(project, v1_analysed, tmp_path):
    job, tiles = v1_analysed
    tile_layer = JobTileLayer.create(job, tiles, tmp_path / "tilewise", project)
    layer = tile_layer.layer

    path = gpkg_path(tmp_path / "tilewise", job.id)
    assert path == tmp_path / "tilewise" / f"job-{job.id}.gpkg" and tile_layer.path == path
    assert layer.isValid() and layer.providerType() == "ogr" and layer.featureCount() == len(tiles)
    assert not list((tmp_path / "tilewise").glob(".*"))  # the temporary file was renamed into place
    names = layer.fields().names()
    assert [n for n in names if n != "fid"] == [
        "tile_id",
        "name",
        "status",
        "failure",
        "cost",
        "epsg",
        "updated",
    ]
    types = {f.name(): f.typeName().lower() for f in layer.fields()}
    assert types["tile_id"] == "integer64" and types["cost"] == "real" and types["epsg"] == "integer"
    check_geometries(tile_layer, tiles)

    on_disk = rows(path)  # the file itself, through OGR
    assert set(on_disk) == {t.id for t in tiles}
    assert {r["status"] for r in on_disk.values()} == {"PENDING"} and {
        r["epsg"] for r in on_disk.values()
    } == {32611}

    # the job's group at the top of the tree, the layer in it, recognisable after a restart
    root = project.layerTreeRoot()
    group = root.children()[0]
    assert group.name() == f"Tilewise job {job.id[:8]} — tile layer v1"
    assert [node.layer() for node in group.findLayers()] == [layer]
    assert layer.customProperty(PROP_JOB) == job.id
    assert layer.customProperty(PROP_DEPLOYMENT) == job.deployment
    assert int(layer.customProperty(PROP_API)) == V1

    renderer = layer.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer) and renderer.classAttribute() == "status"
    categories = [(c.value(), c.label()) for c in renderer.categories()]
    assert [value for value, _ in categories] == [*V1_STATUSES, ""]  # "" catches any other status
    assert dict(categories)["PROCESSED"] == "Processed" and dict(categories)["FAILED"] == "Failed"
    colours = {c.value(): c.symbol().color().name() for c in renderer.categories()}
    assert len(set(colours.values())) == len(colours)  # a colour per status
    assert layer.labelsEnabled() and layer.labeling().settings().fieldName == "name"
    assert layer.labeling().settings().scaleVisibility  # names only where they can be read
    assert '"failure"' in layer.mapTipTemplate() and '"failure"' in layer.displayExpression()
    assert tile_layer.counts() == {"PENDING": len(tiles)}
    tile = tile_layer.tile_at(tile_layer.fid_of(tiles[0].id))
    assert tile["id"] == tiles[0].id and tile["name"] == tiles[0].name and tile["status"] == "PENDING"
    assert tile["failure"] is None and tile["cost"] == tiles[0].cost


def test_only_the_changed_features_change_on_disk(project, v1_analysed, tmp_path):
    job, tiles = v1_analysed
    tile_layer = JobTileLayer.create(job, tiles, tmp_path, project)
    before = rows(tile_layer.path)
    time.sleep(1.1)  # `updated` has a one-second resolution

    changed = [
        with_status(tiles[0], "PROCESSING", cost=0.0),
        with_status(tiles[1], "FAILED", "Out of memory", 1.25),
    ]
    listing = changed + tiles[2:]  # a full listing: the others as they were
    assert tile_layer.apply(listing, full=True) == 2
    after = rows(tile_layer.path)
    differing = {tile_id for tile_id in before if before[tile_id] != after[tile_id]}
    assert differing == {tiles[0].id, tiles[1].id}
    assert after[tiles[1].id]["status"] == "FAILED" and after[tiles[1].id]["failure"] == "Out of memory"
    assert (
        after[tiles[1].id]["cost"] == 1.25 and after[tiles[1].id]["updated"] > before[tiles[1].id]["updated"]
    )
    assert after[tiles[1].id]["wkt"] == before[tiles[1].id]["wkt"]  # the geometry is kept
    assert tile_layer.counts() == {"PENDING": len(tiles) - 2, "PROCESSING": 1, "FAILED": 1}
    assert tile_layer.apply(listing, full=True) == 0  # nothing new: nothing written
    assert rows(tile_layer.path) == after

    # identify and map tips show why a tile failed
    fid = tile_layer.fid_of(tiles[1].id)
    assert tile_layer.tile_at(fid)["failure"] == "Out of memory"
    feature = tile_layer.layer.getFeature(fid)
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(tile_layer.layer))
    context.setFeature(feature)
    assert "Out of memory" in QgsExpression.replaceExpressionText(tile_layer.layer.mapTipTemplate(), context)
    assert (
        f"color:{text_colour('error')}" in tile_layer.layer.mapTipTemplate()
    )  # the theme's, not a fixed red
    title = QgsExpression(tile_layer.layer.displayExpression()).evaluate(context)
    assert title == f"{tiles[1].name} — FAILED: Out of memory"

    # a partial update with fewer tiles, and a full one without some: nothing is deleted
    assert tile_layer.apply([with_status(tiles[1], "PENDING", cost=tiles[1].cost)], full=False) == 1
    assert tile_layer.apply(tiles[:3], full=True) == 1  # tiles[0] back to PENDING; tiles[3:] kept
    final = rows(tile_layer.path)
    assert set(final) == set(before) and final[tiles[1].id]["failure"] is None
    assert {r["status"] for r in final.values()} == {"PENDING"}


def test_a_v1_job_watched_to_its_end_recolours_the_layer(project, engine, s3_server, tmp_path):
    body = {
        "processRequest": process_request_json(FAILS_WITHOUT_DATA, WIDE_BBOX),
        "tilingGrid": {"id": 1, "resolution": 20},
        "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/watch"},
        "description": "watched",
    }
    with client_for(engine) as client:
        job = client.create_raw(body)
        client.analyse(job.id)
        job = wait(client, job.id, {"ANALYSIS_DONE"})
        watcher = JobWatcher(client, job.id, min_interval_s=0.2, max_interval_s=1.0)
        update = watcher.poll()
        assert update.full
        tile_layer = JobTileLayer.create(update.job, update.tiles, tmp_path, project)
        client.start(job.id)
        seen: set[str] = set()
        deadline = time.monotonic() + 240
        while True:
            update = watcher.poll()
            if update.tiles:
                before = rows(tile_layer.path)
                count = tile_layer.apply(update.tiles, update.full)
                after = rows(tile_layer.path)
                differing = {tile_id for tile_id in after if after[tile_id] != before.get(tile_id)}
                # only the features of tiles that changed are written, each once
                assert tile_layer.error is None and count == len(differing)
                assert differing <= {t.id for t in update.tiles}
            seen |= {t.status for t in update.tiles}
            assert tile_layer.counts() == _counts(watcher.statuses)  # the layer holds what the watcher knows
            if update.job.is_terminal:
                break
            assert time.monotonic() < deadline
            time.sleep(watcher.interval_s)
    assert update.job.status == "PARTIAL"
    on_disk = rows(tile_layer.path)
    failed = [r for r in on_disk.values() if r["status"] == "FAILED"]
    assert failed and all("no data at this pixel" in r["failure"] for r in failed)
    assert {r["status"] for r in on_disk.values()} == {"PROCESSED", "FAILED"}
    assert _counts({tile_id: r["status"] for tile_id, r in on_disk.items()}) == tile_layer.counts()
    assert seen >= {"PROCESSED", "FAILED"}


def _counts(statuses: dict[int, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


# --- v2 ---------------------------------------------------------------------------------------------------


def test_a_v2_job_from_its_bucket_manifest(project, engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    square = {"type": "Polygon", "coordinates": [[[TEST_BBOX[0], TEST_BBOX[1]], [TEST_BBOX[2], TEST_BBOX[1]],
              [TEST_BBOX[2], TEST_BBOX[3]], [TEST_BBOX[0], TEST_BBOX[3]], [TEST_BBOX[0], TEST_BBOX[1]]]]}  # fmt: skip
    spec = ndvi_request(s3_server, f"s3://{bucket}/v2", square, "tile layer v2")
    access = S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)
    with client_for(engine, V2) as client:
        job = client.create(spec)
        client.analyse(job.id)
        job = wait(client, job.id, {"ANALYSIS_DONE", "FAILED"})
        assert job.status == "ANALYSIS_DONE", job.error
        tiles = v2_tiles(access, job, tmp_path / "scratch")  # footprints from the feature manifest
        assert sorted(t.name for t in tiles) == ["11SKV_9_0", "11SLV_0_0"]
        assert {t.epsg for t in tiles} == {32611}  # the manifest's footprints are in the tiles' UTM zone

        tile_layer = JobTileLayer.create(job, tiles, tmp_path / "tilewise", project)
        check_geometries(tile_layer, tiles)
        assert int(tile_layer.layer.customProperty(PROP_API)) == V2
        categories = tile_layer.layer.renderer().categories()
        # v2's own statuses, and PROCESSING for the features a processing job has not delivered yet
        assert [c.value() for c in categories] == ["PENDING", "PROCESSING", "DONE", "FATAL", ""]
        assert [c.label() for c in categories][:4] == [
            "Pending", "In progress (not delivered yet)", "Done", "Failed (fatal)",
        ]  # fmt: skip
        assert tile_layer.counts() == {"PENDING": 2}

        client.start(job.id)
        job = wait(client, job.id, {"DONE", "FAILED", "STOPPED"})
        deadline = time.monotonic() + 60
        while True:  # the final execution database lands just after the job ends
            done = v2_tiles(access, job, tmp_path / "scratch")
            if {t.status for t in done} == {"DONE"} or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert tile_layer.apply(done, full=True) == 2
    assert {r["status"] for r in rows(tile_layer.path).values()} == {"DONE"}
    assert tile_layer.counts() == {"DONE": 2}


def test_features_that_appear_late_are_added(project, tmp_path):
    tiles = synthetic_tiles(20)
    tile_layer = JobTileLayer.create(fake_job(version=V2), tiles[:5], tmp_path, project)
    assert tile_layer.layer.featureCount() == 5
    assert tile_layer.apply([with_status(t, "DONE") for t in tiles[:10]], full=True) == 10  # 5 changed, 5 new
    assert tile_layer.layer.featureCount() == 10
    check_geometries(tile_layer, tiles[:10])
    on_disk = rows(tile_layer.path)
    assert set(on_disk) == {t.id for t in tiles[:10]} and {r["status"] for r in on_disk.values()} == {"DONE"}
    assert tile_layer.layer.extent().contains(footprint_in_4326(tiles[9]).boundingBox())


# --- the project ------------------------------------------------------------------------------------------


def test_the_layer_comes_back_with_the_project(project, v1_analysed, tmp_path):
    job, tiles = v1_analysed
    tile_layer = JobTileLayer.create(job, tiles, tmp_path / "tilewise", project)
    tile_layer.apply([with_status(tiles[0], "FAILED", "Tile timed out", 0.5)], full=False)
    tile_layer.set_stale(True, "Connection refused")
    assert JobTileLayer.find(job.id, project) is tile_layer
    project_file = tmp_path / "project.qgz"
    assert project.write(str(project_file))

    project.clear()
    assert tile_layer.removed and tile_layer.apply(tiles, full=True) == 0  # no crash on a deleted layer
    assert JobTileLayer.find(job.id, project) is None

    assert project.read(str(project_file))
    found = JobTileLayer.find(job.id, project)
    assert found is not None and found is not tile_layer and found.layer.isValid()
    assert found.path == tile_layer.path and found.api_version == V1 and found.deployment == job.deployment
    assert found.counts() == {"PENDING": len(tiles) - 1, "FAILED": 1}
    assert found.tile_at(found.fid_of(tiles[0].id))["failure"] == "Tile timed out"
    assert found.stale and found.stale_reason == "Connection refused"
    assert found.layer.name().endswith("(stale)")
    assert [c.value() for c in found.layer.renderer().categories()] == [*V1_STATUSES, ""]
    assert found.layer.labelsEnabled() and found.layer.mapTipTemplate()
    group = project.layerTreeRoot().children()[0]
    assert (
        group.name().startswith(f"Tilewise job {job.id[:8]}") and group.findLayers()[0].layer() is found.layer
    )

    found.set_stale(False)
    assert found.apply([with_status(tiles[0], "PROCESSED", cost=1.0)], full=False) == 1
    assert rows(found.path)[tiles[0].id]["status"] == "PROCESSED"
    assert JobTileLayer.find(job.id, project) is found


def test_stale_marking(project, tmp_path):
    tile_layer = JobTileLayer.create(fake_job(), synthetic_tiles(4), tmp_path, project)
    layer = tile_layer.layer
    layer.setOpacity(0.8)
    tile_layer.set_stale(True, "The service cannot be reached")
    assert layer.name() == "Tiles (stale)" and layer.opacity() < 0.8 and tile_layer.stale
    assert (
        layer.customProperty(PROP_STALE) in (True, "true")
        and tile_layer.stale_reason == "The service cannot be reached"
    )
    assert "cannot be reached" in layer_abstract(layer)
    tile_layer.set_stale(True, "The bucket cannot be read")  # again: one suffix, the latest reason
    assert (
        layer.name() == "Tiles (stale)"
        and layer.customProperty(PROP_STALE_REASON) == "The bucket cannot be read"
    )
    tile_layer.set_stale(False)
    assert layer.name() == "Tiles" and layer.opacity() == pytest.approx(0.8) and not tile_layer.stale
    assert layer.customProperty(PROP_STALE) is None and tile_layer.stale_reason == ""
    layer.setName("My tiles")  # the user's name is kept
    tile_layer.set_stale(True)
    assert layer.name() == "My tiles (stale)"
    tile_layer.set_stale(False)
    assert layer.name() == "My tiles"


def test_a_removed_layer(project, tmp_path):
    job, tiles = fake_job(), synthetic_tiles(6)
    tile_layer = JobTileLayer.create(job, tiles, tmp_path, project)
    fid = tile_layer.fid_of(tiles[0].id)
    tile_layer.apply([with_status(tiles[0], "PROCESSED", cost=2.0)], full=False)
    project.removeMapLayer(tile_layer.layer.id())

    assert tile_layer.removed
    assert (
        tile_layer.apply([with_status(t, "FAILED") for t in tiles], full=True) == 0
        and tile_layer.error is None
    )
    tile_layer.set_stale(True, "gone")  # nothing to mark, no error
    assert tile_layer.tile_at(fid) is None
    assert tile_layer.counts() == {"PROCESSED": 1, "PENDING": 5}  # the last known state
    assert JobTileLayer.find(job.id, project) is None
    assert rows(tile_layer.path)[tiles[0].id]["status"] == "PROCESSED"  # the file stays

    # shown again from the same file, brought up to date with what the service says now
    again = JobTileLayer.create(job, [with_status(tiles[1], "PROCESSING")], tmp_path, project)
    assert again.path == tile_layer.path and again.layer.featureCount() == 6
    assert again.counts() == {"PROCESSED": 1, "PROCESSING": 1, "PENDING": 4}
    assert JobTileLayer.find(job.id, project) is again


def test_a_removed_group_removes_the_layer(project, tmp_path):
    job = fake_job()
    tile_layer = JobTileLayer.create(job, synthetic_tiles(3), tmp_path, project)
    root = project.layerTreeRoot()
    root.removeChildNode(root.children()[0])  # the layer tree takes its layers out of the project (queued)
    QCoreApplication.processEvents()
    assert tile_layer.removed
    assert (
        tile_layer.apply(synthetic_tiles(3, "DONE"), full=True) == 0
        and JobTileLayer.find(job.id, project) is None
    )


def test_the_users_edits_are_overwritten_by_the_next_update(project, tmp_path):
    tiles = synthetic_tiles(5)
    tile_layer = JobTileLayer.create(fake_job(), tiles, tmp_path, project)
    layer = tile_layer.layer
    fid0, fid1 = tile_layer.fid_of(tiles[0].id), tile_layer.fid_of(tiles[1].id)
    assert layer.startEditing()
    layer.changeAttributeValue(fid0, layer.fields().indexOf("status"), "MINE")
    layer.deleteFeature(fid1)
    assert layer.commitChanges()
    assert rows(tile_layer.path)[tiles[0].id]["status"] == "MINE" and tiles[1].id not in rows(tile_layer.path)
    assert tile_layer.counts() == {"PENDING": 3, "MINE": 1}

    # the service still says PENDING for every tile: the edit is overwritten, the deleted tile comes back
    assert tile_layer.apply(tiles, full=True) == 2
    on_disk = rows(tile_layer.path)
    assert {r["status"] for r in on_disk.values()} == {"PENDING"} and set(on_disk) == {t.id for t in tiles}
    assert tile_layer.counts() == {"PENDING": 5}


def test_a_footprint_across_the_antimeridian_stays_in_one_piece(project, tmp_path):
    # UTM 60N at 60°N: the antimeridian is at x ≈ 668 km
    ring = [
        [660_000, 6_650_000],
        [680_000, 6_650_000],
        [680_000, 6_670_000],
        [660_000, 6_670_000],
        [660_000, 6_650_000],
    ]
    tile = Tile(1, "60VXX", "PENDING", 32660, {"type": "Polygon", "coordinates": [ring]})
    tile_layer = JobTileLayer.create(fake_job(), [tile], tmp_path, project)
    geometry = tile_layer.layer.getFeature(tile_layer.fid_of(1)).geometry()
    box = geometry.boundingBox()
    assert box.width() < 1 and box.xMinimum() < 180 < box.xMaximum(), box.toString()
    assert geometry.isGeosValid()


def test_a_folder_that_cannot_be_written(project, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(JobTileLayerError, match="not-a-folder"):
        JobTileLayer.create(fake_job(), synthetic_tiles(2), blocker / "tilewise", project)
    assert JobTileLayer.find(fake_job().id, project) is None


def test_ten_thousand_tiles(project, tmp_path):
    tiles = synthetic_tiles(10_000)
    tile_layer = JobTileLayer.create(fake_job(), tiles, tmp_path, project)
    assert tile_layer.layer.featureCount() == 10_000
    assert tile_layer.apply([with_status(t, "PROCESSING") for t in tiles], full=True) == 10_000
    assert tile_layer.apply([with_status(t, "FAILED", "boom", 1.0) for t in tiles[:500]], full=False) == 500
    assert tile_layer.counts() == {"PROCESSING": 9_500, "FAILED": 500}
    on_disk = rows(tile_layer.path)
    assert sum(r["status"] == "FAILED" for r in on_disk.values()) == 500
    assert on_disk[tiles[0].id]["failure"] == "boom" and on_disk[tiles[-1].id]["status"] == "PROCESSING"
    check_geometries(tile_layer, tiles[::997])


def test_a_geopackage_deleted_under_the_layer(project, tmp_path):
    job, tiles = fake_job(), synthetic_tiles(4)
    tile_layer = JobTileLayer.create(job, tiles, tmp_path, project)
    tile_layer.path.unlink()
    assert tile_layer.apply([with_status(tiles[0], "PROCESSED")], full=False) == 0
    assert "deleted" in tile_layer.error and str(tile_layer.path) in tile_layer.error
    assert JobTileLayer.find(job.id, project) is None

    again = JobTileLayer.create(
        job, [with_status(t, "QUEUED") for t in tiles], tmp_path, project
    )  # written anew
    assert again is not tile_layer and tile_layer.removed and again.layer.featureCount() == 4
    assert {r["status"] for r in rows(again.path).values()} == {"QUEUED"}
    assert len(_job_layers_in(project, job.id)) == 1


def test_a_tile_listed_twice_counts_once(project, tmp_path):
    tiles = synthetic_tiles(3)
    tile_layer = JobTileLayer.create(fake_job(), [*tiles, with_status(tiles[0], "QUEUED")], tmp_path, project)
    assert tile_layer.layer.featureCount() == 3 and tile_layer.counts() == {"PENDING": 2, "QUEUED": 1}
    assert rows(tile_layer.path)[tiles[0].id]["status"] == "QUEUED"


def _job_layers_in(project, job_id: str) -> list:
    return [layer for layer in project.mapLayers().values() if layer.customProperty(PROP_JOB) == job_id]


def test_v2_features_in_progress_count_and_draw_as_running_not_pending(project, tmp_path):
    job = fake_job(version=V2)
    tiles = synthetic_tiles(4)
    layer = JobTileLayer.create(job, tiles, tmp_path)
    running = [Tile(t.id, t.name, "PROCESSING", t.epsg, t.footprint) for t in tiles[:3]]  # core/v2_progress
    layer.apply(running, False)
    assert layer.counts() == {"PROCESSING": 3, "PENDING": 1}
    assert progress_counts(layer.counts()) == (0, 0, 4)
    categories = {c.value(): c.label() for c in layer.layer.renderer().categories()}
    assert categories["PROCESSING"] == "In progress (not delivered yet)"  # its own colour, not "Other status"
    assert categories["PENDING"] == "Pending"
