"""`GET`/`PUT /api/v1/engine/catalog`: which catalog new requests read, and switching it (the engine's own
admin route, not Sentinel Hub's API). Requests keep the catalog they were created with."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..catalog_choice import CatalogChoice, CatalogRefused
from ..errors import bad_request
from .deps import Catalogs, protected_router

router = protected_router("", "engine")


class CatalogSwitch(BaseModel):
    catalog: str = Field(
        description="A built-in catalog (demo, earth-search) or the path of a catalogs JSON file on the engine's "
        "computer (relative to its working folder)."
    )


def catalog_answer(catalogs: CatalogChoice) -> dict:
    return {
        "catalog": catalogs.current,
        "source": catalogs.source,
        "configured": catalogs.configured,
        "available": [option.to_api() for option in catalogs.available()],
    }


@router.get("/api/v1/engine/catalog", summary="The catalog of new requests, and the catalogs to choose from")
def read_catalog(catalogs: Catalogs) -> dict:
    return catalog_answer(catalogs)


@router.put(
    "/api/v1/engine/catalog",
    summary="Switch the catalog of requests created from now on (kept across restarts; no network check)",
)
def switch_catalog(body: CatalogSwitch, catalogs: Catalogs) -> dict:
    try:
        catalogs.switch(body.catalog)
    except CatalogRefused as exc:
        raise bad_request(str(exc), "catalog") from None
    return catalog_answer(catalogs)
