"""Output path templates, GeoTIFF writing and delivery to a folder and to a real local S3 server."""

from __future__ import annotations

import json

import numpy as np
import pytest
from osgeo import gdal

from tilewise.core.output_paths import OutputPathError, TilePathTemplate
from tilewise.core.s3 import S3Credentials
from tilewise.engine.output.delivery import DeliveryError, FolderDelivery, S3Delivery, delivery_for
from tilewise.engine.output.writer import (
    NATIVE_INT8,
    CogParameterError,
    CogParameters,
    RasterPlacement,
    TiffMetadata,
    write_geotiff,
    write_userdata,
)

gdal.UseExceptions()


# --- templates --------------------------------------------------------------------------------------------


def test_plain_bucket_path_expands_to_the_documented_default_template():
    template = TilePathTemplate.parse("s3://my-bucket/some/folder", ["default"])
    assert template.template == "s3://my-bucket/some/folder/<requestId>/<tileName>/<outputId>.<format>"
    assert (
        template.url("r1", "11SKV_9_0", 42, "default", "tif")
        == "s3://my-bucket/some/folder/r1/11SKV_9_0/default.tif"
    )
    assert template.root_url == "s3://my-bucket/some/folder"


def test_template_placeholders_are_all_replaced():
    template = TilePathTemplate.parse(
        "s3://b-1/x/<tileId>/<requestId>_<outputId>.<format>", ["NDVI", "dataMask"]
    )
    assert template.url("req", "T", 7, "NDVI", "tif") == "s3://b-1/x/7/req_NDVI.tif"
    assert template.root_url == "s3://b-1/x"


@pytest.mark.parametrize(
    "path, outputs, fragment",
    [
        ("s3://bucket/folder/<outputId>.<format>", ["default"], "<tileName> or <tileId>"),
        ("s3://bucket/<tileName>/out.tif", ["NDVI", "dataMask"], "must contain <outputId>"),
        ("s3://bucket/<tileName>/<bandName>.tif", ["default"], "Unknown placeholder <bandName>"),
        ("http://example.com/out", ["default"], "use s3://bucket/folder or file:///"),
        ("s3://Bad_Bucket/x", ["default"], "not a valid S3 bucket name"),
        ("file://relative/folder", ["default"], "three slashes"),
        ("file:///out/<tileName>/../../etc/<outputId>.tif", ["default"], "'..' segments"),
    ],
)
def test_bad_templates_are_refused_with_a_fix(path, outputs, fragment):
    with pytest.raises(OutputPathError, match=None) as info:
        TilePathTemplate.parse(path, outputs)
    assert fragment in str(info.value)


# --- folder delivery --------------------------------------------------------------------------------------


def test_folder_delivery_is_confined_to_the_output_root(tmp_path):
    root = tmp_path / "outputs"
    root.mkdir()
    with pytest.raises(DeliveryError, match="outside the engine's output root"):
        delivery_for(f"file://{tmp_path}/elsewhere", root, None, None)
    with pytest.raises(DeliveryError, match="outside the engine's output root"):
        delivery_for(f"file://{root}-sibling", root, None, None)
    # a symlink inside the root pointing outside is followed and refused
    (root / "escape").symlink_to(tmp_path)
    with pytest.raises(DeliveryError, match="outside"):
        FolderDelivery(root).local_path(f"file://{root}/escape/x.tif")
    delivery_for(f"file://{root}/jobs", root, None, None).check_writable(f"file://{root}/jobs")
    assert (root / "jobs").is_dir()


def test_folder_delivery_replaces_whole_files_and_leaves_no_partial_file(tmp_path):
    delivery = FolderDelivery(tmp_path)
    source = tmp_path / "src.bin"
    source.write_bytes(b"first")
    url = f"file://{tmp_path}/a/b/out.tif"
    assert not delivery.exists(url)
    delivery.put_file(source, url)
    source.write_bytes(b"second")
    delivery.put_file(source, url)
    assert (tmp_path / "a/b/out.tif").read_bytes() == b"second"
    assert [p.name for p in (tmp_path / "a/b").iterdir()] == ["out.tif"]
    delivery.delete(url)
    assert not delivery.exists(url)


