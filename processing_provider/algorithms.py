"""The six algorithms of the "Batch jobs" group. Each takes the deployment and API version, and (but for create and
preview) a JOB_ID, and outputs JOB_ID again, so that in the Graphical Modeler create → analyse → start → wait →
load outputs chain through it."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Optional

import shapely
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsProject,
)

from ..core import submission
from ..core.area import AreaError
from ..core.batch_models import TilingGridSpec
from ..core.client import ANALYSING_STATUSES
from ..core.connections import is_local_engine
from ..core.job_actions import Action, why_not
from ..core.job_form import (
    MAX_PREVIEW_PIXELS,
    FieldProblem,
    FormInvalid,
    check_draft,
    preview_request,
)
from ..core.jobs import BatchJob
from ..core.monitor import JobWatcher, bucket_tiles
from ..core.mosaics import build_mosaics
from ..core.outputs import gdal_source, prepare_outputs
from ..core.qgis_geometry import to_shapely
from ..core.statuses import V2, RequestStatus
from ..core.storage import StorageError
from ..core.tile_status import FINISHED, FeatureStatus, TileStatus
from ..ui.i18n import tr
from .common import JOB_ID, TilewiseAlgorithm, boolean, service_calls

POLL_S = 1.0
WAIT_MAX_INTERVAL_S = 5.0


def job_json(job: BatchJob) -> str:
    return json.dumps(
        {
            "id": job.id,
            "apiVersion": f"v{job.api_version}",
            "deployment": job.deployment,
            "status": job.status,
            "description": job.description,
            "created": job.created,
            "tileCount": job.tile_count,
            "valueEstimate": job.value_estimate,
            "costPU": job.cost_pu,
            "completion": job.completion,
            "error": job.error,
            "outputUrl": job.output_url,
            "request": job.request_body,
        }
    )


class JobAlgorithm(TilewiseAlgorithm):
    """An algorithm on an existing job: DEPLOYMENT, API_VERSION, JOB_ID in; JOB_ID, STATUS, JOB_JSON out."""

    def init_job_parameters(self) -> None:
        self.add_connection_parameters()
        self.addParameter(QgsProcessingParameterString(JOB_ID, tr("Batch job id")))
        self.addOutput(QgsProcessingOutputString(JOB_ID, tr("Batch job id")))
        self.addOutput(QgsProcessingOutputString("STATUS", tr("Job status")))
        self.addOutput(QgsProcessingOutputString("JOB_JSON", tr("The job (JSON)")))

    def job_id(self, parameters, context) -> str:
        job_id = self.parameterAsString(parameters, JOB_ID, context).strip()
        if not job_id:
            raise QgsProcessingException(
                tr("Give the batch job's id (JOB_ID): the output of “Create a batch job”.")
            )
        return job_id

    @staticmethod
    def results(job: BatchJob, **extra) -> dict:
        return {JOB_ID: job.id, "STATUS": job.status, "JOB_JSON": job_json(job), **extra}


# === create =============================================================================================


class CreateBatchJob(TilewiseAlgorithm):
    NAME = "createbatchjob"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Create a batch job")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.add_connection_parameters()
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "INPUT", tr("Area of interest (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon]
            )
        )
        self.add_script_parameters()
        self.add_data_parameters()
        grid = QgsProcessingParameterNumber(
            "GRID", tr("Tiling grid id (0: UTM 20 km, 1: UTM 10 km, 2: UTM 100 km, 3: WGS84 1°, 6: LAEA 100 km, "
                            "7: LAEA 20 km)"), QgsProcessingParameterNumber.Type.Integer, 1)  # fmt: skip
        self.addParameter(grid)
        self.addParameter(
            QgsProcessingParameterNumber(
                "RESOLUTION",
                tr("Resolution (grid units)"),
                QgsProcessingParameterNumber.Type.Double,
                10.0,
            )
        )
        for name, label in (
            ("BUFFER_X", tr("Tile buffer X (pixels)")),
            ("BUFFER_Y", tr("Tile buffer Y (pixels)")),
        ):
            buffer = QgsProcessingParameterNumber(
                name,
                label,
                QgsProcessingParameterNumber.Type.Integer,
                0,
            )
            buffer.setFlags(buffer.flags() | buffer.FlagAdvanced)
            self.addParameter(buffer)
        self.addParameter(
            QgsProcessingParameterString(
                "OUTPUT_URL",
                tr("Output location (s3://bucket/folder, or a folder for a local Tilewise engine)"),
            )
        )
        self.addParameter(boolean("COG", tr("Cloud-optimised GeoTIFFs")))
        self.addParameter(boolean("OVERWRITE", tr("Overwrite existing outputs"), advanced=True))
        self.addParameter(boolean("SKIP_EXISTING", tr("Skip tiles whose outputs exist"), advanced=True))
        self.addParameter(QgsProcessingParameterString("DESCRIPTION", tr("Description"), optional=True))
        self.add_s3_parameters()
        self.addOutput(QgsProcessingOutputString(JOB_ID, tr("Batch job id")))
        self.addOutput(QgsProcessingOutputString("STATUS", tr("Job status")))
        self.addOutput(QgsProcessingOutputString("JOB_JSON", tr("The job (JSON)")))
        self.addOutput(QgsProcessingOutputNumber("TILE_COUNT", tr("Tiles (Tilewise's count)")))
        self.addOutput(
            QgsProcessingOutputNumber("ESTIMATED_PU", tr("Processing units (Tilewise's estimate)"))
        )

    def output_url(self, parameters, context) -> str:
        url = self.parameterAsString(parameters, "OUTPUT_URL", context).strip()
        if url and "://" not in url:  # a folder, as the dock's folder picker gives it
            return Path(url).expanduser().resolve().as_uri()
        return url

    def process(self, parameters, context, feedback) -> dict:
        client = self.need_client()
        with service_calls(feedback) as cancel:
            problems: list[FieldProblem] = []
            grid = TilingGridSpec(
                self.parameterAsInt(parameters, "GRID", context),
                self.parameterAsDouble(parameters, "RESOLUTION", context),
                self.parameterAsInt(parameters, "BUFFER_X", context),
                self.parameterAsInt(parameters, "BUFFER_Y", context),
            )
            access_key, secret_key = self.s3_keys
            draft = None
            try:
                draft = self.draft(
                    parameters,
                    context,
                    grid=grid,
                    output_url=self.output_url(parameters, context),
                    cog=self.parameterAsBool(parameters, "COG", context),
                    overwrite=self.parameterAsBool(parameters, "OVERWRITE", context),
                    skip_existing=self.parameterAsBool(parameters, "SKIP_EXISTING", context),
                    description=self.parameterAsString(parameters, "DESCRIPTION", context),
                    s3_access_key=access_key or "",
                    s3_secret_key=secret_key or "",
                    s3_region=self.parameterAsString(parameters, "S3_REGION", context),
                )
            except FormInvalid as exc:
                problems.extend(exc.problems)
            geometries, crs = [], ""
            try:
                geometries, crs = self.area(parameters, context, feedback)
            except AreaError as exc:
                problems.append(FieldProblem("area", str(exc)))
            engine = is_local_engine(client.deployment)
            prepared = submission.prepare(
                draft, geometries, crs, client.api_version, engine, problems=problems, grid=grid
            )
            for warning in (*prepared.area.warnings, *prepared.selection.warnings):
                feedback.pushWarning(warning)
            feedback.pushInfo(
                tr(
                    "{tiles} tiles of grid {grid}; about {pu} PU. Creating the job on {deployment} "
                    "(Batch API v{version})…"
                ).format(
                    tiles=f"{len(prepared.selection):,}",
                    grid=grid.id,
                    pu=f"{prepared.estimate.value_estimate:,.1f}",
                    deployment=client.deployment.name,
                    version=client.api_version,
                )
            )
            job = submission.create(client, prepared, cancel)
            feedback.pushInfo(tr("Created batch job {id} ({status}).").format(id=job.id, status=job.status))
        return {
            JOB_ID: job.id,
            "STATUS": job.status,
            "JOB_JSON": job_json(job),
            "TILE_COUNT": len(prepared.selection),
            "ESTIMATED_PU": prepared.estimate.value_estimate,
        }

    def area(self, parameters, context, feedback) -> tuple[list[Optional[shapely.Geometry]], str]:
        """The source's polygons, copied out of QGIS, and its CRS."""
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, "INPUT"))
        request = QgsFeatureRequest().setNoAttributes()
        geometries: list[Optional[shapely.Geometry]] = []
        for feature in source.getFeatures(request):
            if feedback.isCanceled():
                raise QgsProcessingException(tr("Cancelled."))
            geometries.append(to_shapely(feature.geometry()))
        if not geometries:
            raise AreaError(tr("The layer has no features (or none is selected): give at least one polygon."))
        crs = source.sourceCrs()
        if not crs.isValid():
            raise AreaError(tr("The layer has no valid CRS: set its CRS in Layer Properties."))
        return geometries, crs.authid() or crs.toWkt()


