"""Screenshots for docs/user-guide.md, taken from the real QGIS that `make run` opens.

    make user-guide-shots
    # or, with an X server of your own (Xvfb :99 -screen 0 1280x800x24, the window users run):
    DISPLAY=:99 make run QGIS_EXTRA_ARGS="--code scripts/user_guide_shots.py"

A QGIS `--code` script: it drives the Tilewise dock step by step (QTimer chains and the dock's signals; it
never blocks the event loop), captures the whole X screen after each step with ImageMagick's
`import -window root` into docs/images/NN-name.png, then quits QGIS (which stops the engine `make run`
started). Progress and errors go to docs/images/shots.log; a failed step ends QGIS with exit code 1 and the
log's last line says FAILED. The job form's saved settings are put back as they were before the run.

TILEWISE_SHOTS_DIR overrides the output folder (default: docs/images of the checkout). TILEWISE_SHOTS_ONLY=01,02
takes only those steps' pictures (02 also takes 13, the settings dialog's catalog list), to redo a few.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Callable, Optional

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsFeature,
    QgsGeometry,
    QgsLayerTreeGroup,
    QgsProject,
    QgsRectangle,
    QgsSettings,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsDockWidget
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QDate, QPoint, Qt, QTimer
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import QDockWidget, QScrollArea, QSplitter
from qgis.utils import iface, plugins

SCREEN = (1280, 800)  # the QGIS window of a user on a small laptop, maximised
DOCK_WIDTH = 440  # the Jobs tab fits 440 px without scrolling sideways
LAYERS_WIDTH = 270  # the legend's longest status, "In progress (not delivered yet)"
DARK_THEME = "Night Mapping"
STEP_TIMEOUT_S = 240
TOTAL_TIMEOUT_S = 900
POLL_MS = 200
JOB_WAIT_S = 120  # after the last shot: let the job finish (else stop it) so no job is left running
SETTINGS_GROUP = "tilewise/job_form"
DOCK_VISIBLE_KEY = "tilewise/dock_visible"
JOB_PRESET = "NDVI interpolation (tutorial)"
JOB_DESCRIPTION = "Tutorial NDVI, July 2023 (user guide)"
JOB_BUDGET_PU = 1000
FIELDS_PRESET = "NDVI without clouds (SCL)"  # the demo's 11 and 21 July are cloudy: masked, not a dip
FIELDS_WINDOW = (296_000.0, 3_991_000.0, 300_500.0, 3_994_500.0)  # UTM 11N: crop fields of the sub-area


def _repo() -> Path:
    """The checkout: the plugin folder of the profile is a link to it."""
    return Path(sys.modules["tilewise"].__file__).resolve().parent


class StepFailed(RuntimeError):
    pass


class UserGuideShots:
    def __init__(self) -> None:
        self.out = Path(os.environ.get("TILEWISE_SHOTS_DIR") or _repo() / "docs" / "images")
        self.out.mkdir(parents=True, exist_ok=True)
        self.log_path = self.out / "shots.log"
        self.log_path.write_text("")
        self.started = time.monotonic()
        self.timers: list[QTimer] = []  # keeps pending single-shot timers alive
        self.step_timer: Optional[QTimer] = None
        self.finished = False
        self.exit_code = 0
        self.exit_deadline = 0.0
        self.dock = None
        self.layer: Optional[QgsVectorLayer] = None
        self.fields: Optional[QgsVectorLayer] = None  # the crop fields of the field statistics shots
        self.sub_area_id: Optional[int] = None
        self.job = None
        self.saved_settings: Optional[dict[str, object]] = None  # None: not read yet, nothing to put back
        self.dock_visible: object = None
        self.opened_dock = False
        self.hidden_browser: Optional[QDockWidget] = None
        self.output_folder = ""
        self.good_script = ""
        self.tasks: list = []  # the wind-down's QgsTasks, referenced until QGIS quits
        self.finished_job = None  # the job as dock.jobs.monitor.jobFinished reported it
        self.dark = False  # the dark theme applied: put "default" back, whatever happens
        self.steps: list[tuple[str, Callable[[Callable[[], None]], None]]] = [
            ("01", self.step_connected),
            ("02", self.step_settings),
            ("03", self.step_true_colour),
            ("04", self.step_ndvi),
            ("05", self.step_tiles),
            ("06", self.step_broken_script),
            ("07", self.step_confirm),
            ("08", self.step_jobs_tab),
            ("09", self.step_recolouring),
            ("10", self.step_end_notice),
            ("11", self.step_ndvi_outputs),
            ("12", self.step_dark_theme),
            ("14", self.step_field_statistics_form),
            ("15", self.step_field_statistics_results),
        ]
        only = [n.strip() for n in (os.environ.get("TILEWISE_SHOTS_ONLY") or "").split(",") if n.strip()]
        if only:
            self.steps = [(number, step) for number, step in self.steps if number in only]
        self.step_index = -1

    # --- plumbing --------------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        line = f"{time.monotonic() - self.started:7.1f}s {message}"
        with open(self.log_path, "a") as handle:
            handle.write(line + "\n")

    def guard(self, function: Callable, *args) -> Callable:
        """A callback that turns any exception into a failed run (and so always ends QGIS)."""

        def call(*signal_args) -> None:
            if self.finished:
                return
            try:
                function(*args, *signal_args)
            except Exception:  # noqa: BLE001 (everything must end in fail())
                self.fail(traceback.format_exc())

        return call

    def after(self, ms: int, function: Callable, *args) -> None:
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(self.guard(function, *args))
        timer.timeout.connect(lambda: self.timers.remove(timer) if timer in self.timers else None)
        self.timers.append(timer)
        timer.start(ms)

    def wait_for(
        self, predicate: Callable[[], bool], then: Callable, what: str, timeout_s: float = 90
    ) -> None:
        deadline = time.monotonic() + timeout_s

        def poll() -> None:
            if predicate():
                then()
            elif time.monotonic() > deadline:
                raise StepFailed(f"Timed out after {timeout_s:.0f} s waiting for {what}.")
            else:
                self.after(POLL_MS, poll)

        self.after(0, poll)

    def wait_signal(self, signal, then: Callable, what: str, accept=None, timeout_s: float = 120) -> None:
        """Call then(*args) at the first emission that `accept(*args)` likes; fail after timeout_s."""
        state = {"done": False}

        def handler(*args) -> None:
            if state["done"] or (accept is not None and not accept(*args)):
                return
            state["done"] = True
            signal.disconnect(guarded)
            then(*args)

        def expire() -> None:
            if not state["done"]:
                state["done"] = True
                signal.disconnect(guarded)
                raise StepFailed(f"Timed out after {timeout_s:.0f} s waiting for {what}.")

        guarded = self.guard(handler)
        signal.connect(guarded)
        self.after(int(timeout_s * 1000), expire)

    def settle(self, then: Callable, ms: int = 700) -> None:
        """Let Qt lay out and the map canvas finish drawing (three quiet polls in a row), then go on."""
        canvas = iface.mapCanvas()
        quiet = {"n": 0}

        def poll() -> None:
            QgsApplication.processEvents()
            quiet["n"] = 0 if canvas.isDrawing() else quiet["n"] + 1
            if quiet["n"] >= 3:
                then()
            else:
                self.after(POLL_MS, poll)

        self.after(ms, poll)

    def capture(self, name: str, then: Callable, arrange: Optional[Callable[[], None]] = None) -> None:
        """Settle, run `arrange` (scrolling needs the final layout), settle again, then take the screenshot."""

        def arranged() -> None:
            self.tidy_layer_tree()
            if arrange is not None:
                arrange()
                self.settle(take, 300)
            else:
                take()

        def take() -> None:
            path = self.out / f"{name}.png"
            partial = self.out / f".{name}.partial.png"
            QgsApplication.processEvents()
            result = subprocess.run(
                ["import", "-window", "root", str(partial)], capture_output=True, text=True, timeout=60
            )
            if result.returncode != 0 or not partial.exists():
                raise StepFailed(f"import failed for {path}: {result.stderr.strip()}")
            partial.replace(path)
            self.log(f"wrote {path}")
            then()

        self.settle(arranged)

    # --- running the steps -----------------------------------------------------------------------------

    def start(self) -> None:
        self.log(f"QGIS {Qgis.version()}, DISPLAY={os.environ.get('DISPLAY', '')}, writing to {self.out}")
        self.dock_visible = QgsSettings().value(DOCK_VISIBLE_KEY)
        self.after(TOTAL_TIMEOUT_S * 1000, self._total_timeout)
        self.wait_for(self._dock_ready, self.prepare, "the Tilewise dock", timeout_s=60)

    def _total_timeout(self) -> None:
        raise StepFailed(f"The whole run took more than {TOTAL_TIMEOUT_S} s.")

    def _dock_ready(self) -> bool:
        plugin = plugins.get("tilewise")
        if plugin is not None and plugin.dock is None and plugin.action is not None and not self.opened_dock:
            # The dock opens at start-up only when it was open when QGIS last quit: press the toolbar button.
            self.opened_dock = True
            self.log("the dock was closed: opening it with the Tilewise toolbar button")
            plugin.action.trigger()
        dock = iface.mainWindow().findChild(QgsDockWidget, "TilewiseDock")
        if plugin is None or dock is None or plugin.dock is not dock:
            return False
        self.dock = dock
        return True

    def next_step(self) -> None:
        if self.step_timer is not None:
            self.step_timer.stop()
        self.step_index += 1
        if self.step_index >= len(self.steps):
            self.wind_down()
            return
        number, step = self.steps[self.step_index]
        self.log(f"step {step.__doc__.strip().splitlines()[0]}")
        self.step_timer = QTimer()
        self.step_timer.setSingleShot(True)
        self.step_timer.timeout.connect(self.guard(self._step_timeout, number))
        self.step_timer.start(STEP_TIMEOUT_S * 1000)
        self.guard(step, self.guard(self.next_step))()

    def _step_timeout(self, number: str) -> None:
        raise StepFailed(f"Step {number} did not finish within {STEP_TIMEOUT_S} s.")

    def fail(self, message: str) -> None:
        if self.finished:
            return
        self.log("ERROR " + message.rstrip())
        self.log("FAILED: exit code 1")
        self.quit(1)

    def quit(self, code: int) -> None:
        self.finished = True
        for timer in self.timers:
            timer.stop()
        if self.step_timer is not None:
            self.step_timer.stop()
        dock = self.dock
        if dock is not None:
            for dialog in (dock.connection.settings_dialog, dock.start_dialog):
                if dialog is not None and dialog.isVisible():
                    dialog.reject()
            dock.start_dialog = None
            dock.save_settings = lambda: None  # the dock saves its form when it unloads: keep the user's
            plugin = plugins.get("tilewise")
            with contextlib.suppress(TypeError, RuntimeError, AttributeError):  # quitting hides the dock:
                dock.visibilityChanged.disconnect(plugin._dock_visibility_changed)  # keep dock_visible too
        self.restore_settings()
        if self.dark:
            QgsApplication.setUITheme("default")
        if self.hidden_browser is not None:
            self.hidden_browser.show()
        self.exit_code = code
        self.exit_deadline = time.monotonic() + 15
        QgsApplication.taskManager().cancelAll()  # QGIS asks before quitting while tasks run
        QTimer.singleShot(300, self._exit_when_idle)

    def _exit_when_idle(self) -> None:
        """Quit QGIS once no task runs (the callback of a task counts as running)."""
        if QgsApplication.taskManager().countActiveTasks() and time.monotonic() < self.exit_deadline:
            QTimer.singleShot(300, self._exit_when_idle)
            return
        code = self.exit_code
        # Should QGIS still be up in 15 s (a question no one answers under Xvfb), leave anyway.
        QTimer.singleShot(15000, lambda: QgsApplication.exit(code))
        QgsProject.instance().setDirty(False)  # no "save the project?" question
        # QGIS 3.34+ asks before closing a project with layers in the temp folder (the previews); unanswered
        # under Xvfb, the 15 s exit above would leave with the project open, and QGIS 3.40 then crashes in its
        # destructor. Closing the project first asks nothing.
        QgsProject.instance().clear()
        iface.actionExit().trigger()
        if code:
            QgsApplication.exit(code)  # after actionExit's exit(0): the last code set wins

    # --- the job form's saved settings ----------------------------------------------------------------

    def snapshot_settings(self) -> None:
        settings = QgsSettings()
        settings.beginGroup(SETTINGS_GROUP)
        self.saved_settings = {key: settings.value(key) for key in settings.allKeys()}
        settings.endGroup()

    def restore_settings(self) -> None:
        settings = QgsSettings()
        if self.saved_settings is not None:
            settings.remove(SETTINGS_GROUP)
            for key, value in self.saved_settings.items():
                settings.setValue(f"{SETTINGS_GROUP}/{key}", value)
        if self.dock_visible is None:
            settings.remove(DOCK_VISIBLE_KEY)
        else:
            settings.setValue(DOCK_VISIBLE_KEY, self.dock_visible)
        settings.sync()

    # --- helpers on the dock and the map ------------------------------------------------------------

    def scroll_to_top_of(self, widget, margin: int = 6) -> None:
        """Scroll the job form so that `widget` starts at the top of the dock's view."""
        scroll = self.dock.form  # the job form scrolls in the dock
        if isinstance(scroll, QScrollArea):
            y = widget.mapTo(scroll.widget(), QPoint(0, 0)).y()
            scroll.verticalScrollBar().setValue(max(0, y - margin))

    def scroll_top(self) -> None:
        scroll = self.dock.form  # the job form scrolls in the dock
        if isinstance(scroll, QScrollArea):
            scroll.verticalScrollBar().setValue(0)

    def scroll_bottom(self) -> None:
        scroll = self.dock.form  # the job form scrolls in the dock
        if isinstance(scroll, QScrollArea):
            bar = scroll.verticalScrollBar()
            bar.setValue(bar.maximum())

    def zoom_to(self, layer, extent=None, scale: float = 1.15) -> None:
        canvas = iface.mapCanvas()
        rectangle = canvas.mapSettings().layerExtentToOutputExtent(layer, extent or layer.extent())
        rectangle.scale(scale)
        canvas.setExtent(rectangle)
        canvas.refresh()

    def engine_status_shown(self) -> bool:
        return (
            "engine" not in self.dock.runner.tasks
            and ": engine " in self.dock.connection.connection_label.text()
        )

    def choose_preset(self, name: str, then: Callable) -> None:
        editor = self.dock.form.script_editor
        editor.preset_combo.setCurrentIndex(editor.preset_combo.findData(name))
        editor.preset_combo.activated.emit(editor.preset_combo.currentIndex())  # as a click in the list does
        self.wait_for(
            lambda: (
                editor.task is None and editor.info is not None and editor._inspected_text == editor.script()
            ),
            then,
            f"setup() of “{name}” to be read",
        )

    def area_on_top(self) -> None:
        """The area layer above the preview rasters, so that its outline and selection show on them."""
        root = QgsProject.instance().layerTreeRoot()
        node = root.findLayer(self.layer.id())
        selected = self.layer.selectedFeatureIds()
        if node is not None and root.children().index(node) != 0:
            root.insertChildNode(0, node.clone())
            root.removeChildNode(node)
        iface.setActiveLayer(self.layer)
        self.layer.selectByIds(selected)
        # QGIS fills a selection with opaque yellow: a translucent one keeps the preview visible under it.
        QgsProject.instance().setSelectionColor(QColor(255, 255, 0, 60))
        iface.mapCanvas().refresh()

    def tidy_layer_tree(self) -> None:
        """Tilewise's groups open, their layers' legends closed: the Layers panel names what is on the map."""
        root = QgsProject.instance().layerTreeRoot()
        for name in ("Tilewise grid preview", "Tilewise previews"):
            group = root.findGroup(name)
            if group is not None:  # (False first: the view may show a node collapsed that says it is not)
                group.setExpanded(False)
                group.setExpanded(True)
                for child in group.children():
                    child.setExpanded(True)
                    child.setExpanded(False)

    def over_map(self, dialog) -> None:
        """A dialog over the map, its right edge on the map's, so that the dock stays in view beside it (without
        a window manager under Xvfb it opens in the middle of the screen, over the dock)."""
        canvas = iface.mapCanvas()
        right = canvas.mapToGlobal(QPoint(canvas.width(), 0))
        dialog.move(max(0, right.x() - dialog.frameGeometry().width() - 8), right.y() + 40)

    def clear_messages(self, keep_notice: bool = False) -> None:
        """Empty the message bar; `keep_notice` spares the end-of-job notice (the job may end at any time)."""
        bar = iface.messageBar()
        notice = self.dock.jobs.last_notice if keep_notice else None
        for item in bar.items():
            if notice is None or sip.isdeleted(notice) or item is not notice:
                bar.popWidget(item)

    # --- the steps ------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Window, panels and form in a known state, whatever the profile held before."""
        dock = self.dock
        self.snapshot_settings()
        window = iface.mainWindow()
        window.setGeometry(0, 0, *SCREEN)
        window.showMaximized()
        browser = window.findChild(QDockWidget, "Browser")
        if browser is not None and browser.isVisible():
            browser.hide()  # more room for the Layers panel; shown again before QGIS saves its window state
            self.hidden_browser = browser
        layers = window.findChild(QDockWidget, "Layers")
        dock.show()
        dock.raise_()
        docks = [d for d in (layers, dock) if d is not None]
        window.resizeDocks(docks, [LAYERS_WIDTH, DOCK_WIDTH][-len(docks) :], Qt.Orientation.Horizontal)
        dock.tabs.setCurrentIndex(0)

        self.layer = next(
            (
                layer
                for layer in QgsProject.instance().mapLayers().values()
                if isinstance(layer, QgsVectorLayer)
                and layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry
            ),
            None,
        )
        if self.layer is None:
            raise StepFailed("The sample project has no polygon layer.")
        self.layer.removeSelection()
        iface.setActiveLayer(self.layer)
        dock.area.choose_layer(self.layer)  # the tutorial's area, chosen in the form
        features = sorted(self.layer.getFeatures(), key=lambda f: f.geometry().area())
        if len(features) < 2:
            raise StepFailed(f"The sample layer has {len(features)} polygon(s); the tutorial's area has 2.")
        self.sub_area_id = features[0].id()

        # The tutorial's job, set field by field (a profile may hold anything from an earlier session).
        dock.form.collection_combo.setCurrentText("sentinel-2-l2a")
        dock.form.date_from.setDate(QDate(2023, 7, 1))
        dock.form.date_to.setDate(QDate(2023, 7, 30))
        dock.form.cloud_spin.setValue(-1)
        dock.form.mosaicking_combo.setCurrentText("mostRecent")
        dock.form.format_combo.setCurrentIndex(0)
        dock.form.grid_combo.setCurrentIndex(dock.form.grid_combo.findData(1))
        dock.form.resolution_combo.setCurrentIndex(dock.form.resolution_combo.findData(10.0))
        dock.form.buffer_x.setValue(0)
        dock.form.buffer_y.setValue(0)
        dock.form.location_combo.setCurrentIndex(dock.form.location_combo.findData("folder"))
        dock.form.description_edit.clear()
        dock.form.budget_spin.setValue(0)
        dock.form.overwrite_check.setChecked(False)
        dock.form.skip_existing_check.setChecked(False)
        self.zoom_to(self.layer)
        self.choose_preset("True colour", self.guard(self.next_step))

    def step_connected(self, done: Callable) -> None:
        """01: the dock connected to the local engine, on the sample project."""

        def ready() -> None:
            root = (self.dock.connection.engine_status or {}).get("outputRoot")
            if not root:
                raise StepFailed(
                    f"The engine's status has no outputRoot: {self.dock.connection.engine_status!r}"
                )
            self.output_folder = str(Path(root) / "jobs")
            self.dock.form.folder_widget.setFilePath(
                self.output_folder
            )  # the dock's own default, set explicitly
            self.log(f"connection line: {self.dock.connection.connection_label.text()}")
            self.clear_messages()
            self.capture("01-dock-connected", done, self.scroll_top)

        self.wait_for(self.engine_status_shown, ready, "the engine's status on the connection line")

    def step_settings(self, done: Callable) -> None:
        """02: the settings dialog, local engine selected, "Test connection" succeeded."""
        self.dock.connection.settings_button.click()
        dialog = self.dock.connection.settings_dialog
        if dialog is None:
            raise StepFailed("The ⚙ button opened no settings dialog (dock.connection.settings_dialog).")

        def shown() -> None:
            dialog.raise_()
            dialog.activateWindow()
            dialog.test_button.click()
            self.wait_for(lambda: dialog.status_kind in ("success", "error"), tested, "the connection test")

        def tested() -> None:
            self.log(f"settings: {dialog.status_kind}: {dialog.status_label.text()}")
            if dialog.status_kind != "success":
                raise StepFailed(f"Test connection failed: {dialog.status_label.text()}")
            self.wait_for(
                lambda: dialog.catalog_row.catalog is not None, catalogs_read, "the engine's catalogs"
            )

        def catalogs_read() -> None:
            self.log(f"catalog row: {dialog.catalog_row.note.text()}")
            self.capture("02-settings-test-connection", show_catalogs)

        def show_catalogs() -> None:
            """13: the Catalog row's list open (the catalogs that need internet say so)."""
            dialog.catalog_row.combo.showPopup()
            self.capture("13-settings-catalog", hide_catalogs)

        def hide_catalogs() -> None:
            dialog.catalog_row.combo.hidePopup()
            close()

        def close() -> None:
            dialog.button_box.button(dialog.button_box.Cancel).click()
            self.wait_for(
                lambda: not dialog.isVisible() and self.engine_status_shown(), done, "the settings to close"
            )

        self.wait_for(dialog.isVisible, shown, "the settings dialog")

    def step_true_colour(self, done: Callable) -> None:
        """03: the test sub-area selected, "True colour", "Preview: Map extent"."""
        self.layer.selectByIds([self.sub_area_id])
        self.dock.area.choose_layer(self.layer)  # the picker's layer, "Selected features only" (1 of 2)
        self.dock.area.selected_only.setChecked(True)
        selected = next(self.layer.getSelectedFeatures())
        self.zoom_to(self.layer, selected.geometry().boundingBox(), 1.35)

        def preview() -> None:
            self.wait_signal(self.dock.rasterPreviewFinished, previewed, "the true-colour preview")
            self.dock.form.footer.preview_extent_button.click()

        def previewed(layer) -> None:
            if layer is None:
                raise StepFailed(
                    f"The true-colour preview failed: {self.dock.form.footer.result_label.text()}"
                )
            self.area_on_top()
            self.log(f"preview layer: {layer.name()}; {self.dock.form.area_label.text()}")
            self.clear_messages()
            self.capture("03-true-colour-preview", done, self.scroll_top)

        self.choose_preset("True colour", lambda: self.settle(preview, 300))

    def step_ndvi(self, done: Callable) -> None:
        """04: the "NDVI" preset, its output read from setup(), and its preview."""

        def preview() -> None:
            self.log(f"outputs: {self.dock.form.outputs_label.text()}")
            self.wait_signal(self.dock.rasterPreviewFinished, previewed, "the NDVI preview", timeout_s=180)
            self.dock.form.footer.preview_extent_button.click()

        def previewed(layer) -> None:
            if layer is None:
                raise StepFailed(f"The NDVI preview failed: {self.dock.form.footer.result_label.text()}")
            self.log(
                f"preview layer: {layer.name()}, {layer.bandCount()} band(s); {self.dock.form.area_label.text()}"
            )
            self.clear_messages()
            self.capture("04-ndvi-preview", done, self.scroll_top)

        self.choose_preset("NDVI", lambda: self.settle(preview, 300))

    def step_tiles(self, done: Callable) -> None:
        """05: the tutorial's script, no selection (the whole area), "Preview: Tiles": tiles and PU estimate."""
        self.layer.removeSelection()

        def preview() -> None:
            self.wait_signal(self.dock.previewFinished, listed, "the tile preview")
            self.dock.form.footer.preview_button.click()

        def listed(layer) -> None:
            if layer is None:
                raise StepFailed(f"The tile preview failed: {self.dock.form.footer.result_label.text()}")
            self.log(f"tiles: {layer.name()}; {self.dock.form.footer.result_label.text()}")
            self.zoom_to(layer, scale=1.1)
            self.clear_messages()
            self.capture(
                "05-tile-preview",
                done,
                lambda: self.scroll_to_top_of(self.dock.form.grid_combo.parentWidget()),
            )

        self.choose_preset(JOB_PRESET, preview)

    def step_broken_script(self, done: Callable) -> None:
        """06: a bracket deleted from setup(), "Create and analyse": the problem on its line, in red."""
        editor = self.dock.form.script_editor
        self.good_script = editor.script()

        def refused() -> None:
            self.capture(
                "06-broken-evalscript", restore, lambda: self.scroll_to_top_of(editor.parentWidget())
            )

        def restore() -> None:
            self.clear_messages()
            self.dock.clear_problems()
            self.choose_preset(JOB_PRESET, done)

        self.break_script(refused)

    def step_confirm(self, done: Callable) -> None:
        """07: "Create and analyse" → the start confirmation with tiles, PU and the service's estimate."""
        dock = self.dock
        if editor_problem := dock.form.script_editor.problem:
            raise StepFailed(f"The restored script still has a problem: {editor_problem}")
        dock.form.folder_widget.setFilePath(self.output_folder)
        dock.form.description_edit.setText(JOB_DESCRIPTION)
        dock.form.budget_spin.setValue(JOB_BUDGET_PU)
        self.scroll_bottom()

        def staged(stage: str, job) -> None:
            if stage != "analysed":
                raise StepFailed(
                    f"The job did not reach analysis: {stage}: {dock.form.footer.result_label.text()}"
                )
            self.job = job
            self.log(
                f"analysed: {job.id} {job.status}, {job.tile_count} tiles, estimate {job.value_estimate}"
            )
            self.wait_for(lambda: dock.start_dialog is not None and dock.start_dialog.isVisible(), shown,
                          "the start dialog")  # fmt: skip

        def shown() -> None:
            table = "; ".join(f"{key}: {value.text()}" for key, value in dock.start_dialog.values.items())
            self.log(f"start dialog: {table}")
            self.clear_messages()
            dock.form.advanced_box.setCollapsed(False)  # the budget and, opened, the rare options
            self.capture("07-start-confirmation", collapse, arrange)

        def arrange() -> None:
            self.over_map(dock.start_dialog)
            self.scroll_bottom()

        def collapse() -> None:
            dock.form.advanced_box.setCollapsed(True)
            done()

        self.wait_signal(
            dock.jobStageChanged,
            staged,
            "the job to be created and analysed",
            accept=lambda stage, _job: stage not in ("created",),
            timeout_s=200,
        )
        dock.form.footer.create_button.click()

    def step_jobs_tab(self, done: Callable) -> None:
        """08: "Start job" → the Jobs tab with the job selected and its request."""
        dock = self.dock
        dialog = dock.start_dialog

        def started(stage: str, job) -> None:
            if stage != "started":
                raise StepFailed(f"The job did not start: {stage}: {dock.form.footer.result_label.text()}")
            self.job = job
            self.log(f"started: {job.id} {job.status}")
            if dock.tabs.currentWidget() is not dock.jobs_panel:
                raise StepFailed("Start did not bring the Jobs tab forward.")
            dock.jobs_panel.refresh_button.click()
            self.wait_for(lambda: not dock.jobs_panel.is_loading(), listed, "the job list")

        def listed() -> None:
            panel = dock.jobs_panel
            row = panel.model.row_of(self.job.id)
            if row is None:
                raise StepFailed(f"Job {self.job.id} is not in the Jobs tab: {panel.status_label.text()}")
            panel.table.selectRow(row)
            panel.table.scrollTo(panel.model.index(row, 0))
            self.log(f"jobs tab: {panel.status_label.text()}; row {row}")
            self.capture("08-jobs-tab", done)

        self.wait_signal(dock.jobStageChanged, started, "the job to start", timeout_s=120)
        dialog.start_button.click()  # "Start job"

    def step_recolouring(self, done: Callable) -> None:
        """09: the started job's tiles recoloured on the map mid-run (some processed, some not), Jobs tab."""
        from tilewise.ui.job_monitor import progress_counts

        dock = self.dock
        monitor = dock.jobs.monitor
        job_id = self.job.id
        if job_id not in monitor.watched():
            raise StepFailed(f"The dock does not watch the started job {job_id}: {monitor.watched()}")

        def finished(job) -> None:
            if job.id == job_id:
                self.finished_job = job

        monitor.jobFinished.connect(self.guard(finished))  # step 10 needs it: it may come at any time now

        def counts() -> dict:
            layer = monitor.layer(job_id)
            return layer.counts() if layer is not None and not layer.removed else {}

        seen: dict[str, object] = {}

        def mixed() -> bool:
            now = counts()
            if now != seen.get("counts"):
                seen["counts"] = now
                self.log(f"tiles: {now or 'no tile layer yet'}; {dock.form.footer.result_label.text()}")
            processed, failed, total = progress_counts(now)
            return processed > 0 and processed + failed < total

        def ready() -> None:
            layer = monitor.layer(job_id).layer
            self.log(f"tiles mid-run: {counts()}; {dock.form.footer.result_label.text()}")
            self.zoom_to(layer, scale=1.1)
            self.clear_messages(keep_notice=True)
            self.set_group_visible("Tilewise grid preview", False)  # the job's own tiles cover the same cells
            dock.jobs_panel.refresh_button.click()  # the list's progress and PU as they are now
            self.wait_for(lambda: not dock.jobs_panel.is_loading(), listed, "the job list")

        def listed() -> None:
            panel = dock.jobs_panel
            row = panel.model.row_of(job_id)
            if row is None:
                raise StepFailed(f"Job {job_id} is not in the Jobs tab: {panel.status_label.text()}")
            panel.table.selectRow(row)
            panel.table.scrollTo(panel.model.index(row, 0))
            tile_node = QgsProject.instance().layerTreeRoot().findLayer(monitor.layer(job_id).layer.id())
            self.capture("09-recolouring-tiles", shot, lambda: self.expand_to(tile_node, legend=True))

        def shot() -> None:
            self.log(
                f"tiles when shot: {counts()}; job actions bar for {getattr(dock.jobs.bar.job, 'id', None)}"
            )
            done()

        self.wait_for(mixed, ready, "processed and unfinished tiles on the job's layer", timeout_s=180)

    def step_end_notice(self, done: Callable) -> None:
        """10: the job ended: the notice in QGIS's message bar with "Open outputs" and "Show job"."""
        from tilewise.ui.job_end_notice import notice_buttons, notice_label

        dock = self.dock
        job_id = self.job.id

        def noticed() -> bool:
            item = dock.jobs.last_notice
            return self.finished_job is not None and item is not None and not sip.isdeleted(item)

        def ended() -> None:
            item = dock.jobs.last_notice
            buttons = sorted(notice_buttons(item))
            self.log(f"end notice: {notice_label(item).toolTip()} buttons {buttons}")
            if "Open outputs" not in buttons or "Show job" not in buttons:
                raise StepFailed(f"The end notice of {job_id} lacks a button: {buttons}")
            if dock.tabs.currentWidget() is not dock.jobs_panel:
                raise StepFailed("The Jobs tab is not in front when the job ended.")
            self.clear_messages(keep_notice=True)  # the notice alone, not "1 more" under it
            self.capture("10-job-end-notice", done)

        self.wait_for(noticed, ended, "the job to finish and its notice", timeout_s=200)

    def step_ndvi_outputs(self, done: Callable) -> None:
        """11: the job finished, its outputs and mosaic opened through the dock: the NDVI layers on the map."""
        dock = self.dock
        actions = dock.jobs.actions
        job_id = self.job.id
        opened: dict[str, object] = {}

        def ended() -> None:
            job = self.finished_job
            self.log(f"job finished: {job.id} {job.status}; {dock.form.footer.result_label.text()}")
            if job.status not in ("DONE", "PROCESSED"):
                raise StepFailed(f"Job {job_id} ended {job.status}: {job.error}")
            self.wait_signal(actions.outputsOpened, lambda j, layers: tiles(job, layers),
                             "the outputs to open", accept=lambda j, _l: j.id == job_id)  # fmt: skip
            if not actions.open_outputs(job):
                raise StepFailed("dock.jobs.actions.open_outputs refused to open the outputs.")

        def tiles(job, layers) -> None:
            self.log(f"outputs opened: {len(layers)} layer(s); problems: {list(layers.problems)}")
            if not layers:
                raise StepFailed(f"No output layer opened: {list(layers.problems)}")
            opened["tiles"] = list(layers)
            self.wait_signal(actions.outputsOpened, lambda j, found: mosaics(found),
                             "the mosaic to open", accept=lambda j, _l: j.id == job_id)  # fmt: skip
            if not actions.open_outputs(job, mosaic=True):
                raise StepFailed("dock.jobs.actions.open_outputs(mosaic=True) refused to open the mosaic.")

        def mosaics(layers) -> None:
            self.log(
                f"mosaics opened: {[layer.name() for layer in layers]}; problems: {list(layers.problems)}"
            )
            if not layers:
                raise StepFailed(f"No mosaic layer opened: {list(layers.problems)}")
            all_layers = opened["tiles"] + list(layers)
            root = QgsProject.instance().layerTreeRoot()
            tile_layer = dock.jobs.monitor.layer(job_id)
            if tile_layer is not None and not tile_layer.removed:
                node = root.findLayer(tile_layer.layer.id())
                if node is not None:
                    node.setItemVisibilityChecked(False)
            for name in ("Tilewise grid preview", "Tilewise previews"):
                self.set_group_visible(name, False)
            for layer in layers:  # the data_mask output: under NDVI, shown only where NDVI has no data
                node = root.findLayer(layer.id())
                if node is not None and "ndvi" not in node.parent().name().lower():
                    node.parent().setItemVisibilityChecked(False)
            self.stretch_index(all_layers)
            extent = QgsRectangle()
            canvas = iface.mapCanvas()
            for layer in all_layers:
                extent.combineExtentWith(
                    canvas.mapSettings().layerExtentToOutputExtent(layer, layer.extent())
                )
            extent.scale(1.05)
            canvas.setExtent(extent)
            canvas.refresh()
            self.clear_messages()
            self.capture("11-ndvi-outputs", shot, lambda: self.expand_outputs(all_layers, tile_layer))

        def shot() -> None:
            # the sample layer current again, as after the other shots: QGIS 3.22 crashes on quit when the
            # current layer is one that clearing the project removes after its group (setMapStyleDockLayer)
            iface.setActiveLayer(self.layer)
            done()

        self.wait_for(lambda: self.finished_job is not None, ended, "the job to finish", timeout_s=200)

    def step_dark_theme(self, done: Callable) -> None:
        """12: QGIS's dark "Night Mapping" theme: the form with a problem in the error colour, the footer."""
        dock = self.dock
        editor = dock.form.script_editor
        dock.tabs.setCurrentIndex(0)
        QgsApplication.setUITheme(DARK_THEME)  # its style sheet and palette, at once
        self.dark = True

        def refused() -> None:
            self.capture("12-dark-theme", light, lambda: self.scroll_to_top_of(editor.parentWidget()))

        def light() -> None:
            QgsApplication.setUITheme("default")
            self.dark = False
            self.clear_messages()
            dock.clear_problems()
            self.choose_preset(JOB_PRESET, done)

        self.break_script(refused)

    def break_script(self, then: Callable) -> None:
        """Delete the bracket of `function setup() {` and press "Create and analyse"; then() once refused."""
        editor = self.dock.form.script_editor
        lines = editor.script().split("\n")
        row = next((i for i, line in enumerate(lines) if line.startswith("function setup()")), None)
        if row is None or "{" not in lines[row]:
            raise StepFailed("No `function setup() {` line in the script to break.")
        lines[row] = lines[row].replace(" {", "", 1)
        editor.editor.setText("\n".join(lines))
        self.log(f"deleted the bracket of line {row + 1}: {lines[row]!r}")

        def read() -> None:
            self.wait_signal(self.dock.jobStageChanged, refused, "the form's check")
            self.dock.form.footer.create_button.click()

        def refused(stage: str, _job) -> None:
            if stage != "invalid":
                raise StepFailed(f"A broken script was not refused: stage {stage!r}")
            self.log(f"problems: {self.dock.form.footer.problems_label.text()}")
            then()

        self.wait_for(
            lambda: (
                editor.task is None and editor._inspected_text == editor.script() and bool(editor.problem)
            ),
            read,
            "the script's problem",
        )

    def set_group_visible(self, name: str, visible: bool) -> None:
        group = QgsProject.instance().layerTreeRoot().findGroup(name)
        if group is not None:
            group.setItemVisibilityChecked(visible)

    def expand_to(self, node, legend: bool = False) -> None:
        """Expand the groups above a layer tree node (after tidy_layer_tree), and its legend when asked."""
        if node is None:
            return
        node.setExpanded(not legend)
        node.setExpanded(legend)
        root = QgsProject.instance().layerTreeRoot()
        parent = node.parent()
        while isinstance(parent, QgsLayerTreeGroup) and parent is not root:
            parent.setExpanded(False)
            parent.setExpanded(True)
            parent = parent.parent()

    def stretch_index(self, layers: list) -> None:
        """The NDVI outputs (band 1 of each) as a pseudocolour RdYlGn stretched over the mosaic's 2–98 %, one
        stretch for all; 0 (no data in the tutorial's UInt16 NDVI) transparent. The plugin's default for a
        multi-band UInt16 output is an RGB stretch of bands 1–3."""
        from qgis.core import QgsRasterRange

        from tilewise.core.outputs import LayerStyle
        from tilewise.ui.output_layers import renderer_for

        ndvi = [layer for layer in layers if layer.name().lower().startswith("ndvi") or "ndvi" in
                (layer.customProperty("tilewise/output_id") or "").lower()]  # fmt: skip
        if not ndvi:
            raise StepFailed(f"No NDVI output among {[layer.name() for layer in layers]}")
        mosaic = next((layer for layer in ndvi if "mosaic" in layer.name()), ndvi[0])
        for layer in ndvi:
            layer.dataProvider().setUserNoDataValue(1, [QgsRasterRange(0, 0)])
        low, high = mosaic.dataProvider().cumulativeCut(1, 0.02, 0.98, mosaic.extent(), 250_000)
        self.log(
            f"NDVI stretch (band 1 of {mosaic.name()}, 2–98 %): {low:g}..{high:g} on {len(ndvi)} layer(s)"
        )
        for layer in ndvi:
            data_type = (
                "Float32"
                if layer.dataProvider().dataType(1) in (Qgis.DataType.Float32, Qgis.DataType.Float64)
                else "UInt16"
            )
            layer.setRenderer(renderer_for(LayerStyle("pseudocolor", "RdYlGn", low, high), data_type,
                                           layer.dataProvider()))  # fmt: skip
            layer.triggerRepaint()

    def expand_outputs(self, layers: list, tile_layer=None) -> None:
        """The job's group > Outputs > NDVI expanded (layers' legends folded), the tile layer and data_mask
        folded, the mosaic current, the tree scrolled to the job's group."""
        root = QgsProject.instance().layerTreeRoot()
        for layer in layers:
            node = root.findLayer(layer.id())
            if node is not None:
                self.expand_to(node)
                if "ndvi" not in (node.parent().name() or "").lower():
                    node.parent().setExpanded(False)
        if tile_layer is not None and not tile_layer.removed:
            node = root.findLayer(tile_layer.layer.id())
            if node is not None:
                node.setExpanded(True)
                node.setExpanded(False)
        mosaic = next((layer for layer in layers if "NDVI mosaic" in layer.name()), layers[-1])
        iface.setActiveLayer(mosaic)
        view = iface.layerTreeView()
        view.scrollToTop()

    # --- field statistics (14, 15) -----------------------------------------------------------------------

    def crop_fields(self) -> QgsVectorLayer:
        """The demo catalog's own crop fields in FIELDS_WINDOW, drawn 15 m inside their edges (no road, no
        neighbour): the field layout is the catalog's first draw of its seed (engine/data/demo.py)."""
        import numpy as np

        from tilewise.engine.data.demo import DemoSpec, make_fields

        spec = DemoSpec()
        x0, _, x1, y1 = spec.bounds
        size = round((x1 - x0) / 10)
        crop = make_fields(size, size, np.random.default_rng(spec.seed)).crop
        columns = [0, *(np.flatnonzero((crop[:, 1:] != crop[:, :-1]).any(axis=0)) + 1), size]
        rows = [0, *(np.flatnonzero((crop[1:] != crop[:-1]).any(axis=1)) + 1), size]
        layer = QgsVectorLayer(f"Polygon?crs=EPSG:{spec.epsg}&field=name:string", "crop fields", "memory")
        layer.setCustomProperty("skipMemoryLayersCheck", 1)
        west, south, east, north = FIELDS_WINDOW
        features = []
        for top, bottom in zip(rows, rows[1:]):
            for left, right in zip(columns, columns[1:]):
                box = (x0 + left * 10 + 15, y1 - bottom * 10 + 15, x0 + right * 10 - 15, y1 - top * 10 - 15)
                if box[0] < west or box[2] > east or box[1] < south or box[3] > north:
                    continue
                feature = QgsFeature(layer.fields())
                feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(*box)))
                feature.setAttributes([f"parcel {len(features) + 1}"])
                features.append(feature)
        layer.dataProvider().addFeatures(features)
        layer.updateExtents()
        self.log(f"crop fields: {len(features)} demo parcels in {FIELDS_WINDOW}")
        return layer

    def step_field_statistics_form(self, done: Callable) -> None:
        """14: the Field statistics tab filled in: the demo's crop fields, cloud-masked NDVI, July 2023 every 5 days."""
        dock, panel = self.dock, self.dock.field_statistics
        self.fields = self.crop_fields()
        QgsProject.instance().addMapLayer(self.fields)
        for name in ("Tilewise grid preview", "Tilewise previews"):
            self.set_group_visible(name, False)
        dock.tabs.setCurrentWidget(panel)
        panel.set_layer(self.fields)
        panel.identifier_combo.setField("name")
        panel.date_from.setDate(QDate(2023, 7, 1))
        panel.date_to.setDate(QDate(2023, 7, 31))
        panel.interval_spin.setValue(5)
        panel.interval_unit.setCurrentIndex(panel.interval_unit.findData("D"))
        panel.resolution_spin.setValue(10.0)
        panel.percentiles_edit.setText("10, 90")
        editor = panel.script_editor
        editor.select_preset(FIELDS_PRESET)
        iface.setActiveLayer(self.fields)
        self.zoom_to(self.fields, scale=1.3)
        self.wait_for(
            lambda: editor.task is None and editor.info is not None,
            lambda: self.capture("14-field-statistics-form", done),
            f"setup() of the “{FIELDS_PRESET}” statistics preset to be read",
        )

    def step_field_statistics_results(self, done: Callable) -> None:
        """15: the results: the fields graduated by their latest NDVI, one field's series in the chart."""
        from tilewise.core.field_statistics import read_statistics_table

        panel = self.dock.field_statistics

        def finished() -> None:
            if panel.results is None:
                raise StepFailed(f"No results: {panel.problem_label.text()} {panel.result_label.text()}")
            self.log(panel.result_label.text())
            results = panel.results.fields
            # the field whose NDVI changes most over the month: the chart has something to show
            spans = {}
            for polygon in panel.run.polygons:
                means = [
                    row.mean for row in read_statistics_table(panel.results_path, polygon.fid) if row.mean
                ]
                spans[polygon.fid] = max(means) - min(means) if means else 0.0
            chosen = max(spans, key=spans.get)
            results.selectByIds([chosen])
            iface.setActiveLayer(results)
            QgsProject.instance().setSelectionColor(QColor(255, 255, 0, 220))  # the field stands out
            chart = panel.series.chart
            with_data = [i for i, point in enumerate(chart.points) if point.value is not None]
            chart.choose(min(with_data, key=lambda i: chart.points[i].value))  # the readout on the low point
            self.clear_messages()
            splitter = panel.findChild(QSplitter)
            splitter.setSizes([int(splitter.height() * 0.45), int(splitter.height() * 0.55)])
            self.capture("15-field-statistics-results", done)

        self.wait_for(lambda: panel.task is None and panel.results is not None, finished,
                      "the field statistics to finish", timeout_s=180)  # fmt: skip
        panel.run_button.click()

    # --- after the shots ------------------------------------------------------------------------------

    def wind_down(self) -> None:
        """Let the job finish (the engine stops when QGIS quits); stop it when it takes too long."""
        from tilewise.core.tasks import ClientCallTask

        client, job_id = self.dock.client, self.job.id if self.job else None
        if client is None or job_id is None:
            self.succeed()
            return
        deadline = time.monotonic() + JOB_WAIT_S

        def poll() -> None:
            task = ClientCallTask(
                "user guide: job status", lambda cancel: client.get(job_id, cancel), self.guard(got)
            )
            self.tasks.append(task)
            QgsApplication.taskManager().addTask(task)

        def got(task) -> None:
            job = task.result
            status = getattr(job, "status", None)
            if status in ("FAILED", "PARTIAL"):
                raise StepFailed(f"Job {job_id} ended {status}: {job.error}")
            if status in ("DONE", "STOPPED", "CANCELED"):
                self.log(f"job {job_id} ended {status}; outputs in {self.output_folder}")
                self.succeed()
            elif time.monotonic() > deadline:
                self.log(f"job {job_id} still {status} after {JOB_WAIT_S} s: stopping it")
                stop = ClientCallTask("user guide: stop job", lambda cancel: client.stop(job_id, cancel),
                                      self.guard(lambda _task: self.succeed()))  # fmt: skip
                self.tasks.append(stop)
                QgsApplication.taskManager().addTask(stop)
            else:
                self.after(3000, poll)

        self.log(f"waiting up to {JOB_WAIT_S} s for job {job_id} to finish")
        poll()

    def succeed(self) -> None:
        self.log(f"OK: {len(self.steps)} screenshots in {self.out}")
        self.quit(0)


_TILEWISE_USER_GUIDE_SHOTS = UserGuideShots()
_TILEWISE_USER_GUIDE_SHOTS.start()
