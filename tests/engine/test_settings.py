"""The engine's TILEWISE_* settings for where tiles run: what is accepted, and the message a wrong value gets
(from `Settings.from_env`, and from `python -m tilewise.engine` itself, which must not start)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tilewise.engine.config import ConfigError, Settings


@pytest.mark.parametrize(
    "value, executor",
    [
        (None, "local"),
        (" local ", "local"),
        ("dask-local", "dask-local"),
        ("dask://10.0.0.5:8786", "dask://10.0.0.5:8786"),
        ("dask+tls://scheduler.example.org:8786", "dask+tls://scheduler.example.org:8786"),
    ],
)
def test_the_executor_setting_accepts_the_pool_a_local_cluster_and_a_scheduler_address(value, executor):
    env = {} if value is None else {"TILEWISE_EXECUTOR": value}
    assert Settings.from_env(env).executor == executor


@pytest.mark.parametrize(
    "value", ["dask", "dask://", "dask://scheduler", "tcp://scheduler:8786", "Dask-Local"]
)
def test_a_wrong_executor_is_refused_naming_the_value_and_what_to_write(value):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"TILEWISE_EXECUTOR": value})
    message = str(refused.value)
    assert f"TILEWISE_EXECUTOR={value!r}" in message
    assert "use local, dask-local or dask://host:port" in message


@pytest.mark.parametrize(
    "value, reason",
    [
        ("-1", "TILEWISE_DASK_TIMEOUT must be at least 0 (got -1)"),
        ("ten", "TILEWISE_DASK_TIMEOUT='ten' is not a whole number"),
    ],
)
def test_a_wrong_dask_timeout_is_refused_with_the_reason(value, reason):
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env({"TILEWISE_DASK_TIMEOUT": value})


def test_a_dask_timeout_of_zero_is_accepted():
    assert Settings.from_env({"TILEWISE_DASK_TIMEOUT": "0"}).dask_timeout_s == 0


@pytest.mark.parametrize(
    "value, compile, planes",
    [(None, True, False), ("ON", True, False), (" planes ", True, True), ("off", False, False)],
)
def test_the_evalscript_compiler_setting_reaches_the_script_limits(value, compile, planes):
    env = {} if value is None else {"TILEWISE_EVALSCRIPT_COMPILER": value}
    limits = Settings.from_env(env).script_limits
    assert (limits.compile, limits.planes) == (compile, planes)


@pytest.mark.parametrize("value", ["yes", "vectorised", "0"])
def test_a_wrong_evalscript_compiler_setting_is_refused_naming_the_value_and_what_to_write(value):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"TILEWISE_EVALSCRIPT_COMPILER": value})
    assert str(refused.value) == f"TILEWISE_EVALSCRIPT_COMPILER={value!r}: use on, planes or off."


def test_the_engine_does_not_start_on_a_wrong_setting_and_says_which_in_one_line(tmp_path):
    env = {**os.environ, "TILEWISE_DATA_DIR": str(tmp_path), "TILEWISE_EXECUTOR": "dask://scheduler"}
    run = subprocess.run(
        [sys.executable, "-m", "tilewise.engine"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.strip() == (
        "tilewise engine: TILEWISE_EXECUTOR='dask://scheduler': use local, dask-local or dask://host:port "
        "(dask+tls://host:port with TLS)."
    )
    assert not any(tmp_path.iterdir())  # nothing created for an engine that never started
