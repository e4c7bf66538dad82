"""Delivery of finished files to S3 (boto3) or a local folder, each object whole or not at all.

Folder delivery writes beside the target and renames (atomic on one file system);
S3 delivery uploads (an object appears only when its PUT, or the completion of
its multipart upload, succeeds). Error messages name the bucket and the S3 error
code, never a key or a secret. A DeliveryError says whether it is transient: the
storage could not be reached or was overloaded, so trying later may succeed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Optional, Protocol
from urllib.parse import urlsplit

from ...core.s3 import S3Credentials, local_path, split_s3_url


class DeliveryError(Exception):
    """The output location cannot be read or written; the message is safe to show.

    `transient`: the storage was unreachable or overloaded (a network error, S3 5xx or throttling), so the
    same call may succeed later; otherwise (refused credentials, no bucket, a full disk) the user must act.
    """

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class Delivery(Protocol):
    def check_writable(self, root_url: str) -> None: ...

    def exists(self, url: str) -> bool: ...

    def put_file(self, local_path: Path, url: str) -> None: ...

    def put_bytes(
        self, data: bytes, url: str
    ) -> None: ...  # small objects (a feature's JSON): no scratch file

    def delete(self, url: str) -> None: ...

    def get_file(self, url: str, local_path: Path) -> None: ...


CONTENT_TYPES = {
    ".tif": "image/tiff",
    ".json": "application/json",
    ".gpkg": "application/geopackage+sqlite3",
    ".sqlite": "application/vnd.sqlite3",
}


def delivery_for(
    root_url: str, output_root: Path, s3_endpoint_url: Optional[str], credentials: Optional[S3Credentials]
) -> Delivery:
    """The delivery for a template's root URL. Raises DeliveryError for a folder outside `output_root`."""
    scheme = urlsplit(root_url).scheme
    if scheme == "file":
        delivery = FolderDelivery(output_root)
        delivery.local_path(root_url)  # confinement check
        return delivery
    if scheme == "s3":
        return S3Delivery(s3_endpoint_url, credentials)
    raise DeliveryError(f"Unsupported output location {root_url!r}: use s3:// or file://.")


class FolderDelivery:
    """Never transient: a full disk or a refused folder is the user's to fix, EIO is a failing disk rather
    than an outage that ends by itself, and a network file system that is down blocks (hard mounts, the
    default) rather than failing."""

    def __init__(self, output_root: Path):
        self.output_root = Path(output_root).resolve()

    def local_path(self, url: str) -> Path:
        path = local_path(url)
        if not path.is_absolute():
            raise DeliveryError(f"{url!r} is not an absolute folder: write file:///absolute/folder.")
        resolved = path.resolve()
        if resolved != self.output_root and self.output_root not in resolved.parents:
            raise DeliveryError(
                f"{path} is outside the engine's output root {self.output_root}: write under it, or start the "
                "engine with TILEWISE_OUTPUT_ROOT set to a folder that contains this one."
            )
        return resolved

    def check_writable(self, root_url: str) -> None:
        folder = self.local_path(root_url)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".tilewise-check-"):
                pass
        except OSError as exc:
            raise DeliveryError(f"Cannot write in {folder}: {exc.strerror or exc}.") from None

    def exists(self, url: str) -> bool:
        return self.local_path(url).is_file()

    def put_file(self, local_path: Path, url: str) -> None:
        self._put(url, lambda partial: shutil.copyfile(local_path, partial))

    def put_bytes(self, data: bytes, url: str) -> None:
        self._put(url, lambda partial: partial.write_bytes(data))

    def _put(self, url: str, write) -> None:
        """`write(partial)` fills a hidden file beside the target, renamed over it once whole: no reader ever
        sees half a file."""
        target = self.local_path(url)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write(partial)
            os.replace(partial, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):  # whatever stopped the copy (a full disk, a signal): no debris
                partial.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise DeliveryError(
                    f"Cannot write {target}: {exc.strerror or exc}{_disk_hint(exc)}."
                ) from None
            raise

    def delete(self, url: str) -> None:
        self.local_path(url).unlink(missing_ok=True)

    def get_file(self, url: str, local_path: Path) -> None:
        source = self.local_path(url)
        try:
            shutil.copyfile(source, local_path)
        except OSError as exc:
            raise DeliveryError(f"Cannot read {source}: {exc.strerror or exc}.") from None


def _disk_hint(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return " (the disk of the output folder is full: free space there, or deliver to another folder)"
    return ""


# S3 error codes that mean "later", whatever the HTTP status (some S3-compatible services answer 400 or 429)
TRANSIENT_S3_CODES = {
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequests",
    "Busy",
}


def _unreachable(exc: Exception) -> bool:
    """The S3 service could not be reached or the connection broke: refused, reset, timed out."""
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
        ResponseStreamingError,
    )

    transient = (
        EndpointConnectionError,
        ConnectTimeoutError,
        ReadTimeoutError,
        ConnectionClosedError,
        ResponseStreamingError,
    )
    return isinstance(exc, transient)  # not SSLError: a wrong certificate does not heal by waiting


