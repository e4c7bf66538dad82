"""The Process API (`POST /api/v1/process`) of a live engine: previews rendered on the small synthetic catalog.

One engine process serves the module (real HTTP on 127.0.0.1). Expected pixels are
computed here from the source COGs, with numpy (grid-aligned windows) or with a
plain `gdal.Warp` of the COG onto the requested grid, never with the engine's code.
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
import shapely
from osgeo import gdal
from testkit import local_engine

gdal.UseExceptions()
UTM = "http://www.opengis.net/def/crs/EPSG/0/32611"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
JULY_1 = {"timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-01T23:59:59Z"}}
OFFSET_DN = -1000.0  # the demo COGs carry baseline 04.00's +1000

TRUE_COLOUR = """//VERSION=3
function setup() { return {input: [{bands: ["B02", "B03", "B04"]}], output: {bands: 3}}; }
function evaluatePixel(sample) { return [sample.B04, sample.B03, sample.B02]; }
"""
NDVI = """//VERSION=3
function setup() {
  return {
    input: [{bands: ["B04", "B08", "dataMask"]}],
    output: [
      {id: "NDVI", bands: 1, sampleType: "FLOAT32", nodataValue: -9999},
      {id: "dataMask", bands: 1, sampleType: "UINT8"}
    ]
  };
}
function evaluatePixel(s) {
  var ndvi = s.dataMask == 1 ? (s.B08 - s.B04) / (s.B08 + s.B04) : -9999;
  return {NDVI: [ndvi], dataMask: [s.dataMask]};
}
function updateOutputMetadata(scenes, inputMetadata, outputMetadata) {
  outputMetadata.userData = {service: inputMetadata.serviceVersion, factor: inputMetadata.normalizationFactor};
}
"""
MASK_AND_RED = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 2, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [s.dataMask, s.B04]; }
"""


def request_body(evalscript: str = TRUE_COLOUR, bbox=None, crs: str = UTM, responses=None, **output) -> dict:
    bounds: dict = {"properties": {"crs": crs}}
    if bbox is not None:
        bounds["bbox"] = list(bbox)
    return {
        "input": {"bounds": bounds, "data": [{"type": "sentinel-2-l2a", "dataFilter": JULY_1}]},
        "output": {
            **output,
            "responses": responses or [{"identifier": "default", "format": {"type": "image/png"}}],
        },
        "evalscript": evalscript,
    }


@pytest.fixture(scope="module")
def engine(small_catalog, tmp_path_factory, s3_server):
    server = local_engine(tmp_path_factory.mktemp("process-engine"), small_catalog, s3_server).start()
    yield server
    server.stop()


def post(engine, body: dict, **headers):
    return engine.call("POST", "/api/v1/process", json=body, headers=headers)


def open_raster(content: bytes, suffix: str) -> gdal.Dataset:
    path = f"/vsimem/process-{uuid.uuid4().hex}.{suffix}"
    gdal.FileFromMemBuffer(path, content)
    try:
        return gdal.Translate("", path, format="MEM")  # a copy: the buffer goes
    finally:
        gdal.Unlink(path)


def cog(catalog: Path, date: str, band: str) -> Path:
    return next((catalog / "sentinel-2-l2a").glob(f"*_{date}_0_L2A")) / f"{band}.tif"


def window_dn(catalog: Path, band: str, bounds, resolution: float = 10.0) -> np.ndarray:
    """A grid-aligned window of the 1 July COG at its native 10 m, by array indexing (no resampling)."""
    source = gdal.Open(str(cog(catalog, "20230701", band)))
    x0, res, _, y1, _, _ = source.GetGeoTransform()
    assert res == resolution
    col, row = round((bounds[0] - x0) / res), round((y1 - bounds[3]) / res)
    width, height = round((bounds[2] - bounds[0]) / res), round((bounds[3] - bounds[1]) / res)
    return source.ReadAsArray(col, row, width, height)


