"""The tiles of one batch job on the map: a GeoPackage layer in the project's folder, styled by status.

`JobTileLayer.create(job, tiles, folder)` writes `<folder>/job-<id>.gpkg` (table `tiles`, EPSG:4326
polygons) and shows it in a per-job layer-tree group at the top of the tree; `JobTileLayer.find(job_id)`
recognises it in a project read again (the layer carries `tilewise/job_id`, `tilewise/deployment` and
`tilewise/api_version`). While the job runs, `apply(tiles, full)` writes only the features whose status,
failure reason or cost changed, in one `changeAttributeValues` call, and repaints. Main thread only.

Keep the JobTileLayer while the job is watched: it holds the tile id -> feature id map and the last written
values, so that an update costs only what changed (`find` reads them back from the file, ~60 ms for 10,000).

Speed (bench/bench_tile_layer.py, docs/benchmarks.md): QGIS's OGR provider already writes one
`changeAttributeValues` call in one transaction (2,000 features: 24 ms, as one explicit OGR transaction,
against 560 ms with a transaction per feature). It rewrites each changed feature whole, geometry included,
and the GeoPackage R-tree triggers would then redo the index entry of every changed tile: 10,000 changed
tiles take ~170 ms with an R-tree and ~60 ms without. So the table has none: a job's tiles are few enough
to be read without one (a rectangle query over 10,000 tiles: ~3 ms instead of 0.4 ms).

The user may edit or delete the layer:
- a removed layer (or a project cleared) ends the job's layer: `apply` returns 0, `set_stale` does nothing,
  `find` returns None; the GeoPackage stays on disk, and `create` shows it again (reusing the file);
- a GeoPackage deleted from disk under the layer: `apply` returns 0 and says so in `error`, `find` returns
  None, and `create` writes the file again;
- an attribute the user edits (and saves) is overwritten by the next update that carries that tile (a
  full listing carries every tile); a tile the user deletes comes back with the next update that carries it;
- the provider is written directly, bypassing the edit buffer: while the layer is in edit mode, the user's
  pending edits show over the service's values, and saving them writes them over the service's values
  until the next update of those tiles.
"""

from __future__ import annotations

import logging
import os
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import shapely
from qgis.core import (
    Qgis,
    QgsCategorizedSymbolRenderer,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsMapLayer,
    QgsMessageLog,
    QgsProject,
    QgsProviderRegistry,
    QgsRendererCategory,
    QgsVectorLayer,
)
from qgis.PyQt import sip

from ..core.crs import WGS84, transform_points
from ..core.jobs import BatchJob, Tile
from ..core.statuses import V1, V2
from ..core.tile_status import STATUS_STYLES, FeatureStatus, TileStatus
from .i18n import tr
from .job_groups import JOB_PROPERTY, job_group, job_group_name
from .layer_roles import JOB_TILES, mark_tilewise_layer
from .qgis_compat import set_layer_abstract
from .theme import text_colour
from .tile_layer import LABEL_SCALE_PER_METRE, name_labels, status_symbol

log = logging.getLogger(__name__)

TABLE = "tiles"
FIELDS = ("tile_id", "name", "status", "failure", "cost", "epsg", "updated")


def field_aliases() -> dict[str, str]:
    """The fields' names in the attribute table, identify results and forms."""
    return {
        "tile_id": tr("Tile id"),
        "name": tr("Tile"),
        "status": tr("Status"),
        "failure": tr("Failure reason"),
        "cost": tr("Cost (PU)"),
        "epsg": tr("EPSG"),
        "updated": tr("Updated (UTC)"),
    }


# What `apply` writes; the rest never changes after a tile is added.
CHANGING = ("status", "failure", "cost", "updated")

PROP_JOB = JOB_PROPERTY
PROP_DEPLOYMENT = "tilewise/deployment"
PROP_API = "tilewise/api_version"
PROP_STALE = "tilewise/stale"
PROP_STALE_REASON = "tilewise/stale_reason"
PROP_OPACITY = "tilewise/opacity_before_stale"

STALE_SUFFIX = " (stale)"  # one string in every language: it marks a layer name saved in a project
STALE_OPACITY = 0.4

