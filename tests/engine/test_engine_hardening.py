"""Engine hardening (issue 22): one test per fix of what the engine got wrong when probed. Process, file and
OS behaviour is checked on real engines; the rest in-process."""

from __future__ import annotations

import pytest
import requests
from testkit import TEST_CLIENT_ID, fetch_token

from tilewise.engine.config import ConfigError, Settings

# --- the token endpoint ------------------------------------------------------------------------------------


def test_wrong_secrets_are_answered_429_with_retry_after_and_the_reference_body(
    engine_factory, small_catalog
):
    engine = engine_factory(small_catalog)
    wrong = {"grant_type": "client_credentials", "client_id": TEST_CLIENT_ID, "client_secret": "guess"}
    answers = [requests.post(engine.url + "/oauth/token", data=wrong, timeout=10) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    throttled = answers[-1]
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert throttled.json()["error"]["reason"] == "Too Many Requests"
    assert "guess" not in throttled.text


def test_a_new_client_secret_invalidates_tokens_signed_with_the_old_one(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    old_token = engine.token()
    engine.stop()
    engine.env["TILEWISE_CLIENT_SECRET"] = "rotated-secret-after-a-leak-0b9a"
    engine.start()
    status = requests.get(
        engine.url + "/api/v1/engine/status", headers={"Authorization": f"Bearer {old_token}"}, timeout=10
    )
    assert status.status_code == 401, status.text
    with pytest.raises(requests.HTTPError):
        fetch_token(engine.url)  # the old secret is refused too


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "engine.example.org"])
def test_the_default_secret_is_refused_off_loopback_naming_both_settings(host):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"TILEWISE_HOST": host})
    message = str(refused.value)
    assert "TILEWISE_CLIENT_SECRET" in message and "TILEWISE_HOST" in message and host in message
    assert "\n" not in message and "tilewise-local-secret" not in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "localhost", "LOCALHOST"])
def test_the_default_secret_is_accepted_on_loopback(host):
    assert Settings.from_env({"TILEWISE_HOST": host}).uses_default_secret


def test_an_own_secret_may_listen_anywhere():
    settings = Settings.from_env({"TILEWISE_HOST": "0.0.0.0", "TILEWISE_CLIENT_SECRET": "own-secret"})
    assert settings.host == "0.0.0.0" and not settings.uses_default_secret