def warped_dn(catalog: Path, band: str, epsg: int, bounds, width: int, height: int) -> np.ndarray:
    """The 1 July COG warped (nearest) onto the requested grid by GDAL directly."""
    warped = gdal.Warp(
        "",
        str(cog(catalog, "20230701", band)),
        format="MEM",
        outputBounds=bounds,
        width=width,
        height=height,
        dstSRS=f"EPSG:{epsg}",
        resampleAlg="near",
        srcNodata=0,
        dstNodata=0,
    )
    return warped.ReadAsArray()


def reflectance(dn: np.ndarray) -> np.ndarray:
    values = (dn.astype(np.float32) + np.float32(OFFSET_DN)) / np.float32(10000.0)
    return np.maximum(values, 0)


def expected_ndvi(b04: np.ndarray, b08: np.ndarray) -> np.ndarray:
    red, nir = reflectance(b04).astype(np.float64), reflectance(b08).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = ((nir - red) / (nir + red)).astype(np.float32)
    return np.where(b04 == 0, np.float32(-9999), ndvi)


# --- rendering ----------------------------------------------------------------------------------------


def test_true_colour_png_holds_the_source_reflectances_stretched_to_bytes(engine, small_catalog):
    bbox = (292_000.0, 3_992_000.0, 297_120.0, 3_997_120.0)  # 512 × 512 px at 10 m, on the COGs' grid
    response = post(engine, request_body(bbox=bbox, width=512, height=512), Accept="image/png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    png = open_raster(response.content, "png")
    assert (png.RasterXSize, png.RasterYSize, png.RasterCount) == (512, 512, 3)
    assert png.GetRasterBand(1).DataType == gdal.GDT_Byte
    got = png.ReadAsArray()
    for index, band in enumerate(("B04", "B03", "B02")):
        values = reflectance(window_dn(small_catalog, band, bbox)).astype(np.float64) * 255.0
        expected = np.clip(np.trunc(values + 0.5), 0, 255).astype(np.uint8)  # AUTO: [0, 1] → 0–255
        np.testing.assert_array_equal(got[index], expected, err_msg=band)
    assert got.std() > 5  # fields, not a flat image
    assert float(response.headers["x-processingunits-spent"]) == pytest.approx(1.0)


def test_ndvi_float32_geotiff_in_utm_from_resx_resy_is_georeferenced_with_nodata(engine, small_catalog):
    bbox = (295_000.0, 3_993_000.0, 297_000.0, 3_995_400.0)
    body = request_body(
        NDVI, bbox, responses=[{"identifier": "NDVI", "format": {"type": "image/tiff"}}], resx=20, resy=20
    )
    response = post(engine, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/tiff"
    tiff = open_raster(response.content, "tif")
    assert (tiff.RasterXSize, tiff.RasterYSize, tiff.RasterCount) == (100, 120, 1)
    assert tiff.GetGeoTransform() == (295_000.0, 20.0, 0.0, 3_995_400.0, 0.0, -20.0)
    assert tiff.GetSpatialRef().GetAuthorityCode(None) == "32611"
    band = tiff.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32 and band.GetNoDataValue() == -9999
    b04, b08 = (warped_dn(small_catalog, b, 32611, bbox, 100, 120) for b in ("B04", "B08"))
    np.testing.assert_allclose(band.ReadAsArray(), expected_ndvi(b04, b08), rtol=1e-6)
    assert tiff.GetMetadataItem("TILEWISE_SYNTHETIC") == "true"


def test_ndvi_in_wgs84_from_width_and_height_has_lon_lat_pixels(engine, small_catalog):
    bbox = (-119.30, 36.05, -119.22, 36.11)
    body = request_body(
        NDVI,
        bbox,
        crs=WGS84,
        responses=[{"identifier": "NDVI", "format": {"type": "image/tiff"}}],
        width=320,
        height=300,
    )
    response = post(engine, body)
    assert response.status_code == 200, response.text
    tiff = open_raster(response.content, "tif")
    assert (tiff.RasterXSize, tiff.RasterYSize) == (320, 300)
    x0, dx, rot_x, y1, rot_y, dy = tiff.GetGeoTransform()
    assert (x0, y1, rot_x, rot_y) == pytest.approx((-119.30, 36.11, 0.0, 0.0))
    assert dx == pytest.approx(0.08 / 320) and dy == pytest.approx(-0.06 / 300)  # pixels need not be square
    srs = tiff.GetSpatialRef()
    assert srs.GetAuthorityCode(None) == "4326"
    b04, b08 = (warped_dn(small_catalog, b, 4326, bbox, 320, 300) for b in ("B04", "B08"))
    got = tiff.GetRasterBand(1).ReadAsArray()
    np.testing.assert_allclose(got, expected_ndvi(b04, b08), rtol=1e-6)
    assert (got > 0.2).mean() > 0.1  # real fields: growing crops somewhere


def test_only_width_given_keeps_the_aspect_ratio(engine):
    bbox = (295_000.0, 3_993_000.0, 297_000.0, 3_994_000.0)
    response = post(engine, request_body(bbox=bbox, width=300))
    assert response.status_code == 200, response.text
    png = open_raster(response.content, "png")
    assert (png.RasterXSize, png.RasterYSize) == (300, 150)


def test_without_a_size_the_image_is_256_px_square(engine):
    response = post(engine, request_body(bbox=(295_000.0, 3_993_000.0, 297_000.0, 3_994_000.0)))
    assert response.status_code == 200, response.text
    png = open_raster(response.content, "png")
    assert (png.RasterXSize, png.RasterYSize) == (256, 256)


def test_pixels_outside_the_geometry_have_no_data_and_zero_bands(engine, small_catalog):
    # a triangle in UTM, with vertices off the pixel centres
    ring = [
        [295_003.0, 3_993_007.0],
        [296_991.0, 3_993_403.0],
        [295_607.0, 3_994_993.0],
        [295_003.0, 3_993_007.0],
    ]
    body = request_body(
        MASK_AND_RED,
        responses=[{"identifier": "default", "format": {"type": "image/tiff"}}],
        resx=10,
        resy=10,
    )
    body["input"]["bounds"]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    response = post(engine, body)
    assert response.status_code == 200, response.text
    tiff = open_raster(response.content, "tif")
    x0, dx, _, y1, _, dy = tiff.GetGeoTransform()
    assert (x0, y1) == (295_003.0, 3_994_993.0)  # the geometry's bounds
    width, height = tiff.RasterXSize, tiff.RasterYSize
    assert (width, height) == (199, 199)
    mask, red = tiff.ReadAsArray()
    xs, ys = np.meshgrid(x0 + dx * (np.arange(width) + 0.5), y1 + dy * (np.arange(height) + 0.5))
    inside = shapely.contains_xy(shapely.Polygon(ring), xs, ys)
    assert 0.3 < inside.mean() < 0.7
    np.testing.assert_array_equal(mask, inside.astype(np.float32))  # 1 July covers all: data wherever inside
    assert (red[~inside] == 0).all() and (red[inside] > 0).all()


def test_several_responses_come_as_a_tar_named_as_sentinelhub_py_expects(engine, small_catalog):
    bbox = (295_000.0, 3_993_000.0, 296_000.0, 3_994_000.0)
    responses = [
        {"identifier": "NDVI", "format": {"type": "image/tiff"}},
        {"identifier": "dataMask", "format": {"type": "image/png"}},
        {"identifier": "userdata", "format": {"type": "application/json"}},
    ]
    response = post(engine, request_body(NDVI, bbox, responses=responses, width=100, height=100))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(response.content)) as tar:
        assert tar.getnames() == ["NDVI.tif", "dataMask.png", "userdata.json"]
        members = {name: tar.extractfile(name).read() for name in tar.getnames()}
    ndvi = open_raster(members["NDVI.tif"], "tif").ReadAsArray()
    b04, b08 = (window_dn(small_catalog, b, bbox) for b in ("B04", "B08"))
    np.testing.assert_allclose(ndvi, expected_ndvi(b04, b08), rtol=1e-6)
    assert (open_raster(members["dataMask.png"], "png").ReadAsArray() == 1).all()
    assert json.loads(members["userdata.json"]) == {
        "service": "tilewise-1.0",
        "factor": 0.0001,
        "tilewise:synthetic": True,
    }


def test_userdata_alone_is_json_and_a_tar_when_accept_asks_for_one(engine):
    bbox = (295_000.0, 3_993_000.0, 296_000.0, 3_994_000.0)
    body = request_body(
        NDVI, bbox, responses=[{"identifier": "userdata", "format": {"type": "application/json"}}]
    )
    response = post(engine, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["service"] == "tilewise-1.0"
    as_tar = post(engine, body, Accept="application/x-tar")
    assert as_tar.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(as_tar.content)) as tar:
        assert tar.getnames() == ["userdata.json"]


def test_jpeg_of_one_byte_band(engine):
    script = TRUE_COLOUR.replace("output: {bands: 3}", "output: {bands: 1}").replace(
        "[sample.B04, sample.B03, sample.B02]", "[sample.B04 * 3]"
    )
    body = request_body(
        script,
        (295_000.0, 3_993_000.0, 296_000.0, 3_994_000.0),
        responses=[{"identifier": "default", "format": {"type": "image/jpeg"}}],
        width=100,
        height=100,
    )
    response = post(engine, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg" and response.content[:2] == b"\xff\xd8"
    jpeg = open_raster(response.content, "jpg")
    assert (jpeg.RasterXSize, jpeg.RasterYSize, jpeg.RasterCount) == (100, 100, 1)


def test_multipart_request_with_the_evalscript_in_its_own_part(engine):
    body = request_body(bbox=(295_000.0, 3_993_000.0, 296_000.0, 3_994_000.0), width=64, height=64)
    script = body.pop("evalscript")
    response = engine.call(
        "POST",
        "/api/v1/process",
        files={"request": (None, json.dumps(body), "application/json"), "evalscript": (None, script)},
    )
    assert response.status_code == 200, response.text
    assert open_raster(response.content, "png").RasterXSize == 64


def test_the_warm_runtime_serves_concurrent_previews_of_one_script(engine):
    from concurrent.futures import ThreadPoolExecutor

    body = request_body(bbox=(295_000.0, 3_993_000.0, 296_000.0, 3_994_000.0), width=100, height=100)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post(engine, body), range(8)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1


# --- bad input ----------------------------------------------------------------------------------------

BBOX = (295_000.0, 3_993_000.0, 296_000.0, 3_994_000.0)


def bad(engine, body: dict) -> dict:
    response = post(engine, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (
        error["status"] == 400 and error["reason"] == "Bad Request" and error["code"] == "COMMON_BAD_PAYLOAD"
    )
    return error


def test_over_2500_px_a_side_is_refused_with_the_way_out(engine):
    message = bad(engine, request_body(bbox=BBOX, width=2501, height=100))["message"]
    assert "2501 × 100 px" in message and "2500 px" in message and "resx" in message
    message = bad(
        engine, request_body(bbox=(290_000.0, 3_990_000.0, 310_000.0, 4_000_000.0), resx=5, resy=5)
    )["message"]
    assert "4000 × 2000 px" in message


def test_float32_as_png_is_refused(engine):
    body = request_body(NDVI, BBOX, responses=[{"identifier": "NDVI", "format": {"type": "image/png"}}])
    message = bad(engine, body)["message"]
    assert "FLOAT32" in message and "PNG" in message and "image/tiff" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"responses": [{"identifier": "default", "format": {"type": "image/webp"}}]}, "image/webp"),
        ({"responses": [{"identifier": "ndvi", "format": {"type": "image/tiff"}}]}, "not an output"),
        ({"responses": [{"identifier": "userdata", "format": {"type": "image/tiff"}}]}, "application/json"),
        ({"responses": [{"identifier": "default", "format": {"type": "application/json"}}]}, "raster"),
        ({"width": 100, "resx": 10}, "give one of them"),
        ({"resx": 10}, "both resx and resy"),
        ({"resx": -10, "resy": 10}, "positive"),
    ],
)
def test_bad_outputs_are_refused_with_the_fix(engine, change, expected):
    body = request_body(bbox=BBOX)
    body["output"].update(change)
    assert expected in bad(engine, body)["message"]