# The statuses each API version gives its tiles (legend order); anything else falls in "Other".
API_STATUSES = {
    V1: tuple(status.value for status in TileStatus),
    # v2 has no running status of its own: core/v2_progress.py shows a PROCESSING job's undelivered features so
    V2: (
        FeatureStatus.PENDING.value,
        TileStatus.PROCESSING.value,
        FeatureStatus.DONE.value,
        FeatureStatus.FATAL.value,
    ),
}
OTHER_STYLE = ("206,147,216,120", "106,27,154,255")  # fill, outline

MAX_SEGMENT_M = 25_000.0  # edges of projected footprints are split so that they keep their shape in 4326

MAP_TIP = (  # {error}: the theme's error colour when the layer is styled (legible on dark themes too)
    '<b>[% "name" %]</b> &mdash; [% "status" %]'
    '[% CASE WHEN "failure" IS NOT NULL THEN \'<br><span style="color:{error}">\' || '
    "replace(replace(replace(\"failure\", '&', '&amp;'), '<', '&lt;'), '>', '&gt;') || '</span>' "
    "ELSE '' END %]"
    "[% CASE WHEN \"cost\" IS NOT NULL THEN '<br>' || format_number(\"cost\", 3) || ' PU' ELSE '' END %]"
    '<br><small>tile [% "tile_id" %], updated [% "updated" %]</small>'
)
DISPLAY_EXPRESSION = (
    '"name" || \' — \' || "status" || CASE WHEN "failure" IS NOT NULL THEN \': \' || "failure" ELSE \'\' END'
)

# One wrapper per layer, so that `find` and `create` hand out the object whose state is current.
_wrappers: weakref.WeakValueDictionary[str, JobTileLayer] = weakref.WeakValueDictionary()


class JobTileLayerError(Exception):
    """The GeoPackage cannot be written or read; the message names the file."""


def gpkg_path(folder: Path, job_id: str) -> Path:
    return Path(folder) / f"job-{job_id}.gpkg"


