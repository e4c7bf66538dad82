"""`tilinggrids` routes, the same under v1 and v2."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Request

from ...core.grids import GRIDS, UnknownGridError, get_grid
from ..batch_service import encode_viewtoken
from ..errors import not_found
from .listing import Count
from .schemas import NOT_FOUND, TilingGrid, TilingGridList


def add_grid_routes(router: APIRouter) -> None:
    @router.get("/tilinggrids", summary="List the tiling grids", responses={200: {"model": TilingGridList}})
    def list_grids(request: Request, viewtoken: Optional[str] = None, count: Count = None) -> dict:
        grids = [grid.descriptor() for grid in GRIDS.values()]
        return {"data": grids, "links": {"currentToken": encode_viewtoken(0), "@id": str(request.url)}}

    @router.get(
        "/tilinggrids/{grid_id}",
        summary="Get one tiling grid",
        responses={200: {"model": TilingGrid}, **NOT_FOUND},
    )
    def get_grid_route(grid_id: str) -> dict:
        try:
            return get_grid(int(grid_id)).descriptor()
        except (UnknownGridError, ValueError):
            raise not_found(
                f"Tiling grid {grid_id} does not exist: use one of {', '.join(map(str, GRIDS))}."
            ) from None
