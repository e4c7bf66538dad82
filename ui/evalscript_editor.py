"""The evalscript editor of the job form: JavaScript highlighting, line numbers, presets, and problems shown
on the line at fault. Reading setup() runs in a QgsTask (a script may loop at top level)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from qgis.core import QgsApplication
from qgis.gui import QgsCodeEditorJavascript
from qgis.PyQt.QtCore import QTimer, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.evalscript import EvalscriptProblem, ScriptInfo, inspect_evalscript
from ..core.presets import BUILTIN_PRESETS, Preset, UserPresets
from ..core.tasks import ClientCallTask
from .i18n import tr
from .theme import text_style

INSPECT_DELAY_MS = 600
CUSTOM = "(edited)"  # the combo's data for an edited script; its label is translated


class EvalscriptEditor(QWidget):
    """`infoChanged(ScriptInfo or None)` fires after each reading of setup(); `info` and `problem` hold the last."""

    infoChanged = pyqtSignal(object)

    def __init__(
        self,
        presets_folder: Path,
        parent: Optional[QWidget] = None,
        builtins: Sequence[Preset] = BUILTIN_PRESETS,
    ):
        super().__init__(parent)
        self.builtins = tuple(builtins)  # the job form's, or field statistics' (core/statistics_presets.py)
        self.user_presets = UserPresets(presets_folder)
        self.info: Optional[ScriptInfo] = None
        self.problem: Optional[EvalscriptProblem] = None
        self.task: Optional[ClientCallTask] = None
        self._inspected_text: Optional[str] = None
        self._loading_preset = False

        self.preset_combo = QComboBox(self)
        self.preset_combo.setToolTip(tr("Start from a preset, or from a script you saved."))
        self.save_button = QToolButton(self)
        self.save_button.setText(tr("Save…"))
        self.save_button.setToolTip(tr("Save this script as a preset of your own."))
        self.delete_button = QToolButton(self)
        self.delete_button.setText(tr("Delete"))
        self.delete_button.setToolTip(tr("Delete the selected preset of your own."))
        self.editor = QgsCodeEditorJavascript(self)
        self.editor.setLineNumbersVisible(True)
        self.editor.setMinimumHeight(220)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Preset"), self))
        top.addWidget(self.preset_combo, 1)
        top.addWidget(self.save_button)
        top.addWidget(self.delete_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.editor, 1)
        column.addWidget(self.status_label)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(INSPECT_DELAY_MS)
        self._timer.timeout.connect(self.inspect)
        self.editor.textChanged.connect(self._edited)
        self.preset_combo.activated.connect(self._preset_chosen)
        self.save_button.clicked.connect(self._ask_and_save)
        self.delete_button.clicked.connect(self._ask_and_delete)
        self.reload_presets()

    # --- presets ----------------------------------------------------------------------------------------

    def reload_presets(self, select: Optional[str] = None) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        self._presets: dict[str, Preset] = {}
        for preset in (*self.builtins, *self.user_presets.list()):
            label = preset.name if preset.builtin else tr("{name} (mine)").format(name=preset.name)
            self.preset_combo.addItem(label, preset.name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1, preset.description, 3
            )  # tooltip role
            self._presets[preset.name] = preset
        self.preset_combo.addItem(tr("(edited)"), CUSTOM)
        self.preset_combo.blockSignals(False)
        if select is not None:
            self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(select)))
        self._update_buttons()

    def select_preset(self, name: str) -> None:
        """Put a preset's script in the editor."""
        preset = self._presets[name]
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(name))
        self._loading_preset = True
        self.editor.setText(preset.script)
        self._loading_preset = False
        self._update_buttons()
        self.inspect()

    def preset_name(self) -> str:
        return self.preset_combo.currentData() or CUSTOM

    def save_preset(self, name: str) -> Preset:
        preset = self.user_presets.save(name, self.script())
        self.reload_presets(select=preset.name)
        return preset

    def delete_preset(self, name: str) -> None:
        self.user_presets.delete(name)
        self.reload_presets(select=CUSTOM)

    def _preset_chosen(self, _index: int) -> None:
        name = self.preset_combo.currentData()
        if name in self._presets:
            self.select_preset(name)
        self._update_buttons()

    def _ask_and_save(self) -> None:
        current = self.preset_name()
        suggestion = current if current in self._presets and not self._presets[current].builtin else ""
        name, ok = QInputDialog.getText(
            self, tr("Save evalscript"), tr("Name of your preset:"), text=suggestion
        )
        if not ok:
            return
        try:
            self.save_preset(name)
        except ValueError as exc:
            QMessageBox.warning(self, tr("Save evalscript"), str(exc))

    def _ask_and_delete(self) -> None:
        name = self.preset_name()
        if name not in self._presets or self._presets[name].builtin:
            return
        answer = QMessageBox.question(
            self, tr("Delete preset"), tr("Delete your preset “{name}”?").format(name=name)
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_preset(name)

    def _update_buttons(self) -> None:
        preset = self._presets.get(self.preset_name())
        self.delete_button.setEnabled(preset is not None and not preset.builtin)

    # --- the script -------------------------------------------------------------------------------------

    def script(self) -> str:
        return self.editor.text()

    def set_script(self, text: str) -> None:
        self.editor.setText(text)
        self.inspect()

    def _edited(self) -> None:
        if not self._loading_preset and self.preset_name() != CUSTOM:
            preset = self._presets.get(self.preset_name())
            if preset is None or preset.script != self.script():
                self.preset_combo.setCurrentIndex(self.preset_combo.findData(CUSTOM))
                self._update_buttons()
        self._timer.start()

    def inspect(self) -> None:
        """Read setup() in the background; the result arrives through infoChanged."""
        self._timer.stop()
        text = self.script()
        if text == self._inspected_text and self.task is None:
            self.infoChanged.emit(self.info)
            return
        if self.task is not None:
            self.task.cancel()
        self.status_label.setText(tr("Reading setup()…"))
        task = ClientCallTask(tr("reading the evalscript"), lambda _cancel: _inspect(text), self._inspected)
        task.text = text
        self.task = task
        QgsApplication.taskManager().addTask(task)

    def _inspected(self, task: ClientCallTask) -> None:
        if task is not self.task:
            return  # an older reading, superseded
        self.task = None
        self._inspected_text = task.text
        outcome = task.result
        self.editor.clearWarnings()
        if isinstance(outcome, EvalscriptProblem):
            self.info, self.problem = None, outcome
            self.show_problem(outcome.message, outcome.line)
        elif isinstance(outcome, ScriptInfo):
            self.info, self.problem = outcome, None
            self.status_label.setStyleSheet("")
            self.status_label.setText(describe(outcome))
        else:
            self.info, self.problem = (
                None,
                EvalscriptProblem(task.error or tr("The script could not be read.")),
            )
            self.show_problem(self.problem.message, None)
        if task.text != self.script():
            self._timer.start()  # edited while it was read
        self.infoChanged.emit(self.info)

    def show_problem(self, message: str, line: Optional[int]) -> None:
        self.status_label.setStyleSheet(text_style("error"))
        self.status_label.setText(
            tr("Line {line}: {message}").format(line=line, message=message) if line else message
        )
        if line:
            self.editor.addWarning(line - 1, message)
            self.editor.setCursorPosition(line - 1, 0)
            self.editor.ensureLineVisible(line - 1)

    def unload(self) -> None:
        self._timer.stop()
        if self.task is not None:
            self.task.cancel()
            self.task = None


def _inspect(text: str):
    """Problems come back as values: they are the user's to fix, not failures of the task."""
    try:
        return inspect_evalscript(text)
    except EvalscriptProblem as exc:
        return exc


def describe(info: ScriptInfo) -> str:
    outputs = ", ".join(
        (
            tr("{id} (1 band, {sample_type})") if o.bands == 1 else tr("{id} ({bands} bands, {sample_type})")
        ).format(id=o.id, bands=o.bands, sample_type=o.sample_type)
        for o in info.outputs
    )
    bands = ", ".join(info.input_bands) or tr("none")
    return tr("Reads {bands}; {mosaicking} mosaicking. Outputs: {outputs}.").format(
        bands=bands, mosaicking=info.mosaicking, outputs=outputs
    )
