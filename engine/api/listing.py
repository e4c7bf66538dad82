"""What v1 and v2 lists share: the list query (search, sort, viewtoken, count) and the page with its links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Optional

from fastapi import Depends, Query, Request

from ..batch_service import SORTS, BatchService, Page, encode_viewtoken

# How a list is sorted
Sort = Annotated[
    Optional[Literal[SORTS]],  # a tuple subscript lists each value
    Query(description="Default created:desc."),
]
# A list's page size: at least 1; larger than the list's page limit means the limit.
Count = Annotated[
    Optional[int], Query(ge=1, le=2**31 - 1, description="Items per page (capped by the engine).")
]


@dataclass(frozen=True)
class RequestQuery:
    """The query of a request list, as GET /api/v1/batch/process and /api/v2/batch/process read it."""

    search: Optional[str]
    sort: Optional[str]
    viewtoken: Optional[str]
    count: Optional[int]

    def page(self, batch: BatchService, api_version: int) -> Page:
        return batch.list(api_version, self.search, self.sort, self.viewtoken, self.count)


def request_query(
    search: Optional[str] = None, sort: Sort = None, viewtoken: Optional[str] = None, count: Count = None
) -> RequestQuery:
    return RequestQuery(search, sort, viewtoken, count)


RequestListQuery = Annotated[RequestQuery, Depends(request_query)]


def page_json(request: Request, page: Page, items: list) -> dict:
    """A list page as Sentinel Hub answers it: the items, and links to this, the next and the previous page."""
    links = {"currentToken": encode_viewtoken(page.offset), "@id": str(request.url)}
    if page.has_more:
        token = encode_viewtoken(page.offset + page.count)
        links["nextToken"] = token
        links["next"] = str(request.url.include_query_params(viewtoken=token))
    if page.offset > 0:
        token = encode_viewtoken(max(0, page.offset - page.count))
        links["previousToken"] = token
        links["previous"] = str(request.url.include_query_params(viewtoken=token))
    return {"data": items, "links": links}
