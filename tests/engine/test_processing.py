"""Jobs on a live engine: tiles processed on the synthetic catalog and delivered to S3 or a folder.

Checks values against the source COGs read directly with GDAL (no warping), and
the behaviours around failures: cancel, PARTIAL and restart, reprocessing one
tile, existing outputs, and stopping or killing the engine mid-job.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import psutil
from osgeo import gdal
from testkit import (
    BYOC_BBOX,
    BYOC_BOUNDS,
    NDVI_WITH_MASK,
    SLOW_SCRIPT,
    TEST_BBOX,
    WIDE_BBOX,
    process_request_json,
    write_byoc_folder,
)

gdal.UseExceptions()


def request_body(
    path: str, evalscript: str, bbox=TEST_BBOX, resolution=20, buffer=0, responses=("default",), **output
):
    return {
        "processRequest": process_request_json(evalscript, bbox, responses),
        "tilingGrid": {"id": 1, "resolution": resolution, "bufferX": buffer, "bufferY": buffer},
        "output": {"defaultTilePath": path, **output},
    }


def create(engine, body) -> str:
    response = engine.call("POST", "/api/v1/batch/process", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def act(engine, request_id: str, action: str) -> None:
    response = engine.call("POST", f"/api/v1/batch/process/{request_id}/{action}")
    assert response.status_code == 204, response.text


def tiles(engine, request_id: str) -> list[dict]:
    return engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles").json()["data"]


def wait_tiles(engine, request_id: str, condition, timeout: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        listed = tiles(engine, request_id)
        if condition(listed):
            return listed
        assert time.monotonic() < deadline, [t["status"] for t in listed]
        time.sleep(0.1)


# --- values -----------------------------------------------------------------------------------------------


def expected_reflectance(catalog: Path, band: str, bounds, resolution: float, dates: list[str]):
    """Most-recent-first mosaic of a band read straight from the source COGs (the tile grid is aligned on them)."""
    x0, y0, x1, y1 = bounds
    width, height = round((x1 - x0) / resolution), round((y1 - y0) / resolution)
    out = np.full((height, width), np.nan, np.float64)
    for date in dates:  # most recent first
        path = next((catalog / "sentinel-2-l2a").glob(f"*_{date}_0_L2A")) / f"{band}.tif"
        source = gdal.Open(str(path))
        sx0, sy1 = source.GetGeoTransform()[0], source.GetGeoTransform()[3]
        col, row = round((x0 - sx0) / resolution), round((sy1 - y1) / resolution)
        # the part of the window inside the source; outside is no data (0)
        c0, r0 = max(col, 0), max(row, 0)
        c1, r1 = min(col + width, source.RasterXSize), min(row + height, source.RasterYSize)
        dn = np.zeros((height, width), np.float64)
        dn[r0 - row : r1 - row, c0 - col : c1 - col] = source.ReadAsArray(c0, r0, c1 - c0, r1 - r0)
        take = np.isnan(out) & (dn != 0)
        out[take] = np.maximum((dn[take] - 1000) / 10000, 0)
    return out


def test_job_delivers_tiles_to_s3_with_values_from_the_source(engine_factory, small_catalog, s3_server):
    engine = engine_factory(small_catalog, workers=2)
    bucket = s3_server.new_bucket()
    body = request_body(
        f"s3://{bucket}/jobs", NDVI_WITH_MASK, resolution=10, buffer=8, responses=("ndvi", "mask")
    )
    request_id = create(engine, body)
    act(engine, request_id, "start")  # from CREATED: analysis first, then processing
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})
    assert done["status"] == "DONE", done.get("error")
    assert done["tileCount"] == 2 and done["tileWidthPx"] == 1000
    listed = tiles(engine, request_id)
    assert {t["status"] for t in listed} == {"PROCESSED"} and all(t["cost"] > 0 for t in listed)

    for option, value in s3_server.gdal_options().items():
        gdal.SetConfigOption(option, value)
    try:
        for tile in listed:
            x0, y0, x1, y1 = (
                c for c in (*tile["geometry"]["coordinates"][0][0], *tile["geometry"]["coordinates"][0][2])
            )
            ndvi = gdal.Open(f"/vsis3/{bucket}/jobs/{request_id}/{tile['name']}/ndvi.tif")
            mask = gdal.Open(f"/vsis3/{bucket}/jobs/{request_id}/{tile['name']}/mask.tif")
            assert ndvi.GetSpatialRef().GetAuthorityCode(None) == "32611"
            assert (ndvi.RasterXSize, ndvi.RasterYSize, ndvi.RasterCount) == (1016, 1016, 1)
            assert ndvi.GetGeoTransform() == (x0 - 80, 10.0, 0.0, y1 + 80, 0.0, -10.0)
            assert ndvi.GetRasterBand(1).DataType == gdal.GDT_Float32
            assert mask.GetRasterBand(1).DataType == gdal.GDT_Byte
            assert ndvi.GetMetadataItem("TILEWISE_SYNTHETIC") == "true"
            buffered = (x0 - 80, y0 - 80, x1 + 80, y1 + 80)
            red = expected_reflectance(
                small_catalog, "B04", buffered, 10, ["20230716", "20230711", "20230701"]
            )
            nir = expected_reflectance(
                small_catalog, "B08", buffered, 10, ["20230716", "20230711", "20230701"]
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                expected = (nir - red) / (nir + red)
            got = ndvi.ReadAsArray()
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, equal_nan=True)
            np.testing.assert_array_equal(mask.ReadAsArray(), (~np.isnan(red)).astype(np.uint8))
    finally:
        for option in s3_server.gdal_options():
            gdal.SetConfigOption(option, None)


def test_folder_delivery_writes_cogs_under_the_output_root(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    path = f"file://{engine.output_root}/cogs/<tileName>/<outputId>.<format>"
    body = request_body(
        path,
        NDVI_WITH_MASK,
        responses=("ndvi", "mask"),
        cogOutput=True,
        cogParameters={"blockxsize": 256, "blockysize": 256, "overviewLevels": [2, 4]},
    )
    request_id = create(engine, body)
    act(engine, request_id, "start")
    assert engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    files = sorted(
        p.relative_to(engine.output_root).as_posix() for p in engine.output_root.rglob("*") if p.is_file()
    )
    assert files == [
        "cogs/11SKV_9_0/mask.tif",
        "cogs/11SKV_9_0/ndvi.tif",
        "cogs/11SLV_0_0/mask.tif",
        "cogs/11SLV_0_0/ndvi.tif",
    ]
    cog = gdal.Open(str(engine.output_root / "cogs/11SKV_9_0/ndvi.tif"))
    assert cog.GetRasterBand(1).GetBlockSize() == [256, 256]
    assert cog.GetRasterBand(1).GetOverviewCount() == 2


def test_existing_outputs_fail_the_tiles_unless_overwrite_or_skip_existing(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    path = f"file://{engine.output_root}/fixed/<tileName>/<outputId>.<format>"
    first = create(engine, request_body(path, NDVI_WITH_MASK, responses=("ndvi", "mask")))
    act(engine, first, "start")
    assert engine.wait_for(first, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    before = (engine.output_root / "fixed/11SKV_9_0/ndvi.tif").stat().st_mtime_ns

    again = create(engine, request_body(path, NDVI_WITH_MASK, responses=("ndvi", "mask")))
    act(engine, again, "start")
    failed = engine.wait_for(again, {"DONE", "PARTIAL", "FAILED"})
    assert (
        failed["status"] == "FAILED" and "already exist" in failed["error"] and "overwrite" in failed["error"]
    )
    assert all("already exist" in t["failureReason"] for t in tiles(engine, again))

    skipping = create(
        engine, request_body(path, NDVI_WITH_MASK, responses=("ndvi", "mask"), skipExisting=True)
    )
    act(engine, skipping, "start")
    assert engine.wait_for(skipping, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    assert (engine.output_root / "fixed/11SKV_9_0/ndvi.tif").stat().st_mtime_ns == before

    replacing = create(engine, request_body(path, NDVI_WITH_MASK, responses=("ndvi", "mask"), overwrite=True))
    act(engine, replacing, "start")
    assert engine.wait_for(replacing, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    assert (engine.output_root / "fixed/11SKV_9_0/ndvi.tif").stat().st_mtime_ns != before


# --- failures and restarts --------------------------------------------------------------------------------


def blocked_tile_body(engine, folder: str):
    """A job whose tile 11SLV_0_0 cannot be delivered: a folder sits where its output file must go."""
    blocker = engine.output_root / folder / "11SLV_0_0" / "default.tif"
    blocker.mkdir(parents=True)
    path = f"file://{engine.output_root}/{folder}/<tileName>/<outputId>.<format>"
    return request_body(path, SLOW_SCRIPT.replace("1500", "1")), blocker


def test_partial_job_keeps_reasons_and_restartpartial_finishes_it(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    body, blocker = blocked_tile_body(engine, "partial")
    request_id = create(engine, body)
    act(engine, request_id, "start")
    partial = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})
    assert partial["status"] == "PARTIAL"
    assert partial["error"].startswith("1 of 2 tiles failed") and "Cannot write" in partial["error"]
    by_name = {t["name"]: t for t in tiles(engine, request_id)}
    assert by_name["11SKV_9_0"]["status"] == "PROCESSED"
    failed = by_name["11SLV_0_0"]
    assert failed["status"] == "FAILED" and failed["attempts"] == 3  # tried, then retried twice
    assert "Cannot write" in failed["failureReason"]
    assert (
        engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles", params={"status": "FAILED"}).json()[
            "data"
        ][0]["id"]
        == failed["id"]
    )

    blocker.rmdir()
    act(engine, request_id, "restartpartial")
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})
    assert done["status"] == "DONE" and not done.get("error")
    assert (engine.output_root / "partial/11SLV_0_0/default.tif").is_file()


def test_one_failed_tile_is_reprocessed_with_the_deprecated_tile_restart(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    body, blocker = blocked_tile_body(engine, "single")
    request_id = create(engine, body)
    act(engine, request_id, "start")
    assert engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})["status"] == "PARTIAL"
    failed = next(t for t in tiles(engine, request_id) if t["status"] == "FAILED")
    blocker.rmdir()
    response = engine.call("POST", f"/api/v1/batch/process/{request_id}/tiles/{failed['id']}/restart")
    assert response.status_code == 204, response.text
    assert engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    tile = engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles/{failed['id']}").json()
    assert tile["status"] == "PROCESSED" and "failureReason" not in tile


def test_cancel_stops_scheduling_and_keeps_finished_outputs(engine_factory, small_catalog):
    engine = engine_factory(small_catalog, workers=1)
    path = f"file://{engine.output_root}/cancel/<tileName>/<outputId>.<format>"
    request_id = create(engine, request_body(path, SLOW_SCRIPT, bbox=WIDE_BBOX))
    act(engine, request_id, "start")
    wait_tiles(engine, request_id, lambda ts: sum(t["status"] == "PROCESSED" for t in ts) >= 1)
    act(engine, request_id, "cancel")
    canceled = engine.wait_for(request_id, {"CANCELED"})
    # a tile that was running finishes, however loaded the machine is; then nothing new starts
    moving = ("SCHEDULED", "QUEUED", "PROCESSING")
    listed = wait_tiles(engine, request_id, lambda ts: not [t for t in ts if t["status"] in moving])
    time.sleep(2)
    assert [t["status"] for t in tiles(engine, request_id)] == [t["status"] for t in listed]
    processed = [t for t in listed if t["status"] == "PROCESSED"]
    assert 1 <= len(processed) < canceled["tileCount"]
    delivered = {p.parent.name for p in (engine.output_root / "cancel").rglob("default.tif")}
    assert delivered == {t["name"] for t in processed}
    assert_error = engine.call("POST", f"/api/v1/batch/process/{request_id}/start")
    assert assert_error.status_code == 409


def test_killing_the_engine_mid_job_loses_and_duplicates_nothing(engine_factory, small_catalog):
    engine = engine_factory(small_catalog, workers=1)
    path = f"file://{engine.output_root}/kill/<tileName>/<outputId>.<format>"
    request_id = create(engine, request_body(path, SLOW_SCRIPT, bbox=WIDE_BBOX))
    act(engine, request_id, "start")
    wait_tiles(engine, request_id, lambda ts: sum(t["status"] == "PROCESSED" for t in ts) >= 2)
    engine.stop(kill=True)  # SIGKILL to the engine and its workers, mid-tile
    before = {t.name for t in (engine.output_root / "kill").iterdir()}

    engine.start()
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=300)
    assert done["status"] == "DONE", done.get("error")
    listed = tiles(engine, request_id)
    assert len(listed) == done["tileCount"] and {t["status"] for t in listed} == {"PROCESSED"}
    files = [p for p in (engine.output_root / "kill").rglob("*") if p.is_file()]
    assert sorted(p.parent.name for p in files) == sorted(t["name"] for t in listed)  # one output per tile
    assert all(p.name == "default.tif" for p in files)  # no partial files left behind
    assert before <= {p.parent.name for p in files}
    for path in files:
        assert gdal.Open(str(path)).ReadAsArray().shape == (500, 500)


def test_stopping_the_engine_mid_tile_ends_its_workers_and_a_restart_finishes_the_job(
    engine_factory, small_catalog
):
    engine = engine_factory(small_catalog, workers=2)
    path = f"file://{engine.output_root}/stopped/<tileName>/<outputId>.<format>"
    request_id = create(engine, request_body(path, SLOW_SCRIPT, bbox=WIDE_BBOX))
    act(engine, request_id, "start")
    wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSING" for t in ts))
    children = psutil.Process(engine.proc.pid).children(recursive=True)
    assert any("spawn_main" in " ".join(p.cmdline()) for p in children)
    engine.stop()  # SIGTERM, as systemd or Ctrl-C would: uvicorn shuts down, then re-raises it
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, [" ".join(p.cmdline())[:80] for p in alive]  # no orphaned workers

    engine.start()
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=300)
    assert done["status"] == "DONE", done.get("error")
    files = [p for p in (engine.output_root / "stopped").rglob("*") if p.is_file()]
    assert sorted(p.parent.name for p in files) == sorted(t["name"] for t in tiles(engine, request_id))


def test_a_worker_killed_mid_tile_is_replaced_and_the_retry_replaces_what_it_left(
    engine_factory, small_catalog
):
    engine = engine_factory(small_catalog, workers=1)
    path = f"file://{engine.output_root}/died/<tileName>/<outputId>.<format>"
    request_id = create(engine, request_body(path, SLOW_SCRIPT, bbox=WIDE_BBOX))
    act(engine, request_id, "start")
    listed = wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSING" for t in ts))
    running = next(t for t in listed if t["status"] == "PROCESSING")
    (worker,) = [
        p for p in psutil.Process(engine.proc.pid).children() if "spawn_main" in " ".join(p.cmdline())
    ]
    # past the tile's check for existing outputs (its first step), well before its end: measured in the
    # worker's own CPU time, which a loaded machine does not stretch as it stretches a sleep
    started, deadline = sum(worker.cpu_times()[:2]), time.monotonic() + 60
    while sum(worker.cpu_times()[:2]) - started < 0.4:
        assert time.monotonic() < deadline, "the worker did not get on with the tile"
        time.sleep(0.02)
    # what a worker killed between two deliveries leaves behind: an output of its tile
    left = engine.output_root / "died" / running["name"] / "default.tif"
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_bytes(b"the first half of a tile's outputs")
    worker.kill()

    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=300)
    assert done["status"] == "DONE", [t.get("failureReason") for t in tiles(engine, request_id)]
    again = next(t for t in tiles(engine, request_id) if t["id"] == running["id"])
    assert again["status"] == "PROCESSED"
    assert gdal.Open(str(left)).ReadAsArray().shape == (500, 500)  # replaced by the retry, whole
    files = [p for p in (engine.output_root / "died").rglob("*") if p.is_file()]
    assert sorted(p.parent.name for p in files) == sorted(t["name"] for t in tiles(engine, request_id))


def test_analysis_of_an_unwritable_folder_fails_the_request(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    (engine.output_root / "taken").write_text("a file, not a folder")
    request_id = create(
        engine,
        request_body(f"file://{engine.output_root}/taken/sub", NDVI_WITH_MASK, responses=("ndvi", "mask")),
    )
    act(engine, request_id, "analyse")
    failed = engine.wait_for(request_id, {"FAILED", "ANALYSIS_DONE"})
    assert failed["status"] == "FAILED" and "cannot be written" in failed["error"]
    shutil.rmtree(engine.output_root, ignore_errors=True)
    assert json.dumps(failed).count("secret") == 0


def test_a_job_on_a_byoc_folder_delivers_its_custom_band(engine_factory, small_catalog, tmp_path):
    planes = write_byoc_folder(tmp_path / "fields")
    catalog = tmp_path / "byoc.json"
    catalog.write_text(
        json.dumps({"byoc-fields": {"kind": "folder", "href": str(tmp_path / "fields"), "bands": ["NDVI"]}})
    )
    engine = engine_factory(small_catalog, TILEWISE_CATALOG=str(catalog))
    script = """//VERSION=3
