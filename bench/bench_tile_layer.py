"""Plugin benchmark: a job's tile layer (ui/job_tile_layer.py) with 10,000 tiles, in a headless QGIS.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_tile_layer.py

Tiles as the v1 tile endpoint gives them: 10 km UTM squares (GeoJSON in their own CRS), 90% in zone 11N and
10% in 12N. Every figure is main-thread time.

1. create: 10,000 Tiles -> footprints in EPSG:4326 -> GeoPackage written -> layer opened, styled and added
   to its group (target: the layer shown in under 2 s after analysis); then one render of the whole layer;
2. apply: a status update touching all 10,000 tiles, and one touching 500 (target < 100 ms), and a full
   listing in which nothing changed (the comparison alone);
3. find: the layer recognised in a project read again (its state read back from the GeoPackage);
4. why the table has no R-tree: one bare `changeAttributeValues` of 10,000 features on a memory layer, on
   the GeoPackage without R-tree (the layer's) and on the same with one;
5. peak memory: the growth of the process's peak RSS over 1-3, and the Python allocations of one create.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings, QgsProject  # noqa: E402
from qgis.PyQt.QtCore import QSize  # noqa: E402

APP = QgsApplication([], False)
APP.initQgis()

from tilewise.core.jobs import BatchJob, Tile  # noqa: E402
from tilewise.core.statuses import V1  # noqa: E402
from tilewise.ui import job_tile_layer  # noqa: E402
from tilewise.ui.job_tile_layer import JobTileLayer, footprints_wkb  # noqa: E402

COUNT = 10_000
PARTIAL = 500
RUNS = 20
STATUSES = ("SCHEDULED", "QUEUED", "PROCESSING", "PROCESSED")


def tiles(count: int) -> list[Tile]:
    result = []
    for i in range(count):
        epsg = 32611 if i % 10 else 32612
        x0, y0 = 200_000 + 10_000 * (i % 100), 3_500_000 + 10_000 * (i // 100)
        ring = [[x0, y0], [x0 + 10_000, y0], [x0 + 10_000, y0 + 10_000], [x0, y0 + 10_000], [x0, y0]]
        result.append(
            Tile(
                1_000_000 + i,
                f"T{i:05d}",
                "PENDING",
                epsg,
                {"type": "Polygon", "coordinates": [ring]},
                None,
                0.0,
            )
        )
    return result


def job(number: int) -> BatchJob:
    return BatchJob(
        f"bench-{number:04d}-0000-4000-8000-000000000000", V1, "bench", "ANALYSIS_DONE", description="bench"
    )


def with_status(tile: Tile, status: str, failure=None, cost=None) -> Tile:
    return Tile(tile.id, tile.name, status, tile.epsg, tile.footprint, failure, cost)


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms" if seconds >= 0.01 else f"{1000 * seconds:.1f} ms"


def spread(times: list[float]) -> str:
    return f"median {ms(statistics.median(times))}, best {ms(min(times))}, worst {ms(max(times))}"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render(layer) -> float:
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(1200, 900))
    start = time.perf_counter()
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return time.perf_counter() - start


def main() -> None:
    project = QgsProject.instance()
    rows: list[tuple[str, str, str]] = []
    source = tiles(COUNT)
    rss_start = peak_rss_mib()
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-layer-") as tmp:
        folder = Path(tmp) / "tilewise"

        # 1. create (a new job each time: a file of its own), and the parts of it
        footprints = [_timed(lambda: footprints_wkb(source)) for _ in range(3)]
        creates = []
        for number in range(5):
            start = time.perf_counter()
            layer = JobTileLayer.create(job(number), source, folder, project)
            creates.append(time.perf_counter() - start)
            assert layer.layer.featureCount() == COUNT
            if number < 4:
                project.removeMapLayer(layer.layer.id())
        size = layer.path.stat().st_size / 1e6
        rows.append(
            ("create: 10,000 Tiles -> GeoPackage -> styled layer in its group", spread(creates), "< 2 s")
        )
        rows.append(("  of which footprints to EPSG:4326 (osr, shapely)", spread(footprints), ""))
        rows.append(("  GeoPackage size", f"{size:.1f} MB", ""))
        rows.append(("first render of the whole layer, 1200 x 900 px", ms(render(layer.layer)), ""))

        # 2. apply
        full, partial, unchanged = [], [], []
        gc.collect()
        for run in range(RUNS):
            update = [with_status(t, STATUSES[run % len(STATUSES)], cost=float(run)) for t in source]
            start = time.perf_counter()
            changed = layer.apply(update, full=True)
            full.append(time.perf_counter() - start)
            assert changed == COUNT, changed
            start = time.perf_counter()
            assert layer.apply(update, full=True) == 0
            unchanged.append(time.perf_counter() - start)
            some = [
                with_status(t, "FAILED", "Failed 3 times", float(run))
                for t in source[run * PARTIAL : (run + 1) * PARTIAL]
            ]
            start = time.perf_counter()
            assert layer.apply(some, full=False) == PARTIAL
            partial.append(time.perf_counter() - start)
        rows.append((f"apply: 10,000 tiles changed ({RUNS} runs)", spread(full), "< 100 ms"))
        rows.append((f"apply: 500 tiles changed ({RUNS} runs)", spread(partial), "< 100 ms"))
        rows.append(("apply: a full listing of 10,000, none changed", spread(unchanged), ""))

        # 3. find after the project is read again
        project_file = Path(tmp) / "bench.qgz"
        assert project.write(str(project_file))
        project.clear()
        start = time.perf_counter()
        assert project.read(str(project_file))
        read = time.perf_counter() - start
        finds = []
        for _ in range(3):
            job_tile_layer._wrappers.clear()  # as after a restart: the state is read from the file
            start = time.perf_counter()
            found = JobTileLayer.find(job(4).id, project)
            finds.append(time.perf_counter() - start)
        assert found is not None and sum(found.counts().values()) == COUNT
        rows.append(("project read (the .qgz with the layer)", ms(read), ""))
        rows.append(("find: the layer recognised, its 10,000 states read back", spread(finds), ""))
        rss_end = peak_rss_mib()

        # 4. the storage choices, bare provider calls
        for label, seconds in bare_updates(Path(tmp), source):
            rows.append((f"bare changeAttributeValues, 10,000 features: {label}", spread(seconds), ""))
        project.clear()

        # 5. memory
        tracemalloc.start()
        JobTileLayer.create(job(99), source, folder, project)
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        project.clear()
    rows.append(
        (
            "peak RSS growth over create (x5), apply (x60), project read, find",
            f"+{rss_end - rss_start:.0f} MiB",
            "",
        )
    )
    rows.append(
        ("Python allocations at the peak of one create (tracemalloc)", f"{traced / 2**20:.1f} MiB", "")
    )
    rows.append(("peak RSS of the process (QGIS included)", f"{peak_rss_mib():.0f} MiB", ""))
    print_table(rows)


def bare_updates(tmp: Path, source: list[Tile]) -> list[tuple[str, list[float]]]:
    """One changeAttributeValues of 10,000 features (status, failure, cost, updated) on three storages."""
    from osgeo import ogr, osr
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    wkbs = footprints_wkb(source)
    results = []
    memory = QgsVectorLayer(
        "Polygon?crs=EPSG:4326&field=tile_id:long&field=name:string&field=status:string&field=failure:string"
        "&field=cost:double&field=epsg:integer&field=updated:string",
        "memory",
        "memory",
    )
    features = []
    for tile, wkb in zip(source, wkbs):
        feature = QgsFeature(memory.fields())
        geometry = QgsGeometry()
        geometry.fromWkb(wkb)
        feature.setGeometry(geometry)
        feature.setAttributes([tile.id, tile.name, tile.status, None, 0.0, tile.epsg, ""])
        features.append(feature)
    memory.dataProvider().addFeatures(features)
    results.append(("memory layer", _bare(memory)))
    for index in ("NO", "YES"):
        path = tmp / f"bare-{index}.gpkg"
        data = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(4326)
        table = data.CreateLayer("tiles", srs, ogr.wkbPolygon, ["FID=fid", f"SPATIAL_INDEX={index}"])
        for name, kind in (("tile_id", ogr.OFTInteger64), ("name", ogr.OFTString), ("status", ogr.OFTString),
                           ("failure", ogr.OFTString), ("cost", ogr.OFTReal), ("epsg", ogr.OFTInteger),
                           ("updated", ogr.OFTString)):  # fmt: skip
            table.CreateField(ogr.FieldDefn(name, kind))
        data.StartTransaction()
        for tile, wkb in zip(source, wkbs):
            feature = ogr.Feature(table.GetLayerDefn())
            feature.SetField("tile_id", tile.id)
            feature.SetField("status", tile.status)
            feature.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb))
            table.CreateFeature(feature)
        data.CommitTransaction()
        table = data = None
        layer = QgsVectorLayer(f"{path}|layername=tiles", "gpkg", "ogr")
        results.append(
            (
                "GeoPackage, no R-tree (the layer's)" if index == "NO" else "GeoPackage with an R-tree",
                _bare(layer),
            )
        )
    return results


def _bare(layer) -> list[float]:
    fields = layer.fields()
    status, failure, cost, updated = (fields.indexOf(n) for n in ("status", "failure", "cost", "updated"))
    fids = [feature.id() for feature in layer.getFeatures()]
    times = []
    for run in range(10):
        values = {
            status: STATUSES[run % len(STATUSES)],
            failure: None,
            cost: float(run),
            updated: "2026-01-01T00:00:00Z",
        }
        changes = {fid: values for fid in fids}
        start = time.perf_counter()
        assert layer.dataProvider().changeAttributeValues(changes)
        times.append(time.perf_counter() - start)
    return times


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'what':<{width}}  {'result':<{value_width}}  target")
    for what, result, target in rows:
        print(f"{what:<{width}}  {result:<{value_width}}  {target}")


if __name__ == "__main__":
    try:
        main()
    finally:
        APP.exitQgis()
    sys.exit(0)
