"""The Tilewise local batch engine. Imports neither Qt nor QGIS."""
