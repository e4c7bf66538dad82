"""Built-in evalscript presets (read from resources/evalscripts) and the user's saved presets."""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pytest

from tilewise.core import presets as presets_module
from tilewise.core.evalscript import ScriptInfo, ScriptOutput, inspect_evalscript
from tilewise.core.presets import (
    BUILTIN_PRESETS,
    EVALSCRIPTS_DIR,
    Preset,
    UserPresets,
    all_presets,
    builtin_preset,
)

NAMES = ("True colour", "NDVI", "NDWI", "NDVI interpolation (tutorial)")
SCRIPT = "//VERSION=3\n// Tilewise preset: my index\nfunction setup() { return {input: ['B04'], output: {bands: 1}}; }\n"


# --- Built-in presets ----------------------------------------------------------------------------------------------


def test_builtin_presets_come_in_their_fixed_order():
    assert tuple(p.name for p in BUILTIN_PRESETS) == NAMES
    assert all(p.builtin for p in BUILTIN_PRESETS)


def test_every_js_file_in_the_resources_is_a_builtin_preset():
    assert sorted(p.name for p in EVALSCRIPTS_DIR.glob("*.js")) == sorted(
        f for _, f in presets_module.BUILTIN_FILES
    )
    assert [f for _, f in presets_module.BUILTIN_FILES] == sorted(f for _, f in presets_module.BUILTIN_FILES)


@pytest.mark.parametrize("preset", BUILTIN_PRESETS, ids=lambda p: p.name)
def test_a_builtin_script_starts_with_the_version_then_its_description(preset):
    first, second = preset.script.split("\n")[:2]
    assert first == "//VERSION=3"
    assert second == f"// Tilewise preset: {preset.description}"
    assert len(preset.description) > 20  # says what the script computes, for the form's tooltip


EXPECTED = {
    "True colour": ScriptInfo(
        ("B02", "B03", "B04", "dataMask"), (ScriptOutput("default", 4, "UINT8"),), "SIMPLE"
    ),
    "NDVI": ScriptInfo(("B04", "B08", "dataMask"), (ScriptOutput("default", 1, "FLOAT32"),), "SIMPLE"),
    "NDWI": ScriptInfo(("B03", "B08", "dataMask"), (ScriptOutput("default", 1, "FLOAT32"),), "SIMPLE"),
    "NDVI interpolation (tutorial)": ScriptInfo(
        ("B04", "B08", "CLM", "dataMask"),
        (ScriptOutput("NDVI", 5, "UINT16"), ScriptOutput("data_mask", 5, "UINT8")),
        "ORBIT",
    ),
}


@pytest.mark.parametrize("preset", BUILTIN_PRESETS, ids=lambda p: p.name)
def test_a_builtin_script_declares_what_the_form_expects(preset):
    assert inspect_evalscript(preset.script) == EXPECTED[preset.name]


# The sentinelhub-py batch tutorial's NDVI script as published; the preset uses its blank second line for its
# header, so errors point at the same lines. The tutorial clients (tests/clients) and the engine's tests run it.
PUBLISHED_TUTORIAL_SHA256 = "8f119836ac7eb967ba3898f60c7ab67124108f0fe87a2824dc667b7f53a47e05"


def test_the_tutorial_preset_is_the_tutorials_script_with_its_blank_second_line_as_header():
    preset = builtin_preset("NDVI interpolation (tutorial)").script.split("\n")
    assert preset[1].startswith("// Tilewise preset: ")
    published = "\n".join([preset[0], "", *preset[2:]])
    assert hashlib.sha256(published.encode()).hexdigest() == PUBLISHED_TUTORIAL_SHA256


def test_the_true_colour_preset_brightens_reflectance_two_and_a_half_times():
    script = builtin_preset("True colour").script
    assert (
        "var GAIN = 2.5;" in script
        and "255 * GAIN * sample.B04" in script
        and "255 * sample.dataMask" in script
    )


def test_builtin_preset_finds_a_preset_by_name_and_refuses_an_unknown_one():
    assert builtin_preset("NDWI").script == (EVALSCRIPTS_DIR / "03_ndwi.js").read_text()
    with pytest.raises(KeyError, match="No built-in preset is called 'EVI'"):
        builtin_preset("EVI")


def test_a_preset_cannot_be_changed_in_place():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BUILTIN_PRESETS[0].script = ""  # type: ignore[misc]


# --- User presets --------------------------------------------------------------------------------------------------


def test_a_folder_that_does_not_exist_yet_holds_no_preset(tmp_path):
    assert UserPresets(tmp_path / "not-yet").list() == []


