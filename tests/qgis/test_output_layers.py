"""A finished job's outputs as layers, mosaics and downloads in headless QGIS, from a live engine's jobs on the
demo catalog: delivered to the local S3 server (moto) and to a folder under the engine's output root.

Each layer is checked against its tile (CRS, buffered extent, size) and against the GeoTIFF read directly with
GDAL (pixel values); secrets never reach a layer's source, a VRT or the project file."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor
from testkit import (
    NDVI_WITH_MASK,
    TEST_BBOX,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    local_engine,
    process_request_json,
)

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.http import Cancel
from tilewise.core.mosaics import build_mosaics
from tilewise.core.outputs import download, list_outputs, prepare_outputs
from tilewise.core.statuses import V1, V2
from tilewise.core.storage import S3Access
from tilewise.ui.job_groups import JOB_PROPERTY, job_group_name
from tilewise.ui.output_layers import OUTPUTS_GROUP, DownloadTask, add_mosaic_layers, add_output_layers

from .conftest import wait_until

BUFFER_PX, RESOLUTION = 4, 20.0
ZONE_EDGE_BBOX = [-120.02, 36.0, -119.98, 36.02]  # across 120°W: one grid-2 tile in zone 10, one in zone 11


@dataclasses.dataclass
class FinishedJob:
    job: object  # BatchJob
    tiles: list  # Tile
    access: S3Access


@pytest.fixture(autouse=True)
def fresh_gdal_state(qgis_new_project):
    yield
    QgsProject.instance().clear()
    gdal.ClearPathSpecificOptions()
    gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", None)
    gdal.VSICurlClearCache()


@pytest.fixture(scope="module")
def engine(small_catalog, s3_server, tmp_path_factory):
    server = local_engine(tmp_path_factory.mktemp("outputs-engine"), small_catalog, s3_server, 2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def jobs(engine, s3_server) -> dict[str, FinishedJob]:
    """Three v1 jobs run to the end, side by side: to S3 and to a folder (the tutorial's test area, grid 1 at
    20 m with a 4-pixel buffer, NDVI and its mask), and across the 120°W zone edge (grid 2 at 240 m)."""
    access = S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)
    grid = {"id": 1, "resolution": RESOLUTION, "bufferX": BUFFER_PX, "bufferY": BUFFER_PX}
    bodies = {
        "s3": {
            "processRequest": process_request_json(NDVI_WITH_MASK, TEST_BBOX, ("ndvi", "mask")),
            "tilingGrid": grid,
            "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/outputs"},
            "description": "outputs to S3",
        },
        "folder": {
            "processRequest": process_request_json(NDVI_WITH_MASK, TEST_BBOX, ("ndvi", "mask")),
            "tilingGrid": grid,
            "output": {"defaultTilePath": (engine.output_root / "folder job").as_uri()},
            "description": "outputs to a folder",
        },
        "zones": {
            "processRequest": process_request_json(NDVI_WITH_MASK, ZONE_EDGE_BBOX, ("ndvi", "mask")),
            "tilingGrid": {"id": 2, "resolution": 240},
            "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/zones"},
            "description": "across two UTM zones",
        },
    }
    with client_for(engine) as client:
        created = {key: client.create_raw(body) for key, body in bodies.items()}
        for job in created.values():
            client.start(job.id)
        finished = {}
        for key, job in created.items():
            body = engine.wait_for(job.id, {"DONE", "PARTIAL", "FAILED"}, timeout=300)
            assert body["status"] == "DONE", body
            finished[key] = FinishedJob(client.get(job.id), list(client.tiles(job.id)), access)
    return finished


def client_for(engine, version: int = V1) -> BatchClient:
    deployment = custom_deployment("Outputs test", engine.url, api_versions=(V2, V1))
    return BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), api_version=version)


def copy_job(s3_server, finished: FinishedJob) -> FinishedJob:
    """The job's outputs copied to a fresh bucket (same layout), for tests that delete some."""
    bucket = s3_server.new_bucket()
    source_bucket = finished.job.output_url.split("/")[2]
    client = s3_server.client()
    for item in client.list_objects_v2(Bucket=source_bucket)["Contents"]:
        client.copy_object(
            Bucket=bucket, Key=item["Key"], CopySource={"Bucket": source_bucket, "Key": item["Key"]}
        )
    output = dataclasses.replace(finished.job.request.output, path=f"s3://{bucket}/outputs")
    request = dataclasses.replace(finished.job.request, output=output)
    return dataclasses.replace(finished, job=dataclasses.replace(finished.job, request=request))