class JobTileLayer:
    """The tiles of one batch job as a GeoPackage layer in the project's folder, styled by status."""

    def __init__(self, layer: QgsVectorLayer, project: QgsProject, state: dict[int, list]):
        self.layer = layer
        self.project = project
        self.job_id = str(layer.customProperty(PROP_JOB))
        self.deployment = str(layer.customProperty(PROP_DEPLOYMENT) or "")
        self.api_version = int(layer.customProperty(PROP_API) or V1)
        self.path = Path(_source_path(layer))
        self.error: Optional[str] = None  # why the last apply wrote nothing, when it failed
        self._layer_id = layer.id()
        self._deleted = False
        # tile id -> [fid, status, failure, cost]: what the layer holds, to write only what changed
        self._state = state
        self._fids = {entry[0]: tile_id for tile_id, entry in state.items()}  # fid -> tile id
        fields = layer.fields()
        self._index = {name: fields.indexOf(name) for name in FIELDS}
        layer.willBeDeleted.connect(self._on_deleted)
        layer.committedAttributeValuesChanges.connect(self._on_user_attributes)
        layer.committedFeaturesRemoved.connect(self._on_user_removed)
        _wrappers[self._layer_id] = self

    # --- creating and finding -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls, job: BatchJob, tiles: Sequence[Tile], folder: Path, project: QgsProject | None = None
    ) -> JobTileLayer:
        """Write the job's tiles to `<folder>/job-<id>.gpkg` and show them in the job's group at the top of
        the layer tree. A layer of this job already in the project, or its GeoPackage already in `folder`
        (the layer was removed), is reused and brought up to date with `tiles`. Raises JobTileLayerError
        when the file cannot be written."""
        project = project or QgsProject.instance()
        tiles = list({tile.id: tile for tile in tiles}.values())  # a tile listed twice: its last state
        existing = cls.find(job.id, project)
        if existing is not None:
            existing.apply(tiles, full=True)
            return existing
        for layer in _job_layers(job.id, project):  # broken ones (their file gone): replaced
            project.removeMapLayer(layer.id())
        folder = Path(folder)
        path = gpkg_path(folder, job.id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JobTileLayerError(
                tr("Cannot create the folder {folder} for the job's tile layer: {error}").format(
                    folder=folder, error=exc
                )
            ) from None
        reused = path.is_file() and _readable(path)
        if not reused:
            _write_gpkg(path, job, tiles)
        layer = QgsVectorLayer(f"{path}|layername={TABLE}", tr("Tiles"), "ogr")
        if not layer.isValid():
            raise JobTileLayerError(
                tr("The tile layer {path} was written but QGIS cannot open it.").format(path=path)
            )
        mark_tilewise_layer(layer, JOB_TILES)
        layer.setCustomProperty(PROP_JOB, job.id)
        layer.setCustomProperty(PROP_DEPLOYMENT, job.deployment)
        layer.setCustomProperty(PROP_API, int(job.api_version))
        _style(layer, job.api_version, _tile_size_m(tiles))
        state = _read_state(layer) if reused else _written_state(tiles)
        project.addMapLayer(layer, False)
        group = job_group(job, project)
        group.insertLayer(0, layer)
        wrapper = cls(layer, project, state)
        if reused:
            wrapper.apply(tiles, full=True)
        return wrapper

    @classmethod
    def find(cls, job_id: str, project: QgsProject | None = None) -> Optional[JobTileLayer]:
        """The job's tile layer in the project (after the project was read again, say), or None when there
        is none (the user removed it) or its GeoPackage cannot be opened."""
        project = project or QgsProject.instance()
        for layer in _job_layers(job_id, project):
            if not layer.isValid() or not Path(_source_path(layer)).is_file():
                continue  # its GeoPackage deleted from disk: `create` writes it again
            wrapper = _wrappers.get(layer.id())
            if wrapper is not None and not wrapper.removed:
                return wrapper
            return cls(layer, project, _read_state(layer))
        return None

    # --- state --------------------------------------------------------------------------------------------

    @property
    def removed(self) -> bool:
        """The layer was removed from the project (or deleted with it)."""
        if self._deleted or sip.isdeleted(self.layer) or sip.isdeleted(self.project):
            return True
        return self.project.mapLayer(self._layer_id) is None

    @property
    def stale(self) -> bool:
        return not self.removed and _truthy(self.layer.customProperty(PROP_STALE))

    @property
    def stale_reason(self) -> str:
        return str(self.layer.customProperty(PROP_STALE_REASON) or "") if self.stale else ""

    def counts(self) -> dict[str, int]:
        """Tiles per status, as the layer holds them (the last known state once the layer is removed)."""
        counts: dict[str, int] = {}
        for entry in self._state.values():
            counts[entry[1]] = counts.get(entry[1], 0) + 1
        return counts

    def fid_of(self, tile_id: int) -> Optional[int]:
        entry = self._state.get(tile_id)
        return entry[0] if entry else None

    def tile_at(self, feature_id) -> Optional[dict]:
        """The tile of a feature (from identify or a map click): id, name, status, failure, cost, epsg and
        updated; None for a feature that is no tile, or once the layer is removed."""
        if self.removed:
            return None
        feature = self.layer.getFeature(int(feature_id))
        if not feature.isValid():
            return None
        values = {name: _value(feature[name]) for name in FIELDS}
        if values["tile_id"] is None:
            return None  # a feature the user drew
        return {
            "id": int(values["tile_id"]),
            "name": values["name"],
            "status": values["status"],
            "failure": values["failure"],
            "cost": values["cost"],
            "epsg": values["epsg"],
            "updated": values["updated"],
        }

    # --- updates ------------------------------------------------------------------------------------------

    def apply(self, tiles: Sequence[Tile], full: bool) -> int:
        """Write the tiles whose status, failure reason or cost changed, in one call, then repaint; add the
        tiles the layer does not have yet. Tiles missing from `tiles` are kept as they are, even when `full`
        (the whole set) is True: a tile is never deleted. Returns how many features changed or were added;
        0 when the layer was removed, or when the write failed (`error` then says why)."""
        self.error = None
        if self.removed:
            return 0
        if not self.layer.isValid() or not self.path.is_file():
            self.error = tr("The tile layer's GeoPackage {path} cannot be opened (was it deleted?).").format(
                path=self.path
            )
            QgsMessageLog.logMessage(self.error, "Tilewise", Qgis.MessageLevel.Warning)
            return 0
        now = _now()
        index = self._index
        i_status, i_failure, i_cost, i_updated = (index[name] for name in CHANGING)
        state = self._state
        changes: dict[int, dict[int, object]] = {}
        shared: dict[tuple, dict[int, object]] = {}  # tiles with the same new values share one map
        new: dict[int, Tile] = {}
        for tile in tiles:
            entry = state.get(tile.id)
            if entry is None:
                new[tile.id] = tile
                continue
            status, failure, cost = tile.status, tile.failure_reason or None, tile.cost
            if entry[1] == status and entry[2] == failure and entry[3] == cost:
                continue
            key = (status, failure, cost)
            values = shared.get(key)
            if values is None:
                values = shared[key] = {i_status: status, i_failure: failure, i_cost: cost, i_updated: now}
            changes[entry[0]] = values
            entry[1], entry[2], entry[3] = key  # in place; read again from the layer if the write fails
        provider = self.layer.dataProvider()
        changed = 0
        if changes:
            if provider.changeAttributeValues(changes):
                changed += len(changes)
            else:
                self._failed(tr("writing %Ln tile status(es)", None, len(changes)))
                self._reload_state()
        if new and self.error is None:
            added = self._add(list(new.values()), now)
            if added < 0:
                self._failed(tr("adding %Ln tile(s)", None, len(new)))
            else:
                changed += added
        if changed:
            provider.dataChanged.emit()  # the attribute table and identify results read again
            self.layer.triggerRepaint()
        return changed

    def _add(self, tiles: list[Tile], now: str) -> int:
        """Add tiles as new features; how many, or -1 when the provider refused them."""
        fields = self.layer.fields()
        names = fields.names()  # with the GeoPackage's `fid` first: left NULL, the provider numbers it
        features = []
        for tile, wkb in zip(tiles, footprints_wkb(tiles)):
            feature = QgsFeature(fields)
            if wkb is not None:
                geometry = QgsGeometry()
                geometry.fromWkb(wkb)
                feature.setGeometry(geometry)
            attributes = _attributes(tile, now)
            feature.setAttributes([attributes.get(name) for name in names])
            features.append(feature)
        ok, added = self.layer.dataProvider().addFeatures(features)
        if not ok:
            return -1
        for tile, feature in zip(tiles, added):
            self._state[tile.id] = [feature.id(), tile.status, tile.failure_reason or None, tile.cost]
            self._fids[feature.id()] = tile.id
        self.layer.updateExtents()
        return len(added)

    def _reload_state(self) -> None:
        """What the layer holds, read again (after a failed write, whatever part of it was kept)."""
        if self.layer.isValid():
            self._state = _read_state(self.layer)
            self._fids = {entry[0]: tile_id for tile_id, entry in self._state.items()}

    def _failed(self, what: str) -> None:
        error = self.layer.dataProvider().error().message()
        self.error = tr("The tile layer {path} could not be updated ({what}){error}.").format(
            path=self.path, what=what, error=": " + error if error else ""
        )
        QgsMessageLog.logMessage(self.error, "Tilewise", Qgis.MessageLevel.Warning)

    def set_stale(self, stale: bool, reason: str = "") -> None:
        """Mark the layer as showing the last known state (the service or the bucket cannot be reached):
        " (stale)" after its name, the reason in the `tilewise/stale_reason` property (and the layer's
        abstract, shown in its tooltip), and the tiles drawn faded. `set_stale(False)` undoes it all."""
        if self.removed:
            return
        layer = self.layer
        name = layer.name()
        base = name[: -len(STALE_SUFFIX)] if name.endswith(STALE_SUFFIX) else name
        if stale:
            if not _truthy(layer.customProperty(PROP_STALE)):
                layer.setCustomProperty(PROP_OPACITY, layer.opacity())
                layer.setOpacity(min(layer.opacity(), STALE_OPACITY))
            layer.setCustomProperty(PROP_STALE, True)
            layer.setCustomProperty(PROP_STALE_REASON, reason)
            set_layer_abstract(
                layer,
                tr("Last known state, not current: {reason}").format(reason=reason)
                if reason
                else tr("Last known state."),
            )
            layer.setName(base + STALE_SUFFIX)
        else:
            if _truthy(layer.customProperty(PROP_STALE)):
                layer.setOpacity(float(layer.customProperty(PROP_OPACITY, 1.0) or 1.0))
            for prop in (PROP_STALE, PROP_STALE_REASON, PROP_OPACITY):
                layer.removeCustomProperty(prop)
            set_layer_abstract(layer, "")
            layer.setName(base)
        layer.triggerRepaint()

    # --- the user's edits ---------------------------------------------------------------------------------

    def _on_deleted(self) -> None:
        self._deleted = True

    def _on_user_attributes(self, layer_id: str, changes: dict) -> None:
        """The user saved attribute edits: remember them, so that the next update of those tiles writes over."""
        positions = {self._index["status"]: 1, self._index["failure"]: 2, self._index["cost"]: 3}
        for fid, values in changes.items():
            entry = self._state.get(self._fids.get(fid, -1))
            if entry is None:
                continue
            for index, value in values.items():
                if index in positions:
                    entry[positions[index]] = _value(value)

    def _on_user_removed(self, layer_id: str, fids) -> None:
        for fid in fids:
            tile_id = self._fids.pop(fid, None)
            if tile_id is not None:
                self._state.pop(tile_id, None)


# --- writing the GeoPackage -------------------------------------------------------------------------------


def _write_gpkg(path: Path, job: BatchJob, tiles: Sequence[Tile]) -> None:
    """The GeoPackage, written under a temporary name in one transaction, then renamed into place (never a
    half-written file at `path`). Works whether GDAL raises exceptions or returns error codes."""
    from osgeo import gdal, ogr, osr

    partial = path.with_name(f".{path.stem}.writing.gpkg")
    try:
        for leftover in (partial, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)  # left by a crash; never one of a database QGIS holds open
        path.unlink(missing_ok=True)  # an unreadable file (a readable one is reused)
        wkbs = footprints_wkb(tiles)
        now = _now()
        source = ogr.GetDriverByName("GPKG").CreateDataSource(str(partial))
        if source is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or tr("GDAL cannot create it"))
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(WGS84)
        options = [
            "FID=fid",
            "GEOMETRY_NAME=geom",
            "SPATIAL_INDEX=NO",  # see the module's docstring
            f"IDENTIFIER={job_group_name(job)}",
            f"DESCRIPTION=Tiles of {'v2' if job.api_version == V2 else 'v1'} batch job {job.id} ({job.deployment})",
        ]
        layer = source.CreateLayer(TABLE, srs, ogr.wkbPolygon, options)
        if layer is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or tr("GDAL cannot create its table"))
        kinds = (ogr.OFTInteger64, ogr.OFTString, ogr.OFTString, ogr.OFTString, ogr.OFTReal, ogr.OFTInteger)
        for name, kind in zip(FIELDS, (*kinds, ogr.OFTString)):
            layer.CreateField(ogr.FieldDefn(name, kind))
        definition = layer.GetLayerDefn()
        source.StartTransaction()
        for fid, (tile, wkb) in enumerate(zip(tiles, wkbs), start=1):
            feature = ogr.Feature(definition)
            feature.SetFID(fid)
            feature.SetField(0, tile.id)
            feature.SetField(1, tile.name)
            feature.SetField(2, tile.status)
            if tile.failure_reason:
                feature.SetField(3, tile.failure_reason)
            if tile.cost is not None:
                feature.SetField(4, float(tile.cost))
            if tile.epsg is not None:
                feature.SetField(5, int(tile.epsg))
            feature.SetField(6, now)
            if wkb is not None:
                feature.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb))
            if layer.CreateFeature(feature) != ogr.OGRERR_NONE:
                raise RuntimeError(
                    gdal.GetLastErrorMsg() or tr("tile {id} cannot be written").format(id=tile.id)
                )
        if source.CommitTransaction() != ogr.OGRERR_NONE:
            raise RuntimeError(gdal.GetLastErrorMsg() or tr("the transaction cannot be committed"))
        layer = None
        source = None  # closed: on disk
        os.replace(partial, path)
    except (RuntimeError, OSError) as exc:
        layer = source = None
        partial.unlink(missing_ok=True)
        raise JobTileLayerError(
            tr("Cannot write the job's tile layer {path}: {error}").format(path=path, error=exc)
        ) from None


