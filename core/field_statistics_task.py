"""Field statistics in the background: `FieldStatisticsTask`, a QgsTask around core/field_statistics_run.py
(synchronous Statistical API requests up to SYNCHRONOUS_LIMIT polygons, a Batch Statistical job above)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Optional, Sequence

from qgis.core import QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from .field_statistics import FieldPolygon, FieldStatisticsError, FieldStatisticsOptions, StatisticsRow
from .field_statistics_run import FieldStatisticsRequest, StatisticsStorage, run_field_statistics
from .http import Cancel, Cancelled, ServiceError
from .s3 import StorageError
from .statistical_client import BatchStatisticalJob, StatisticalClient
from .tasks import report_done

log = logging.getLogger(__name__)


class FieldStatisticsTask(QgsTask):
    """Field statistics off the main thread. The client is made on the main thread (QGIS may ask for its
    master password); `on_done(task)` runs on the main thread with `results_path`, `rows`, `failed_features`,
    `job_id` (a batch job's) or `error` (a message for the user) set. Cancel stops a batch job.

    Signals: `jobChanged(BatchStatisticalJob)` when a batch job is created or changes status."""

    jobChanged = pyqtSignal(object)

    def __init__(
        self,
        client: StatisticalClient,
        polygons: Sequence[FieldPolygon],
        crs_authid: str,
        options: FieldStatisticsOptions,
        results_path: Path,
        storage: Optional[StatisticsStorage],
        on_done: Callable[[FieldStatisticsTask], None] = lambda task: None,
        poll_s: float = 5.0,
    ):
        super().__init__(f"Tilewise: statistics of {len(polygons)} fields", QgsTask.Flag.CanCancel)
        self.client = client
        self.request = FieldStatisticsRequest(
            tuple(polygons), crs_authid, options, Path(results_path), storage
        )
        self.results_path = self.request.results_path
        self.poll_s = poll_s
        self.cancel_token = Cancel()
        self.rows: list[StatisticsRow] = []
        self.failed_features: list[tuple[int, str]] = []
        self.job_id: Optional[str] = None
        self.error: Optional[str] = None
        self._on_done = on_done

    def cancel(self) -> None:
        self.cancel_token.set()
        super().cancel()

    def run(self) -> bool:
        try:
            outcome = run_field_statistics(
                self.client, self.request, self.cancel_token, self.setProgress, self._job_changed, self.poll_s
            )
        except Cancelled as exc:
            self.error = str(exc)
        except (FieldStatisticsError, ServiceError, StorageError) as exc:
            self.error = str(exc)
        except Exception as exc:  # report, never crash QGIS from a worker thread
            log.exception("Field statistics failed")
            self.error = f"The field statistics failed unexpectedly: {exc.__class__.__name__}: {exc}"
        else:
            self.rows, self.failed_features = outcome.rows, outcome.failed_features
            return True
        return False

    def _job_changed(self, job: BatchStatisticalJob) -> None:
        self.job_id = job.id
        self.jobChanged.emit(job)

    def finished(self, result: bool) -> None:
        report_done(self, self._on_done)