def gdal_pixel(path: str, column: int, row: int) -> float:
    dataset = gdal.Open(path)
    return float(dataset.GetRasterBand(1).ReadAsArray(column, row, 1, 1)[0, 0])


def check_layers_against_tiles(layers, finished: FinishedJob, sources: dict[str, str]) -> None:
    """CRS, buffered extent, size and pixels of each layer against its tile and the file read with GDAL."""
    tiles = {t.name: t for t in finished.tiles}
    buffer_m = BUFFER_PX * RESOLUTION
    for layer in layers:
        tile = tiles[layer.name()]
        assert layer.crs().authid() == f"EPSG:{tile.epsg}" == "EPSG:32611"
        xs = [x for x, _ in tile.footprint["coordinates"][0]]
        ys = [y for _, y in tile.footprint["coordinates"][0]]
        expected = QgsRectangle(
            min(xs) - buffer_m, min(ys) - buffer_m, max(xs) + buffer_m, max(ys) + buffer_m
        )
        assert layer.extent() == expected, (layer.name(), layer.extent().toString(), expected.toString())
        assert (layer.width(), layer.height()) == (508, 508)
        provider = layer.dataProvider()
        valid = 0
        for column, row in ((0, 0), (123, 321), (254, 254), (507, 507), (400, 40), (30, 480)):
            point = QgsPointXY(
                expected.xMinimum() + (column + 0.5) * RESOLUTION,
                expected.yMaximum() - (row + 0.5) * RESOLUTION,
            )
            value, ok = provider.sample(point, 1)
            direct = gdal_pixel(sources[layer.source()], column, row)
            assert ok and value == pytest.approx(direct, rel=1e-6, nan_ok=True), (layer.name(), column, row)
            valid += direct == direct
        assert valid >= 3, layer.name()  # real values, not only no data


def assert_no_secret(finished: FinishedJob, *texts: str) -> None:
    for text in texts:
        assert finished.access.secret_key not in text and finished.access.access_key not in text


# --- layers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("described", [True, False], ids=["described first", "opened directly"])
def test_outputs_open_from_s3_with_the_tiles_crs_extent_size_and_values(jobs, described, tmp_path):
    finished = jobs["s3"]
    if described:
        outputs = prepare_outputs(finished.access, finished.job, finished.tiles)
    else:
        outputs = list_outputs(finished.access, finished.job, finished.tiles)
    assert outputs.problems == [] and len(outputs) == 4
    layers = add_output_layers(finished.job, outputs, finished.access)
    assert layers.problems == [] and len(layers) == 4 and all(layer.isValid() for layer in layers)

    # the groups: the job's > Outputs > one per output id, layers named after their tiles
    root = QgsProject.instance().layerTreeRoot()
    group = root.findGroup(job_group_name(finished.job))
    assert group.name() == f"Tilewise job {finished.job.id[:8]} — outputs to S3"
    assert group.customProperty(JOB_PROPERTY) == finished.job.id
    outputs_group = group.findGroup(OUTPUTS_GROUP)
    assert [g.name() for g in outputs_group.children()] == ["mask", "ndvi"]
    for output_group in outputs_group.children():
        assert [n.layer().name() for n in output_group.children()] == ["11SKV_9_0", "11SLV_0_0"]

    sources = {layer.source(): layer.source() for layer in layers}  # /vsis3/…: GDAL reads it the same way
    assert all(s.startswith("/vsis3/") for s in sources)
    check_layers_against_tiles(layers, finished, sources)
    ndvi = [layer for layer in layers if layer.customProperty("tilewise/output_id") == "ndvi"]
    mask = [layer for layer in layers if layer.customProperty("tilewise/output_id") == "mask"]
    assert {layer.renderer().type() for layer in layers} == {"singlebandpseudocolor"}
    assert _ramp_end(ndvi[0]) == _ramp_end_of("RdYlGn") and _ramp_end(mask[0]) == _ramp_end_of("Viridis")
    # one stretch for all tiles of an output, from the data (not the index's nominal -1..1)
    [(low, high)] = {(lyr.renderer().classificationMin(), lyr.renderer().classificationMax()) for lyr in ndvi}
    assert -1 <= low < high <= 1 and (low, high) != (-1, 1)
    assert _rendered_pixels(ndvi[0]) > 1000  # the style draws

    project_file = tmp_path / "project.qgs"
    assert QgsProject.instance().write(str(project_file))
    assert_no_secret(finished, *(layer.source() for layer in layers), project_file.read_text())

    # opening again adds nothing: the layers are there
    assert len(add_output_layers(finished.job, outputs, finished.access)) == 0


