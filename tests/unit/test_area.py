"""The job area: validation, repair, reprojection and dissolving."""

import pytest
import shapely

from tilewise.core.area import AreaError, AreaOfInterest


def test_polygons_are_dissolved_into_one_area():
    area = AreaOfInterest.from_geometries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], 4326)
    assert area.feature_count == 2
    assert area.geometry.geom_type == "Polygon"
    assert area.geometry.area == pytest.approx(2)


def test_points_and_lines_are_refused_with_a_hint():
    with pytest.raises(AreaError, match="Feature 1 is a Point: batch jobs need polygons"):
        AreaOfInterest.from_geometries([shapely.Point(0, 0)], 4326)
    with pytest.raises(AreaError, match="LineString"):
        AreaOfInterest.from_geometries([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])], 4326)


def test_no_or_empty_geometries_are_refused():
    with pytest.raises(AreaError, match="at least one non-empty polygon"):
        AreaOfInterest.from_geometries([], 4326)
    with pytest.raises(AreaError, match="at least one non-empty polygon"):
        AreaOfInterest.from_geometries([shapely.Polygon()], 4326)


def test_harmless_invalid_geometry_is_repaired_with_a_warning():
    # A shell that touches itself at a point (an "inverted hole"): invalid, but one obvious repair.
    ring = [(0, 0), (4, 0), (4, 4), (2, 4), (3, 2), (2, 1), (1, 2), (2, 4), (0, 4), (0, 0)]
    polygon = shapely.Polygon(ring)
    assert not polygon.is_valid
    area = AreaOfInterest.from_geometries([polygon], 4326)
    assert area.geometry.is_valid
    assert area.warnings == ("1 invalid geometry was repaired.",)


def test_ambiguous_invalid_geometry_is_refused():
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    with pytest.raises(AreaError, match="Fix Geometries"):
        AreaOfInterest.from_geometries([bowtie], 4326)


def test_unknown_crs_is_refused():
    from tilewise.core.crs import CrsError

    with pytest.raises(CrsError, match="EPSG code"):
        AreaOfInterest.from_geometries([shapely.box(0, 0, 1, 1)], "EPSG:999999")


def test_area_in_km2_is_close_to_the_geodesic_value():
    # 1° x 1° at the equator is about 12,308 km².
    area = AreaOfInterest.from_geometries([shapely.box(0, 0, 1, 1)], 4326)
    assert area.area_km2() == pytest.approx(12_308, rel=0.002)


def test_antimeridian_polygon_stays_one_piece_and_normalizes():
    polygon = shapely.Polygon([(179.5, 0), (-179.5, 0), (-179.5, 1), (179.5, 1)])
    area = AreaOfInterest.from_geometries([polygon], 4326)
    assert area.bounds == pytest.approx((179.5, 0, 180.5, 1))
    normalized = area.normalized()
    assert normalized.bounds == pytest.approx((-180, 0, 180, 1))
    assert normalized.area == pytest.approx(1.0)
