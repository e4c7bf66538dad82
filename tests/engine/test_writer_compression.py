"""Output GeoTIFF compression: every setting writes lossless files GDAL reads back identical and labelled with
their codec, plain and COG; TILEWISE_GTIFF_COMPRESSION / TILEWISE_GTIFF_LEVEL are checked at startup."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal
from testkit import NDVI_WITH_MASK, TEST_BBOX, process_request_json

from tilewise.engine.config import ConfigError, Settings
from tilewise.engine.output.writer import (
    CogParameters,
    CompressionError,
    GeoTiffCompression,
    RasterPlacement,
    TiffMetadata,
    gdal_writes,
    write_geotiff,
)

gdal.UseExceptions()
PLACEMENT = RasterPlacement(32611, 300_000.0, 4_000_000.0, 10.0)
SETTINGS = [
    GeoTiffCompression("DEFLATE", 1),
    GeoTiffCompression("DEFLATE", 6, predictor=False),
    GeoTiffCompression("DEFLATE", 9),
    GeoTiffCompression("DEFLATE", None),
    GeoTiffCompression("LZW", None),
    GeoTiffCompression("NONE", None),
    GeoTiffCompression("DEFLATE", 1, threads="1"),
]
if gdal_writes("ZSTD"):
    SETTINGS += [GeoTiffCompression("ZSTD", 1), GeoTiffCompression("ZSTD", 9, predictor=False)]


def field_like(sample_type: str, bands: int = 3, size: int = 300) -> np.ndarray:
    """Smooth values with noise (as outputs are), in the sample type's range; NaN holes for FLOAT32."""
    rng = np.random.default_rng(25)
    y, x = np.mgrid[0:size, 0:size] / size
    values = np.stack([np.sin(6 * x + b) * np.cos(4 * y) for b in range(bands)]) + rng.normal(
        0, 0.05, (bands, size, size)
    )
    if sample_type == "FLOAT32":
        values[:, :20, :20] = np.nan
        return values.astype(np.float32)
    if sample_type == "UINT8":
        return np.clip(values * 100 + 128, 0, 255).astype(np.uint8)
    return np.clip(values * 10000 + 10000, 0, 65535).astype(np.uint16)


def structure(path) -> dict[str, str]:
    return gdal.Open(str(path)).GetMetadata("IMAGE_STRUCTURE")


@pytest.mark.parametrize(
    "compression", SETTINGS, ids=lambda c: f"{c.codec}-{c.level}-{c.predictor}-{c.threads}"
)
@pytest.mark.parametrize("sample_type", ["UINT16", "UINT8", "FLOAT32"])
def test_each_setting_writes_a_file_gdal_reads_back_identical_and_labelled_with_its_codec(
    tmp_path, compression, sample_type
):
    data = field_like(sample_type)
    path = tmp_path / "out.tif"
    write_geotiff(path, data, sample_type, None, PLACEMENT, TiffMetadata(), None, compression)
    np.testing.assert_array_equal(gdal.Open(str(path)).ReadAsArray(), data)
    items = structure(path)
    assert items.get("COMPRESSION", "NONE") == compression.codec
    expected_predictor = None
    if compression.predictor and compression.codec != "NONE":
        expected_predictor = "3" if sample_type == "FLOAT32" else "2"
    assert items.get("PREDICTOR") == expected_predictor


def test_the_level_reaches_gdal(tmp_path):
    rng = np.random.default_rng(1)  # fields of one value each, with a little noise: levels differ in size
    parcels = rng.integers(5000, 15000, (3, 10, 10)).repeat(30, 1).repeat(30, 2)
    data = (parcels + rng.integers(0, 4, parcels.shape)).astype(np.uint16)
    sizes = {}
    for level in (1, 9):
        path = tmp_path / f"level-{level}.tif"
        write_geotiff(
            path, data, "UINT16", None, PLACEMENT, TiffMetadata(), None, GeoTiffCompression("DEFLATE", level)
        )
        sizes[level] = path.stat().st_size
    assert sizes[9] < sizes[1]


@pytest.mark.parametrize("use_predictor", [True, False])
def test_cog_outputs_use_the_setting_and_cog_parameters_decide_the_predictor(tmp_path, use_predictor):
    data = field_like("FLOAT32", bands=1, size=600)
    compression = GeoTiffCompression("LZW", None, predictor=not use_predictor)
    cog = CogParameters.parse({"blockxsize": 256, "blockysize": 256, "usePredictor": use_predictor})
    path = tmp_path / "cog.tif"
    write_geotiff(path, data, "FLOAT32", None, PLACEMENT, TiffMetadata(), cog, compression)
    dataset = gdal.Open(str(path))
    np.testing.assert_array_equal(dataset.ReadAsArray(), data[0])
    assert dataset.GetRasterBand(1).GetOverviewCount() >= 1
    assert structure(path)["COMPRESSION"] == "LZW"
    assert structure(path).get("PREDICTOR") == ("3" if use_predictor else None)


def test_the_engine_default_is_deflate_level_1_with_a_predictor():
    assert Settings.from_env({}).gtiff_compression == GeoTiffCompression("DEFLATE", 1, predictor=True)


def test_settings_come_from_the_environment():
    settings = Settings.from_env({"TILEWISE_GTIFF_COMPRESSION": "lzw"})
    assert settings.gtiff_compression == GeoTiffCompression("LZW", None)
    settings = Settings.from_env({"TILEWISE_GTIFF_COMPRESSION": "DEFLATE", "TILEWISE_GTIFF_LEVEL": "6"})
    assert settings.gtiff_compression == GeoTiffCompression("DEFLATE", 6)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TILEWISE_GTIFF_COMPRESSION": "JPEG"}, "'JPEG' is not one of DEFLATE, ZSTD, LZW, NONE"),
        ({"TILEWISE_GTIFF_LEVEL": "12"}, "level 12 is outside 1–9 for DEFLATE"),
        ({"TILEWISE_GTIFF_LEVEL": "0"}, "level 0 is outside 1–9 for DEFLATE"),
        ({"TILEWISE_GTIFF_LEVEL": "fast"}, "TILEWISE_GTIFF_LEVEL='fast' is not a whole number"),
        ({"TILEWISE_GTIFF_COMPRESSION": "LZW", "TILEWISE_GTIFF_LEVEL": "3"}, "LZW takes no level"),
        ({"TILEWISE_GTIFF_COMPRESSION": "ZSTD", "TILEWISE_GTIFF_LEVEL": "23"}, "outside 1–22 for ZSTD"),
    ],
)
def test_a_bad_setting_stops_the_engine_with_the_allowed_values(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_a_codec_this_gdal_lacks_is_refused(monkeypatch):
    monkeypatch.setattr("tilewise.engine.output.writer.gdal_writes", lambda codec: codec != "ZSTD")
    with pytest.raises(CompressionError, match="cannot write ZSTD"):
        GeoTiffCompression("ZSTD", 1)


def test_an_engine_started_with_a_setting_delivers_files_compressed_with_it(engine_factory, small_catalog):
    engine = engine_factory(small_catalog, TILEWISE_GTIFF_COMPRESSION="LZW")
    body = {
        "processRequest": process_request_json(NDVI_WITH_MASK, TEST_BBOX, ("ndvi", "mask")),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"file://{engine.output_root}/<tileName>/<outputId>.<format>"},
    }
    created = engine.call("POST", "/api/v1/batch/process", json=body)
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/start").status_code == 204
    assert engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    files = sorted(engine.output_root.rglob("*.tif"))
    assert len(files) == 4  # two tiles, two outputs
    for path in files:
        assert structure(path)["COMPRESSION"] == "LZW"
