"""Plugin benchmark: v2 per-feature progress from the bucket artefacts (core/v2_progress.py).

    .venv/bin/python bench/bench_v2_progress.py

The artefacts are written by the engine's own writers (engine.artefacts), two outputs per feature as in
the tutorial (so the manifest has two rows per feature), 90% of the features in one UTM zone.

1. execution_statuses() on a 100,000-feature execution database (target < 1 s);
2. manifest_tiles() on a 10,000-feature feature manifest (and 100,000 for scale);
3. one v2_tiles() poll against a local S3 server (moto, in its own process), boto3 and GDAL /vsis3/:
   the first (manifest and execution database downloaded and read) and the next ones (manifest cached,
   execution database downloaded and read again).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from benchkit import best_of  # noqa: E402
from testkit import NDVI_WITH_MASK, moto_server, request_body  # noqa: E402

from tilewise.core.batch_models import parse_request  # noqa: E402
from tilewise.core.jobs import BatchJob  # noqa: E402
from tilewise.core.storage import BOTO3, GDAL, S3Access  # noqa: E402
from tilewise.core.tile_status import TileStatus  # noqa: E402
from tilewise.core.v2_progress import (  # noqa: E402
    clear_manifest_cache,
    execution_statuses,
    manifest_tiles,
    v2_tiles,
)
from tilewise.engine.artefacts import write_execution_db, write_feature_manifest  # noqa: E402
from tilewise.engine.store import TileRecord  # noqa: E402

SIZE = 5000  # m: 500 px at 10 m


def features(count: int) -> list[TileRecord]:
    records = []
    for i in range(count):
        epsg = 32611 if i % 10 else 32612
        x0, y0 = 200_000 + SIZE * (i % 100), 3_500_000 + SIZE * (i // 100)
        status = (TileStatus.PROCESSED, TileStatus.PENDING, TileStatus.FAILED)[i % 3]
        records.append(
            TileRecord(
                "bench", 1_000_000 + i, f"T{i:06d}", epsg, (x0, y0, x0 + SIZE, y0 + SIZE), {}, status,
                error="Failed 3 times" if status == TileStatus.FAILED else None,
            )
        )  # fmt: skip
    return records


def write_manifest(path: Path, records: list[TileRecord], url: str) -> None:
    request = parse_request(2, request_body(2, url, ("ndvi", "mask"), NDVI_WITH_MASK))
    write_feature_manifest(path, "bench", request, records, lambda t: (t.bounds, (500, 500)))


def files(tmp: Path) -> None:
    records = features(100_000)
    execution = tmp / "execution-100k.sqlite"
    write_execution_db(execution, records)
    seconds = best_of(lambda: execution_statuses(execution))
    print(
        f"execution_statuses: 100,000 features ({execution.stat().st_size / 1e6:.1f} MB) in {1000 * seconds:.0f} ms"
    )
    for count in (10_000, 100_000):
        manifest = tmp / f"manifest-{count}.gpkg"
        write_manifest(manifest, records[:count], "s3://bench/jobs")
        seconds = best_of(lambda manifest=manifest: manifest_tiles(manifest), repeat=3)
        print(
            f"manifest_tiles: {count:,} features ({2 * count:,} rows, {manifest.stat().st_size / 1e6:.1f} MB) "
            f"in {1000 * seconds:.0f} ms"
        )


def polls(tmp: Path, s3) -> None:
    access = S3Access(s3.endpoint_url, s3.region, s3.access_key, s3.secret_key)
    client = s3.client()
    for count in (10_000, 100_000):
        bucket = s3.new_bucket()
        records = features(count)
        for name in ("m.gpkg", "e.sqlite"):
            (tmp / name).unlink(missing_ok=True)
        write_manifest(tmp / "m.gpkg", records, f"s3://{bucket}/jobs")
        write_execution_db(tmp / "e.sqlite", records)
        client.upload_file(str(tmp / "m.gpkg"), bucket, "jobs/featureManifest-bench.gpkg")
        client.upload_file(str(tmp / "e.sqlite"), bucket, "jobs/execution-bench.sqlite")
        body = {
            "id": "bench",
            "status": "PROCESSING",
            "request": request_body(2, f"s3://{bucket}/jobs"),
        }
        job = BatchJob.from_v2(body, "bench")  # fmt: skip
        for backend in (BOTO3, GDAL):
            poll(access, job, tmp / f"scratch-{backend}-{count}", backend, count)


def poll(access: S3Access, job: BatchJob, scratch: Path, backend: str, count: int) -> None:
    def first():
        clear_manifest_cache()
        for path in scratch.glob("*"):
            path.unlink()
        return v2_tiles(access, job, scratch, backend=backend)

    cold = best_of(first, repeat=3)
    warm = best_of(lambda: v2_tiles(access, job, scratch, backend=backend))
    tiles = v2_tiles(access, job, scratch, backend=backend)
    assert len(tiles) == count and {t.status for t in tiles} == {"DONE", "PENDING", "FATAL"}
    print(
        f"v2_tiles from S3 ({backend}): {count:,} features: first {1000 * cold:.0f} ms, next {1000 * warm:.0f} ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-v2p-") as tmp:
        files(Path(tmp))
        servers = moto_server(Path(tmp) / "moto.log", {})
        s3 = next(servers)
        try:
            polls(Path(tmp), s3)
        finally:
            next(servers, None)


if __name__ == "__main__":
    main()
