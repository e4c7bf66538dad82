"""Fixtures shared by every suite: a real local S3 server (moto in server mode).

The server is a separate process speaking the S3 protocol on 127.0.0.1, so the
code under test reaches it exactly as it would reach AWS or MinIO: boto3 with an
endpoint URL, and GDAL through /vsis3/ with path-style addressing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class S3Server:
    """Where the local S3 server listens and the (fake) keys it accepts."""

    endpoint_url: str
    access_key: str = "tilewise-test-key"
    secret_key: str = "tilewise-test-secret"
    region: str = "us-east-1"

    @property
    def host_port(self) -> str:
        return self.endpoint_url.split("://", 1)[1]

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"tw-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def gdal_options(self) -> dict[str, str]:
        """GDAL configuration that reaches this server through /vsis3/."""
        return {
            "AWS_S3_ENDPOINT": self.host_port,
            "AWS_HTTPS": "NO",
            "AWS_VIRTUAL_HOSTING": "FALSE",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        }


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> S3Server:
    """A moto S3 server process on a free loopback port, for the whole session."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    moto_bin = Path(sys.executable).with_name("moto_server")
    env = dict(os.environ, MOTO_ALLOW_NONEXISTENT_REGION="true")
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [str(moto_bin), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {log.read_text()}") from None
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("moto_server did not start within 30 s")
    yield S3Server(endpoint_url=f"http://127.0.0.1:{port}")
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket on the local S3 server."""
    return s3_server.new_bucket()