def _written_state(tiles: Sequence[Tile]) -> dict[int, list]:
    """The state of a freshly written file: fids 1..n in the tiles' order (a repeated id: the last one)."""
    return {t.id: [fid, t.status, t.failure_reason or None, t.cost] for fid, t in enumerate(tiles, start=1)}


def _read_state(layer: QgsVectorLayer) -> dict[int, list]:
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
    request.setSubsetOfAttributes(["tile_id", "status", "failure", "cost"], layer.fields())
    state: dict[int, list] = {}
    i_id, i_status, i_failure, i_cost = (
        layer.fields().indexOf(n) for n in ("tile_id", "status", "failure", "cost")
    )
    for feature in layer.getFeatures(request):
        attributes = feature.attributes()
        tile_id = _value(attributes[i_id])
        if tile_id is None:
            continue
        state[int(tile_id)] = [
            feature.id(),
            _value(attributes[i_status]),
            _value(attributes[i_failure]),
            _value(attributes[i_cost]),
        ]
    return state


def _readable(path: Path) -> bool:
    """A GeoPackage with a `tiles` table of the expected columns (an earlier run's file for this job)."""
    from osgeo import gdal

    try:
        source = gdal.OpenEx(str(path), gdal.OF_VECTOR | gdal.OF_READONLY)
        layer = source.GetLayerByName(TABLE) if source is not None else None
        if layer is None:
            return False
        definition = layer.GetLayerDefn()
        names = {definition.GetFieldDefn(i).GetName() for i in range(definition.GetFieldCount())}
        layer = None
        source = None
        return set(FIELDS) <= names
    except RuntimeError:
        return False


