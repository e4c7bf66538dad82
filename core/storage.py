"""Reading a batch job's outputs and artefacts from S3 (AWS or any S3-compatible endpoint) or a local
folder (Qt-free).

Three backends behind one small interface (`Storage`: list, read, download, exists): boto3 when it can be
imported (the venv, the engine), else GDAL's /vsis3/ virtual file system, since a stock QGIS ships GDAL but
not boto3; and the folder for `file://` URLs and plain paths. Both S3 backends give the same results and the
same errors. Keys go to boto3 or to GDAL's per-bucket options and nowhere else: never into a message, a log
line or a repr. URLs, keys and GDAL options come from core/s3.py, output templates from core/output_paths.py.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Protocol

from .jobs import BatchJob
from .output_paths import (
    ARTEFACT_NAME,
    OutputLocation,
    TemplateMatcher,
    artefact_folder,
    fill_template,
    output_template,
)
from .s3 import (
    ObjectNotFound,
    S3Access,
    StorageError,
    apply_gdal_options,
    file_url,
    gdal_path,
    is_local,
    local_path,
    split_s3_url,
)

BOTO3, GDAL = "boto3", "gdal"
PAGE_SIZE = 1000  # S3's own maximum for one ListObjectsV2 page
CHUNK = 4 << 20  # bytes per GDAL read

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


@dataclass(frozen=True)
class StoredObject:
    url: str
    size: int
    # From the output path template (job_outputs only).
    tile_name: Optional[str] = None
    tile_id: Optional[int] = None
    output_id: Optional[str] = None


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


class Storage(Protocol):
    """One way to a bucket or a folder. URLs are `s3://bucket/key` (S3 backends) or local (the folder)."""

    def list(self, url_prefix: str, max_keys: int) -> list[StoredObject]:
        """Every object whose URL starts with `url_prefix` (all pages), in any order."""
        ...

    def read(self, url: str) -> bytes:
        """The whole object; ObjectNotFound when it is missing."""
        ...

    def download(self, url: str, target: Path) -> None:
        """The object copied to `target`, whole or not at all; ObjectNotFound when it is missing."""
        ...

    def exists(self, url: str) -> bool:
        """Whether the object is there (False for a missing object; StorageError for a refusal)."""
        ...


def default_backend() -> str:
    """boto3 when importable, else GDAL."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        return GDAL
    return BOTO3


def storage_for(access: S3Access, url: str, backend: Optional[str] = None) -> Storage:
    """The backend for `url`: the folder for a local URL, else the S3 backend named `backend` (BOTO3 or GDAL;
    default_backend() when None). StorageError for a URL that is neither local nor S3."""
    if is_local(url):
        return FolderStorage()
    split_s3_url(url)  # a clear message for an http:// or mistyped URL, whatever the backend
    backend = backend or default_backend()
    if backend == BOTO3:
        return Boto3Storage(access)
    if backend == GDAL:
        return GdalStorage(access)
    raise ValueError(f"Unknown storage backend {backend!r}: use {BOTO3!r} or {GDAL!r}.")


