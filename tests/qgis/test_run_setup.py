"""scripts/prepare_profile.py, as `make run` calls it: profile, auth DB with the engine's credentials, sample project.

The script runs as a subprocess into a tmp profiles folder (with HOME in tmp too, to prove it never touches
the user's own QGIS); the credentials are read back by another subprocess that, like QGIS desktop under
`make run`, only gets QGIS_AUTH_PASSWORD_FILE to unlock the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from qgis.core import QgsProject, QgsVectorLayer, QgsWkbTypes
from qgis.PyQt.QtCore import QSettings
from testkit import REPO

SCRIPT = REPO / "scripts" / "prepare_profile.py"
SAMPLE = REPO / "resources" / "sample" / "california_crop_fields.geojson"

READ_BACK = """
import json, sys
from qgis.core import QgsApplication, QgsSettings
from qgis.PyQt.QtCore import QSettings

profile = sys.argv[1]
app = QgsApplication([], False, profile)
app.initQgis()
manager = QgsApplication.authManager()
unlocked = manager.masterPasswordIsSet()  # by QGIS_AUTH_PASSWORD_FILE alone: nothing here sets it
result = {"unlocked": unlocked, "db": QgsApplication.qgisAuthDatabaseFilePath()}
if unlocked:
    from tilewise.core.connections import ConnectionStore

    store = ConnectionStore(QgsSettings(profile + "/QGIS/QGIS3.ini", QSettings.IniFormat))
    deployment = store.current_id()
    credentials = store.credentials(deployment)
    result.update(current=deployment, auth_id=store.auth_id(deployment),
                  client_id=credentials.client_id, client_secret=credentials.client_secret)
print("RESULT " + json.dumps(result))
app.exitQgis()
"""


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILEWISE_", "QGIS_AUTH_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share")
    )
    env.update(QT_QPA_PLATFORM="offscreen", **extra)
    return env


def _prepare(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--profiles-dir",
            str(tmp_path / "profiles-root"),
            "--profile",
            "tilewise",
            "--plugin-dir",
            str(REPO),
            "--sample-project",
            str(tmp_path / "sample-project" / "tilewise-sample.qgz"),
        ],
        capture_output=True,
        text=True,
        env=_env(tmp_path, **env),
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _read_back(tmp_path: Path, profile: Path, password_file: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(profile)],
        capture_output=True,
        text=True,
        env=_env(tmp_path, QGIS_AUTH_DB_DIR_PATH=str(profile), QGIS_AUTH_PASSWORD_FILE=str(password_file)),
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return json.loads(lines[-1][len("RESULT ") :])


def _auth_configs(profile: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(profile / "qgis-auth.db") as db:
        return db.execute("SELECT id, name FROM auth_configs").fetchall()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The profile prepared twice (a user change in between, and another secret the second time)."""
    tmp_path = tmp_path_factory.mktemp("run-setup")
    root = tmp_path / "profiles-root"
    profile = root / "profiles" / "tilewise"
    first = _prepare(tmp_path)
    password_file = root / "master-password"
    first_password = password_file.read_text()
    first_configs = _auth_configs(profile)
    first_read = _read_back(tmp_path, profile, password_file)

    ini = QSettings(str(profile / "QGIS" / "QGIS3.ini"), QSettings.Format.IniFormat)
    ini.setValue("qgis/showTips", "true")  # the user turned tips back on
    ini.setValue("myplugin/setting", "kept, with a comma")
    ini.sync()
    del ini

    second = _prepare(tmp_path, TILEWISE_CLIENT_ID="tilewise", TILEWISE_CLIENT_SECRET="a-new-secret-7Qx")
    return {
        "tmp": tmp_path,
        "root": root,
        "profile": profile,
        "password_file": password_file,
        "first_password": first_password,
        "first_configs": first_configs,
        "first_read": first_read,
        "outputs": (first.stdout, second.stdout),
    }


def test_profile_files(prepared):
    profile = prepared["profile"]
    link = profile / "python" / "plugins" / "tilewise"
    assert link.is_symlink() and link.resolve() == REPO.resolve()
    assert (prepared["root"] / "profiles" / "profiles.ini").read_text() == "[core]\ndefaultProfile=tilewise\n"
    assert (profile / "qgis-auth.db").is_file()
    home = prepared["tmp"] / "home"
    assert not (home / ".config" / "QGIS").exists() and not (home / ".local" / "share" / "QGIS").exists()


def test_master_password_made_once_and_private(prepared):
    password_file = prepared["password_file"]
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text()
    assert password == prepared["first_password"], "a second run must keep the master password"
    assert len(password.strip()) >= 32


def test_credentials_in_the_auth_db_unlocked_by_the_password_file(prepared):
    first = prepared["first_read"]
    assert first["unlocked"], first
    assert first["db"] == str(prepared["profile"] / "qgis-auth.db")
    assert (first["current"], first["client_id"], first["client_secret"]) == (
        "local-engine",
        "tilewise",
        "tilewise-local-secret",
    )
    # The second run updated the same auth config in place: one config, same id, the new secret.
    configs = _auth_configs(prepared["profile"])
    assert configs == prepared["first_configs"]
    assert len(configs) == 1 and configs[0][1].startswith("Tilewise: ")
    second = _read_back(prepared["tmp"], prepared["profile"], prepared["password_file"])
    assert second["auth_id"] == first["auth_id"] == configs[0][0]
    assert (second["current"], second["client_id"], second["client_secret"]) == (
        "local-engine",
        "tilewise",
        "a-new-secret-7Qx",
    )


