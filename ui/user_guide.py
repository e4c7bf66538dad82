"""Where the user guide is: the HTML that `make package` (and `make run`) builds into the plugin folder
(scripts/build_help.py, from docs/user-guide.md), or the hosted guide when the plugin runs from a source
checkout without it. Opened by the dock's Help button and by Help → Plugins → Tilewise."""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QDesktopServices

HELP_PAGE = Path(__file__).resolve().parent.parent / "help" / "index.html"
HOSTED_GUIDE = "https://github.com/tilewise/tilewise/blob/main/docs/user-guide.md"


def user_guide_url(page: Path = HELP_PAGE) -> QUrl:
    return QUrl.fromLocalFile(str(page)) if page.exists() else QUrl(HOSTED_GUIDE)


def open_user_guide() -> None:
    QDesktopServices.openUrl(user_guide_url())


__all__ = ["HELP_PAGE", "HOSTED_GUIDE", "open_user_guide", "user_guide_url"]