def footprints_wkb(tiles: Sequence[Tile]) -> list[Optional[bytes]]:
    """Each tile's footprint (GeoJSON in its own `epsg`) as EPSG:4326 WKB, edges of projected footprints
    split every 25 km so that they keep their shape; one PROJ call per CRS. None for a tile without one."""
    result: list[Optional[bytes]] = [None] * len(tiles)
    rings: dict[
        tuple[int, int], tuple[list[int], list]
    ] = {}  # (epsg, points): one-ring polygons, built at once
    groups: dict[int, tuple[list[int], list]] = {}  # epsg: positions and shapely geometries
    for position, tile in enumerate(tiles):
        footprint = tile.footprint
        if not footprint:
            continue
        epsg = int(tile.epsg or WGS84)
        coordinates = footprint.get("coordinates")
        if footprint.get("type") == "Polygon" and coordinates and len(coordinates) == 1:
            positions, exteriors = rings.setdefault((epsg, len(coordinates[0])), ([], []))
            positions.append(position)
            exteriors.append(coordinates[0])
            continue
        try:
            geometry = _shape(footprint)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            log.warning(
                "Tile %s has a footprint that is no polygon (%s): shown without geometry", tile.id, exc
            )
            continue
        positions, geometries = groups.setdefault(epsg, ([], []))
        positions.append(position)
        geometries.append(geometry)
    for (epsg, _), (positions, exteriors) in rings.items():
        try:
            polygons = list(shapely.polygons(np.asarray(exteriors, dtype=float)[:, :, :2]))
        except (ValueError, TypeError, IndexError):  # ragged points (some with z, say): one by one
            polygons = [_shape({"type": "Polygon", "coordinates": [ring]}) for ring in exteriors]
        group_positions, geometries = groups.setdefault(epsg, ([], []))
        group_positions.extend(positions)
        geometries.extend(polygons)
    for epsg, (positions, geometries) in groups.items():
        array = np.array(geometries, dtype=object)
        if epsg != WGS84:
            array = shapely.segmentize(array, MAX_SEGMENT_M)
            array = shapely.transform(array, lambda xy, epsg=epsg: transform_points(xy, epsg, WGS84))
            xmin, _, xmax, _ = shapely.bounds(array).T
            across = np.flatnonzero(xmax - xmin > 180.0)  # across the antimeridian: keep it in one piece
            if len(across):
                array[across] = shapely.transform(
                    array[across],
                    lambda xy: np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]]),
                )
        for position, wkb in zip(positions, shapely.to_wkb(array).tolist()):
            result[position] = wkb
    return result


