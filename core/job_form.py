"""The job form's values, checked before anything is sent, and turned into a batch job or a preview request
(Qt-free). Every problem names the form field at fault (and the script line, for the evalscript), so the dock
can point at it; all problems are reported at once, not one per try.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Optional, Sequence

import numpy
import shapely

from .area import AreaOfInterest
from .batch_models import (
    MAX_VERTICES,
    BatchRequestSpec,
    Bounds,
    DataInput,
    ProcessRequest,
    RasterOutput,
    ResponseSpec,
    S3Credentials,
    TilingGridSpec,
    crs_url,
)
from .costs import CostEstimate, assumed_samples, estimate_batch_cost
from .evalscript import EvalscriptProblem, ScriptInfo, inspect_evalscript
from .grids import GridTile
from .output_paths import OutputPathError, TilePathTemplate
from .statuses import V2

COLLECTIONS = {
    "sentinel-2-l2a": "Sentinel-2 L2A (surface reflectance)",
    "sentinel-2-l1c": "Sentinel-2 L1C (top of atmosphere)",
}
MOSAICKING_ORDERS = ("mostRecent", "leastRecent", "leastCC")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MAX_PREVIEW_PIXELS = 2500  # the Process API's largest width or height
FIRST_SENTINEL2_DAY = date(2015, 6, 23)


@dataclass(frozen=True)
class FieldProblem:
    field: str  # area, evalscript, collection, time, cloud, grid, output, s3_keys, credentials, budget
    message: str
    line: Optional[int] = None  # 1-based evalscript line


class FormInvalid(ValueError):
    def __init__(self, problems: Sequence[FieldProblem]):
        self.problems = tuple(problems)
        super().__init__(" ".join(p.message for p in self.problems))

    def fields(self) -> set[str]:
        return {p.field for p in self.problems}


@dataclass(frozen=True)
class JobDraft:
    """What the user typed and picked; the area travels separately (it comes from the map)."""

    evalscript: str
    time_from: date
    time_to: date
    grid: TilingGridSpec
    output_url: str = ""
    collection: str = "sentinel-2-l2a"
    max_cloud_coverage: Optional[float] = None  # percent; None: any
    mosaicking_order: str = "mostRecent"
    cog: bool = False
    overwrite: bool = False
    skip_existing: bool = False
    description: str = ""
    s3_access_key: str = ""  # v2 delivery keys (optional: the service's own identity otherwise)
    s3_secret_key: str = ""
    s3_region: str = ""

    def __repr__(self) -> str:  # the secret key stays out of logs and tracebacks
        return (
            f"JobDraft(output_url={self.output_url!r}, grid={self.grid!r}, description={self.description!r})"
        )


def check_evalscript(script: str) -> ScriptInfo:
    """The script's setup(), or FormInvalid pointing at the line at fault."""
    try:
        info = inspect_evalscript(script)
    except EvalscriptProblem as exc:
        raise FormInvalid([FieldProblem("evalscript", exc.message, exc.line)]) from None
    if not info.outputs:
        raise FormInvalid(
            [FieldProblem("evalscript", "setup() declares no output: add one to its `output`.")]
        )
    return info


def check_draft(
    draft: JobDraft,
    api_version: int,
    engine_deployment: bool,
    today: Optional[date] = None,
    need_output: bool = True,
) -> ScriptInfo:
    """Every problem of the draft at once (FormInvalid), or the script's setup() when all is well."""
    today = today or datetime.now(timezone.utc).date()
    problems: list[FieldProblem] = []
    info: Optional[ScriptInfo] = None
    try:
        info = check_evalscript(draft.evalscript)
    except FormInvalid as exc:
        problems.extend(exc.problems)
    problems.extend(_time_problems(draft, today))
    if draft.collection not in COLLECTIONS and not draft.collection.startswith("byoc-"):
        problems.append(
            FieldProblem(
                "collection",
                f"Unknown data collection {draft.collection!r}: pick one from the list, "
                "or write byoc-<collection id> for your own.",
            )  # fmt: skip
        )
    if draft.max_cloud_coverage is not None and not 0 <= draft.max_cloud_coverage <= 100:
        problems.append(FieldProblem("cloud", "Maximum cloud cover is a percentage: 0 to 100."))
    if draft.mosaicking_order not in MOSAICKING_ORDERS:
        problems.append(
            FieldProblem("collection", f"Mosaicking order must be one of {', '.join(MOSAICKING_ORDERS)}.")
        )
    if need_output:
        problems.extend(_output_problems(draft, info, api_version, engine_deployment))
    if problems:
        raise FormInvalid(problems)
    assert info is not None
    return info


def _time_problems(draft: JobDraft, today: date) -> list[FieldProblem]:
    if draft.time_to < draft.time_from:
        return [FieldProblem("time", f"The time range ends ({draft.time_to}) before it starts "
                                     f"({draft.time_from}): swap the dates.")]  # fmt: skip
    if draft.time_from > today:
        return [FieldProblem("time", f"The time range starts in the future ({draft.time_from}): there is no "
                                     "data yet. Pick dates up to today.")]  # fmt: skip
    if draft.time_to < FIRST_SENTINEL2_DAY:
        return [FieldProblem("time", "The time range ends before Sentinel-2's first image (2015-06-23): "
                                     "pick later dates.")]  # fmt: skip
    return []


