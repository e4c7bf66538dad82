"""Sentinel Hub band names ↔ STAC asset keys (Earth Search / stactools), and how each band is scaled."""

from __future__ import annotations

# Earth Search asset keys (engine-notes §2.1); CLM is Tilewise's key for a cloud-mask asset.
ASSET_KEYS = {
    "B01": "coastal",
    "B02": "blue",
    "B03": "green",
    "B04": "red",
    "B05": "rededge1",
    "B06": "rededge2",
    "B07": "rededge3",
    "B08": "nir",
    "B8A": "nir08",
    "B09": "nir09",
    "B10": "cirrus",
    "B11": "swir16",
    "B12": "swir22",
    "SCL": "scl",
    "AOT": "aot",
    "WVP": "wvp",
    "CLM": "clm",
}
OPTICAL = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
COLLECTION_BANDS = {
    "sentinel-2-l2a": tuple(b for b in OPTICAL if b != "B10") + ("SCL", "AOT", "WVP", "CLM", "dataMask"),
    "sentinel-2-l1c": OPTICAL + ("CLM", "dataMask"),
}
# SCL classes Sentinel Hub's CLM counts as cloud: medium and high probability, thin cirrus.
SCL_CLOUD = (8, 9, 10)
CLM_NO_DATA = 255
# Scale of bands that are not reflectances (DN → unit).
SPECIAL_SCALE = {"AOT": 0.001, "WVP": 0.001}