def _shape(footprint: dict):
    kind = footprint.get("type")
    coordinates = footprint["coordinates"]
    if kind == "Polygon":
        rings = [np.asarray(ring, dtype=float)[:, :2] for ring in coordinates]
        return shapely.Polygon(rings[0], rings[1:])
    if kind == "MultiPolygon":
        parts = []
        for polygon in coordinates:
            rings = [np.asarray(ring, dtype=float)[:, :2] for ring in polygon]
            parts.append(shapely.Polygon(rings[0], rings[1:]))
        return shapely.MultiPolygon(parts)
    raise ValueError(f"a {kind}")


# --- style ------------------------------------------------------------------------------------------------


def status_renderer(api_version: int) -> QgsCategorizedSymbolRenderer:
    """A category per status of the job's API version, in legend order, and one for any other value."""
    styles = {style.status: style for style in STATUS_STYLES}
    categories = []
    labels = {TileStatus.PROCESSING.value: tr("In progress (not delivered yet)")} if api_version == V2 else {}
    for status in API_STATUSES.get(api_version, API_STATUSES[V1]):
        style = styles[status]
        label = labels.get(status, style.label)
        categories.append(QgsRendererCategory(status, status_symbol(style.fill, style.outline), label))
    label, (fill, outline) = tr("Other status"), OTHER_STYLE
    categories.append(QgsRendererCategory("", status_symbol(fill, outline), label))  # "" = all other values
    return QgsCategorizedSymbolRenderer("status", categories)


