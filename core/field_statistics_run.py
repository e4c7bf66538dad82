"""A field statistics run (Qt-free): what `FieldStatisticsTask` (core/field_statistics_task.py) runs in the
background and the Processing algorithm calls directly.

Up to SYNCHRONOUS_LIMIT polygons: one Statistical API request each. Above: a Batch Statistical job, its
GeoPackage of polygons put in the bucket (or the local engine's output root), started, watched until it
ends (progress = completionPercentage), each feature's `<output>/<requestId>/<fid>.json` read back. Either
way the results GeoPackage is written (core/field_statistics.py).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import field_statistics as fields
from .http import BadRequestError, Cancel, Cancelled, RateLimitError, ServerError, ServiceError
from .s3 import S3Access, StorageError, apply_gdal_options, gdal_path, is_local, local_path, split_s3_url
from .statistical_client import BatchStatisticalJob, StatisticalClient
from .statuses import RequestStatus
from .storage import ObjectNotFound, storage_for

log = logging.getLogger(__name__)

Progress = Callable[[float], None]  # percent
READ_THREADS = 8  # per-feature JSONs read at once
UPLOAD_CHUNK = 8 * 1024 * 1024
# Errors of one polygon's request that say nothing of the others: that polygon fails, the run goes on.
POLYGON_ERRORS = (BadRequestError, ServerError, RateLimitError)


@dataclass(frozen=True)
class StatisticsStorage:
    """Where a batch job's polygons and results go: `s3://bucket/prefix` (the job's bucket, read and written
    from here with `access`, whose keys come from QgsAuthManager) or `file:///folder` under the local engine's
    output root. `send_keys`: the request carries the keys, so the service may read and write the bucket."""

    url: str
    access: S3Access = field(default_factory=S3Access)
    send_keys: bool = True


@dataclass
class FieldStatisticsOutcome:
    rows: list[fields.StatisticsRow]
    failed_features: list[tuple[int, str]]
    results_path: Path
    job_id: Optional[str] = None


@dataclass(frozen=True)
class FieldStatisticsRequest:
    """What to compute and where its results go (`storage`: needed above SYNCHRONOUS_LIMIT polygons)."""

    polygons: tuple[fields.FieldPolygon, ...]
    crs_authid: str
    options: fields.FieldStatisticsOptions
    results_path: Path
    storage: Optional[StatisticsStorage] = None


def run_field_statistics(
    client: StatisticalClient,
    request: FieldStatisticsRequest,
    cancel: Cancel,
    progress: Progress = lambda percent: None,
    on_job: Callable[[BatchStatisticalJob], None] = lambda job: None,
    poll_s: float = 5.0,
) -> FieldStatisticsOutcome:
    """Check, compute (synchronously or as a batch job) and write the results GeoPackage."""
    polygons, crs_authid, options, storage = (
        request.polygons,
        request.crs_authid,
        request.options,
        request.storage,
    )
    fields.check_polygons(polygons, crs_authid)
    fields.check_options(options)
    job_id = None
    if len(polygons) <= fields.SYNCHRONOUS_LIMIT:
        rows = synchronous_rows(client, polygons, crs_authid, options, cancel, progress)
    else:
        if storage is None:
            raise fields.FieldStatisticsError(
                f"{len(polygons)} polygons are more than {fields.SYNCHRONOUS_LIMIT}: they run as a batch statistical "
                "job, which needs a bucket (s3://bucket/folder) for its polygons and results. Choose one, or "
                "select fewer fields."
            )
        rows, job_id = batch_rows(
            client, polygons, crs_authid, options, storage, cancel, progress, on_job, poll_s
        )
    fields.write_results_geopackage(request.results_path, polygons, crs_authid, rows)
    return FieldStatisticsOutcome(rows, fields.failed_features(rows), Path(request.results_path), job_id)


def synchronous_rows(
    client: StatisticalClient,
    polygons: Sequence[fields.FieldPolygon],
    crs_authid: str,
    options: fields.FieldStatisticsOptions,
    cancel: Cancel,
    progress: Progress,
) -> list[fields.StatisticsRow]:
    """One Statistical API request per polygon; a polygon the service refuses becomes a failure row, while
    refused credentials or an unreachable service end the run."""
    rows: list[fields.StatisticsRow] = []
    for done, polygon in enumerate(polygons):
        if cancel.is_set:
            raise Cancelled("Cancelled.")
        body = fields.statistical_request_body(polygon, crs_authid, options)
        try:
            response = client.statistics(body, cancel)
        except POLYGON_ERRORS as exc:
            rows.append(fields.failure_row(polygon.fid, polygon.identifier, str(exc)))
        else:
            rows.extend(fields.rows_from_response(polygon.fid, polygon.identifier, response))
        progress(100.0 * (done + 1) / len(polygons))
    return rows


def batch_rows(
    client: StatisticalClient,
    polygons: Sequence[fields.FieldPolygon],
    crs_authid: str,
    options: fields.FieldStatisticsOptions,
    storage: StatisticsStorage,
    cancel: Cancel,
    progress: Progress,
    on_job: Callable[[BatchStatisticalJob], None],
    poll_s: float,
) -> tuple[list[fields.StatisticsRow], str]:
    """A Batch Statistical job: the polygons uploaded, the job created, started and watched to its end, then
    each feature's JSON read. Cancelling stops the job."""
    run = f"{storage.url.rstrip('/')}/field-statistics/{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    features_url, output_url = f"{run}/fields.gpkg", f"{run}/results"
    with tempfile.TemporaryDirectory(prefix="tilewise-fields-") as scratch:
        features = fields.write_features_geopackage(polygons, crs_authid, Path(scratch) / "fields.gpkg")
        put_file(storage.access, features, features_url)
    keys = storage.access.credentials if storage.send_keys and storage.access.access_key else None
    request = fields.batch_statistical_request(features_url, output_url, options, keys, keys)
    try:
        job = client.create(request, cancel)
        on_job(job)
        client.start(job.id, cancel)
        job = watch(client, job.id, cancel, progress, on_job, poll_s)
    except ServiceError as exc:  # a service may echo the request's keys in its message
        exc.message = storage.access.scrub(exc.message)
        exc.args = (exc.message,)
        raise
    if job.status != RequestStatus.DONE:
        reason = f" ({job.stopped_reason})" if job.stopped_reason else ""
        raise fields.FieldStatisticsError(
            storage.access.scrub(
                f"The batch statistical job {job.id} ended {job.status}{reason}: {job.error or 'no reason given'}."
            )
        )
    return read_feature_results(storage.access, output_url, job.id, polygons, cancel), job.id


