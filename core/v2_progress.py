"""Per-feature progress of a Batch API v2 job, from the artefacts the service writes to its bucket (Qt-free).

v2 has no tile endpoint: the service uploads, in the fixed folder of the delivery URL,
`featureManifest-<requestId>.gpkg` after the analysis (a table `feature_<epsg>` per CRS with a row per
feature and output: fid, outputId, identifier, path, width, height, geometry) and, while processing,
`execution-<requestId>.sqlite` (`features(id, name, status, error, delivered)`, PENDING, DONE or FATAL).

The manifest never changes, so it is read once per job; the execution database is read on every call.

Running features: v2 says PENDING both for a feature waiting for its turn and for one a worker is processing
(Sentinel Hub and the engine alike write only PENDING, DONE or FATAL, and `delivered`). So the one thing the
artefacts tell truthfully is whether a feature is still to be delivered by a job that is processing: while
the job is PROCESSING, every feature not yet DONE or FATAL is shown as PROCESSING (“in progress, not
delivered yet”); before the job starts, and once it is STOPPED or over, such a feature stays PENDING.
The two are joined on the feature's name (manifest `identifier` = execution `name`): the manifest's fids
number rows (one per output, from 1 in each table), not features, so they cannot be joined on. A Tile's
id numbers the manifest's features (1..n, in table order then row order): unique, and the same before
and after the execution database appears, since the manifest never changes.
"""

from __future__ import annotations

import collections
import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Optional

from . import output_paths
from .jobs import BatchJob, Tile
from .s3 import ObjectNotFound, S3Access, StorageError
from .statuses import V2, RequestStatus
from .storage import download
from .tile_status import FeatureStatus, TileStatus

PENDING = FeatureStatus.PENDING
RUNNING = TileStatus.PROCESSING  # a feature still to be delivered by a PROCESSING job (see above)
# A job in one of these has been analysed: its manifest must be there.
ANALYSED = frozenset({RequestStatus.ANALYSIS_DONE, RequestStatus.PROCESSING, RequestStatus.DONE})
_CACHE_SIZE = 16


class ArtefactError(StorageError):
    """An artefact was downloaded but cannot be read; the message says which file and why."""


def manifest_url(job: BatchJob) -> Optional[str]:
    return output_paths.manifest_url(job.output_url, job.id) if job.output_url else None


def execution_url(job: BatchJob) -> Optional[str]:
    return output_paths.execution_url(job.output_url, job.id) if job.output_url else None


def manifest_tiles(path: Path) -> list[Tile]:
    """One PENDING Tile per feature of a feature manifest, with its EPSG code and footprint (GeoJSON in that
    CRS), numbered 1..n in manifest order."""
    from osgeo import ogr

    try:
        source = ogr.Open(str(path))
    except RuntimeError as exc:  # with ogr.UseExceptions()
        raise ArtefactError(f"The feature manifest {path} is not a GeoPackage OGR can read: {exc}") from None
    if source is None:
        raise ArtefactError(f"The feature manifest {path} is not a GeoPackage OGR can read.")
    # `source` stays referenced until the loop ends: a layer outliving its dataset crashes the process.
    features: dict[str, Tile] = {}  # by name, in manifest order
    for index in range(source.GetLayerCount()):
        layer = source.GetLayer(index)
        epsg = _layer_epsg(layer)
        if epsg is None:
            continue
        definition = layer.GetLayerDefn()
        name_field = definition.GetFieldIndex("identifier")
        if name_field < 0:
            raise ArtefactError(
                f"Table {layer.GetName()} of the feature manifest {path} has no identifier column."
            )
        layer.SetIgnoredFields(
            [f for f in ("outputId", "path", "width", "height") if definition.GetFieldIndex(f) >= 0]
        )
        layer.ResetReading()
        for feature in layer:  # in fid order: GeoPackage tables iterate by their primary key
            name = feature.GetFieldAsString(name_field)
            if name in features:
                continue  # the feature's row for another output
            footprint = _geojson(feature.GetGeometryRef())
            features[name] = Tile(
                id=len(features) + 1, name=name, status=PENDING, epsg=epsg, footprint=footprint
            )
    del source
    return list(features.values())


def _geojson(geometry) -> Optional[dict]:
    """GeoJSON of an OGR geometry. Polygons (every footprint) are read directly, with (x, y) tuples: 5 times
    faster than through JSON, and tuples of floats cost the garbage collector nothing (100,000 footprints)."""
    from osgeo import ogr

    if geometry is None:
        return None
    if ogr.GT_Flatten(geometry.GetGeometryType()) == ogr.wkbPolygon:
        rings = [geometry.GetGeometryRef(i).GetPoints() or [] for i in range(geometry.GetGeometryCount())]
        return {"type": "Polygon", "coordinates": rings}
    return json.loads(geometry.ExportToJson())


