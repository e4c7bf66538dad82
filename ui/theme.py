"""Colours that stay legible on every QGIS UI theme, light ("default") and dark ("Night Mapping", "Blend of
Gray"): each is chosen from the application palette at the moment it is used, never a fixed pale background
under the theme's own text colour. Contrast follows WCAG 2 (4.5:1 for text)."""

from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtGui import QColor, QGuiApplication, QPalette

# (on a light window, on a dark window): text colours with at least 4.5:1 against the theme's base and window
TEXT_COLOURS = {
    "error": ("#b71c1c", "#ff8a80"),
    "warning": ("#8a4b00", "#ffcc80"),
    "success": ("#1b5e20", "#a5d6a7"),
}
# a field at fault: a red border and a faint red tint of the theme's own base colour
FIELD_BORDER = {"light": "#c62828", "dark": "#ff5252"}


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark(colours: Optional[QPalette] = None) -> bool:
    window = (colours or palette()).color(QPalette.ColorRole.Window)
    return window.lightness() < 128


def text_colour(kind: str, colours: Optional[QPalette] = None) -> str:
    """The colour of an error, warning or success text on this theme, as #rrggbb."""
    light, dark = TEXT_COLOURS[kind]
    return dark if is_dark(colours) else light


def text_style(kind: str, colours: Optional[QPalette] = None) -> str:
    """A QLabel style sheet for an error, warning or success text."""
    return f"QLabel {{ color: {text_colour(kind, colours)}; }}"


def field_problem_style(colours: Optional[QPalette] = None) -> str:
    """The style of a field at fault: a red border on the theme's base colour tinted red. The text colour is
    left to the theme: dark themes set it in their style sheet (their palette's Text is not what they show),
    and a tint this close to the base keeps either legible."""
    colours = colours or palette()
    base = colours.color(QPalette.ColorRole.Base)
    dark = is_dark(colours)
    tint = mix(base, QColor("#ff0000"), 0.2 if dark else 0.08)
    border = FIELD_BORDER["dark" if dark else "light"]
    return f"border: 1px solid {border}; background: {tint.name()}"


def mix(first: QColor, second: QColor, share: float) -> QColor:
    """`share` of `second` blended into `first`."""
    return QColor(
        round(first.red() * (1 - share) + second.red() * share),
        round(first.green() * (1 - share) + second.green() * share),
        round(first.blue() * (1 - share) + second.blue() * share),
    )


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""

    def luminance(colour: QColor) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(colour.red())
            + 0.7152 * channel(colour.green())
            + 0.0722 * channel(colour.blue())
        )

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


__all__ = ["contrast_ratio", "field_problem_style", "is_dark", "mix", "text_colour", "text_style"]
