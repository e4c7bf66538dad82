"""Durable job store: batch requests and their tiles in SQLite (WAL) under the data dir.

Only the API process writes here (the scheduler is a thread of it); tile workers
return results instead of writing. Every change is one short transaction, so
killing the engine at any moment leaves a consistent store to resume from.

v2 requests' S3 keys (`secrets`) stay only while a request may still run: a request that ends (DONE,
FAILED, CANCELED) loses them, with secure_delete and a WAL checkpoint so that the bytes leave the files.
A full disk raises StorageFull, and the change is not made.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import threading
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

from ..core.batch_models import BatchRequestSpec, parse_request
from ..core.statuses import RequestStatus
from ..core.tile_status import TileStatus

IN_FLIGHT = (TileStatus.SCHEDULED, TileStatus.QUEUED, TileStatus.PROCESSING)
UNFINISHED = (TileStatus.PENDING, *IN_FLIGHT)
# A request in one of these never runs again, so it needs no keys (STOPPED and PARTIAL may start again).
ENDED = (RequestStatus.DONE, RequestStatus.FAILED, RequestStatus.CANCELED)
log = logging.getLogger(__name__)


class StorageFull(Exception):
    """The disk of the data folder is full; the change that needed space was not made."""

    def __init__(self, folder: Path):
        super().__init__(f"The disk of the data folder {folder} is full: free space on it.")
        self.folder = folder


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
        return code == sqlite3.SQLITE_FULL if code is not None else "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RequestRecord:
    id: str
    api_version: int
    status: RequestStatus
    payload: dict  # the request as the client sent it, without secrets
    description: str = ""
    user_action: str = "NONE"
    user_action_updated: Optional[str] = None
    created: str = field(default_factory=now_iso)
    last_updated: str = field(default_factory=now_iso)
    error: Optional[str] = None
    value_estimate: Optional[float] = None
    tile_count: Optional[int] = None
    tile_width: Optional[int] = None
    tile_height: Optional[int] = None
    cost_pu: float = 0.0
    stopped_reason: Optional[str] = None
    warnings: list[str] = field(default_factory=list)
    catalog: Optional[str] = None  # the engine's catalog when it was created (None: made before it was kept)
    secrets: Optional[dict] = field(default=None, repr=False)  # delivery credentials; never served

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def batch_request(self) -> BatchRequestSpec:
        """The stored request read into the model: the engine's one way to it (its S3 keys are in `secrets`).
        It was accepted at creation, so it reads; parse once per use and pass the model on."""
        return parse_request(self.api_version, self.payload)


@dataclass
class TileRecord:
    request_id: str
    id: int
    name: str
    epsg: int
    bounds: tuple[float, float, float, float]  # native CRS, without buffer
    geometry: dict  # GeoJSON polygon, WGS84
    status: TileStatus = TileStatus.PENDING
    attempts: int = 0
    error: Optional[str] = None
    cost: float = 0.0
    updated: str = field(default_factory=now_iso)
    width: Optional[int] = None  # raster size when the tile sets its own (a v2 GeoPackage feature)
    height: Optional[int] = None


@dataclass(frozen=True)
class StatisticalFeature:
    """A polygon of a batch statistical request's GeoPackage; `group` is the tile whose work computes it."""

    fid: int
    identifier: Optional[str]
    bounds: tuple[float, float, float, float]  # in the GeoPackage's CRS
    wkb: bytes = field(repr=False)
    group: Optional[int] = None  # set by the analysis


