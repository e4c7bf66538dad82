"""The Batch API client: one interface for Sentinel Hub, CDSE and the Tilewise engine, API v2 and v1 (Qt-free).

Every call takes an optional `Cancel` (a QgsTask's cancel sets it) and raises the typed errors of core/http.py.
Jobs and tiles come back as core/jobs.py models whatever the version; the payloads follow reference §1.5/§1.6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from .auth import ClientCredentials, TokenSource
from .batch_models import BatchRequestSpec, ProcessRequest
from .deployments import Deployment
from .engine_catalog import EngineCatalog
from .http import DEFAULT_POLICY, BadResponse, Cancel, HttpSession, NotFoundError, RetryPolicy, ServiceError
from .jobs import BatchJob, Tile
from .statuses import ANALYSING_STATUSES, V1, V2

PAGE_SIZE = 100
TILE_PAGE_SIZE = 1000


class UnsupportedError(ServiceError):
    """The action does not exist in this API version; the message says what to do instead."""


@dataclass(frozen=True)
class Preview:
    content: bytes
    media_type: str


class BatchClient:
    """One deployment, one API version, one set of credentials; safe to share between threads."""

    def __init__(
        self,
        deployment: Deployment,
        credentials: ClientCredentials,
        api_version: Optional[int] = None,
        proxies: Optional[dict] = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ):
        self.deployment = deployment
        self.api_version = api_version or deployment.default_version
        self.base = deployment.batch_url(self.api_version)  # refuses a version the deployment lacks
        self._token_http = HttpSession(deployment, None, proxies, policy)
        self.tokens = TokenSource(self._token_http, credentials)
        self.http = HttpSession(deployment, self.tokens, proxies, policy)

    def close(self) -> None:
        """Close the connections (a client is cheap to make again)."""
        self.http.close()
        self._token_http.close()

    def __enter__(self) -> BatchClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- grids -------------------------------------------------------------------------------------------

    def tiling_grids(self, cancel: Optional[Cancel] = None) -> list[dict]:
        return list(self._pages(f"{self.base}/tilinggrids", {}, PAGE_SIZE, cancel))

    def tiling_grid(self, grid_id: int, cancel: Optional[Cancel] = None) -> dict:
        return self.http.json("GET", f"{self.base}/tilinggrids/{grid_id}", cancel=cancel)

    # --- jobs --------------------------------------------------------------------------------------------

    def create(self, request: BatchRequestSpec, cancel: Optional[Cancel] = None) -> BatchJob:
        body = request.to_api(self.api_version)
        return self._job(self.http.json("POST", f"{self.base}/process", json_body=body, cancel=cancel))

    def create_raw(self, body: dict, cancel: Optional[Cancel] = None) -> BatchJob:
        """A request body written by hand (or by another tool), as the API takes it."""
        return self._job(self.http.json("POST", f"{self.base}/process", json_body=body, cancel=cancel))

    def jobs(self, search: Optional[str] = None, cancel: Optional[Cancel] = None) -> Iterator[BatchJob]:
        """Newest first, page by page as the caller iterates."""
        params = {"sort": "created:desc", **({"search": search} if search else {})}
        for body in self._pages(f"{self.base}/process", params, PAGE_SIZE, cancel):
            yield self._job(body)

    def jobs_page(
        self,
        search: Optional[str] = None,
        view_token: Optional[str] = None,
        count: int = PAGE_SIZE,
        cancel: Optional[Cancel] = None,
    ) -> tuple[list[BatchJob], Optional[str]]:
        """One page of jobs, newest first, and the token of the next page (None on the last one)."""
        params = {"sort": "created:desc", "count": count}
        if search:
            params["search"] = search
        if view_token:
            params["viewtoken"] = view_token
        url = f"{self.base}/process"
        page = self.http.json("GET", url, params=params, cancel=cancel)
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise BadResponse(f"{self.deployment.name} answered {url} without a `data` list.")
        token = (page.get("links") or {}).get("nextToken") if page["data"] else None
        return [self._job(body) for body in page["data"]], token or None

    def get(self, job_id: str, cancel: Optional[Cancel] = None) -> BatchJob:
        # v2: a request is not readable for a moment after its creation (reference §1.8)
        return self._job(
            self.http.json(
                "GET", f"{self.base}/process/{job_id}", retry_not_found=self.api_version == V2, cancel=cancel
            )
        )

    def update_description(self, job_id: str, description: str, cancel: Optional[Cancel] = None) -> BatchJob:
        return self._job(
            self.http.json(
                "PUT", f"{self.base}/process/{job_id}", json_body={"description": description}, cancel=cancel
            )
        )

    def delete(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        if self.api_version == V2:
            raise UnsupportedError(
                "The Batch API v2 cannot delete jobs: stop it instead; its outputs stay in the bucket."
            )
        self.http.request("DELETE", f"{self.base}/process/{job_id}", cancel=cancel)

    def analyse(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        self._action(job_id, "analyse", cancel)

    def start(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        self._action(job_id, "start", cancel)

    def stop(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        """v2 `stop`; v1 `cancel` (the v1 job cannot go on afterwards, a v2 one can)."""
        self._action(job_id, "stop" if self.api_version == V2 else "cancel", cancel)

    def restart(self, job_id: str, cancel: Optional[Cancel] = None) -> None:
        """v1: the FAILED tiles of a PARTIAL job run again (`restartpartial`). v2 has no restart of failed
        features: a STOPPED job carries on with `start`; features that FAILED need a new job."""
        if self.api_version == V2:
            raise UnsupportedError(
                "The Batch API v2 cannot rerun failed features: start a STOPPED job to carry on, or create a new "
                "job for the failed features (skipExisting leaves the delivered ones alone)."
            )
        self._action(job_id, "restartpartial", cancel)

    def reprocess_tile(self, job_id: str, tile_id: int, cancel: Optional[Cancel] = None) -> None:
        if self.api_version == V2:
            raise UnsupportedError(
                "The Batch API v2 has no per-tile actions: create a job for that area instead."
            )
        self.http.request("POST", f"{self.base}/process/{job_id}/tiles/{tile_id}/restart", cancel=cancel)

    # --- tiles (v1 endpoint; v2 reads the bucket artefacts, see core/v2_progress.py) ---------------------

    def tiles(
        self, job_id: str, status: Optional[str] = None, cancel: Optional[Cancel] = None
    ) -> Iterator[Tile]:
        if self.api_version == V2:
            raise UnsupportedError(
                "The Batch API v2 has no tile endpoint: read the job's execution database."
            )
        params = {"status": status} if status else {}
        for body in self._pages(f"{self.base}/process/{job_id}/tiles", params, TILE_PAGE_SIZE, cancel):
            yield Tile.from_v1(body)

    def tile(self, job_id: str, tile_id: int, cancel: Optional[Cancel] = None) -> Tile:
        if self.api_version == V2:
            raise UnsupportedError(
                "The Batch API v2 has no tile endpoint: read the job's execution database."
            )
        return Tile.from_v1(
            self.http.json("GET", f"{self.base}/process/{job_id}/tiles/{tile_id}", cancel=cancel)
        )

    def engine_status(self, cancel: Optional[Cancel] = None) -> Optional[dict]:
        """A Tilewise engine's status (version, output root for `file://` delivery); None elsewhere."""
        try:
            body = self.http.json("GET", f"{self.deployment.base_url}/api/v1/engine/status", cancel=cancel)
        except NotFoundError:
            return None
        return body if isinstance(body, dict) else None

    def engine_catalog(self, cancel: Optional[Cancel] = None) -> EngineCatalog:
        """A Tilewise engine's catalog of new requests and the ones it can switch to."""
        return EngineCatalog.from_api(self.http.json("GET", self._engine_catalog_url, cancel=cancel))

    def switch_engine_catalog(self, catalog: str, cancel: Optional[Cancel] = None) -> EngineCatalog:
        """Make `catalog` the one of the engine's new requests (jobs already created keep theirs)."""
        body = self.http.json("PUT", self._engine_catalog_url, json_body={"catalog": catalog}, cancel=cancel)
        return EngineCatalog.from_api(body)

    @property
    def _engine_catalog_url(self) -> str:
        return f"{self.deployment.base_url}/api/v1/engine/catalog"

    # --- previews ----------------------------------------------------------------------------------------

    def preview(self, request: ProcessRequest, cancel: Optional[Cancel] = None) -> Preview:
        """A Process API request (with a size): one file, or a tar of several."""
        body = request.to_api()
        accept = "application/x-tar" if len(request.responses) > 1 else request.responses[0].format
        response = self.http.request(
            "POST", self.deployment.process_url, json_body=body, headers={"Accept": accept}, cancel=cancel
        )
        return Preview(response.content, response.headers.get("content-type", accept).split(";")[0])

    # --- helpers -----------------------------------------------------------------------------------------

    def _job(self, body: dict) -> BatchJob:
        if not isinstance(body, dict) or "id" not in body:
            raise BadResponse(f"{self.deployment.name} answered without a batch job where one was expected.")
        return BatchJob.from_api(self.api_version, body, self.deployment.id)

    def _action(self, job_id: str, action: str, cancel: Optional[Cancel]) -> None:
        self.http.request("POST", f"{self.base}/process/{job_id}/{action}", cancel=cancel)

    def _pages(self, url: str, params: dict, count: int, cancel: Optional[Cancel]) -> Iterator[dict]:
        token: Optional[str] = None
        while True:
            query = {**params, "count": count, **({"viewtoken": token} if token else {})}
            page = self.http.json("GET", url, params=query, cancel=cancel)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise BadResponse(f"{self.deployment.name} answered {url} without a `data` list.")
            yield from page["data"]
            token = (page.get("links") or {}).get("nextToken")
            if not token or not page["data"]:
                return


__all__ = ["BatchClient", "Preview", "UnsupportedError", "V1", "V2"]


# --- waiting for an analysis -------------------------------------------------------------------------------


def wait_for_analysis(
    client: BatchClient,
    job_id: str,
    cancel: Optional[Cancel] = None,
    timeout_s: float = 600.0,
    poll_s: float = 1.0,
) -> BatchJob:
    """Poll until the job's analysis is over (ANALYSIS_DONE, a failure, or a status past it) and return the job;
    on cancel, the job as last read (the analysis goes on on the service: the caller checks `cancel`). A job
    still analysing after `timeout_s` raises TimeoutError saying it stays on the service."""
    cancel = cancel or Cancel()
    waited = 0.0
    while True:
        job = client.get(job_id, cancel)
        if job.status not in ANALYSING_STATUSES:
            return job
        if waited > timeout_s:
            raise TimeoutError(
                f"Job {job_id} is still {job.status} after {timeout_s:.0f} s: it stays on the service; "
                "look at it again later."
            )
        if cancel.wait(poll_s):
            return job
        waited += poll_s
