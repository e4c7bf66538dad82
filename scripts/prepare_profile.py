"""Prepare the project's own QGIS profile for `make run` (never the user's default profile).

The plugin folder is a link to the checkout, so edits show after a QGIS restart
(or with Plugin Reloader). Settings written here only enable the plugin, open
its dock and quiet first-run prompts; a second run keeps what the user changed.

It also, with a headless QGIS (one writer for QGIS3.ini: QgsSettings):

- gives the profile's authentication database (`<profile>/qgis-auth.db`) a master password, made once at
  random and kept in `<profiles dir>/master-password` (mode 0600); start QGIS with
  `QGIS_AUTH_PASSWORD_FILE=<that file>` and it unlocks the database without asking;
- stores the local engine's client id and secret (TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET, or the
  engine's defaults) in that database through core.connections, so QGIS3.ini only holds an auth config id,
  and makes the local engine the current deployment unless the user chose another;
- with `--sample-project`, writes a project with the tutorial's California area (copied to a GeoPackage next
  to the project), unless the project already exists.

Run it again at will: the master password, the auth config (updated in place) and user changes are kept.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
SAMPLE_SOURCE = REPO / "resources" / "sample" / "california_crop_fields.geojson"
SAMPLE_LAYER_NAME = "california_crop_fields"
SAMPLE_LAYER_TITLE = "California crop fields"
PROJECT_CRS = "EPSG:3857"

SETTINGS = {
    "PythonPlugins": {"tilewise": "true"},
    # The dock opens on the tutorial's job: July 2023 (what the demo catalog holds), tiles to a local folder.
    "tilewise": {
        "dock_visible": "true",
        "job_form/from": "2023-07-01",
        "job_form/to": "2023-07-30",
        "job_form/location": "folder",
        "job_form/grid": "1",
        "job_form/resolution": "10.0",
    },
    "qgis": {"checkVersion": "false", "allowVersionCheck": "false", "showTips": "false"},
    "core": {"NewsFeed\\httpsfeedqgisorg\\disabled": "true"},  # QSettings key: core/NewsFeed/…/disabled
}


class ProfileError(RuntimeError):
    """Something the user has to fix; the message says what."""


# --- files, without QGIS --------------------------------------------------------------------------------


def link_plugin(profile_dir: Path, plugin_dir: Path) -> None:
    plugins = profile_dir / "python" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "tilewise"
    if (link.is_symlink() or link.exists()) and link.resolve() != plugin_dir.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(plugin_dir.resolve(), target_is_directory=True)


def master_password(path: Path, database_has_one: bool) -> str:
    """The master password kept in `path`; a new random one when neither the file nor the database has one."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        password = path.read_text().strip()
        if not password:
            raise ProfileError(f"{path} is empty: delete it and the profile's qgis-auth.db to start over.")
        return password
    if database_has_one:
        raise ProfileError(
            f"The profile's authentication database already has a master password, but {path} is missing. "
            "Put that password in the file (one line, mode 0600), or delete the profile's qgis-auth.db to start "
            "over (the credentials stored in it are lost)."
        )
    password = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password


# --- QGIS -----------------------------------------------------------------------------------------------