def _ramp_end(layer: QgsRasterLayer) -> str:
    items = layer.renderer().shader().rasterShaderFunction().colorRampItemList()
    return items[-1].color.name()


def _ramp_end_of(name: str) -> str:
    from qgis.core import QgsStyle

    return QgsStyle.defaultStyle().colorRamp(name).color(1.0).name()


def _rendered_pixels(layer: QgsRasterLayer) -> int:
    """How many pixels the layer paints (not transparent) when rendered over its extent."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(100, 100))
    settings.setBackgroundColor(QColor(0, 0, 0, 0))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    return sum(1 for x in range(100) for y in range(100) if image.pixelColor(x, y).alpha() > 0)


def test_outputs_open_from_a_folder(jobs, engine):
    finished = jobs["folder"]
    outputs = prepare_outputs(None, finished.job, finished.tiles)
    assert [o.url.split("://")[0] for o in outputs] == ["file"] * 4 and outputs.problems == []
    layers = add_output_layers(finished.job, outputs, None)
    assert len(layers) == 4 and not layers.problems
    for layer in layers:
        assert Path(layer.source()).is_file()
        assert Path(layer.source()).is_relative_to(engine.output_root / "folder job")
    check_layers_against_tiles(layers, finished, {layer.source(): layer.source() for layer in layers})


def test_a_deleted_output_is_reported_and_the_rest_open(jobs, s3_server):
    finished = copy_job(s3_server, jobs["s3"])
    bucket, prefix = finished.job.output_url.split("/")[2], f"outputs/{finished.job.id}"
    client = s3_server.client()

    # deleted before the listing: the finished tile's missing output is named
    client.delete_object(Bucket=bucket, Key=f"{prefix}/11SKV_9_0/mask.tif")
    outputs = prepare_outputs(finished.access, finished.job, finished.tiles)
    [problem] = outputs.problems
    assert "Tile 11SKV_9_0" in problem and "mask output is missing" in problem and "deleted" in problem

    # deleted after it was described, before it is opened: the layer is not added, and said to be gone
    client.delete_object(Bucket=bucket, Key=f"{prefix}/11SLV_0_0/ndvi.tif")
    layers = add_output_layers(finished.job, outputs, finished.access)
    assert sorted((lyr.customProperty("tilewise/output_id"), lyr.name()) for lyr in layers) == [
        ("mask", "11SLV_0_0"),
        ("ndvi", "11SKV_9_0"),
    ]
    [problem] = layers.problems
    assert "Tile 11SLV_0_0, output ndvi" in problem and "not there any more" in problem
    assert all(layer.isValid() for layer in layers)
    assert_no_secret(finished, problem)


# --- mosaics ---------------------------------------------------------------------------------------------


def test_mosaics_one_per_zone_or_one_reprojected(jobs, tmp_path):
    finished = jobs["zones"]
    assert sorted((t.name, t.epsg) for t in finished.tiles) == [("10SGE_0_0", 32610), ("11SKV_0_0", 32611)]
    outputs = list_outputs(finished.access, finished.job, finished.tiles)
    mosaics = build_mosaics(outputs, tmp_path / "mosaics", finished.access)
    assert mosaics.problems == []
    assert sorted((m.output_id, m.epsg) for m in mosaics) == [
        ("mask", 32610),
        ("mask", 32611),
        ("ndvi", 32610),
        ("ndvi", 32611),
    ]
    layers = add_mosaic_layers(finished.job, mosaics)
    assert len(layers) == 4 and not layers.problems
    # of the job's outputs only the mosaics are switched on: the tiles are there unchecked, their group collapsed
    tiles = add_output_layers(finished.job, outputs, finished.access)
    assert len(tiles) == len(outputs)
    root = QgsProject.instance().layerTreeRoot()
    for layer in tiles:
        node = root.findLayer(layer.id())
        assert not node.itemVisibilityChecked() and not node.parent().isExpanded()
    for layer in layers:
        assert root.findLayer(layer.id()).isVisible()
    by_zone = {(m.output_id, m.epsg): layer for m, layer in zip(mosaics, layers)}
    for (output_id, epsg), layer in by_zone.items():
        assert layer.isValid() and layer.crs().authid() == f"EPSG:{epsg}"
        assert layer.name() == f"{output_id} mosaic (EPSG:{epsg})"
    valid = 0
    for output in outputs:  # each mosaic shows its tile's pixels: some with data (zone 11), some without
        layer = by_zone[(output.output_id, output.epsg)]
        tile = gdal.Open(layer_source_of(output, finished))
        x0, dx, _, y0, _, dy = tile.GetGeoTransform()
        plane = tile.GetRasterBand(1).ReadAsArray()
        rows, columns = np.nonzero(plane == plane)  # not NaN
        picks = [(10, 10), (416, 0)] + [(int(c), int(r)) for c, r in zip(columns[::997], rows[::997])][:6]
        for column, row in picks:
            point = QgsPointXY(x0 + (column + 0.5) * dx, y0 + (row + 0.5) * dy)
            value, ok = layer.dataProvider().sample(point, 1)
            direct = float(plane[row, column])
            assert ok and value == pytest.approx(direct, rel=1e-6, nan_ok=True), (output.url, column, row)
            valid += output.output_id == "ndvi" and direct == direct
    assert valid >= 3  # the zone-11 tile reaches the demo catalog: real NDVI values
    assert_no_secret(finished, *(m.path.read_text() for m in mosaics))

    # reprojected: one VRT per output, in EPSG:4326, covering both zones
    reprojected = build_mosaics(outputs, tmp_path / "wgs84", finished.access, reproject_to=4326)
    assert sorted((m.output_id, m.epsg, len(m.tiles)) for m in reprojected) == [
        ("mask", 4326, 2),
        ("ndvi", 4326, 2),
    ]
    layers = add_mosaic_layers(finished.job, reprojected)
    assert len(layers) == 2 and all(layer.crs().authid() == "EPSG:4326" for layer in layers)
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    for output in outputs:
        tile = gdal.Open(layer_source_of(output, finished))
        x0, dx, _, y0, _, dy = tile.GetGeoTransform()
        centre = QgsPointXY(x0 + 208.5 * dx, y0 + 208.5 * dy)
        transform = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem(f"EPSG:{output.epsg}"), wgs84, QgsProject.instance()
        )
        layer = next(lyr for lyr in layers if lyr.name().startswith(output.output_id + " "))
        assert layer.extent().contains(transform.transform(centre)), output.tile_name
    west, east = layers[0].extent().xMinimum(), layers[0].extent().xMaximum()
    assert west < -120.0 < east


def layer_source_of(output, finished: FinishedJob) -> str:
    from tilewise.core.outputs import gdal_source

    return gdal_source(finished.access, output.url)


# --- downloads -------------------------------------------------------------------------------------------


class HeldAtFirstProgress(DownloadTask):
    """Waits at its first progress report (before any file starts) until it is cancelled: on a busy machine the
    four small files would otherwise all be in flight before the test's cancel arrives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.running = threading.Event()

    def setProgress(self, progress: float) -> None:  # noqa: N802 (QgsTask API)
        super().setProgress(progress)
        self.running.set()
        self.cancel_token.wait(30)


