"""Batch requests as a service: create, read, change and act on them, under the status machine.

The API routes call this; the scheduler does the background work (analysis,
tiles). Status rules follow the Sentinel Hub reference §1.7: an action the
status does not allow is a 409 with a message that says what is allowed.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

from ..core.batch_models import BatchRequestSpec, PayloadError, parse_description
from ..core.statuses import V1, V2, RequestStatus
from ..core.tile_status import TileStatus
from .errors import ApiError, bad_request, conflict, not_found
from .store import JobStore, RequestRecord, TileRecord, now_iso

LIST_LIMIT = 100
TILE_LIST_LIMIT = 1000
SORTS = ("created", "created:asc", "created:desc", "status", "status:asc", "status:desc")


@dataclass(frozen=True)
class Page:
    items: list
    offset: int
    count: int
    has_more: bool


def encode_viewtoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


MAX_OFFSET = 2**62  # SQLite integers are 64-bit: a larger offset is no page of any list


def decode_viewtoken(token: Optional[str]) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token[:64] + "=" * (-len(token[:64]) % 4)).decode()
        if text.startswith("o:") and text[2:].isdigit() and int(text[2:]) <= MAX_OFFSET and len(token) <= 64:
            return int(text[2:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise bad_request("Invalid viewtoken: use the nextToken of the previous page.", "viewtoken")


MAX_SEARCH_TERMS = 50  # each term is three LIKEs in one SQL statement


def check_search(search: Optional[str]) -> None:
    """`a|b&c` searches of at most MAX_SEARCH_TERMS words and 1,000 characters."""
    if not search:
        return
    terms = [word for alternative in search.split("|") for word in alternative.split("&") if word.strip()]
    if len(search) > 1000 or len(terms) > MAX_SEARCH_TERMS:
        raise bad_request(
            f"search has {len(terms):,} terms in {len(search):,} characters: use at most {MAX_SEARCH_TERMS} terms "
            "(words joined by & or |) and 1,000 characters.",
            "search",
        )


def page_size(count: Optional[int], limit: int) -> int:
    if count is None:
        return limit
    if count < 1:
        raise bad_request(f"count must be at least 1 (got {count}).", "count")
    return min(count, limit)


class BatchService:
    """The v1 request lifecycle over the job store."""

    def __init__(
        self,
        store: JobStore,
        validate: Callable[[int, BatchRequestSpec, Optional[str]], Optional[int]],
        wake: Callable[[], None],
        withdraw: Callable[[str], None],
        publish: Callable[[RequestRecord], None] = lambda record: None,
        restart_wait_s: float = 0.0,
        current_catalog: Callable[[], Optional[str]] = lambda: None,
    ):
        self.store = store
        self._validate = validate  # creation-time checks; returns the estimated number of tiles
        self._publish = publish  # v2: the request JSON goes to the bucket before the request exists
        self._restart_wait_s = restart_wait_s  # v2: how long after a stop a request may start again
        self._wake = wake  # tells the scheduler there is work
        self._withdraw = withdraw  # takes a request's queued tiles back from the workers
        self._lock = threading.Lock()  # status checks and their change happen atomically
        self._current_catalog = current_catalog  # a request keeps the catalog it was checked against

    # --- create, read, change ---------------------------------------------------------------------------

    def create(
        self, api_version: int, spec: BatchRequestSpec, payload: dict, secrets: Optional[dict]
    ) -> RequestRecord:
        catalog = self._current_catalog()
        estimated_tiles = self._validate(api_version, spec, catalog)
        record = RequestRecord(
            id=RequestRecord.new_id(),
            api_version=api_version,
            status=RequestStatus.CREATED,
            payload=payload,
            description=spec.description,
            secrets=secrets,
            tile_count=estimated_tiles,
            catalog=catalog,
        )
        if api_version == V2:
            self._publish(record)
        self.store.add_request(record)
        return record

    def get(self, request_id: str, api_version: int = V1) -> RequestRecord:
        record = self.store.get_request(request_id)
        if record is None or record.api_version != api_version:
            raise not_found(f"Batch request {request_id} does not exist.")
        return record

    def list(
        self,
        api_version: int,
        search: Optional[str],
        sort: Optional[str],
        viewtoken: Optional[str],
        count: Optional[int],
    ) -> Page:
        check_search(search)
        sort = sort or "created:desc"
        if sort not in SORTS:
            raise bad_request(f"sort {sort!r} is not supported: use one of {', '.join(SORTS)}.", "sort")
        offset = decode_viewtoken(viewtoken)
        size = page_size(count, LIST_LIMIT)
        items = self.store.list_requests(api_version, search, sort, offset, size + 1)
        return Page(items[:size], offset, size, len(items) > size)

    def update_description(
        self, request_id: str, description: Optional[str], api_version: int = V1
    ) -> RequestRecord:
        with self._lock:
            record = self.get(request_id, api_version)
            if api_version == V1 and record.status in (RequestStatus.PROCESSING, RequestStatus.ANALYSING):
                raise conflict(
                    "Only the requests that are not currently being processed nor waiting to be processed can "
                    f"be updated (this one is {record.status.value})."
                )
            if description is not None:
                try:
                    description = parse_description(description)
                except PayloadError as exc:
                    raise payload_error(exc) from None
                payload = dict(record.payload, description=description)
                self.store.update_request(request_id, description=description, payload=payload)
        return self.get(request_id, api_version)

    def delete(self, request_id: str) -> None:
        with self._lock:
            record = self.get(request_id)
            processed = self.store.tile_counts(request_id).get(TileStatus.PROCESSED, 0)
            busy = record.status in (RequestStatus.ANALYSING, RequestStatus.PROCESSING)
            confirmed = record.user_action == "START" and record.status != RequestStatus.CANCELED
            if busy or confirmed or processed:
                raise conflict(
                    "Requests that have been confirmed or are currently being processed or analysed must be "
                    "canceled before deletion, and requests with processed tiles cannot be deleted "
                    f"(status {record.status.value}, {processed} processed tiles)."
                )
            self.store.delete_request(request_id)

    # --- actions ----------------------------------------------------------------------------------------

    def analyse(self, request_id: str, api_version: int = V1) -> None:
        with self._lock:
            record = self.get(request_id, api_version)
            if record.status != RequestStatus.CREATED:
                raise conflict(
                    f"The request is {record.status.value}: only a CREATED request can be analysed "
                    "(its tiles and cost are already known after analysis)."
                )
            self._act(record, RequestStatus.ANALYSING, "ANALYSE")

    def start(self, request_id: str, api_version: int = V1) -> None:
        with self._lock:
            record = self.get(request_id, api_version)
            if record.status == RequestStatus.STOPPED:
                self._restart_stopped(record)
            elif record.status == RequestStatus.CREATED:
                self._act(record, RequestStatus.ANALYSING, "START")  # analysis first, then processing
            elif record.status == RequestStatus.ANALYSING:
                self._act(record, RequestStatus.ANALYSING, "START")
            elif record.status == RequestStatus.ANALYSIS_DONE:
                self._act(record, RequestStatus.PROCESSING, "START")
            else:
                allowed = (
                    "CREATED, ANALYSING, ANALYSIS_DONE or STOPPED"
                    if api_version != V1
                    else ("CREATED, ANALYSING or ANALYSIS_DONE")
                )
                hint = "" if api_version != V1 else " (restart a PARTIAL one with restartpartial)"
                raise conflict(
                    f"The request is {record.status.value}: only {allowed} requests can be started{hint}."
                )

    def _restart_stopped(self, record: RequestRecord) -> None:
        """v2: a stopped request carries on with its unfinished features (or its analysis)."""
        if record.user_action_updated and self._restart_wait_s > 0:
            stopped = datetime.fromisoformat(record.user_action_updated.replace("Z", "+00:00"))
            waited = (datetime.now(timezone.utc) - stopped).total_seconds()
            if waited < self._restart_wait_s:
                raise conflict(
                    f"The request was stopped {waited:.0f} s ago: it may start again {self._restart_wait_s:.0f} s "
                    "after a stop (TILEWISE_STOP_RESTART_WAIT)."
                )
        analysed = record.tile_count is not None and bool(self.store.tile_counts(record.id))
        following = RequestStatus.PROCESSING if analysed else RequestStatus.ANALYSING
        self._act(record, following, "START", stopped_reason=None, error=None)

    def stop(self, request_id: str, api_version: int = V2) -> None:
        """v2 (and Batch Statistical) stop: an analysis completes first; queued tiles go back, running ones
        finish and count."""
        with self._lock:
            record = self.get(request_id, api_version)
            if record.status == RequestStatus.ANALYSING:
                self._act(record, RequestStatus.ANALYSING, "STOP")
            elif record.status in (RequestStatus.ANALYSIS_DONE, RequestStatus.PROCESSING):
                self._act(record, RequestStatus.STOPPED, "STOP", stopped_reason="USER_ACTION")
                self._withdraw(record.id)
            else:
                raise conflict(
                    f"The request is {record.status.value}: only ANALYSING, ANALYSIS_DONE or PROCESSING requests "
                    "can be stopped."
                )

    def cancel(self, request_id: str) -> None:
        with self._lock:
            record = self.get(request_id)
            if record.status == RequestStatus.ANALYSING:
                # Sentinel Hub lets the analysis complete, then cancels.
                self._act(record, RequestStatus.ANALYSING, "CANCEL")
            elif record.status in (
                RequestStatus.CREATED,
                RequestStatus.ANALYSIS_DONE,
                RequestStatus.PROCESSING,
            ):
                self._act(record, RequestStatus.CANCELED, "CANCEL")
                self._withdraw(record.id)
            else:
                raise conflict(
                    f"The request is {record.status.value}: only CREATED, ANALYSING, ANALYSIS_DONE or PROCESSING "
                    "requests can be canceled."
                )

    def restart_partial(self, request_id: str) -> None:
        with self._lock:
            record = self.get(request_id)
            if record.status != RequestStatus.PARTIAL:
                raise conflict(
                    f"Only requests with status PARTIAL can be restarted (this one is {record.status.value})."
                )
            failed = [t.id for t in self.store.tiles(request_id, TileStatus.FAILED)]
            self.store.set_tiles(request_id, failed, status=TileStatus.PENDING, attempts=0, error=None)
            self._act(record, RequestStatus.PROCESSING, "START", error=None)

    def reprocess_tile(self, request_id: str, tile_id: int) -> None:
        with self._lock:
            record = self.get(request_id)
            tile = self.tile(request_id, tile_id)
            if tile.status != TileStatus.FAILED:
                raise conflict(
                    f"Tile {tile_id} is {tile.status.value}: only a FAILED tile can be reprocessed."
                )
            if record.status not in (
                RequestStatus.PARTIAL,
                RequestStatus.FAILED,
                RequestStatus.PROCESSING,
                RequestStatus.DONE,
            ):
                raise conflict(f"The request is {record.status.value}: its tiles cannot be reprocessed now.")
            self.store.set_tiles(request_id, [tile_id], status=TileStatus.PENDING, attempts=0, error=None)
            self._act(record, RequestStatus.PROCESSING, "START", error=None)

    def _act(self, record: RequestRecord, status: RequestStatus, action: str, **changes) -> None:
        changed = self.store.transition(
            record.id,
            [record.status],
            status=status,
            user_action=action,
            user_action_updated=now_iso(),
            **changes,
        )
        if not changed:  # the scheduler moved it meanwhile
            current = self.get(record.id, record.api_version)
            raise conflict(
                f"The request changed to {current.status.value} meanwhile: check it and try again."
            )
        self._wake()

    # --- tiles ------------------------------------------------------------------------------------------

    def tiles(
        self, request_id: str, status: Optional[str], viewtoken: Optional[str], count: Optional[int]
    ) -> Page:
        self.get(request_id)
        wanted = None
        if status:
            try:
                wanted = TileStatus(status.upper())
            except ValueError:
                raise bad_request(
                    f"Unknown tile status {status!r}: use one of {', '.join(s.value for s in TileStatus)}.",
                    "status",
                ) from None
        offset = decode_viewtoken(viewtoken)
        size = page_size(count, TILE_LIST_LIMIT)
        items = self.store.tiles(request_id, wanted, offset, size + 1)
        return Page(items[:size], offset, size, len(items) > size)

    def tile(self, request_id: str, tile_id: int) -> TileRecord:
        tile = self.store.tile(request_id, tile_id)
        if tile is None:
            raise not_found(
                f"Tile {tile_id} of batch request {request_id} does not exist (run analysis first?)."
            )
        return tile


def payload_error(exc: PayloadError) -> ApiError:
    return bad_request(str(exc), exc.field)
