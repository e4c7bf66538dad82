"""The plugin is written for QGIS 4 (Qt6) as well as QGIS 3: scripts/check_qt6.py finds nothing in it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def check_qt6():
    spec = importlib.util.spec_from_file_location("check_qt6", ROOT / "scripts" / "check_qt6.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_qt6"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_plugin_code_has_nothing_that_qt6_lacks(check_qt6):
    paths = [ROOT / name for name in check_qt6.DEFAULT_PATHS]
    findings = check_qt6.check(paths, ROOT)
    assert not findings, "\n".join(map(str, findings))


def test_the_check_finds_each_kind_of_qt5_only_code(check_qt6, tmp_path):
    source = tmp_path / "legacy.py"
    source.write_text(
        "from PyQt5.QtCore import QTimer\n"
        "from qgis.PyQt.QtCore import Qt, QVariant\n"
        "from qgis.PyQt.QtWidgets import QDialog, QMessageBox\n"
        "from qgis.core import Qgis, QgsTask\n"
        "a = Qt.AlignRight\n"
        "b = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)\n"
        "QDialog().exec_()\n"
        "c = QVariant.String\n"
        "d = QgsTask.CanCancel\n"
        "e = Qgis.Warning\n"
        "ok = (Qt.AlignmentFlag.AlignRight, QMessageBox.StandardButton.Yes, QgsTask.Flag.CanCancel)\n"
    )
    findings = check_qt6.check([source], tmp_path)
    lines = sorted(finding.line for finding in findings)
    assert lines == [1, 5, 6, 7, 8, 9, 10], "\n".join(map(str, findings))
    by_line = {finding.line: finding.message for finding in findings}
    assert "Qt.AlignmentFlag.AlignRight" in by_line[5]
    assert "QgsTask.Flag.CanCancel" in by_line[9]
    assert "exec()" in by_line[7]


def test_the_check_runs_from_the_command_line_and_fails_on_findings(check_qt6, tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("from qgis.PyQt.QtCore import Qt\nx = Qt.AlignLeft\n")
    assert check_qt6.main([str(bad)]) == 1
    assert "Qt.AlignmentFlag.AlignLeft" in capsys.readouterr().out
    good = tmp_path / "good.py"
    good.write_text("from qgis.PyQt.QtCore import Qt\nx = Qt.AlignmentFlag.AlignLeft\n")
    assert check_qt6.main([str(good)]) == 0


def test_a_path_that_does_not_exist_is_refused_not_checked_as_empty(check_qt6, tmp_path, capsys):
    assert check_qt6.main([str(tmp_path / "uii")]) == 2
    assert capsys.readouterr().err.strip() == f"check_qt6: no such file or folder: {tmp_path / 'uii'}"
