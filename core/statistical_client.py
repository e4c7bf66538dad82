"""The Statistical and Batch Statistical API client (Qt-free): Sentinel Hub, CDSE and the Tilewise engine.

Built like core/client.py's BatchClient (one deployment, one set of credentials, its HttpSession and token,
an optional `Cancel` on every call, the typed errors of core/http.py). Paths and bodies: reference §1.1,
§1.5 and §1.8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from .auth import ClientCredentials
from .batch_models.statistical import BatchStatisticalRequest, strip_statistical_secrets
from .client import BatchClient
from .deployments import Deployment
from .http import DEFAULT_POLICY, BadResponse, Cancel, RetryPolicy
from .statuses import RequestStatus

PAGE_SIZE = 100
# A batch statistical request never leaves these by itself (STOPPED can be started again by the user).
TERMINAL_STATUSES = frozenset({RequestStatus.DONE, RequestStatus.FAILED, RequestStatus.STOPPED})


@dataclass
class BatchStatisticalJob:
    """A Batch Statistical request as the service reports it (`BatchStatisticsTaskDto`); `request` is its
    echo without S3 keys."""

    id: str
    status: RequestStatus
    completion_percentage: float = 0.0
    cost_pu: Optional[float] = None
    created: Optional[str] = None
    last_updated: Optional[str] = None
    error: Optional[str] = None
    stopped_reason: Optional[str] = None
    request: dict = field(default_factory=dict, repr=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def output_url(self) -> Optional[str]:
        """`output.s3.url` of the request: the results are `<output_url>/<id>/<fid>.json`."""
        return ((self.request.get("output") or {}).get("s3") or {}).get("url")

    @classmethod
    def from_api(cls, body: Any) -> BatchStatisticalJob:
        """A full request body or a `/status` body (which has no `request`)."""
        if not isinstance(body, dict) or "id" not in body or "status" not in body:
            raise BadResponse(
                "The service answered without a batch statistical request where one was expected."
            )
        try:
            status = RequestStatus(body["status"])
        except ValueError:
            raise BadResponse(f"The service reported an unknown status {body['status']!r}.") from None
        request = body.get("request")
        cost = body.get("costPU", body.get("costPu"))  # the real service spells it costPU (reference §1.9)
        return cls(
            id=str(body["id"]),
            status=status,
            completion_percentage=float(body.get("completionPercentage") or 0.0),
            cost_pu=float(cost) if cost is not None else None,
            created=body.get("created"),
            last_updated=body.get("lastUpdated"),
            error=body.get("error") or None,
            stopped_reason=body.get("stoppedStatusReason") or None,
            request=strip_statistical_secrets(request)[0] if isinstance(request, dict) else {},
        )


class StatisticalClient:
    """One deployment, one set of credentials; safe to share between threads."""

    def __init__(
        self,
        deployment: Deployment,
        credentials: ClientCredentials,
        proxies: Optional[dict] = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ):
        # the Batch API client's session, token and paging; its own paths
        self._use(BatchClient(deployment, credentials, proxies=proxies, policy=policy))

    @classmethod
    def of(cls, batch: BatchClient) -> StatisticalClient:
        """A client sharing a Batch API client's connections and token (closing either closes both)."""
        client = cls.__new__(cls)
        client._use(batch)
        return client

    def _use(self, batch: BatchClient) -> None:
        self._batch = batch
        self.deployment = batch.deployment
        self.http = batch.http
        self.statistics_url = f"{batch.deployment.base_url}/api/v1/statistics"
        self.batch_url = f"{self.statistics_url}/batch"

    def close(self) -> None:
        self._batch.close()

    def __enter__(self) -> StatisticalClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- Statistical API ---------------------------------------------------------------------------------

    def statistics(self, body: dict, cancel: Optional[Cancel] = None) -> dict:
        """One Statistical API request: `{"data": [...], "status": ...}`."""
        answer = self.http.json("POST", self.statistics_url, json_body=body, cancel=cancel)
        if not isinstance(answer, dict) or "data" not in answer:
            raise BadResponse(f"{self.deployment.name} answered {self.statistics_url} without statistics.")
        return answer

    # --- Batch Statistical API ---------------------------------------------------------------------------

    def create(
        self, request: BatchStatisticalRequest, cancel: Optional[Cancel] = None
    ) -> BatchStatisticalJob:
        body = request.to_api()
        return BatchStatisticalJob.from_api(
            self.http.json("POST", self.batch_url, json_body=body, cancel=cancel)
        )

    def get(self, job_id: str, cancel: Optional[Cancel] = None) -> BatchStatisticalJob:
        # a request may not be readable for a moment after its creation, as with batch jobs
        body = self.http.json("GET", f"{self.batch_url}/{job_id}", retry_not_found=True, cancel=cancel)
        return BatchStatisticalJob.from_api(body)

    def status(self, job_id: str, cancel: Optional[Cancel] = None) -> dict:
        """`/status`: id, status, completionPercentage, costPU, lastUpdated, error, stoppedStatusReason."""
        body = self.http.json("GET", f"{self.batch_url}/{job_id}/status", retry_not_found=True, cancel=cancel)
        if not isinstance(body, dict) or "status" not in body:
            raise BadResponse(f"{self.deployment.name} answered the status of {job_id} without a status.")
        return body

    def jobs(self, cancel: Optional[Cancel] = None) -> Iterator[BatchStatisticalJob]:
        """Newest first, page by page as the caller iterates."""
        for body in self._batch._pages(self.batch_url, {"sort": "created:desc"}, PAGE_SIZE, cancel):
            yield BatchStatisticalJob.from_api(body)

    def analyse(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        self._action(job_id, "analyse", cancel)

    def start(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        self._action(job_id, "start", cancel)

    def stop(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        self._action(job_id, "stop", cancel)

    def _action(self, job_id: str, action: str, cancel: Optional[Cancel]) -> None:
        self.http.request("POST", f"{self.batch_url}/{job_id}/{action}", cancel=cancel)
