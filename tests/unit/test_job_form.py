"""The job form's checks: every problem at once, each naming its field; and the request the form sends."""

from __future__ import annotations

from datetime import date

import pytest
import shapely

from tilewise.core.area import AreaOfInterest
from tilewise.core.batch_models import TilingGridSpec, parse_v1_create, parse_v2_create
from tilewise.core.grids import tiles_for_area
from tilewise.core.job_form import (
    FormInvalid,
    JobDraft,
    check_draft,
    estimate,
    job_spec,
    preview_request,
)
from tilewise.core.presets import builtin_preset
from tilewise.core.statuses import V1, V2

TODAY = date(2026, 11, 30)
SUB_AREA = shapely.from_wkt(
    "POLYGON((-119.2778 36.0806,-119.2776 36.04,-119.2135 36.04,-119.21409 36.0806,-119.2778 36.0806))"
)


def draft(**changes) -> JobDraft:
    values = dict(
        evalscript=builtin_preset("NDVI").script,
        time_from=date(2023, 7, 1),
        time_to=date(2023, 7, 30),
        grid=TilingGridSpec(1, 10.0, 0, 0),
        output_url="s3://my-bucket/ndvi",
        description="fields",
    )
    values.update(changes)
    return JobDraft(**values)


def problems(error: FormInvalid) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def test_a_good_draft_gives_the_scripts_setup():
    info = check_draft(draft(), V1, engine_deployment=False, today=TODAY)
    assert [o.id for o in info.outputs] and info.input_bands


def test_every_problem_is_reported_at_once_with_its_field():
    with pytest.raises(FormInvalid) as caught:
        check_draft(
            draft(evalscript="", time_from=date(2023, 8, 1), output_url="", max_cloud_coverage=140.0),
            V1,
            engine_deployment=False,
            today=TODAY,
        )
    found = problems(caught.value)
    assert set(found) == {"evalscript", "time", "output", "cloud"}
    assert "empty" in found["evalscript"] and "swap the dates" in found["time"]


def test_a_broken_script_points_at_its_line():
    script = "//VERSION=3\nfunction setup() {\n  return {input: ['B04'], output: {bands: 1}};\n}\nfunction evaluatePixel(s) { return [s.B04; }\n"
    with pytest.raises(FormInvalid) as caught:
        check_draft(draft(evalscript=script), V1, False, TODAY)
    (problem,) = caught.value.problems
    assert problem.field == "evalscript" and problem.line == 5


def test_a_time_range_in_the_future_or_before_sentinel2_is_refused():
    with pytest.raises(FormInvalid, match="in the future"):
        check_draft(draft(time_from=date(2026, 12, 5), time_to=date(2026, 12, 9)), V1, False, TODAY)
    with pytest.raises(FormInvalid, match="first image"):
        check_draft(draft(time_from=date(2014, 1, 1), time_to=date(2014, 2, 1)), V1, False, TODAY)
    # a range that reaches today is fine: the newest scenes are included
    check_draft(draft(time_from=date(2026, 11, 1), time_to=TODAY), V1, False, TODAY)


def test_output_location_rules_follow_the_service():
    cases = {
        "s3://Bad_Bucket/x": "not a valid S3 bucket name",
        "s3://bucket-ok/<outputId>.<format>": "<tileName> or <tileId>",
        "s3://bucket-ok/<tileName>/<nope>.tif": "Unknown placeholder",
        "file:///tmp/tiles": "Only a Tilewise engine",
        "gs://bucket/x": "Unsupported output location",
    }
    for url, fragment in cases.items():
        with pytest.raises(FormInvalid) as caught:
            check_draft(draft(output_url=url), V2, engine_deployment=False, today=TODAY)
        assert fragment in problems(caught.value)["output"], url
    check_draft(draft(output_url="file:///tmp/tiles"), V2, engine_deployment=True, today=TODAY)
    check_draft(draft(output_url="s3://bucket-ok/<tileName>/<outputId>.<format>"), V2, False, TODAY)


def test_s3_keys_need_both_halves_and_the_v2_api():
    with pytest.raises(FormInvalid, match="both"):
        check_draft(draft(s3_access_key="AKIA"), V2, False, TODAY)
    with pytest.raises(FormInvalid, match="v1 writes with the service's own identity"):
        check_draft(draft(s3_access_key="AKIA", s3_secret_key="s"), V1, False, TODAY)
    check_draft(draft(s3_access_key="AKIA", s3_secret_key="s"), V2, False, TODAY)