def test_a_wrong_password_file_does_not_unlock(prepared, tmp_path):
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-master-password\n")
    assert not _read_back(tmp_path, prepared["profile"], wrong)["unlocked"]


def test_settings_hold_no_secret_and_keep_user_changes(prepared):
    text = (prepared["profile"] / "QGIS" / "QGIS3.ini").read_text()
    for secret in ("tilewise-local-secret", "a-new-secret-7Qx", prepared["first_password"].strip()):
        assert secret not in text
    ini = QSettings(str(prepared["profile"] / "QGIS" / "QGIS3.ini"), QSettings.Format.IniFormat)
    assert ini.value("tilewise/connections/local-engine/authcfg") == prepared["first_read"]["auth_id"]
    assert ini.value("tilewise/connections/current") == "local-engine"
    assert ini.value("PythonPlugins/tilewise") == "true"
    assert ini.value("tilewise/dock_visible") == "true"
    assert ini.value("core/NewsFeed/httpsfeedqgisorg/disabled") == "true"
    assert ini.value("qgis/showTips") == "true", "the user's change must survive a second run"
    assert ini.value("myplugin/setting") == "kept, with a comma"


def test_sample_project(prepared, qgis_new_project):
    project_path = prepared["tmp"] / "sample-project" / "tilewise-sample.qgz"
    assert "Sample project written" in prepared["outputs"][0]
    assert "Sample project kept" in prepared["outputs"][1]
    project = QgsProject()
    assert project.read(str(project_path)), project.error()
    layers = list(project.mapLayers().values())
    assert len(layers) == 1
    layer = layers[0]
    assert isinstance(layer, QgsVectorLayer) and layer.isValid()
    assert layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry
    expected = len(json.loads(SAMPLE.read_text())["features"])
    assert layer.featureCount() == expected == 2
    names = sorted(f["name"] for f in layer.getFeatures())
    assert names == ["Entire area", "Test sub-area"]
    # Self-contained: the data is a GeoPackage next to the project, referred to by a relative path.
    source = Path(layer.source().split("|")[0])
    assert source == project_path.with_name("california_crop_fields.gpkg")
    assert not project.readBoolEntry("Paths", "/Absolute", False)[0]
    # Zoomed to the area.
    assert project.crs().authid() == "EPSG:3857"
    view = project.viewSettings().defaultViewExtent()
    assert not view.isEmpty() and view.crs().authid() == "EPSG:3857"
    from qgis.core import QgsCoordinateTransform

    area = QgsCoordinateTransform(layer.crs(), project.crs(), project).transformBoundingBox(layer.extent())
    assert view.contains(area) and view.width() < 3 * area.width()


def test_user_edits_to_the_sample_project_survive(tmp_path):
    project_path = tmp_path / "sample-project" / "tilewise-sample.qgz"
    _prepare(tmp_path)
    project = QgsProject()
    assert project.read(str(project_path))
    project.setTitle("my edits")
    assert project.write()
    again = _prepare(tmp_path)
    assert "Sample project kept" in again.stdout
    reread = QgsProject()
    assert reread.read(str(project_path)) and reread.title() == "my edits"


def test_another_port_gets_a_deployment_of_its_own(tmp_path):
    _prepare(tmp_path, TILEWISE_PORT="18999")
    profile = tmp_path / "profiles-root" / "profiles" / "tilewise"
    read = _read_back(tmp_path, profile, tmp_path / "profiles-root" / "master-password")
    assert read["current"] == "custom:127.0.0.1:18999"
    assert (read["client_id"], read["client_secret"]) == ("tilewise", "tilewise-local-secret")


def test_a_locked_database_without_its_password_file_is_explained(tmp_path):
    _prepare(tmp_path)
    (tmp_path / "profiles-root" / "master-password").unlink()
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--profiles-dir",
            str(tmp_path / "profiles-root"),
            "--plugin-dir",
            str(REPO),
        ],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert done.returncode != 0
    assert "already has a master password" in done.stderr and "master-password is missing" in done.stderr


def test_a_plugin_disabled_by_the_crash_watchdog_is_re_enabled(tmp_path):
    """QGIS killed while loading the plugin leaves its watchdog flag and disables the plugin next time."""
    _prepare(tmp_path)
    ini_path = tmp_path / "profiles-root" / "profiles" / "tilewise" / "QGIS" / "QGIS3.ini"
    ini = QSettings(str(ini_path), QSettings.Format.IniFormat)
    ini.setValue("PythonPlugins/watchDog/tilewise", True)
    ini.setValue("PythonPlugins/tilewise", False)
    ini.sync()
    again = _prepare(tmp_path)
    assert "Re-enabled the plugin" in again.stdout
    ini = QSettings(str(ini_path), QSettings.Format.IniFormat)
    assert ini.value("PythonPlugins/tilewise") == "true"
    assert not ini.contains("PythonPlugins/watchDog/tilewise")
    # A plugin the user turned off (no watchdog flag) stays off.
    ini.setValue("PythonPlugins/tilewise", False)
    ini.sync()
    _prepare(tmp_path)
    assert QSettings(str(ini_path), QSettings.Format.IniFormat).value("PythonPlugins/tilewise") == "false"
