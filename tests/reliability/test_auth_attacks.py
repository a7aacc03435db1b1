"""Attacks on authentication, on SQLite and PostgreSQL: forged, tampered, unsigned and
expired tokens, password guessing, cross-site requests riding the dashboard's cookie, and a
token reused after logout."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa

from prevoir.service.state import ServiceState
from prevoir.workflows.access import create_key
from tests.projects import opened
from tests.service.conftest import PASSWORD, Service, dashboard_login


def _state(service: Service) -> ServiceState:
    state: ServiceState = service.client.app.state.prevoir  # type: ignore[attr-defined]
    return state


def _clock(service: Service) -> list[float]:
    """A hand-moved clock for the login throttle: ``now[0] += 10`` waits 10 s."""
    now = [1000.0]
    _state(service).throttle.clock = lambda: now[0]
    return now


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _me(service: Service, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return service.client.get("/api/v1/me", headers=headers).status_code


def test_forged_tokens_are_refused(service_client: Callable[..., Service], db_url: str) -> None:
    service = service_client(db_url)
    good = service.tokens["rita"]
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    admin = _b64({**claims, "role": "admin", "sub": "alice"})
    forged = {
        "tampered role": f"{header}.{admin}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'sub': 'alice'})}.",
        "alg none, no dot": f"{_b64({'alg': 'none'})}.{_b64(claims)}",
        "other secret": jwt.encode({**claims, "sub": "alice"}, "x" * 48, "HS256"),
        "HS512 own claims": jwt.encode(claims, "y" * 64, "HS512"),
        "expired": jwt.encode(
            {**claims, "exp": datetime.now(UTC) - timedelta(seconds=1)}, "z" * 48, "HS256"
        ),
        "garbage": "not.a.token",
        "empty signature": f"{header}.{payload}.",
    }
    assert _me(service, good) == 200
    assert {name: _me(service, token) for name, token in forged.items()} == dict.fromkeys(
        forged, 401
    )


def test_an_expired_token_signed_with_the_real_secret_is_refused(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    claims = jwt.decode(service.tokens["rita"], options={"verify_signature": False})
    claims["exp"] = int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())
    expired = jwt.encode(claims, _state(service).secret, "HS256")
    answer = service.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def _login(service: Service, user: str, password: str) -> tuple[int, str | None]:
    answer = service.client.post("/api/v1/token", data={"username": user, "password": password})
    return answer.status_code, answer.headers.get("Retry-After")


def test_password_guessing_is_throttled_per_user_with_a_doubling_delay(
    service_client: Callable[..., Service], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = service_client(db_url)
    now = _clock(service)
    caplog.set_level(logging.INFO, logger="prevoir.service.auth")
    assert [_login(service, "rita", f"guess {i}")[0] for i in range(5)] == [401] * 5
    # the sixth try waits 1 s, and the right password is not even checked meanwhile
    assert _login(service, "rita", PASSWORD) == (429, "1")
    assert _login(service, "RITA", "guess") == (429, "1")  # names are compared case-folded
    now[0] += 1.1
    assert _login(service, "rita", "guess 6") == (401, None)
    assert _login(service, "rita", PASSWORD) == (429, "2")  # then 2 s, 4 s, ...
    now[0] += 2.1
    assert _login(service, "rita", "guess 7")[0] == 401
    assert _login(service, "rita", "guess 8") == (429, "4")
    # other users are not locked out by rita's attacker (another address: see below)
    assert _login(service, "wendy", PASSWORD)[0] == 200
    now[0] += 4.1
    assert _login(service, "rita", PASSWORD)[0] == 200  # a success clears rita's failures
    assert [_login(service, "rita", f"again {i}")[0] for i in range(5)] == [401] * 5
    metrics = service.client.get("/metrics", headers=service.auth("rita")).text
    assert "prevoir_login_failures_total 12.0" in metrics
    assert 'prevoir_login_throttled_total{key="user"} 4.0' in metrics
    logged = [r.getMessage() for r in caplog.records]
    assert sum("failed login of 'rita'" in m for m in logged) == 12  # as counted
    assert any("throttled (user): retry in 4 s" in m for m in logged)


def test_one_address_trying_many_names_is_throttled(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    _clock(service)
    codes = [_login(service, f"user{i}", "guess")[0] for i in range(20)]
    assert codes == [401] * 20
    assert _login(service, "alice", PASSWORD) == (429, "1")  # a real name: still waits
    metrics = service.client.get("/metrics", headers=service.auth("rita")).text
    assert 'prevoir_login_throttled_total{key="address"} 1.0' in metrics


def test_the_dashboard_login_form_is_throttled_too(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    _clock(service)
    for i in range(5):
        assert dashboard_login(service.client, "rita", f"g{i}").status_code == 401
    answer = dashboard_login(service.client, "rita", PASSWORD, follow_redirects=False)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
    assert "Too many failed logins" in answer.text
    assert "prevoir_token" not in answer.cookies


@pytest.mark.parametrize("user", ["alice"])
def test_throttle_state_is_bounded(
    service_client: Callable[..., Service], db_url: str, user: str
) -> None:
    """Random user names cannot grow the table without limit."""
    service = service_client(db_url)
    throttle = _state(service).throttle
    throttle.policy = type(throttle.policy)(max_keys=50)
    for i in range(200):
        throttle.failed(f"random-{i}", f"10.0.{i // 256}.{i % 256}")
    assert len(throttle._failures) <= 50
    assert _login(service, user, PASSWORD)[0] == 200


def _dashboard_login(service: Service, user: str) -> str:
    """Log ``user`` in through the dashboard form; the CSRF token its page carries."""
    done = dashboard_login(service.client, user, PASSWORD)
    assert done.status_code == 200, done.text  # followed the redirect to the dashboard
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', done.text)
    assert found is not None
    return found.group(1)


def test_cookie_authenticated_changes_need_the_csrf_token(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    csrf = _dashboard_login(service, "alice")
    client = service.client
    path = "/api/v1/models/123/promote"  # an admin-only change; no such version: 404
    assert client.get("/api/v1/me").status_code == 200  # reading needs no CSRF token
    assert client.post(path, json={"reason": "x"}).status_code == 403
    wrong = {"X-CSRF-Token": "0" * 64}
    assert client.post(path, json={"reason": "x"}, headers=wrong).status_code == 403
    right = {"X-CSRF-Token": csrf}
    assert client.post(path, json={"reason": "x"}, headers=right).status_code == 404
    # bearer and API-key callers are not asked for one (a browser never sends those alone)
    client.cookies.clear()
    assert client.post(path, json={"reason": "x"}, headers=service.auth("alice")).status_code == 404


def test_a_cross_site_logout_form_without_the_token_logs_nobody_out(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    _dashboard_login(service, "rita")
    answer = service.client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert answer.status_code == 403
    assert service.client.get("/", follow_redirects=False).status_code == 200


def test_a_token_used_after_logout_is_refused(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    token = service.client.post(
        "/api/v1/token", data={"username": "wendy", "password": PASSWORD}
    ).json()["access_token"]
    other = service.client.post(
        "/api/v1/token", data={"username": "wendy", "password": PASSWORD}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert service.client.post("/api/v1/logout", headers=bearer).status_code == 204
    answer = service.client.get("/api/v1/me", headers=bearer)
    assert answer.status_code == 401 and "logged out" in answer.json()["detail"]
    assert service.client.post("/api/v1/logout", headers=bearer).status_code == 401
    assert _me(service, other) == 200  # only that session ends
    with service.engine.connect() as conn:  # in the store: every server refuses it
        revoked = conn.execute(sa.text("SELECT username FROM revoked_tokens")).scalars().all()
    assert revoked == ["wendy"]


def test_a_dashboard_cookie_reused_after_logout_is_refused(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    csrf = _dashboard_login(service, "rita")
    cookie = service.client.cookies["prevoir_token"]
    done = service.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert "prevoir_token" not in service.client.cookies
    service.client.cookies.set("prevoir_token", cookie)  # a copy kept by an attacker
    assert service.client.get("/", follow_redirects=False).status_code == 303
    assert service.client.get("/api/v1/me").status_code == 401


def test_api_keys_do_not_log_out_and_tokens_without_an_id_are_refused(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    key = create_key(opened(service.settings), "bot", "read")[1]
    answer = service.client.post("/api/v1/logout", headers={"X-API-Key": key})
    assert answer.status_code == 400 and "keys revoke" in answer.json()["detail"]
    claims = jwt.decode(service.tokens["rita"], options={"verify_signature": False})
    del claims["jti"]  # a token that could never be revoked
    assert _me(service, jwt.encode(claims, _state(service).secret, "HS256")) == 401


def test_a_login_form_posted_from_another_site_logs_nobody_in(
    service_client: Callable[..., Service], db_url: str
) -> None:
    """Login CSRF: another site's form carries no token of ours, nor our form cookie."""
    service = service_client(db_url)
    data = {"username": "rita", "password": PASSWORD}
    for extra in ({}, {"csrf_token": "guessed"}):
        answer = service.client.post("/login", data=data | extra, follow_redirects=False)
        assert answer.status_code == 403
        assert "did not come from this site" in answer.text
        assert "prevoir_token" not in answer.cookies
    form = service.client.get("/login")
    cookie = form.cookies["prevoir_login"]
    assert f'value="{cookie}"' in form.text
    assert "samesite=strict" in form.headers["set-cookie"].lower()
    assert dashboard_login(service.client, "rita", PASSWORD).status_code == 200
