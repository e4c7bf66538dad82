"""The Tilewise Processing provider: batch jobs from the Toolbox, the Graphical Modeler, `processing.run` and
`qgis_process` (algorithms `tilewise:createbatchjob`, `analysebatchjob`, `startbatchjob`, `waitforbatchjob`,
`loadbatchoutputs`, `previewevalscript`)."""

from __future__ import annotations

from .provider import PROVIDER_ID, TilewiseProvider

__all__ = ["PROVIDER_ID", "TilewiseProvider"]
