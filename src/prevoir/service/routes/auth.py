"""``POST /api/v1/token``: the OAuth2 password flow that hands out bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from prevoir.service.auth import Reader, credential_of, issue_token, log_out, password_login
from prevoir.service.routes import API_PREFIX
from prevoir.service.state import ServiceState, get_state

router = APIRouter(prefix=API_PREFIX, tags=["auth"])


class Token(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds


class Me(BaseModel):
    """Who the credentials belong to."""

    name: str
    role: str


@router.post(
    "/token",
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "too many failed logins: wait Retry-After seconds"},
    },
)
def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    state: Annotated[ServiceState, Depends(get_state)],
) -> Token:
    """Exchange a user name and password for a bearer token (throttled after failures)."""
    principal = password_login(state, request, form.username, form.password)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="wrong user name or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    minutes = state.settings.service.token_minutes
    return Token(
        access_token=issue_token(principal, secret=state.secret, minutes=minutes),
        expires_in=minutes * 60,
    )


@router.get("/me")
def me(principal: Reader) -> Me:
    """The caller's name and role."""
    return Me(name=principal.name, role=principal.role)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {"description": "an API key cannot log out: revoke it"}},
)
def logout(
    request: Request, _caller: Reader, state: Annotated[ServiceState, Depends(get_state)]
) -> Response:
    """Revoke the token this request was made with, on every server sharing the store."""
    credential, _ = credential_of(request)
    if credential is None or credential.startswith("pv_"):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="API keys do not log out; revoke one with `prevoir keys revoke <id>`",
        )
    log_out(credential, state)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