def test_download_task_copies_resumes_and_cancels(jobs, s3_server, tmp_path):
    finished = jobs["s3"]
    outputs = list_outputs(finished.access, finished.job, finished.tiles)
    folder = tmp_path / "downloads"

    # cancelled between files: the first copy is whole, the rest waits
    cancel = Cancel()
    first = download(outputs, folder, finished.access, lambda p: p > 0 and cancel.set(), cancel, workers=1)
    assert first.cancelled and len(first) == 1

    # the task: progress to the task manager, the rest copied, the first left alone
    stamp = first[0].stat().st_mtime_ns
    done, progress = [], []
    task = DownloadTask(outputs, folder, finished.access, done.append)
    task.progressChanged.connect(progress.append)
    QgsApplication.taskManager().addTask(task)
    wait_until(lambda: done, timeout=60)
    assert task.error is None and len(task.result) == 4 and task.result.problems == []
    assert first[0].stat().st_mtime_ns == stamp
    assert progress and max(progress) == 100
    bucket = finished.job.output_url.split("/")[2]
    for output, path in zip(outputs, task.result):
        key = output.url.split(f"{bucket}/", 1)[1]
        assert path.read_bytes() == s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    # cancelled through the task manager while it runs: it ends terminated, saying so
    ended = []
    task = HeldAtFirstProgress(outputs, tmp_path / "other", finished.access, ended.append)
    QgsApplication.taskManager().addTask(task)
    wait_until(task.running.is_set, timeout=30)
    task.cancel()
    wait_until(lambda: ended, timeout=30)
    assert task.status() == task.Terminated and ended[0].error == "Cancelled."
    assert len(ended[0].result or []) < len(outputs)