def start_qgis(profile_dir: Path):
    """A headless QgsApplication whose settings and authentication database are the profile's."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # QGIS prints the master password's salt and hash with qDebug when it stores one: keep them off the terminal.
    os.environ.setdefault("QT_LOGGING_RULES", "default.debug=false")
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = str(profile_dir)  # read when QgsApplication is made
    os.environ.pop("QGIS_AUTH_PASSWORD_FILE", None)  # this script sets the password itself
    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QCoreApplication, QSettings

    # As QGIS desktop names itself: a default QSettings then means <profile>/QGIS/QGIS3.ini.
    QCoreApplication.setOrganizationName("QGIS")
    QCoreApplication.setApplicationName("QGIS3")
    # Whatever QGIS itself writes through a default QSettings lands in the profile, never in ~/.config.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(profile_dir))
    app = QgsApplication([], False, str(profile_dir))
    app.initQgis()
    return app


WATCHDOG_KEY = "PythonPlugins/watchDog/tilewise"


def write_settings(settings) -> bool:
    """The defaults the user has not changed; True when the plugin had to be re-enabled after a crash."""
    for section, values in SETTINGS.items():
        for key, value in values.items():
            name = f"{section}/{key.replace(chr(92), '/')}"
            if not settings.contains(name):
                settings.setValue(name, value)
    # QGIS sets this flag while it loads the plugin and clears it once loaded; a QGIS that crashed or was
    # killed meanwhile (a modal error dialog under xvfb, Ctrl-C, `timeout`) leaves it, and the next QGIS
    # disables the plugin "because it previously crashed QGIS". This profile exists to develop the plugin:
    # turn it back on (a plugin the user disabled has no such flag, and stays off).
    if str(settings.value(WATCHDOG_KEY, "false")).lower() == "true":
        settings.remove(WATCHDOG_KEY)
        settings.setValue("PythonPlugins/tilewise", "true")
        return True
    return False


def unlock_auth_db(password_file: Path) -> None:
    from qgis.core import QgsApplication

    manager = QgsApplication.authManager()
    if manager.isDisabled():
        raise ProfileError(f"QGIS's authentication system is disabled: {manager.disabledMessage()}")
    password = master_password(password_file, bool(manager.masterPasswordHashInDatabase()))
    if not manager.setMasterPassword(password, True):
        raise ProfileError(
            f"The master password in {password_file} does not unlock {QgsApplication.qgisAuthDatabaseFilePath()}: "
            "put the right one in the file, or delete both to start over (stored credentials are lost)."
        )


def store_engine_credentials(
    settings, client_id: str, client_secret: str, engine_url: str
) -> tuple[str, str]:
    """Save the engine's credentials through core.connections; returns (deployment id, auth config id)."""
    from tilewise.core.connections import CURRENT_KEY, ConnectionStore, CredentialsError
    from tilewise.core.deployments import LOCAL_ENGINE_URL, DeploymentError

    store = ConnectionStore(settings)
    url = engine_url.rstrip("/")
    try:
        if url == LOCAL_ENGINE_URL:
            deployment_id = "local-engine"
            make_current = not settings.contains(CURRENT_KEY)  # keep the user's choice
        else:  # an engine on another port (TILEWISE_PORT): a deployment of its own, and the current one
            deployment = store.add_custom(
                f"Tilewise engine (this computer, port {url.rsplit(':', 1)[-1]})",
                url,
                f"{url}/auth/realms/main/protocol/openid-connect/token",
            )
            deployment_id, make_current = deployment.id, True
        auth_id = store.save_credentials(deployment_id, client_id, client_secret)
    except (CredentialsError, DeploymentError) as exc:
        raise ProfileError(str(exc)) from None
    if make_current:
        store.set_current(deployment_id)
    return deployment_id, auth_id


