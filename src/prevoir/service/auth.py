"""Bearer tokens (JWT, HS256) and API keys, the role each endpoint needs, and CSRF.

A request proves who it is with one of: ``Authorization: Bearer <jwt>`` from
``POST /api/v1/token`` (OAuth2 password flow), ``Authorization: Bearer pv_…`` or
``X-API-Key: pv_…`` (API keys, for machines), or the dashboard's ``prevoir_token`` cookie
(the same JWT). A JWT names its user and carries an id (``jti``); the user's current role,
and whether that token was logged out, are read from the store on every request, so removing
a user, changing a role or logging out takes effect at once, not at token expiry. Missing,
malformed, expired, revoked or tampered credentials get 401; a valid one without the needed
role gets 403. A state-changing request (not GET/HEAD/OPTIONS) authenticated by the cookie
alone must also send the session's CSRF token (``X-CSRF-Token`` header, or the
``csrf_token`` field of the dashboard's forms), else 403: a cross-site form cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from prevoir.service.state import ServiceState, get_state
from prevoir.service.throttle import retry_after_header
from prevoir.workflows.access import (
    Principal,
    RevokedError,
    authenticate_key,
    authenticate_password,
    revoke_session,
    session_role,
)

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
COOKIE = "prevoir_token"
KEY_HEADER = "X-API-Key"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def issue_token(principal: Principal, *, secret: str, minutes: int) -> str:
    """A signed JWT for ``principal`` that expires in ``minutes``."""
    now = datetime.now(UTC)
    claims = {"sub": principal.name, "role": principal.role, "iat": now}
    claims["exp"] = now + timedelta(minutes=minutes)
    claims["jti"] = secrets.token_urlsafe(16)  # what logout revokes
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def csrf_token(claims: dict[str, Any], secret: str) -> str:
    """The CSRF token of the session ``claims`` belong to: an HMAC of its ``jti``, so it
    needs no storage and dies with the session."""
    message = f"csrf:{claims['jti']}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def token_claims(token: str, secret: str) -> dict[str, Any]:
    """The verified claims of a JWT (HS256 only, ``exp``, ``sub`` and ``jti`` required);
    401 if it is expired, unsigned, tampered or malformed."""
    try:
        return jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "jti"]}
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("token expired; ask POST /api/v1/token for a new one") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("invalid token") from None


class TooManyAttemptsError(HTTPException):
    """429: this user name or address failed too often; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        header = retry_after_header(retry_after)
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed logins; try again in {header} s",
            headers={"Retry-After": header},
        )


def client_address(request: Request) -> str:
    """The peer's address (behind a proxy: the proxy's, unless uvicorn trusts its headers)."""
    return request.client.host if request.client is not None else "unknown"


def password_login(
    state: ServiceState, request: Request, username: str, password: str
) -> Principal | None:
    """The user if ``password`` is theirs, else None; ``TooManyAttemptsError`` (the password
    unchecked) while this user name or the caller's address must wait
    (``prevoir.service.throttle``). Failures are counted, logged and exported."""
    address = client_address(request)
    wait = state.throttle.retry_after(username, address)
    if wait is not None:
        seconds, key = wait
        state.metrics.login_throttled.labels(key).inc()
        logger.warning(
            "login of %r from %s throttled (%s): retry in %.0f s", username, address, key, seconds
        )
        raise TooManyAttemptsError(seconds)
    principal = authenticate_password(state.project, username, password)
    if principal is None:
        state.throttle.failed(username, address)
        state.metrics.login_failures.inc()
        logger.info("failed login of %r from %s", username, address)
    else:
        state.throttle.succeeded(username)
    return principal


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def credential_of(request: Request) -> tuple[str | None, bool]:
    """The credential of ``request`` and whether it is the dashboard's cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    key = request.headers.get(KEY_HEADER)
    if key:
        return key, False
    cookie = request.cookies.get(COOKIE)
    return cookie, cookie is not None


def principal_from(credential: str, state: ServiceState) -> Principal:
    """The caller behind ``credential``; 401 if it proves nothing."""
    if credential.startswith("pv_"):
        principal = authenticate_key(state.project, credential)
        if principal is None:
            raise _unauthorized("unknown or revoked API key")
        return principal
    claims = token_claims(credential, state.secret)
    try:
        role = session_role(state.project, str(claims["sub"]), str(claims["jti"]))
    except RevokedError as exc:
        raise _unauthorized(str(exc)) from None
    if role is None:
        raise _unauthorized(f"user {claims['sub']!r} no longer exists")
    return Principal(str(claims["sub"]), role)


def log_out(token: str, state: ServiceState) -> None:
    """Revoke the JWT ``token`` in the store: refused by every server from now on."""
    claims = token_claims(token, state.secret)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    revoke_session(
        state.project, username=str(claims["sub"]), jti=str(claims["jti"]), expires_at=expires
    )
    logger.info("user %r logged out (token %s revoked)", claims["sub"], claims["jti"])


def check_csrf(sent: str | None, cookie: str, state: ServiceState) -> None:
    """403 unless ``sent`` is the CSRF token of the session in ``cookie``."""
    expected = csrf_token(token_claims(cookie, state.secret), state.secret)
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"missing or wrong CSRF token: a request authenticated by the dashboard "
            f"cookie that changes something must send {CSRF_HEADER} (or a bearer token)",
        )


async def current_principal(
    request: Request, state: Annotated[ServiceState, Depends(get_state)]
) -> Principal:
    """The authenticated caller of ``request`` (a FastAPI dependency); 401 without one, 403
    for a cookie-authenticated change without its CSRF token.

    The store read (the user's role and the token's revocation, or the API key) runs in
    the thread pool, never on the event loop: a store that is slow or locked must delay
    only the requests that need it, not ``/healthz`` and every other request of the
    process (docs/decisions.md, "Nothing blocks the event loop").
    """
    credential, from_cookie = credential_of(request)
    if credential is None:
        raise _unauthorized("not authenticated: send a bearer token or an X-API-Key header")
    principal = await run_in_threadpool(principal_from, credential, state)
    if from_cookie and request.method not in SAFE_METHODS:
        check_csrf(request.headers.get(CSRF_HEADER), credential, state)
    return principal


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through callers whose role includes ``role`` (else 403)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.may(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"{principal.name!r} has role {principal.role!r}; this needs {role!r}",
            )
        return principal

    return check


Reader = Annotated[Principal, Depends(require("read"))]
Writer = Annotated[Principal, Depends(require("write"))]
Admin = Annotated[Principal, Depends(require("admin"))]
