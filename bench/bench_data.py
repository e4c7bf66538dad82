"""Data-reading benchmarks: a 1100 x 1100 px tile, 4 bands x 6 dates, from the demo catalog.

    .venv/bin/python bench/bench_data.py [--catalog data/demo-catalog]

- local COGs: the engine's reader with one thread, side by side with a plain single-threaded
  gdal.Warp of the same 24 windows in the same run (target: within 1.3x), then with reads in parallel;
- the same catalog on a local S3 server (moto in server mode, reached through /vsis3/), each read
  with GDAL's caches cleared: time, the bytes downloaded and the GET count as GDAL's own network
  statistics report them, beside the size of the files read (only ranges are fetched);
- peak RSS of each phase, each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # testkit: the moto server the tests use

from benchkit import best_of  # noqa: E402

BANDS = ("B02", "B03", "B04", "B08")
GRID = (32611, (289_500.0, 3_989_500.0, 300_500.0, 4_000_500.0), 1100, 1100)  # inside the demo area
BBOX = (-119.3, 36.0, -119.1, 36.2)
JULY = (datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 31, 23, 59, 59, tzinfo=timezone.utc))
REPEAT = 3


def catalog_json(path: Path, href: str) -> str:
    """A catalog configuration (TILEWISE_CATALOG=<path>) with the one collection read here."""
    config = {"sentinel-2-l2a": {"kind": "static", "href": href, "bands": "sentinel-2-l2a"}}
    path.write_text(json.dumps(config))
    return str(path)


def child(mode: str, catalog: str, endpoint: str | None, parallel: int) -> dict:
    """One measurement in this (fresh) process; prints a JSON line."""
    from osgeo import gdal

    from tilewise.engine.data.model import TargetGrid
    from tilewise.engine.data.source import open_source
    from tilewise.engine.samples import Mosaicking, Units

    gdal.UseExceptions()
    grid = TargetGrid(*GRID)
    source = open_source(catalog, "sentinel-2-l2a", s3_endpoint_url=endpoint)
    scenes = source.search(BBOX, *JULY)
    samples = source.samples(scenes, Mosaicking.ORBIT)
    bands = {band: Units.REFLECTANCE for band in BANDS}
    hrefs = [
        s.properties["tilewise:assets"][b]["href"] for sample in samples for s in sample.scenes for b in BANDS
    ]
    result = {"mode": mode, "samples": len(samples), "reads": len(hrefs)}

    if mode == "warp":  # the ceiling: plain gdal.Warp, one thread, same windows, nothing else
        source._configure()  # the same GDAL settings (cache, ranges) as the reader

        def warp_all():
            for href in hrefs:
                ds = gdal.Warp("", href, format="MEM", outputBounds=grid.bounds, width=grid.width,
                               height=grid.height, dstSRS=f"EPSG:{grid.epsg}", resampleAlg="near",
                               srcNodata=0, dstNodata=0)  # fmt: skip
                ds.GetRasterBand(1).ReadAsArray()

        result["seconds"] = best_of(warp_all, REPEAT)
    elif endpoint:  # from S3: every repetition starts cold (no cached ranges), and GDAL counts the bytes
        gdal.SetConfigOption("CPL_VSIL_NETWORK_STATS_ENABLED", "YES")

        def cold_read():
            gdal.VSICurlClearCache()
            gdal.NetworkStatsReset()
            source.read(samples, bands, grid, max_parallel=parallel)

        result["seconds"] = best_of(cold_read, REPEAT)
        stats = json.loads(gdal.NetworkStatsGetAsSerializedJSON())["methods"]
        result["downloaded_bytes"] = stats.get("GET", {}).get("downloaded_bytes", 0)
        result["gets"] = stats.get("GET", {}).get("count", 0)
    else:
        result["seconds"] = best_of(lambda: source.read(samples, bands, grid, max_parallel=parallel), REPEAT)
    result["file_bytes"] = sum(gdal.VSIStatL(h).size for h in hrefs)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_child(
    mode: str, catalog: str, env: dict | None = None, endpoint: str | None = None, parallel: int = 1
) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--catalog-config",
        catalog,
        "--parallel",
        str(parallel),
    ]
    if endpoint:
        command += ["--endpoint", endpoint]
    out = subprocess.run(
        command, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(label: str, result: dict, baseline: float | None = None) -> str:
    ratio = f" ({result['seconds'] / baseline:.2f}x the plain warp)" if baseline else ""
    return f"| {label} | {result['seconds']:.3f} s{ratio} | {result['peak_rss_mib']:.0f} MiB |"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", default=str(ROOT / "data" / "demo-catalog"))
    parser.add_argument("--child")
    parser.add_argument("--catalog-config")
    parser.add_argument("--endpoint")
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.catalog_config, args.endpoint, args.parallel)))
        return 0

    catalog = Path(args.catalog)
    if not (catalog / "sentinel-2-l2a" / "collection.json").exists():
        print(f"No demo catalog at {catalog}: run `make demo-data` first.", file=sys.stderr)
        return 1
    os.sched_setaffinity(0, {0})  # the single-threaded figures on one core; children inherit it
    with tempfile.TemporaryDirectory() as tmp:
        local = catalog_json(Path(tmp) / "local.json", str(catalog / "sentinel-2-l2a" / "collection.json"))
        warp = run_child("warp", local)
        one = run_child("reader", local, parallel=1)
        print(
            f"1100 x 1100 px, {len(BANDS)} bands x {one['samples']} dates = {one['reads']} reads, best of {REPEAT}"
        )
        print("| what | time | peak RSS |\n|---|---|---|")
        print(row("plain gdal.Warp, one thread, one core", warp))
        print(row("engine reader, 1 thread, one core", one, warp["seconds"]))
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
        for parallel in (2, 4):
            many = run_child("reader", local, parallel=parallel)
            print(row(f"engine reader, {parallel} threads, {os.cpu_count()} cores", many, warp["seconds"]))

        from testkit import moto_server

        servers = moto_server(Path(tmp) / "moto.log", {})
        s3 = next(servers)
        try:
            bucket = s3.new_bucket()
            client = s3.client()
            root = catalog / "sentinel-2-l2a"
            for path in root.rglob("*"):
                if path.is_file():
                    client.upload_file(
                        str(path), bucket, f"stac/sentinel-2-l2a/{path.relative_to(root).as_posix()}"
                    )
            remote = catalog_json(Path(tmp) / "s3.json", f"s3://{bucket}/stac/sentinel-2-l2a/collection.json")
            env = {
                "AWS_ACCESS_KEY_ID": s3.access_key,
                "AWS_SECRET_ACCESS_KEY": s3.secret_key,
                "AWS_REGION": s3.region,
            }
            for parallel in (1, 4):
                result = run_child("reader", remote, env, s3.endpoint_url, parallel)
                print(row(f"engine reader from S3 (moto), {parallel} threads, cold cache", result)
                      + f" {result['downloaded_bytes'] / 2**20:.1f} MiB in {result['gets']} range GETs;"
                      f" the {result['reads']} files hold {result['file_bytes'] / 2**20:.1f} MiB")  # fmt: skip
        finally:
            next(servers, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
