"""Benchmark: tiling-grid enumeration and the QGIS preview layer.

Targets (issue 2): grid-1 tiles at 10 m for California in < 0.5 s on one core; the
contiguous United States (about 80,000 tiles) in < 5 s with memory linear in the
tiles produced; building and styling the preview layer for 10,000 tiles in < 1 s.

Run: make bench   (or .venv/bin/python bench/bench_grids.py)
Areas come from QGIS's own world_map.gpkg (states_provinces layer).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time

WORLD_MAP = "/usr/share/qgis/resources/data/world_map.gpkg"
LOWER_48_EXCLUDED = {"Alaska", "Hawaii"}
REPEATS = 5


def us_states() -> dict:
    import shapely
    from osgeo import ogr

    dataset = ogr.Open(WORLD_MAP)
    layer = dataset.GetLayerByName("states_provinces")
    layer.SetAttributeFilter("admin = 'United States of America'")
    return {f.GetField("name"): shapely.from_wkb(bytes(f.GetGeometryRef().ExportToWkb())) for f in layer}


def area_of(names: list[str]):
    from tilewise.core.area import AreaOfInterest

    states = us_states()
    return AreaOfInterest.from_geometries([states[n] for n in names], 4326)


def time_tiles(area, grid_id=1, resolution=10.0) -> tuple[float, int]:
    from tilewise.core.grids import tiles_for_area

    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        selection = tiles_for_area(area, grid_id, resolution, max_tiles=1_000_000)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), len(selection)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child_memory(names_json: str) -> None:
    """Run in a fresh process: peak and retained RSS growth while listing the tiles of an area."""
    from tilewise.core.grids import tiles_for_area

    area = area_of(json.loads(names_json))
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    before = _status_kib("VmRSS")
    selection = tiles_for_area(area, 1, 10, max_tiles=1_000_000)
    peak, retained = _status_kib("VmHWM"), _status_kib("VmRSS")
    print(json.dumps({"tiles": len(selection), "peak_kib": peak - before, "retained_kib": retained - before}))


def memory_growth(names: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--memory", json.dumps(names)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def preview_layer_seconds(tile_count: int) -> float:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import shapely
    from qgis.core import QgsApplication, QgsProject

    from tilewise.core.grids import tiles_for_area
    from tilewise.core.tile_features import tile_features
    from tilewise.ui.tile_layer import add_to_group, build_tile_layer

    app = QgsApplication([], False)
    app.initQgis()
    selection = tiles_for_area(area_of(["California", "Nevada", "Arizona"]), 1, 10, max_tiles=1_000_000)
    tiles = selection.tiles[:tile_count]
    wkb = shapely.to_wkb([t.footprint for t in tiles]).tolist()
    features = tile_features(tiles, wkb, "PREVIEW")  # done in the QgsTask in the plugin
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        layer = build_tile_layer("bench", features, 10_000)
        add_to_group(layer, "bench")
        times.append(time.perf_counter() - start)
        assert layer.featureCount() == tile_count
        QgsProject.instance().removeMapLayer(layer.id())
    return min(times)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    states = sorted(us_states())
    lower48 = [n for n in states if n not in LOWER_48_EXCLUDED]
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; pinned to one core; best of {REPEATS}")
    best, median, count = time_tiles(area_of(["California"]))
    print(
        f"California, grid 1 @ 10 m: {count:,} tiles in {best:.3f} s (median {median:.3f} s)  [target < 0.5 s]"
    )
    best, median, count = time_tiles(area_of(lower48))
    print(
        f"Contiguous US, grid 1 @ 10 m: {count:,} tiles in {best:.3f} s (median {median:.3f} s)  [target < 5 s]"
    )
    print("memory (fresh process each; RSS growth while listing tiles, tiles kept alive):")
    for label, names in (
        ("California", ["California"]),
        ("CA+NV+AZ+OR", ["California", "Nevada", "Arizona", "Oregon"]),
        ("Contiguous US", lower48),
    ):
        figures = memory_growth(names)
        tiles = max(figures["tiles"], 1)
        print(
            f"  {label:14s} {figures['tiles']:>7,} tiles  peak +{figures['peak_kib'] / 1024:6.1f} MiB "
            f"({figures['peak_kib'] * 1024 / tiles:,.0f} B/tile)  retained +{figures['retained_kib'] / 1024:6.1f} MiB "
            f"({figures['retained_kib'] * 1024 / tiles:,.0f} B/tile)"
        )
    seconds = preview_layer_seconds(10_000)
    print(f"Preview layer, 10,000 tiles built, styled and added: {seconds:.3f} s  [target < 1 s]")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        child_memory(sys.argv[2])
    else:
        main()
