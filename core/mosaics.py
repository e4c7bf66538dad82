"""Mosaics of a finished job's outputs: one GDAL VRT per output and CRS (UTM zone), or one per output warped
to a chosen CRS (Qt-free; GDAL via osgeo). The VRTs reference /vsis3/ paths or local files, never a key."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence

from .http import Cancel
from .outputs import (
    OutputFile,
    QuietGdal,
    RasterInfo,
    Results,
    describe_outputs,
    epsg_of,
    gdal_call,
    gdal_source,
    merged_ranges,
    safe_name,
)
from .s3 import S3Access


@dataclass(frozen=True)
class Mosaic:
    """A VRT over one output's tiles in one CRS (or warped to one)."""

    output_id: str
    epsg: int
    path: Path  # the .vrt; its sources are /vsis3/ paths or local files, never a key
    tiles: tuple[str, ...]
    raster: Optional[RasterInfo] = field(default=None, compare=False, repr=False)


def build_mosaics(
    outputs: Sequence[OutputFile],
    folder: Path,
    access: S3Access | None,
    reproject_to: Optional[int] = None,
    *,
    cancel: Optional[Cancel] = None,
) -> Results:
    """One VRT per output id and CRS (`<output>_EPSG<code>.vrt` in `folder`, replaced when it exists), or with
    `reproject_to` one per output id in that CRS: each zone's VRT warped (gdal.Warp to VRT) onto one aligned
    grid at the finest zone's resolution, and the warped VRTs mosaicked. The files reference /vsis3/ paths or
    local files, never a key; opening them needs the bucket's GDAL options (gdal_source sets them)."""
    from osgeo import gdal

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    described = describe_outputs(
        outputs, access, cancel=cancel
    )  # EPSG codes; GDAL's cache warmed for BuildVRT
    problems = list(described.problems)
    if described.cancelled:
        return Results([], problems, cancelled=True)
    groups: dict[tuple[str, int], list[OutputFile]] = {}
    for output in described:
        epsg = output.epsg or (output.raster.epsg if output.raster else None)
        if epsg is None:
            problems.append(
                f"Tile {output.tile_name}, output {output.output_id}: {output.url} has no known CRS, so it is "
                "left out of the mosaic."
            )
            continue
        groups.setdefault((output.output_id, epsg), []).append(output)

    zones: dict[str, list[Mosaic]] = {}
    with QuietGdal() as errors:
        for (output_id, epsg), items in sorted(groups.items()):
            if cancel is not None and cancel.is_set:
                return Results([m for ms in zones.values() for m in ms], problems, cancelled=True)
            items.sort(key=lambda o: o.tile_name)
            path = folder / f"{safe_name(output_id)}_EPSG{epsg}.vrt"
            sources = [gdal_source(access, o.url) for o in items]
            vrt = gdal_call(gdal.BuildVRT, str(path), sources)
            if vrt is None:
                problems.append(f"The {output_id} mosaic in EPSG:{epsg} could not be built: {errors.last()}")
                continue
            vrt = None
            infos = [o.raster for o in items if o.raster is not None]
            mosaic = Mosaic(
                output_id, epsg, path, tuple(o.tile_name for o in items), _mosaic_info(path, infos)
            )
            zones.setdefault(output_id, []).append(mosaic)
        if reproject_to is None:
            return Results([m for ms in zones.values() for m in ms], problems)
        mosaics = []
        for output_id, parts in zones.items():
            warped = _reproject(output_id, parts, folder, reproject_to, errors)
            if isinstance(warped, str):
                problems.append(warped)
            else:
                mosaics.append(warped)
    return Results(mosaics, problems)


def _mosaic_info(path: Path, infos: Sequence[RasterInfo]) -> Optional[RasterInfo]:
    """The mosaic's RasterInfo from its VRT's header and its tiles' ranges (no pixel is read)."""
    from osgeo import gdal

    dataset = gdal_call(gdal.Open, str(path))
    if dataset is None:
        return None
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    width, height = dataset.RasterXSize, dataset.RasterYSize
    band = dataset.GetRasterBand(1)
    nodata = band.GetNoDataValue()
    alphas = {i.alpha_band for i in infos}
    info = RasterInfo(
        width=width,
        height=height,
        bands=dataset.RasterCount,
        data_type=gdal.GetDataTypeName(band.DataType),
        epsg=epsg_of(dataset),
        bounds=(
            min(x0, x0 + dx * width),
            min(y0, y0 + dy * height),
            max(x0, x0 + dx * width),
            max(y0, y0 + dy * height),
        ),
        nodata=float(nodata) if nodata is not None else None,
        ranges=merged_ranges(infos),
        alpha_band=alphas.pop() if len(alphas) == 1 else None,
    )
    dataset = None
    return info


def _reproject(output_id: str, parts: list[Mosaic], folder: Path, target: int, errors: QuietGdal):
    """One mosaic of `parts` (VRTs in their own CRS) in EPSG:`target`, or a message saying why not."""
    from osgeo import gdal

    name = safe_name(output_id)
    final = folder / f"{name}_all_EPSG{target}.vrt"
    tiles = tuple(sorted(t for part in parts for t in part.tiles))
    infos = [p.raster for p in parts if p.raster is not None]
    if all(part.epsg == target for part in parts) and len(parts) == 1:
        return replace(parts[0], tiles=tiles)
    # The finest resolution any zone suggests, so that no zone loses detail; one aligned grid for all.
    resolutions = []
    for part in parts:
        probe = gdal_call(gdal.Warp, "", str(part.path), format="VRT", dstSRS=f"EPSG:{target}")
        if probe is None:
            return f"The {output_id} mosaic could not be reprojected to EPSG:{target}: {errors.last()}"
        _, dx, _, _, _, dy = probe.GetGeoTransform()
        resolutions.append((abs(dx), abs(dy)))
        probe = None
    x_res, y_res = min(r[0] for r in resolutions), min(r[1] for r in resolutions)
    single = len(parts) == 1
    layers = []
    for part in parts:
        if part.epsg == target:
            layers.append(str(part.path))
            continue
        info = part.raster
        options = {}
        if info is not None and info.nodata is not None:
            options["dstNodata"] = info.nodata
        elif info is not None and info.data_type.startswith("Float"):
            options["dstNodata"] = float("nan")  # outside the tiles: no data, not zero
        path = final if single else folder / f"{name}_EPSG{part.epsg}_warped_EPSG{target}.vrt"
        dataset = gdal_call(
            gdal.Warp,
            str(path),
            str(part.path),
            format="VRT",
            dstSRS=f"EPSG:{target}",
            xRes=x_res,
            yRes=y_res,
            targetAlignedPixels=True,
            resampleAlg="near",
            **options,
        )
        if dataset is None:
            return f"The {output_id} mosaic could not be reprojected to EPSG:{target}: {errors.last()}"
        dataset = None
        layers.append(str(path))
    if not single:
        vrt = gdal_call(gdal.BuildVRT, str(final), layers)
        if vrt is None:
            return f"The {output_id} mosaic in EPSG:{target} could not be built: {errors.last()}"
        vrt = None
    return Mosaic(output_id, target, final, tiles, _mosaic_info(final, infos))


# --- downloads -------------------------------------------------------------------------------------------