_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    api_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    user_action TEXT NOT NULL,
    user_action_updated TEXT,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    description TEXT NOT NULL,
    payload TEXT NOT NULL,
    secrets TEXT,
    error TEXT,
    value_estimate REAL,
    tile_count INTEGER,
    tile_width INTEGER,
    tile_height INTEGER,
    cost_pu REAL NOT NULL DEFAULT 0,
    stopped_reason TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    catalog TEXT
);
CREATE TABLE IF NOT EXISTS tiles (
    request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    epsg INTEGER NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    geometry TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    cost REAL NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    PRIMARY KEY (request_id, id)
);
CREATE TABLE IF NOT EXISTS statistical_features (
    request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    fid INTEGER NOT NULL,
    identifier TEXT,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    wkb BLOB NOT NULL,
    group_id INTEGER,
    epsg INTEGER NOT NULL,
    PRIMARY KEY (request_id, fid)
);
CREATE INDEX IF NOT EXISTS statistical_features_by_group ON statistical_features (request_id, group_id);
CREATE INDEX IF NOT EXISTS tiles_by_status ON tiles (request_id, status);
CREATE INDEX IF NOT EXISTS requests_by_created ON requests (api_version, created);
"""

_REQUEST_COLUMNS = (
    "id, api_version, status, user_action, user_action_updated, created, last_updated, description, payload, "
    "secrets, error, value_estimate, tile_count, tile_width, tile_height, cost_pu, stopped_reason, warnings, catalog"
)
_TILE_COLUMNS = "request_id, id, name, epsg, x0, y0, x1, y1, geometry, status, attempts, error, cost, updated, width, height"
_SORTS = {
    "created": "created ASC, id ASC",
    "created:asc": "created ASC, id ASC",
    "created:desc": "created DESC, id DESC",
    "status": "status ASC, created ASC",
    "status:asc": "status ASC, created ASC",
    "status:desc": "status DESC, created DESC",
}


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._full_disk_raises():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._make_files_private()
            with self._connection() as connection:
                connection.executescript(_SCHEMA)
                columns = {row[1] for row in connection.execute("PRAGMA table_info(tiles)")}
                for column in ("width", "height"):  # a store made by an engine before v2
                    if column not in columns:
                        connection.execute(f"ALTER TABLE tiles ADD COLUMN {column} INTEGER")
                if "catalog" not in {row[1] for row in connection.execute("PRAGMA table_info(requests)")}:
                    connection.execute("ALTER TABLE requests ADD COLUMN catalog TEXT")  # an older store
        # keys of requests that ended while the engine stopped before their last upload; and what an
        # earlier scrub could not finish
        self._drop_ended_requests_secrets()
        self._scrub()

    def _make_files_private(self) -> None:
        """The store holds v2 keys while requests run. SQLite gives its -wal and -shm files the mode of the
        database file, so that is created 0600 before SQLite opens it; files an older engine made readable
        are tightened."""
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.chmod(f"{self.path}{suffix}", 0o600)

    def _connect(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            # deleted keys are overwritten with zeros, not left in the file's free space
            connection.execute("PRAGMA secure_delete=ON")
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        return connection

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        yield self._connect()

    @contextmanager
    def _full_disk_raises(self) -> Iterator[None]:
        """SQLite's "database or disk is full" and ENOSPC become StorageFull, naming the data folder."""
        try:
            yield
        except (sqlite3.OperationalError, OSError) as exc:
            if _is_disk_full(exc):
                raise StorageFull(self.path.parent) from exc
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (IMMEDIATE: writers queue up instead of failing); StorageFull on a full disk."""
        connection = self._connect()
        with self._write_lock, self._full_disk_raises():
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")  # a full disk may fail the commit: then roll back, too
            except BaseException:
                if connection.in_transaction:  # SQLite rolls back by itself after some errors
                    connection.execute("ROLLBACK")
                raise

    # --- secrets ----------------------------------------------------------------------------------------

    def forget_secrets(self, request_id: str) -> None:
        """Drop the keys of a request that has ended (one that may run again keeps them)."""
        if self._drop_ended_requests_secrets("id = ?", [request_id]):
            self._scrub()

    def _drop_ended_requests_secrets(self, where: str = "1 = 1", parameters: Sequence[str] = ()) -> int:
        ended = [s.value for s in ENDED]
        with self.transaction() as connection:
            cursor = connection.execute(
                f"UPDATE requests SET secrets = NULL WHERE {where} AND secrets IS NOT NULL "
                f"AND status IN ({', '.join('?' * len(ended))})",
                (*parameters, *ended),
            )
            return cursor.rowcount

    def _scrub(self) -> None:
        """Copy the WAL into the database and empty it: the old pages with the keys leave the -wal file
        (secure_delete has zeroed them in the database's pages). Waits for readers (the busy timeout).
        Best effort: the change is committed already, and the next scrub (at the latest the next start)
        catches up."""
        with self._write_lock:
            try:
                busy, _, _ = self._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:  # a full disk, most likely
                busy, reason = 1, str(exc)
            else:
                reason = "a reader kept it busy"
        if busy:
            log.warning("Deleted S3 keys stay in the job store's WAL until its next checkpoint (%s)", reason)

    @staticmethod
    def _forgetting_secrets(encoded: dict, keep_secrets: bool) -> bool:
        """A change that ends a request drops its keys too (unless the caller still needs them: then it
        calls forget_secrets later). True when the keys are dropped."""
        if keep_secrets or encoded.get("status") not in {s.value for s in ENDED}:
            return False
        encoded["secrets"] = None
        return True

    # --- requests ---------------------------------------------------------------------------------------

    def add_request(self, record: RequestRecord) -> None:
        with self.transaction() as connection:
            connection.execute(
                f"INSERT INTO requests ({_REQUEST_COLUMNS}) VALUES ({', '.join('?' * 19)})",
                _request_row(record),
            )

    def add_statistical_request(
        self, record: RequestRecord, epsg: int, features: Sequence[StatisticalFeature]
    ) -> None:
        """A batch statistical request and its polygons (in EPSG:`epsg`), in one transaction."""
        with self.transaction() as connection:
            connection.execute(
                f"INSERT INTO requests ({_REQUEST_COLUMNS}) VALUES ({', '.join('?' * 19)})",
                _request_row(record),
            )
            connection.executemany(
                "INSERT INTO statistical_features (request_id, fid, identifier, x0, y0, x1, y1, wkb, group_id, epsg) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((record.id, f.fid, f.identifier, *f.bounds, f.wkb, f.group, epsg) for f in features),
            )

    def statistical_features(self, request_id: str, group: Optional[int] = None) -> list[StatisticalFeature]:
        """The request's polygons (of one group), by fid."""
        where, parameters = ("request_id = ?", [request_id])
        if group is not None:
            where, parameters = ("request_id = ? AND group_id = ?", [request_id, group])
        rows = self._connect().execute(
            f"SELECT fid, identifier, x0, y0, x1, y1, wkb, group_id FROM statistical_features WHERE {where} "
            "ORDER BY fid",
            parameters,
        )
        return [StatisticalFeature(r[0], r[1], (r[2], r[3], r[4], r[5]), bytes(r[6]), r[7]) for r in rows]

    def statistical_feature_count(self, request_id: str) -> int:
        row = (
            self._connect()
            .execute("SELECT COUNT(*) FROM statistical_features WHERE request_id = ?", (request_id,))
            .fetchone()
        )
        return row[0]

    def statistical_epsg(self, request_id: str) -> Optional[int]:
        row = (
            self._connect()
            .execute("SELECT epsg FROM statistical_features WHERE request_id = ? LIMIT 1", (request_id,))
            .fetchone()
        )
        return row[0] if row else None

    def group_statistical_features(self, request_id: str, groups: dict[int, int]) -> None:
        """fid → group: the analysis's grouping of the request's polygons."""
        with self.transaction() as connection:
            connection.executemany(
                "UPDATE statistical_features SET group_id = ? WHERE request_id = ? AND fid = ?",
                ((group, request_id, fid) for fid, group in groups.items()),
            )

    def get_request(self, request_id: str) -> Optional[RequestRecord]:
        row = (
            self._connect()
            .execute(f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE id = ?", (request_id,))
            .fetchone()
        )
        return _request_from_row(row) if row else None

    def update_request(self, request_id: str, keep_secrets: bool = False, **changes: Any) -> None:
        """Change columns of a request; `last_updated` follows. Ending it drops its keys (see transition)."""
        if not changes:
            return
        encoded = {key: _encode_request_value(key, value) for key, value in changes.items()}
        encoded["last_updated"] = now_iso()
        forgetting = self._forgetting_secrets(encoded, keep_secrets)
        assignments = ", ".join(f"{key} = ?" for key in encoded)
        with self.transaction() as connection:
            had_secrets = forgetting and _has_secrets(connection, request_id)
            connection.execute(
                f"UPDATE requests SET {assignments} WHERE id = ?", (*encoded.values(), request_id)
            )
        if had_secrets:
            self._scrub()

    def transition(
        self, request_id: str, expected: Iterable[RequestStatus], keep_secrets: bool = False, **changes: Any
    ) -> bool:
        """Change a request only if its status is still one of `expected` (atomic check-and-set).

        A change to DONE, FAILED or CANCELED drops the request's keys in the same transaction, unless
        `keep_secrets` (the final v2 upload still needs them: forget_secrets follows it)."""
        values = [s.value for s in expected]
        encoded = {key: _encode_request_value(key, value) for key, value in changes.items()}
        encoded["last_updated"] = now_iso()
        forgetting = self._forgetting_secrets(encoded, keep_secrets)
        assignments = ", ".join(f"{key} = ?" for key in encoded)
        with self.transaction() as connection:
            had_secrets = forgetting and _has_secrets(connection, request_id)
            cursor = connection.execute(
                f"UPDATE requests SET {assignments} WHERE id = ? AND status IN ({', '.join('?' * len(values))})",
                (*encoded.values(), request_id, *values),
            )
            changed = cursor.rowcount == 1
        if had_secrets and changed:
            self._scrub()
        return changed

    def delete_request(self, request_id: str) -> None:
        with self.transaction() as connection:
            connection.execute("DELETE FROM tiles WHERE request_id = ?", (request_id,))
            connection.execute("DELETE FROM statistical_features WHERE request_id = ?", (request_id,))
            connection.execute("DELETE FROM requests WHERE id = ?", (request_id,))

    def list_requests(
        self, api_version: int, search: Optional[str], sort: str, offset: int, count: int
    ) -> list[RequestRecord]:
        where, parameters = ["api_version = ?"], [api_version]
        if search:
            clause, values = _search_clause(search)
            where.append(clause)
            parameters.extend(values)
        rows = self._connect().execute(
            f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE {' AND '.join(where)} "
            f"ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?",
            (*parameters, count, offset),
        )
        return [_request_from_row(row) for row in rows]

    def requests_in(self, statuses: Iterable[RequestStatus]) -> list[RequestRecord]:
        values = [s.value for s in statuses]
        rows = self._connect().execute(
            f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE status IN ({', '.join('?' * len(values))}) "
            "ORDER BY created",
            values,
        )
        return [_request_from_row(row) for row in rows]

    # --- tiles ------------------------------------------------------------------------------------------

    def replace_tiles(self, request_id: str, tiles: Sequence[TileRecord]) -> None:
        with self.transaction() as connection:
            connection.execute("DELETE FROM tiles WHERE request_id = ?", (request_id,))
            connection.executemany(
                f"INSERT INTO tiles ({_TILE_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                (_tile_row(tile) for tile in tiles),
            )

    def tiles(
        self, request_id: str, status: Optional[TileStatus] = None, offset: int = 0, count: int = -1
    ) -> list[TileRecord]:
        where, parameters = "request_id = ?", [request_id]
        if status is not None:
            where += " AND status = ?"
            parameters.append(status.value)
        rows = self._connect().execute(
            f"SELECT {_TILE_COLUMNS} FROM tiles WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            (*parameters, count, offset),
        )
        return [_tile_from_row(row) for row in rows]

    def tile(self, request_id: str, tile_id: int) -> Optional[TileRecord]:
        row = (
            self._connect()
            .execute(
                f"SELECT {_TILE_COLUMNS} FROM tiles WHERE request_id = ? AND id = ?", (request_id, tile_id)
            )
            .fetchone()
        )
        return _tile_from_row(row) if row else None

    def tile_counts(self, request_id: str) -> dict[TileStatus, int]:
        rows = self._connect().execute(
            "SELECT status, COUNT(*) FROM tiles WHERE request_id = ? GROUP BY status", (request_id,)
        )
        return {TileStatus(status): count for status, count in rows}

    def processed_cost(self, request_id: str) -> float:
        row = (
            self._connect()
            .execute(
                "SELECT SUM(cost) FROM tiles WHERE request_id = ? AND status = ?",
                (request_id, TileStatus.PROCESSED.value),
            )
            .fetchone()
        )
        return float(row[0] or 0.0)

    def set_tiles(self, request_id: str, tile_ids: Iterable[int], **changes: Any) -> None:
        """Set the same columns on several tiles in one transaction."""
        ids = list(tile_ids)
        if not ids:
            return
        encoded = {k: (v.value if isinstance(v, Enum) else v) for k, v in changes.items()}
        encoded["updated"] = now_iso()
        assignments = ", ".join(f"{key} = ?" for key in encoded)
        with self.transaction() as connection:
            connection.executemany(
                f"UPDATE tiles SET {assignments} WHERE request_id = ? AND id = ?",
                ((*encoded.values(), request_id, tile_id) for tile_id in ids),
            )

    def reset_tiles(self, request_id: str, from_statuses: Iterable[TileStatus], to: TileStatus) -> int:
        values = [s.value for s in from_statuses]
        with self.transaction() as connection:
            cursor = connection.execute(
                f"UPDATE tiles SET status = ?, updated = ? WHERE request_id = ? "
                f"AND status IN ({', '.join('?' * len(values))})",
                (to.value, now_iso(), request_id, *values),
            )
            return cursor.rowcount


def _has_secrets(connection: sqlite3.Connection, request_id: str) -> bool:
    """Whether dropping a request's keys leaves anything to scrub from the files."""
    row = connection.execute(
        "SELECT secrets IS NOT NULL FROM requests WHERE id = ?", (request_id,)
    ).fetchone()
    return bool(row and row[0])


def _search_clause(search: str) -> tuple[str, list[str]]:
    """`a|b&c` = a OR (b AND c); each word matches the id, description or status."""
    alternatives, values = [], []
    for alternative in search.split("|"):
        words = [w.strip() for w in alternative.split("&") if w.strip()]
        if not words:
            continue
        terms = []
        for word in words:
            terms.append("(id LIKE ? OR description LIKE ? OR status LIKE ?)")
            values.extend([f"%{word}%"] * 3)
        alternatives.append("(" + " AND ".join(terms) + ")")
    return ("(" + " OR ".join(alternatives) + ")" if alternatives else "1=1"), values


def _encode_request_value(key: str, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if key in ("payload", "secrets", "warnings"):
        return None if value is None else json.dumps(value)
    return value


def _request_row(record: RequestRecord) -> tuple:
    return (
        record.id,
        record.api_version,
        record.status.value,
        record.user_action,
        record.user_action_updated,
        record.created,
        record.last_updated,
        record.description,
        json.dumps(record.payload),
        json.dumps(record.secrets) if record.secrets is not None else None,
        record.error,
        record.value_estimate,
        record.tile_count,
        record.tile_width,
        record.tile_height,
        record.cost_pu,
        record.stopped_reason,
        json.dumps(record.warnings),
        record.catalog,
    )


def _request_from_row(row: sqlite3.Row) -> RequestRecord:
    return RequestRecord(
        id=row["id"],
        api_version=row["api_version"],
        status=RequestStatus(row["status"]),
        user_action=row["user_action"],
        user_action_updated=row["user_action_updated"],
        created=row["created"],
        last_updated=row["last_updated"],
        description=row["description"],
        payload=json.loads(row["payload"]),
        secrets=json.loads(row["secrets"]) if row["secrets"] else None,
        error=row["error"],
        value_estimate=row["value_estimate"],
        tile_count=row["tile_count"],
        tile_width=row["tile_width"],
        tile_height=row["tile_height"],
        cost_pu=row["cost_pu"],
        stopped_reason=row["stopped_reason"],
        warnings=json.loads(row["warnings"]),
        catalog=row["catalog"],
    )


def _tile_row(tile: TileRecord) -> tuple:
    return (
        tile.request_id,
        tile.id,
        tile.name,
        tile.epsg,
        *tile.bounds,
        json.dumps(tile.geometry),
        tile.status.value,
        tile.attempts,
        tile.error,
        tile.cost,
        tile.updated,
        tile.width,
        tile.height,
    )


def _tile_from_row(row: sqlite3.Row) -> TileRecord:
    return TileRecord(
        request_id=row["request_id"],
        id=row["id"],
        name=row["name"],
        epsg=row["epsg"],
        bounds=(row["x0"], row["y0"], row["x1"], row["y1"]),
        geometry=json.loads(row["geometry"]),
        status=TileStatus(row["status"]),
        attempts=row["attempts"],
        error=row["error"],
        cost=row["cost"],
        updated=row["updated"],
        width=row["width"],
        height=row["height"],
    )
