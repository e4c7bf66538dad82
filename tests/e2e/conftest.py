"""Fixtures of the end-to-end suites: the real demo catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_catalog() -> Path:
    """The real demo catalog (what `make demo-data` builds), generated here when missing."""
    from tilewise.engine.data.demo import build_catalog

    root = ROOT / "data" / "demo-catalog"
    build_catalog(root)
    return root
