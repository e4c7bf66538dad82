"""A job's tile layer and its outputs share one layer-tree group, found again by the job id it carries."""

from __future__ import annotations

from tilewise.core.jobs import BatchJob, Tile
from tilewise.core.statuses import V1
from tilewise.ui.job_groups import JOB_PROPERTY, job_group
from tilewise.ui.job_tile_layer import JobTileLayer
from tilewise.ui.output_layers import output_group


def test_tiles_and_outputs_of_a_job_land_in_one_group_even_after_a_rename(qgis_new_project, tmp_path):
    from qgis.core import QgsProject

    job = BatchJob("0123456789abcdef", V1, "local-engine", "ANALYSIS_DONE", description="fields")
    square = {"type": "Polygon", "coordinates": [[[300000, 3990000], [310000, 3990000], [310000, 4000000],
                                                  [300000, 4000000], [300000, 3990000]]]}  # fmt: skip
    tiles = JobTileLayer.create(job, [Tile(1, "11SKV_9_0", "PENDING", 32611, square)], tmp_path)
    group = job_group(job)
    assert group.name() == "Tilewise job 01234567 — fields" and group.customProperty(JOB_PROPERTY) == job.id
    assert group.findLayer(tiles.layer.id()) is not None
    group.setName("my fields")  # the user renames it
    assert output_group(job, "default").parent().parent() is group
    root = QgsProject.instance().layerTreeRoot()
    assert [g for g in root.findGroups(True) if g.customProperty(JOB_PROPERTY) == job.id] == [group]
