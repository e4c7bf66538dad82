"""Which S3 keys a request's artefacts and outputs are read and written with.

v1 requests carry no keys: the engine writes with its own identity. v2 requests may carry keys for the
output (`output.delivery.s3`) and for a GeoPackage input (`input.features.s3`); they are kept apart from
the stored request (`RequestRecord.secrets`) and joined with the region, which is not a secret.
"""

from __future__ import annotations

from typing import Optional

from ..core.batch_models import BatchRequestSpec
from ..core.batch_models.statistical import BatchStatisticalRequest
from ..core.s3 import S3Credentials
from ..core.statuses import V2
from .store import RequestRecord


def delivery_credentials(record: RequestRecord, request: BatchRequestSpec) -> Optional[S3Credentials]:
    """The keys delivery uses: v1 none (the engine's own); v2 the request's, with its region."""
    if record.api_version != V2:
        return None
    return _with_region(record, "output", request.output.credentials)


def features_credentials(record: RequestRecord, request: BatchRequestSpec) -> Optional[S3Credentials]:
    """The keys a v2 GeoPackage input is read with, with its region."""
    return _with_region(record, "features", request.features.credentials if request.features else None)


def statistical_credentials(
    record: RequestRecord, request: BatchStatisticalRequest
) -> tuple[Optional[S3Credentials], Optional[S3Credentials]]:
    """The keys a batch statistical request's GeoPackage is read with and its results are written with."""
    return (
        _with_region(record, "features", request.features_credentials),
        _with_region(record, "output", request.output_credentials),
    )


def _with_region(
    record: RequestRecord, place: str, stored: Optional[S3Credentials]
) -> Optional[S3Credentials]:
    """The request's keys (kept apart in `secrets`) with the region of its stored (keyless) request."""
    region = stored.region if stored is not None else None
    return S3Credentials.from_api((record.secrets or {}).get(place) or {}, region)