# --- styles of other outputs (synthetic files) -----------------------------------------------------------


def write_local(path: Path, planes: np.ndarray, gdal_type) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 64, 64, len(planes), gdal_type)
    dataset.SetGeoTransform((300_000, 10, 0, 4_000_000, 0, -10))
    dataset.SetProjection(QgsCoordinateReferenceSystem("EPSG:32611").toWkt())
    for index, plane in enumerate(planes):
        dataset.GetRasterBand(index + 1).WriteArray(plane)
    dataset = None
    return path.as_uri()


@pytest.mark.parametrize("described", [True, False], ids=["described first", "opened directly"])
def test_multi_band_outputs_open_as_rgb(described, tmp_path):
    from tilewise.core.jobs import BatchJob
    from tilewise.core.outputs import OutputFile, describe_outputs

    rgba = np.full((4, 64, 64), 120, dtype=np.uint8)
    rgba[3] = 255
    rgba[3, :16] = 0
    rgbn = rgba.copy()
    rgbn[3, 16:32] = 80  # a fourth data band (near infrared...), not an alpha band
    reflectance = np.stack([np.full((64, 64), v, dtype=np.uint16) for v in (500, 1500, 2500)])
    reflectance[:, :8] = 0
    outputs = [
        OutputFile("T_rgba", "rgba", write_local(tmp_path / "rgba.tif", rgba, gdal.GDT_Byte), 32611),
        OutputFile("T_rgbn", "rgbn", write_local(tmp_path / "rgbn.tif", rgbn, gdal.GDT_Byte), 32611),
        OutputFile("T_refl", "refl", write_local(tmp_path / "refl.tif", reflectance, gdal.GDT_UInt16), 32611),
    ]
    if described:
        outputs = describe_outputs(outputs, None)
    job = BatchJob.from_v1({"id": "synthetic-outputs", "description": "styles"}, "local")
    layers = {layer.name(): layer for layer in add_output_layers(job, outputs, None)}
    for layer in layers.values():
        renderer = layer.renderer()
        assert renderer.type() == "multibandcolor"
        assert (renderer.redBand(), renderer.greenBand(), renderer.blueBand()) == (1, 2, 3)
    assert layers["T_rgba"].renderer().alphaBand() == 4 and layers["T_rgbn"].renderer().alphaBand() == -1
    assert layers["T_rgba"].renderer().redContrastEnhancement() is None  # 8-bit: shown as it is
    red, blue = (
        layers["T_refl"].renderer().redContrastEnhancement(),
        layers["T_refl"].renderer().blueContrastEnhancement(),
    )
    assert (red.minimumValue(), red.maximumValue()) == (0, 500) and blue.maximumValue() == 2500
    assert _rendered_pixels(layers["T_rgba"]) < 100 * 100 * 0.8  # the transparent quarter stays transparent
    assert _rendered_pixels(layers["T_rgbn"]) == 100 * 100
