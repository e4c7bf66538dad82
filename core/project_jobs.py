"""Batch jobs remembered in the QGIS project that created them (qgis.core only, no widgets).

The project keeps a JSON list under the `tilewise` scope, key `jobs`: one object per job with its id, the
Deployment id, the API version, the description and the creation time. Nothing else (never a secret, an
output key or a request). A broken or hand-edited entry is skipped with a warning, never fatal.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from qgis.core import QgsProject

from .jobs import BatchJob

log = logging.getLogger(__name__)

SCOPE = "tilewise"
KEY = "jobs"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)


@dataclass(frozen=True)
class RememberedJob:
    id: str
    deployment: str  # Deployment id (core/deployments.py)
    api_version: int
    description: str
    created: Optional[str]  # as the service wrote it (ISO 8601)

    @classmethod
    def of(cls, job: BatchJob) -> RememberedJob:
        return cls(job.id, job.deployment, job.api_version, job.description or "", job.created)


def parse_timestamp(text: Optional[str]) -> Optional[datetime]:
    """An ISO 8601 time as the Batch APIs write it (`2024-05-01T10:00:00.123456789Z`, `…+02:00`, or without
    a zone, taken as UTC) as an aware datetime; None when missing or unreadable. Python 3.9's fromisoformat
    takes neither `Z` nor fractions of other than 3 or 6 digits."""
    if not isinstance(text, str):
        return None
    match = _TIMESTAMP.match(text.strip())
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    if clock.count(":") == 1:
        clock += ":00"
    fraction = (fraction or "0")[:6].ljust(6, "0")
    if not zone or zone.upper() == "Z":
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{fraction}{zone}")
    except ValueError:
        return None


def remember(job: BatchJob, project: Optional[QgsProject] = None) -> None:
    """Add the job to the project's list, or update its entry (same id and deployment); marks it dirty."""
    project = project or QgsProject.instance()
    entry = asdict(RememberedJob.of(job))
    items = _read_items(project)
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == job.id and item.get("deployment") == job.deployment:
            if entry["created"] is None and isinstance(item.get("created"), str):
                entry["created"] = item["created"]  # keep what an earlier look knew
            if item == entry:
                return
            items[index] = entry
            break
    else:
        items.append(entry)
    _write_items(project, items)


def remembered(project: Optional[QgsProject] = None, deployment: Optional[str] = None) -> list[RememberedJob]:
    """The project's jobs (of one deployment when given), newest first; jobs without a creation time last,
    the last remembered first."""
    project = project or QgsProject.instance()
    jobs: list[RememberedJob] = []
    for index, item in enumerate(_read_items(project)):
        job = _parse(item, index)
        if job is not None and (deployment is None or job.deployment == deployment):
            jobs.append(job)
    jobs.reverse()  # the last remembered first among equals (the sort below is stable)
    jobs.sort(key=lambda j: parse_timestamp(j.created) or _EPOCH, reverse=True)
    return jobs


def forget(job_id: str, project: Optional[QgsProject] = None, deployment: Optional[str] = None) -> None:
    """Drop the job (of one deployment when given) from the project's list; marks the project dirty."""
    project = project or QgsProject.instance()
    items = _read_items(project)
    kept = [
        item
        for item in items
        if not (
            isinstance(item, dict)
            and item.get("id") == job_id
            and (deployment is None or item.get("deployment") == deployment)
        )
    ]
    if len(kept) != len(items):
        _write_items(project, kept)


# --- storage -------------------------------------------------------------------------------------------


def _read_items(project: QgsProject) -> list[Any]:
    """The stored list as it is (bad items included, so that a write keeps what it does not understand)."""
    text, ok = project.readEntry(SCOPE, KEY, "")
    if not ok or not text or not text.strip():
        return []
    try:
        items = json.loads(text)
    except ValueError as exc:
        log.warning("Tilewise: the project's job list is not JSON (%s); it is ignored.", exc)
        return []
    if not isinstance(items, list):
        log.warning(
            "Tilewise: the project's job list is a %s, not a list; it is ignored.", type(items).__name__
        )
        return []
    return items


def _write_items(project: QgsProject, items: list[Any]) -> None:
    project.writeEntry(SCOPE, KEY, json.dumps(items, ensure_ascii=False, separators=(",", ":")))
    project.setDirty(True)


def _parse(item: Any, index: int) -> Optional[RememberedJob]:
    problem = None
    if not isinstance(item, dict):
        problem = f"a {type(item).__name__}, not an object"
    elif not isinstance(item.get("id"), str) or not item["id"].strip():
        problem = "no id"
    elif not isinstance(item.get("deployment"), str) or not item["deployment"].strip():
        problem = "no deployment"
    elif type(item.get("api_version")) is not int or item["api_version"] not in (1, 2):
        problem = f"API version {item.get('api_version')!r}"
    elif not isinstance(item.get("description", ""), (str, type(None))):
        problem = "a description that is not text"
    elif not isinstance(item.get("created"), (str, type(None))):
        problem = "a creation time that is not text"
    if problem:
        log.warning("Tilewise: skipped entry %d of the project's job list: %s.", index, problem)
        return None
    return RememberedJob(
        id=item["id"],
        deployment=item["deployment"],
        api_version=item["api_version"],
        description=item.get("description") or "",
        created=item.get("created"),
    )


__all__ = ["RememberedJob", "forget", "parse_timestamp", "remember", "remembered"]
