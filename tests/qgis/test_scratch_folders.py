"""The temporary folders of a session are removed when the plugin unloads, except those a layer still reads
from while QGIS stays open or a saved project points to (core/scratch_folders.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import gdal
from qgis.core import QgsProject, QgsRasterLayer

from tilewise.core import scratch_folders
from tilewise.core.scratch_folders import made_this_session, remove_for_project, session_folder


def raster_in(folder: Path) -> Path:
    path = folder / "tile.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 4, 4, 1)
    dataset.SetGeoTransform((0, 1, 0, 0, 0, -1))
    dataset = None
    return path


@pytest.fixture
def project(qgis_app):
    made = QgsProject()
    yield made
    made.clear()


@pytest.fixture(autouse=True)
def only_this_tests_folders(monkeypatch):
    monkeypatch.setattr(scratch_folders, "_made", [])


def two_folders(project: QgsProject) -> tuple[Path, Path]:
    used, unused = session_folder("tilewise-previews-"), session_folder("tilewise-jobs-")
    layer = QgsRasterLayer(str(raster_in(used)), "preview", "gdal")
    assert layer.isValid()
    project.addMapLayer(layer)
    (unused / "job-x.gpkg").write_bytes(b"no layer reads this")
    return used, unused


def test_unloading_keeps_a_folder_a_layer_still_reads_and_removes_the_rest(project):
    used, unused = two_folders(project)
    assert remove_for_project(project, closing=False) == [unused]
    assert used.is_dir() and not unused.exists() and made_this_session() == [used]


def test_closing_qgis_removes_the_folders_of_an_unsaved_project(project):
    used, unused = two_folders(project)
    assert sorted(remove_for_project(project, closing=True)) == sorted([used, unused])
    assert not used.exists() and not unused.exists()


def test_closing_qgis_keeps_what_a_saved_project_points_to(project, tmp_path):
    used, unused = two_folders(project)
    assert project.write(str(tmp_path / "saved.qgz"))
    assert remove_for_project(project, closing=True) == [unused]
    assert used.is_dir()


def test_folders_of_other_sessions_are_never_touched(project, tmp_path, monkeypatch):
    other = tmp_path / "tilewise-jobs-of-another-qgis"
    other.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    mine = session_folder("tilewise-jobs-")
    assert mine.parent == tmp_path
    assert remove_for_project(project, closing=True) == [mine]
    assert other.is_dir()
