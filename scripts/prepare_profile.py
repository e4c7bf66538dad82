"""Prepare the project's own QGIS profile for `make run` (never the user's default profile).

The plugin folder is a link to the checkout, so edits show after a QGIS restart
(or with Plugin Reloader). Settings written here only enable the plugin, open
its dock and quiet first-run prompts; a second run keeps what the user changed.
"""

from __future__ import annotations

import argparse
import configparser
from pathlib import Path

SETTINGS = {
    "PythonPlugins": {"tilewise": "true"},
    "tilewise": {"dock_visible": "true"},
    "qgis": {"checkVersion": "false", "allowVersionCheck": "false", "showTips": "false"},
    "core": {"NewsFeed\\httpsfeedqgisorg\\disabled": "true"},
}


def prepare(profiles_dir: Path, profile: str, plugin_dir: Path) -> Path:
    profile_dir = profiles_dir / "profiles" / profile
    plugins = profile_dir / "python" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "tilewise"
    if (link.is_symlink() or link.exists()) and link.resolve() != plugin_dir.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(plugin_dir.resolve(), target_is_directory=True)
    ini_path = profile_dir / "QGIS" / "QGIS3.ini"
    ini_path.parent.mkdir(parents=True, exist_ok=True)
    ini = configparser.RawConfigParser()
    ini.optionxform = str  # QGIS keys are case-sensitive
    if ini_path.exists():
        ini.read(ini_path)
    for section, values in SETTINGS.items():
        if not ini.has_section(section):
            ini.add_section(section)
        for key, value in values.items():
            if not ini.has_option(section, key):
                ini.set(section, key, value)
    with open(ini_path, "w") as handle:
        ini.write(handle, space_around_delimiters=False)
    # profiles.ini makes this profile the default of this profiles folder only.
    (profiles_dir / "profiles" / "profiles.ini").write_text(f"[core]\ndefaultProfile={profile}\n")
    return profile_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles-dir", type=Path, required=True)
    parser.add_argument("--profile", default="tilewise")
    parser.add_argument("--plugin-dir", type=Path, required=True)
    args = parser.parse_args()
    profile_dir = prepare(args.profiles_dir, args.profile, args.plugin_dir)
    print(f"QGIS profile ready: {profile_dir}")


if __name__ == "__main__":
    main()