# === analyse ============================================================================================


class AnalyseBatchJob(JobAlgorithm):
    NAME = "analysebatchjob"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Analyse a batch job")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.init_job_parameters()
        self.addOutput(QgsProcessingOutputNumber("TILE_COUNT", tr("Tiles (the service's)")))
        self.addOutput(
            QgsProcessingOutputNumber("ESTIMATED_PU", tr("Processing units (the service's estimate)"))
        )

    def process(self, parameters, context, feedback) -> dict:
        client = self.need_client()
        job_id = self.job_id(parameters, context)
        with service_calls(feedback) as cancel:
            job = client.get(job_id, cancel)
            if job.status == "CREATED":
                feedback.pushInfo(tr("Analysing job {id}…").format(id=job_id))
            job = submission.analyse(client, job, cancel, poll_s=POLL_S)
            if job.status in ANALYSING_STATUSES and cancel.is_set():
                raise QgsProcessingException(
                    tr("Cancelled: job {id} is still {status} (the analysis goes on on the service).").format(
                        id=job_id, status=job.status
                    )
                )
        if job.status == "FAILED" or (job.status in ("CANCELED", "STOPPED") and job.tile_count is None):
            raise QgsProcessingException(
                tr("The analysis of job {id} ended {status}: {reason}").format(
                    id=job_id, status=job.status, reason=job.error or tr("no reason given")
                )
            )
        if job.status != RequestStatus.ANALYSIS_DONE:
            feedback.pushInfo(
                tr("Job {id} is already past its analysis: {status}.").format(id=job_id, status=job.status)
            )
        estimate = job.value_estimate
        feedback.pushInfo(
            (
                tr("Job {id}: {tiles} tiles, {pu} PU by the service's estimate.")
                if estimate is not None
                else tr("Job {id}: {tiles} tiles.")
            ).format(
                id=job_id,
                tiles=job.tile_count if job.tile_count is not None else "?",
                pu=f"{estimate:,.1f}" if estimate is not None else "",
            )
        )
        return self.results(job, TILE_COUNT=job.tile_count, ESTIMATED_PU=estimate)


