"""Hostile HTTP input gets a 4xx naming what is wrong, never a 500, on SQLite and PostgreSQL:
JSON with NaN, infinities, 1e309, huge integers, lone surrogates or bytes that are not UTF-8
on every endpoint that accepts JSON, and path ids no store can hold. Every page carries the
security headers (a CSP without inline code) and the API schema is for readers only."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from prevoir.service.jsonbody import BadJsonError, check_json
from tests.service.conftest import PASSWORD, Service, dashboard_login

# every endpoint that reads a JSON body, with a body where @V@ is a number and @S@ a string
JSON_ENDPOINTS = {
    "/api/v1/observations/fremont": (
        '{"rows": [{"unique_id": "@S@", "ds": "2025-01-01T00:00:00Z", "total": @V@}]}'
    ),
    "/api/v1/forecasts/fremont_total": (
        '{"rows": [{"unique_id": "@S@", "origin": "2025-01-01T00:00:00Z", '
        '"ds": "2025-01-01T01:00:00Z", "step": 1, "yhat": @V@}]}'
    ),
    "/api/v1/runs": '{"steps": ["@S@"], "x": @V@}',
    "/api/v1/models/1/promote": '{"reason": "@S@", "x": @V@}',
}
NUMBERS = ["NaN", "-NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1" + "0" * 30, "9" * 5000]
STRINGS = ["\\ud800", "a\\udfff", "\\ud83d", "\\udc00\\ud83d"]  # lone halves, or in the wrong order


def _post(service: Service, path: str, body: bytes) -> tuple[int, str]:
    answer = service.client.post(
        path, content=body, headers={**service.auth("alice"), "Content-Type": "application/json"}
    )
    return answer.status_code, answer.text


def test_every_json_endpoint_refuses_non_finite_numbers_and_lone_surrogates(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    with service.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM observations")).scalar_one()
    wrong = []
    for path, template in JSON_ENDPOINTS.items():
        bodies = [template.replace("@S@", "x").replace("@V@", v) for v in NUMBERS]
        bodies += [template.replace("@S@", s).replace("@V@", "1") for s in STRINGS]
        bodies.append(template.replace("@S@", "x").replace("@V@", "1").encode().hex())  # not JSON
        for body in bodies:
            status, text = _post(service, path, body.encode())
            if status != 422 or ("json_invalid" not in text and "JSON" not in text):
                wrong.append((path, body[:80], status, text[:200]))
        raw = template.replace("@S@", "x").replace("@V@", "1").encode()
        status, text = _post(service, path, raw.replace(b'"x"', b'"\xed\xa0\x80"'))  # CESU
        if status != 422 or "not UTF-8" not in text:
            wrong.append((path, "CESU-8 surrogate bytes", status, text[:200]))
    assert wrong == []
    with service.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM observations")).scalar_one() == before


def test_strict_json_still_takes_what_json_allows() -> None:
    check_json(b'{"a": [1, -2.5e10, 1e308, null, "\\ud83d\\ude00 caf\\u00e9", "\xc3\xa9"]}')
    check_json(str(2**63 - 1).encode())
    with pytest.raises(BadJsonError, match=r"beyond ±2\^63-1"):
        check_json(str(2**63).encode())
    with pytest.raises(BadJsonError, match="send null") as caught:
        check_json(b'{"rows": [1, NaN]}')
    assert caught.value.pos == 13


def test_a_valid_body_still_passes_through(
    service_client: Callable[..., Service], db_url: str
) -> None:
    """The check reads the body first; the route must still get it whole."""
    service = service_client(db_url)
    body = JSON_ENDPOINTS["/api/v1/observations/fremont"].replace("@S@", "fremont")
    status, text = _post(
        service, "/api/v1/observations/fremont", body.replace("@V@", "12.5").encode()
    )
    assert status == 200, text
    assert '"changed":1' in text.replace(" ", "")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/runs/{}",
        "/api/v1/models/{}",
    ],
)
def test_path_ids_no_store_can_hold_are_not_found(
    service_client: Callable[..., Service], db_url: str, path: str
) -> None:
    service = service_client(db_url)
    for value in ["0", "-1", str(2**63), str(2**64 + 5), "9" * 5000, "-" + "9" * 30]:
        answer = service.client.get(path.format(value), headers=service.auth("rita"))
        assert answer.status_code in (404, 422), (value[:30], answer.status_code, answer.text)
    answer = service.client.post(
        f"/api/v1/models/{2**63}/promote", headers=service.auth("alice"), json={"reason": "x"}
    )
    assert answer.status_code in (404, 422), answer.text


SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _check_headers(answer: object, where: str) -> list[str]:
    headers = answer.headers  # type: ignore[attr-defined]
    wrong = [
        f"{where}: {k}={headers.get(k)}" for k, v in SECURITY_HEADERS.items() if headers.get(k) != v
    ]
    csp = headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    if directives.get("script-src") != "'self'" or "unsafe" in csp:
        wrong.append(f"{where}: CSP {csp!r}")
    if directives.get("frame-ancestors") != "'none'":
        wrong.append(f"{where}: CSP frame-ancestors {csp!r}")
    return wrong


def test_every_html_page_has_the_security_headers_and_no_inline_code(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    client = service.client
    pages = {"login form": client.get("/login")}
    pages["failed login"] = dashboard_login(client, "rita", "no")
    done = dashboard_login(client, "rita", PASSWORD)
    pages["dashboard"] = done
    pages["dashboard, other forecaster"] = client.get("/?forecaster=fremont_weekly_naive")
    pages["dashboard, unknown forecaster"] = client.get("/?forecaster=nope")
    wrong = []
    for where, answer in pages.items():
        wrong += _check_headers(answer, where)
        if answer.headers["content-type"].startswith("text/html"):
            html = answer.text
            scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
            wrong += [f"{where}: inline script {s}" for s in scripts if "application/json" not in s]
            wrong += [f"{where}: inline style" for _ in re.findall(r"<style|\sstyle=", html)]
            wrong += [f"{where}: inline handler" for _ in re.findall(r"\son[a-z]+=", html)]
            wrong += [
                f"{where}: external {u}" for u in re.findall(r'(?:src|href)="(https?:)', html)
            ]
    assert pages["dashboard"].status_code == 200 and "chart" in pages["dashboard"].text
    for path in ["/static/dashboard.js", "/api/v1/me", "/healthz"]:
        wrong += _check_headers(client.get(path), path)
    assert wrong == []


def test_the_api_schema_is_for_readers_and_no_cdn_docs_are_served(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    client = service.client
    assert client.get("/openapi.json").status_code == 401
    schema = client.get("/openapi.json", headers=service.auth("rita"))
    assert schema.status_code == 200 and "/api/v1/series" in schema.json()["paths"]
    for path in ["/docs", "/redoc", "/docs/oauth2-redirect"]:
        answer = client.get(path, headers=service.auth("rita"))
        assert answer.status_code == 404, path
        assert "cdn" not in answer.text.lower()
