"""The "New job" tab's footer: its actions and summary stay in view in a 1280 × 800 QGIS window wherever the
form is scrolled, its buttons follow the running tasks, and its one-line summary follows the last tiles preview
and the budget."""

from __future__ import annotations

import time

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QPoint, QRect, QSettings, Qt
from qgis.PyQt.QtWidgets import QMainWindow, QWidget

from tilewise.core.connections import ConnectionStore
from tilewise.core.job_form import FieldProblem, estimate
from tilewise.ui.dock import TilewiseDock
from tilewise.ui.form_footer import FormFooter
from tilewise.ui.theme import text_style

from .conftest import wait_until

WINDOW_SIZE = (1280, 800)


@pytest.fixture
def window(qgis_iface, tmp_path):
    """A 1280 × 800 main window with the dock on the right, as a user runs QGIS."""
    QgsSettings().remove("tilewise")
    store = ConnectionStore(QgsSettings(str(tmp_path / "connections.ini"), QSettings.Format.IniFormat))
    main = QMainWindow()
    main.setCentralWidget(QWidget(main))  # the map's place
    dock = TilewiseDock(qgis_iface, main, store=store)
    main.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    main.resize(*WINDOW_SIZE)
    main.show()
    wait_until(lambda: dock.form.script_editor.info is not None)
    wait_until(lambda: dock.form.footer.isVisible() and dock.form.verticalScrollBar().maximum() > 0)
    yield main, dock
    dock.unload()
    main.close()
    main.deleteLater()
    QgsSettings().remove("tilewise")


def settle(seconds: float) -> None:
    """Let the event loop run (layouts, posted events) for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def in_view(widget: QWidget, dock: QWidget) -> bool:
    """The whole widget is shown inside the dock's visible rect."""
    top_left = widget.mapTo(dock, QPoint(0, 0))
    return (
        widget.isVisible()
        and dock.rect().contains(QRect(top_left, widget.size()))
        and widget.visibleRegion().boundingRect().size() == widget.size()
    )


def test_the_footer_stays_in_view_with_the_form_scrolled_to_the_top_and_the_bottom(window):
    main, dock = window
    footer = dock.form.footer
    assert main.size().width() == WINDOW_SIZE[0] and dock.height() <= WINDOW_SIZE[1]
    bar = dock.form.verticalScrollBar()
    assert bar.maximum() > 0  # the form is taller than the dock: it scrolls
    for position in (bar.minimum(), bar.maximum()):
        bar.setValue(position)
        wait_until(lambda position=position: bar.value() == position)
        for widget in (footer, footer.preview_button, footer.create_button, footer.start_button,
                       footer.cancel_button, footer.summary_label):  # fmt: skip
            assert in_view(widget, dock), (position, widget)
        # what scrolls with the form does leave the view: the check sees the difference
        scrolled_away = dock.form.advanced_box if position == bar.minimum() else dock.form.area_label
        assert not in_view(scrolled_away, dock), position
    assert "No preview yet" in footer.summary_label.full_text


def test_the_first_field_at_fault_is_scrolled_into_view_above_the_grown_footer(window):
    _main, dock = window
    dock.form.verticalScrollBar().setValue(0)
    assert not in_view(dock.form.s3_url_edit, dock)  # far down the form
    dock.show_problems((FieldProblem("output", "Give an S3 URL."), FieldProblem("time", "Swap the dates.")))
    wait_until(lambda: in_view(dock.form.s3_url_edit, dock), timeout=5)
    assert in_view(dock.form.footer.problems_label, dock)
    settle(0.3)
    assert in_view(dock.form.s3_url_edit, dock)  # and stays there once the layout settled


def test_the_footer_buttons_follow_the_busy_state(qgis_app):
    footer = FormFooter()
    footer.set_busy([], can_start=False)
    assert footer.create_button.isEnabled() and footer.preview_button.isEnabled()
    assert not footer.start_button.isEnabled() and not footer.cancel_button.isEnabled()
    footer.set_busy(["tiles"], can_start=True)
    assert not footer.preview_button.isEnabled() and footer.preview_extent_button.isEnabled()
    assert footer.start_button.isEnabled() and footer.cancel_button.isEnabled()
    footer.set_busy(["analyse", "raster_preview"], can_start=True)
    assert not footer.create_button.isEnabled() and not footer.start_button.isEnabled()
    assert not footer.preview_extent_button.isEnabled() and not footer.preview_tile_button.isEnabled()
    footer.set_busy(["engine"], can_start=False)  # the engine's status check is not the user's to cancel
    assert not footer.cancel_button.isEnabled() and footer.create_button.isEnabled()
    footer.deleteLater()


def test_the_summary_follows_the_tiles_preview_and_the_budget(window, tutorial_layer, english_plurals):
    _main, dock = window
    footer = dock.form.footer
    dock.form.grid_combo.setCurrentIndex(dock.form.grid_combo.findData(1))
    dock.form.resolution_combo.setCurrentIndex(dock.form.resolution_combo.findData(10.0))
    results = []
    dock.previewFinished.connect(results.append)
    dock.start_preview()
    wait_until(lambda: results)
    assert results[0] is not None
    tiles = len(dock.selection)
    charge = estimate(
        dock.form.cost_draft(), dock.form.script_editor.info, dock.selection.tiles
    ).expected_charge
    assert footer.summary_label.full_text == f"{tiles:,} tiles · ≈{charge:,.1f} PU expected · no budget"
    assert footer.summary_label.toolTip() == footer.summary_label.full_text
    assert footer.summary_label.styleSheet() == ""
    assert "the details are under “Tiling grid”" in footer.result_label.text()

    dock.form.budget_spin.setValue(1)  # far below any job's 100 PU minimum
    assert footer.summary_label.full_text.endswith(" · budget 1 PU")
    assert footer.summary_label.styleSheet() == text_style("error")
    dock.form.budget_spin.setValue(charge + 100)
    assert footer.summary_label.full_text.endswith(f" · budget {charge + 100:,.0f} PU")
    assert footer.summary_label.styleSheet() == ""


def test_a_long_summary_is_elided_to_the_width_with_the_whole_text_as_tooltip(qgis_app, english_plurals):
    footer = FormFooter()
    footer.show_summary(123_456, 98_765_432.1, 500)
    label = footer.summary_label
    label.setParent(None)  # alone, so that it can be narrower than the footer's buttons
    label.resize(150, label.sizeHint().height())
    label.show()
    wait_until(lambda: label.width() == 150)
    assert label.text() != label.full_text and label.text().endswith("…")
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    assert label.toolTip() == label.full_text
    assert label.full_text == "123,456 tiles · ≈98,765,432.1 PU expected · budget 500 PU"
    label.close()
    label.deleteLater()
    footer.deleteLater()


def test_problems_and_result_show_at_most_three_lines_with_the_whole_text_as_tooltip(qgis_app):
    footer = FormFooter()
    footer.resize(300, 400)
    footer.show()
    problems = [f"Problem number {n}: the field is wrong in a long and detailed way." for n in range(8)]
    footer.show_problems(problems)
    footer.show_result("Job 1234 analysed: 3 tiles.")
    label = footer.problems_label
    assert label.isVisible() and label.toolTip() == "<br>".join(problems)
    assert label.maximumHeight() <= label.fontMetrics().lineSpacing() * 3 + 4
    assert footer.result_label.isVisible() and footer.result_label.text() == "Job 1234 analysed: 3 tiles."
    footer.show_problems([])
    assert not label.isVisible()
    footer.close()
    footer.deleteLater()