def watch(
    client: StatisticalClient,
    job_id: str,
    cancel: Cancel,
    progress: Progress,
    on_job: Callable[[BatchStatisticalJob], None],
    poll_s: float,
) -> BatchStatisticalJob:
    """Poll `/status` until the job ends; on cancel the job is stopped (it can be started again later)."""
    last_status = None
    while True:
        job = BatchStatisticalJob.from_api(client.status(job_id, cancel))
        progress(job.completion_percentage)
        if job.status != last_status:
            on_job(job)
            last_status = job.status
        if job.is_terminal:
            return job
        if cancel.wait(poll_s):
            try:
                client.stop(job_id)  # a fresh Cancel: the task's is set
            except ServiceError as exc:
                log.warning("Stopping batch statistical job %s failed: %s", job_id, exc)
            raise Cancelled(f"Cancelled: the batch statistical job {job_id} was stopped.")


def read_feature_results(
    access: S3Access, output_url: str, job_id: str, polygons: Sequence[fields.FieldPolygon], cancel: Cancel
) -> list[fields.StatisticsRow]:
    """Each polygon's `<output>/<job_id>/<fid>.json`; a missing or unreadable one is that polygon's failure."""
    folder = f"{output_url.rstrip('/')}/{job_id}"
    storage = storage_for(access, folder)

    def read(polygon: fields.FieldPolygon) -> list[fields.StatisticsRow]:
        if cancel.is_set:
            return []
        url = f"{folder}/{polygon.fid}.json"
        try:
            document = json.loads(storage.read(url))
        except ObjectNotFound:
            return [
                fields.failure_row(polygon.fid, polygon.identifier, "The job wrote no result for this field.")
            ]
        except ValueError as exc:
            return [
                fields.failure_row(polygon.fid, polygon.identifier, f"Its result {url} is not JSON: {exc}")
            ]
        # an error the service wrote goes into the results GeoPackage: never with the bucket's keys
        return [
            replace(row, error=access.scrub(row.error)) if row.error else row
            for row in fields.rows_from_feature_result(document)
        ]

    with ThreadPoolExecutor(READ_THREADS) as pool:
        rows = [row for feature_rows in pool.map(read, polygons) for row in feature_rows]
    if cancel.is_set:
        raise Cancelled("Cancelled.")
    return rows


def put_file(access: S3Access, source: Path, url: str) -> None:
    """Copy a local file to `url`: a folder on this machine, or S3 through GDAL's /vsis3/ (a stock QGIS has no
    boto3). StorageError says what to fix and names no key."""
    if is_local(url):
        target = local_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return
    from osgeo import gdal

    bucket, _ = split_s3_url(url)
    apply_gdal_options(access, bucket)
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    gdal.VSIErrorReset()
    message = ""
    try:
        handle = gdal.VSIFOpenExL(gdal_path(url), "wb", True)
        written = handle is not None
        if handle is not None:
            with open(source, "rb") as data:
                while written and (chunk := data.read(UPLOAD_CHUNK)):
                    written = gdal.VSIFWriteL(chunk, 1, len(chunk), handle) == len(chunk)
            written = gdal.VSIFCloseL(handle) == 0 and written  # the object is created on close
    except RuntimeError as exc:  # GDAL raises instead when the process has called gdal.UseExceptions()
        written, message = False, str(exc)
    finally:
        message = gdal.VSIGetLastErrorMsg() or message
        gdal.PopErrorHandler()
    if not written:
        raise StorageError(
            access.scrub(
                f"Cannot upload the polygons to {url}: {message or 'S3 refused it'}. Fix: check the bucket name, "
                f"the endpoint ({access.endpoint_name}) and that the S3 keys may write to it (s3:PutObject)."
            )
        )
