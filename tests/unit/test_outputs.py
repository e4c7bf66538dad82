"""core.outputs without QGIS: listing a job's GeoTIFFs, describing them, styles, mosaics and downloads, against a
real S3 server (moto, in its own process) and local folders. Files are synthetic GeoTIFFs written with GDAL;
tests/qgis/test_output_layers.py does the same with a live engine's outputs."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr
from testkit import request_body

from tilewise.core.http import Cancel
from tilewise.core.jobs import BatchJob, Tile
from tilewise.core.mosaics import build_mosaics
from tilewise.core.outputs import (
    LayerStyle,
    OutputFile,
    RasterInfo,
    describe_outputs,
    download,
    gdal_source,
    list_outputs,
    local_target,
    merged_ranges,
    prepare_outputs,
    raster_output_ids,
    style_for,
)
from tilewise.core.storage import S3Access, StorageError

gdal.UseExceptions()
SIZE = 40  # px
RES = 250.0  # m: a tile is 10 km wide


@pytest.fixture(autouse=True)
def fresh_gdal_state():
    yield
    gdal.ClearPathSpecificOptions()
    gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", None)
    gdal.VSICurlClearCache()


@pytest.fixture
def access(s3_server) -> S3Access:
    return S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)


def tile_values(seed: int) -> np.ndarray:
    """A float32 plane whose every pixel says which tile it is from (seed + a gradient within -1..1)."""
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    return (seed / 100.0 + (rows * SIZE + columns) / (SIZE * SIZE * 10.0)).astype(np.float32) - 0.5


def write_tif(
    path: Path, epsg: int, x0: float, y1: float, data: np.ndarray, gdal_type=gdal.GDT_Float32, nodata=None
) -> Path:
    data = data if data.ndim == 3 else data[np.newaxis]
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = gdal.GetDriverByName("GTiff").Create(
        str(path), data.shape[2], data.shape[1], data.shape[0], gdal_type, ["TILED=YES", "COMPRESS=DEFLATE"]
    )
    dataset.SetGeoTransform((x0, RES, 0, y1, 0, -RES))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    dataset.SetProjection(srs.ExportToWkt())
    for index, plane in enumerate(data):
        band = dataset.GetRasterBand(index + 1)
        band.WriteArray(plane)
        if nodata is not None:
            band.SetNoDataValue(nodata)
    dataset = None
    return path


# Two tiles each side of 120°W at ~36°N: (name, epsg, x0, y1, seed).
ZONE_TILES = [
    ("10SGE_8_0", 32610, 760_000.0, 3_990_000.0, 10),
    ("10SGE_9_0", 32610, 770_000.0, 3_990_000.0, 20),
    ("11SKV_0_0", 32611, 200_000.0, 3_990_000.0, 30),
    ("11SKV_1_0", 32611, 210_000.0, 3_990_000.0, 40),
]


def v2_job(job_id: str, url: str, outputs=(("ndvi", "image/tiff"),)) -> BatchJob:
    return BatchJob.from_v2(
        {
            "id": job_id,
            "status": "DONE",
            "request": {**request_body(2, url, outputs), "description": "outputs test"},
        },
        "local",
    )


@pytest.fixture
def zone_job(s3_server, s3_bucket, tmp_path) -> BatchJob:
    """A v2 job's outputs in the bucket: ndvi for four tiles in two zones, and userdata.json."""
    client = s3_server.client()
    for name, epsg, x0, y1, seed in ZONE_TILES:
        path = write_tif(tmp_path / "src" / name / "ndvi.tif", epsg, x0, y1, tile_values(seed))
        client.upload_file(str(path), s3_bucket, f"jobs/r1/{name}/ndvi.tif")
        client.put_object(Bucket=s3_bucket, Key=f"jobs/r1/{name}/userdata.json", Body=b"{}")
    client.put_object(Bucket=s3_bucket, Key="jobs/request-r1.json", Body=b"{}")
    return v2_job("r1", f"s3://{s3_bucket}/jobs", (("ndvi", "image/tiff"), ("userdata", "application/json")))


def tiles_of(status: str = "DONE", extra: tuple = ()) -> list[Tile]:
    return [Tile(i, name, status, epsg) for i, (name, epsg, *_rest) in enumerate(ZONE_TILES + list(extra), 1)]


