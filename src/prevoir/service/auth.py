"""Bearer tokens (JWT, HS256) and API keys, and the role each endpoint needs.

A request proves who it is with one of: ``Authorization: Bearer <jwt>`` from
``POST /api/v1/token`` (OAuth2 password flow), ``Authorization: Bearer pv_…`` or
``X-API-Key: pv_…`` (API keys, for machines), or the dashboard's ``prevoir_token`` cookie
(the same JWT). A JWT names its user; the user's current role is read from the store on every
request, so removing a user or changing a role takes effect at once, not at token expiry.
Missing, malformed, expired or tampered credentials get 401; a valid one without the needed
role gets 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status

from prevoir.service.state import ServiceState, get_state
from prevoir.service.throttle import retry_after_header
from prevoir.workflows.access import (
    Principal,
    authenticate_key,
    authenticate_password,
    user_role,
)

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
COOKIE = "prevoir_token"
KEY_HEADER = "X-API-Key"


def issue_token(principal: Principal, *, secret: str, minutes: int) -> str:
    """A signed JWT for ``principal`` that expires in ``minutes``."""
    now = datetime.now(UTC)
    claims = {"sub": principal.name, "role": principal.role, "iat": now}
    claims["exp"] = now + timedelta(minutes=minutes)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


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


def _credential(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get(KEY_HEADER) or request.cookies.get(COOKIE)


def principal_from(credential: str, state: ServiceState) -> Principal:
    """The caller behind ``credential``; 401 if it proves nothing."""
    if credential.startswith("pv_"):
        principal = authenticate_key(state.project, credential)
        if principal is None:
            raise _unauthorized("unknown or revoked API key")
        return principal
    try:
        claims = jwt.decode(
            credential, state.secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("token expired; ask POST /api/v1/token for a new one") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("invalid token") from None
    role = user_role(state.project, str(claims["sub"]))
    if role is None:
        raise _unauthorized(f"user {claims['sub']!r} no longer exists")
    return Principal(str(claims["sub"]), role)


async def current_principal(
    request: Request, state: Annotated[ServiceState, Depends(get_state)]
) -> Principal:
    """The authenticated caller of ``request`` (a FastAPI dependency); 401 without one.

    ``async`` although the lookup is a blocking one-row indexed read: on the event loop it
    takes well under a millisecond, while a hop through the thread pool costs more than that
    under load (bench/api: 50 clients on 2 cores; docs/decisions.md).
    """
    credential = _credential(request)
    if credential is None:
        raise _unauthorized("not authenticated: send a bearer token or an X-API-Key header")
    return principal_from(credential, state)


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