def test_folder_delivery_of_bytes_replaces_whole_files_and_stays_in_the_output_root(tmp_path):
    delivery = FolderDelivery(tmp_path / "root")
    url = f"file://{tmp_path}/root/r/1.json"
    delivery.put_bytes(b'{"id": 1}', url)
    delivery.put_bytes(b'{"id": 1, "again": true}', url)
    assert (tmp_path / "root/r/1.json").read_bytes() == b'{"id": 1, "again": true}'
    assert [p.name for p in (tmp_path / "root/r").iterdir()] == ["1.json"]
    with pytest.raises(DeliveryError, match="outside the engine's output root"):
        delivery.put_bytes(b"x", f"file://{tmp_path}/elsewhere/1.json")


def test_folder_that_cannot_be_written_is_reported(tmp_path):
    # a file where the folder should be: refused even for root, unlike a permission bit
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(DeliveryError, match="Cannot write in"):
        FolderDelivery(tmp_path).check_writable(f"file://{tmp_path}/taken/jobs")


# --- S3 delivery ------------------------------------------------------------------------------------------


def test_s3_delivery_uploads_checks_and_deletes_objects(s3_server, s3_bucket, tmp_path):
    delivery = S3Delivery(s3_server.endpoint_url, S3Credentials(s3_server.access_key, s3_server.secret_key))
    delivery.check_writable(f"s3://{s3_bucket}/jobs")
    source = tmp_path / "out.tif"
    source.write_bytes(b"II*\x00tiff")
    url = f"s3://{s3_bucket}/jobs/r/T/default.tif"
    assert not delivery.exists(url)
    delivery.put_file(source, url)
    assert delivery.exists(url)
    body = s3_server.client().get_object(Bucket=s3_bucket, Key="jobs/r/T/default.tif")
    assert body["Body"].read() == b"II*\x00tiff"
    assert body["ContentType"] == "image/tiff"
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert keys == ["jobs/r/T/default.tif"]  # the write check left nothing behind
    delivery.put_bytes(b'{"id": 4}', f"s3://{s3_bucket}/jobs/r/4.json")
    small = s3_server.client().get_object(Bucket=s3_bucket, Key="jobs/r/4.json")
    assert small["Body"].read() == b'{"id": 4}' and small["ContentType"] == "application/json"
    delivery.delete(url)
    assert not delivery.exists(url)


def test_missing_bucket_is_named_without_secrets(s3_server):
    secret = s3_server.secret_key
    delivery = S3Delivery(s3_server.endpoint_url, S3Credentials(s3_server.access_key, secret))
    with pytest.raises(DeliveryError) as info:
        delivery.check_writable("s3://no-such-bucket-tw/x")
    message = str(info.value)
    assert "no-such-bucket-tw" in message and "NoSuchBucket" in message
    assert secret not in message and s3_server.access_key not in message


def test_refused_credentials_are_reported_without_secrets(strict_s3_server):
    secret = "very-secret-key-value"
    delivery = S3Delivery(strict_s3_server.endpoint_url, S3Credentials("AKIAUNKNOWN", secret))
    with pytest.raises(DeliveryError) as info:
        delivery.check_writable("s3://some-bucket/x")
    message = str(info.value)
    assert "InvalidAccessKeyId" in message and "some-bucket" in message
    assert secret not in message and "AKIAUNKNOWN" not in message


# --- GeoTIFF writing --------------------------------------------------------------------------------------

PLACEMENT = RasterPlacement(epsg=32611, origin_x=300_000.0, origin_y=4_000_000.0, resolution=10.0)


