"""One version number, read from metadata.txt, for the plugin, its HTTP client and the engine."""

from __future__ import annotations

import pytest

from tilewise.core import version
from tilewise.core.deployments import BUILTIN
from tilewise.core.http import HttpSession


def metadata_version() -> str:
    lines = version.METADATA.read_text(encoding="utf-8").splitlines()
    return next(line.split("=", 1)[1].strip() for line in lines if line.startswith("version="))


def test_the_version_is_the_one_in_metadata_txt():
    assert metadata_version() == version.VERSION


def test_the_client_names_its_version_to_the_service():
    session = HttpSession(BUILTIN[0], None)
    try:
        assert session.session.headers["User-Agent"] == f"Tilewise-QGIS-plugin/{version.VERSION}"
    finally:
        session.close()


def test_a_plugin_folder_without_metadata_says_to_reinstall(tmp_path):
    (tmp_path / "metadata.txt").write_text("[general]\nname=Tilewise\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="no \\[general\\] version.*reinstall"):
        version._read_version(tmp_path / "metadata.txt")
