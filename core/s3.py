"""S3 for both halves (Qt-free; GDAL imported only to set options, boto3 never): the one credentials type
(`S3Credentials`) and the plugin's access to a bucket built on it (`S3Access`), URLs of the storage
(`s3://bucket/key`, `file:///absolute/path`, plain paths) and the /vsis3/ options GDAL reaches a bucket with.

The plugin reads outputs with it (core/storage.py), the engine delivers them (engine/output/delivery.py)
and reads scenes (engine/data), and the request model carries the keys a v2 request sends
(core/batch_models.py). A secret never appears in a repr, a message or a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import quote, unquote, urlsplit

# Every /vsis3/ option gdal_s3_options may set (so a caller can clear them all).
GDAL_S3_OPTIONS = (
    "AWS_S3_ENDPOINT", "AWS_HTTPS", "AWS_VIRTUAL_HOSTING", "AWS_REGION", "AWS_NO_SIGN_REQUEST",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
)  # fmt: skip
AWS_ENDPOINT = "s3.amazonaws.com"
DEFAULT_REGION = "us-east-1"
# Files the plugin reads through /vsis3/ (added when the user restricts CPL_VSIL_CURL_ALLOWED_EXTENSIONS).
GDAL_ALLOWED_EXTENSIONS = (".tif", ".tiff", ".gpkg", ".sqlite", ".json")


class StorageError(Exception):
    """An object or listing cannot be read; the message says which and how to fix it, and holds no key."""


class ObjectNotFound(StorageError):
    """The object does not exist (the bucket does)."""


@dataclass(frozen=True)
class S3Credentials:
    """Keys for a bucket (a v2 request's `accessKey`/`secretAccessKey`, or the plugin's stored keys) and the
    bucket's region. The keys stay out of the repr (messages name a bucket, never a key id)."""

    access_key: Optional[str] = field(default=None, repr=False)
    secret_access_key: Optional[str] = field(default=None, repr=False)
    region: Optional[str] = None

    @classmethod
    def from_api(cls, s3_info: dict, region: Optional[str] = None) -> Optional[S3Credentials]:
        """The keys and region of an API `s3` object (`{accessKey, secretAccessKey, region}`; `region`, when
        given, wins); None when there are neither keys nor a region (the engine's own identity and region)."""
        access, secret = s3_info.get("accessKey"), s3_info.get("secretAccessKey")
        region = region or s3_info.get("region")
        if not access and not region:
            return None
        return cls(str(access) if access else None, str(secret) if secret is not None else None, region)

    @property
    def has_keys(self) -> bool:
        return bool(self.access_key)

    def scrub(self, text: str) -> str:
        """`text` without the keys (a service may echo the access key in its error body)."""
        for secret in (self.secret_access_key, self.access_key):
            if secret and len(secret) >= 4:  # shorter ones are not real keys, and would mangle the text
                text = text.replace(secret, "***")
        return text


@dataclass(frozen=True, init=False)
class S3Access:
    """How the plugin reaches a bucket: the endpoint (None: AWS), the region, the keys (None: boto3's default
    chain) or anonymous access. Built from the keys as the plugin's forms hold them:
    `S3Access(endpoint_url, region, access_key, secret_key)`. Keys stay out of the repr."""

    endpoint_url: Optional[str] = None  # e.g. http://127.0.0.1:9000 or https://s3.example.com
    region: Optional[str] = None
    credentials: Optional[S3Credentials] = field(default=None, repr=False)
    anonymous: bool = False

    def __init__(
        self,
        endpoint_url: Optional[str] = None,
        region: Optional[str] = None,
        access_key: Optional[str] = None,
        secret_key: Optional[str] = None,
        anonymous: bool = False,
    ):
        object.__setattr__(self, "endpoint_url", endpoint_url)
        object.__setattr__(self, "region", region)
        keys = S3Credentials(access_key, secret_key, region) if access_key else None
        object.__setattr__(self, "credentials", keys)
        object.__setattr__(self, "anonymous", anonymous)

    @property
    def access_key(self) -> Optional[str]:
        return self.credentials.access_key if self.credentials else None

    @property
    def secret_key(self) -> Optional[str]:
        return self.credentials.secret_access_key if self.credentials else None

    @property
    def endpoint_name(self) -> str:
        return self.endpoint_url or "AWS S3"

    def scrub(self, text: str) -> str:
        """`text` without the keys (a service may echo the access key in its error body)."""
        return self.credentials.scrub(text) if self.credentials else text

    def gdal_options(self) -> dict[str, str]:
        """The /vsis3/ options that reach a bucket with this access: every one set, since the rest of QGIS
        shares this GDAL."""
        return gdal_s3_options(
            self.endpoint_url,
            credentials=self.credentials,
            region=self.region,
            anonymous=self.anonymous,
            isolated=True,
        )


# --- URLs ------------------------------------------------------------------------------------------------


def split_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of `s3://bucket/key`; StorageError for any other URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3" or not parts.netloc:
        raise StorageError(f"{url!r} is not an S3 URL: write s3://bucket/folder.")
    return parts.netloc, parts.path.lstrip("/")


