"""The dashboard: login and its cookie, the chart data, and the page in a real headless Chromium.

The store holds the bikes example's real observations (the fast extract/transform/load steps,
so a real run with step timings) plus, written straight through the storage functions, a
second series, two model versions (one of them champion) and forecasts with 80/95% bands
whose ``yhat`` is the actual plus the step: whatever horizon the page shows, ``forecast -
actual`` must equal that horizon, which pins down that the right step was selected.

The browser test drives Debian's ``/usr/bin/chromium`` through Playwright (never a downloaded
browser) against ``python -m prevoir serve`` in a subprocess. Without that binary the test is
skipped locally and fails in CI (env ``CI`` set), as the PostgreSQL tests do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

from prevoir.config import Settings, load_settings
from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, hi_column, lo_column
from prevoir.service import create_app
from prevoir.storage.forecasts import upsert_forecasts
from prevoir.storage.model_versions import set_alias, set_model_metrics
from prevoir.storage.observations import read_observations, upsert_observations
from prevoir.workflows import init_project, run_pipeline
from prevoir.workflows.access import create_user
from tests.conftest import cheap_password_hashing
from tests.e2e.conftest import _pg_database
from tests.integration.helpers import add_version
from tests.projects import opened
from tests.service.conftest import dashboard_login

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SRC = Path(__file__).resolve().parents[2] / "src"
FORECASTER = "fremont_total"
USER, PASSWORD = "ada", "correct-horse-9"
ORIGINS = 72  # hourly origins forecast per series, ending at the newest observation
SECOND = "fremont_half"  # a second series of the dataset: half the real counts
# read at import: the project fixture hides PREVOIR_* variables from the code under test
SCREENSHOT_DIR = os.environ.get("PREVOIR_SCREENSHOT_DIR")
SERVE_FLAGS = ("--log-level", "warning")


@dataclass(frozen=True)
class Project:
    """A bikes project whose store already holds what the dashboard shows."""

    folder: Path
    store_url: str
    champion: int
    challenger: int


def _forecasts(actuals: pd.DataFrame, unique_id: str) -> pd.DataFrame:
    """Forecasts from the last ``ORIGINS`` hours: ``yhat = actual(ds) + step``, with bands."""
    y = actuals.set_index(DS)["total"].astype(float)
    origins = y.index[-ORIGINS:]
    rows = [
        (origin, origin + pd.Timedelta(hours=step), step)
        for origin in origins
        for step in range(1, 25)
    ]
    frame = pd.DataFrame(rows, columns=[ORIGIN, DS, STEP])
    frame[UNIQUE_ID] = unique_id
    truth = y.reindex(frame[DS]).to_numpy()
    frame[YHAT] = np.where(np.isnan(truth), 100.0, truth) + frame[STEP]
    for level, width in ((80, 10.0), (95, 20.0)):
        spread = width * np.sqrt(frame[STEP].to_numpy())
        frame[lo_column(level)] = frame[YHAT] - spread
        frame[hi_column(level)] = frame[YHAT] + spread
    return frame


def _populate(settings: Settings) -> tuple[int, int]:
    """Load real observations, add a second series, versions and forecasts; (champion,
    challenger) version ids."""
    project = opened(settings)
    summary = run_pipeline(project, steps=["extract", "transform", "load"])
    assert summary.status == "succeeded"
    with project.store.write() as conn:
        real = read_observations(conn, "fremont", variables=["total"])
        half = real.assign(unique_id=SECOND, total=real["total"] / 2)
        upsert_observations(conn, "fremont", half, ["total"])
        old = add_version(conn, FORECASTER, profile=settings.profile, run_id=summary.run_id)
        new = add_version(conn, FORECASTER, profile=settings.profile, kind="seasonal_naive")
        set_model_metrics(conn, old, {"mae": 31.25, "rmse": 44.5, "n": 480})
        set_model_metrics(conn, new, {"mae": 29.5, "rmse": 40.25, "n": 480})
        set_alias(conn, FORECASTER, settings.profile, "champion", old)
        set_alias(conn, FORECASTER, settings.profile, "challenger", new)
        for frame in (real.tail(400), half.tail(400)):
            uid = str(frame[UNIQUE_ID].iloc[0])
            forecasts = _forecasts(frame, uid)
            upsert_forecasts(conn, FORECASTER, forecasts, model_version_id=old, run_id=None)
    with cheap_password_hashing():
        create_user(project, USER, PASSWORD, "read")
    return old, new


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    """The bikes project on SQLite or PostgreSQL, populated once for this module's tests
    (none of them writes to the store)."""
    folder = tmp_path_factory.mktemp("dashboard") / "bikes"
    init_project(folder, example="bikes")
    urls = (
        iter([f"sqlite:///{folder / 'store.db'}"]) if request.param == "sqlite" else _pg_database()
    )
    store_url = next(urls)
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("PREVOIR_") and not name.startswith("PREVOIR_TEST_"):
                env.delenv(name)
        env.setenv("PREVOIR_STORE__URL", store_url)
        champion, challenger = _populate(load_settings(folder))
        yield Project(folder, store_url, champion, challenger)
    next(urls, None)  # drops the PostgreSQL database


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    """The app in-process (no cookie yet)."""
    with TestClient(create_app(load_settings(project.folder)), follow_redirects=False) as c:
        yield c


def _login(client: TestClient) -> None:
    done = dashboard_login(client, USER, PASSWORD)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/"


def test_login_sets_the_token_cookie_and_wrong_passwords_do_not(client: TestClient) -> None:
    assert client.get("/").status_code == 303
    assert client.get("/").headers["location"] == "/login"
    assert (
        client.get(
            "/dashboard/data/chart", params={"forecaster": FORECASTER, "series": "fremont"}
        ).status_code
        == 401
    )

    wrong = dashboard_login(client, USER, "not-the-password")
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text
    assert "prevoir_token" not in wrong.headers.get("set-cookie", "")
    assert client.get("/").status_code == 303

    done = dashboard_login(client, USER, PASSWORD)
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("prevoir_token=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="chart-data"' in page.text
    # the cookie is the API's credential too
    assert client.get("/api/v1/me").json() == {"name": USER, "role": "read"}

    assert client.post("/logout").status_code == 403  # no CSRF token: not logged out
    assert client.get("/").status_code == 200
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    answer = client.post("/logout", data={"csrf_token": csrf.group(1)})
    assert answer.headers["location"] == "/login"
    assert client.get("/").status_code == 303
    client.cookies.set("prevoir_token", cookie.split(";")[0].split("=", 1)[1])
    assert client.get("/api/v1/me").status_code == 401  # the cookie itself is revoked


def test_a_tampered_cookie_is_not_a_login(client: TestClient) -> None:
    _login(client)
    token = client.cookies["prevoir_token"]
    client.cookies.clear()
    client.cookies.set("prevoir_token", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert client.get("/").headers["location"] == "/login"


def test_chart_data_follows_the_horizon_and_the_series(client: TestClient) -> None:
    _login(client)

    def chart(**params: object) -> dict:
        answer = client.get("/dashboard/data/chart", params={"forecaster": FORECASTER, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    first = chart(series="fremont", horizon=6)
    columns = {s["key"]: np.array(s["values"], dtype=float) for s in first["series"]}
    matched = ~np.isnan(columns["actual"]) & ~np.isnan(columns["past"])
    assert matched.sum() >= ORIGINS - 6
    np.testing.assert_allclose((columns["past"] - columns["actual"])[matched], 6.0)
    assert first["accuracy"] == {"mae": pytest.approx(6.0), "n": int(matched.sum())}
    latest = columns["latest"][~np.isnan(columns["latest"])]
    assert len(latest) == 24  # the newest origin's whole path
    assert [b["level"] for b in first["bands"]] == [95, 80, 95]
    width95 = columns["latest_hi_95"] - columns["latest_lo_95"]
    width80 = columns["latest_hi_80"] - columns["latest_lo_80"]
    assert np.nanmin(width95 - width80) > 0
    assert first["model_version"] is not None

    second = chart(series=SECOND, horizon=6, window=2)
    half = {s["key"]: np.array(s["values"], dtype=float) for s in second["series"]}
    assert second["unique_id"] == SECOND
    assert len(second["x"]) < len(first["x"])  # a shorter history window
    assert np.nanmean(half["actual"]) < np.nanmean(columns["actual"])

    bad = client.get(
        "/dashboard/data/chart",
        params={"forecaster": FORECASTER, "series": "fremont", "horizon": 25},
    )
    assert bad.status_code == 422
    unknown = client.get("/dashboard/data/chart", params={"forecaster": "nope", "series": "x"})
    assert unknown.status_code == 404


def test_static_files_ship_with_the_package(client: TestClient) -> None:
    uplot = client.get("/static/vendor/uplot/uPlot.iife.min.js")
    assert uplot.status_code == 200
    assert "uPlot" in uplot.text
    assert client.get("/static/dashboard.js").status_code == 200


# --- the page in a real browser -------------------------------------------------------------


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(project: Project, tmp_path: Path) -> Iterator[str]:
    """``python -m prevoir serve`` on the project; its base URL once /healthz answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")}
    env |= {
        "PREVOIR_STORE__URL": project.store_url,
        "PREVOIR_SERVICE__SCHEDULER": "false",
        "PYTHONPATH": str(SRC),
    }
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "-m", "prevoir", "serve", "--project", str(project.folder)]
    process = subprocess.Popen(
        [*command, "--port", str(port), *SERVE_FLAGS],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError((tmp_path / "server.log").read_text())
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _screenshot(page: object, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(SCREENSHOT_DIR) / name)
    return path


CANVAS_COLORS = """() => {
  const canvas = document.querySelector('#chart canvas');
  const ctx = canvas.getContext('2d');
  const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const near = (i, r, g, b) =>
    Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 60 && px[i + 3] > 200;
  let orange = 0, blue = 0, dark = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (near(i, 217, 72, 15)) orange++;
    else if (near(i, 25, 113, 194)) blue++;
    else if (near(i, 31, 41, 51)) dark++;
  }
  return {orange, blue, dark};
}"""

DRAWN_LENGTHS = """() =>
  window.prevoirDashboard.chart.data.map((column) => column.filter((v) => v != null).length)"""

OFFSETS = """() => {
  const d = window.prevoirDashboard.data;
  const col = (key) => d.series.find((s) => s.key === key).values;
  const actual = col('actual'), past = col('past');
  const out = [];
  actual.forEach((a, i) => { if (a != null && past[i] != null) out.push(past[i] - a); });
  return out;
}"""


@pytest.mark.parametrize("project", ["sqlite"], indirect=True)  # the store code ran on both above
def test_dashboard_in_chromium(server: str, project: Project, tmp_path: Path) -> None:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on(
                "response",
                lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"),
            )

            page.goto(f"{server}/")
            assert page.url == f"{server}/login"
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/")
            # predicates as functions: an expression string is run through eval, which the
            # dashboard's CSP (no unsafe-eval) refuses
            page.wait_for_function(
                "() => window.prevoirDashboard && window.prevoirDashboard.loads >= 1"
            )
            lengths = page.evaluate(DRAWN_LENGTHS)
            assert lengths[0] > 24 * 7  # a week of hours before the origin, plus the path
            assert min(lengths[1:]) > 0  # actuals, forecast path, bands, h-step forecasts
            assert page.evaluate("window.prevoirDashboard.data.unique_id") == "fremont"

            page.select_option("#series", SECOND)
            page.wait_for_function(f"() => window.prevoirDashboard.data.unique_id === '{SECOND}'")
            page.select_option("#horizon", "6")
            page.wait_for_function("() => window.prevoirDashboard.data.horizon === 6")
            offsets = page.evaluate(OFFSETS)
            assert len(offsets) >= ORIGINS - 6
            assert offsets == pytest.approx([6.0] * len(offsets))
            assert "horizon=6" in page.url
            assert f"series={SECOND}" in page.url
            # the series picker searches on the server
            page.fill("#series-search", "HALF")
            page.wait_for_function(
                "() => (window.prevoirDashboard.searchResults || {}).total === 1"
            )
            assert page.locator("#series option").all_inner_texts() == [SECOND]
            colors = page.evaluate(CANVAS_COLORS)
            assert colors["orange"] > 200, colors  # the latest path and its bands
            assert colors["blue"] > 200, colors  # the 6-step-ahead forecasts
            assert colors["dark"] > 200, colors  # the actuals

            champion = page.locator("#versions tr.champion")
            assert champion.count() == 1
            assert champion.get_attribute("data-version") == str(project.champion)
            assert "champion" in champion.inner_text()
            assert "31.25" in champion.inner_text()
            challenger = page.locator(f"#versions tr[data-version='{project.challenger}']")
            assert "challenger" in challenger.inner_text()
            steps = page.locator("#runs .step").all_inner_texts()
            assert [s.split()[0] for s in steps] == ["extract", "transform", "load"]
            assert "succeeded" in page.locator("#runs").inner_text()

            shot = _screenshot(page, tmp_path, "dashboard.png")
            assert shot.stat().st_size > 10_000

            page.click("text=Log out")
            page.wait_for_url(f"{server}/login")
            page.goto(f"{server}/")
            assert page.url == f"{server}/login"
        finally:
            browser.close()
    assert problems == []


# --- coarser and classification forecasters (crypto example) -------------------------------


@pytest.fixture(scope="module")
def crypto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The crypto example after extract/transform/load only (no forecasts), logged in."""
    folder = tmp_path_factory.mktemp("dashboard_crypto") / "crypto"
    init_project(folder, example="crypto")
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("PREVOIR_") and not name.startswith("PREVOIR_TEST_"):
                env.delenv(name)
        env.setenv("PREVOIR_STORE__URL", f"sqlite:///{folder / 'store.db'}")
        settings = load_settings(folder)
        assert (
            run_pipeline(opened(settings), steps=["extract", "transform", "load"]).status
            == "succeeded"
        )
        with cheap_password_hashing():
            create_user(opened(settings), USER, PASSWORD, "read")
        with TestClient(create_app(settings), follow_redirects=False) as client:
            _login(client)
            yield client


def _embedded_chart(page: str) -> dict:
    start = page.index('<script id="chart-data" type="application/json">')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)


def test_a_daily_forecaster_shows_complete_daily_buckets(crypto: TestClient) -> None:
    page = crypto.get("/", params={"forecaster": "close_1d", "series": "ETHUSDT", "window": 2})
    assert page.status_code == 200, page.text
    chart = _embedded_chart(page.text)
    assert chart["origin"] is None  # nothing forecast yet: actuals only
    x = np.array(chart["x"])
    assert len(x) == 2 * 7 + 1  # the last 2 x 7 days before the newest bucket, inclusive
    assert set(np.diff(x)) == {86_400}
    hourly = crypto.get(
        "/dashboard/data/chart",
        params={"forecaster": "close_1h", "series": "ETHUSDT", "window": 2},
    ).json()
    closes = dict(zip(hourly["x"], hourly["series"][0]["values"], strict=True))
    daily = dict(zip(chart["x"], chart["series"][0]["values"], strict=True))
    last_day = int(x[-1])
    assert daily[last_day] == closes[last_day + 23 * 3600]  # close = the day's last hour


def test_a_classifier_without_forecasts_says_so(crypto: TestClient) -> None:
    page = crypto.get("/", params={"forecaster": "close_up_1h"})
    assert page.status_code == 200
    assert 'id="chart-missing"' in page.text
    assert "nor forecasts" in page.text
    assert 'id="chart-data"' not in page.text
