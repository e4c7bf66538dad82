"""Tilewise: batch processing of large areas for QGIS.

The package root is the QGIS plugin. Importing it must stay free of Qt and
QGIS so that the engine can import `tilewise.core` on a server.
"""


def classFactory(iface):  # noqa: N802 (QGIS plugin entry point name)
    from .plugin import TilewisePlugin

    return TilewisePlugin(iface)
