"""Which S3 keys a request's artefacts and outputs are read and written with.

v1 requests carry no keys: the engine writes with its own identity. v2 requests may carry keys for the
output (`output.delivery.s3`) and for a GeoPackage input (`input.features.s3`); they are kept apart from
the stored request (`RequestRecord.secrets`) and joined with the region, which is not a secret.
"""

from __future__ import annotations

from typing import Optional

from ..core.s3 import S3Credentials
from .store import RequestRecord

V2 = 2


def delivery_credentials(record: RequestRecord) -> Optional[S3Credentials]:
    """The keys delivery uses: v1 none (the engine's own); v2 the request's, with its region."""
    if record.api_version != V2:
        return None
    return _with_region(record, "output", record.payload["output"]["delivery"]["s3"])


def features_credentials(record: RequestRecord) -> Optional[S3Credentials]:
    """The keys a v2 GeoPackage input is read with, with its region."""
    return _with_region(record, "features", record.payload["input"]["features"]["s3"])


def _with_region(record: RequestRecord, place: str, s3_info: dict) -> Optional[S3Credentials]:
    return S3Credentials.from_api((record.secrets or {}).get(place) or {}, s3_info.get("region"))