# === start ==============================================================================================


class StartBatchJob(JobAlgorithm):
    NAME = "startbatchjob"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Start a batch job")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.init_job_parameters()
        budget = QgsProcessingParameterNumber(
            "BUDGET_PU",
            tr("PU budget (0: no limit)"),
            QgsProcessingParameterNumber.Type.Double,
            0.0,
            True,
            0.0,
        )
        self.addParameter(budget)

    def process(self, parameters, context, feedback) -> dict:
        client = self.need_client()
        job_id = self.job_id(parameters, context)
        budget = self.parameterAsDouble(parameters, "BUDGET_PU", context) or 0.0
        with service_calls(feedback) as cancel:
            job = client.get(job_id, cancel)
            reason = why_not(job, Action.START)
            if reason:
                raise QgsProcessingException(
                    tr("Job {id} cannot be started: {reason}").format(id=job_id, reason=reason)
                )
            if budget > 0:
                if job.value_estimate is None:
                    raise QgsProcessingException(
                        tr(
                            "Job {id} has no processing-unit estimate ({status}) to check against the budget of "
                            "{budget} PU: analyse it first, or give no budget."
                        ).format(id=job_id, status=job.status, budget=f"{budget:,.0f}")
                    )
                if job.value_estimate > budget:
                    raise QgsProcessingException(
                        tr(
                            "Job {id} is expected to cost {pu} PU, more than the budget of {budget} PU: it was not "
                            "started. Raise the budget or make the job smaller."
                        ).format(id=job_id, pu=f"{job.value_estimate:,.1f}", budget=f"{budget:,.0f}")
                    )
            client.start(job_id, cancel)
            job = client.get(job_id, cancel)
        feedback.pushInfo(tr("Job {id} started ({status}).").format(id=job_id, status=job.status))
        return self.results(job)


# === wait ===============================================================================================