@pytest.mark.parametrize(
    "sample_type, dtype",
    [
        ("UINT8", np.uint8),
        ("INT8", np.int8),
        ("INT16", np.int16),
        ("UINT16", np.uint16),
        ("FLOAT32", np.float32),
    ],
)
def test_geotiff_keeps_values_type_grid_and_nodata(tmp_path, sample_type, dtype):
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype) if dtype != np.float32 else None
    if info is not None:
        data = rng.integers(info.min, info.max, size=(2, 30, 40), endpoint=True).astype(dtype)
    else:
        data = rng.normal(size=(2, 30, 40)).astype(np.float32)
    path = tmp_path / "out.tif"
    write_geotiff(
        path,
        data,
        sample_type,
        -1 if sample_type in ("INT8", "INT16", "FLOAT32") else 0,
        PLACEMENT,
        TiffMetadata({"TILEWISE_TILE_NAME": "T1"}, synthetic=True),
    )
    ds = gdal.Open(str(path))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (40, 30, 2)
    assert ds.GetGeoTransform() == (300_000.0, 10.0, 0.0, 4_000_000.0, 0.0, -10.0)
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "32611"
    read = ds.ReadAsArray()
    if sample_type == "INT8" and not NATIVE_INT8:
        assert ds.GetRasterBand(1).GetMetadataItem("PIXELTYPE", "IMAGE_STRUCTURE") == "SIGNEDBYTE"
        read = read.astype(np.uint8).view(np.int8)
    assert read.dtype == data.dtype
    np.testing.assert_array_equal(read, data)
    assert ds.GetRasterBand(1).GetNoDataValue() in (-1, 0)
    assert ds.GetMetadataItem("TILEWISE_SYNTHETIC") == "true"
    assert ds.GetMetadataItem("TILEWISE_TILE_NAME") == "T1"


def test_cog_output_has_overviews_blocks_and_cog_layout(tmp_path):
    data = np.arange(2 * 1100 * 1100, dtype=np.float32).reshape(2, 1100, 1100)
    path = tmp_path / "cog.tif"
    cog = CogParameters.parse(
        {"blockxsize": 512, "blockysize": 256, "overviewLevels": [2, 4], "resamplingAlgorithm": "nearest"}
    )
    write_geotiff(path, data, "FLOAT32", None, PLACEMENT, TiffMetadata(), cog)
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    assert band.GetBlockSize() == [512, 256]
    assert band.GetOverviewCount() == 2
    assert band.GetOverview(0).XSize == 550
    assert ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") in (None, "COG")
    # GDAL's own validation: overviews and the IFD come before the image data
    structure = gdal.Info(str(path), format="json")
    assert structure["bands"][0]["overviews"][1]["size"] == [275, 275]
    np.testing.assert_array_equal(ds.ReadAsArray(), data)
    assert ds.GetMetadataItem("TILEWISE_SYNTHETIC") is None


def test_default_cog_parameters_build_overviews_down_to_the_minimum_size(tmp_path):
    cog = CogParameters.parse({})
    assert (cog.block_x, cog.block_y, cog.resampling) == (1024, 1024, "AVERAGE")
    assert cog.levels_for(2200, 2200) == [2, 4, 8]
    assert cog.levels_for(200, 200) == []


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"blockxsize": 100}, "multiples of 16"),
        ({"resamplingAlgorithm": "bogus"}, "not one of"),
        ({"overviewLevels": [1, 2]}, "overviewLevels"),
        ({"usePredictor": "yes"}, "true or false"),
    ],
)
def test_bad_cog_parameters_are_refused(body, fragment):
    with pytest.raises(CogParameterError) as info:
        CogParameters.parse(body)
    assert fragment in str(info.value)


def test_userdata_is_written_as_json(tmp_path):
    path = tmp_path / "userdata.json"
    write_userdata(path, {"dates": ["2023-07-01"], "n": 2}, synthetic=False)
    assert json.loads(path.read_text()) == {"dates": ["2023-07-01"], "n": 2}