def _style(layer: QgsVectorLayer, api_version: int, tile_size_m: float) -> None:
    layer.setRenderer(status_renderer(api_version))
    layer.setLabeling(name_labels(max_scale_denominator=tile_size_m * LABEL_SCALE_PER_METRE))
    layer.setLabelsEnabled(True)
    layer.setMapTipTemplate(MAP_TIP.replace("{error}", text_colour("error")))
    layer.setDisplayExpression(DISPLAY_EXPRESSION)
    fields = layer.fields()
    for name, alias in field_aliases().items():
        index = fields.indexOf(name)
        if index >= 0:
            layer.setFieldAlias(index, alias)


def _tile_size_m(tiles: Sequence[Tile]) -> float:
    """The width of the first tile with a footprint, in metres (10 km when none has one)."""
    for tile in tiles:
        if tile.footprint:
            try:
                xmin, _, xmax, _ = _shape(tile.footprint).bounds
            except (ValueError, TypeError, KeyError, IndexError):
                continue
            width = xmax - xmin
            return width * 111_000.0 if (tile.epsg or WGS84) == WGS84 else width
    return 10_000.0


# --- the project ------------------------------------------------------------------------------------------


def is_job_tile_layer(layer: Optional[QgsMapLayer]) -> bool:
    """A job's tile layer (this module's GeoPackage layer, in this session or read from a project): it carries
    the job id and the API version; a job's output layers carry the job id only."""
    return (
        isinstance(layer, QgsVectorLayer)
        and bool(layer.customProperty(PROP_JOB))
        and layer.customProperty(PROP_API) is not None
    )


def _job_layers(job_id: str, project: QgsProject) -> list[QgsVectorLayer]:
    return [
        layer
        for layer in project.mapLayers().values()
        if isinstance(layer, QgsVectorLayer) and str(layer.customProperty(PROP_JOB) or "") == job_id
    ]


# --- helpers ----------------------------------------------------------------------------------------------


def _attributes(tile: Tile, now: str) -> dict[str, object]:
    return {
        "tile_id": tile.id,
        "name": tile.name,
        "status": tile.status,
        "failure": tile.failure_reason or None,
        "cost": tile.cost,
        "epsg": tile.epsg,
        "updated": now,
    }


def _source_path(layer: QgsVectorLayer) -> str:
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    return parts.get("path") or layer.source().split("|", 1)[0]


def _value(value):
    """A Python value for an attribute (QGIS gives NULL as an empty QVariant)."""
    if value is None:
        return None
    is_null = getattr(value, "isNull", None)
    if is_null is not None and not isinstance(value, str) and is_null():
        return None
    return value


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