class WaitForBatchJob(JobAlgorithm):
    NAME = "waitforbatchjob"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Wait for a batch job")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.init_job_parameters()
        self.addParameter(
            QgsProcessingParameterNumber(
                "TIMEOUT",
                tr("Time limit (seconds, 0: none)"),
                QgsProcessingParameterNumber.Type.Double,
                0.0,
                True,
                0.0,
            )  # fmt: skip
        )
        self.addParameter(boolean("REQUIRE_DONE", tr("Fail unless the job ends DONE")))
        self.add_s3_parameters()
        self.addOutput(QgsProcessingOutputNumber("DONE", tr("Tiles done")))
        self.addOutput(QgsProcessingOutputNumber("FAILED", tr("Tiles failed")))
        self.addOutput(QgsProcessingOutputNumber("TILE_COUNT", tr("Tiles")))

    def process(self, parameters, context, feedback) -> dict:
        client = self.need_client()
        job_id = self.job_id(parameters, context)
        timeout = self.parameterAsDouble(parameters, "TIMEOUT", context) or 0.0
        started = time.monotonic()
        with service_calls(feedback) as cancel:
            v2_tiles = None
            if client.api_version == V2:
                job = client.get(job_id, cancel)
                access = self.output_access(job, parameters, context, cancel)
                if access is not None or (job.output_url or "").startswith("file://"):
                    v2_tiles = self.v2_reader(access)
            watcher = JobWatcher(client, job_id, v2_tiles, POLL_S, WAIT_MAX_INTERVAL_S)
            last_status = None
            while True:
                update = watcher.poll(cancel)
                job = update.job
                done, failed, total = counts(watcher, job)
                if job.status != last_status:
                    feedback.pushInfo(tr("Job {id}: {status}").format(id=job_id, status=job.status))
                    last_status = job.status
                if total:
                    feedback.setProgress(100.0 * (done + failed) / total)
                elif job.completion is not None:
                    feedback.setProgress(job.completion)
                feedback.setProgressText(
                    tr("{status}: {done} of {total} tiles done, {failed} failed").format(
                        status=job.status, done=done, total=total or "?", failed=failed
                    )
                )
                if job.is_terminal:
                    break
                if timeout and time.monotonic() - started > timeout:
                    raise QgsProcessingException(
                        tr(
                            "Job {id} is still {status} after {seconds} s ({done} of {total} tiles done): it goes "
                            "on on the service; wait for it again later."
                        ).format(
                            id=job_id,
                            status=job.status,
                            seconds=f"{timeout:,.0f}",
                            done=done,
                            total=total or "?",
                        )
                    )
                if cancel.wait(watcher.interval_s):
                    feedback.pushWarning(
                        tr(
                            "Stopped waiting for job {id} ({status}): the job itself goes on on the service."
                        ).format(id=job_id, status=job.status)
                    )
                    break
        if job.status == "DONE" and total:
            feedback.setProgress(100.0)
        if job.error:
            feedback.reportError(tr("Job {id}: {error}").format(id=job_id, error=job.error), False)
        if (
            self.parameterAsBool(parameters, "REQUIRE_DONE", context)
            and job.status != "DONE"
            and job.is_terminal
        ):
            raise QgsProcessingException(
                (
                    tr("Job {id} ended {status} ({done} tiles done, {failed} failed): {error}")
                    if job.error
                    else tr("Job {id} ended {status} ({done} tiles done, {failed} failed).")
                ).format(id=job_id, status=job.status, done=done, failed=failed, error=job.error)
            )
        return self.results(job, DONE=done, FAILED=failed, TILE_COUNT=total or job.tile_count)

    @staticmethod
    def v2_reader(access):
        import tempfile

        from ..core.storage import S3Access

        scratch = Path(tempfile.mkdtemp(prefix="tilewise-wait-"))
        read = bucket_tiles(access or S3Access(), scratch)

        def tolerant(job, cancel):
            try:
                return read(job, cancel)
            except (StorageError, OSError, ValueError):  # the artefacts are not there yet, or not readable
                return []

        return tolerant


def counts(watcher: JobWatcher, job: BatchJob) -> tuple[int, int, int]:
    """(done, failed, total) tiles from what the watcher knows (v1 tiles, v2 features), else from the job."""
    statuses = list(watcher.statuses.values())
    total = len(statuses) or (job.tile_count or 0)
    if statuses:
        done = sum(1 for s in statuses if s in FINISHED)
        failed = sum(1 for s in statuses if s in (TileStatus.FAILED, FeatureStatus.FATAL))
        return done, failed, total
    if job.status == "DONE":
        return total, 0, total
    if job.completion is not None and total:
        return int(total * job.completion / 100.0), 0, total
    return 0, 0, total


# === load outputs =======================================================================================


MOSAIC, TILES = 0, 1


