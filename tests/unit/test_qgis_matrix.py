"""The QGIS version matrix says which version it could not test and why, and then fails: fewer versions never
pass (scripts/qgis_matrix.sh and scripts/qgis_chroot.sh, run as make test runs them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MATRIX = ROOT / "scripts" / "qgis_matrix.sh"
CHROOT = ROOT / "scripts" / "qgis_chroot.sh"
CLOSED_PORT_MIRROR = "http://127.0.0.1:9/debian"  # nothing listens on the discard port: refused at once

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="building chroots needs root; make test runs as root"
)


def run(*command: str, cache: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name != "QGIS_MATRIX"}
    environment.update(TILEWISE_CACHE=str(cache), **env)
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)


@needs_root
def test_an_unreachable_package_registry_skips_the_version_in_one_line_and_fails_the_matrix(tmp_path):
    done = run(str(MATRIX), "3.40", "3.44", cache=tmp_path, TILEWISE_DEBIAN_MIRROR=CLOSED_PORT_MIRROR)
    assert done.returncode == 1
    summary = done.stdout[done.stdout.index("QGIS matrix (") :].splitlines()
    assert summary[1].startswith("  QGIS 3.40 (trixie): skipped: debootstrap from ")
    assert CLOSED_PORT_MIRROR in summary[1] and "Failed getting release file" in summary[1]
    assert summary[2].startswith("  QGIS 3.44 (sid): skipped: debootstrap from ")
    assert summary[-1] == "matrix: 0 passed, 2 failed"  # the closing line counts what could not be built
    assert not (tmp_path / "chroots" / "trixie").exists()  # nothing half-built is kept as a chroot


@needs_root
def test_without_root_the_version_is_skipped_with_the_reason(tmp_path):
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    tmp_path.chmod(0o777)
    done = subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", str(CHROOT), "ensure", "3.44"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TILEWISE_CACHE": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "QGIS 3.44 (sid): skipped: building and entering a chroot needs root (run make test as root, or with sudo)"
    )


@needs_root
def test_a_full_disk_skips_the_version_with_what_is_free(tmp_path):
    cache = tmp_path / "small"
    cache.mkdir()
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'mount -t tmpfs -o size=64m tmpfs "{cache}" && exec "{CHROOT}" ensure 3.40'],
        capture_output=True, text=True, timeout=60, env=dict(os.environ, TILEWISE_CACHE=str(cache)),
    )  # fmt: skip
    if done.stderr.startswith(("mount:", "unshare:")):  # e.g. inside a chroot, where / is not a mount point
        pytest.skip(f"no private tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 1
    line = done.stderr.strip()
    assert line.startswith(f"QGIS 3.40 (trixie): skipped: {cache} has ")  # 64 MiB: df says 1 GiB (rounded up)
    assert line.endswith(" GiB free, a chroot needs 6 (free some disk or set TILEWISE_CACHE)")


def test_a_version_outside_the_matrix_is_refused_with_the_choices(tmp_path):
    done = run(str(MATRIX), "3.30", cache=tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "QGIS 3.30 is not in the matrix: choose 3.22 (Debian 12), 3.40 (Debian 13) or 3.44 (Debian sid)"
    )


def test_skipping_the_matrix_is_said_not_silent(tmp_path):
    done = run(str(MATRIX), cache=tmp_path, QGIS_MATRIX="none")
    assert done.returncode == 0
    assert done.stdout.startswith("QGIS matrix: skipped (QGIS_MATRIX=none); only the host's QGIS ")
