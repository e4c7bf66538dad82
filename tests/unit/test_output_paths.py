"""core.output_paths: one template grammar, read both ways. fill_template builds an output's URL (what the engine
delivers to), TemplateMatcher reads the tile and output back from a URL (what the plugin lists): every URL built
must be read back as the values it was built from."""

from __future__ import annotations

import pytest

from tilewise.core.output_paths import (
    OUTPUT_EXTENSIONS,
    OutputLocation,
    OutputPathError,
    TemplateMatcher,
    TilePathTemplate,
    fill_template,
    output_template,
)

OUTPUT_IDS = ("default", "ndvi", "ndvi_raw", "data-mask")

# v1 placeholders (<tileName>, <outputId>, <format>), the layout a plain folder means, v2 templates with
# <requestId> and <tileId>, file:// folders and fixed parts full of regex characters.
TEMPLATES = (
    output_template("s3://bucket/jobs"),  # .../<requestId>/<tileName>/<outputId>.<format>
    "s3://bucket/v1/<tileName>/<outputId>.<format>",
    "s3://bucket/v1/<tileName>_<outputId>.<format>",
    "s3://bucket/v2/<requestId>/<tileId>/<outputId>.<format>",
    "s3://bucket/v2/<requestId>-<tileId>-<tileName>/<outputId>.<format>",
    "s3://my.bucket/run (1)+[x]*$^{2}/<tileName>/<outputId>.<format>",
    "file:///tmp/out put/<requestId>/<tileName>/<outputId>.<format>",
)

LOCATIONS = (
    OutputLocation("r-1", "T33UVP", 7, "default", "tif"),
    OutputLocation("f3b1a2c4-0000-4000-8000-0123456789ab", "tile_0-1", 0, "ndvi", "tif"),
    OutputLocation("req", "ndvi", 12345, "ndvi_raw", "tiff"),  # a tile named like an output
    OutputLocation("req", "a-b_c", 3, "data-mask", "json"),
)


def _known(template: str, location: OutputLocation) -> OutputLocation:
    """`location` with only the values `template` holds (the others cannot be read back)."""
    return OutputLocation(
        location.request_id if "<requestId>" in template else None,
        location.tile_name if "<tileName>" in template else None,
        location.tile_id if "<tileId>" in template else None,
        location.output_id if "<outputId>" in template else None,
        location.extension if "<format>" in template else None,
    )


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("location", LOCATIONS)
def test_a_url_built_from_a_template_is_read_back_as_the_same_tile_and_output(template, location):
    url = fill_template(template, location)
    assert "<" not in url
    assert TemplateMatcher(template, OUTPUT_IDS).match(url) == _known(template, location)


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_engine_builds_the_urls_the_plugin_reads_back(template):
    built = TilePathTemplate.parse(template, list(OUTPUT_IDS))
    url = built.url("req-9", "T31TCJ", 42, "ndvi_raw", "tif")
    assert url == fill_template(built.template, OutputLocation("req-9", "T31TCJ", 42, "ndvi_raw", "tif"))
    location = TemplateMatcher(built.template, OUTPUT_IDS).match(url)
    assert location == _known(built.template, OutputLocation("req-9", "T31TCJ", 42, "ndvi_raw", "tif"))


def test_the_known_output_ids_separate_an_output_from_the_tile_name_before_it():
    template = "s3://bucket/<tileName>_<outputId>.<format>"
    url = fill_template(template, OutputLocation(tile_name="T_1", output_id="ndvi_raw", extension="tif"))
    assert url == "s3://bucket/T_1_ndvi_raw.tif"
    assert TemplateMatcher(template, ["ndvi", "ndvi_raw"]).match(url) == OutputLocation(
        tile_name="T_1", output_id="ndvi_raw", extension="tif"
    )
    assert TemplateMatcher(template, ["ndvi"]).match(url) is None  # not one of this request's outputs


def test_without_output_ids_any_name_is_an_output():
    location = TemplateMatcher("s3://b/<tileName>/<outputId>.<format>").match("s3://b/T1/anything.tif")
    assert location == OutputLocation(tile_name="T1", output_id="anything", extension="tif")


def test_a_placeholder_used_twice_must_repeat_its_value():
    template = "s3://b/<tileName>/<tileName>-<outputId>.<format>"
    matcher = TemplateMatcher(template, ["default"])
    assert matcher.match("s3://b/T1/T1-default.tif") == OutputLocation(
        tile_name="T1", output_id="default", extension="tif"
    )
    assert matcher.match("s3://b/T1/T2-default.tif") is None


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket/v1/T1/default.exe",  # not an output extension
        "s3://bucket/v1/T1/extra/default.tif",  # a tile name never holds a slash
        "s3://bucket/v1/T1/default.tif.partial",
        "s3://bucket/v1x/T1/default.tif",  # another folder
        "s3://other/v1/T1/default.tif",
        "s3://bucket/v1/T1/other.tif",  # not one of the request's outputs
    ],
)
def test_urls_the_template_cannot_have_produced_do_not_match(url):
    assert TemplateMatcher("s3://bucket/v1/<tileName>/<outputId>.<format>", OUTPUT_IDS).match(url) is None


def test_a_tile_id_is_read_back_as_a_number_and_only_digits_match():
    matcher = TemplateMatcher("s3://b/<tileId>/<outputId>.<format>", ["default"])
    assert matcher.match("s3://b/0042/default.tif").tile_id == 42
    assert matcher.match("s3://b/T42/default.tif") is None


@pytest.mark.parametrize("extension", OUTPUT_EXTENSIONS)
def test_every_output_extension_matches(extension):
    location = TemplateMatcher("s3://b/<tileName>.<format>").match(f"s3://b/T1.{extension}")
    assert location == OutputLocation(tile_name="T1", extension=extension)


def test_fill_template_keeps_the_placeholders_it_has_no_value_for_and_never_reads_a_value_as_one():
    template = "s3://b/<requestId>/<tileName>/<outputId>.<format>"
    partial = fill_template(template, OutputLocation(request_id="r1"))
    assert partial == "s3://b/r1/<tileName>/<outputId>.<format>"
    assert fill_template(partial, OutputLocation(tile_name="<outputId>", output_id="x", extension="tif")) == (
        "s3://b/r1/<outputId>/x.tif"
    )


def test_the_engine_refuses_names_that_would_leave_the_folder():
    template = TilePathTemplate.parse("s3://bucket/jobs", ["default"])
    with pytest.raises(OutputPathError, match="Tile name"):
        template.url("r1", "../escape", 1, "default", "tif")
    with pytest.raises(OutputPathError, match="Output id"):
        template.url("r1", "T1", 1, "a/b", "tif")