class LoadBatchOutputs(JobAlgorithm):
    NAME = "loadbatchoutputs"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Load batch job outputs")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.init_job_parameters()
        self.addParameter(
            QgsProcessingParameterEnum(
                "MODE",
                tr("Layers"),
                [tr("A VRT mosaic per output"), tr("A layer per tile")],
                False,
                MOSAIC,
            )  # fmt: skip
        )
        self.addParameter(boolean("LOAD", tr("Add the layers to the project"), True))
        self.add_s3_parameters()
        self.addParameter(
            QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", tr("Folder for the mosaics (VRT)"))
        )
        self.addOutput(QgsProcessingOutputMultipleLayers("OUTPUT_LAYERS", tr("Output layers")))
        self.addOutput(QgsProcessingOutputNumber("LAYER_COUNT", tr("Layers")))
        self.addOutput(QgsProcessingOutputString("PROBLEMS", tr("Files left out, and why")))

    def process(self, parameters, context, feedback) -> dict:
        client = self.need_client()
        job_id = self.job_id(parameters, context)
        mode = self.parameterAsEnum(parameters, "MODE", context)
        folder = Path(self.parameterAsString(parameters, "OUTPUT_FOLDER", context))
        with service_calls(feedback) as cancel:
            job = client.get(job_id, cancel)
            if not job.is_terminal and job.status != "PROCESSING":
                raise QgsProcessingException(
                    tr("Job {id} is {status}: it has no outputs yet. Start it, and wait for it.").format(
                        id=job_id, status=job.status
                    )
                )
            access = self.output_access(job, parameters, context, cancel)
            tiles = list(client.tiles(job_id, cancel=cancel)) if client.api_version != V2 else []
            feedback.pushInfo(
                tr("Listing the outputs of job {id} at {url}…").format(id=job_id, url=job.output_url)
            )
            outputs = prepare_outputs(access, job, tiles, cancel)
            feedback.setProgress(50)
            problems = list(outputs.problems)
            layers: list[tuple[str, str, object, object]] = []  # (source, name, raster, ranges)
            if mode == MOSAIC:
                mosaics = build_mosaics(outputs, folder, access, cancel=cancel)
                problems += mosaics.problems
                for mosaic in mosaics:
                    name = tr("{output} mosaic (EPSG:{epsg}) {id}").format(
                        output=mosaic.output_id, epsg=mosaic.epsg, id=job_id[:8]
                    )
                    layers.append((str(mosaic.path), name, mosaic.raster, None))
            else:
                from ..core.outputs import merged_ranges

                for output in sorted(outputs, key=lambda o: (o.output_id, o.tile_name)):
                    ranges = merged_ranges(
                        o.raster for o in outputs if o.output_id == output.output_id and o.raster is not None
                    )
                    name = f"{output.output_id} {output.tile_name}"
                    layers.append((gdal_source(access, output.url), name, output.raster, ranges or None))
        for problem in problems:
            feedback.reportError(problem, False)
        if outputs.cancelled or feedback.isCanceled():
            raise QgsProcessingException(tr("Cancelled."))
        if not layers:
            raise QgsProcessingException(
                (
                    tr("Job {id} ({status}) has no output that can be opened: {problems}")
                    if problems
                    else tr("Job {id} ({status}) has no output that can be opened at {url}.")
                ).format(id=job_id, status=job.status, problems=" ".join(problems), url=job.output_url)
            )
        if self.parameterAsBool(parameters, "LOAD", context):
            self.load_on_completion(layers, context, feedback)
        feedback.setProgress(100)
        feedback.pushInfo(
            tr("%Ln layer(s): {names}", None, len(layers)).format(
                names=", ".join(name for _, name, _, _ in layers)
            )
        )
        return self.results(
            job,
            OUTPUT_LAYERS=[source for source, _, _, _ in layers],
            LAYER_COUNT=len(layers),
            PROBLEMS="\n".join(problems),
            OUTPUT_FOLDER=str(folder),
        )

    @staticmethod
    def load_on_completion(layers, context, feedback) -> None:
        """Layers made here, styled as the dock styles outputs (no pixel read when the outputs were described), in
        the context's temporary store: Processing adds them to the project when the algorithm ends, on the main
        thread. (QGIS 3.22 loads layers "on completion" from strings only when they are files: /vsis3/ paths
        would be refused.)"""
        from ..ui.output_layers import open_raster_layer

        project = context.project() or QgsProject.instance()
        for source, name, raster, ranges in layers:
            layer = open_raster_layer(source, name, raster, ranges)
            if not layer.isValid():
                feedback.reportError(
                    tr("{name}: QGIS cannot open {source}.").format(name=name, source=source), False
                )
                continue
            context.temporaryLayerStore().addMapLayer(layer)
            details = QgsProcessingContext.LayerDetails(
                name, project, "OUTPUT_LAYERS", QgsProcessingUtils.LayerHint.Raster
            )
            context.addLayerToLoadOnCompletion(layer.id(), details)


