"""core.storage against a real S3 server (moto, in its own process), through boto3 and through GDAL's /vsis3/."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from testkit import free_port, request_body

from tilewise.core.jobs import BatchJob
from tilewise.core.s3 import clear_gdal_options
from tilewise.core.storage import (
    BOTO3,
    GDAL,
    ObjectNotFound,
    S3Access,
    StorageError,
    apply_gdal_options,
    artefact_folder,
    default_backend,
    download,
    exists,
    gdal_path,
    job_outputs,
    list_objects,
    output_template,
    read_bytes,
)

gdal.UseExceptions()
BACKENDS = (BOTO3, GDAL)
GLOBAL_OPTIONS = ("GDAL_DISABLE_READDIR_ON_OPEN", "CPL_VSIL_CURL_ALLOWED_EXTENSIONS")


@pytest.fixture(autouse=True)
def fresh_gdal_state():
    """Each test starts without the global options apply_gdal_options sets (an engine test in the same process
    may have set them); they, per-bucket options and GDAL's caches are restored or cleared after it."""
    saved = {key: gdal.GetConfigOption(key) for key in GLOBAL_OPTIONS}
    for key in GLOBAL_OPTIONS:
        gdal.SetConfigOption(key, None)
    yield
    gdal.ClearPathSpecificOptions()
    for key, value in saved.items():
        gdal.SetConfigOption(key, value)
    gdal.VSICurlClearCache()


@pytest.fixture
def access(s3_server) -> S3Access:
    return S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)


@pytest.fixture(scope="module")
def many_objects(s3_server) -> str:
    """A bucket with 1,500 small objects under many/ (more than one S3 page) and a few elsewhere."""
    bucket = s3_server.new_bucket()
    client = s3_server.client()
    keys = [f"many/obj-{i:04d}.json" for i in range(1500)] + ["manyother/a.json", "few/b.json"]
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"{}" * (len(key) % 7)), keys)
        )
    return bucket


def geotiff_bytes(value: int, tmp_path: Path) -> bytes:
    path = tmp_path / f"tile-{value}.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 4, 3, 1, gdal.GDT_Byte)
    dataset.SetGeoTransform((300000, 10, 0, 4000000, 0, -10))
    dataset.GetRasterBand(1).WriteArray(np.full((3, 4), value, dtype=np.uint8))
    dataset = None
    return path.read_bytes()


def job_v2(job_id: str, url: str, outputs=("default",)) -> BatchJob:
    return BatchJob.from_v2(
        {
            "id": job_id,
            "status": "DONE",
            "request": request_body(2, url, outputs),
        },
        "local",
    )


# --- paths and options -----------------------------------------------------------------------------------


def test_gdal_path_maps_each_kind_of_url():
    assert gdal_path("s3://bucket/jobs/a/b.tif") == "/vsis3/bucket/jobs/a/b.tif"
    assert gdal_path("file:///data/out/x%20y.tif") == "/data/out/x y.tif"
    assert gdal_path("https://example.com/a.tif") == "/vsicurl/https://example.com/a.tif"
    assert gdal_path("http://127.0.0.1:9000/a.tif") == "/vsicurl/http://127.0.0.1:9000/a.tif"
    assert gdal_path("/data/out/a.tif") == "/data/out/a.tif"
    assert gdal_path("/vsis3/bucket/a.tif") == "/vsis3/bucket/a.tif"