def value_at(source: str, x: float, y: float) -> float:
    """The pixel of band 1 at (x, y) in the dataset's own CRS, read with GDAL."""
    dataset = gdal.Open(source)
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    column, row = int((x - x0) / dx), int((y - y0) / dy)
    return float(dataset.GetRasterBand(1).ReadAsArray(column, row, 1, 1)[0, 0])


# --- listing ---------------------------------------------------------------------------------------------


def test_the_geotiffs_of_a_job_are_listed_with_their_tiles_crs(zone_job, access, s3_bucket):
    outputs = list_outputs(access, zone_job, tiles_of())
    assert [(o.tile_name, o.output_id, o.epsg) for o in outputs] == [
        (n, "ndvi", e) for n, e, *_ in ZONE_TILES
    ]
    assert outputs[0].url == f"s3://{s3_bucket}/jobs/r1/10SGE_8_0/ndvi.tif" and outputs[0].size > 1000
    assert outputs.problems == [] and raster_output_ids(zone_job) == ["ndvi"]  # userdata is not a raster
    assert [o.epsg for o in list_outputs(access, zone_job)] == [
        None
    ] * 4  # no tiles: read from the files later


def test_a_finished_tile_without_its_output_is_named(zone_job, access, s3_server, s3_bucket):
    s3_server.client().delete_object(Bucket=s3_bucket, Key="jobs/r1/11SKV_0_0/ndvi.tif")
    pending = ("11SKV_5_5", 32611, 0, 0, 0)  # not finished: its output is not expected yet
    tiles = tiles_of() + [Tile(9, pending[0], "PENDING", 32611)]
    outputs = list_outputs(access, zone_job, tiles)
    assert [o.tile_name for o in outputs] == ["10SGE_8_0", "10SGE_9_0", "11SKV_1_0"]
    [problem] = outputs.problems
    assert "Tile 11SKV_0_0" in problem and "ndvi output is missing" in problem
    assert f"s3://{s3_bucket}/jobs/r1/11SKV_0_0/ndvi.tif" in problem and "deleted" in problem


def test_a_template_without_the_output_id_takes_the_requests_only_output(
    s3_server, s3_bucket, access, tmp_path
):
    path = write_tif(tmp_path / "a.tif", 32611, 200_000, 3_990_000, tile_values(1))
    s3_server.client().upload_file(str(path), s3_bucket, "flat/r2_T1.tif")
    job = v2_job("r2", f"s3://{s3_bucket}/flat/<requestId>_<tileName>.<format>", (("index", "image/tiff"),))
    assert [(o.tile_name, o.output_id) for o in list_outputs(access, job)] == [("T1", "index")]


def test_tile_ids_in_the_template_name_v1_tiles_and_never_misname_v2_features(s3_server, s3_bucket, access):
    s3_server.client().put_object(Bucket=s3_bucket, Key="ids/r4/7001/ndvi.tif", Body=b"x")
    template = f"s3://{s3_bucket}/ids/<requestId>/<tileId>/<outputId>.<format>"
    v1 = BatchJob.from_v1({"id": "r4", **request_body(1, template, ("ndvi",))}, "local")
    tiles = [Tile(7001, "11SKV_9_0", "PROCESSED", 32611), Tile(7002, "11SLV_0_0", "PROCESSED", 32611)]
    outputs = list_outputs(access, v1, tiles)
    assert [(o.tile_name, o.epsg) for o in outputs] == [("11SKV_9_0", 32611)]
    assert len(outputs.problems) == 1 and "ids/r4/7002/ndvi.tif" in outputs.problems[0]
    # v2: the plugin numbers manifest features itself, so ids say nothing: named by id, nothing called missing
    v2 = v2_job("r4", template)
    outputs = list_outputs(
        access, v2, [Tile(1, "11SKV_9_0", "DONE", 32611), Tile(2, "11SLV_0_0", "DONE", 32611)]
    )
    assert [(o.tile_name, o.epsg) for o in outputs] == [("7001", None)] and outputs.problems == []


def test_outputs_in_a_local_folder(tmp_path):
    root = tmp_path / "engine outputs"
    for name, epsg, x0, y1, seed in ZONE_TILES[:2]:
        write_tif(root / "r3" / name / "ndvi.tif", epsg, x0, y1, tile_values(seed))
    job = v2_job("r3", "file://" + root.as_posix())
    outputs = prepare_outputs(None, job)
    assert [o.tile_name for o in outputs] == ["10SGE_8_0", "10SGE_9_0"] and {o.epsg for o in outputs} == {
        32610
    }
    assert gdal_source(None, outputs[0].url) == str(root / "r3" / "10SGE_8_0" / "ndvi.tif")
    assert not list(root.rglob("*.aux.xml"))  # describing wrote nothing beside the outputs


