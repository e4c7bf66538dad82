"""Reading a batch job's outputs and artefacts from S3 (AWS or any S3-compatible endpoint) or a local
folder (Qt-free).

Two ways to S3: boto3 when it can be imported (the venv, the engine), else GDAL's /vsis3/ virtual file
system, since a stock QGIS ships GDAL but not boto3. Both give the same results and the same errors.
Keys go to boto3 or to GDAL's per-bucket options and nowhere else: never into a message, a log line or
a repr.

URLs: `s3://bucket/key`, `file:///absolute/path` (the engine's local delivery), or a plain local path.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import quote, unquote, urlsplit

from .jobs import BatchJob
from .output_paths import ARTEFACT_NAME, PLACEHOLDER, artefact_folder, output_template

BOTO3, GDAL = "boto3", "gdal"
PAGE_SIZE = 1000  # S3's own maximum for one ListObjectsV2 page
CHUNK = 4 << 20  # bytes per GDAL read

OUTPUT_EXTENSIONS = ("tif", "tiff", "json", "png", "jpg", "jpeg")  # what `<format>` becomes

# GDAL options set per bucket (and cleared by clear_gdal_options).
GDAL_BUCKET_OPTIONS = (
    "AWS_S3_ENDPOINT", "AWS_HTTPS", "AWS_VIRTUAL_HOSTING", "AWS_REGION", "AWS_NO_SIGN_REQUEST",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
)  # fmt: skip
# Files the plugin reads through /vsis3/ (added when the user restricts CPL_VSIL_CURL_ALLOWED_EXTENSIONS).
GDAL_ALLOWED_EXTENSIONS = (".tif", ".tiff", ".gpkg", ".sqlite", ".json")

# GDAL's VSIErrorNum values (cpl_vsi_error.h, GDAL 3.6).
_VSI_CODES = {
    2: "Unreachable",
    6: "AccessDenied",
    7: "NoSuchBucket",
    8: "NoSuchKey",
    9: "InvalidAccessKeyId",
    10: "SignatureDoesNotMatch",
}
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_HINTS = {
    "NoSuchBucket": "the bucket does not exist at this endpoint: check the bucket name in the job's output URL "
    "and the S3 endpoint",
    "AccessDenied": "these credentials may not read this bucket: give them s3:ListBucket and s3:GetObject on it, "
    "or use other credentials",
    "403": "the credentials were refused: check the access key and secret key, and that they may read this bucket",
    "InvalidAccessKeyId": "the S3 service does not know this access key: check the access key and the endpoint",
    "SignatureDoesNotMatch": "the secret key does not belong to this access key: check the secret key",
    "NoCredentials": "no S3 credentials were found: enter an access key and secret key, or choose anonymous "
    "access for a public bucket",
    "Unreachable": "check the endpoint URL (scheme, host and port) and the network or proxy",
    "NoSuchKey": "the object is not there (yet): check the job's output URL",
}


class StorageError(Exception):
    """An object or listing cannot be read; the message says which and how to fix it, and holds no key."""


class ObjectNotFound(StorageError):
    """The object does not exist (the bucket does)."""


@dataclass(frozen=True)
class S3Access:
    """How to reach a bucket. Keys stay out of the repr."""

    # None = AWS; else e.g. http://127.0.0.1:9000 or https://s3.example.com
    endpoint_url: Optional[str] = None
    region: Optional[str] = None
    access_key: Optional[str] = field(default=None, repr=False)
    secret_key: Optional[str] = field(default=None, repr=False)
    anonymous: bool = False

    @property
    def endpoint_name(self) -> str:
        return self.endpoint_url or "AWS S3"

    def scrub(self, text: str) -> str:
        """`text` without the keys (a service may echo the access key in its error body)."""
        for secret in (self.secret_key, self.access_key):
            if secret and len(secret) >= 4:  # shorter ones are not real keys, and would mangle the text
                text = text.replace(secret, "***")
        return text


@dataclass(frozen=True)
class StoredObject:
    url: str
    size: int
    # From the output path template (job_outputs only).
    tile_name: Optional[str] = None
    tile_id: Optional[int] = None
    output_id: Optional[str] = None


# --- URLs ------------------------------------------------------------------------------------------------


def gdal_path(url: str) -> str:
    """The path GDAL opens for a URL: /vsis3/ for s3://, /vsicurl/ for http(s)://, the file for file://."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "s3":
        return "/vsis3/" + url.split("://", 1)[1]
    if scheme in ("http", "https"):
        return "/vsicurl/" + url
    if scheme == "file":
        return str(_local_path(url))
    return url


