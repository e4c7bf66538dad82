"""The area on the map: map tools to draw a rectangle (drag) or a polygon (clicks; a right-click or a
double-click closes it, Esc cancels), and the highlight of the chosen area.

Geometries are in the canvas CRS when drawn; the highlight takes any CRS and is re-projected when the map's CRS
changes. The highlight is one rubber band set once per change of the area, never per repaint, so an area of
100,000 vertices costs one transformation, not one per frame."""

from __future__ import annotations

import contextlib
from typing import Optional

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsPointXY, QgsRectangle
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent, QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QKeyEvent

from .qgis_compat import POLYGON_GEOMETRY

# a strong orange that reads on imagery, on OSM and on a dark basemap; a faint fill keeps the map visible
OUTLINE = QColor(255, 111, 0)
FILL = QColor(255, 111, 0, 28)
OUTLINE_WIDTH = 2


def area_band(canvas: QgsMapCanvas, dashed: bool = False) -> QgsRubberBand:
    band = QgsRubberBand(canvas, POLYGON_GEOMETRY)
    band.setStrokeColor(OUTLINE)
    band.setFillColor(FILL)
    band.setWidth(OUTLINE_WIDTH)
    if dashed:
        band.setLineStyle(Qt.PenStyle.DashLine)
    return band


def remove_band(canvas: QgsMapCanvas, band: Optional[QgsRubberBand]) -> None:
    if band is None:
        return
    with contextlib.suppress(RuntimeError):  # the canvas went first
        canvas.scene().removeItem(band)


class AreaDrawTool(QgsMapTool):
    """What both tools share: a dashed band while drawing, `drawn(geometry)` in the canvas CRS, `cancelled`."""

    drawn = pyqtSignal(object)  # QgsGeometry
    cancelled = pyqtSignal()

    def __init__(self, canvas: QgsMapCanvas):
        super().__init__(canvas)
        self.band = area_band(canvas, dashed=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape:
            self.reset()
            self.cancelled.emit()
            event.accept()

    def deactivate(self) -> None:
        self.reset()
        super().deactivate()

    def reset(self) -> None:
        self.band.reset(POLYGON_GEOMETRY)

    def finish(self, geometry: QgsGeometry) -> None:
        self.reset()
        self.drawn.emit(geometry)

    def unload(self) -> None:
        remove_band(self.canvas(), self.band)


class RectangleTool(AreaDrawTool):
    """Press, drag, release: the rectangle between the two corners. A click without a drag draws nothing."""

    def __init__(self, canvas: QgsMapCanvas):
        super().__init__(canvas)
        self.start: Optional[QgsPointXY] = None

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self.start = event.mapPoint()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.start is not None:
            self.band.setToGeometry(QgsGeometry.fromRect(QgsRectangle(self.start, event.mapPoint())))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.start is None or event.button() != Qt.MouseButton.LeftButton:
            return
        rectangle = QgsRectangle(self.start, event.mapPoint())
        self.start = None
        if rectangle.width() > 0 and rectangle.height() > 0:
            self.finish(QgsGeometry.fromRect(rectangle))
        else:
            self.reset()

    def reset(self) -> None:
        self.start = None
        super().reset()


class PolygonTool(AreaDrawTool):
    """A vertex per left click; a right-click or a double-click closes the polygon (three vertices at least)."""

    def __init__(self, canvas: QgsMapCanvas):
        super().__init__(canvas)
        self.points: list[QgsPointXY] = []

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.RightButton:
            self._close()
        elif event.button() == Qt.MouseButton.LeftButton:
            point = event.mapPoint()
            if not self.points or point != self.points[-1]:
                self.points.append(point)
            self._show(point)

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.points:
            self._show(event.mapPoint())

    def canvasDoubleClickEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 (Qt override)
        self._close()

    def _show(self, floating: QgsPointXY) -> None:
        ring = [*self.points, floating]
        if len(ring) >= 3:
            self.band.setToGeometry(QgsGeometry.fromPolygonXY([ring]))
        else:
            self.band.setToGeometry(QgsGeometry.fromPolylineXY(ring))

    def _close(self) -> None:
        points, self.points = self.points, []
        geometry = QgsGeometry.fromPolygonXY([points]) if len(points) >= 3 else None
        if geometry is None or geometry.area() <= 0:
            self.reset()  # too few vertices: start again, the tool stays
            return
        self.finish(geometry.makeValid() if not geometry.isGeosValid() else geometry)

    def reset(self) -> None:
        self.points = []
        super().reset()


class AreaHighlight:
    """The chosen area outlined on the canvas while the form shows: `set_area(geometry, crs)`, `show`, `hide`;
    re-projected when the map's CRS changes."""

    def __init__(self, canvas: QgsMapCanvas):
        self.canvas = canvas
        self.band: Optional[QgsRubberBand] = None
        self.geometry: Optional[QgsGeometry] = None
        self.crs = QgsCoordinateReferenceSystem()
        self.visible = False
        canvas.destinationCrsChanged.connect(self._draw)

    def set_area(self, geometry: Optional[QgsGeometry], crs: QgsCoordinateReferenceSystem) -> None:
        self.geometry, self.crs = geometry, crs
        self._draw()

    def show(self) -> None:
        self.visible = True
        self._draw()

    def hide(self) -> None:
        self.visible = False
        if self.band is not None:
            self.band.hide()

    def is_shown(self) -> bool:
        return self.band is not None and self.band.isVisible()

    def _draw(self) -> None:
        if not self.visible:
            return
        if self.band is None:
            self.band = area_band(self.canvas)
        if self.geometry is None or self.geometry.isEmpty():
            self.band.reset(POLYGON_GEOMETRY)
            self.band.hide()
            return
        self.band.setToGeometry(self.geometry, self.crs)
        self.band.show()

    def unload(self) -> None:
        with contextlib.suppress(TypeError, RuntimeError):
            self.canvas.destinationCrsChanged.disconnect(self._draw)
        remove_band(self.canvas, self.band)
        self.band = None


__all__ = ["AreaDrawTool", "AreaHighlight", "PolygonTool", "RectangleTool", "area_band"]
