"""`defaultTilePath` templates: the engine uses the shared checks and URL building of core/output_paths.py.

Sentinel Hub's rules (reference §1.4): a plain `s3://bucket/folder` means
`s3://bucket/folder/<requestId>/<tileName>/<outputId>.<format>`; a template must
contain `<tileName>` or `<tileId>`, and `<outputId>` when there are several outputs.
`file://` URLs are this engine's extension, for delivery to a local folder.
"""

from ...core.output_paths import OutputPathError, TilePathTemplate

__all__ = ["OutputPathError", "TilePathTemplate"]