def test_the_secret_key_is_not_in_the_drafts_repr():
    assert "very-secret" not in repr(draft(s3_access_key="AKIA", s3_secret_key="very-secret"))


def test_the_job_request_is_what_the_service_parses_back():
    area = AreaOfInterest.from_geometries([SUB_AREA], "EPSG:4326")
    form = draft(max_cloud_coverage=20.0, cog=True, s3_access_key="AKIA", s3_secret_key="s", s3_region="eu-1")
    info = check_draft(form, V2, False, TODAY)
    spec = job_spec(form, area, info)
    v1 = parse_v1_create(spec.to_v1())
    v2 = parse_v2_create(spec.to_v2())
    for parsed in (v1, v2):
        data = parsed.process_request.data[0]
        assert data.type == "sentinel-2-l2a" and data.max_cloud_coverage == 20.0
        assert data.time_from.isoformat().startswith("2023-07-01T00:00:00")
        assert data.time_to.isoformat().startswith("2023-07-30T23:59:59")
        assert [r.identifier for r in parsed.process_request.responses] == [o.id for o in info.outputs]
        assert parsed.tiling_grid.id == 1 and parsed.tiling_grid.resolution == 10.0
        assert parsed.output.cog_output and parsed.description == "fields"
        geometry = shapely.geometry.shape(parsed.process_request.bounds.geometry)
        assert geometry.equals_exact(area.normalized(), 1e-9)
    assert v2.output.credentials.access_key == "AKIA" and v2.output.credentials.region == "eu-1"


def test_a_preview_request_is_capped_at_2500_pixels_and_names_one_output():
    form = draft()
    info = check_draft(form, V1, False, TODAY, need_output=False)
    request = preview_request(form, info, (500000, 4000000, 600000, 4100000), 32611, 10000, 5000)
    assert (request.width, request.height) == (2500, 1250)
    assert request.bounds.crs.endswith("/32611") and len(request.responses) == 1
    with pytest.raises(FormInvalid, match="no output"):
        preview_request(form, info, (0, 0, 1, 1), None, 10, 10, output_id="nope")


def test_the_estimate_uses_the_scripts_bands_outputs_and_mosaicking():
    area = AreaOfInterest.from_geometries([SUB_AREA], "EPSG:4326")
    tiles = tiles_for_area(area, 1, 10.0).tiles
    true_colour = builtin_preset("True colour").script
    ndvi = estimate(draft(), check_draft(draft(), V1, False, TODAY), tiles)
    colour_form = draft(evalscript=true_colour)
    colour = estimate(colour_form, check_draft(colour_form, V1, False, TODAY), tiles)
    assert ndvi.tile_count == colour.tile_count == len(tiles) == 2
    assert ndvi.output_factor == 2.0 and colour.output_factor == 1.0


def test_a_draft_without_output_is_fine_for_previews():
    check_draft(draft(output_url=""), V1, False, TODAY, need_output=False)


def test_the_requests_coordinates_carry_no_float_noise():
    utm = shapely.from_wkt(
        "POLYGON((300000.3 3990000.1, 305000.7 3990000.9, 305000.2 3995000.4, 300000.3 3990000.1))"
    )
    area = AreaOfInterest.from_geometries([utm], "EPSG:32611")  # reprojected: noisy doubles
    form = draft()
    spec = job_spec(form, area, check_draft(form, V1, False, TODAY))
    coordinates = [c for ring in spec.process_request.bounds.geometry["coordinates"] for c in ring]
    assert coordinates and all(round(x, 7) == x and round(y, 7) == y for x, y in coordinates)
    assert shapely.geometry.shape(spec.process_request.bounds.geometry).equals_exact(area.normalized(), 1e-6)


def test_an_area_with_more_vertices_than_deployments_accept_is_sent_simplified_and_still_covering():
    from tilewise.core.batch_models import MAX_VERTICES, parse_process_request
    from tilewise.core.job_form import area_geojson

    coastline = shapely.Point(13.9, 46.0).buffer(0.2, quad_segs=40_000)  # 160,000 vertices
    area = AreaOfInterest.from_geometries([coastline], "EPSG:4326")
    sent = shapely.geometry.shape(area_geojson(area))
    assert shapely.get_num_coordinates(sent) <= MAX_VERTICES
    assert sent.covers(coastline.buffer(-1e-7))  # nothing of the area (and of its edge tiles) is lost
    assert sent.area < coastline.area * 1.01
    body = {
        "input": {"bounds": {"geometry": area_geojson(area)}, "data": [{"type": "sentinel-2-l2a"}]},
        "evalscript": "x",
    }
    parse_process_request(body)  # within the shared parser's cap
