"""``POST /api/v1/token``: the OAuth2 password flow that hands out bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from prevoir.service.auth import Reader, issue_token, password_login
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