# --- GDAL sources and descriptions -----------------------------------------------------------------------


def test_a_gdal_source_is_a_vsis3_path_with_the_buckets_options_and_no_key(
    zone_job, access, s3_server, s3_bucket
):
    url = f"s3://{s3_bucket}/jobs/r1/10SGE_8_0/ndvi.tif"
    source = gdal_source(access, url)
    assert source == f"/vsis3/{s3_bucket}/jobs/r1/10SGE_8_0/ndvi.tif"
    assert access.secret_key not in source and access.access_key not in source
    assert gdal.GetPathSpecificOption(f"/vsis3/{s3_bucket}", "AWS_S3_ENDPOINT") == s3_server.host_port
    assert gdal.Open(source).RasterXSize == SIZE


def test_describing_reads_the_crs_bounds_and_approximate_ranges(zone_job, access):
    outputs = describe_outputs(list_outputs(access, zone_job), access)
    assert outputs.problems == [] and [o.epsg for o in outputs] == [e for _, e, *_ in ZONE_TILES]
    for output, (_, _, x0, y1, seed) in zip(outputs, ZONE_TILES):
        info = output.raster
        assert (info.width, info.height, info.bands, info.data_type) == (SIZE, SIZE, 1, "Float32")
        assert info.bounds == (x0, y1 - SIZE * RES, x0 + SIZE * RES, y1)
        low, high = info.ranges[0]
        values = tile_values(seed)
        assert values.min() <= low <= high <= values.max() and high > low  # a sample: within the true range


def test_the_alpha_band_is_recognised_only_when_it_holds_0_and_255(tmp_path):
    rgb = np.full((4, SIZE, SIZE), 100, dtype=np.uint8)
    rgb[3] = 255
    rgb[3, :10] = 0
    masked = rgb.copy()
    masked[3, 10:20] = 7  # a fourth data band, not an alpha band
    paths = [
        write_tif(tmp_path / name, 32611, 0, 0, data, gdal.GDT_Byte)
        for name, data in (("rgba.tif", rgb), ("rgbn.tif", masked))
    ]
    outputs = [OutputFile(p.stem, "default", "file://" + p.as_posix()) for p in paths]
    described = describe_outputs(outputs, None)
    assert [o.raster.alpha_band for o in described] == [4, None]
    assert style_for(described[0].raster) == LayerStyle("rgb", alpha_band=4)


def test_a_deleted_object_is_reported_and_the_others_are_described(zone_job, access, s3_server, s3_bucket):
    outputs = list_outputs(access, zone_job)
    s3_server.client().delete_object(Bucket=s3_bucket, Key="jobs/r1/10SGE_9_0/ndvi.tif")
    described = describe_outputs(outputs, access)
    assert [o.tile_name for o in described] == ["10SGE_8_0", "11SKV_0_0", "11SKV_1_0"]
    [problem] = described.problems
    assert "Tile 10SGE_9_0, output ndvi" in problem and "not there any more" in problem
    assert access.secret_key not in problem


def test_an_unreadable_file_says_so(tmp_path):
    bad = tmp_path / "T1" / "ndvi.tif"
    bad.parent.mkdir()
    bad.write_bytes(b"not a tiff at all")
    described = describe_outputs([OutputFile("T1", "ndvi", "file://" + bad.as_posix())], None)
    assert list(described) == [] and "GDAL cannot read" in described.problems[0]


def test_describing_stops_when_cancelled(zone_job, access):
    cancel = Cancel()
    cancel.set()
    described = describe_outputs(list_outputs(access, zone_job), access, workers=1, cancel=cancel)
    assert described.cancelled and len(described) < 4


# --- styles ----------------------------------------------------------------------------------------------


def info(data_type="Float32", bands=1, ranges=((0.1, 0.8),), alpha=None) -> RasterInfo:
    return RasterInfo(10, 10, bands, data_type, 32611, (0, 0, 1, 1), None, ranges, alpha)