def test_unknown_identifier_names_the_scripts_outputs(engine):
    body = request_body(NDVI, BBOX, responses=[{"identifier": "ndvi", "format": {"type": "image/tiff"}}])
    message = bad(engine, body)["message"]
    assert "'ndvi'" in message and "NDVI, dataMask" in message


def test_jpeg_needs_one_or_three_byte_bands(engine):
    body = request_body(
        NDVI.replace('sampleType: "FLOAT32", ', 'sampleType: "UINT16", '),
        BBOX,
        responses=[{"identifier": "NDVI", "format": {"type": "image/jpeg"}}],
    )
    assert "JPEG cannot hold" in bad(engine, body)["message"]


def test_evalscript_syntax_error_says_where(engine):
    script = TRUE_COLOUR.replace("return [sample.B04", "return [sample.B04 +")
    message = bad(engine, request_body(script, BBOX))["message"]
    assert "does not parse" in message and "(line 3, column" in message


def test_evalscript_runtime_error_says_where(engine):
    script = TRUE_COLOUR.replace("return [sample.B04", "return [sample.nothing.x, sample.B04")
    message = bad(engine, request_body(script, BBOX))["message"]
    assert "evaluatePixel" in message and "TypeError" in message and "(line 3, column" in message


def test_a_band_the_collection_lacks_is_refused(engine):
    message = bad(engine, request_body(TRUE_COLOUR.replace('"B02"', '"B10"'), BBOX))["message"]
    assert "B10" in message and "sentinel-2-l2a" in message


