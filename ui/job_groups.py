"""Each job's layer-tree group, shared by its tile layer and its outputs: found by the job id it carries (so a
group the user renamed is kept), else created at the top of the tree."""

from __future__ import annotations

from typing import Optional

from qgis.core import QgsLayerTreeGroup, QgsProject

from ..core.jobs import BatchJob
from .i18n import tr

JOB_PROPERTY = "tilewise/job_id"  # on the job's group and on every layer of the job


def job_group_name(job: BatchJob) -> str:
    name = tr("Tilewise job {id}").format(id=job.id[:8])
    return f"{name} — {job.description}" if job.description else name


def job_group(job: BatchJob, project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    root = (project or QgsProject.instance()).layerTreeRoot()
    for group in root.findGroups(True):
        if str(group.customProperty(JOB_PROPERTY) or "") == job.id:
            return group
    group = root.findGroup(job_group_name(job)) or root.insertGroup(0, job_group_name(job))
    group.setCustomProperty(JOB_PROPERTY, job.id)
    return group
