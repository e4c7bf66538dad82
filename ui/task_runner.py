"""The dock's QgsTasks, one per purpose ("engine", "tiles", "raster_preview", "prepare", "create", "analyse",
"start"): a new task cancels the older one of its purpose, a Python reference keeps each alive until it ends,
and `busyChanged(purposes)` tells the buttons what runs."""

from __future__ import annotations

from typing import Callable

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt.QtCore import QObject, pyqtSignal

from ..core.http import Cancel
from ..core.tasks import ClientCallTask


class TaskRunner(QObject):
    busyChanged = pyqtSignal(list)  # the purposes of the tasks that run

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.tasks: dict[str, QgsTask] = {}
        self.closed = False

    def run(
        self,
        purpose: str,
        description: str,
        function: Callable[[Cancel], object],
        on_done: Callable[[ClientCallTask], None],
    ) -> ClientCallTask:
        """`function(cancel)` off the main thread; `on_done(task)` on it, unless the task was cancelled."""

        def done(task: ClientCallTask) -> None:
            if self.release(purpose, task) and not task.isCanceled() and task.error != "Cancelled.":
                on_done(task)

        return self.start(purpose, ClientCallTask(description, function, done))

    def start(self, purpose: str, task: QgsTask) -> QgsTask:
        """Start a task built elsewhere; its own end must call `release`."""
        old = self.tasks.get(purpose)
        if old is not None:
            old.cancel()
        self.tasks[purpose] = task
        self.busyChanged.emit(list(self.tasks))
        QgsApplication.taskManager().addTask(task)
        return task

    def release(self, purpose: str, task: QgsTask) -> bool:
        """A task ended: forget it. False once the runner is closed (its dock is gone: nobody to tell)."""
        if self.closed:
            return False
        if self.tasks.get(purpose) is task:
            del self.tasks[purpose]
        self.busyChanged.emit(list(self.tasks))
        return True

    def cancel(self, keep: tuple[str, ...] = ()) -> None:
        for purpose, task in list(self.tasks.items()):
            if purpose not in keep:
                task.cancel()
                self.tasks.pop(purpose, None)
        self.busyChanged.emit(list(self.tasks))

    def close(self) -> None:
        self.closed = True
        for task in list(self.tasks.values()):
            task.cancel()
        self.tasks.clear()


__all__ = ["TaskRunner"]
