"""A Tilewise engine's catalogs as `GET`/`PUT /api/v1/engine/catalog` describe them (Qt-free; see docs/engine.md)."""

from __future__ import annotations

from dataclasses import dataclass

from .http import BadResponse


@dataclass(frozen=True)
class CatalogOption:
    id: str  # what the engine is switched with: a built-in name or a catalogs file's path
    title: str
    offline: bool  # every collection is on the engine's computer: no internet needed

    def to_api(self) -> dict:
        """As the engine answers it (`available` of GET/PUT /api/v1/engine/catalog)."""
        return {"id": self.id, "title": self.title, "offline": self.offline}


@dataclass(frozen=True)
class EngineCatalog:
    current: str
    switched: bool  # chosen through the API rather than the engine's TILEWISE_CATALOG
    available: tuple[CatalogOption, ...]

    @classmethod
    def from_api(cls, body: object) -> EngineCatalog:
        try:
            return cls(
                current=str(body["catalog"]),  # type: ignore[index]
                switched=body.get("source") == "switched",  # type: ignore[union-attr]
                available=tuple(
                    CatalogOption(str(o["id"]), str(o.get("title") or o["id"]), bool(o.get("offline")))
                    for o in body["available"]  # type: ignore[index]
                ),
            )
        except (KeyError, TypeError, AttributeError):
            raise BadResponse(
                "The engine's catalog answer lacks the current catalog or the list of catalogs: is it an engine "
                "older than this plugin? Update the engine (make venv), then try again."
            ) from None

    def option(self, catalog_id: str) -> CatalogOption:
        """The option of a catalog id (a catalog the engine does not list is shown by its id)."""
        return next(
            (o for o in self.available if o.id == catalog_id), CatalogOption(catalog_id, catalog_id, False)
        )
