"""`GET /api/v1/engine/status`: the engine's health and configuration, never a secret."""

from __future__ import annotations

from fastapi import Request

from .deps import Catalogs, EngineSettings, TileScheduler, protected_router

router = protected_router("", "engine")


def executor_status(executor) -> dict:
    """What the status endpoint says about the executor (Dask: scheduler, connection, dashboard link)."""
    describe = getattr(executor, "describe", None)
    if describe is None:
        return {"executor": "local-processes"}
    details = describe()
    return {"executor": details.pop("kind"), "dashboard": details.get("dashboard"), "dask": details}


@router.get("/api/v1/engine/status", summary="Engine health and configuration (no secrets)")
def engine_status(
    request: Request, settings: EngineSettings, scheduler: TileScheduler, catalogs: Catalogs
) -> dict:
    return {
        "version": request.app.version,
        "catalog": catalogs.current,
        "catalogSource": catalogs.source,
        "workers": settings.workers,
        **executor_status(scheduler.executor),
        "outputRoot": str(settings.outputs),
        "s3EndpointUrl": settings.s3_endpoint_url,
        "evalscript": {"compiler": settings.evalscript_compiler, **scheduler.evaluations.status()},
    }