def test_default_styles():
    assert style_for(info()) == LayerStyle("pseudocolor", "RdYlGn", 0.1, 0.8)  # an index, stretched
    assert style_for(info(ranges=((-0.2, 3.5),))).ramp == "Viridis"  # a float beyond -1..1
    assert style_for(info("UInt16", ranges=((0, 1),))).ramp == "Viridis"  # integers are not indices
    assert style_for(info("Byte", 2, ((0, 1), None))).kind == "pseudocolor"  # a value and its mask: band 1
    assert style_for(info("Byte", 3, (None, None, None))) == LayerStyle("rgb")
    assert style_for(info("Byte", 4, (None, None, None), alpha=4)).alpha_band == 4
    multi = style_for(info("UInt16", 4, ((0, 3000), (10, 2000), None)))
    assert multi.kind == "rgb" and multi.band_ranges == ((0, 3000), (10, 2000), (0.0, 1.0))
    constant = style_for(info("UInt16", ranges=((7, 7),)))
    assert (constant.minimum, constant.maximum) == (6.5, 7.5)
    empty = style_for(info(ranges=(None,)))  # no valid pixel anywhere: an index's natural range
    assert (empty.ramp, empty.minimum, empty.maximum) == ("RdYlGn", -1.0, 1.0)
    shared = style_for(info(), merged_ranges([info(ranges=((0.1, 0.5),)), info(ranges=((-0.3, 0.2),))]))
    assert (shared.minimum, shared.maximum) == (-0.3, 0.5)  # one stretch for all tiles of an output


# --- mosaics ---------------------------------------------------------------------------------------------


def test_a_mosaic_per_output_and_zone(zone_job, access, s3_bucket, tmp_path):
    mosaics = build_mosaics(list_outputs(access, zone_job), tmp_path / "mosaics", access)
    assert mosaics.problems == []
    assert [(m.output_id, m.epsg, m.path.name, m.tiles) for m in mosaics] == [
        ("ndvi", 32610, "ndvi_EPSG32610.vrt", ("10SGE_8_0", "10SGE_9_0")),
        ("ndvi", 32611, "ndvi_EPSG32611.vrt", ("11SKV_0_0", "11SKV_1_0")),
    ]
    for mosaic, (first, second) in zip(mosaics, (ZONE_TILES[:2], ZONE_TILES[2:])):
        text = mosaic.path.read_text()
        assert f"/vsis3/{s3_bucket}/jobs/r1/" in text
        assert access.secret_key not in text and access.access_key not in text
        assert mosaic.raster.bounds == (first[2], first[3] - SIZE * RES, second[2] + SIZE * RES, first[3])
        assert mosaic.raster.epsg == mosaic.epsg and mosaic.raster.ranges[0] is not None
        # a pixel of the mosaic is the tile's pixel
        for _, _, x0, y1, seed in (first, second):
            x, y = x0 + 3.5 * RES, y1 - 5.5 * RES
            assert value_at(str(mosaic.path), x, y) == pytest.approx(float(tile_values(seed)[5, 3]))


def test_a_mosaic_reprojected_to_wgs84_is_one_vrt(zone_job, access, tmp_path):
    [mosaic] = build_mosaics(list_outputs(access, zone_job), tmp_path / "mosaics", access, reproject_to=4326)
    assert (mosaic.output_id, mosaic.epsg, mosaic.path.name) == ("ndvi", 4326, "ndvi_all_EPSG4326.vrt")
    assert len(mosaic.tiles) == 4 and mosaic.raster.epsg == 4326
    west, south, east, north = mosaic.raster.bounds
    assert west < -120.0 < east and 35.9 < south < north < 36.1  # across the zone edge
    # the pixel at a tile's centre is that tile's (nearest neighbour, the finest zone's resolution)
    for name, epsg, x0, y1, seed in ZONE_TILES:
        transform = osr.CoordinateTransformation(_srs(epsg), _srs(4326))
        latitude, longitude, _ = transform.TransformPoint(x0 + 20.5 * RES, y1 - 20.5 * RES)
        value = value_at(str(mosaic.path), longitude, latitude)
        assert tile_values(seed).min() <= value <= tile_values(seed).max(), name


def _srs(epsg: int) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(
        osr.OAMS_TRADITIONAL_GIS_ORDER if epsg != 4326 else osr.OAMS_AUTHORITY_COMPLIANT
    )
    return srs


def test_mosaics_leave_out_what_cannot_be_read(zone_job, access, s3_server, s3_bucket, tmp_path):
    outputs = list_outputs(access, zone_job)
    s3_server.client().delete_object(Bucket=s3_bucket, Key="jobs/r1/11SKV_1_0/ndvi.tif")
    mosaics = build_mosaics(outputs, tmp_path / "m", access)
    assert [m.tiles for m in mosaics] == [("10SGE_8_0", "10SGE_9_0"), ("11SKV_0_0",)]
    assert "11SKV_1_0" in mosaics.problems[0] and "not there any more" in mosaics.problems[0]


