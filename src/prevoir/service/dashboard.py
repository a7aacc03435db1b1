"""The web dashboard: log in, pick a series, see its forecasts, versions and runs.

Pages are rendered on the server (Jinja2); the chart is drawn by uPlot, shipped under
``/static/vendor/uplot`` so nothing is built or fetched from elsewhere. The page embeds the
selected series' data as JSON; changing the series, horizon or window fetches
``/dashboard/data/chart`` and redraws without a reload. Logging in sets the ``prevoir_token``
cookie (HttpOnly, SameSite=Lax) holding the same JWT the API hands out, checked by the same
code as every API request; logging out revokes it in the store. Forms that change something
carry the session's CSRF token (``csrf_token``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from prevoir import __version__
from prevoir.errors import NotFoundError
from prevoir.service.auth import (
    COOKIE,
    CSRF_FIELD,
    TooManyAttemptsError,
    check_csrf,
    csrf_token,
    issue_token,
    log_out,
    password_login,
    principal_from,
    token_claims,
)
from prevoir.service.state import ServiceState, get_state
from prevoir.workflows import dashboard as views
from prevoir.workflows.access import Principal

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(include_in_schema=False)

State = Annotated[ServiceState, Depends(get_state)]
LOGIN_COOKIE = "prevoir_login"  # the login form's CSRF token
PICKER_SIZE = 200  # series listed in the picker at once; the search box asks for others


def _viewer(request: Request, state: ServiceState) -> Principal | None:
    """Who the dashboard cookie belongs to, or None when it is absent, expired or invalid."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return principal_from(token, state)
    except HTTPException:
        return None


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    username: str = "",
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login form, with its CSRF token in a hidden field and in a cookie that only this
    site's own pages send back (``SameSite=Strict``, path ``/login``): a form posted from
    another site cannot log the browser in to the attacker's account (login CSRF)."""
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    context = {"error": error, "username": username, "csrf": token}
    response = TEMPLATES.TemplateResponse(
        request, "login.html", context, status_code=status_code, headers=headers
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    """The login form."""
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    """Check the form's CSRF token, then the password (throttled); on success set the token
    cookie and go to the dashboard."""
    expected = request.cookies.get(LOGIN_COOKIE)
    if not (csrf and expected and secrets.compare_digest(csrf, expected)):
        return _login_page(
            request,
            error="This login form expired or did not come from this site: log in again.",
            username=username,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    try:
        principal = password_login(state, request, username, password)
    except TooManyAttemptsError as exc:
        error = f"{exc.detail[0].upper()}{exc.detail[1:]}."
        return _login_page(
            request,
            error=error,
            username=username,
            status_code=exc.status_code,
            headers=dict(exc.headers or {}),
        )
    if principal is None:
        return _login_page(
            request,
            error="Wrong user name or password.",
            username=username,
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    minutes = state.settings.service.token_minutes
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        issue_token(principal, secret=state.secret, minutes=minutes),
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    state: State,
    csrf: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    """Revoke the session (with its CSRF token, else 403), forget the cookie and go back to
    the login form. A cookie that is already invalid is just forgotten."""
    token = request.cookies.get(COOKIE)
    if token:
        try:
            check_csrf(csrf, token, state)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_401_UNAUTHORIZED:
                raise
        else:
            log_out(token, state)
    response = _login_redirect()
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/")
def index(
    request: Request,
    state: State,
    forecaster: str | None = None,
    series: str | None = None,
    horizon: Annotated[int | None, Query(ge=1)] = None,
    window: int = views.WINDOWS[1],
) -> Response:
    """The dashboard of one forecaster and one of its series (the first ones by default)."""
    viewer = _viewer(request, state)
    if viewer is None:
        return _login_redirect()
    settings = state.settings
    spec = views.resolve_spec(state.project, forecaster)
    cookie = request.cookies[COOKIE]  # the viewer's: checked just above
    context: dict[str, Any] = {
        "viewer": viewer,
        "csrf": csrf_token(token_claims(cookie, state.secret), state.secret),
        "version": __version__,
        "profile": settings.profile,
        "forecasters": list(settings.forecasters),
        "spec": spec,
        "series_ids": [],
        "series_total": 0,
        "chart": None,
        "chart_error": None,
        "versions": {"versions": [], "metric_names": []},
        "runs": [],
    }
    project = state.project
    context["runs"] = views.run_history(project)
    if spec is not None:
        ids, total = views.forecaster_series(project, spec, limit=PICKER_SIZE)
        if series is not None and series not in ids:
            ids = [series, *ids]  # the chosen one, even beyond the first page
        context["series_ids"] = ids
        context["series_total"] = total
        context["versions"] = views.model_versions(project, spec)
        chosen = series if series is not None else (ids[0] if ids else None)
        if chosen is not None:
            try:
                context["chart"] = views.chart_data(
                    project, spec, chosen, horizon=horizon, window=window
                )
            except NotFoundError as exc:  # a series with nothing to draw yet
                context["chart_error"] = str(exc)
    return TEMPLATES.TemplateResponse(request, "index.html", context)


@router.get("/dashboard/data/chart")
def chart(
    request: Request,
    state: State,
    forecaster: str,
    series: str,
    horizon: Annotated[int | None, Query(ge=1)] = None,
    window: int = views.WINDOWS[1],
) -> Response:
    """The chart columns of one series (cookie-authenticated JSON for the page's script)."""
    if _viewer(request, state) is None:
        return JSONResponse({"detail": "log in at /login"}, status_code=401)
    spec = views.resolve_spec(state.project, forecaster)
    assert spec is not None  # a named forecaster resolves or raises NotFoundError
    data = views.chart_data(state.project, spec, series, horizon=horizon, window=window)
    return JSONResponse(data)


@router.get("/dashboard/data/series")
def series_search(
    request: Request,
    state: State,
    forecaster: str,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The picker's series of ``forecaster`` containing ``q`` (first ``PICKER_SIZE``)."""
    if _viewer(request, state) is None:
        return JSONResponse({"detail": "log in at /login"}, status_code=401)
    spec = views.resolve_spec(state.project, forecaster)
    assert spec is not None  # a named forecaster resolves or raises NotFoundError
    ids, total = views.forecaster_series(state.project, spec, q=q or None, limit=PICKER_SIZE)
    return JSONResponse({"ids": ids, "total": total})
