"""v2 bucket artefacts, as Sentinel Hub writes them next to the outputs (reference §1.7).

- `request-<requestId>.json`: the request as created (without S3 keys), at creation;
- `featureManifest-<requestId>.gpkg`: after analysis, one table `feature_<epsg>` per CRS with a row per
  feature and output (`fid, outputId, identifier, path, width, height, geometry`);
- `execution-<requestId>.sqlite`: while processing (every `interval` seconds) and at the end, the table
  `features(id, name, status, error, delivered)` with PENDING, DONE or FATAL.

All three land in the fixed folder of the output url (the part before the first placeholder).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

from osgeo import ogr, osr

from ..core.batch_models import BatchRequestSpec
from ..core.output_paths import TilePathTemplate, artefact_folder, execution_url, request_json_url
from ..core.tile_status import FeatureStatus, TileStatus
from .credentials import delivery_credentials
from .outage import Outage
from .output.delivery import Delivery, DeliveryError, delivery_for
from .store import JobStore, RequestRecord, TileRecord

ogr.UseExceptions()
log = logging.getLogger(__name__)
FEATURE_STATUS = {
    TileStatus.PROCESSED: FeatureStatus.DONE,
    TileStatus.FAILED: FeatureStatus.FATAL,
}  # else PENDING


def write_request_json(path: Path, request: dict) -> None:
    path.write_text(json.dumps(request, indent=2))


def write_feature_manifest(
    path: Path,
    request_id: str,
    request: BatchRequestSpec,
    tiles: list[TileRecord],
    tile_size: Callable[[TileRecord], tuple],
) -> None:
    """One table per CRS; a row per feature and output, with the raster footprint in the feature's CRS."""
    responses = request.process_request.responses
    template = TilePathTemplate.parse(request.output.path, [r.identifier for r in responses])
    driver = ogr.GetDriverByName("GPKG")
    source = driver.CreateDataSource(str(path))
    source.StartTransaction()  # one transaction for all tables (GeoPackage allows one at a time)
    layers = {}
    for tile in tiles:
        layer = layers.get(tile.epsg)
        if layer is None:
            srs = osr.SpatialReference()
            srs.ImportFromEPSG(tile.epsg)
            layer = source.CreateLayer(f"feature_{tile.epsg}", srs, ogr.wkbPolygon, ["FID=fid"])
            for name, kind in (
                ("outputId", ogr.OFTString),
                ("identifier", ogr.OFTString),
                ("path", ogr.OFTString),
                ("width", ogr.OFTInteger),
                ("height", ogr.OFTInteger),
            ):
                layer.CreateField(ogr.FieldDefn(name, kind))
            layers[tile.epsg] = layer
        (x0, y0, x1, y1), (width, height) = tile_size(tile)
        ring = ogr.CreateGeometryFromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
        for response in responses:
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetField("outputId", response.identifier)
            feature.SetField("identifier", tile.name)
            feature.SetField(
                "path", template.url(request_id, tile.name, tile.id, response.identifier, response.extension)
            )
            feature.SetField("width", width)
            feature.SetField("height", height)
            feature.SetGeometry(ring)
            layer.CreateFeature(feature)
    source.CommitTransaction()
    source = None


def write_execution_db(path: Path, tiles: list[TileRecord]) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute(
            "CREATE TABLE features (id INTEGER PRIMARY KEY, name TEXT, status TEXT, error TEXT, delivered BOOLEAN)"
        )
        connection.executemany(
            "INSERT INTO features VALUES (?, ?, ?, ?, ?)",
            (
                (
                    t.id,
                    t.name,
                    FEATURE_STATUS.get(t.status, FeatureStatus.PENDING).value,
                    t.error,
                    t.status == TileStatus.PROCESSED,
                )
                for t in tiles
            ),
        )
        connection.commit()
    finally:
        connection.close()


