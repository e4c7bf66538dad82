"""Where batch jobs run: Sentinel Hub (EU, US-West), the Copernicus Data Space Ecosystem, a Tilewise engine,
or a deployment the user adds (Qt-free). Reference §1.1 and §1.10."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional
from urllib.parse import urlsplit

from .statuses import V1, V2


class DeploymentError(ValueError):
    """A deployment that cannot be used as given; the message says how to fix it."""


@dataclass(frozen=True)
class Deployment:
    id: str
    name: str
    base_url: str  # e.g. https://services.sentinel-hub.com
    token_url: str
    api_versions: tuple[int, ...] = (V2, V1)  # the first is the default
    retry_after_ms: bool = True  # Sentinel Hub and CDSE send Retry-After in milliseconds (reference §1.8)
    builtin: bool = field(default=False, compare=False)

    @property
    def default_version(self) -> int:
        return self.api_versions[0]

    def batch_url(self, version: int) -> str:
        if version not in self.api_versions:
            offered = " and ".join(f"v{v}" for v in self.api_versions)
            raise DeploymentError(f"{self.name} offers the Batch API {offered}, not v{version}.")
        return f"{self.base_url}/api/v{version}/batch"

    @property
    def process_url(self) -> str:
        return f"{self.base_url}/api/v1/process"

    def to_dict(self) -> dict:
        """For the plugin's settings: no secret lives here (credentials are in QgsAuthManager)."""
        body = asdict(self)
        body["api_versions"] = list(self.api_versions)
        body.pop("builtin")
        return body

    @classmethod
    def from_dict(cls, body: dict) -> Deployment:
        return custom_deployment(
            body["name"],
            body["base_url"],
            body.get("token_url"),
            tuple(body.get("api_versions") or (V2, V1)),
            bool(body.get("retry_after_ms", False)),
            deployment_id=body.get("id"),
        )


def custom_deployment(
    name: str,
    base_url: str,
    token_url: Optional[str] = None,
    api_versions: tuple[int, ...] = (V2, V1),
    retry_after_ms: bool = False,
    deployment_id: Optional[str] = None,
) -> Deployment:
    """A deployment the user adds, e.g. an engine on another machine; the token URL defaults to the base's."""
    base = base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DeploymentError(
            f"{base_url!r} is not a service URL: write it like https://host or http://host:8765."
        )
    if not name.strip():
        raise DeploymentError("Give the deployment a name.")
    versions = tuple(dict.fromkeys(int(v) for v in api_versions))
    if not versions or not set(versions) <= {V1, V2}:
        raise DeploymentError("A deployment offers the Batch API v2, v1 or both.")
    token = (token_url or f"{base}/auth/realms/main/protocol/openid-connect/token").strip()
    if urlsplit(token).scheme not in ("http", "https"):
        raise DeploymentError(f"{token_url!r} is not a token URL: write it like https://host/oauth/token.")
    return Deployment(
        id=deployment_id or f"custom:{parts.netloc}{parts.path}",
        name=name.strip(),
        base_url=base,
        token_url=token,
        api_versions=versions,
        retry_after_ms=retry_after_ms,
    )


LOCAL_ENGINE_URL = "http://127.0.0.1:8765"

BUILTIN: tuple[Deployment, ...] = (
    Deployment(
        "local-engine",
        "Tilewise engine (this computer)",
        LOCAL_ENGINE_URL,
        f"{LOCAL_ENGINE_URL}/auth/realms/main/protocol/openid-connect/token",
        (V2, V1),
        retry_after_ms=False,
        builtin=True,
    ),
    Deployment(
        "sentinel-hub-eu",
        "Sentinel Hub (EU, Frankfurt)",
        "https://services.sentinel-hub.com",
        "https://services.sentinel-hub.com/auth/realms/main/protocol/openid-connect/token",
        (V2, V1),
        builtin=True,
    ),
    Deployment(
        "sentinel-hub-us-west",
        "Sentinel Hub (US West, Oregon)",
        "https://services-uswest2.sentinel-hub.com",
        "https://services.sentinel-hub.com/auth/realms/main/protocol/openid-connect/token",
        (V2, V1),
        builtin=True,
    ),
    Deployment(
        "cdse",
        "Copernicus Data Space Ecosystem",
        "https://sh.dataspace.copernicus.eu",
        "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token",
        (V2, V1),
        builtin=True,
    ),
)


def builtin_deployment(deployment_id: str) -> Deployment:
    for deployment in BUILTIN:
        if deployment.id == deployment_id:
            return deployment
    known = ", ".join(d.id for d in BUILTIN)
    raise DeploymentError(f"Unknown deployment {deployment_id!r}: use one of {known}, or add a custom one.")
