"""Evalscript presets for the job form: built-in scripts shipped in resources/evalscripts, and the user's own.

Built-in presets are read once from resources/evalscripts/*.js, in the order of
BUILTIN_FILES. User presets are plain .js files, one per preset, in a folder the
plugin chooses (inside the QGIS profile), so a user can also copy scripts in or
out by hand. Each script's description is its `// Tilewise preset: ...` line,
right after `//VERSION=3`. Qt-free.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

EVALSCRIPTS_DIR = Path(__file__).resolve().parent.parent / "resources" / "evalscripts"
DESCRIPTION_MARK = "// Tilewise preset:"
EXTENSION = ".js"

# (name, file): the order is the order of the form's list.
BUILTIN_FILES = (
    ("True colour", "01_true_colour.js"),
    ("NDVI", "02_ndvi.js"),
    ("NDWI", "03_ndwi.js"),
    ("NDVI interpolation (tutorial)", "04_ndvi_interpolation_tutorial.js"),
)

# Characters no file name may hold on Windows, macOS or Linux (a user preset's name is its file name).
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


@dataclass(frozen=True)
class Preset:
    name: str
    script: str
    description: str
    builtin: bool


def description_of(script: str) -> str:
    """The text of the `// Tilewise preset:` line that follows //VERSION=3, or "" without one."""
    lines = [line.strip() for line in script.splitlines() if line.strip()]
    if len(lines) > 1 and lines[1].startswith(DESCRIPTION_MARK):
        return lines[1][len(DESCRIPTION_MARK) :].strip()
    return ""


def _read(path: Path) -> str:
    # errors="replace": a hand-copied file in another encoding still lists (and the form shows what is wrong)
    return path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")


def load_presets(files=BUILTIN_FILES, folder: Path = EVALSCRIPTS_DIR) -> tuple[Preset, ...]:
    """The (name, file) presets of a folder of scripts shipped with the plugin."""
    presets = []
    for name, file_name in files:
        script = _read(folder / file_name)
        presets.append(Preset(name, script, description_of(script), builtin=True))
    return tuple(presets)


BUILTIN_PRESETS: tuple[Preset, ...] = load_presets()


def builtin_preset(name: str, presets: tuple[Preset, ...] = BUILTIN_PRESETS) -> Preset:
    for preset in presets:
        if preset.name == name:
            return preset
    raise KeyError(f"No built-in preset is called {name!r}: use one of {', '.join(p.name for p in presets)}.")


def _is_builtin_name(name: str) -> bool:
    return any(preset.name.casefold() == name.casefold() for preset in BUILTIN_PRESETS)


class UserPresets:
    """Scripts the user saves, one .js file each in a folder (the plugin passes a folder in the QGIS profile).

    Names are compared without regard to case, as Windows and macOS compare file names: saving "my ndvi"
    replaces "My NDVI".
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def list(self) -> list[Preset]:
        """The user's presets, sorted by name (case-insensitively); an absent folder holds none."""
        if not self.folder.is_dir():
            return []
        presets = []
        for path in self.folder.iterdir():
            if path.suffix.lower() != EXTENSION or not path.is_file() or path.name.startswith("."):
                continue  # dot files include a save in progress
            if _is_builtin_name(path.stem):
                continue  # copied in by hand: names must stay unique in the form's list
            script = _read(path)
            presets.append(Preset(path.stem, script, description_of(script), builtin=False))
        return sorted(presets, key=lambda preset: (preset.name.casefold(), preset.name))

    def save(self, name: str, script: str) -> Preset:
        """Write a preset (replacing the user's preset of the same name); refuses names that cannot be files."""
        name = self._checked_name(name)
        if not script.strip():
            raise ValueError("The evalscript is empty: write or pick one before saving it as a preset.")
        self.folder.mkdir(parents=True, exist_ok=True)
        previous = self._path(name)
        # write then rename: a crash mid-write never leaves a half-written preset behind
        handle, temporary = tempfile.mkstemp(prefix=".saving-", suffix=EXTENSION, dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write(script.replace("\r\n", "\n"))
            if previous is not None and previous.name != name + EXTENSION:
                previous.unlink()  # same name in another case: the new spelling wins
            os.replace(temporary, self.folder / (name + EXTENSION))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Preset(name, script.replace("\r\n", "\n"), description_of(script), builtin=False)

    def delete(self, name: str) -> None:
        name = name.strip()
        if _is_builtin_name(name):
            raise ValueError(f"{name!r} is a built-in preset: built-in presets cannot be deleted.")
        path = self._path(name) if name and not _FORBIDDEN.search(name) else None
        if path is None:
            raise ValueError(f"There is no saved preset called {name!r}.")
        path.unlink()

    def _path(self, name: str) -> Optional[Path]:
        """The file of the user's preset `name`, whatever the case of its file name, or None."""
        if not self.folder.is_dir():
            return None
        exact = self.folder / (name + EXTENSION)
        if exact.is_file():
            return exact
        wanted = (name + EXTENSION).casefold()
        return next((p for p in self.folder.iterdir() if p.name.casefold() == wanted and p.is_file()), None)

    @staticmethod
    def _checked_name(name: str) -> str:
        name = (name or "").strip()
        if not name:
            raise ValueError("Give the preset a name.")
        if _is_builtin_name(name):
            raise ValueError(f"{name!r} is the name of a built-in preset: choose another name.")
        bad = _FORBIDDEN.search(name)
        if bad is not None:
            shown = f"'{bad.group(0)}'" if bad.group(0).isprintable() else "control characters"
            raise ValueError(
                f"A preset name cannot contain {shown}: it becomes a file name. Use letters, digits, spaces, "
                "dashes or brackets."
            )
        if name.startswith(".") or name.endswith("."):
            raise ValueError("A preset name cannot start or end with a dot: it becomes a file name.")
        return name


def all_presets(user: Optional[UserPresets]) -> list[Preset]:
    """Built-in presets first (in their fixed order), then the user's, sorted by name."""
    return list(BUILTIN_PRESETS) + (user.list() if user is not None else [])