class ArtefactPublisher:
    """Writes a v2 request's artefacts to its bucket: the request at creation, the execution database
    while it processes (off the scheduler thread, at most every `interval_s` and only when something
    changed) and at the end. A failed upload is logged and tried again later; it never fails a job. While
    the storage is unreachable, uploads back off (engine/outage.py); the final one, the record of how the
    request ended, is tried again until it is uploaded (or the engine stops)."""

    def __init__(
        self,
        store: JobStore,
        output_root: Path,
        s3_endpoint_url: Optional[str],
        interval_s: float,
        outage_window_s: float = 900.0,
    ):
        self.store = store
        self.output_root = output_root
        self.s3_endpoint_url = s3_endpoint_url
        self.interval_s = interval_s
        self.outage_window_s = outage_window_s
        self.uploads = 0
        self._last: dict[str, tuple[float, tuple]] = {}  # request id -> (when, tile counts uploaded)
        self._busy: set[str] = set()
        self._outages: dict[str, Outage] = {}  # request id -> its storage, unreachable at the last upload
        self._retries: set[threading.Timer] = set()  # final uploads waiting for the storage
        self._closed = False
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tilewise-artefacts")

    def _delivery(self, record: RequestRecord, request: BatchRequestSpec) -> Delivery:
        root = artefact_folder(request.output.path)
        return delivery_for(
            root, self.output_root, self.s3_endpoint_url, delivery_credentials(record, request)
        )

    def publish_request(self, record: RequestRecord) -> None:
        """At creation; raises DeliveryError when the bucket cannot be written."""
        request = record.batch_request()
        url = request_json_url(request.output.path, record.id)
        put_artefact(
            self._delivery(record, request), url, lambda path: write_request_json(path, record.payload)
        )

    def report(self, record: RequestRecord, final: bool) -> None:
        # called on every scheduler tick: the interval is checked before the store is asked anything
        with self._lock:
            when, uploaded = self._last.get(record.id, (0.0, ()))
            outage = self._outages.get(record.id)
            waiting = outage is not None and not outage.due(time.monotonic())
            if not final and (
                record.id in self._busy or waiting or time.monotonic() - when < self.interval_s
            ):
                return
        counts = tuple(sorted((s.value, n) for s, n in self.store.tile_counts(record.id).items()))
        with self._lock:
            if not final and (record.id in self._busy or counts == uploaded):
                self._last[record.id] = (time.monotonic(), uploaded)  # nothing new: look again in an interval
                return
            self._busy.add(record.id)
            self._last[record.id] = (time.monotonic(), counts)
        self._pool.submit(self._upload, record, final)

    def _upload(self, record: RequestRecord, final: bool = False) -> None:
        retrying = False
        try:
            tiles = self.store.tiles(record.id)
            request = record.batch_request()
            url = execution_url(request.output.path, record.id)
            put_artefact(self._delivery(record, request), url, lambda path: write_execution_db(path, tiles))
            self.uploads += 1
            with self._lock:
                self._outages.pop(record.id, None)
        except DeliveryError as exc:
            with self._lock:
                self._last.pop(record.id, None)  # try again at the next tick (or after the pause)
            retrying = self._failed(record, final, exc)
        except Exception:
            log.exception("Execution database of %s", record.id)
        finally:
            with self._lock:
                self._busy.discard(record.id)
            if final and not retrying:  # uploaded or given up: the keys were kept for this upload only
                self._forget_secrets(record.id)

    def _forget_secrets(self, request_id: str) -> None:
        try:
            self.store.forget_secrets(request_id)
        except Exception:  # the next engine start drops them (JobStore drops the keys of ended requests)
            log.exception("Could not drop the S3 keys of %s from the job store", request_id)

    def _failed(self, record: RequestRecord, final: bool, exc: DeliveryError) -> bool:
        """Back off while the storage is unreachable; a final upload is tried again until it lands (True: a
        retry is scheduled, so the request's keys are still needed)."""
        now = time.monotonic()
        outage = self._note_outage(record.id, now) if exc.transient else None
        if not final:
            log.warning(
                "Could not upload the execution database of %s (tried again later): %s", record.id, exc
            )
        elif outage is not None and self.outage_window_s > 0:  # a window of 0: no waiting, as for tiles
            log.warning(
                "Could not upload the final execution database of %s, the storage being unreachable for "
                "%.0f s; trying again in %.0f s: %s",
                record.id,
                now - outage.since,
                outage.delay,
                exc,
            )
            self._retry_final(record, outage.retry_at - now)
            return True
        else:
            log.error("The final execution database of %s could not be uploaded: %s", record.id, exc)
        return False

    def _note_outage(self, request_id: str, now: float) -> Outage:
        with self._lock:
            outage = self._outages.get(request_id)
            if outage is None:
                outage = self._outages[request_id] = Outage.begin(self.outage_window_s, now)
            else:
                outage.failed_again(now)
            return outage

    def _retry_final(self, record: RequestRecord, delay_s: float) -> None:
        def submit() -> None:
            with self._lock:
                self._retries.discard(timer)
                if not self._closed:
                    self._busy.add(record.id)  # no periodic upload of it meanwhile
                    self._pool.submit(self._upload, record, True)

        timer = threading.Timer(delay_s, submit)
        timer.daemon = True
        with self._lock:
            if self._closed:
                return
            self._retries.add(timer)
        timer.start()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            retries, self._retries = self._retries, set()
        for timer in retries:
            timer.cancel()
        self._pool.shutdown(wait=True)


def put_artefact(delivery: Delivery, url: str, write: Callable[[Path], None]) -> None:
    """Write an artefact to scratch, then deliver it whole."""
    name = url.rsplit("/", 1)[-1]
    with tempfile.TemporaryDirectory(prefix="tilewise-artefact-") as scratch:
        path = Path(scratch) / name
        write(path)
        delivery.put_file(path, url)
