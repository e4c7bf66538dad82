"""The plugin's own Python dependencies (shapely, mini-racer): what is wrong and how to install it."""

from __future__ import annotations

import types

from testkit import replace_imports

from tilewise.core.dependencies import (
    MINI_RACER_HINT,
    SHAPELY_HINT,
    install_message,
    mini_racer_problem,
    missing_dependencies,
)


def test_this_environment_has_everything():
    assert missing_dependencies() == []


def test_a_missing_mini_racer_is_named_with_its_install_commands(monkeypatch):
    replace_imports(monkeypatch, py_mini_racer=ImportError("No module named 'py_mini_racer'"))
    assert missing_dependencies() == ["mini-racer is not installed"]
    message = install_message(missing_dependencies())
    assert message == "mini-racer is not installed. " + MINI_RACER_HINT
    assert "pip install --user --break-system-packages 'mini-racer>=0.14'" in message  # Debian
    assert "OSGeo4W Shell" in message and "python -m pip install 'mini-racer>=0.14'" in message  # Windows


def test_a_mini_racer_whose_library_does_not_load_is_a_problem_too(monkeypatch):
    replace_imports(monkeypatch, py_mini_racer=OSError("libmini_racer.so: cannot open shared object file"))
    assert (
        mini_racer_problem() == "mini-racer does not load (libmini_racer.so: cannot open shared object file)"
    )


def test_an_old_mini_racer_is_too_old(monkeypatch):
    monkeypatch.setattr("importlib.metadata.version", lambda name: "0.12.4")
    assert mini_racer_problem() == "mini-racer 0.12.4 is too old (Tilewise needs 0.14 or newer)"


def test_a_v8_that_does_not_start_is_reported_with_the_reason():
    assert mini_racer_problem(OSError("no memory")) == "mini-racer does not start (no memory)"


def test_both_missing_give_both_hints_once_each(monkeypatch):
    replace_imports(
        monkeypatch,
        shapely=ImportError("No module named 'shapely'"),
        py_mini_racer=ImportError("No module named 'py_mini_racer'"),
    )
    problems = missing_dependencies()
    assert problems == ["shapely is not installed", "mini-racer is not installed"]
    assert install_message(problems) == (
        "shapely is not installed; mini-racer is not installed. " + SHAPELY_HINT + " " + MINI_RACER_HINT
    )


def test_an_old_shapely_is_too_old(monkeypatch):
    replace_imports(monkeypatch, shapely=types.SimpleNamespace(__version__="1.8.5"))
    assert missing_dependencies() == ["shapely 1.8.5 is too old (Tilewise needs 2.0 or newer)"]
    assert install_message(missing_dependencies()).endswith(SHAPELY_HINT)