function setup() { return {input: [{bands: ["NDVI", "dataMask"], units: "DN"}],
                           output: {bands: 1, sampleType: "UINT16", nodataValue: 0}}; }
function evaluatePixel(s) { return [s.dataMask ? s.NDVI : 0]; }"""
    body = request_body(f"file://{engine.output_root}/byoc/<tileName>/<outputId>.<format>", script,
                        bbox=list(BYOC_BBOX), resolution=10)  # fmt: skip
    body["processRequest"]["input"]["data"][0]["type"] = "byoc-fields"
    request_id = create(engine, body)
    act(engine, request_id, "start")
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})
    assert done["status"] == "DONE", done.get("error")
    assert "11SKV_9_0" in {t["name"] for t in tiles(engine, request_id)}  # the one tile the scenes fall in
    delivered = str(engine.output_root / "byoc" / "11SKV_9_0" / "default.tif")
    window = gdal.Warp("", delivered, format="MEM", outputBounds=BYOC_BOUNDS, width=100, height=100)
    # SIMPLE, most recent first: the 11 July scene everywhere it has data
    np.testing.assert_array_equal(window.ReadAsArray(), planes["S2_20230711T184521"])


# --- compiled evaluation ----------------------------------------------------------------------------------

COUNTER_SCRIPT = """//VERSION=3
var n = 0;
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { n++; return [n + s.B04]; }"""


def test_the_status_counts_compiled_tiles_and_a_request_whose_check_failed_runs_per_pixel(
    engine_factory, small_catalog
):
    engine = engine_factory(
        small_catalog, TILEWISE_EVALSCRIPT_COMPILER="planes"
    )  # compiles scripts without Dates
    folder = f"file://{engine.output_root}"
    plain = create(
        engine,
        request_body(folder + "/ndvi/<tileName>/<outputId>.tif", NDVI_WITH_MASK, responses=("ndvi", "mask")),
    )
    act(engine, plain, "start")
    assert engine.wait_for(plain, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    status = engine.call("GET", "/api/v1/engine/status").json()["evalscript"]
    assert status == {
        "compiler": "planes",
        "compiledTiles": 2,
        "perPixelTiles": 0,
        "checkFailedTiles": 0,
        "perPixelRequests": [],
    }
    # each pixel depends on the ones before it: the 1,024-pixel check sees a difference, the tile is redone
    counter = create(engine, request_body(folder + "/counter/<tileName>/<outputId>.tif", COUNTER_SCRIPT))
    act(engine, counter, "start")
    assert engine.wait_for(counter, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    status = engine.call("GET", "/api/v1/engine/status").json()["evalscript"]
    assert status["compiledTiles"] == 2 and status["perPixelRequests"] == [counter]
    assert status["checkFailedTiles"] >= 1 and status["checkFailedTiles"] + status["perPixelTiles"] == 2
    firsts = []
    for tile in ("11SKV_9_0", "11SLV_0_0"):  # per-pixel order within each tile: n counts up by one
        counts = np.floor(gdal.Open(str(engine.output_root / "counter" / tile / "default.tif")).ReadAsArray())
        assert np.all(np.diff(counts.ravel()) == 1)
        firsts.append(counts.ravel()[0])
    assert 1 in firsts  # the redone tile ran in a fresh context, as a per-pixel runtime's first tile does


def test_the_compiler_is_switched_off_with_an_environment_variable(engine_factory, small_catalog):
    engine = engine_factory(small_catalog, TILEWISE_EVALSCRIPT_COMPILER="off")
    request_id = create(
        engine,
        request_body(
            f"file://{engine.output_root}/<tileName>/<outputId>.tif",
            NDVI_WITH_MASK,
            responses=("ndvi", "mask"),
        ),
    )
    act(engine, request_id, "start")
    assert engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    status = engine.call("GET", "/api/v1/engine/status").json()["evalscript"]
    assert status["compiler"] == "off" and status["perPixelTiles"] == 2 and status["compiledTiles"] == 0