def test_per_bucket_gdal_options_open_a_geotiff_in_one_bucket_and_leave_the_others_alone(
    s3_server, access, tmp_path
):
    good, other = s3_server.new_bucket(), s3_server.new_bucket()
    for bucket, value in ((good, 42), (other, 7)):
        s3_server.client().put_object(Bucket=bucket, Key="t/tile.tif", Body=geotiff_bytes(value, tmp_path))
    apply_gdal_options(access, good)
    nowhere = S3Access(f"http://127.0.0.1:{free_port()}", "eu-west-1", "AKIAOTHERBUCKET", "other-secret")
    apply_gdal_options(nowhere, other)

    dataset = gdal.Open(gdal_path(f"s3://{good}/t/tile.tif"))
    assert dataset.GetRasterBand(1).ReadAsArray().tolist() == [[42] * 4] * 3
    assert dataset.GetGeoTransform()[0] == 300000
    with pytest.raises(RuntimeError):
        gdal.Open(gdal_path(f"s3://{other}/t/tile.tif"))  # its own (unreachable) endpoint, not good's
    assert gdal.GetConfigOption("AWS_S3_ENDPOINT") is None  # nothing global but the two below
    assert gdal.GetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN") == "EMPTY_DIR"
    assert gdal.GetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS") is None  # other remote layers unaffected

    apply_gdal_options(access, other)  # the right options for the other bucket: now it opens
    dataset = gdal.Open(gdal_path(f"s3://{other}/t/tile.tif"))  # kept: a band must not outlive its dataset
    assert dataset.GetRasterBand(1).ReadAsArray()[0, 0] == 7
    clear_gdal_options(good)
    assert gdal.GetPathSpecificOption(f"/vsis3/{good}", "AWS_S3_ENDPOINT") is None
    assert gdal.GetPathSpecificOption(f"/vsis3/{other}", "AWS_S3_ENDPOINT") == s3_server.host_port


def test_gdal_options_follow_the_endpoint_scheme_and_anonymous_access(s3_server):
    apply_gdal_options(S3Access("https://minio.example.com:9000", "eu-central-1", "AKIAX", "sekrit"), "a")
    apply_gdal_options(S3Access(anonymous=True), "b")
    option = gdal.GetPathSpecificOption
    assert (option("/vsis3/a", "AWS_S3_ENDPOINT"), option("/vsis3/a", "AWS_HTTPS")) == (
        "minio.example.com:9000",
        "YES",
    )
    assert option("/vsis3/a", "AWS_VIRTUAL_HOSTING") == "FALSE"
    assert option("/vsis3/a", "AWS_REGION") == "eu-central-1"
    assert option("/vsis3/a", "AWS_NO_SIGN_REQUEST") == "NO"
    assert option("/vsis3/b", "AWS_NO_SIGN_REQUEST") == "YES"
    assert option("/vsis3/b", "AWS_S3_ENDPOINT") == "s3.amazonaws.com"
    assert option("/vsis3/b", "AWS_ACCESS_KEY_ID") is None


def test_apply_gdal_options_keeps_extensions_the_user_already_allowed():
    gdal.SetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".vrt,.tif")
    apply_gdal_options(S3Access(anonymous=True), "a")
    allowed = gdal.GetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS").split(",")
    assert allowed[:2] == [".vrt", ".tif"] and {".gpkg", ".sqlite", ".json", ".tiff"} <= set(allowed)
    assert allowed.count(".tif") == 1


def test_the_repr_of_an_access_shows_no_key():
    access = S3Access("http://127.0.0.1:9000", "us-east-1", "AKIASHOWNOWHERE", "secret-shown-nowhere")
    assert "AKIASHOWNOWHERE" not in repr(access) and "secret-shown-nowhere" not in repr(access)
    assert "127.0.0.1:9000" in repr(access)


