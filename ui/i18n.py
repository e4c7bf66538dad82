"""Every user-visible string of the plugin goes through `tr()`: one translation context, "Tilewise", so that
`scripts/i18n.py` finds each literal with the standard library alone (pylupdate5 and pylupdate6 name
contexts after classes, and free functions would be lost). Write `tr("{n} tiles").format(n=count)`, never
`tr(f"...")`: an f-string is formatted before it is looked up, so it can never match a translation."""

from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtCore import QCoreApplication

CONTEXT = "Tilewise"


def tr(text: str, disambiguation: Optional[str] = None, n: int = -1) -> str:
    """The translation of `text` for the QGIS locale (the text itself when there is none). `n` picks a plural
    form where the translation has them ("%n tile(s)")."""
    return QCoreApplication.translate(CONTEXT, text, disambiguation, n)


__all__ = ["CONTEXT", "tr"]
