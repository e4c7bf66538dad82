"""OAuth2 client-credentials tokens: issued only for the right client, verified, expiring, surviving restarts
but not a change of the client secret; wrong secrets throttled per client address."""

from __future__ import annotations

import time

import jwt
import pytest

from tilewise.engine.auth import FailedAttemptThrottle, TokenIssuer
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


def test_tokens_signed_before_the_client_secret_changed_are_refused(tmp_path):
    token = issuer(tmp_path).issue("client_credentials", "client", "secret")["access_token"]
    rotated = TokenIssuer(tmp_path / "key", "client", "rotated-secret", 3600)  # same key file
    with pytest.raises(ApiError, match="Invalid token"):
        rotated.verify(token)


# --- throttling of wrong secrets ----------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(tokens: TokenIssuer, secret: str, address: str = "10.0.0.7") -> int:
    """The status the token endpoint answers: 200, 401 or 429."""
    try:
        tokens.issue("client_credentials", "client", secret, address)
    except ApiError as error:
        return error.status
    return 200


def retry_after(tokens: TokenIssuer, address: str = "10.0.0.7") -> str:
    with pytest.raises(ApiError) as throttled:
        tokens.issue("client_credentials", "client", "secret", address)
    assert throttled.value.status == 429 and throttled.value.code == "RATE_LIMIT_EXCEEDED"
    return throttled.value.headers["Retry-After"]


def test_an_address_that_keeps_guessing_waits_longer_after_every_failure(tmp_path):
    clock = Clock()
    tokens = TokenIssuer(tmp_path / "key", "client", "secret", 3600, FailedAttemptThrottle(clock))
    assert [attempt(tokens, f"guess-{i}") for i in range(5)] == [401] * 5
    assert retry_after(tokens) == "1"  # while it waits, even the right secret is not looked at
    for wait in (1, 2, 4, 8):
        clock.now += wait
        assert attempt(tokens, "another-guess") == 401
        assert retry_after(tokens) == str(wait * 2)


def test_a_client_that_knows_its_secret_is_never_slowed_by_its_own_typos_or_by_others(tmp_path):
    clock = Clock()
    tokens = TokenIssuer(tmp_path / "key", "client", "secret", 3600, FailedAttemptThrottle(clock))
    assert [attempt(tokens, "guess", "10.0.0.66") for _ in range(6)] == [401] * 5 + [429]  # an attacker
    for _ in range(3):  # a client with typos now and then: a success forgets its failures
        assert [attempt(tokens, "typo") for _ in range(4)] + [attempt(tokens, "secret")] == [401] * 4 + [200]
    clock.now += 601  # failures long ago are forgotten too
    assert [attempt(tokens, "typo") for _ in range(4)] == [401] * 4
    clock.now += 601
    assert [attempt(tokens, "typo") for _ in range(4)] == [401] * 4


def test_the_throttle_remembers_a_bounded_number_of_addresses():
    throttle = FailedAttemptThrottle(Clock(), max_addresses=100)
    for i in range(1000):
        throttle.failed(f"10.1.{i // 256}.{i % 256}")
    assert len(throttle) == 100


def test_a_token_that_names_no_signature_algorithm_is_refused(tmp_path):
    claims = issuer(tmp_path).verify(
        issuer(tmp_path).issue("client_credentials", "client", "secret")["access_token"]
    )
    unsigned = jwt.encode(claims, None, algorithm="none")  # "alg": "none", no signature
    with pytest.raises(ApiError, match="Invalid token"):
        issuer(tmp_path).verify(unsigned)
