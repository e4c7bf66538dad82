"""Engine settings, read once from TILEWISE_* and AWS_* environment variables (see docs/engine.md)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from ..core.batch_models.statistical import MAX_STATISTICAL_FEATURES
from .evalscript.runtime import Limits
from .output.writer import DEFAULT_COMPRESSION, CompressionError, GeoTiffCompression

DEFAULT_PORT = 8765
DEFAULT_CLIENT_ID = "tilewise"
# Only for an engine on loopback: it is in the docs, so anyone who reaches the engine knows it.
DEFAULT_CLIENT_SECRET = "tilewise-local-secret"
# Create and analysis run the script's top level and setup() to check the request: they answer a client (or
# hold the analysis thread), so they get a short cap of the tile time limit. Tiles and previews get it all.
CHECK_TIME_LIMIT_S = 10.0


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path("data/engine")
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = field(default=DEFAULT_CLIENT_SECRET, repr=False)
    catalog: str = "demo"
    s3_endpoint_url: Optional[str] = None
    output_root: Optional[Path] = None
    workers: int = max(1, os.cpu_count() or 1)
    max_tiles: int = 100_000
    max_statistical_features: int = (
        700_000  # of a batch statistical GeoPackage; Sentinel Hub's limit is the most
    )
    token_lifetime_s: int = 3600
    tile_retries: int = 2  # a failed tile is tried again this many times before it is FAILED
    tile_time_limit_s: float = 600.0  # evalscript time per tile
    script_heap_mb: int = 1024  # V8 heap per evalscript context
    evalscript_compiler: bool = (
        True  # TILEWISE_EVALSCRIPT_COMPILER: the compiled pixel loop where a script allows it
    )
    execution_db_interval_s: float = 30.0  # v2: how often the execution database is uploaded while processing
    stop_restart_wait_s: float = 0.0  # v2: Sentinel Hub makes a stopped request wait 30 min; 0 = no wait
    executor: str = "local"  # local (process pool), dask-local (LocalCluster), dask://host:port (a scheduler)
    dask_timeout_s: float = 600.0  # jobs wait this long for a lost Dask scheduler, then fail; 0 = forever
    max_body_mb: int = 10  # largest request body the API reads
    # tiles wait this long for unreachable storage (S3 down, 5xx) without using attempts; 0 = no waiting
    storage_outage_window_s: float = 900.0
    # output GeoTIFFs: TILEWISE_GTIFF_COMPRESSION and TILEWISE_GTIFF_LEVEL
    gtiff_compression: GeoTiffCompression = DEFAULT_COMPRESSION

    def __post_init__(self) -> None:
        # checked here rather than in from_env, so that no way of building settings can skip it
        if self.uses_default_secret and not is_loopback(self.host):
            raise ConfigError(
                f"TILEWISE_HOST={self.host!r} is reachable from other machines, but TILEWISE_CLIENT_SECRET is "
                "the documented default: set TILEWISE_CLIENT_SECRET to a secret of your own, or "
                "TILEWISE_HOST to 127.0.0.1."
            )

    @property
    def url(self) -> str:
        """Where the engine listens (as configured: 0.0.0.0 stays 0.0.0.0)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def outputs(self) -> Path:
        """The only folder that file:// delivery may write under."""
        return (self.output_root or self.data_dir / "outputs").resolve()

    @property
    def script_limits(self) -> Limits:
        """V8 limits of a tile or a preview: TILEWISE_TILE_TIME_LIMIT and TILEWISE_SCRIPT_HEAP_MB."""
        return Limits(
            time_limit_s=self.tile_time_limit_s,
            heap_mb=self.script_heap_mb,
            compile=self.evalscript_compiler != "off",
            planes=self.evalscript_compiler == "planes",
        )

    @property
    def check_limits(self) -> Limits:
        """V8 limits of the checks at create and analysis: the same heap, at most CHECK_TIME_LIMIT_S."""
        return Limits(
            time_limit_s=min(self.tile_time_limit_s, CHECK_TIME_LIMIT_S),
            heap_mb=self.script_heap_mb,
            checking=True,
        )

    @property
    def database(self) -> Path:
        return self.data_dir / "jobs.sqlite"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def number(name: str, default: int, minimum: int = 1) -> int:
            raw = env.get(name)
            if raw in (None, ""):
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a whole number.") from None
            if value < minimum:
                raise ConfigError(f"{name} must be at least {minimum} (got {value}).")
            return value

        def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
            raw = (env.get(name) or "").strip().lower() or default
            if raw not in allowed:
                raise ConfigError(
                    f"{name}={env.get(name)!r}: use {', '.join(allowed[:-1])} or {allowed[-1]}."
                )
            return raw

        executor = (env.get("TILEWISE_EXECUTOR") or "local").strip()
        if executor not in ("local", "dask-local") and not (
            executor.startswith(("dask://", "dask+tls://")) and ":" in executor.split("://", 1)[1]
        ):
            raise ConfigError(
                f"TILEWISE_EXECUTOR={executor!r}: use local, dask-local or dask://host:port "
                "(dask+tls://host:port with TLS)."
            )
        data_dir = Path(env.get("TILEWISE_DATA_DIR") or "data/engine").expanduser()
        compression = gtiff_compression(env)
        output_root = env.get("TILEWISE_OUTPUT_ROOT")
        return cls(
            host=env.get("TILEWISE_HOST") or "127.0.0.1",
            port=number("TILEWISE_PORT", DEFAULT_PORT, 0),
            data_dir=data_dir,
            client_id=env.get("TILEWISE_CLIENT_ID") or DEFAULT_CLIENT_ID,
            client_secret=env.get("TILEWISE_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET,
            catalog=env.get("TILEWISE_CATALOG") or "demo",
            s3_endpoint_url=env.get("TILEWISE_S3_ENDPOINT_URL") or None,
            output_root=Path(output_root).expanduser() if output_root else None,
            workers=number("TILEWISE_WORKERS", max(1, os.cpu_count() or 1)),
            max_tiles=number("TILEWISE_MAX_TILES", 100_000),
            max_statistical_features=min(
                number("TILEWISE_MAX_STATISTICAL_FEATURES", MAX_STATISTICAL_FEATURES),
                MAX_STATISTICAL_FEATURES,
            ),
            token_lifetime_s=number("TILEWISE_TOKEN_LIFETIME", 3600, 60),
            tile_retries=number("TILEWISE_TILE_RETRIES", 2, 0),
            tile_time_limit_s=float(number("TILEWISE_TILE_TIME_LIMIT", 600)),
            script_heap_mb=number("TILEWISE_SCRIPT_HEAP_MB", 1024, 16),
            evalscript_compiler=choice("TILEWISE_EVALSCRIPT_COMPILER", "on", ("on", "planes", "off")),
            execution_db_interval_s=float(number("TILEWISE_EXECUTION_DB_INTERVAL", 30)),
            stop_restart_wait_s=float(number("TILEWISE_STOP_RESTART_WAIT", 0, 0)),
            executor=executor,
            dask_timeout_s=float(number("TILEWISE_DASK_TIMEOUT", 600, 0)),
            max_body_mb=number("TILEWISE_MAX_BODY_MB", 10),
            storage_outage_window_s=float(number("TILEWISE_STORAGE_OUTAGE_WINDOW", 900, 0)),
            gtiff_compression=compression,
        )

    @property
    def uses_default_secret(self) -> bool:
        return self.client_secret == DEFAULT_CLIENT_SECRET


def gtiff_compression(env: Mapping[str, str]) -> GeoTiffCompression:
    """TILEWISE_GTIFF_COMPRESSION (DEFLATE, ZSTD, LZW or NONE) and TILEWISE_GTIFF_LEVEL; the default level
    is 1 for DEFLATE, the codec's own for the others."""
    codec = (env.get("TILEWISE_GTIFF_COMPRESSION") or DEFAULT_COMPRESSION.codec).strip().upper()
    raw_level = (env.get("TILEWISE_GTIFF_LEVEL") or "").strip()
    if not raw_level:
        level = DEFAULT_COMPRESSION.level if codec == DEFAULT_COMPRESSION.codec else None
    elif raw_level.isdigit():
        level = int(raw_level)
    else:
        raise ConfigError(f"TILEWISE_GTIFF_LEVEL={raw_level!r} is not a whole number.")
    try:
        return GeoTiffCompression(codec, level)
    except CompressionError as exc:
        raise ConfigError(
            f"TILEWISE_GTIFF_COMPRESSION={codec}, TILEWISE_GTIFF_LEVEL={raw_level or '(unset)'}: {exc}"
        ) from None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can connect."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False