def split_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of `s3://bucket/key`."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3" or not parts.netloc:
        raise StorageError(f"{url!r} is not an S3 URL: write s3://bucket/folder.")
    return parts.netloc, parts.path.lstrip("/")


def _local_path(url: str) -> Path:
    if urlsplit(url).scheme.lower() != "file":
        return Path(url)
    path = unquote(urlsplit(url).path)
    if re.match(r"^/[A-Za-z]:", path):  # file:///C:/folder on Windows
        path = path[1:]
    return Path(path)


def _file_url(path: Path) -> str:
    return "file://" + quote(path.as_posix() if path.as_posix().startswith("/") else "/" + path.as_posix())


def _is_local(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("file", "") or re.match(r"^[A-Za-z]:[\\/]", url) is not None


# --- GDAL options ----------------------------------------------------------------------------------------


def gdal_bucket_options(access: S3Access) -> dict[str, str]:
    """The /vsis3/ options that reach a bucket with `access` (set explicitly, so no global setting leaks in)."""
    options = {"AWS_REGION": access.region or "us-east-1"}
    if access.endpoint_url:
        endpoint = urlsplit(
            access.endpoint_url if "://" in access.endpoint_url else "https://" + access.endpoint_url
        )
        options["AWS_S3_ENDPOINT"] = endpoint.netloc + endpoint.path.rstrip("/")
        options["AWS_HTTPS"] = "NO" if endpoint.scheme == "http" else "YES"
        options["AWS_VIRTUAL_HOSTING"] = "FALSE"  # path-style: what MinIO and most S3-compatible stores need
    else:
        options.update(AWS_S3_ENDPOINT="s3.amazonaws.com", AWS_HTTPS="YES", AWS_VIRTUAL_HOSTING="TRUE")
    if access.anonymous:
        options["AWS_NO_SIGN_REQUEST"] = "YES"
    else:
        options["AWS_NO_SIGN_REQUEST"] = "NO"  # a global YES would otherwise win
        if access.access_key:
            options["AWS_ACCESS_KEY_ID"] = access.access_key
            options["AWS_SECRET_ACCESS_KEY"] = access.secret_key or ""
            options["AWS_SESSION_TOKEN"] = ""  # a global session token belongs to other keys
    return options


def apply_gdal_options(access: S3Access, bucket: str) -> None:
    """Let GDAL (and so QGIS raster layers) read `/vsis3/<bucket>/...` with `access`, without touching other
    buckets: path-specific options on GDAL >= 3.6, credentials on 3.5, global options before that."""
    from osgeo import gdal

    prefix = f"/vsis3/{bucket}"
    for key, value in gdal_bucket_options(access).items():
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
        for key in GDAL_BUCKET_OPTIONS:
            gdal.SetConfigOption(key, None)
    gdal.VSICurlPartialClearCache(prefix)


# --- errors ----------------------------------------------------------------------------------------------


def _error(
    access: S3Access, action: str, url: str, code: str, said: str = "", cls: type = StorageError
) -> StorageError:
    if code == "Unreachable":
        what = f"the S3 endpoint {access.endpoint_name} could not be reached"
        if said:
            what += f" ({said.rstrip('.')})"
    elif code == "error":
        what = f"S3 answered: {said.rstrip('.') or 'an unknown error'}"
    else:
        what = f"S3 answered {code}" + (f" ({said.rstrip('.')})" if said and said != code else "")
    hint = _HINTS.get(code, f"check the URL, the endpoint ({access.endpoint_name}) and the credentials")
    return cls(access.scrub(f"Cannot {action} {url}: {what}. Fix: {hint}."))


def _boto3_error(access: S3Access, action: str, url: str, exc: Exception) -> StorageError:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(
            error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "error")
        )
        if code in _NOT_FOUND:
            return _error(access, action, url, "NoSuchKey", cls=ObjectNotFound)
        return _error(access, action, url, code, str(error.get("Message") or ""))
    if isinstance(exc, NoCredentialsError):
        return _error(access, action, url, "NoCredentials")
    if isinstance(exc, EndpointConnectionError) or exc.__class__.__name__ in (
        "ConnectTimeoutError",
        "ConnectionClosedError",
        "ReadTimeoutError",
    ):
        return _error(access, action, url, "Unreachable")
    return _error(access, action, url, exc.__class__.__name__, str(exc))


