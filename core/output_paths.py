"""Where a batch job's files go, as Sentinel Hub defines it (reference §1.5, §1.6) and both halves need it
(Qt-free): the engine writes there, the plugin reads there.

A plain `s3://bucket/folder` means `<folder>/<requestId>/<tileName>/<outputId>.<format>`; a v2 job's
artefacts (request JSON, feature manifest, execution database) sit in the fixed folder of the output URL,
the part before its first placeholder.

One template grammar (`_GRAMMAR`) serves both directions: fill_template builds an output's URL (the
engine's delivery, through TilePathTemplate.url, and the plugin naming a missing output) and
TemplateMatcher reads the tile and output back from a URL (the plugin finding a job's outputs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence
from urllib.parse import urlsplit

PLACEHOLDERS = ("<requestId>", "<tileName>", "<tileId>", "<outputId>", "<format>")
DEFAULT_LAYOUT = "<requestId>/<tileName>/<outputId>.<format>"  # what a plain s3://bucket/folder means
PLACEHOLDER = re.compile(r"<(requestId|tileName|tileId|outputId|format)>")
ARTEFACT_NAME = re.compile(r"^(request-.+\.json|featureManifest-.+\.gpkg|execution-.+\.sqlite)$")
OUTPUT_EXTENSIONS = ("tif", "tiff", "json", "png", "jpg", "jpeg")  # what `<format>` becomes


@dataclass(frozen=True)
class OutputLocation:
    """What a template's placeholders stand for in one output's URL; None: unknown, or not in the template."""

    request_id: Optional[str] = None
    tile_name: Optional[str] = None
    tile_id: Optional[int] = None
    output_id: Optional[str] = None
    extension: Optional[str] = None


# The grammar: each placeholder, the OutputLocation field it holds and what its value looks like in a URL
# (`<outputId>` narrowed to the request's ids, `<format>` to the known extensions, when matching).
_GRAMMAR = {
    "requestId": ("request_id", r"[^/]+"),
    "tileName": ("tile_name", r"[^/]+"),
    "tileId": ("tile_id", r"\d+"),
    "outputId": ("output_id", r"[^/]+"),
    "format": ("extension", r"[^/]+"),
}


def fill_template(template: str, location: OutputLocation) -> str:
    """`template` with each placeholder `location` knows replaced by its value (the others kept), in one pass:
    a value is never read as a placeholder itself."""

    def value(match: re.Match) -> str:
        found = getattr(location, _GRAMMAR[match.group(1)][0])
        return match.group(0) if found is None else str(found)

    return PLACEHOLDER.sub(value, template)


class TemplateMatcher:
    """The inverse of fill_template: the OutputLocation of a URL written with `template`, or None for a URL the
    template cannot have produced. `output_ids` (the request's outputs), when given, tell `<outputId>` apart
    from what surrounds it; `<format>` is one of `extensions`. A placeholder used twice must repeat its value."""

    def __init__(
        self, template: str, output_ids: Sequence[str] = (), extensions: Sequence[str] = OUTPUT_EXTENSIONS
    ):
        values = {name: pattern for name, (_, pattern) in _GRAMMAR.items()}
        if output_ids:
            values["outputId"] = _one_of(output_ids)
        values["format"] = _one_of(extensions)
        parts, seen, position = [], set(), 0
        for match in PLACEHOLDER.finditer(template):
            parts.append(re.escape(template[position : match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>{values[name]})")
            seen.add(name)
            position = match.end()
        parts.append(re.escape(template[position:]))
        self.template = template
        self.pattern = re.compile("".join(parts))

    def match(self, url: str) -> Optional[OutputLocation]:
        found = self.pattern.fullmatch(url)
        if found is None:
            return None
        values = {_GRAMMAR[name][0]: value for name, value in found.groupdict().items()}
        if "tile_id" in values:
            values["tile_id"] = int(values["tile_id"])
        return OutputLocation(**values)


def _one_of(values: Sequence[str]) -> str:
    """A pattern for any of `values` (longest first: where two fit, the longer one is tried first)."""
    return "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))


def output_template(url: str) -> str:
    """The full output path template of an output URL."""
    url = url.strip()
    return url if PLACEHOLDER.search(url) else url.rstrip("/") + "/" + DEFAULT_LAYOUT


def artefact_folder(url: str) -> str:
    """The fixed folder of an output URL (before its first placeholder): where every output lands under."""
    fixed = output_template(url).split("<", 1)[0]
    return fixed.rsplit("/", 1)[0] if "/" in fixed.split("://", 1)[-1] else fixed


def request_json_url(output_url: str, request_id: str) -> str:
    return _artefact_url(output_url, f"request-{request_id}.json")


def manifest_url(output_url: str, request_id: str) -> str:
    return _artefact_url(output_url, f"featureManifest-{request_id}.gpkg")


def execution_url(output_url: str, request_id: str) -> str:
    return _artefact_url(output_url, f"execution-{request_id}.sqlite")


def _artefact_url(output_url: str, name: str) -> str:
    return f"{artefact_folder(output_url).rstrip('/')}/{name}"


# --- names that become parts of paths --------------------------------------------------------------
# Output ids, response identifiers and GeoPackage feature identifiers become file and key names
# (<outputId>, <tileName>, scratch files): one rule for all of them, so none can climb out of a folder.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class UnsafeNameError(ValueError):
    """A name that would become part of a path has characters outside the safe set."""


def check_safe_name(value: object, what: str) -> str:
    """`value` if it is 1-128 letters, digits, `_` or `-`; UnsafeNameError (a message naming `what`) otherwise."""
    if isinstance(value, str) and SAFE_NAME.match(value):
        return value
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    raise UnsafeNameError(
        f"{what} {shown} cannot be used: it becomes a file name, so use 1-128 letters, digits, '_' or '-' "
        "(for example NDVI or data_mask)."
    )


# --- templates: checked at creation (engine) and before sending (plugin) ---------------------------

_PLACEHOLDER = re.compile(r"<[^<>/]*>")  # any placeholder, known or not (unknown ones are refused)
# Bucket names as S3 allows them (lowercase, digits, dots, hyphens; 3-63 characters).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


class OutputPathError(ValueError):
    """The output path cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class TilePathTemplate:
    template: str  # full template, with placeholders
    scheme: str  # "s3" or "file"

    @classmethod
    def parse(cls, path: str, output_ids: list[str]) -> TilePathTemplate:
        path = path.strip()
        parts = urlsplit(path)
        if parts.scheme not in ("s3", "file"):
            raise OutputPathError(
                f"Unsupported output location {path!r}: use s3://bucket/folder or file:///absolute/folder."
            )
        if parts.query or parts.fragment:
            raise OutputPathError(f"The output path {path!r} must not contain '?' or '#'.")
        if parts.scheme == "s3":
            if not _BUCKET.match(parts.netloc or ""):
                raise OutputPathError(
                    f"{parts.netloc!r} is not a valid S3 bucket name: write s3://<bucket>/<folder> with a bucket of "
                    "3-63 lowercase letters, digits, dots or hyphens."
                )
        elif parts.netloc not in ("", "localhost"):
            raise OutputPathError(
                f"{path!r} is not a local folder URL: write file:///absolute/folder (three slashes)."
            )
        unknown = sorted(set(_PLACEHOLDER.findall(path)) - set(PLACEHOLDERS))
        if unknown:
            raise OutputPathError(
                f"Unknown placeholder {', '.join(unknown)} in the output path: use {', '.join(PLACEHOLDERS)}."
            )
        segments = parts.path.split("/")
        if any(segment in (".", "..") for segment in segments):
            raise OutputPathError(f"The output path {path!r} must not contain '.' or '..' segments.")
        if not _PLACEHOLDER.search(path):
            template = path.rstrip("/") + "/" + DEFAULT_LAYOUT
        else:
            template = path
            if "<tileName>" not in template and "<tileId>" not in template:
                raise OutputPathError(
                    "The output path template must contain <tileName> or <tileId>, so tiles do not overwrite "
                    f"each other: for example {path.rstrip('/')}/<tileName>/<outputId>.<format>."
                )
            if len(output_ids) > 1 and "<outputId>" not in template:
                raise OutputPathError(
                    f"The request has {len(output_ids)} outputs ({', '.join(output_ids)}), so the output path "
                    "template must contain <outputId>: for example .../<tileName>/<outputId>.<format>."
                )
            if template.endswith("/"):
                raise OutputPathError(
                    "The output path template must end with a file name, e.g. <outputId>.<format>."
                )
        return cls(template=template, scheme=parts.scheme)

    @property
    def root_url(self) -> str:
        """The fixed part of the template: the folder (or bucket prefix) every output lands under."""
        return artefact_folder(self.template)

    def url(self, request_id: str, tile_name: str, tile_id: int, output_id: str, extension: str) -> str:
        """The URL of one output; every name put into the template is checked (OutputPathError)."""
        try:
            for value, what in (
                (request_id, "Request id"),
                (tile_name, "Tile name"),
                (output_id, "Output id"),
            ):
                check_safe_name(value, what)
            check_safe_name(extension, "Format extension")
        except UnsafeNameError as exc:
            raise OutputPathError(str(exc)) from None
        return fill_template(
            self.template, OutputLocation(request_id, tile_name, tile_id, output_id, extension)
        )
