"""What the Processing Toolbox shows for each algorithm of the "Batch jobs" group (its help panel), by the
algorithm's name: documentation kept apart from the code that declares the parameters. Built when asked, so
that the texts are translated for QGIS's language (the translator is installed by then)."""

from __future__ import annotations

from ..ui.i18n import tr


def help_text(name: str) -> str:
    return _help().get(name, "")


def _help() -> dict[str, str]:
    return {
        "createbatchjob": tr(
            "Creates a Batch API job (not analysed, not started) for the polygons of a layer (only the selected ones "
            "with “Selected features only”), as the Tilewise dock does: the same checks, the same messages. The "
            "deployment's client id and secret come from the Tilewise settings (QGIS's authentication database). "
            "Output location: s3://bucket/folder, or a local folder for a Tilewise engine on this computer. "
            "Outputs the job's id, to feed “Analyse a batch job”."
        ),
        "analysebatchjob": tr(
            "Asks the service to analyse a created job and waits until the analysis is done (ANALYSIS_DONE): outputs "
            "the service's tile count and processing-unit estimate. An analysed job costs nothing until started."
        ),
        "startbatchjob": tr(
            "Starts an analysed (or created) job. With a PU budget, a job whose estimate is above it is not started "
            "(the algorithm fails and says why): analyse it first, so that the service's estimate is known."
        ),
        "waitforbatchjob": tr(
            "Follows a job until it ends (DONE, PARTIAL, FAILED, CANCELED or STOPPED), with its progress. Cancelling "
            "stops the waiting, not the job: the outputs then give the status it had. With a time limit, a job still "
            "running at the limit makes the algorithm fail; with “Fail unless DONE”, so does a job that ends otherwise."
        ),
        "loadbatchoutputs": tr(
            "Lists a job's delivered GeoTIFFs and returns them as layers: one VRT mosaic per output (and UTM zone), "
            "written to the output folder, or one layer per tile (opened in place: /vsis3/ paths for S3, the files for a "
            "folder). Processing adds them to the project when the algorithm ends. S3 outputs are read with the S3 keys "
            "given (a Basic authentication configuration), else with this machine's AWS credentials; a Tilewise "
            "engine's own S3 endpoint is used for its jobs."
        ),
        "previewevalscript": tr(
            "Runs the evalscript once through the deployment's Process API over an extent, as the dock's preview: a "
            "GeoTIFF of one output, in the extent's CRS (lon/lat for EPSG:4326), at most 2500 pixels a side."
        ),
    }