# --- backends --------------------------------------------------------------------------------------------


def default_backend() -> str:
    """boto3 when importable, else GDAL."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        return GDAL
    return BOTO3


def _backend(backend: Optional[str]) -> str:
    backend = backend or default_backend()
    if backend not in (BOTO3, GDAL):
        raise ValueError(f"Unknown storage backend {backend!r}: use {BOTO3!r} or {GDAL!r}.")
    return backend


@functools.lru_cache(maxsize=16)
def _boto3_client(access: S3Access):
    # A client per access (they are thread-safe; a session is not, hence one session each).
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path"} if access.endpoint_url else {},
        **({"signature_version": UNSIGNED} if access.anonymous else {}),
    )
    keys = {}
    if access.access_key and not access.anonymous:
        keys = {"aws_access_key_id": access.access_key, "aws_secret_access_key": access.secret_key}
    return boto3.session.Session().client(
        "s3",
        endpoint_url=access.endpoint_url,
        region_name=access.region or "us-east-1",
        config=config,
        **keys,
    )


def _boto3_explain(access: S3Access, bucket: str, key: str, action: str, error: StorageError) -> StorageError:
    """A HEAD (exists, download) answers a bare 404 or 403, without the body that says why: ask again."""
    from botocore.exceptions import ClientError

    client, url = _boto3_client(access), f"s3://{bucket}/{key}"
    try:
        if isinstance(error, ObjectNotFound):  # the object, or the whole bucket?
            client.head_bucket(Bucket=bucket)
        elif "answered 403" in str(error):  # which refusal? a one-byte GET says it
            client.get_object(Bucket=bucket, Key=key, Range="bytes=0-0")
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchBucket"):
            return _error(access, action, url, "NoSuchBucket")
        if isinstance(error, ObjectNotFound):
            return error
        return _boto3_error(access, action, url, exc)
    except Exception:  # the first answer is the one to report
        pass
    return error


def _boto3_list(access: S3Access, bucket: str, prefix: str, max_keys: int) -> list[StoredObject]:
    client = _boto3_client(access)
    found, token = [], None
    while True:
        kwargs = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if token:
            kwargs["ContinuationToken"] = token
        page = client.list_objects_v2(**kwargs)
        found += [StoredObject(f"s3://{bucket}/{o['Key']}", int(o["Size"])) for o in page.get("Contents", [])]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return found


class _GdalErrors:
    """Silence GDAL's own messages for a call (they would reach QGIS's log as warnings) and read VSI errors."""

    def __enter__(self):
        from osgeo import gdal

        gdal.PushErrorHandler("CPLQuietErrorHandler")
        gdal.VSIErrorReset()
        return self

    def __exit__(self, *exc):
        from osgeo import gdal

        gdal.PopErrorHandler()

    @staticmethod
    def last() -> tuple[int, str]:
        from osgeo import gdal

        return gdal.VSIGetLastErrorNo(), gdal.VSIGetLastErrorMsg()


def _gdal_fail(access: S3Access, action: str, url: str, number: int, message: str) -> StorageError:
    code = _VSI_CODES.get(number, "error")
    if code == "NoSuchKey":
        return _error(access, action, url, code, cls=ObjectNotFound)
    if code == "error" and "does not exist in our records" in message:
        code = "InvalidAccessKeyId"
    return _error(access, action, url, code, message)


def _gdal_open(access: S3Access, url: str, action: str, shown: Optional[str] = None):
    """An open GDAL handle on the object; `shown` is the URL errors name (default `url`)."""
    from osgeo import gdal

    bucket, _ = split_s3_url(url)
    apply_gdal_options(access, bucket)
    allowed = [
        e.strip().lower() for e in (gdal.GetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS") or "").split(",")
    ]
    if any(allowed) and not any(url.lower().endswith(e) for e in allowed if e):
        # GDAL would say "not found" without asking S3: say why instead.
        raise StorageError(
            f"Cannot {action} {shown or url} through GDAL: it reads only {', '.join(allowed)} files from S3 "
            "(CPL_VSIL_CURL_ALLOWED_EXTENSIONS). Install boto3 in QGIS's Python to read other files."
        )
    path = gdal_path(url)
    gdal.VSICurlPartialClearCache(path)  # the object may have changed since GDAL last saw it
    with _GdalErrors() as errors:
        handle = gdal.VSIFOpenExL(path, "rb", True)
        if handle is None:
            number, message = errors.last()
            raise _gdal_fail(access, action, shown or url, number or 8, message)
    return handle


def _gdal_chunks(handle):
    from osgeo import gdal

    try:
        while True:
            data = gdal.VSIFReadL(1, CHUNK, handle)
            if not data:
                return
            yield bytes(data)
            if len(data) < CHUNK:
                return
    finally:
        gdal.VSIFCloseL(handle)


def _gdal_list(access: S3Access, bucket: str, prefix: str) -> list[StoredObject]:
    from osgeo import gdal

    apply_gdal_options(access, bucket)
    folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
    root = f"/vsis3/{bucket}" + (f"/{folder}" if folder else "")
    gdal.VSICurlPartialClearCache(root)  # GDAL caches listings
    found = []
    with _GdalErrors():
        handle = gdal.OpenDir(root, -1)  # -1: the whole subtree, as flat listings (pages handled by GDAL)
        if handle is not None:
            try:
                while True:
                    entry = gdal.GetNextDirEntry(handle)
                    if entry is None:
                        break
                    key = f"{folder}/{entry.name}" if folder else entry.name
                    if (entry.mode & 0o170000) == 0o100000 and key.startswith(prefix):
                        found.append(StoredObject(f"s3://{bucket}/{key}", int(entry.size)))
            finally:
                gdal.CloseDir(handle)
    if not found:
        # An empty listing and a refused one look alike to GDAL: reading one object tells them apart.
        probe = f"s3://{bucket}/{folder + '/' if folder else ''}.tilewise-probe-{uuid.uuid4().hex[:8]}.json"
        try:
            handle = _gdal_open(access, probe, "list", shown=f"s3://{bucket}/{prefix}")
        except ObjectNotFound:
            return []
        gdal.VSIFCloseL(handle)
    return found


# --- public operations -----------------------------------------------------------------------------------


def list_objects(
    access: S3Access, url_prefix: str, *, max_keys: int = PAGE_SIZE, backend: Optional[str] = None
) -> list[StoredObject]:
    """Every object whose URL starts with `url_prefix` (all pages), sorted by URL."""
    if _is_local(url_prefix):
        return _local_list(url_prefix)
    bucket, prefix = split_s3_url(url_prefix)
    if _backend(backend) == GDAL:
        found = _gdal_list(access, bucket, prefix)
    else:
        try:
            found = _boto3_list(access, bucket, prefix, max(1, min(max_keys, PAGE_SIZE)))
        except Exception as exc:
            raise _boto3_error(access, "list", url_prefix, exc) from None
    return sorted(found, key=lambda o: o.url)


def read_bytes(access: S3Access, url: str, *, backend: Optional[str] = None) -> bytes:
    """The whole object. Raises ObjectNotFound when it is missing."""
    if _is_local(url):
        try:
            return _local_path(url).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(f"Cannot read {url}: there is no such file.") from None
        except OSError as exc:
            raise StorageError(f"Cannot read {url}: {exc.strerror or exc}.") from None
    bucket, key = split_s3_url(url)
    if _backend(backend) == GDAL:
        return b"".join(_gdal_chunks(_gdal_open(access, url, "read")))
    try:
        return _boto3_client(access).get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise _boto3_error(access, "read", url, exc) from None


def download(access: S3Access, url: str, target: Path, *, backend: Optional[str] = None) -> Path:
    """Copy the object to `target` (whole or not at all: written beside it, then renamed). Raises
    ObjectNotFound when it is missing."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if _is_local(url):
            try:
                shutil.copyfile(_local_path(url), partial)
            except FileNotFoundError:
                raise ObjectNotFound(f"Cannot read {url}: there is no such file.") from None
            except OSError as exc:
                raise StorageError(f"Cannot copy {url} to {target}: {exc.strerror or exc}.") from None
        elif _backend(backend) == GDAL:
            chunks = _gdal_chunks(_gdal_open(access, url, "download"))
            with open(partial, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        else:
            bucket, key = split_s3_url(url)
            try:
                _boto3_client(access).download_file(bucket, key, str(partial))
            except Exception as exc:
                error = _boto3_error(access, "download", url, exc)
                raise _boto3_explain(access, bucket, key, "download", error) from None
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def exists(access: S3Access, url: str, *, backend: Optional[str] = None) -> bool:
    """Whether the object is there (False for a missing object; StorageError for a missing bucket or a refusal)."""
    if _is_local(url):
        return _local_path(url).is_file()
    bucket, key = split_s3_url(url)
    if _backend(backend) == GDAL:
        try:
            handle = _gdal_open(access, url, "check")
        except ObjectNotFound:
            return False
        from osgeo import gdal

        gdal.VSIFCloseL(handle)
        return True
    try:
        _boto3_client(access).head_object(Bucket=bucket, Key=key)
        return True
    except Exception as exc:
        error = _boto3_explain(access, bucket, key, "check", _boto3_error(access, "check", url, exc))
        if isinstance(error, ObjectNotFound):
            return False
        raise error from None


def _local_list(url_prefix: str) -> list[StoredObject]:
    prefix = _local_path(url_prefix)
    # A prefix is a folder or the start of names in one, as on S3.
    is_folder = url_prefix.endswith("/") and prefix.is_dir()
    folder = prefix if is_folder else prefix.parent
    if not folder.is_dir():
        return []
    text = str(prefix) + (os.sep if is_folder else "")
    found = []
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            if str(path).startswith(text) and path.is_file():
                found.append(StoredObject(_file_url(path), path.stat().st_size))
    return sorted(found, key=lambda o: o.url)


# --- job outputs -----------------------------------------------------------------------------------------


def _output_ids(job: BatchJob) -> list[str]:
    if job.request is None:
        return []
    return [r.identifier for r in job.request.process_request.responses]


def _template_regex(template: str, output_ids: list[str]) -> re.Pattern:
    outputs = "|".join(re.escape(i) for i in sorted(output_ids, key=len, reverse=True)) or r"[^/]+"
    patterns = {
        "tileName": r"[^/]+",
        "tileId": r"\d+",
        "outputId": outputs,
        "format": "|".join(OUTPUT_EXTENSIONS),
        "requestId": r"[^/]+",
    }
    parts, seen, position = [], set(), 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>{patterns[name]})")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