# --- downloads -------------------------------------------------------------------------------------------


def test_downloads_resume_and_report_progress(zone_job, access, s3_server, s3_bucket, tmp_path):
    outputs = list_outputs(access, zone_job)
    seen: list[float] = []
    paths = download(outputs, tmp_path / "dl", access, seen.append, Cancel())
    assert paths == [local_target(tmp_path / "dl", o) for o in outputs] and not paths.problems
    assert paths[0] == tmp_path / "dl" / "10SGE_8_0" / "ndvi.tif"
    body = s3_server.client().get_object(Bucket=s3_bucket, Key="jobs/r1/10SGE_8_0/ndvi.tif")["Body"].read()
    assert paths[0].read_bytes() == body
    assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(seen)

    # a second run copies nothing: same files, untouched
    stamps = [p.stat().st_mtime_ns for p in paths]
    (paths[1].parent / f".{paths[1].name}.dead1234.partial").write_bytes(b"half")  # left by a crash
    again: list[float] = []
    assert download(outputs, tmp_path / "dl", access, again.append, Cancel()) == paths
    assert [p.stat().st_mtime_ns for p in paths] == stamps and again == [100.0]
    assert not list((tmp_path / "dl").rglob("*.partial"))
    # a file that differs from the object (size) is copied again
    paths[2].write_bytes(b"truncated")
    download(outputs, tmp_path / "dl", access, lambda p: None, Cancel())
    assert paths[2].stat().st_size == outputs[2].size


def test_a_cancelled_download_stops_between_files_and_resumes(zone_job, access, tmp_path):
    outputs = list_outputs(access, zone_job)
    cancel = Cancel()
    calls = []

    def progress(percent: float) -> None:
        calls.append(percent)
        if percent > 0:
            cancel.set()  # after the first file

    first = download(outputs, tmp_path / "dl", access, progress, cancel, workers=1)
    assert first.cancelled and 1 <= len(first) < len(outputs)
    rest = download(outputs, tmp_path / "dl", access, lambda p: None, Cancel(), workers=1)
    assert not rest.cancelled and len(rest) == len(outputs)


def test_a_deleted_object_does_not_stop_the_download(zone_job, access, s3_server, s3_bucket, tmp_path):
    outputs = list_outputs(access, zone_job)
    s3_server.client().delete_object(Bucket=s3_bucket, Key="jobs/r1/10SGE_8_0/ndvi.tif")
    paths = download(outputs, tmp_path / "dl", access, lambda p: None, Cancel())
    assert len(paths) == 3 and "10SGE_8_0" in paths.problems[0] and "not there any more" in paths.problems[0]


def test_refused_credentials_stop_the_download_with_the_reason(zone_job, s3_server, tmp_path):
    outputs = list_outputs(
        S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key),
        zone_job,
    )
    wrong = S3Access("http://127.0.0.1:9", "us-east-1", "AKIAWRONGKEY0001", "wrong-secret-value")
    with pytest.raises(StorageError) as caught:
        download(outputs, tmp_path / "dl", wrong, lambda p: None, Cancel())
    assert "wrong-secret-value" not in str(caught.value) and "AKIAWRONGKEY0001" not in str(caught.value)


def test_download_progress_comes_from_the_calling_thread(zone_job, access, tmp_path):
    threads = set()
    download(
        list_outputs(access, zone_job),
        tmp_path / "dl",
        access,
        lambda p: threads.add(threading.get_ident()),
        Cancel(),
    )
    assert threads == {threading.get_ident()}


def test_without_boto3_everything_goes_through_gdal(monkeypatch, zone_job, access, tmp_path):
    """A stock QGIS has no boto3: listing, describing, mosaics and downloads use /vsis3/."""
    import sys

    monkeypatch.setitem(sys.modules, "boto3", None)
    outputs = prepare_outputs(access, zone_job, tiles_of())
    assert len(outputs) == 4 and outputs.problems == [] and all(o.raster for o in outputs)
    assert len(build_mosaics(outputs, tmp_path / "m", access)) == 2
    paths = download(outputs, tmp_path / "dl", access, lambda p: None, Cancel())
    assert [p.stat().st_size for p in paths] == [o.size for o in outputs]