@contextlib.contextmanager
def _whole_or_nothing(target: Path) -> Iterator[Path]:
    """A file to write beside `target`, renamed to it when the block ends well, removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


class FolderStorage:
    """`file://` URLs and plain paths on this machine."""

    def list(self, url_prefix: str, max_keys: int = PAGE_SIZE) -> list[StoredObject]:
        prefix = local_path(url_prefix)
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
                    found.append(StoredObject(file_url(path), path.stat().st_size))
        return found

    def read(self, url: str) -> bytes:
        try:
            return local_path(url).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(f"Cannot read {url}: there is no such file.") from None
        except OSError as exc:
            raise StorageError(f"Cannot read {url}: {exc.strerror or exc}.") from None

    def download(self, url: str, target: Path) -> None:
        with _whole_or_nothing(target) as partial:
            try:
                shutil.copyfile(local_path(url), partial)
            except FileNotFoundError:
                raise ObjectNotFound(f"Cannot read {url}: there is no such file.") from None
            except OSError as exc:
                raise StorageError(f"Cannot copy {url} to {target}: {exc.strerror or exc}.") from None

    def exists(self, url: str) -> bool:
        return local_path(url).is_file()


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
    if access.credentials is not None and not access.anonymous:
        keys = {
            "aws_access_key_id": access.credentials.access_key,
            "aws_secret_access_key": access.credentials.secret_access_key,
        }
    return boto3.session.Session().client(
        "s3",
        endpoint_url=access.endpoint_url,
        region_name=access.region or "us-east-1",
        config=config,
        **keys,
    )


class Boto3Storage:
    """S3 through boto3 (one client per access, shared between threads)."""

    def __init__(self, access: S3Access):
        self.access = access

    @property
    def client(self):
        return _boto3_client(self.access)

    def list(self, url_prefix: str, max_keys: int = PAGE_SIZE) -> list[StoredObject]:
        bucket, prefix = split_s3_url(url_prefix)
        found, token = [], None
        try:
            while True:
                kwargs = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max(1, min(max_keys, PAGE_SIZE))}
                if token:
                    kwargs["ContinuationToken"] = token
                page = self.client.list_objects_v2(**kwargs)
                found += [
                    StoredObject(f"s3://{bucket}/{o['Key']}", int(o["Size"]))
                    for o in page.get("Contents", [])
                ]
                token = page.get("NextContinuationToken")
                if not page.get("IsTruncated") or not token:
                    return found
        except Exception as exc:
            raise _boto3_error(self.access, "list", url_prefix, exc) from None

    def read(self, url: str) -> bytes:
        bucket, key = split_s3_url(url)
        try:
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            raise _boto3_error(self.access, "read", url, exc) from None

    def download(self, url: str, target: Path) -> None:
        bucket, key = split_s3_url(url)
        with _whole_or_nothing(target) as partial:
            try:
                self.client.download_file(bucket, key, str(partial))
            except Exception as exc:
                error = _boto3_error(self.access, "download", url, exc)
                raise self._explain(bucket, key, "download", error) from None

    def exists(self, url: str) -> bool:
        bucket, key = split_s3_url(url)
        try:
            self.client.head_object(Bucket=bucket, Key=key)
            return True
        except Exception as exc:
            error = self._explain(bucket, key, "check", _boto3_error(self.access, "check", url, exc))
            if isinstance(error, ObjectNotFound):
                return False
            raise error from None

    def _explain(self, bucket: str, key: str, action: str, error: StorageError) -> StorageError:
        """A HEAD (exists, download) answers a bare 404 or 403, without the body that says why: ask again."""
        from botocore.exceptions import ClientError

        url = f"s3://{bucket}/{key}"
        try:
            if isinstance(error, ObjectNotFound):  # the object, or the whole bucket?
                self.client.head_bucket(Bucket=bucket)
            elif "answered 403" in str(error):  # which refusal? a one-byte GET says it
                self.client.get_object(Bucket=bucket, Key=key, Range="bytes=0-0")
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchBucket"):
                return _error(self.access, action, url, "NoSuchBucket")
            if isinstance(error, ObjectNotFound):
                return error
            return _boto3_error(self.access, action, url, exc)
        except Exception:  # the first answer is the one to report
            pass
        return error


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


class GdalStorage:
    """S3 through GDAL's /vsis3/ (what a stock QGIS has), with the bucket's options set path by path."""

    def __init__(self, access: S3Access):
        self.access = access

    def _open(self, url: str, action: str, shown: Optional[str] = None):
        """An open GDAL handle on the object; `shown` is the URL errors name (default `url`)."""
        from osgeo import gdal

        bucket, _ = split_s3_url(url)
        apply_gdal_options(self.access, bucket)
        allowed = [
            e.strip().lower()
            for e in (gdal.GetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS") or "").split(",")
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
                raise _gdal_fail(self.access, action, shown or url, number or 8, message)
        return handle

    def list(self, url_prefix: str, max_keys: int = PAGE_SIZE) -> list[StoredObject]:
        from osgeo import gdal

        bucket, prefix = split_s3_url(url_prefix)
        apply_gdal_options(self.access, bucket)
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
            probe = (
                f"s3://{bucket}/{folder + '/' if folder else ''}.tilewise-probe-{uuid.uuid4().hex[:8]}.json"
            )
            try:
                handle = self._open(probe, "list", shown=f"s3://{bucket}/{prefix}")
            except ObjectNotFound:
                return []
            gdal.VSIFCloseL(handle)
        return found

    def read(self, url: str) -> bytes:
        return b"".join(_gdal_chunks(self._open(url, "read")))

    def download(self, url: str, target: Path) -> None:
        with _whole_or_nothing(target) as partial:
            chunks = _gdal_chunks(self._open(url, "download"))
            with open(partial, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)

    def exists(self, url: str) -> bool:
        from osgeo import gdal

        try:
            handle = self._open(url, "check")
        except ObjectNotFound:
            return False
        gdal.VSIFCloseL(handle)
        return True


# --- public operations -----------------------------------------------------------------------------------


def list_objects(
    access: S3Access, url_prefix: str, *, max_keys: int = PAGE_SIZE, backend: Optional[str] = None
) -> list[StoredObject]:
    """Every object whose URL starts with `url_prefix` (all pages), sorted by URL."""
    found = storage_for(access, url_prefix, backend).list(url_prefix, max_keys)
    return sorted(found, key=lambda o: o.url)


def read_bytes(access: S3Access, url: str, *, backend: Optional[str] = None) -> bytes:
    """The whole object. Raises ObjectNotFound when it is missing."""
    return storage_for(access, url, backend).read(url)


def download(access: S3Access, url: str, target: Path, *, backend: Optional[str] = None) -> Path:
    """Copy the object to `target` (whole or not at all: written beside it, then renamed). Raises
    ObjectNotFound when it is missing."""
    target = Path(target)
    storage_for(access, url, backend).download(url, target)
    return target


def exists(access: S3Access, url: str, *, backend: Optional[str] = None) -> bool:
    """Whether the object is there (False for a missing object; StorageError for a missing bucket or a refusal)."""
    return storage_for(access, url, backend).exists(url)


# --- job outputs -----------------------------------------------------------------------------------------


def _output_ids(job: BatchJob) -> list[str]:
    if job.request is None:
        return []
    return [r.identifier for r in job.request.process_request.responses]


def job_outputs(access: S3Access, job: BatchJob, *, backend: Optional[str] = None) -> list[StoredObject]:
    """The files a job delivered (GeoTIFFs, userdata.json), with their tile and output, sorted by URL."""
    if not job.output_url:
        return []
    template = fill_template(output_template(job.output_url), OutputLocation(request_id=job.id))
    local = is_local(template)
    # Match paths the way list_objects writes them: keys for S3, unquoted paths for folders.
    matcher = TemplateMatcher(local_path(template).as_posix() if local else template, _output_ids(job))

    def comparable(url: str) -> str:
        return local_path(url).as_posix() if local else url

    artefacts = comparable(artefact_folder(template)).rstrip("/")
    found = []
    for item in list_objects(access, template.split("<", 1)[0], backend=backend):
        path = comparable(item.url)
        folder, name = path.rsplit("/", 1)
        if name.startswith(".") or (ARTEFACT_NAME.match(name) and folder == artefacts):  # v2 artefacts
            continue
        location = matcher.match(path)
        if location is None:
            continue
        found.append(
            StoredObject(
                item.url,
                item.size,
                tile_name=location.tile_name,
                tile_id=location.tile_id,
                output_id=location.output_id,
            )
        )
    return found