def write_sample_project(project_path: Path, source: Path = SAMPLE_SOURCE) -> bool:
    """The tutorial's area as a GeoPackage layer in a project zoomed to it; False when the project existed."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFillSymbol,
        QgsProject,
        QgsReferencedRectangle,
        QgsVectorLayer,
    )

    project_path.parent.mkdir(parents=True, exist_ok=True)
    gpkg = project_path.with_name(SAMPLE_LAYER_NAME + ".gpkg")
    if not gpkg.exists():  # also when only the data went missing: the project refers to it
        from osgeo import gdal

        gdal.UseExceptions()
        partial = gpkg.with_name(gpkg.stem + ".partial.gpkg")
        partial.unlink(missing_ok=True)
        gdal.VectorTranslate(str(partial), str(source), format="GPKG", layerName=SAMPLE_LAYER_NAME)
        partial.replace(gpkg)
    if project_path.exists():
        return False
    layer = QgsVectorLayer(f"{gpkg}|layername={SAMPLE_LAYER_NAME}", SAMPLE_LAYER_TITLE, "ogr")
    if not layer.isValid():
        raise ProfileError(f"QGIS cannot open {gpkg} (made from {source}).")
    layer.setRenderer(layer.renderer().clone())
    layer.renderer().setSymbol(
        QgsFillSymbol.createSimple(
            {"color": "255,196,0,60", "outline_color": "214,110,0,255", "outline_width": "0.6"}
        )
    )
    project = QgsProject()
    crs = QgsCoordinateReferenceSystem(PROJECT_CRS)
    project.setCrs(crs)
    project.setTitle("Tilewise sample: the tutorial's California crop fields")
    project.addMapLayer(layer)
    extent = QgsCoordinateTransform(layer.crs(), crs, project).transformBoundingBox(layer.extent())
    extent.scale(1.2)
    project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(extent, crs))
    partial = project_path.with_name(project_path.stem + ".partial" + project_path.suffix)
    if not project.write(str(partial)):
        raise ProfileError(f"QGIS could not write {project_path}: {project.error()}")
    partial.replace(project_path)
    return True


# --- everything -----------------------------------------------------------------------------------------


def prepare(
    profiles_dir: Path,
    profile: str,
    plugin_dir: Path,
    *,
    credentials: bool = True,
    master_password_file: Optional[Path] = None,
    client_id: str = "",
    client_secret: str = "",
    engine_url: str = "",
    sample_project: Optional[Path] = None,
) -> Path:
    profile_dir = (profiles_dir / "profiles" / profile).absolute()
    link_plugin(profile_dir, plugin_dir)
    ini_path = profile_dir / "QGIS" / "QGIS3.ini"
    ini_path.parent.mkdir(parents=True, exist_ok=True)
    # profiles.ini makes this profile the default of this profiles folder only.
    (profiles_dir / "profiles" / "profiles.ini").write_text(f"[core]\ndefaultProfile={profile}\n")

    app = start_qgis(profile_dir)
    try:
        from qgis.core import QgsSettings
        from qgis.PyQt.QtCore import QSettings

        settings = QgsSettings(str(ini_path), QSettings.Format.IniFormat)
        if write_settings(settings):
            print(
                "Re-enabled the plugin: the last QGIS stopped (crashed or was killed) while it was loading it."
            )
        if credentials:
            password_file = master_password_file or profiles_dir / "master-password"
            unlock_auth_db(password_file.absolute())
            deployment_id, auth_id = store_engine_credentials(settings, client_id, client_secret, engine_url)
            print(
                f"Engine credentials in QGIS's authentication database: {deployment_id} → auth config {auth_id}"
            )
        settings.sync()
        if sample_project is not None:
            created = write_sample_project(sample_project.absolute())
            print(f"Sample project {'written' if created else 'kept'}: {sample_project}")
    finally:
        app.exitQgis()
    return profile_dir


def main() -> None:
    from tilewise.engine.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PORT

    port = os.environ.get("TILEWISE_PORT") or str(DEFAULT_PORT)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles-dir", type=Path, required=True)
    parser.add_argument("--profile", default="tilewise")
    parser.add_argument("--plugin-dir", type=Path, required=True)
    parser.add_argument(
        "--master-password-file",
        type=Path,
        help="default: <profiles dir>/master-password (made when missing)",
    )
    parser.add_argument(
        "--no-credentials", action="store_true", help="leave the authentication database alone"
    )
    parser.add_argument(
        "--engine-url", default=f"http://127.0.0.1:{port}", help="default: from TILEWISE_PORT"
    )
    parser.add_argument(
        "--sample-project", type=Path, help="write this .qgz with the tutorial's area if missing"
    )
    args = parser.parse_args()
    try:
        profile_dir = prepare(
            args.profiles_dir,
            args.profile,
            args.plugin_dir,
            credentials=not args.no_credentials,
            master_password_file=args.master_password_file,
            client_id=os.environ.get("TILEWISE_CLIENT_ID") or DEFAULT_CLIENT_ID,
            client_secret=os.environ.get("TILEWISE_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET,
            engine_url=args.engine_url,
            sample_project=args.sample_project,
        )
    except ProfileError as exc:
        sys.exit(f"prepare_profile: {exc}")
    print(f"QGIS profile ready: {profile_dir}")


if __name__ == "__main__":
    main()