def _output_problems(
    draft: JobDraft, info: Optional[ScriptInfo], api_version: int, engine_deployment: bool
) -> list[FieldProblem]:
    url = draft.output_url.strip()
    if not url:
        hint = "s3://bucket/folder" + (" or a local folder" if engine_deployment else "")
        return [FieldProblem("output", f"Choose where the tiles go: {hint}.")]
    output_ids = [o.id for o in info.outputs] if info else []
    try:
        template = TilePathTemplate.parse(url, output_ids)
    except OutputPathError as exc:
        return [FieldProblem("output", str(exc))]
    problems = []
    if template.scheme == "file" and not engine_deployment:
        problems.append(
            FieldProblem(
                "output",
                "Only a Tilewise engine writes to a local folder: this deployment needs an "
                "S3 bucket (s3://bucket/folder).",
            )  # fmt: skip
        )
    if bool(draft.s3_access_key.strip()) != bool(draft.s3_secret_key):
        problems.append(FieldProblem("s3_keys", "Enter both the S3 access key and its secret, or neither."))
    elif draft.s3_access_key and api_version != V2:
        problems.append(
            FieldProblem(
                "s3_keys",
                "The Batch API v1 writes with the service's own identity: remove the S3 keys "
                "and give the service access through the bucket policy, or use the v2 API.",
            )  # fmt: skip
        )
    elif draft.s3_access_key and template.scheme != "s3":
        problems.append(FieldProblem("s3_keys", "S3 keys go with an s3:// output location."))
    return problems


def _utc(day: date, end: bool) -> datetime:
    return datetime.combine(day, time(23, 59, 59) if end else time(0, 0, 0), tzinfo=timezone.utc)


def data_input(draft: JobDraft) -> DataInput:
    return DataInput(
        type=draft.collection,
        time_from=_utc(draft.time_from, end=False),
        time_to=_utc(draft.time_to, end=True),
        max_cloud_coverage=draft.max_cloud_coverage,
        mosaicking_order=draft.mosaicking_order,
    )


def responses(info: ScriptInfo) -> tuple[ResponseSpec, ...]:
    return tuple(ResponseSpec(output.id) for output in info.outputs)


COORDINATE_DECIMALS = 7  # 1 cm on the ground: no float noise such as -119.17060000000001 in requests


def area_geojson(area: AreaOfInterest) -> dict:
    """The dissolved area, lon/lat (CRS84), as the request's GeoJSON geometry, within MAX_VERTICES."""
    geometry = shapely.transform(
        within_vertex_cap(area.normalized()), lambda xy: numpy.round(xy, COORDINATE_DECIMALS)
    )
    return json.loads(shapely.to_geojson(geometry))


def within_vertex_cap(geometry, cap: int = MAX_VERTICES):
    """`geometry` itself, or (a detailed coastline, a parcel layer dissolved) a simplified outline that still
    covers it, grown by the tolerance so no tile at its edge is lost: deployments refuse larger geometries."""
    tolerance = 1e-5  # degrees, about a metre
    simplified = geometry
    while shapely.get_num_coordinates(simplified) > cap:
        simplified = shapely.simplify(geometry.buffer(tolerance), tolerance, preserve_topology=True)
        tolerance *= 4
    return simplified


def job_spec(draft: JobDraft, area: AreaOfInterest, info: ScriptInfo) -> BatchRequestSpec:
    """The batch request the form describes; `BatchClient.create` sends it as a v1 or v2 body."""
    keys = S3Credentials(
        draft.s3_access_key.strip() or None, draft.s3_secret_key or None, draft.s3_region.strip() or None
    )
    return BatchRequestSpec(
        process_request=ProcessRequest(
            evalscript=draft.evalscript,
            data=(data_input(draft),),
            responses=responses(info),
            bounds=Bounds(crs=CRS84, geometry=area_geojson(area)),
        ),
        tiling_grid=draft.grid,
        output=RasterOutput(
            path=draft.output_url.strip(),
            overwrite=draft.overwrite,
            skip_existing=draft.skip_existing,
            cog_output=draft.cog,
            credentials=keys if (keys.access_key or keys.region) else None,
        ),
        description=draft.description.strip(),
    )


def preview_request(
    draft: JobDraft,
    info: ScriptInfo,
    bbox: tuple[float, float, float, float],
    epsg: Optional[int],
    width: int,
    height: int,
    output_id: Optional[str] = None,
) -> ProcessRequest:
    """A Process API request for one output over a box (in `epsg`, or lon/lat when None), at most 2500 px."""
    if width < 1 or height < 1:
        raise FormInvalid(
            [FieldProblem("area", "The preview area is empty: zoom to where the data should be.")]
        )
    scale = min(1.0, MAX_PREVIEW_PIXELS / max(width, height))
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    ids = [o.id for o in info.outputs]
    chosen = output_id or ids[0]
    if chosen not in ids:
        raise FormInvalid(
            [FieldProblem("evalscript", f"The script has no output {chosen!r}: pick one of {ids}.")]
        )
    return ProcessRequest(
        evalscript=draft.evalscript,
        data=(data_input(draft),),
        responses=(ResponseSpec(chosen),),
        bounds=Bounds(crs=crs_url(epsg) if epsg else CRS84, bbox=tuple(bbox)),
        width=width,
        height=height,
    )


def estimate(draft: JobDraft, info: ScriptInfo, tiles: Sequence[GridTile]) -> CostEstimate:
    """The PU estimate of the job's tiles, as a v1 analysis computes it (reference §3)."""
    mosaicking = info.mosaicking.upper()
    samples = assumed_samples(mosaicking, _utc(draft.time_from, False), _utc(draft.time_to, True))
    bands = [b for b in info.input_bands] or ["B04"]
    return estimate_batch_cost(
        [(t.buffered_width, t.buffered_height) for t in tiles],
        bands,
        [o.sample_type for o in info.outputs],
        samples,
    )
