"""The engine's FastAPI application: routes, error bodies, and the scheduler's lifetime."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Optional

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .analysis import Analyser
from .api import auth as auth_routes
from .api import process as process_routes
from .api import v1 as v1_routes
from .api import v2 as v2_routes
from .api.deps import require_token
from .artefacts import ArtefactPublisher
from .auth import TokenIssuer
from .config import Settings
from .errors import ApiError
from .executors import LocalProcessExecutor
from .jobs import BatchService
from .processor import process_tile
from .scheduler import Scheduler
from .store import JobStore

log = logging.getLogger(__name__)
VERSION = "0.1.0"


@dataclass
class Services:
    settings: Settings
    store: JobStore
    tokens: TokenIssuer
    batch: BatchService
    scheduler: Scheduler
    analyser: Analyser
    artefacts: ArtefactPublisher


def make_executor(settings: Settings):
    """The executor TILEWISE_EXECUTOR names: the local process pool, or Dask (imported only then)."""
    if settings.executor == "local":
        return LocalProcessExecutor(settings.workers, process_tile)
    from .dask_executor import DaskExecutor, scheduler_address

    return DaskExecutor(
        process_tile,
        address=scheduler_address(settings.executor),
        workers=settings.workers,
        lost_timeout_s=settings.dask_timeout_s,
    )


def executor_status(executor) -> dict:
    """What the status endpoint says about the executor (Dask: scheduler, connection, dashboard link)."""
    describe = getattr(executor, "describe", None)
    if describe is None:
        return {"executor": "local-processes"}
    details = describe()
    return {"executor": details.pop("kind"), "dashboard": details.get("dashboard"), "dask": details}


def build_services(settings: Settings, executor=None) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.outputs.mkdir(parents=True, exist_ok=True)
    store = JobStore(settings.database)
    tokens = TokenIssuer(
        settings.data_dir / "token-key", settings.client_id, settings.client_secret, settings.token_lifetime_s
    )
    analyser = Analyser(settings)
    artefacts = ArtefactPublisher(
        store,
        settings.outputs,
        settings.s3_endpoint_url,
        settings.execution_db_interval_s,
        settings.storage_outage_window_s,
    )
    executor = executor or make_executor(settings)
    scheduler = Scheduler(
        store,
        executor,
        analyser.analyse,
        analyser.tile_job,
        settings.tile_retries,
        artefacts.report,
        settings.storage_outage_window_s,
    )
    batch = BatchService(
        store,
        analyser.check_new,
        scheduler.wake,
        scheduler.withdraw,
        publish=analyser.publish_request(artefacts),
        restart_wait_s=settings.stop_restart_wait_s,
    )
    return Services(settings, store, tokens, batch, scheduler, analyser, artefacts)


def create_app(settings: Optional[Settings] = None, executor=None) -> FastAPI:
    settings = settings or Settings.from_env()
    services = build_services(settings, executor)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.uses_default_secret and settings.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning(
                "The engine listens on %s with the default client secret: set TILEWISE_CLIENT_SECRET",
                settings.host,
            )
        services.scheduler.start()
        try:
            yield
        finally:
            services.scheduler.stop()
            services.artefacts.shutdown()

    app = FastAPI(
        title="Tilewise engine",
        version=VERSION,
        description="Sentinel Hub Batch Processing API (v1 and v2) served by a self-hosted engine.",
        lifespan=lifespan,
    )
    app.state.services = services

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        error = ApiError(
            400, f"Invalid request: {where}: {first.get('msg', 'invalid value')}.", "COMMON_BAD_PAYLOAD"
        )
        return JSONResponse(error.body(), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "COMMON_NOT_FOUND", 405: "COMMON_METHOD_NOT_ALLOWED"}.get(
            exc.status_code, "COMMON_EXCEPTION"
        )
        error = ApiError(exc.status_code, str(exc.detail), code)
        return JSONResponse(error.body(), status_code=exc.status_code)

    app.include_router(auth_routes.router)
    app.include_router(v1_routes.router)
    app.include_router(process_routes.router)
    app.include_router(v2_routes.router)

    @app.get(
        "/api/v1/engine/status",
        tags=["engine"],
        summary="Engine health and configuration (no secrets)",
        dependencies=[Depends(require_token)],
    )
    def engine_status() -> dict:
        return {
            "version": VERSION,
            "catalog": settings.catalog,
            "workers": settings.workers,
            **executor_status(services.scheduler.executor),
            "outputRoot": str(settings.outputs),
            "s3EndpointUrl": settings.s3_endpoint_url,
        }

    return app