def test_save_writes_one_js_file_in_a_new_folder_and_lists_it(tmp_path):
    user = UserPresets(tmp_path / "profile" / "tilewise" / "evalscripts")
    saved = user.save("  My index  ", SCRIPT)
    assert saved == Preset("My index", SCRIPT, "my index", builtin=False)
    assert (tmp_path / "profile/tilewise/evalscripts/My index.js").read_text() == SCRIPT
    assert user.list() == [saved]
    assert [p.name for p in (tmp_path / "profile/tilewise/evalscripts").iterdir()] == [
        "My index.js"
    ]  # no temp file


def test_list_sorts_by_name_without_regard_to_case_and_ignores_other_files(tmp_path):
    user = UserPresets(tmp_path)
    for name in ("beta", "Alpha", "gamma"):
        user.save(name, SCRIPT)
    (tmp_path / "notes.txt").write_text("not a script")
    (tmp_path / ".saving-x.js").write_text("a save in progress")
    (tmp_path / "folder.js").mkdir()
    assert [p.name for p in user.list()] == ["Alpha", "beta", "gamma"]


def test_a_preset_without_header_has_an_empty_description(tmp_path):
    user = UserPresets(tmp_path)
    assert user.save("plain", "//VERSION=3\nfunction setup() {}\n").description == ""
    assert user.list()[0].description == ""


def test_saving_a_name_again_overwrites_that_preset(tmp_path):
    user = UserPresets(tmp_path)
    user.save("NDRE", SCRIPT)
    user.save("NDRE", SCRIPT.replace("B04", "B05"))
    assert [(p.name, "B05" in p.script) for p in user.list()] == [("NDRE", True)]


def test_saving_a_name_in_another_case_replaces_the_old_spelling(tmp_path):
    user = UserPresets(tmp_path)
    user.save("My NDVI", SCRIPT)
    user.save("my ndvi", SCRIPT.replace("B04", "B05"))
    assert [p.name for p in user.list()] == ["my ndvi"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my ndvi.js"]


def test_delete_removes_the_file(tmp_path):
    user = UserPresets(tmp_path)
    user.save("keep", SCRIPT)
    user.save("drop", SCRIPT)
    user.delete("drop")
    assert [p.name for p in user.list()] == ["keep"]
    assert not (tmp_path / "drop.js").exists()


def test_delete_refuses_a_builtin_and_a_name_never_saved(tmp_path):
    user = UserPresets(tmp_path)
    with pytest.raises(ValueError, match="built-in presets cannot be deleted"):
        user.delete("NDVI")
    with pytest.raises(ValueError, match="no saved preset called 'ghost'"):
        user.delete("ghost")
    with pytest.raises(ValueError, match="no saved preset called '../x'"):
        user.delete("../x")


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Give the preset a name"),
        ("   ", "Give the preset a name"),
        ("NDVI", "'NDVI' is the name of a built-in preset"),
        ("true COLOUR", "is the name of a built-in preset"),
        ("a/b", "cannot contain '/'"),
        ("..\\evil", "cannot contain '\\'"),
        ("C:drive", "cannot contain ':'"),
        ("what?", "cannot contain '?'"),
        ("tab\there", "cannot contain control characters"),
        ("..", "cannot start or end with a dot"),
        (".hidden", "cannot start or end with a dot"),
    ],
)
def test_save_refuses_names_that_are_empty_builtin_or_not_file_names(tmp_path, name, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        UserPresets(tmp_path / "presets").save(name, SCRIPT)
    assert list(tmp_path.rglob("*")) == []  # nothing written, not even the folder


def test_save_refuses_an_empty_script(tmp_path):
    with pytest.raises(ValueError, match="The evalscript is empty"):
        UserPresets(tmp_path).save("blank", " \n ")


def test_a_hand_copied_file_named_like_a_builtin_is_not_listed(tmp_path):
    (tmp_path / "NDVI.js").write_text(SCRIPT)
    (tmp_path / "mine.js").write_text(SCRIPT)
    assert [p.name for p in UserPresets(tmp_path).list()] == ["mine"]


def test_all_presets_lists_builtins_first_then_the_users(tmp_path):
    user = UserPresets(tmp_path)
    user.save("zeta", SCRIPT)
    user.save("Alpha", SCRIPT)
    assert [p.name for p in all_presets(user)] == [*NAMES, "Alpha", "zeta"]
    assert [p.builtin for p in all_presets(user)] == [True] * 4 + [False] * 2
    assert all_presets(None) == list(BUILTIN_PRESETS)
