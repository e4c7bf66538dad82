"""The "Field statistics" algorithm: per-polygon statistics of an evalscript over time (Statistical API, or a
Batch Statistical job for many polygons) written to a GeoPackage, through the same core code as the dock
(core/field_statistics_task.py's run_field_statistics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Optional

import shapely
from qgis.core import (
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..core.batch_models.statistical import LAST_INTERVAL_BEHAVIORS, MAX_STATISTICAL_FEATURES
from ..core.field_statistics import FieldPolygon, FieldStatisticsError, FieldStatisticsOptions
from ..core.field_statistics_run import FieldStatisticsRequest, StatisticsStorage, run_field_statistics
from ..core.job_form import FormInvalid
from ..core.qgis_geometry import to_shapely
from ..core.statistical_client import StatisticalClient
from ..core.statistics_presets import STATISTICS_PRESETS
from ..core.storage import S3Access
from ..ui.i18n import tr
from .common import (
    EVALSCRIPT,
    EVALSCRIPT_FILE,
    JOB_ID,
    TilewiseAlgorithm,
    problems_message,
    service_calls,
)

GROUP_ID = "fieldstatistics"
INPUT, IDENTIFIER_FIELD, INTERVAL, LAST_INTERVAL = "INPUT", "IDENTIFIER_FIELD", "INTERVAL", "LAST_INTERVAL"
RESOLUTION, PERCENTILES, HISTOGRAM_BINS = "RESOLUTION", "PERCENTILES", "HISTOGRAM_BINS"
HISTOGRAM_LOW, HISTOGRAM_HIGH, BUCKET, OUTPUT = "HISTOGRAM_LOW", "HISTOGRAM_HIGH", "BUCKET", "OUTPUT"
FIELDS, FAILED_COUNT = "FIELDS", "FAILED_COUNT"
POLL_S = 2.0
SHOWN_FAILURES = 20  # failed fields named in the log; the rest are in the GeoPackage's `error` column


@dataclass(frozen=True)
class _Location:
    output_url: str  # what TilewiseAlgorithm.output_access reads of a job


class FieldStatistics(TilewiseAlgorithm):
    NAME = "fieldstatistics"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Field statistics")

    def group(self) -> str:
        return tr("Field statistics")

    def groupId(self) -> str:  # noqa: N802 (QGIS API)
        return GROUP_ID

    def shortHelpString(self) -> str:  # noqa: N802 (QGIS API)
        return tr(
            "Statistics of an evalscript (NDVI, NDWI or your own, with a dataMask output) for each polygon of a layer "
            "(only the selected ones with “Selected features only”), per time interval: mean, min, max, standard "
            "deviation, the pixel counts, and the percentiles and histogram asked for. Up to 100 polygons are sent one "
            "Statistical API request each; more become one Batch Statistical job, whose polygons and results go to the "
            "bucket given (s3://bucket/folder, with the S3 keys given), or a folder for a Tilewise engine on this "
            "computer. The output GeoPackage holds the layer “fields” (the polygons with the latest interval's means) "
            "and the table “statistics” (one record per polygon, interval, output and band). Resolution is in the "
            "layer's CRS units: use a projected CRS in metres."
        )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.add_connection_parameters()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                INPUT, tr("Fields (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                IDENTIFIER_FIELD, tr("Identifier field (default: the feature id)"), parentLayerParameterName=INPUT,
                optional=True,
            )
        )  # fmt: skip
        presets = ", ".join(preset.name for preset in STATISTICS_PRESETS)
        self.addParameter(
            QgsProcessingParameterString(
                EVALSCRIPT, tr("Evalscript (the script, or a preset's name: {presets})").format(presets=presets),
                "NDVI", multiLine=True, optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterFile(
                EVALSCRIPT_FILE, tr("…or an evalscript file"), QgsProcessingParameterFile.Behavior.File,
                optional=True, fileFilter=tr("Evalscripts (*.js *.txt);;All files (*.*)"),
            )
        )  # fmt: skip
        self.add_data_parameters()
        self.addParameter(
            QgsProcessingParameterString(INTERVAL, tr("Aggregation interval (P1D, P5D, P1W, P1M…)"), "P1D")
        )
        last = QgsProcessingParameterEnum(
            LAST_INTERVAL, tr("A last, shorter interval"), list(LAST_INTERVAL_BEHAVIORS), False, "SHORTEN",
            False, True,
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                RESOLUTION, tr("Resolution (layer CRS units)"), QgsProcessingParameterNumber.Type.Double, 10.0,
                minValue=0.0,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterString(PERCENTILES, tr("Percentiles (e.g. 10, 50, 90)"), optional=True)
        )
        bins = QgsProcessingParameterNumber(
            HISTOGRAM_BINS, tr("Histogram bins (0: none)"), QgsProcessingParameterNumber.Type.Integer, 0,
            minValue=0,
        )  # fmt: skip
        self.addParameter(bins)
        edges = [
            QgsProcessingParameterNumber(name, label, QgsProcessingParameterNumber.Type.Double, optional=True)
            for name, label in ((HISTOGRAM_LOW, tr("Histogram low edge")), (HISTOGRAM_HIGH, tr("Histogram high edge")))
        ]  # fmt: skip
        for parameter in (last, *edges):
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(parameter)
        self.addParameter(
            QgsProcessingParameterString(
                BUCKET,
                tr(
                    "Bucket for more than 100 fields (s3://bucket/folder, or a folder for a local Tilewise engine)"
                ),
                optional=True,
            )
        )
        self.add_s3_parameters()
        self.addParameter(
            QgsProcessingParameterFileDestination(OUTPUT, tr("Field statistics"), tr("GeoPackage (*.gpkg)"))
        )
        self.addOutput(QgsProcessingOutputVectorLayer(FIELDS, tr("Fields with their latest means")))
        self.addOutput(
            QgsProcessingOutputString(JOB_ID, tr("Batch statistical job id (none when synchronous)"))
        )
        self.addOutput(QgsProcessingOutputNumber(FAILED_COUNT, tr("Fields whose statistics failed")))

    def process(self, parameters, context, feedback) -> dict:
        client = StatisticalClient.of(self.need_client())
        results_path = Path(self.parameterAsFileOutput(parameters, OUTPUT, context))
        with service_calls(feedback) as cancel:
            try:
                options = self.options(parameters, context)
                polygons, crs = self.polygons(parameters, context, feedback)
                storage = self.storage(parameters, context, cancel)
                feedback.pushInfo(
                    tr("{count} fields, {mode} on {deployment}…").format(
                        count=f"{len(polygons):,}",
                        mode=tr("one request each") if storage is None else tr("as a batch statistical job"),
                        deployment=client.deployment.name,
                    )
                )
                request = FieldStatisticsRequest(tuple(polygons), crs, options, results_path, storage)
                outcome = run_field_statistics(
                    client, request, cancel, feedback.setProgress,
                    lambda job: feedback.pushInfo(
                        tr("Batch statistical job {id}: {status}").format(id=job.id, status=job.status)
                    ),
                    POLL_S,
                )  # fmt: skip
            except FieldStatisticsError as exc:
                raise QgsProcessingException(str(exc)) from None
            except FormInvalid as exc:
                raise QgsProcessingException(problems_message(exc.problems)) from None
        for fid, error in outcome.failed_features[:SHOWN_FAILURES]:
            feedback.pushWarning(tr("Field {fid} failed: {error}").format(fid=fid, error=error))
        return {
            OUTPUT: str(results_path),
            FIELDS: f"{results_path}|layername=fields",
            JOB_ID: outcome.job_id or "",
            FAILED_COUNT: len(outcome.failed_features),
        }

    # --- parameters --------------------------------------------------------------------------------------

    def options(self, parameters, context) -> FieldStatisticsOptions:
        draft = self.draft(
            parameters, context
        )  # evalscript, dates, collection, cloud, mosaicking: as the dock
        text = self.parameterAsString(parameters, PERCENTILES, context).replace(";", ",")
        try:
            percentiles = tuple(float(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise FieldStatisticsError(
                tr("Percentiles are numbers from 0 to 100 separated by commas (got {text}).").format(
                    text=repr(text)
                )
            ) from None
        low, high = (parameters.get(name) for name in (HISTOGRAM_LOW, HISTOGRAM_HIGH))
        return FieldStatisticsOptions(
            evalscript=draft.evalscript,
            time_from=datetime.combine(draft.time_from, time(), timezone.utc),
            time_to=datetime.combine(draft.time_to, time(), timezone.utc),
            collection=draft.collection,
            interval=self.parameterAsString(parameters, INTERVAL, context).strip().upper(),
            last_interval_behavior=self.parameterAsEnumString(parameters, LAST_INTERVAL, context)
            or "SHORTEN",
            resolution=self.parameterAsDouble(parameters, RESOLUTION, context),
            percentiles=percentiles,
            histogram_bins=self.parameterAsInt(parameters, HISTOGRAM_BINS, context),
            histogram_low=None
            if low in (None, "")
            else self.parameterAsDouble(parameters, HISTOGRAM_LOW, context),
            histogram_high=None
            if high in (None, "")
            else self.parameterAsDouble(parameters, HISTOGRAM_HIGH, context),
            max_cloud_coverage=draft.max_cloud_coverage,
            mosaicking_order=draft.mosaicking_order,
        )

    def evalscript(self, parameters, context) -> str:
        """A statistics preset's name (NDVI: the one with dataMask), else as the batch algorithms read it."""
        text = (self.parameterAsString(parameters, EVALSCRIPT, context) or "").strip().casefold()
        for preset in STATISTICS_PRESETS:
            if text == preset.name.casefold() and not self.parameterAsFile(
                parameters, EVALSCRIPT_FILE, context
            ):
                return preset.script
        return super().evalscript(parameters, context)

    def polygons(self, parameters, context, feedback) -> tuple[list[FieldPolygon], str]:
        """The source's polygons copied out of QGIS, numbered by feature id (1, 2… when the ids start at 0),
        and its CRS; a layer of another geometry, without a CRS or with too many features is refused first."""
        source = self.parameterAsSource(parameters, INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, INPUT))
        if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.GeometryType.PolygonGeometry:
            raise FieldStatisticsError(
                tr(
                    "The layer holds {kind} geometries, not polygons: choose a layer of field polygons (lines or points "
                    "can become polygons with Buffer or Polygonize)."
                ).format(kind=QgsWkbTypes.displayString(source.wkbType()))
            )
        crs = source.sourceCrs()
        if not crs.isValid():
            raise FieldStatisticsError(
                tr(
                    "The layer's CRS is unknown, so its features' coordinates cannot be placed: set the layer's CRS "
                    "(Layer Properties → Source), or reproject the layer, then run again."
                )
            )
        if source.featureCount() > MAX_STATISTICAL_FEATURES:
            raise FieldStatisticsError(
                tr(
                    "The layer has {count} features, more than the {limit} one batch statistical job takes: select "
                    "part of them and use “Selected features only”, one part at a time."
                ).format(count=f"{source.featureCount():,}", limit=f"{MAX_STATISTICAL_FEATURES:,}")
            )
        identifier_field = self.parameterAsString(parameters, IDENTIFIER_FIELD, context)
        request = QgsFeatureRequest()
        if not identifier_field:
            request.setNoAttributes()
        features = []
        for feature in source.getFeatures(request):
            if feedback.isCanceled():
                raise QgsProcessingException(tr("Cancelled."))
            geometry = to_shapely(feature.geometry())
            if geometry is None or geometry.is_empty:
                continue
            identifier = str(feature[identifier_field]) if identifier_field else str(feature.id())
            features.append((feature.id(), identifier, shapely.to_wkt(shapely.force_2d(geometry))))
        shift = 1 - min((fid for fid, _, _ in features), default=1)  # a shapefile's ids start at 0
        polygons = [FieldPolygon(fid + max(shift, 0), identifier, wkt) for fid, identifier, wkt in features]
        return polygons, crs.authid() or crs.toWkt()

    def storage(self, parameters, context, cancel) -> Optional[StatisticsStorage]:
        url = self.parameterAsString(parameters, BUCKET, context).strip()
        if not url:
            return None
        if "://" not in url:  # a folder, for a Tilewise engine on this computer
            return StatisticsStorage(Path(url).expanduser().resolve().as_uri())
        access = self.output_access(_Location(url), parameters, context, cancel) or S3Access()
        return StatisticsStorage(url, access)


FIELD_STATISTICS_ALGORITHMS = (FieldStatistics,)