def _layer_epsg(layer) -> Optional[int]:
    """The EPSG code of a `feature_<epsg>` table (from its CRS, else its name); None for other tables."""
    name = layer.GetName()
    if not name.startswith("feature_"):
        return None
    srs = layer.GetSpatialRef()
    code = srs.GetAuthorityCode(None) if srs is not None else None
    if code and code.isdigit():
        return int(code)
    suffix = name[len("feature_") :]
    return int(suffix) if suffix.isdigit() else None


def execution_statuses(path: Path) -> dict[int, tuple[str, Optional[str]]]:
    """{feature id: (status, error)} from an execution database."""
    return {row[0]: (row[2], row[3]) for row in _execution_rows(path)}


def _execution_rows(path: Path) -> list[tuple[int, Optional[str], str, Optional[str]]]:
    """(id, name, status, error) of every feature."""
    try:
        # Read-only: the file is the service's, and a read must never leave a journal behind.
        connection = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT id, name, status, error FROM features").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise ArtefactError(
            f"The execution database {path} cannot be read ({exc}): it should be an SQLite file with a table "
            "features(id, name, status, error, delivered)."
        ) from None
    return [(int(i), name, (status or PENDING).upper(), error or None) for i, name, status, error in rows]


class _ManifestCache:
    """Parsed manifests by job, the most recent few; safe across threads (tasks poll in parallel)."""

    def __init__(self, size: int):
        self.size = size
        self._tiles: collections.OrderedDict[tuple, list[Tile]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Optional[list[Tile]]:
        with self._lock:
            tiles = self._tiles.get(key)
            if tiles is not None:
                self._tiles.move_to_end(key)
            return tiles

    def put(self, key: tuple, tiles: list[Tile]) -> None:
        with self._lock:
            self._tiles[key] = tiles
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.size:
                self._tiles.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()


_manifests = _ManifestCache(_CACHE_SIZE)


def clear_manifest_cache() -> None:
    _manifests.clear()


def v2_tiles(access: S3Access, job: BatchJob, scratch: Path, *, backend: Optional[str] = None) -> list[Tile]:
    """The job's features with their current status, from its bucket artefacts.

    `scratch` is a folder for the downloads (the manifest is kept there and reused). An empty list
    before the analysis; every feature PENDING until the execution database appears. Raises StorageError
    when the bucket cannot be read, or when an analysed job has no manifest."""
    if job.api_version != V2:
        raise ValueError(f"Job {job.id} is a v1 job: read its tiles from the tile endpoint, not its bucket.")
    tiles = _manifest(access, job, Path(scratch), backend)
    if not tiles:
        return []
    url = execution_url(job)
    target = Path(scratch) / f"execution-{job.id}-{uuid.uuid4().hex[:8]}.sqlite"  # unique: calls may overlap
    try:
        download(access, url, target, backend=backend)
    except ObjectNotFound:
        return running(job, tiles)  # no database yet: every feature PENDING, or running if the job is
    try:
        rows = _execution_rows(target)
    finally:
        target.unlink(missing_ok=True)
    by_name = {name: (status, error) for _, name, status, error in rows}
    updated = []
    for tile in tiles:
        status, error = by_name.get(tile.name, (PENDING, None))
        if status == PENDING and error is None:
            updated.append(tile)  # the cached one: Tiles are frozen
        else:  # the constructor: half the time of dataclasses.replace
            updated.append(
                Tile(
                    id=tile.id,
                    name=tile.name,
                    status=status,
                    epsg=tile.epsg,
                    footprint=tile.footprint,
                    failure_reason=error,
                )
            )
    return running(job, updated)


def running(job: BatchJob, tiles: list[Tile]) -> list[Tile]:
    """The PENDING features of a PROCESSING job as RUNNING (the rule in this module's docstring)."""
    if job.status != RequestStatus.PROCESSING:
        return tiles
    return [
        Tile(id=t.id, name=t.name, status=RUNNING.value, epsg=t.epsg, footprint=t.footprint)
        if t.status == PENDING and t.failure_reason is None
        else t
        for t in tiles
    ]


def _manifest(access: S3Access, job: BatchJob, scratch: Path, backend: Optional[str]) -> list[Tile]:
    key = (job.deployment, job.id)
    tiles = _manifests.get(key)
    if tiles is not None:
        return tiles
    url = manifest_url(job)
    if url is None:
        return []
    local = scratch / f"featureManifest-{job.id}.gpkg"
    if not local.is_file():  # kept from an earlier call (or QGIS session): it never changes
        try:
            download(access, url, local, backend=backend)
        except ObjectNotFound:
            if job.status in ANALYSED:
                raise StorageError(
                    f"Job {job.id} has been analysed but its feature manifest is not at {url}: check that the "
                    "output URL and the S3 credentials are those the job writes with."
                ) from None
            return []  # not analysed yet
    try:
        tiles = manifest_tiles(local)
    except ArtefactError:
        local.unlink(missing_ok=True)  # fetch it again next time
        raise
    _manifests.put(key, tiles)
    return tiles
