"""What real networks and services do to the client: 401, 403, 404, 429 with Retry-After, 5xx, timeouts, garbage,
an unreachable host, cancellation. A scripted HTTP server on 127.0.0.1 answers each request in turn."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.http import (
    AuthError,
    BadRequestError,
    BadResponse,
    Cancel,
    Cancelled,
    ConnectionFailure,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from tilewise.core.statuses import V1, V2

SECRET = "fault-test-secret-9f2"
FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05, not_found_delays_s=(0.05, 0.05))
JOB = {"id": "job-1", "status": "CREATED", "request": {"description": "x"}, "processRequest": {}}


def error(status: int, message: str, code: str) -> tuple:
    return (status, {}, {"error": {"status": status, "reason": "x", "message": message, "code": code}})


class Script:
    """Answers: a list of (status, headers, body, delay_s) per path prefix; the token endpoint always works."""

    def __init__(self) -> None:
        self.answers: list[tuple] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.token_answers: list[tuple] = []
        self.tokens_issued = 0


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            script.requests.append((self.command, self.path, dict(self.headers), body))
            if self.path.startswith("/oauth/token"):
                if script.token_answers:
                    status, headers, payload, *rest = script.token_answers.pop(0)
                else:
                    script.tokens_issued += 1
                    status, headers, payload = (
                        200,
                        {},
                        {"access_token": f"token-{script.tokens_issued}", "expires_in": 3600},
                    )
            else:
                status, headers, payload, *rest = script.answers.pop(0) if script.answers else (200, {}, JOB)
                if rest:
                    time.sleep(rest[0])
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()
    httpd.server_close()


def make_client(script, version=V2, retry_after_ms=True, policy=FAST, timeout=None) -> BatchClient:
    deployment = custom_deployment(
        "Fault service", script.url, f"{script.url}/oauth/token", (V2, V1), retry_after_ms
    )
    client = BatchClient(
        deployment, ClientCredentials("client-a", SECRET), api_version=version, policy=policy
    )
    if timeout:
        client.http.timeout = timeout
    return client


def api_calls(script) -> list[str]:
    return [path for _, path, _, _ in script.requests if not path.startswith("/oauth")]


def test_429_waits_for_retry_after_in_milliseconds_then_succeeds(server):
    server.answers = [(429, {"Retry-After": "300"}, {"error": {"message": "slow down"}}), (200, {}, JOB)]
    with make_client(server) as client:
        started = time.monotonic()
        assert client.get("job-1").id == "job-1"
    assert 0.3 <= time.monotonic() - started < 2.0  # 300 ms, not 300 s
    assert len(api_calls(server)) == 2


def test_429_retry_after_in_seconds_where_the_deployment_says_so(server):
    server.answers = [(429, {"Retry-After": "1"}, {}), (200, {}, JOB)]
    with make_client(server, retry_after_ms=False) as client:
        started = time.monotonic()
        client.get("job-1")
    assert 1.0 <= time.monotonic() - started < 3.0


def test_5xx_are_retried_with_backoff_then_reported(server):
    server.answers = [(502, {}, b"bad gateway"), (503, {}, b"busy"), (200, {}, JOB)]
    with make_client(server) as client:
        assert client.get("job-1").status == "CREATED"
    server.answers = [error(500, "database down", "COMMON_EXCEPTION")] * 4
    with make_client(server) as client, pytest.raises(ServerError, match="database down") as info:
        client.get("job-1")
    assert (
        info.value.status == 500
        and info.value.code == "COMMON_EXCEPTION"
        and "Fault service" in str(info.value)
    )


def test_an_expired_token_is_renewed_once_on_401(server):
    server.answers = [error(401, "token expired", "COMMON_UNAUTHORIZED"), (200, {}, JOB)]
    with make_client(server) as client:
        client.get("job-1")
    assert server.tokens_issued == 2
    bearer = [h.get("Authorization") for _, p, h, _ in server.requests if not p.startswith("/oauth")]
    assert bearer == ["Bearer token-1", "Bearer token-2"]


def test_a_401_after_renewal_is_an_auth_error(server):
    server.answers = [error(401, "no", "COMMON_UNAUTHORIZED")] * 2
    with make_client(server) as client, pytest.raises(AuthError, match="Fault service refused"):
        client.get("job-1")


def test_refused_client_credentials_name_the_deployment_and_client_not_the_secret(server):
    server.token_answers = [
        (401, {}, {"error": "invalid_client", "error_description": "Invalid client credentials"})
    ]
    with make_client(server) as client, pytest.raises(AuthError) as info:
        client.get("job-1")
    message = str(info.value)
    assert "Fault service" in message and "client-a" in message and SECRET not in message
    posted = [body for _, path, _, body in server.requests if path.startswith("/oauth")]
    assert SECRET in posted[0]  # sent to the token endpoint, and nowhere else
    assert all(SECRET not in json.dumps(h) for _, _, h, _ in server.requests)


def test_403_explains_that_batch_needs_an_enterprise_or_copernicus_service_account(server):
    server.answers = [
        error(403, "You are not authorized to perform this action.", "COMMON_INSUFFICIENT_PERMISSIONS")
    ]
    with make_client(server) as client, pytest.raises(ForbiddenError, match="enterprise") as info:
        client.create_raw({})
    assert info.value.code == "COMMON_INSUFFICIENT_PERMISSIONS"


def test_a_v2_job_read_right_after_creation_may_404_for_a_moment(server):
    server.answers = [error(404, "not yet", "COMMON_NOT_FOUND"), (200, {}, JOB)]
    with make_client(server, V2) as client:
        assert client.get("job-1").id == "job-1"
    server.answers = [error(404, "Batch request job-2 does not exist.", "COMMON_NOT_FOUND")]
    with make_client(server, V1) as client, pytest.raises(NotFoundError, match="does not exist"):
        client.get("job-2")  # v1: a 404 is final at once
    assert len(api_calls(server)) == 3


def test_a_400_carries_the_services_message(server):
    server.answers = [
        error(
            400, "tilingGrid.resolution 7 is not allowed for grid 1: use 10, 20 or 60.", "COMMON_BAD_PAYLOAD"
        )
    ]
    with make_client(server) as client, pytest.raises(BadRequestError, match="use 10, 20 or 60") as info:
        client.create_raw({})
    assert info.value.code == "COMMON_BAD_PAYLOAD"


def test_garbage_bodies_are_bad_responses(server):
    server.answers = [(200, {"Content-Type": "text/html"}, b"<html>captive portal</html>")]
    with make_client(server) as client, pytest.raises(BadResponse, match="not JSON"):
        client.get("job-1")
    server.answers = [(200, {}, {"items": []})]
    with make_client(server) as client, pytest.raises(BadResponse, match="`data` list"):
        list(client.jobs())
    server.answers = [(200, {}, {"status": "DONE"})]
    with make_client(server) as client, pytest.raises(BadResponse, match="without a batch job"):
        client.get("job-1")


def test_a_service_that_does_not_answer_in_time_is_a_connection_failure(server):
    server.answers = [(200, {}, JOB, 2.0)] * 4
    policy = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.02)
    with make_client(server, policy=policy, timeout=(1.0, 0.3)) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionFailure, match="timed out"):
            client.get("job-1")
    assert time.monotonic() - started < 2.0


def test_an_unreachable_host_says_which_deployment():
    from testkit import free_port

    deployment = custom_deployment("Nobody home", f"http://127.0.0.1:{free_port()}", api_versions=(V2,))
    policy = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.02)
    client = BatchClient(deployment, ClientCredentials("a", "b"), policy=policy)
    with (
        client,
        pytest.raises(ConnectionFailure, match=r"Nobody home did not answer .*\(connection refused\)"),
    ):
        client.get("x")


def test_cancel_interrupts_a_retry_wait_at_once(server):
    server.answers = [(429, {"Retry-After": "10000"}, {})]  # ten seconds
    cancel = Cancel()
    threading.Timer(0.2, cancel.set).start()
    with make_client(server) as client:
        started = time.monotonic()
        with pytest.raises(Cancelled):
            client.get("job-1", cancel=cancel)
    assert time.monotonic() - started < 1.0


def test_pages_are_fetched_lazily_with_the_viewtoken(server):
    def page(ids: list[str], token) -> tuple:
        links = {"nextToken": token} if token else {}
        return (200, {}, {"data": [dict(JOB, id=i) for i in ids], "links": links})

    server.answers = [page(["a", "b"], "t2"), page(["c"], None)]
    with make_client(server) as client:
        jobs = client.jobs()
        assert next(jobs).id == "a" and len(api_calls(server)) == 1  # one page so far
        assert [j.id for j in jobs] == ["b", "c"]
    assert "viewtoken=t2" in api_calls(server)[1]


def test_exhausted_rate_limit_is_reported(server):
    server.answers = [(429, {"Retry-After": "10"}, {"error": {"message": "You have exceeded your rate limit", "code": "RATE_LIMIT_EXCEEDED"}})] * 4  # fmt: skip
    with make_client(server) as client, pytest.raises(RateLimitError, match="exceeded your rate limit"):
        client.get("job-1")


def test_token_requests_are_spaced_out(server):
    server.answers = [error(401, "expired", "x"), (200, {}, JOB), error(401, "expired", "x"), (200, {}, JOB)]
    with make_client(server) as client:
        client.tokens._min_interval_s = 0.5
        started = time.monotonic()
        client.get("job-1")
        client.get("job-1")
    assert server.tokens_issued == 3 and time.monotonic() - started >= 1.0
