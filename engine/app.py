"""The engine's FastAPI application: routes, error bodies, and the scheduler's lifetime."""

from __future__ import annotations

import logging
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from ..core.statuses import STATISTICAL
from ..core.version import VERSION
from .analysis import Analyser
from .api import auth as auth_routes
from .api import batch_statistics as batch_statistics_routes
from .api import catalog as catalog_routes
from .api import process as process_routes
from .api import statistics as statistics_routes
from .api import status as status_routes
from .api import v1 as v1_routes
from .api import v2 as v2_routes
from .api.limits import BodySizeLimit
from .api.schemas import add_body_schemas
from .artefacts import ArtefactPublisher
from .auth import TokenIssuer
from .batch_service import BatchService
from .catalog_choice import CatalogChoice
from .config import Settings
from .datadir import DataDirLock, make_private
from .errors import ApiError
from .executors import LocalProcessExecutor
from .scheduler import Scheduler
from .statistical_batch import StatisticalRequests
from .store import JobStore, RequestRecord, StorageFull
from .work import process_work

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: JobStore
    tokens: TokenIssuer
    batch: BatchService
    scheduler: Scheduler
    analyser: Analyser
    artefacts: ArtefactPublisher
    data_dir_lock: DataDirLock  # held as long as the process lives
    catalogs: CatalogChoice  # the catalog of requests created from now on
    statistical: StatisticalRequests  # batch statistical requests (their groups run as the scheduler's tiles)


def make_executor(settings: Settings):
    """The executor TILEWISE_EXECUTOR names: the local process pool, or Dask (imported only then)."""
    if settings.executor == "local":
        return LocalProcessExecutor(settings.workers, process_work)
    from .dask_executor import DaskExecutor, scheduler_address

    return DaskExecutor(
        process_work,
        address=scheduler_address(settings.executor),
        workers=settings.workers,
        lost_timeout_s=settings.dask_timeout_s,
    )


def build_services(settings: Settings, executor=None) -> Services:
    """Raises DataDirInUse (a ConfigError) when another engine runs on the data folder."""
    make_private(settings.data_dir)  # before SQLite creates its -wal and -shm files
    data_dir_lock = DataDirLock(settings.data_dir)
    data_dir_lock.acquire(settings.url)  # before the store: a second engine would reset our tiles
    settings.outputs.mkdir(parents=True, exist_ok=True)
    store = JobStore(settings.database)
    tokens = TokenIssuer(
        settings.data_dir / "token-key", settings.client_id, settings.client_secret, settings.token_lifetime_s
    )
    catalogs = CatalogChoice(settings.data_dir, settings.catalog)
    analyser = Analyser(settings, lambda: catalogs.current)
    artefacts = ArtefactPublisher(
        store,
        settings.outputs,
        settings.s3_endpoint_url,
        settings.execution_db_interval_s,
        settings.storage_outage_window_s,
    )
    statistical = StatisticalRequests(settings, store, lambda: catalogs.current)
    executor = executor or make_executor(settings)

    def analyse(record: RequestRecord):
        return statistical.analyse(record) if record.api_version == STATISTICAL else analyser.analyse(record)

    def make_jobs(record: RequestRecord, tiles):
        if record.api_version == STATISTICAL:
            return statistical.group_jobs(record, tiles)
        return analyser.tile_jobs(record, tiles)

    scheduler = Scheduler(
        store,
        executor,
        analyse,
        make_jobs,
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
        current_catalog=lambda: catalogs.current,
    )
    return Services(
        settings, store, tokens, batch, scheduler, analyser, artefacts, data_dir_lock, catalogs, statistical
    )


def error_response(error: ApiError) -> JSONResponse:
    """The reference error body, with the error's status and headers."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the document lists for the paths that `path` matches (FastAPI includes routers lazily,
    so the app's own route list does not hold the routes themselves)."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        if compile_path(template)[0].match(path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")  # Starlette answers HEAD wherever it answers GET
    return sorted(methods)


def create_app(settings: Optional[Settings] = None, executor=None) -> FastAPI:
    settings = settings or Settings.from_env()
    services = build_services(settings, executor)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
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
        return error_response(exc)

    @app.exception_handler(StorageFull)
    async def storage_full(_: Request, exc: StorageFull) -> JSONResponse:
        log.error("%s", exc)  # the operator's to fix: say it in the log too
        return error_response(
            ApiError(
                507,
                f"The engine's disk is full: its data folder {exc.folder} has no space left, so nothing was "
                "changed. Free space on that disk (or ask the engine's operator to), then try again.",
                "COMMON_DATABASE_ERROR",
            )
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(
            ApiError(
                400, f"Invalid request: {where}: {first.get('msg', 'invalid value')}.", "COMMON_BAD_PAYLOAD"
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "COMMON_NOT_FOUND", 405: "COMMON_METHOD_NOT_ALLOWED"}.get(
            exc.status_code, "COMMON_EXCEPTION"
        )
        headers = exc.headers
        if exc.status_code == 405:  # every method of the path (Starlette names only one route's)
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(app, request.url.path))}
        return error_response(ApiError(exc.status_code, str(exc.detail), code, headers=headers))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # A bug or a fault nobody foresaw: the client still gets the reference error body, and the log the
        # traceback under an incident number the message names (never the exception's text: it may hold data).
        incident = secrets.token_hex(4)
        log.error("Incident %s: %s %s failed", incident, request.method, request.url.path, exc_info=exc)
        return error_response(
            ApiError(
                500,
                f"The engine failed to handle this request (incident {incident}): its log has the details. "
                "Please report it with the request that caused it.",
                "COMMON_EXCEPTION",
            )
        )

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_mb * 2**20)

    document = app.openapi  # FastAPI's, from the routes; the bodies the routes read themselves are added

    def openapi() -> dict:
        first = app.openapi_schema is None
        schema = document()
        return add_body_schemas(schema) if first else schema

    app.openapi = openapi
    app.include_router(auth_routes.router)
    app.include_router(v1_routes.router)
    app.include_router(process_routes.router)
    app.include_router(statistics_routes.router)
    app.include_router(batch_statistics_routes.router)
    app.include_router(v2_routes.router)
    app.include_router(status_routes.router)
    app.include_router(catalog_routes.router)

    return app