# --- listing, reading, downloading -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_listing_returns_every_page_of_a_large_prefix(many_objects, access, backend):
    listed = list_objects(access, f"s3://{many_objects}/many/", backend=backend)
    assert [o.url for o in listed] == [f"s3://{many_objects}/many/obj-{i:04d}.json" for i in range(1500)]
    assert {o.size for o in listed} == {2 * (len(f"many/obj-{i:04d}.json") % 7) for i in range(1500)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_prefix_need_not_be_a_folder(many_objects, access, backend):
    listed = list_objects(access, f"s3://{many_objects}/many/obj-00", backend=backend)
    assert len(listed) == 100
    assert [o.url for o in list_objects(access, f"s3://{many_objects}/many", backend=backend)][-1].endswith(
        "manyother/a.json"
    )


def test_smaller_pages_list_the_same_objects(many_objects, access):
    assert len(list_objects(access, f"s3://{many_objects}/many/", max_keys=170, backend=BOTO3)) == 1500


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_prefix_lists_nothing(s3_bucket, access, backend):
    assert list_objects(access, f"s3://{s3_bucket}/nothing/here/", backend=backend) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_download_and_exists(s3_server, s3_bucket, access, backend, tmp_path):
    body = bytes(range(256)) * 40_000  # 10 MB: several GDAL chunks
    s3_server.client().put_object(Bucket=s3_bucket, Key="jobs/data.tif", Body=body)
    url = f"s3://{s3_bucket}/jobs/data.tif"
    assert read_bytes(access, url, backend=backend) == body
    target = download(access, url, tmp_path / "sub" / "data.tif", backend=backend)
    assert target.read_bytes() == body and [p.name for p in target.parent.iterdir()] == ["data.tif"]
    assert exists(access, url, backend=backend)
    assert not exists(access, f"s3://{s3_bucket}/jobs/missing.tif", backend=backend)
    with pytest.raises(ObjectNotFound, match="missing.json"):
        read_bytes(access, f"s3://{s3_bucket}/jobs/missing.json", backend=backend)
    with pytest.raises(ObjectNotFound):
        download(access, f"s3://{s3_bucket}/jobs/missing.tif", tmp_path / "x.tif", backend=backend)
    assert not (tmp_path / "x.tif").exists() and not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_changed_object_is_read_again(s3_server, s3_bucket, access, backend):
    """The execution database changes under the same key: GDAL's cache must not serve the old one."""
    url = f"s3://{s3_bucket}/execution-x.sqlite"
    s3_server.client().put_object(Bucket=s3_bucket, Key="execution-x.sqlite", Body=b"first version")
    assert read_bytes(access, url, backend=backend) == b"first version"
    s3_server.client().put_object(Bucket=s3_bucket, Key="execution-x.sqlite", Body=b"second, longer version")
    assert read_bytes(access, url, backend=backend) == b"second, longer version"


@pytest.mark.parametrize("backend", BACKENDS)
def test_anonymous_access_reaches_an_open_server(s3_server, s3_bucket, backend):
    s3_server.client().put_bucket_acl(Bucket=s3_bucket, ACL="public-read")
    s3_server.client().put_object(Bucket=s3_bucket, Key="public/a.json", Body=b"[]", ACL="public-read")
    anonymous = S3Access(s3_server.endpoint_url, anonymous=True)
    assert read_bytes(anonymous, f"s3://{s3_bucket}/public/a.json", backend=backend) == b"[]"
    assert len(list_objects(anonymous, f"s3://{s3_bucket}/public/", backend=backend)) == 1


def test_local_folders_are_read_directly(tmp_path):
    (tmp_path / "out dir" / "job" / "T1").mkdir(parents=True)
    (tmp_path / "out dir" / "job" / "T1" / "default.tif").write_bytes(b"tif")
    (tmp_path / "out dir" / "jobber.json").write_bytes(b"{}")
    root = "file://" + (tmp_path / "out dir").as_posix()
    listed = list_objects(S3Access(), root + "/job/")
    assert [(o.url, o.size) for o in listed] == [(root.replace(" ", "%20") + "/job/T1/default.tif", 3)]
    assert len(list_objects(S3Access(), root + "/job")) == 2  # a name prefix, as on S3
    assert read_bytes(S3Access(), listed[0].url) == b"tif"
    assert exists(S3Access(), listed[0].url) and not exists(S3Access(), root + "/nope.tif")
    assert download(S3Access(), listed[0].url, tmp_path / "copy.tif").read_bytes() == b"tif"
    with pytest.raises(ObjectNotFound):
        read_bytes(S3Access(), root + "/nope.tif")
    assert list_objects(S3Access(), "file:///no/such/folder/") == []


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_refused_credentials_give_a_clear_error_without_the_secret(strict_s3_server, backend, tmp_path):
    refused = S3Access(strict_s3_server.endpoint_url, "us-east-1", "AKIAREFUSEDKEY01", "refused-secret-value")
    for call in (
        lambda: list_objects(refused, "s3://some-bucket/jobs/", backend=backend),
        lambda: read_bytes(refused, "s3://some-bucket/jobs/a.json", backend=backend),
        lambda: exists(refused, "s3://some-bucket/jobs/a.json", backend=backend),
        lambda: download(refused, "s3://some-bucket/jobs/a.tif", tmp_path / "a.tif", backend=backend),
    ):
        with pytest.raises(StorageError) as caught:
            call()
        message = str(caught.value)
        assert "s3://some-bucket/jobs/" in message and "InvalidAccessKeyId" in message
        assert "check the access key" in message
        assert "refused-secret-value" not in message and "AKIAREFUSEDKEY01" not in message
        assert not isinstance(caught.value, ObjectNotFound)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missing_bucket_is_named_with_the_fix(access, backend, tmp_path):
    for call in (
        lambda: list_objects(access, "s3://no-such-bucket-here/jobs/", backend=backend),
        lambda: read_bytes(access, "s3://no-such-bucket-here/jobs/a.json", backend=backend),
        lambda: download(access, "s3://no-such-bucket-here/jobs/a.tif", tmp_path / "a.tif", backend=backend),
        lambda: exists(access, "s3://no-such-bucket-here/jobs/a.json", backend=backend),
    ):
        with pytest.raises(StorageError) as caught:
            call()
        message = str(caught.value)
        assert "s3://no-such-bucket-here/jobs/" in message and "NoSuchBucket" in message
        assert "check the bucket name" in message and access.secret_key not in message
        assert not isinstance(caught.value, ObjectNotFound)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unreachable_endpoint_says_so(backend):
    nowhere = S3Access(f"http://127.0.0.1:{free_port()}", "us-east-1", "AKIANOWHERE0001", "nowhere-secret")
    with pytest.raises(StorageError, match="could not be reached.*check the endpoint URL") as caught:
        list_objects(nowhere, "s3://bucket/jobs/", backend=backend)
    assert "nowhere-secret" not in str(caught.value)


def test_gdal_says_which_files_it_may_not_read(s3_server, s3_bucket, access):
    gdal.SetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".tif")  # the user narrowed it
    s3_server.client().put_object(Bucket=s3_bucket, Key="notes.txt", Body=b"hello")
    with pytest.raises(StorageError, match=r"reads only .*CPL_VSIL_CURL_ALLOWED_EXTENSIONS.*boto3"):
        read_bytes(access, f"s3://{s3_bucket}/notes.txt", backend=GDAL)
    assert read_bytes(access, f"s3://{s3_bucket}/notes.txt", backend=BOTO3) == b"hello"


