"""Every user-visible string of the plugin goes through `tr()`: one translation context, "Tilewise", so that
`scripts/i18n.py` finds each literal with the standard library alone (pylupdate5 and pylupdate6 name
contexts after classes, and free functions would be lost). Write `tr("{n} tiles").format(n=count)`, never
`tr(f"...")`: an f-string is formatted before it is looked up, so it can never match a translation."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

CONTEXT = "Tilewise"
# the compiled translations (`make translations`: i18n/tilewise_<language>.qm, built, not committed)
I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"


def tr(text: str, disambiguation: Optional[str] = None, n: int = -1) -> str:
    """The translation of `text` for the QGIS locale (the text itself when there is none). `n` picks a plural
    form where the translation has them ("%n tile(s)")."""
    return QCoreApplication.translate(CONTEXT, text, disambiguation, n)


def qgis_locale() -> str:
    """QGIS's user interface language: the one chosen in Settings → Options → General when the override is
    on, else the system's (as QGIS itself decides), e.g. "de" or "de_AT"."""
    from qgis.core import QgsApplication, QgsSettings

    settings = QgsSettings()
    if settings.value("locale/overrideFlag", False, type=bool):
        chosen = settings.value("locale/userLocale", "", type=str)
        if chosen:
            return chosen
    return QgsApplication.locale() or QLocale.system().name()


def load_translator(locale: str, folder: Path = I18N_DIR) -> Optional[QTranslator]:
    """A translator installed on the application for `locale` ("de_AT" falls back to "de"); a language the
    plugin has no translation for (and "C") gets English, the source language, for its plural forms ("1 tile",
    "2 tiles"); None when not even that is compiled. Remove it with `QCoreApplication.removeTranslator` on
    unload."""
    language = locale.replace("-", "_")
    for name in dict.fromkeys((language, language.split("_")[0], "en")):
        path = folder / f"tilewise_{name}.qm"
        if path.exists():
            translator = QTranslator()
            if translator.load(str(path)):
                QCoreApplication.installTranslator(translator)
                return translator
    return None


__all__ = ["CONTEXT", "I18N_DIR", "load_translator", "qgis_locale", "tr"]
