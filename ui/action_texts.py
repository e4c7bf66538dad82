"""The Jobs tab's action buttons in QGIS's language. core/job_actions.py names them in English (core/ has no
Qt); each of its texts is repeated here as a tr() literal, so that scripts/i18n.py extracts it, and looked up
when shown. A text core/ adds later shows in English until it is added here (a test says so)."""

from __future__ import annotations

from ..core.job_actions import Action, ActionText, label_of
from .i18n import tr


def action_text(action: Action, api_version: int) -> ActionText:
    """The button's text and tooltip for the job's API version, translated."""
    english = label_of(action, api_version)
    known = translated_texts()
    return ActionText(known.get(english.label, english.label), known.get(english.tooltip, english.tooltip))


def translated_texts() -> dict[str, str]:
    """{core's English text: its translation}."""
    return {
        "Show tiles": tr("Show tiles"),
        "Show the job's tiles on the map, coloured by status, and follow them while it runs.": tr(
            "Show the job's tiles on the map, coloured by status, and follow them while it runs."
        ),
        "Start": tr("Start"),
        "Start processing (a STOPPED v2 job carries on with its unfinished tiles). Spends processing units.": tr(
            "Start processing (a STOPPED v2 job carries on with its unfinished tiles). Spends processing units."
        ),
        "Stop": tr("Stop"),
        "Stop the job: tiles already running finish and count; start it again later to carry on.": tr(
            "Stop the job: tiles already running finish and count; start it again later to carry on."
        ),
        "Cancel": tr("Cancel"),
        "Cancel the job: running and delivered tiles are charged, the rest are not processed. A cancelled v1 job "
        "cannot go on.": tr(
            "Cancel the job: running and delivered tiles are charged, the rest are not processed. A cancelled v1 "
            "job cannot go on."
        ),
        "Restart failed": tr("Restart failed"),
        "Process the FAILED tiles of a PARTIAL job again (restartpartial). Spends PU.": tr(
            "Process the FAILED tiles of a PARTIAL job again (restartpartial). Spends PU."
        ),
        "Delete": tr("Delete"),
        "Delete the job on the service; its outputs stay in the bucket.": tr(
            "Delete the job on the service; its outputs stay in the bucket."
        ),
        "Open outputs": tr("Open outputs", "a button of the Jobs tab, next to Delete and Open as mosaic"),
        "Add each delivered GeoTIFF as a raster layer, grouped per output (opened in place).": tr(
            "Add each delivered GeoTIFF as a raster layer, grouped per output (opened in place)."
        ),
        "Open as mosaic": tr("Open as mosaic"),
        "One virtual mosaic (VRT) per output and CRS of the delivered tiles.": tr(
            "One virtual mosaic (VRT) per output and CRS of the delivered tiles."
        ),
        "Download…": tr("Download…"),
        "Copy the delivered GeoTIFFs to a local folder.": tr(
            "Copy the delivered GeoTIFFs to a local folder."
        ),
    }
