"""core.s3 without a server: the credentials type, URLs and the /vsis3/ options both halves build."""

from __future__ import annotations

from pathlib import Path

import pytest

from tilewise.core import s3


def test_credentials_keep_both_keys_out_of_the_repr():
    keys = s3.S3Credentials("AKIAHIDDENKEY001", "hidden-secret-value", "eu-central-1")
    assert "AKIAHIDDENKEY001" not in repr(keys) and "hidden-secret-value" not in repr(keys)
    assert "eu-central-1" in repr(keys)
    access = s3.S3Access("http://127.0.0.1:9000", "eu-central-1", "AKIAHIDDENKEY001", "hidden-secret-value")
    assert access.credentials == keys
    assert "AKIAHIDDENKEY001" not in repr(access) and "hidden-secret-value" not in repr(access)


def test_credentials_scrub_both_keys_from_a_message():
    keys = s3.S3Credentials("AKIAECHOED000001", "echoed-secret-value")
    said = keys.scrub("The key AKIAECHOED000001 with echoed-secret-value was refused")
    assert said == "The key *** with *** was refused"


def test_credentials_from_an_api_s3_object():
    assert s3.S3Credentials.from_api({"accessKey": "AKIA", "secretAccessKey": "s", "region": "eu-1"}) == (
        s3.S3Credentials("AKIA", "s", "eu-1")
    )
    assert (
        s3.S3Credentials.from_api({"accessKey": "AKIA", "secretAccessKey": "s"}, "us-west-2").region
        == "us-west-2"
    )
    assert s3.S3Credentials.from_api({}, "eu-1") == s3.S3Credentials(
        region="eu-1"
    )  # the engine's keys, this region
    assert s3.S3Credentials.from_api({}) is None
    assert not s3.S3Credentials(region="eu-1").has_keys


def test_an_access_without_an_access_key_has_no_credentials():
    assert s3.S3Access("http://h:9000", "eu-1").credentials is None
    assert s3.S3Access(anonymous=True).access_key is None


@pytest.mark.parametrize(
    "url, parts",
    [
        ("s3://bucket/jobs/a/b.tif", ("bucket", "jobs/a/b.tif")),
        ("s3://bucket", ("bucket", "")),
        ("S3://bucket/", ("bucket", "")),
        (
            "s3://my.bucket/with space/%41.tif",
            ("my.bucket", "with space/%41.tif"),
        ),  # keys are kept as written
    ],
)
def test_split_s3_url(url, parts):
    assert s3.split_s3_url(url) == parts


@pytest.mark.parametrize(
    "url", ["https://bucket.s3.amazonaws.com/a", "file:///tmp/a", "s3:///key", "bucket/a"]
)
def test_split_s3_url_refuses_other_urls(url):
    with pytest.raises(s3.StorageError, match="is not an S3 URL"):
        s3.split_s3_url(url)


def test_local_urls_and_paths():
    assert s3.is_local("file:///tmp/a.tif") and s3.is_local("/tmp/a.tif") and s3.is_local(r"C:\data\a.tif")
    assert not s3.is_local("s3://b/a.tif") and not s3.is_local("https://h/a.tif")
    assert s3.local_path("file:///data/x%20y.tif") == Path("/data/x y.tif")
    assert s3.local_path("file:///C:/data/a.tif") == Path("C:/data/a.tif")
    path = Path("/data/out put/T 1.tif")
    assert s3.local_path(s3.file_url(path)) == path


def test_gdal_path_for_a_catalog_href_and_an_output():
    assert s3.gdal_path("s3://sentinel-cogs/a/B04.tif") == "/vsis3/sentinel-cogs/a/B04.tif"
    assert s3.gdal_path("https://example.com/a.tif") == "/vsicurl/https://example.com/a.tif"
    assert s3.gdal_path("file:///data/demo/item.json") == "/data/demo/item.json"
    assert s3.gdal_path("relative/item.json") == "relative/item.json"


def test_the_engine_sets_only_what_its_endpoint_needs():
    assert s3.gdal_s3_options(None) == {}  # AWS: GDAL's configuration and the AWS_* environment decide
    assert s3.gdal_s3_options("http://127.0.0.1:9000") == {
        "AWS_S3_ENDPOINT": "127.0.0.1:9000",
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
    }


def test_the_plugin_sets_every_option_so_no_global_setting_leaks_in():
    keys = s3.S3Credentials("AKIAX", "sekrit", "eu-central-1")
    options = s3.gdal_s3_options("minio.example.com:9000/", credentials=keys, isolated=True)
    assert options == {
        "AWS_S3_ENDPOINT": "minio.example.com:9000",
        "AWS_HTTPS": "YES",
        "AWS_VIRTUAL_HOSTING": "FALSE",
        "AWS_REGION": "eu-central-1",
        "AWS_NO_SIGN_REQUEST": "NO",
        "AWS_ACCESS_KEY_ID": "AKIAX",
        "AWS_SECRET_ACCESS_KEY": "sekrit",
        "AWS_SESSION_TOKEN": "",
    }
    anonymous = s3.gdal_s3_options(None, anonymous=True, isolated=True)
    assert anonymous == {
        "AWS_S3_ENDPOINT": "s3.amazonaws.com",
        "AWS_HTTPS": "YES",
        "AWS_VIRTUAL_HOSTING": "TRUE",
        "AWS_REGION": "us-east-1",
        "AWS_NO_SIGN_REQUEST": "YES",
    }
    assert set(options) | set(anonymous) <= set(s3.GDAL_S3_OPTIONS)