def test_without_boto3_gdal_does_the_work(monkeypatch, s3_server, s3_bucket, access, tmp_path):
    """A stock QGIS has no boto3: the same calls go through /vsis3/."""
    s3_server.client().put_object(Bucket=s3_bucket, Key="j/r/T1/default.tif", Body=b"tif")
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` now raises ImportError
    assert default_backend() == GDAL
    assert [o.url for o in list_objects(access, f"s3://{s3_bucket}/j/")] == [
        f"s3://{s3_bucket}/j/r/T1/default.tif"
    ]
    assert read_bytes(access, f"s3://{s3_bucket}/j/r/T1/default.tif") == b"tif"
    assert download(access, f"s3://{s3_bucket}/j/r/T1/default.tif", tmp_path / "a.tif").read_bytes() == b"tif"
    assert exists(access, f"s3://{s3_bucket}/j/r/T1/default.tif")
    # it set the bucket's GDAL options on the way: QGIS can open the outputs too
    assert gdal.GetPathSpecificOption(f"/vsis3/{s3_bucket}", "AWS_S3_ENDPOINT") == s3_server.host_port


# --- job outputs -----------------------------------------------------------------------------------------


def test_output_templates_and_the_artefact_folder():
    assert output_template("s3://b/jobs/") == "s3://b/jobs/<requestId>/<tileName>/<outputId>.<format>"
    assert output_template("s3://b") == "s3://b/<requestId>/<tileName>/<outputId>.<format>"
    assert artefact_folder("s3://b/jobs") == "s3://b/jobs"
    assert artefact_folder("s3://b") == "s3://b"
    assert artefact_folder("s3://b/out/run_<requestId>/<tileName>.<format>") == "s3://b/out"
    assert artefact_folder("s3://b/<tileName>/<outputId>.<format>") == "s3://b"
    assert artefact_folder("file:///data/out/<tileName>/<outputId>.<format>") == "file:///data/out"


def put_keys(s3_server, bucket: str, keys: list[str]) -> None:
    for key in keys:
        s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"x" * 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_job_outputs_in_the_default_layout_skip_other_jobs_and_artefacts(
    s3_server, s3_bucket, access, backend
):
    put_keys(
        s3_server,
        s3_bucket,
        [
            "jobs/r1/11SKV_9_0/ndvi.tif",
            "jobs/r1/11SKV_9_0/data_mask.tif",
            "jobs/r1/11SLV_0_0/ndvi.tif",
            "jobs/r1/11SLV_0_0/userdata.json",
            "jobs/r1/11SLV_0_0/notes.txt",
            "jobs/r10/11SKV_9_0/ndvi.tif",  # another job whose id starts the same
            "jobs/r2/11SKV_9_0/ndvi.tif",
            "jobs/request-r1.json",
            "jobs/featureManifest-r1.gpkg",
            "jobs/execution-r1.sqlite",
        ],
    )
    job = job_v2("r1", f"s3://{s3_bucket}/jobs", outputs=("ndvi", "data_mask", "userdata"))
    outputs = job_outputs(access, job, backend=backend)
    assert [(o.url.split("/jobs/")[1], o.size, o.tile_name, o.output_id) for o in outputs] == [
        ("r1/11SKV_9_0/data_mask.tif", 3, "11SKV_9_0", "data_mask"),
        ("r1/11SKV_9_0/ndvi.tif", 3, "11SKV_9_0", "ndvi"),
        ("r1/11SLV_0_0/ndvi.tif", 3, "11SLV_0_0", "ndvi"),
        ("r1/11SLV_0_0/userdata.json", 3, "11SLV_0_0", "userdata"),
    ]


def test_job_outputs_match_a_template(s3_server, s3_bucket, access):
    put_keys(
        s3_server,
        s3_bucket,
        [
            "out/11SKV_9_0_data_mask_r1.tif",  # output ids with underscores, after a tile name with some
            "out/11SKV_9_0_ndvi_r1.tif",
            "out/11SKV_9_0_ndvi_r2.tif",
            "out/request-r1.json",
            "out/readme.md",
        ],
    )
    job = job_v2(
        "r1", f"s3://{s3_bucket}/out/<tileName>_<outputId>_<requestId>.<format>", ("ndvi", "data_mask")
    )
    assert [(o.tile_name, o.output_id) for o in job_outputs(access, job)] == [
        ("11SKV_9_0", "data_mask"),
        ("11SKV_9_0", "ndvi"),
    ]


def test_job_outputs_with_the_request_id_first_list_only_under_it(s3_server, s3_bucket, access):
    put_keys(
        s3_server, s3_bucket, ["runs/r1/1234/default.tif", "runs/r1/x/default.tif", "runs/r2/9/default.tif"]
    )
    job = job_v2("r1", f"s3://{s3_bucket}/runs/<requestId>/<tileId>/<outputId>.<format>")
    outputs = job_outputs(access, job)
    assert [(o.tile_id, o.tile_name, o.output_id) for o in outputs] == [(1234, None, "default")]


def test_job_outputs_of_a_v1_job_with_only_a_bucket_name(s3_server, s3_bucket, access):
    put_keys(s3_server, s3_bucket, ["v1job/28PBB_2_6/default.tif", "other/28PBB_2_6/default.tif"])
    body = {**request_body(1, "unused"), "bucketName": s3_bucket}
    del body["output"]
    job = BatchJob.from_v1({"id": "v1job", **body}, "local")
    assert [o.url for o in job_outputs(access, job)] == [f"s3://{s3_bucket}/v1job/28PBB_2_6/default.tif"]


def test_job_outputs_in_a_local_folder(tmp_path):
    folder = tmp_path / "engine outputs"
    for relative in ("r1/T1/default.tif", "r1/T1/.default.tif.1a2b3c4d.partial", "request-r1.json"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(b"1234")
    job = job_v2("r1", "file://" + folder.as_posix())
    outputs = job_outputs(S3Access(), job)
    assert [(o.tile_name, o.output_id, o.size) for o in outputs] == [("T1", "default", 4)]
    assert gdal_path(outputs[0].url) == str(folder / "r1/T1/default.tif")


def test_a_job_without_an_output_url_has_no_outputs():
    assert job_outputs(S3Access(), BatchJob.from_v2({"id": "r", "request": {}}, "local")) == []
