"""The deployments the user has set up, and their credentials in QgsAuthManager (qgis.core, no widgets).

QgsSettings keeps the deployment list, the chosen one, its API version and the *id* of an authentication
configuration; the client id and secret live encrypted in QGIS's authentication database (a `Basic` config:
username = client id, password = client secret). S3 keys for v2 delivery are a second kind of `Basic` config
(username = access key, password = secret key). Nothing secret is ever written to QgsSettings or the project.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsSettings

from .auth import ClientCredentials
from .client import BatchClient
from .deployments import BUILTIN, Deployment, DeploymentError, custom_deployment
from .http import DEFAULT_POLICY, RetryPolicy
from .tasks import qgis_proxies

log = logging.getLogger(__name__)

PREFIX = "tilewise/connections/"
CURRENT_KEY = PREFIX + "current"
CUSTOM_KEY = PREFIX + "custom"  # JSON list of Deployment.to_dict()
DEFAULT_DEPLOYMENT = "local-engine"
AUTH_NAME_PREFIX = "Tilewise: "
S3_AUTH_NAME_PREFIX = "Tilewise S3: "
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class CredentialsError(RuntimeError):
    """The authentication database refused to store or give back credentials; the message says why."""


@dataclass(frozen=True)
class S3Keys:
    access_key: str
    secret_key: str

    def __repr__(self) -> str:  # never show the secret
        return f"S3Keys(access_key={self.access_key!r})"


def _auth_manager():
    return QgsApplication.authManager()


def _require_master_password() -> None:
    """QGIS asks for its master password (once per session) before it encrypts or decrypts anything."""
    manager = _auth_manager()
    if manager.isDisabled():
        raise CredentialsError(
            "QGIS's authentication system is disabled (" + manager.disabledMessage() + "): Tilewise cannot "
            "keep secrets without it. Check Settings → Options → Authentication."
        )
    if not manager.masterPasswordIsSet() and not manager.setMasterPassword(True):
        raise CredentialsError(
            "QGIS's master password was not entered: the credentials stay locked. Enter it when QGIS asks."
        )


def _ok(result) -> tuple[bool, Optional[QgsAuthMethodConfig]]:
    """QgsAuthManager calls answer a bool, or (bool, config) in the Python bindings of some versions."""
    if isinstance(result, tuple):
        return bool(result[0]), (result[1] if len(result) > 1 else None)
    return bool(result), None


def _store_basic(auth_id: str, name: str, username: str, password: str) -> str:
    _require_master_password()
    manager = _auth_manager()
    config = QgsAuthMethodConfig("Basic")
    if auth_id and manager.configIds().count(auth_id):
        loaded, existing = _ok(manager.loadAuthenticationConfig(auth_id, config, True))
        config = existing if loaded and existing is not None else config
    config.setMethod("Basic")
    config.setName(name)
    config.setConfig("username", username)
    config.setConfig("password", password)
    config.setConfig("realm", "")
    if config.id():
        stored, _ = _ok(manager.updateAuthenticationConfig(config))
    else:
        stored, _ = _ok(manager.storeAuthenticationConfig(config))
    if not stored or not config.id():
        raise CredentialsError(
            f"QGIS could not store the credentials “{name}” in its authentication database."
        )
    return config.id()


def _load_basic(auth_id: str) -> Optional[tuple[str, str]]:
    if not auth_id:
        return None
    manager = _auth_manager()
    if not manager.configIds().count(auth_id):
        return None
    _require_master_password()
    loaded, config = _ok(manager.loadAuthenticationConfig(auth_id, QgsAuthMethodConfig(), True))
    if not loaded or config is None:
        raise CredentialsError(
            f"QGIS could not decrypt the credentials {auth_id}: check the master password."
        )
    return config.config("username", ""), config.config("password", "")


class ConnectionStore:
    """Deployments (built in and added), the current one, and their credentials."""

    def __init__(self, settings: Optional[QgsSettings] = None):
        self.settings = settings or QgsSettings()

    # --- deployments ------------------------------------------------------------------------------------

    def deployments(self) -> list[Deployment]:
        return [*BUILTIN, *self.custom_deployments()]

    def custom_deployments(self) -> list[Deployment]:
        try:
            items = json.loads(self.settings.value(CUSTOM_KEY, "[]", type=str) or "[]")
        except ValueError:
            log.warning("Tilewise: the saved custom deployments are unreadable; ignoring them.")
            return []
        deployments = []
        for item in items if isinstance(items, list) else []:
            try:
                deployments.append(Deployment.from_dict(item))
            except (DeploymentError, KeyError, TypeError, ValueError) as exc:
                log.warning("Tilewise: skipping a saved deployment that is not valid: %s", exc)
        return deployments

    def deployment(self, deployment_id: str) -> Deployment:
        for deployment in self.deployments():
            if deployment.id == deployment_id:
                return deployment
        raise DeploymentError(f"No deployment {deployment_id!r} is set up: add it in the Tilewise settings.")

    def add_custom(self, name: str, base_url: str, token_url: Optional[str] = None) -> Deployment:
        """Add (or replace, by URL) a deployment; refuses the URL of a built-in one."""
        deployment = custom_deployment(name, base_url, token_url or None)
        for builtin in BUILTIN:
            if builtin.base_url == deployment.base_url:
                raise DeploymentError(f"{deployment.base_url} is already in the list as “{builtin.name}”.")
        others = [d for d in self.custom_deployments() if d.id != deployment.id]
        self._save_custom([*others, deployment])
        return deployment

    def remove_custom(self, deployment_id: str) -> None:
        self.forget_credentials(deployment_id)
        self.settings.remove(self._key(deployment_id, "api_version"))
        self._save_custom([d for d in self.custom_deployments() if d.id != deployment_id])
        if self.current_id() == deployment_id:
            self.set_current(DEFAULT_DEPLOYMENT)

    def _save_custom(self, deployments: list[Deployment]) -> None:
        self.settings.setValue(CUSTOM_KEY, json.dumps([d.to_dict() for d in deployments]))

    def current_id(self) -> str:
        return self.settings.value(CURRENT_KEY, DEFAULT_DEPLOYMENT, type=str) or DEFAULT_DEPLOYMENT

    def current(self) -> Deployment:
        try:
            return self.deployment(self.current_id())
        except DeploymentError:
            return self.deployment(DEFAULT_DEPLOYMENT)

    def set_current(self, deployment_id: str) -> None:
        if self.settings.value(CURRENT_KEY, "", type=str) != deployment_id:  # a write costs a file sync
            self.settings.setValue(CURRENT_KEY, deployment_id)

    def api_version(self, deployment_id: str) -> int:
        deployment = self.deployment(deployment_id)
        version = self.settings.value(
            self._key(deployment_id, "api_version"), deployment.default_version, type=int
        )
        return version if version in deployment.api_versions else deployment.default_version

    def set_api_version(self, deployment_id: str, version: int) -> None:
        self.deployment(deployment_id).batch_url(version)  # refuses a version the deployment lacks
        if self.settings.value(self._key(deployment_id, "api_version"), 0, type=int) != int(version):
            self.settings.setValue(self._key(deployment_id, "api_version"), int(version))

    # --- credentials ------------------------------------------------------------------------------------

    def auth_id(self, deployment_id: str) -> str:
        return self.settings.value(self._key(deployment_id, "authcfg"), "", type=str) or ""

    def has_credentials(self, deployment_id: str) -> bool:
        auth_id = self.auth_id(deployment_id)
        return bool(auth_id) and bool(_auth_manager().configIds().count(auth_id))

    def save_credentials(self, deployment_id: str, client_id: str, client_secret: str) -> str:
        deployment = self.deployment(deployment_id)
        if not client_id.strip() or not client_secret:
            raise CredentialsError("Enter both the client id and the client secret.")
        auth_id = _store_basic(
            self.auth_id(deployment_id), AUTH_NAME_PREFIX + deployment.name, client_id.strip(), client_secret
        )
        self.settings.setValue(self._key(deployment_id, "authcfg"), auth_id)
        return auth_id

    def credentials(self, deployment_id: str) -> Optional[ClientCredentials]:
        """On the main thread only (QGIS may ask for its master password)."""
        loaded = _load_basic(self.auth_id(deployment_id))
        return ClientCredentials(*loaded) if loaded else None

    def client_id(self, deployment_id: str) -> str:
        """The client id alone (for showing in the settings): it is not secret, but it lives with the secret."""
        credentials = self.credentials(deployment_id) if self.has_credentials(deployment_id) else None
        return credentials.client_id if credentials else ""

    def forget_credentials(self, deployment_id: str) -> None:
        auth_id = self.auth_id(deployment_id)
        if auth_id and _auth_manager().configIds().count(auth_id):
            _auth_manager().removeAuthenticationConfig(auth_id)
        self.settings.remove(self._key(deployment_id, "authcfg"))

    # --- S3 keys for v2 delivery ------------------------------------------------------------------------

    def save_s3_keys(self, label: str, access_key: str, secret_key: str, auth_id: str = "") -> str:
        if not access_key.strip() or not secret_key:
            raise CredentialsError("Enter both the S3 access key and its secret key.")
        return _store_basic(auth_id, S3_AUTH_NAME_PREFIX + label, access_key.strip(), secret_key)

    def s3_keys(self, auth_id: str) -> Optional[S3Keys]:
        loaded = _load_basic(auth_id)
        return S3Keys(*loaded) if loaded else None

    # --- clients ----------------------------------------------------------------------------------------

    def client(
        self,
        deployment_id: Optional[str] = None,
        api_version: Optional[int] = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> BatchClient:
        """A client for the deployment with its stored credentials and QGIS's proxy settings. On the main thread
        only: decrypting the credentials may make QGIS ask for its master password."""
        deployment = self.deployment(deployment_id or self.current_id())
        credentials = self.credentials(deployment.id)
        if credentials is None:
            raise CredentialsError(
                f"No client id and secret are set up for {deployment.name}: add them in the Tilewise settings."
            )
        version = api_version or self.api_version(deployment.id)
        return BatchClient(deployment, credentials, version, proxies=qgis_proxies(), policy=policy)

    @staticmethod
    def _key(deployment_id: str, name: str) -> str:
        return f"{PREFIX}{deployment_id.replace('/', '_')}/{name}"


def is_local_engine(deployment: Deployment) -> bool:
    """A Tilewise engine on this computer: it alone can write to a local folder of the user's."""
    return deployment.id == "local-engine" or urlsplit(deployment.base_url).hostname in LOOPBACK_HOSTS