def test_missing_bounds_is_refused(engine):
    body = request_body()
    del body["input"]["bounds"]
    assert "input.bounds is missing" in bad(engine, body)["message"]


def test_missing_evalscript_and_bad_json_are_refused(engine):
    body = request_body(bbox=BBOX)
    del body["evalscript"]
    assert "evalscript is missing" in bad(engine, body)["message"]
    response = engine.call(
        "POST", "/api/v1/process", data="{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]


def test_a_geometry_without_area_is_refused(engine):
    body = request_body(bbox=BBOX)
    body["input"]["bounds"]["geometry"] = {"type": "Polygon", "coordinates": [[[295_000.0, 3_993_000.0]] * 4]}
    assert "has no area" in bad(engine, body)["message"]


def test_a_ring_of_fewer_than_four_positions_is_refused(engine):
    body = request_body(bbox=BBOX)
    body["input"]["bounds"]["geometry"] = {"type": "Polygon", "coordinates": [[[295_000.0, 3_993_000.0]]]}
    assert "at least 4 positions" in bad(engine, body)["message"]


def test_an_unknown_crs_is_refused(engine):
    body = request_body(bbox=BBOX, crs="http://www.opengis.net/def/crs/EPSG/0/999999")
    assert "999999" in bad(engine, body)["message"]


def test_without_a_token_the_answer_is_401(engine):
    response = requests.post(engine.url + "/api/v1/process", json=request_body(bbox=BBOX), timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "COMMON_UNAUTHORIZED"


def test_a_script_that_throws_is_a_400_and_its_warm_runtime_keeps_serving(engine):
    throwing = TRUE_COLOUR.replace("return [", "if (sample.B04 > 0.01) throw new Error('boom'); return [")
    assert "boom" in bad(engine, request_body(throwing, BBOX))["message"]
    assert post(engine, request_body(bbox=BBOX, width=32, height=32)).status_code == 200
    message = bad(engine, request_body(throwing, BBOX))["message"]  # the same script, from the pool
    assert "Error: boom" in message and "(line 3, column" in message