def job_outputs(access: S3Access, job: BatchJob, *, backend: Optional[str] = None) -> list[StoredObject]:
    """The files a job delivered (GeoTIFFs, userdata.json), with their tile and output, sorted by URL."""
    if not job.output_url:
        return []
    template = output_template(job.output_url).replace("<requestId>", job.id)
    local = _is_local(template)
    # Match paths the way list_objects writes them: keys for S3, unquoted paths for folders.
    pattern = _template_regex(_local_path(template).as_posix() if local else template, _output_ids(job))

    def comparable(url: str) -> str:
        return _local_path(url).as_posix() if local else url

    artefacts = comparable(artefact_folder(template)).rstrip("/")
    found = []
    for item in list_objects(access, template.split("<", 1)[0], backend=backend):
        path = comparable(item.url)
        folder, name = path.rsplit("/", 1)
        if name.startswith(".") or (ARTEFACT_NAME.match(name) and folder == artefacts):  # v2 artefacts
            continue
        match = pattern.fullmatch(path)
        if match is None:
            continue
        groups = match.groupdict()
        found.append(
            StoredObject(
                item.url,
                item.size,
                tile_name=groups.get("tileName"),
                tile_id=int(groups["tileId"]) if groups.get("tileId") else None,
                output_id=groups.get("outputId"),
            )
        )
    return found
