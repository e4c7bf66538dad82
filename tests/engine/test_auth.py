"""OAuth2 client-credentials tokens: issued only for the right client, verified, expiring, surviving restarts."""

from __future__ import annotations

import time

import pytest

from tilewise.engine.auth import TokenIssuer
from tilewise.engine.errors import ApiError


def issuer(tmp_path, lifetime=3600) -> TokenIssuer:
    return TokenIssuer(tmp_path / "key", "client", "secret", lifetime)


def test_token_for_valid_client_verifies_and_says_when_it_expires(tmp_path):
    token = issuer(tmp_path).issue("client_credentials", "client", "secret")
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    claims = issuer(tmp_path).verify(token["access_token"])  # a new issuer: the engine restarted
    assert claims["sub"] == "client"


def test_wrong_secret_or_grant_is_refused_without_echoing_the_secret(tmp_path):
    with pytest.raises(ApiError) as error:
        issuer(tmp_path).issue("client_credentials", "client", "not-the-secret")
    assert error.value.status == 401 and "not-the-secret" not in error.value.message
    with pytest.raises(ApiError) as error:
        issuer(tmp_path).issue("password", "client", "secret")
    assert error.value.status == 400


def test_tampered_or_expired_tokens_are_refused(tmp_path):
    token = issuer(tmp_path).issue("client_credentials", "client", "secret")["access_token"]
    header, payload, signature = token.split(".")
    with pytest.raises(ApiError, match="Invalid token"):
        issuer(tmp_path).verify(f"{header}.{payload}x.{signature}")
    with pytest.raises(ApiError, match="Invalid token"):
        issuer(tmp_path).verify("garbage")
    short = TokenIssuer(tmp_path / "key", "client", "secret", 1)
    expired = short.issue("client_credentials", "client", "secret")["access_token"]
    time.sleep(1.1)
    with pytest.raises(ApiError, match="expired"):
        short.verify(expired)


def test_a_token_from_another_engine_is_refused(tmp_path):
    other = TokenIssuer(tmp_path / "other-key", "client", "secret", 3600).issue(
        "client_credentials", "client", "secret"
    )
    with pytest.raises(ApiError, match="Invalid token"):
        issuer(tmp_path).verify(other["access_token"])
