"""Qt-free core shared by the plugin and the engine (grids, costs, API models).

Modules that need QGIS (tasks, layers) say so in their name: `*_qgis.py`.
"""