# === preview ============================================================================================


class PreviewEvalscript(TilewiseAlgorithm):
    NAME = "previewevalscript"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Preview an evalscript (Process API)")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS API)
        self.add_connection_parameters()
        self.addParameter(QgsProcessingParameterExtent("EXTENT", tr("Extent")))
        self.add_script_parameters()
        self.add_data_parameters()
        self.addParameter(
            QgsProcessingParameterNumber(
                "WIDTH",
                tr("Width (pixels; the height follows the extent)"),
                QgsProcessingParameterNumber.Type.Integer,
                512,
                False,
                1,
                MAX_PREVIEW_PIXELS,
            )  # fmt: skip
        )
        self.addParameter(
            QgsProcessingParameterString(
                "OUTPUT_ID", tr("Output of the script (default: its first)"), optional=True
            )
        )
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", tr("Preview")))

    def process(self, parameters, context, feedback) -> dict:
        client = self.need_client()
        target = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        with service_calls(feedback) as cancel:
            bbox, epsg, width, height = self.box(parameters, context)
            draft = self.draft(parameters, context)
            info = check_draft(
                draft, client.api_version, is_local_engine(client.deployment), need_output=False
            )
            output_id = self.parameterAsString(parameters, "OUTPUT_ID", context).strip() or None
            request = preview_request(draft, info, bbox, epsg, width, height, output_id)
            feedback.pushInfo(
                tr("Previewing on {deployment}: {width} × {height} px, {crs} {bbox}").format(
                    deployment=client.deployment.name,
                    width=request.width,
                    height=request.height,
                    crs="EPSG:" + str(epsg) if epsg else "lon/lat",
                    bbox=bbox,
                )
            )
            preview = client.preview(request, cancel)
        write_raster(preview.content, Path(target))
        return {"OUTPUT": target}

    def box(self, parameters, context):
        crs = self.parameterAsExtentCrs(parameters, "EXTENT", context)
        if not crs.isValid():
            crs = context.project().crs() if context.project() else QgsCoordinateReferenceSystem()
        if not crs.isValid():
            crs = QgsCoordinateReferenceSystem("EPSG:4326")
        authid = crs.authid().upper()
        if not authid.startswith("EPSG:") or not authid[5:].isdigit():
            wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
            rectangle = self.parameterAsExtent(parameters, "EXTENT", context, wgs84)
            epsg = None
        else:
            rectangle = self.parameterAsExtent(parameters, "EXTENT", context, crs)
            epsg = None if authid == "EPSG:4326" else int(authid[5:])
        if rectangle.isNull() or rectangle.isEmpty():
            raise FormInvalid(
                [FieldProblem("area", tr("The preview extent is empty: give an extent with an area."))]
            )
        width = self.parameterAsInt(parameters, "WIDTH", context)
        height = max(1, round(width * rectangle.height() / rectangle.width()))
        if not math.isfinite(height):
            raise FormInvalid([FieldProblem("area", tr("The preview extent is not valid."))])
        bbox = (rectangle.xMinimum(), rectangle.yMinimum(), rectangle.xMaximum(), rectangle.yMaximum())
        return bbox, epsg, width, height


def write_raster(content: bytes, target: Path) -> None:
    """The Process API's GeoTIFF to `target`: as it came for .tif, else converted by GDAL to the file's format."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() in (".tif", ".tiff"):
        target.write_bytes(content)
        return
    from osgeo import gdal

    memory = f"/vsimem/tilewise-preview-{id(content)}.tif"
    gdal.FileFromMemBuffer(memory, content)
    try:
        result = gdal.Translate(str(target), memory)
        if result is None:
            raise QgsProcessingException(
                tr("GDAL could not write the preview to {target}: {error}").format(
                    target=target, error=gdal.GetLastErrorMsg()
                )
            )
        result = None
    finally:
        gdal.Unlink(memory)


ALGORITHMS = (
    CreateBatchJob,
    AnalyseBatchJob,
    StartBatchJob,
    WaitForBatchJob,
    LoadBatchOutputs,
    PreviewEvalscript,
)

__all__ = ["ALGORITHMS", *(a.__name__ for a in ALGORITHMS)]
