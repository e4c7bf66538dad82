"""Tile outputs: path templates, GeoTIFF writing and delivery to S3 or a folder."""
