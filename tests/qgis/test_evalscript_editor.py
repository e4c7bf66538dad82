"""The evalscript editor reads setup() with V8, and says how to install V8 when QGIS's Python lacks it."""

from __future__ import annotations

from testkit import replace_imports

from tilewise.core.presets import builtin_preset
from tilewise.ui.evalscript_editor import EvalscriptEditor

from .conftest import wait_until


def read(editor: EvalscriptEditor, script: str) -> None:
    editor.set_script(script)
    wait_until(lambda: editor.task is None and (editor.info is not None or editor.problem is not None))


def test_the_editor_describes_what_setup_declares(qgis_iface, tmp_path):
    editor = EvalscriptEditor(tmp_path)
    try:
        read(editor, builtin_preset("NDVI interpolation (tutorial)").script)
        assert editor.problem is None and editor.info.mosaicking == "ORBIT"
        assert "NDVI (5 bands, UINT16)" in editor.status_label.text()
    finally:
        editor.unload()


def test_without_mini_racer_the_editor_shows_the_install_message(qgis_iface, tmp_path, monkeypatch):
    replace_imports(monkeypatch, py_mini_racer=ImportError("No module named 'py_mini_racer'"))
    editor = EvalscriptEditor(tmp_path)
    try:
        read(editor, builtin_preset("NDVI").script)
        assert editor.info is None
        assert editor.problem.message.startswith("mini-racer is not installed. Install mini-racer (V8")
        assert editor.status_label.text() == editor.problem.message  # no line: the whole message, in red
        assert "b71c1c" in editor.status_label.styleSheet()
    finally:
        editor.unload()