def _overloaded(exc: Exception) -> bool:
    """S3 answered, but with a 5xx or a throttling code: the request may succeed later."""
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or (
        int(code) if code.isdigit() else 0
    )
    return code in TRANSIENT_S3_CODES or status >= 500


class S3Delivery:
    """boto3 against AWS or any S3-compatible endpoint; keys from `credentials` or the AWS_* chain."""

    def __init__(self, endpoint_url: Optional[str], credentials: Optional[S3Credentials]):
        self.endpoint_url = endpoint_url
        self._credentials = credentials or S3Credentials()
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            kwargs = {}
            if self._credentials.has_keys:
                kwargs = {
                    "aws_access_key_id": self._credentials.access_key,
                    "aws_secret_access_key": self._credentials.secret_access_key,
                }
            region = (
                self._credentials.region
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
            )
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=region or "us-east-1",
                # few quick tries per call: a longer outage is the scheduler's to wait out, without
                # holding a worker (3 attempts with standard backoff: at most ~3 s asleep; 5 s to connect)
                config=Config(
                    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30
                ),
                **kwargs,
            )
        return self._client

    def _fail(self, action: str, bucket: str, exc: Exception) -> DeliveryError:
        from botocore.exceptions import ClientError, NoCredentialsError

        if _unreachable(exc):
            where = self.endpoint_url or "AWS S3"
            return DeliveryError(
                f"Cannot {action} bucket {bucket!r}: the storage at {where} is unreachable "
                f"({exc.__class__.__name__}).",
                transient=True,
            )
        if isinstance(exc, NoCredentialsError):
            return DeliveryError(
                f"Cannot {action} bucket {bucket!r}: no S3 credentials. Set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or an AWS profile) for the engine."
            )
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = error.get("Code", "error")
            hint = {
                "NoSuchBucket": "create the bucket or fix its name",
                "404": "create the bucket or fix its name",
                "InvalidAccessKeyId": "the access key is not known to the S3 service; check the engine's credentials",
                "SignatureDoesNotMatch": "the secret key does not match the access key",
                "AccessDenied": "give these credentials write access to the bucket",
                "403": "the credentials were refused; give them access to the bucket",
            }.get(str(code), "check the bucket and the engine's S3 settings")
            transient = _overloaded(exc)
            if transient:
                hint = "the S3 service is unavailable or overloaded; it may answer later"
            return DeliveryError(
                f"Cannot {action} bucket {bucket!r}: S3 answered {code} ({hint}).", transient
            )
        return DeliveryError(f"Cannot {action} bucket {bucket!r}: {exc.__class__.__name__}: {exc}.")

    def check_writable(self, root_url: str) -> None:
        bucket, prefix = split_s3_url(root_url)
        key = f"{prefix.rstrip('/')}/.tilewise-write-check-{uuid.uuid4().hex}".lstrip("/")
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=b"")
            self.client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise self._fail("write to", bucket, exc) from None

    def exists(self, url: str) -> bool:
        from botocore.exceptions import ClientError

        bucket, key = split_s3_url(url)
        try:
            self.client.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._fail("read from", bucket, exc) from None
        except Exception as exc:
            raise self._fail("read from", bucket, exc) from None

    def get_file(self, url: str, local_path: Path) -> None:
        bucket, key = split_s3_url(url)
        try:
            self.client.download_file(bucket, key, str(local_path))
        except Exception as exc:
            raise self._fail(f"read {key!r} from", bucket, exc) from None

    def put_file(self, local_path: Path, url: str) -> None:
        bucket, key = split_s3_url(url)
        content_type = CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")
        try:
            self.client.upload_file(str(local_path), bucket, key, ExtraArgs={"ContentType": content_type})
        except Exception as exc:
            # boto3's S3UploadFailedError wraps the ClientError that says what S3 refused.
            cause = (
                (exc.__cause__ or exc.__context__ or exc)
                if exc.__class__.__name__ == "S3UploadFailedError"
                else exc
            )
            raise self._fail("write to", bucket, cause) from None

    def put_bytes(self, data: bytes, url: str) -> None:
        bucket, key = split_s3_url(url)
        content_type = CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
        except Exception as exc:
            raise self._fail("write to", bucket, exc) from None

    def delete(self, url: str) -> None:
        bucket, key = split_s3_url(url)
        try:
            self.client.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise self._fail("delete from", bucket, exc) from None