def is_local(url: str) -> bool:
    """A `file://` URL or a plain path (POSIX or Windows), rather than a remote object."""
    return urlsplit(url).scheme.lower() in ("file", "") or re.match(r"^[A-Za-z]:[\\/]", url) is not None


def local_path(url: str) -> Path:
    """The path of a `file://` URL (percent-decoded; `file:///C:/folder` on Windows); a plain path as it is."""
    if urlsplit(url).scheme.lower() != "file":
        return Path(url)
    path = unquote(urlsplit(url).path)
    if re.match(r"^/[A-Za-z]:", path):  # file:///C:/folder on Windows
        path = path[1:]
    return Path(path)


def file_url(path: Path) -> str:
    """The `file://` URL of a local path."""
    posix = path.as_posix()
    return "file://" + quote(posix if posix.startswith("/") else "/" + posix)


def gdal_path(url: str) -> str:
    """The path GDAL opens for a URL: /vsis3/ for s3://, /vsicurl/ for http(s)://, the file for file://, and
    anything else (a path, a /vsi path) as it is."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "s3":
        return "/vsis3/" + url.split("://", 1)[1]
    if scheme in ("http", "https"):
        return "/vsicurl/" + url
    if scheme == "file":
        return str(local_path(url))
    return url


# --- GDAL ------------------------------------------------------------------------------------------------


def gdal_s3_options(
    endpoint_url: Optional[str],
    *,
    credentials: Optional[S3Credentials] = None,
    region: Optional[str] = None,
    anonymous: bool = False,
    isolated: bool = False,
) -> dict[str, str]:
    """GDAL's /vsis3/ options for an S3 endpoint (None: AWS), path-style for any other endpoint.

    `isolated` (the plugin, whose GDAL the rest of QGIS shares): every option is set, AWS's own values when
    there is no endpoint, the region (`region`, else the credentials', else us-east-1), signing and keys, so
    no global setting leaks in. Otherwise (the engine) only what the endpoint needs: the rest comes from
    GDAL's configuration and the AWS_* environment.
    """
    options: dict[str, str] = {}
    if endpoint_url:
        endpoint = urlsplit(endpoint_url if "://" in endpoint_url else "https://" + endpoint_url)
        options["AWS_S3_ENDPOINT"] = endpoint.netloc + endpoint.path.rstrip("/")
        options["AWS_HTTPS"] = "NO" if endpoint.scheme == "http" else "YES"
        options["AWS_VIRTUAL_HOSTING"] = "FALSE"  # path-style: what MinIO and most S3-compatible stores need
    elif isolated:
        options.update(AWS_S3_ENDPOINT=AWS_ENDPOINT, AWS_HTTPS="YES", AWS_VIRTUAL_HOSTING="TRUE")
    if not isolated:
        return options
    options["AWS_REGION"] = region or (credentials.region if credentials else None) or DEFAULT_REGION
    if anonymous:
        options["AWS_NO_SIGN_REQUEST"] = "YES"
        return options
    options["AWS_NO_SIGN_REQUEST"] = "NO"  # a global YES would otherwise win
    if credentials is not None and credentials.has_keys:
        options["AWS_ACCESS_KEY_ID"] = credentials.access_key or ""
        options["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key or ""
        options["AWS_SESSION_TOKEN"] = ""  # a global session token belongs to other keys
    return options


def apply_gdal_options(access: S3Access, bucket: str) -> None:
    """Let GDAL (and so QGIS raster layers) read `/vsis3/<bucket>/...` with `access`, without touching other
    buckets: path-specific options on GDAL >= 3.6, credentials on 3.5, global options before that."""
    from osgeo import gdal

    prefix = f"/vsis3/{bucket}"
    for key, value in access.gdal_options().items():
        if hasattr(gdal, "SetPathSpecificOption"):
            gdal.SetPathSpecificOption(prefix, key, value)
        elif hasattr(gdal, "SetCredential"):
            gdal.SetCredential(prefix, key, value)
        else:
            gdal.SetConfigOption(key, value)
    gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")
    # A user who narrowed the extensions GDAL reads remotely gets ours added; unset (every extension) stays
    # unset: narrowing it here would break the user's other remote layers (.vrt, .jp2...) in this QGIS.
    current = gdal.GetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS")
    if current:
        allowed = [e for e in current.split(",") if e.strip()]
        allowed += [e for e in GDAL_ALLOWED_EXTENSIONS if e not in allowed]
        gdal.SetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ",".join(allowed))


def clear_gdal_options(bucket: str) -> None:
    """Forget `bucket`'s options (and GDAL's cached listings and blocks of it)."""
    from osgeo import gdal

    prefix = f"/vsis3/{bucket}"
    if hasattr(gdal, "ClearPathSpecificOptions"):
        gdal.ClearPathSpecificOptions(prefix)
    elif hasattr(gdal, "ClearCredentials"):
        gdal.ClearCredentials(prefix)
    else:
        for key in GDAL_S3_OPTIONS:
            gdal.SetConfigOption(key, None)
    gdal.VSICurlPartialClearCache(prefix)
